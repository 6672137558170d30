"""Partner pushes per Standard Webhooks (https://www.standardwebhooks.com/): the payload and its signature.

Payload: ``{"type": "release.published" | "release.updated" | "release.retracted", "timestamp", "data"}``.
Headers: ``webhook-id`` (stable per partner, release, version and type, so a receiver drops duplicates of an
at-least-once delivery), ``webhook-timestamp`` (set at each attempt: receivers reject stale timestamps) and
``webhook-signature`` (``v1,<base64 HMAC-SHA256>`` made by the standardwebhooks library).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import UTC, datetime
from typing import Any

from standardwebhooks import Webhook

EVENT_TYPES = ("release.published", "release.updated", "release.retracted")
SECRET_PREFIX = "whsec_"  # noqa: S105 - the format prefix, not a secret


def new_secret() -> str:
    """A signing secret as Standard Webhooks formats it: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def webhook_id(partner_id: str, release_id: str, version: int, event_type: str) -> str:
    """Stable across retries and replays of the same message, different for every other message."""
    digest = hashlib.sha256(f"{partner_id}:{release_id}:{version}:{event_type}".encode()).hexdigest()
    return f"msg_{digest[:32]}"


def payload(event_type: str, data: dict[str, Any], timestamp: datetime) -> bytes:
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    body = {"type": event_type, "timestamp": timestamp.astimezone(UTC).isoformat(), "data": data}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signed_headers(secret: str, msg_id: str, body: bytes, timestamp: datetime) -> dict[str, str]:
    """The three Standard Webhooks headers plus Content-Type, for one attempt."""
    when = timestamp.astimezone(UTC)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=when, data=body.decode("utf-8"))
    return {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(when.timestamp())),
        "webhook-signature": signature,
    }
