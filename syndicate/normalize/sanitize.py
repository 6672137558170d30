"""Allow-list HTML sanitizing (nh3/ammonia): what is not listed here does not survive.

No script, style, iframe, object, form or event handler; URLs only http(s) and mailto; relative links made
absolute against the page's URL so that the HTML means the same wherever it is republished.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from urllib.parse import urljoin, urlsplit

import nh3

TAGS = {
    "p",
    "br",
    "hr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "code",
    "ul",
    "ol",
    "li",
    "dl",
    "dt",
    "dd",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "s",
    "sub",
    "sup",
    "small",
    "mark",
    "a",
    "img",
    "figure",
    "figcaption",
    "table",
    "caption",
    "thead",
    "tbody",
    "tfoot",
    "tr",
    "th",
    "td",
    "span",
    "div",
}
ATTRIBUTES = {
    "a": {"href", "title", "hreflang"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
    "*": {"lang"},
}
URL_SCHEMES = {"http", "https", "mailto"}
_URL_NOISE = re.compile(r"[\t\n\r]")


#: The page address relative URLs are resolved against, for the one cleaning under way (in this thread).
_BASE_URL: ContextVar[str | None] = ContextVar("sanitize_base_url", default=None)


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    if attr in ("href", "src"):
        # Browsers drop tabs and newlines inside URLs and trim control characters (WHATWG URL), so
        # "jav&#9;ascript:" is javascript: to them: judge the URL as they will read it.
        value = _URL_NOISE.sub("", value).strip("\x00- ")
        scheme = urlsplit(value).scheme.lower()
        if scheme and scheme not in URL_SCHEMES:
            return None
        base_url = _BASE_URL.get()
        if base_url:
            value = urljoin(base_url, value)
    return value


#: Built once: nh3.clean builds its sanitizer from these sets on every call, which cost twice the cleaning
#: itself (a feed item's body); the Cleaner holds the same allow-list ready.
_CLEANER = nh3.Cleaner(
    tags=TAGS,
    attributes=ATTRIBUTES,
    url_schemes=URL_SCHEMES,
    attribute_filter=_attribute_filter,
    link_rel="noopener noreferrer nofollow",
    strip_comments=True,
    # Dropped tags lose their content too, not just their markup (no script text left behind).
    clean_content_tags={
        "script",
        "style",
        "iframe",
        "object",
        "embed",
        "svg",
        "math",
        "noscript",
        "template",
        "textarea",
        "select",
        "button",
    },
)


def sanitize_html(html: str, base_url: str | None = None) -> str:
    """Clean ``html`` to the allow-list; make relative ``href``/``src`` absolute against ``base_url``."""
    token = _BASE_URL.set(base_url)
    try:
        return _CLEANER.clean(html)
    finally:
        _BASE_URL.reset(token)
