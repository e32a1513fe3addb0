"""`GET /status` outside `/v1`, blob references and their download, the service-key
list's paging, and the smaller answers (`RunType.task`, text uploads), over the
emulator's socket for both clients."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from hot_typed import (
    AsyncHotClient,
    BlobRef,
    HotClient,
    NotFoundError,
    PermissionDeniedError,
    RunStop,
    RunType,
    ServerStatus,
    find_blob_refs,
)
from hot_typed.testing import HotEmulator

from .sse_script import on_emulator

KINDS = ["sync", "async"]


@pytest.fixture
def emulator() -> Iterator[HotEmulator]:
    with HotEmulator() as running:
        yield running


# ---------------------------------------------------------------- status


@pytest.mark.parametrize("kind", KINDS)
def test_status_is_a_typed_health_check_requested_outside_v1(
    kind: str, emulator: HotEmulator
) -> None:
    status = on_emulator(kind, emulator, lambda hot: hot.status())
    assert isinstance(status, ServerStatus)
    assert (status.status, status.service) == ("ok", "hot.dev api server")
    assert isinstance(status.start_time, datetime)
    assert set(status.raw) == {"status", "service", "version", "git_sha", "start_time"}
    assert [r.path for r in emulator.requests] == ["/status"]


@pytest.mark.parametrize("kind", KINDS)
def test_the_escape_hatches_send_status_to_the_root_and_other_paths_under_v1(
    kind: str, emulator: HotEmulator
) -> None:
    answer = on_emulator(kind, emulator, lambda hot: hot.request("GET", "/status"))
    assert answer["status"] == "ok"
    on_emulator(kind, emulator, lambda hot: hot.request_raw("GET", "/status"))
    on_emulator(kind, emulator, lambda hot: hot.request("GET", "/env"))
    on_emulator(kind, emulator, lambda hot: hot.request("GET", "/v1/env"))
    with pytest.raises(NotFoundError):
        on_emulator(kind, emulator, lambda hot: hot.request("GET", "/v1/status"))
    paths = [r.path for r in emulator.requests]
    assert paths == ["/status", "/status", "/v1/env", "/v1/env", "/v1/status"]


def test_the_status_model_reads_the_servers_unknown_start_time() -> None:
    status = ServerStatus.model_validate(
        {
            "status": "ok",
            "service": "hot.dev api server",
            "version": "1.0.0",
            "git_sha": "abc1234",
            "start_time": "unknown",
        }
    )
    assert status.start_time == "unknown"


# ---------------------------------------------------------------- blob references

REF_ID = "0190d3a2-4b5c-7d8e-9f00-112233445566"
WIRE_REF: dict[str, Any] = {
    "$type": "::hot::blob/BlobRef",
    "$val": {
        "id": REF_ID,
        "object-id": "0190d3a2-4b5c-7d8e-9f00-aabbccddeeff",
        "hash-alg": "blake3",
        "hash": "deadbeef",
        "size": 42,
        "encoding": "bytes",
    },
}


def test_a_blob_reference_is_recognized_and_parsed_from_its_wire_map() -> None:
    ref = BlobRef.from_value(WIRE_REF)
    assert ref is not None
    assert (ref.id, ref.size, ref.encoding, ref.hash_alg) == (REF_ID, 42, "bytes", "blake3")
    assert ref.content_type is None
    assert ref.to_value() == WIRE_REF
    assert BlobRef.is_ref(WIRE_REF)
    for other in [{"a": 1}, 5, "x", None, [WIRE_REF], {"$type": "::other/T", "$val": {}}]:
        assert not BlobRef.is_ref(other)
        assert BlobRef.from_value(other) is None


def test_a_value_tagged_as_a_blob_reference_but_malformed_is_refused() -> None:
    for bad in [
        {"$type": "::hot::blob/BlobRef"},
        {"$type": "::hot::blob/BlobRef", "$val": {**WIRE_REF["$val"], "size": "big"}},
    ]:
        with pytest.raises(ValidationError):
            BlobRef.from_value(bad)


def test_blob_references_are_found_anywhere_in_a_payload_in_order() -> None:
    second = {**WIRE_REF, "$val": {**WIRE_REF["$val"], "id": str(UUID(int=7))}}
    payload = {"a": [1, {"deep": WIRE_REF}], "b": second, "c": "text"}
    assert [ref.id for ref in find_blob_refs(payload)] == [REF_ID, str(UUID(int=7))]
    assert list(find_blob_refs({"plain": [1, 2]})) == []


@pytest.mark.parametrize("kind", KINDS)
def test_a_run_result_holding_a_blob_reference_is_downloaded_by_reference_or_id(
    kind: str, emulator: HotEmulator, tmp_path: Path
) -> None:
    large = "x" * 5000
    stored = emulator.store_blob(large, content_type="text/plain; charset=utf-8")

    @emulator.on_event("report:make")
    def make(event: Any, ctx: Any) -> Any:
        return {"report": stored}

    messages = list(emulator.client().streams.subscribe_with_event({"event_type": "report:make"}))
    result = next(m for m in messages if isinstance(m, RunStop)).run.result
    (ref,) = find_blob_refs(result)
    assert (ref.encoding, ref.size) == ("string", 5000)

    content = on_emulator(kind, emulator, lambda hot: hot.blobs.download(ref))
    assert content == large.encode()
    assert on_emulator(kind, emulator, lambda hot: hot.blobs.download(str(ref.id))) == content
    target = on_emulator(kind, emulator, lambda hot: hot.blobs.download_to(ref, tmp_path / "r.txt"))
    assert target.read_text() == large
    downloads = [r for r in emulator.requests if r.path.startswith("/v1/blobs/")]
    assert [r.path for r in downloads] == [f"/v1/blobs/{ref.id}/download"] * 3


@pytest.mark.parametrize("kind", KINDS)
def test_an_unknown_blob_is_not_found(kind: str, emulator: HotEmulator) -> None:
    with pytest.raises(NotFoundError):
        on_emulator(kind, emulator, lambda hot: hot.blobs.download(REF_ID))


@pytest.mark.parametrize("kind", KINDS)
def test_only_an_api_key_may_download_a_blob(kind: str, emulator: HotEmulator) -> None:
    ref = BlobRef.from_value(emulator.store_blob(b"\x00\x01"))
    assert ref is not None
    session = emulator.client().sessions.create({"permissions": {"event:*": ["read"]}})
    assert session.token is not None
    token = session.token.get_secret_value()

    def call(hot: Any) -> Any:
        if isinstance(hot, HotClient):
            with HotClient(token, base_url=emulator.base_url, max_retries=0) as scoped:
                return scoped.blobs.download(ref)

        async def download() -> bytes:
            async with AsyncHotClient(token, base_url=emulator.base_url, max_retries=0) as scoped:
                return await scoped.blobs.download(ref)

        return download()

    with pytest.raises(PermissionDeniedError):
        on_emulator(kind, emulator, call)
    assert on_emulator(kind, emulator, lambda hot: hot.blobs.download(ref)) == b"\x00\x01"


# ---------------------------------------------------------------- service keys


@pytest.mark.parametrize("kind", KINDS)
def test_the_service_key_list_pages_on_although_the_server_reports_no_more(
    kind: str, emulator: HotEmulator
) -> None:
    hot = emulator.client()
    created = [
        hot.service_keys.create({"name": f"k{n}", "permissions": {"event:*": ["read"]}})
        for n in range(5)
    ]

    def walk(client: Any) -> Any:
        if isinstance(client, HotClient):
            page = client.service_keys.list(limit=2)
            return page, [k.service_key_id for k in page.auto_paging_iter()]

        async def awalk() -> Any:
            page = await client.service_keys.list(limit=2)
            return page, [k.service_key_id async for k in page.auto_paging_iter()]

        return awalk()

    first, walked = on_emulator(kind, emulator, walk)
    assert sorted(walked) == sorted(k.service_key_id for k in created)
    # The server's answer as received: `total` is the page's length, no more.
    assert first.pagination.raw == {"total": 2, "limit": 2, "offset": 0, "has_more": False}
    assert first.pagination.has_more
    lists = [r for r in emulator.requests if r.path == "/v1/service-keys" and r.method == "GET"]
    # Pages of 2, 2 and 1 keys: the last is not full, so the walk ends there.
    assert [r.query.get("offset") for r in lists] == [None, "2", "4"]


# ---------------------------------------------------------------- smaller answers


def test_a_task_run_has_its_own_run_type() -> None:
    assert RunType("task") is RunType.TASK


@pytest.mark.parametrize("kind", KINDS)
def test_files_upload_takes_text_sent_as_utf8(kind: str, emulator: HotEmulator) -> None:
    stored = on_emulator(kind, emulator, lambda hot: hot.files.upload("notes/a.txt", "héllo"))
    assert stored.size == len("héllo".encode())
    (upload,) = [r for r in emulator.requests if r.method == "PUT"]
    assert upload.body == "héllo".encode()


@pytest.mark.parametrize("kind", KINDS)
def test_files_upload_refuses_what_is_neither_bytes_nor_text(
    kind: str, emulator: HotEmulator
) -> None:
    with pytest.raises(TypeError, match="content must be bytes"):
        # An int on purpose: what a caller without a type checker may pass.
        on_emulator(kind, emulator, lambda hot: hot.files.upload("a.txt", 5))  # type: ignore[arg-type]
    assert emulator.requests == []
