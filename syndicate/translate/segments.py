"""Cutting text into pieces a provider accepts, and putting the translations back together.

A release is translated as segments (title, subtitle, each paragraph) so its structure survives. A segment
longer than a provider's limit is cut at sentence boundaries (then at spaces, then anywhere, never inside a
placeholder) into chunks; ``"".join(split_text(text, n)) == text`` always holds, so nothing is ever lost or
truncated. The whitespace around each chunk is kept aside and put back around its translation, because
providers strip it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: The end of a sentence: CJK full stops, or Latin/Korean terminal punctuation (with closing quotes) before
#: whitespace, or a line break.
_SENTENCE_END = re.compile(r"[。！？]+[\"'”’)\]」』]*\s*|[.!?…]+[\"'”’)\]」』]*\s+|\n+")
_SPACE = re.compile(r"\s+")
_PLACEHOLDER_OPEN = "⟦"
_PLACEHOLDER_CLOSE = "⟧"


def sentences(text: str) -> list[str]:
    """The sentences of ``text``, each with the whitespace that follows it (they join back to ``text``)."""
    out: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        if match.end() > start:
            out.append(text[start : match.end()])
            start = match.end()
    if start < len(text):
        out.append(text[start:])
    return out


def split_text(text: str, limit: int) -> list[str]:
    """Chunks of at most ``limit`` characters that join back to exactly ``text``, cut at the best boundary."""
    if limit < 8:
        raise ValueError("a chunk limit under 8 characters cannot hold a placeholder")
    if len(text) <= limit:
        return [text]
    chunks: list[str] = []
    current = ""
    for piece in _pieces(text, limit):
        if current and len(current) + len(piece) > limit:
            chunks.append(current)
            current = ""
        current += piece
    if current:
        chunks.append(current)
    return chunks


def _pieces(text: str, limit: int) -> list[str]:
    """Sentences, with any sentence over the limit broken at spaces, and any word over it broken hard."""
    out: list[str] = []
    for sentence in sentences(text):
        if len(sentence) <= limit:
            out.append(sentence)
            continue
        for word in _words(sentence):
            out.extend(_hard_cut(word, limit) if len(word) > limit else [word])
    return out


def _words(text: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _SPACE.finditer(text):
        out.append(text[start : match.end()])
        start = match.end()
    if start < len(text):
        out.append(text[start:])
    return [w for w in out if w]


def _hard_cut(word: str, limit: int) -> list[str]:
    out = []
    while len(word) > limit:
        cut = limit
        # Never cut a placeholder in two: the provider would see half a marker.
        opened = word.rfind(_PLACEHOLDER_OPEN, 0, cut)
        if opened > 0 and word.rfind(_PLACEHOLDER_CLOSE, 0, cut) < opened:
            cut = opened
        out.append(word[:cut])
        word = word[cut:]
    out.append(word)
    return out


@dataclass(frozen=True)
class Chunk:
    """One request's worth of text: ``core`` goes to the provider, ``lead``/``trail`` whitespace stays here."""

    lead: str
    core: str
    trail: str

    def wrap(self, translated: str) -> str:
        return self.lead + translated.strip() + self.trail


def chunks_for(text: str, limit: int) -> list[Chunk]:
    out = []
    for part in split_text(text, limit):
        core = part.strip()
        if not core:
            out.append(Chunk(part, "", ""))
            continue
        lead = part[: len(part) - len(part.lstrip())]
        trail = part[len(part.rstrip()) :]
        out.append(Chunk(lead, core, trail))
    return out


def join_chunks(chunks: list[Chunk], translations: dict[str, str]) -> str:
    """The translated segment: each chunk's translation inside its own whitespace, in order."""
    return "".join(c.lead if not c.core else c.wrap(translations[c.core]) for c in chunks)
