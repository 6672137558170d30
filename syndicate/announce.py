"""Telling the WebSub hub which feeds changed (SYNDICATE_WEBSUB_HUB).

Each feed scope records the version last announced; a ping is owed while it is below the scope's version. The
render task pings after rendering and a beat sweep catches anything a failed ping left behind, so a subscriber
hears of every change at least once (and a burst of changes costs one ping).
"""

from __future__ import annotations

import logging

import httpx

from syndicate.config import get_settings
from syndicate.errors import DeliveryFailed, SyndicateError
from syndicate.netguard import guarded_client
from syndicate.publish import websub
from syndicate.store import feeds as feed_store
from syndicate.store.db import session
from syndicate.syndication import FORMATS

log = logging.getLogger(__name__)

#: topic URLs per ping (hubs accept repeated hub.url fields; keep the request small)
BATCH = 60


def topic_urls(scope: str) -> list[str]:
    base = get_settings().base_url.rstrip("/")
    return [f"{base}/feeds/{scope}/{fmt.filename}" for fmt in FORMATS.values()]


def announce() -> int:
    """Ping the hub for every changed feed; returns how many scopes were announced. DeliveryFailed (retriable)
    if the hub did not accept a ping; what was accepted stays marked."""
    settings = get_settings()
    if not settings.websub_hub:
        return 0
    with session() as s:
        owed = feed_store.unannounced(s)
    done = 0
    for start in range(0, len(owed), BATCH // len(FORMATS)):
        batch = owed[start : start + BATCH // len(FORMATS)]
        urls = [url for scope, _ in batch for url in topic_urls(scope)]
        _ping(settings.websub_hub, urls)
        with session() as s:
            for scope, version in batch:
                feed_store.mark_announced(s, scope, version)
        done += len(batch)
    if done:
        log.info("websub ping", extra={"scopes": done})
    return done


def _ping(hub: str, urls: list[str]) -> None:
    settings = get_settings()
    try:
        with guarded_client(settings, timeout=httpx.Timeout(10.0)) as client:
            answer = client.post(hub, content=websub.publish_body(urls), headers={"content-type": websub.CONTENT_TYPE})
    except (httpx.HTTPError, SyndicateError) as exc:
        raise DeliveryFailed(f"WebSub hub unreachable: {exc}", retry_after=10) from exc
    if not 200 <= answer.status_code < 300:
        raise DeliveryFailed(f"WebSub hub answered HTTP {answer.status_code}", retry_after=10)
