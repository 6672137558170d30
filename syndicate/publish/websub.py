"""WebSub (W3C Recommendation, section 7 "Publishing"): the ping that tells a hub a topic changed.

The spec leaves the publisher → hub notification to the hub; the de-facto protocol every public hub speaks
(Google's pubsubhubbub.appspot.com, Superfeedr, WebSub.rocks) is a form POST of ``hub.mode=publish`` and
``hub.url=<topic URL>``, answered with 2xx. Several topics go as repeated ``hub.url`` fields.
"""

from __future__ import annotations

from urllib.parse import urlencode

CONTENT_TYPE = "application/x-www-form-urlencoded"


def publish_body(topic_urls: list[str]) -> bytes:
    """The form body announcing that each of ``topic_urls`` (feed URLs) has new content."""
    if not topic_urls:
        raise ValueError("a publish ping needs at least one topic URL")
    fields = [("hub.mode", "publish"), *(("hub.url", url) for url in topic_urls)]
    return urlencode(fields).encode("ascii")
