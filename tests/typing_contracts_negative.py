"""Misuses of typed contracts mypy --strict must catch: every line tagged
`# E: <code>` must be reported with that code, and no other line may be
(checked by test_typing_contracts.py; excluded from the plain mypy run)."""

from __future__ import annotations

from hot_typed import EventCreateParams, HotClient


def request_body_mistakes(hot: HotClient) -> None:
    hot.events.publish({"event_typ": "user:signup"})  # E: arg-type
    hot.events.publish({"event_type": 3})  # E: arg-type
    hot.events.publish({"event_data": {}})  # E: arg-type
    hot.events.publish({"event_type": "a:b", "stream_id": 5})  # E: arg-type
    hot.streams.subscribe_with_event({"event_type": "a:b", "evnt_data": 1})  # E: arg-type
    body: EventCreateParams = {"event_type": "a:b", "data": 1}  # E: typeddict-unknown-key
    hot.sessions.create({"permissions": {"stream:*": "read"}})  # E: arg-type
    hot.sessions.create({"permissions": {"stream:*": ["read"]}, "expires_in": "1h"})  # E: arg-type
    hot.service_keys.create({"name": "k"})  # E: arg-type
    hot.projects.create({"name": "x", "nme": "y"})  # E: arg-type
    hot.context.create("p", {"key": "k"})  # E: arg-type
    hot.files.initiate_upload({"path": "a", "expected_size": "3"})  # E: arg-type
