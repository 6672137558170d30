"""Corpus pages as the credit stage receives them: normalized, with the licence hint the ingest stage builds.

The hint is built the way syndicate/ingest does it: the own text, alt, title and href of every element that
mentions a licence mark, joined by " | ". The body is the page's article element(s), through the real normalize stage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import lxml.html

from syndicate.model import RawRelease, Release
from syndicate.normalize import normalize

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "credit"
CORPUS = FIXTURES.parent / "corpus"
_INGEST = FIXTURES.parent / "ingest"
#: The corpus pages (byte-identical copies of ../shared/corpus) live once, among the ingest fixtures, under the
#: edge case each pins; credit's expectations name them by their corpus name.
PAGES = {
    "kr-damyang-pressrelease-detail": _INGEST / "page_damyang_no_doctype_hwp.html",
    "kr-gangjin-pressrelease-detail": _INGEST / "page_gangjin_board_detail.html",
    "kr-gangjin-pressrelease-list": _INGEST / "board_gangjin_list.html",
    "kr-korea-kr-pressrelease-list": _INGEST / "board_korea_kr_list.html",
    "kr-seoul-news-detail": _INGEST / "page_seoul_wordpress_kogl4.html",
    "kr-shinan-pressrelease": _INGEST / "page_shinan_table_layout.html",
    "kr-wando-pressrelease-list": _INGEST / "board_wando_list_noisy.html",
}
MARKS = ("공공누리", "kogl", "kogl.or.kr", "출처표시", "상업적", "변경금지", "creativecommons.org")


def licence_hint(root: lxml.html.HtmlElement) -> str | None:
    """As syndicate/ingest builds it: each alt, title, href and own text (not the children's) that mentions a
    mark is one segment, once."""
    marks: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str) or el.tag in ("script", "style", "head", "meta"):
            continue
        own = " ".join(p.strip() for p in [el.text or "", *(c.tail or "" for c in el)] if p.strip())
        for value in (el.get("alt"), el.get("title"), el.get("href"), own):
            if value and any(mark in value.lower() for mark in MARKS):
                text = " ".join(value.split())
                if text not in marks:
                    marks.append(text)
    return " | ".join(marks) or None


@dataclass
class Case:
    name: str
    agency: str
    selectors: list[str]
    expected: dict[str, object]
    original_url: str | None = None


def cases() -> list[Case]:
    out = []
    for path in sorted(FIXTURES.glob("*.expected.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        out.append(Case(name=path.name.removesuffix(".expected.json"), **data))
    return out


def release_for(case: Case) -> Release:
    html = PAGES[case.name].read_text(encoding="utf-8")
    root = lxml.html.fromstring(html)
    body = "".join(lxml.html.tostring(el, encoding="unicode") for sel in case.selectors for el in root.cssselect(sel))
    assert body, f"{case.name}: selectors {case.selectors} found nothing"
    title = " ".join((root.findtext(".//title") or case.name).split())
    raw = RawRelease(title=title, body=body, url=case.original_url, licence_hint=licence_hint(root))
    return normalize(raw)
