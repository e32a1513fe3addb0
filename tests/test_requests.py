"""What goes on the wire: bodies from models or dicts, query filters, path
parameters kept in their segment, uploads, downloads and the escape hatches."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
import respx
from pydantic import ValidationError

import hot_typed as ht
from hot_typed._wire import request_body
from tests import payloads as p
from tests.exchange import exchange, make_client, perform

KINDS = ["sync", "async"]


def _sent_nothing(kind: str, call: Any, error: type[Exception]) -> None:
    with respx.mock(assert_all_called=False) as router:
        route = router.route(host="hot.test").respond(500)
        with pytest.raises(error):
            perform(make_client(kind), call)
        assert not route.called


@pytest.mark.parametrize("kind", KINDS)
def test_a_dict_body_is_validated_into_the_request_model_before_sending(kind: str) -> None:
    _sent_nothing(kind, lambda c: c.projects.create({}), ValidationError)
    _sent_nothing(kind, lambda c: c.projects.create({"nmae": "typo"}), ValidationError)
    _sent_nothing(kind, lambda c: c.context.create("p", {"key": "K"}), ValidationError)
    _sent_nothing(
        kind, lambda c: c.events.publish({"event_type": "a", "stream_id": "nope"}), ValidationError
    )


@pytest.mark.parametrize("kind", KINDS)
def test_model_and_dict_bodies_send_the_same_bytes(kind: str) -> None:
    answer = httpx.Response(201, json=p.item(p.context_variable()))
    as_model = ht.ContextVariableCreate(key="API_KEY", value="v", description="d")
    _, by_model = exchange(kind, lambda c: c.context.create("p", as_model), answer)
    as_dict: ht.ContextVariableCreateParams = {"key": "API_KEY", "value": "v", "description": "d"}
    _, by_dict = exchange(kind, lambda c: c.context.create("p", as_dict), answer)
    assert by_model[0].content == by_dict[0].content
    assert json.loads(by_model[0].content) == as_dict


@pytest.mark.parametrize("kind", KINDS)
def test_a_json_body_is_labelled_application_json(kind: str) -> None:
    answer = httpx.Response(201, json=p.item(p.event()))
    _, sent = exchange(kind, lambda c: c.events.publish({"event_type": "ping"}), answer)
    assert sent[0].headers["content-type"] == "application/json"


@pytest.mark.parametrize("kind", KINDS)
def test_optional_fields_left_unset_are_absent_but_event_data_is_always_sent(kind: str) -> None:
    answer = httpx.Response(201, json=p.item(p.event()))
    _, sent = exchange(kind, lambda c: c.events.publish({"event_type": "ping"}), answer)
    assert json.loads(sent[0].content) == {"event_type": "ping", "event_data": None}


@pytest.mark.parametrize("kind", KINDS)
def test_list_filters_are_validated_before_sending(kind: str) -> None:
    _sent_nothing(kind, lambda c: c.runs.list(limit=0), ValidationError)
    _sent_nothing(kind, lambda c: c.runs.list(limit=501), ValidationError)
    _sent_nothing(kind, lambda c: c.files.list(offset=-1), ValidationError)
    _sent_nothing(kind, lambda c: c.runs.list(time_range="7 days"), ValidationError)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    ("given", "segment"),
    [
        ("../x?y#z", "..%2Fx%3Fy%23z"),
        ("..", "%2E%2E"),
        ("a%2Fb", "a%252Fb"),
        ("API/KEY", "API%2FKEY"),
        ("naïve key", "na%C3%AFve%20key"),
    ],
)
def test_path_parameters_never_leave_their_segment(kind: str, given: str, segment: str) -> None:
    _, sent = exchange(kind, lambda c: c.context.delete(given, given), httpx.Response(204))
    assert sent[0].url.raw_path.decode() == f"/v1/projects/{segment}/context/{segment}"


@pytest.mark.parametrize("kind", KINDS)
def test_simple_upload_sends_raw_bytes_with_the_content_type_to_an_encoded_path(kind: str) -> None:
    content = bytes(range(256))
    answer = httpx.Response(200, json=p.item(p.file()))
    _, sent = exchange(
        kind,
        lambda c: c.files.upload("in box/ré port#1.bin", content, content_type="image/png"),
        answer,
    )
    assert sent[0].method == "PUT"
    assert sent[0].url.raw_path.decode() == "/v1/files/upload/in%20box/r%C3%A9%20port%231.bin"
    assert sent[0].headers["content-type"] == "image/png"
    assert sent[0].content == content


@pytest.mark.parametrize("kind", KINDS)
def test_simple_upload_defaults_to_octet_stream(kind: str) -> None:
    _, sent = exchange(
        kind, lambda c: c.files.upload("a.bin", b"x"), httpx.Response(200, json=p.item(p.file()))
    )
    assert sent[0].headers["content-type"] == "application/octet-stream"


@pytest.mark.parametrize("kind", KINDS)
def test_an_upload_path_with_an_empty_or_dot_segment_is_refused(kind: str) -> None:
    _sent_nothing(kind, lambda c: c.files.upload("a//b", b"x"), ValueError)
    _sent_nothing(kind, lambda c: c.files.upload("../etc/passwd", b"x"), ValueError)


@pytest.mark.parametrize("kind", KINDS)
def test_build_upload_is_multipart_with_file_hash_and_build_id(kind: str) -> None:
    answer = httpx.Response(201, json=p.item(p.build_upload()))
    build_id = p.uid()
    _, sent = exchange(
        kind,
        lambda c: c.builds.upload(
            "billing", file=b"PK\x03\x04", hash="sha256:1", build_id=build_id
        ),
        answer,
    )
    request = sent[0]
    assert request.headers["content-type"].startswith("multipart/form-data; boundary=")
    body = request.content
    assert b'name="hash"\r\n\r\nsha256:1\r\n' in body
    assert f'name="build_id"\r\n\r\n{build_id}\r\n'.encode() in body
    assert b'name="file"' in body
    assert b"PK\x03\x04" in body


@pytest.mark.parametrize("kind", KINDS)
def test_downloads_return_the_response_with_bytes_intact(kind: str) -> None:
    content = bytes(range(256)) * 4
    response, _ = exchange(
        kind, lambda c: c.files.download(p.uid()), httpx.Response(200, content=content)
    )
    assert isinstance(response, httpx.Response)
    assert response.content == content


@pytest.mark.parametrize("kind", KINDS)
def test_request_returns_the_decoded_json_body(kind: str) -> None:
    body = {"data": {"future": [1, 2.0, None]}, "meta": p.meta()}
    result, sent = exchange(
        kind,
        lambda c: c.request("POST", "/v1/future", json={"a": 1}, params={"x": 1, "y": None}),
        httpx.Response(200, json=body),
    )
    assert result == body
    assert sent[0].url.raw_path == b"/v1/future?x=1"
    assert json.loads(sent[0].content) == {"a": 1}


# Each filter value as a user may pass it; the query sent must be exactly what httpx
# itself would build from `params=` (hot-typed writes the query into the URL so
# that httpx parses it once).
QUERIES: list[dict[str, Any]] = [
    {"limit": 100, "offset": 0},
    {"flag": True, "off": False, "ratio": 0.5},
    {"q": "a b&c=d/e?f#g", "accented": "caf\u00e9 \u2603", "percent": "100%"},
    {"empty": "", "a key&=": "v"},
    {"many": ["a", "b c"], "tuple": ("1", 2)},
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("params", QUERIES)
def test_a_query_is_encoded_exactly_as_httpx_encodes_params(
    kind: str, params: dict[str, Any]
) -> None:
    _, sent = exchange(
        kind,
        lambda c: c.request("GET", "/future", params=params),
        httpx.Response(200, json={"ok": True}),
    )
    expected = httpx.Request("GET", "https://hot.test/v1/future", params=params).url
    assert sent[0].url == expected
    assert sent[0].url.raw_path == expected.raw_path


@pytest.mark.parametrize("kind", KINDS)
def test_a_user_clients_default_params_still_join_the_query(kind: str) -> None:
    given: httpx.Client | httpx.AsyncClient = (
        httpx.Client(params={"tenant": "t 1"})
        if kind == "sync"
        else httpx.AsyncClient(params={"tenant": "t 1"})
    )
    try:
        _, sent = exchange(
            kind,
            lambda c: c.runs.list(limit=5, offset=10),
            httpx.Response(200, json=p.page([])),
            client=given,
        )
        expected = given.build_request(
            "GET", "https://hot.test/v1/runs", params={"limit": 5, "offset": 10}
        )
    finally:  # the user's client: hot-typed leaves it open
        if isinstance(given, httpx.Client):
            given.close()
        else:
            asyncio.run(given.aclose())
    assert sent[0].url == expected.url


@pytest.mark.parametrize("kind", KINDS)
def test_a_query_written_in_the_path_meets_params_as_httpx_has_them_meet(kind: str) -> None:
    _, sent = exchange(
        kind,
        lambda c: c.request("GET", "/future?a=1", params={"b": 2}),
        httpx.Response(200, json={"ok": True}),
    )
    expected = httpx.Request("GET", "https://hot.test/v1/future?a=1", params={"b": 2})
    assert sent[0].url == expected.url


@pytest.mark.parametrize("kind", KINDS)
def test_request_raw_returns_the_httpx_response(kind: str) -> None:
    result, sent = exchange(
        kind,
        lambda c: c.request_raw(
            "PUT", "/future", content=b"\x00\x01", headers={"Content-Type": "a/b", "X-Trace": "7"}
        ),
        httpx.Response(202, text="accepted"),
    )
    assert isinstance(result, httpx.Response)
    assert result.status_code == 202
    assert sent[0].headers["content-type"] == "a/b"
    assert sent[0].headers["x-trace"] == "7"
    assert sent[0].content == b"\x00\x01"


@pytest.mark.parametrize("kind", KINDS)
def test_every_request_identifies_the_client(kind: str) -> None:
    _, sent = exchange(
        kind, lambda c: c.env.get(), httpx.Response(200, json=p.item(p.environment()))
    )
    assert sent[0].headers["user-agent"].startswith("hot-sdk-python/")
    assert sent[0].headers["accept"] == "application/json"


@pytest.mark.parametrize("kind", KINDS)
def test_request_raw_refuses_a_header_that_would_split_the_request(kind: str) -> None:
    _sent_nothing(
        kind,
        lambda c: c.request_raw("GET", "/env", headers={"X-Trace": "1\r\nX-Evil: 1"}),
        ValueError,
    )


@pytest.mark.parametrize("kind", KINDS)
def test_request_refuses_a_body_that_is_not_json_before_sending(kind: str) -> None:
    _sent_nothing(
        kind, lambda c: c.request("POST", "/future", json={"x": float("nan")}), ValidationError
    )


@pytest.mark.parametrize("kind", KINDS)
def test_a_model_field_that_cannot_be_sent_as_json_is_refused_before_sending(kind: str) -> None:
    _sent_nothing(kind, lambda c: c.projects.create({"name": "a\ud800b"}), ValidationError)
    with pytest.raises(ValidationError) as caught:
        request_body(ht.ProjectCreate, {"name": "a\ud800b"})
    problem = caught.value.errors(include_url=False)[0]
    assert problem["type"] == "json_value"
    assert problem["loc"] == ()
    assert "surrogates not allowed" in problem["msg"]


@pytest.mark.parametrize("kind", KINDS)
def test_a_body_that_is_neither_the_model_nor_a_mapping_is_a_type_error(kind: str) -> None:
    _sent_nothing(kind, lambda c: c.projects.create(["billing"]), TypeError)
    expected = "expected ProjectCreate or a mapping of its wire keys, got list"
    with pytest.raises(TypeError, match=expected):
        request_body(ht.ProjectCreate, ["billing"])  # type: ignore[arg-type]
