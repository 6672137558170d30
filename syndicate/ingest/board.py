"""Press-release boards: a list page → the URLs of its detail pages (each then read by page.py)."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from syndicate.ingest.page import load_html
from syndicate.model import BoardSelectors

# Without selectors: links that look like a board's "view" of one post.
_VIEW = re.compile(r"mode=view|[?&](idx|nttId|newsId|no|seq|bbsIdx|articleNo|dataSid)=\d+|View\.do|/archives/\d+", re.I)


def board_links(text: str, base_url: str, selectors: BoardSelectors | None = None, limit: int = 30) -> list[str]:
    """Absolute, de-duplicated detail-page URLs in list order (newest first on every board we know)."""
    root = load_html(text)
    if selectors and selectors.list_item:
        anchors = []
        for item in root.cssselect(selectors.list_item):
            found = item.cssselect(selectors.list_link or "a[href]")
            if found:
                anchors.append(found[0])
    else:
        anchors = [
            a for a in root.iter("a") if _VIEW.search(a.get("href") or "") and len(a.text_content().strip()) >= 6
        ]
    host = urlsplit(base_url).hostname
    links: list[str] = []
    for anchor in anchors:
        href = (anchor.get("href") or "").strip()
        if not href or href.lower().startswith(("javascript:", "#", "mailto:")):
            continue
        url = urljoin(base_url, href)
        if urlsplit(url).hostname != host or url in links:
            continue  # a board lists its own posts; off-site links are banners
        links.append(url)
        if len(links) >= limit:
            break
    return links
