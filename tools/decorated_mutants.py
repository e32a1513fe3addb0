"""Mutants mutmut cannot make: `python tools/decorated_mutants.py [module ...]`.

mutmut 3 mutates the bodies of undecorated functions only. The server's request
rules live partly in decorated ones: pydantic validators (`@field_validator`,
`@model_validator`) and the resource methods (`@endpoint`) that say whether a
request may be sent twice. Their mutants are written out here, each a source
text and what replaces it, with the test files that reach its module. Each is
applied to a copy of `src/` in a temporary directory (the tree itself is never
touched) and those tests run against the copy, once they pass against it
unmutated; a mutant they let through is printed as a survivor, and the exit
status is 1.

Run from the repository root with the dev extra installed; slow by design (a
test run per mutant), so not part of `.ci/run`. docs/MUTATION.md has the results.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

TESTS: dict[str, list[str]] = {
    "_resources/_params.py": [
        "tests/test_list_queries.py", "tests/test_time_range.py", "tests/test_schemas.py",
    ],
    "_resources/auth.py": ["tests/test_repeat_safety.py"],
    "_resources/files.py": ["tests/test_repeat_safety.py"],
    "_resources/domains.py": ["tests/test_repeat_safety.py"],
    "_resources/projects.py": ["tests/test_repeat_safety.py"],
    "_resources/events.py": ["tests/test_repeat_safety.py"],
    "_resources/webhooks.py": ["tests/test_webhooks.py"],
    "_models/auth.py": ["tests/test_validation.py"],
    "_models/domains.py": ["tests/test_validation.py"],
    "_models/events.py": ["tests/test_validation.py"],
    "_models/files.py": ["tests/test_validation.py"],
    "_models/permissions.py": ["tests/test_validation.py"],
    "_models/_base.py": [
        "tests/test_agent.py", "tests/test_payloads.py", "tests/test_operations.py",
        "tests/test_raw_copies.py", "tests/test_wire_fidelity.py", "tests/test_request_ids.py",
    ],
    "_models/runs.py": ["tests/test_wait.py", "tests/test_payloads.py"],
    "_request.py": ["tests/test_retry_rules.py", "tests/test_repeat_safety.py"],
    "_transport.py": [
        "tests/test_error_body_bound.py", "tests/test_sse_framing.py", "tests/test_faults.py",
        "tests/test_operations.py", "tests/test_connection_pools.py", "tests/test_stream_events.py",
        "tests/test_raw_responses.py",
    ],
    "_sse.py": ["tests/test_sse_framing.py", "tests/test_stream_events.py"],
    "_wire.py": ["tests/test_bench_lazy_raw.py"],
    "_streaming.py": ["tests/test_stream_events.py", "tests/test_wait.py"],
}
"""Per module (under src/hot_typed), the test files its mutants are run against."""

_KEEP_ID = "if isinstance(wire, WireItems) and wire.request_id is not None:"
_LIMIT = "if limit is not None and not 1 <= limit <= MAX_LIST_LIMIT:"
_CLAMP = '{"most": MAX_LIST_LIMIT, "clamped": min(max(limit, 1), MAX_LIST_LIMIT)},'
_PAST_END = "if self.offset is not None and self.offset > I64_MAX - limit:"
_DETAILS = 'details: InitErrorDetails = {"type": error, "loc": ("offset",), "input": self.offset}'
_FILTER = 'enum, what = (RunStatus, "status") if info.field_name == "status" else (RunType, "type")'
_CAPTURE = 'if isinstance(data, dict) and (info.mode == "json" or info.context is WIRE_CONTEXT):'
_IDEMPOTENT = "return self.method in _IDEMPOTENT if self.retryable is None else self.retryable"
# The two `stream` context managers of _transport.py, told apart by how they read.
_REFUSED = (
    "if not _accepted(request, response, started):\n                _bound_error_body(response)"
)
_SYNC_READ = "\n                try:\n                    response.read()"
_ASYNC_READ = "\n                try:\n                    await response.aread()"
_FRAMES = (
    'if request.accept == "text/event-stream":\n'
    "                limit_frames(response, self.settings.max_sse_frame_bytes)\n"
    "            yield response\n        finally:\n"
)
_SYNC_CLOSE = "            response.close()\n\n\ndef _async_keywords"
_ASYNC_CLOSE = "            await response.aclose()\n"

MUTANTS: list[tuple[str, str, str]] = [
    # ListQuery and RunListQuery (crates/hot_api/src/handlers/mod.rs, models.rs,
    # crates/hot/src/db/run.rs, time_range.rs).
    ("_resources/_params.py", _LIMIT, _LIMIT.replace("1 <= limit", "1 < limit")),
    ("_resources/_params.py", _LIMIT, _LIMIT.replace("limit <= MAX", "limit < MAX")),
    ("_resources/_params.py", _LIMIT, _LIMIT.replace("not 1 <=", "not 0 <=")),
    ("_resources/_params.py", _LIMIT, _LIMIT.replace("and not 1", "and 1")),
    ("_resources/_params.py", _LIMIT, _LIMIT.replace("None and", "None or")),
    ("_resources/_params.py", "; the server would clamp it to {clamped}", ""),
    ("_resources/_params.py", _CLAMP, _CLAMP.replace("max(limit, 1)", "max(limit, 0)")),
    ("_resources/_params.py", _CLAMP, _CLAMP.replace("min(max(limit, 1), MAX_LIST_LIMIT)", "max(limit, 1)")),  # noqa: E501
    ("_resources/_params.py", _CLAMP, _CLAMP.replace("max(limit, 1)", "limit")),
    ("_resources/_params.py", _CLAMP, _CLAMP.replace('"most": MAX_LIST_LIMIT', '"most": 501')),
    ("_resources/_params.py", "offset is not None and offset < 0:", "offset is not None and offset <= 0:"),  # noqa: E501
    ("_resources/_params.py", "offset is not None and offset < 0:", "offset is not None and offset < -1:"),  # noqa: E501
    ("_resources/_params.py", '"offset is 0 or more"', '"offset is 1 or more"'),
    ("_resources/_params.py", "limit = DEFAULT_LIST_LIMIT if", "limit = MAX_LIST_LIMIT if"),
    ("_resources/_params.py", "if self.limit is None else self.limit", ""),
    ("_resources/_params.py", _PAST_END, _PAST_END.replace(">", ">=")),
    ("_resources/_params.py", _PAST_END, _PAST_END.replace("- limit:", "- limit - 1:")),
    ("_resources/_params.py", '{"most": I64_MAX - limit,', '{"most": I64_MAX,'),
    ("_resources/_params.py", _DETAILS, _DETAILS.replace('("offset",)', '("limit",)')),
    ("_resources/_params.py", _DETAILS, _DETAILS.replace('"input": self.offset', '"input": self.limit')),  # noqa: E501
    ("_resources/_params.py", "if type(value) is not str:", "if type(value) is str:"),
    ("_resources/_params.py", "if type(value) is not str:", "if not isinstance(value, str):"),
    ("_resources/_params.py", _FILTER, _FILTER.replace("==", "!=")),
    ("_resources/_params.py", _FILTER, 'enum, what = (RunStatus, "status")'),
    ("_resources/_params.py", "if value not in _NAMES[enum]:", "if value in _NAMES[enum]:"),
    ("_resources/_params.py", '"known": ", ".join', '"known": ",".join'),
    ("_resources/_params.py", '"enum": enum.__name__,', '"enum": "RunStatus",'),
    ("_resources/_params.py", "the server has ({known}):", "the server has:"),
    ("_resources/_params.py", "if run_type == TASK_RUN_TYPE:", "if run_type != TASK_RUN_TYPE:"),
    ("_resources/_params.py", "; read tasks through tasks.get", ""),
    ("_resources/_params.py", "if time_range is not None:", "if time_range is None:"),
    ("_resources/_params.py", '{"reason": str(refused)},', '{"reason": ""},'),
    # Requests a repeat would act on twice (the handlers each comment names).
    ("_resources/auth.py", '"/sessions", json=content, retryable=False', '"/sessions", json=content, retryable=True'),  # noqa: E501
    ("_resources/auth.py", '"/service-keys", json=content, retryable=False', '"/service-keys", json=content, retryable=True'),  # noqa: E501
    ("_resources/files.py", "retryable=False", "retryable=True"),
    ("_resources/domains.py", "retryable=False", "retryable=True"),
    ("_resources/projects.py", "retryable=False", "retryable=True"),
    ("_resources/events.py", "retryable=False", "retryable=True"),
    ("_resources/webhooks.py", "retryable=False", "retryable=None"),
    ("_resources/webhooks.py", "retryable=False", "retryable=True"),
    # Request-model validators.
    ("_models/auth.py", "_check_expiry(expires_in, SESSION_MAX_TTL)", "_check_expiry(expires_in, None)"),  # noqa: E501
    ("_models/auth.py", "expires_in > _LAST_RFC3339_SECOND", "expires_in < _LAST_RFC3339_SECOND"),
    ("_models/auth.py", "must keep the expiry within year 9999", "is too far"),
    ("_models/auth.py", '("permissions", *error.get("loc", ()))', 'error.get("loc", ())'),
    ("_models/auth.py", "if problems:", "if not problems:"),
    ("_models/domains.py", "if problem is not None:", "if problem is None:"),
    ("_models/domains.py", "invalid domain name: {rule}", "invalid domain name"),
    ("_models/domains.py", "if canonical_domain(domain) != domain:", "if canonical_domain(domain) == domain:"),  # noqa: E501
    ("_models/domains.py", '{"canonical": canonical_domain(domain)}', '{"canonical": domain}'),
    ("_models/events.py", "if is_reserved(event_type):", "if not is_reserved(event_type):"),
    ("_models/events.py", "the only one a client may publish is 'hot:call'", ""),
    ("_models/events.py", "if self.event_type == HOT_CALL:", "if self.event_type != HOT_CALL:"),
    ("_models/events.py", "            if errors:", "            if not errors:"),
    ("_models/files.py", "size is not None and size <= 0:", "size is not None and size < 0:"),
    ("_models/files.py", "expected_size must be greater than zero", "expected_size is wrong"),
    ("_models/permissions.py", "if problems:", "if not problems:"),
    ("_models/permissions.py", "loc=(resource,), input=resource", "loc=(), input=resource"),
    ("_models/permissions.py", 'if "\\x00" in resource', 'if "\\x00" not in resource'),
    # Which payloads a received model keeps as its wire form.
    ("_models/_base.py", _CAPTURE, _CAPTURE.replace("or info.context", "and info.context")),
    ("_models/_base.py", _CAPTURE, _CAPTURE.replace('mode == "json"', 'mode != "json"')),
    ("_models/_base.py", _CAPTURE, _CAPTURE.replace("is WIRE_CONTEXT", "is not WIRE_CONTEXT")),
    ("_models/_base.py", _CAPTURE, 'if info.mode == "json" or info.context is WIRE_CONTEXT:'),
    # `.raw` and what a request model sends.
    ("_models/_base.py", "if type(wire) is not dict:", "if type(wire) is dict:"),
    # A page item's request id, kept when `.raw` resolves the reference that held it.
    ("_models/_base.py", _KEEP_ID, _KEEP_ID.replace(" and ", " or ")),
    ("_models/_base.py", _KEEP_ID, _KEEP_ID.replace("is not None", "is None")),
    ("_models/_base.py", _KEEP_ID, "if False:"),
    ("_models/_base.py", 'model_dump(mode="json", exclude_unset=True)', 'model_dump(mode="json")'),
    ("_models/_base.py", "if v is not None or k in keep", "if v is not None and k in keep"),
    ("_models/_base.py", "if v is not None or k in keep", "if v is not None"),
    ("_models/_base.py", "        if is_json_object(data):\n            keep", "        if not is_json_object(data):\n            keep"),  # noqa: E501
    # How the decoders (cached, so decorated) read JSON.
    ("_wire.py", 'cache_strings="keys"', 'cache_strings="all"'),
    ("_wire.py", "    adapter.rebuild()\n", ""),
    ("_wire.py", "SchemaValidator(adapter.core_schema, _READING)", "adapter.validator"),
    # What ends a follow, and what may be sent twice.
    ("_models/runs.py", "return self in _TERMINAL_RUN", "return self not in _TERMINAL_RUN"),
    ("_models/runs.py", "return self in _TERMINAL_TASK", "return self not in _TERMINAL_TASK"),
    ("_request.py", _IDEMPOTENT, _IDEMPOTENT.replace("is None", "is not None")),
    ("_request.py", _IDEMPOTENT, _IDEMPOTENT.replace("self.method in", "self.method not in")),
    ("_request.py", _IDEMPOTENT, _IDEMPOTENT.replace("else self.retryable", "else True")),
    # Opening a stream: an error answer raised (its body bounded), frames limited,
    # the connection released.
    ("_transport.py", _REFUSED + _SYNC_READ, _REFUSED.replace("if not", "if") + _SYNC_READ),
    ("_transport.py", _REFUSED + _ASYNC_READ, _REFUSED.replace("if not", "if") + _ASYNC_READ),
    ("_transport.py", _REFUSED + _SYNC_READ, _REFUSED.split("\n")[0] + _SYNC_READ),
    ("_transport.py", _REFUSED + _ASYNC_READ, _REFUSED.split("\n")[0] + _ASYNC_READ),
    ("_transport.py", _FRAMES + _SYNC_CLOSE, _FRAMES.replace("==", "!=") + _SYNC_CLOSE),
    ("_transport.py", _FRAMES + _ASYNC_CLOSE, _FRAMES.replace("==", "!=") + _ASYNC_CLOSE),
    ("_transport.py", _SYNC_CLOSE, _SYNC_CLOSE.replace("response.close()", "pass")),
    ("_transport.py", _FRAMES + _ASYNC_CLOSE, _FRAMES + "            pass\n"),
    # Which bad frames may be skipped, and which snapshot frames are the model's.
    ("_sse.py", "    return known.tags", "    return known.tags - {'run:stop'}"),
    ("_sse.py", "    return known.tags", "    return frozenset()"),
    ("_streaming.py", "return event if isinstance(event, model) else None", "return event"),
]  # fmt: skip
"""(module under src/hot_typed, source text, its replacement); each text occurs once."""


def _passes(copy: Path, tests: list[str]) -> bool:
    """Whether `tests` (pytest arguments) pass against the tree in `copy`."""
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider",
         "-p", "no:randomly", *tests],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(copy)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )  # fmt: skip
    return run.returncode == 0


def _survives(copy: Path, module: str, old: str, new: str) -> bool:
    target = copy / "hot_typed" / module
    original = target.read_text("utf-8")
    if original.count(old) != 1:
        raise SystemExit(f"{module}: {old!r} occurs {original.count(old)} times, not once")
    target.write_text(original.replace(old, new), "utf-8")
    try:
        return _passes(copy, TESTS[module])
    finally:
        target.write_text(original, "utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="e.g. _models/auth.py (default: all)")
    wanted = set(parser.parse_args().modules) or set(TESTS)
    unknown = sorted(wanted - set(TESTS))
    if unknown:
        parser.error(f"no mutants for {', '.join(unknown)}; modules: {', '.join(TESTS)}")
    survivors = 0
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "src"
        shutil.copytree(
            ROOT / "src", copy, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
        )
        chosen = [mutant for mutant in MUTANTS if mutant[0] in wanted]
        # A failing test would "kill" every mutant: each selection must pass first.
        # Modules share selections: each distinct one is run once.
        selections = {tuple(TESTS[module]) for module in wanted}
        failing = sorted(" ".join(tests) for tests in selections if not _passes(copy, [*tests]))
        if failing:
            raise SystemExit(f"these tests fail without any mutant: {'; '.join(failing)}")
        for module, old, new in chosen:
            alive = _survives(copy, module, old, new)
            survivors += alive
            print(f"{'SURVIVED' if alive else 'killed':<8}  {module}: {old!r} -> {new!r}")
    print(f"{len(chosen)} mutants, {len(chosen) - survivors} killed, {survivors} survived")
    return 1 if survivors else 0


if __name__ == "__main__":
    raise SystemExit(main())
