"""What every summarizer promises: a Summary of a Release within a Budget."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from syndicate.config import Settings
from syndicate.model import Release, Summary


@dataclass(frozen=True)
class Budget:
    """At most ``sentences`` sentences and ``chars`` characters (sentences joined by one space)."""

    sentences: int = 3
    chars: int = 400

    @classmethod
    def from_settings(cls, settings: Settings) -> Budget:
        return cls(sentences=max(1, settings.summary_sentences), chars=max(20, settings.summary_chars))

    def fits(self, chosen: list[str], candidate: str) -> bool:
        if len(chosen) >= self.sentences:
            return False
        return joined_length([*chosen, candidate]) <= self.chars


def joined_length(sentences: list[str]) -> int:
    return sum(len(s) for s in sentences) + max(0, len(sentences) - 1)


def shorten(text: str, chars: int) -> str:
    """Cut a text that alone is over budget at a word boundary, marking the cut."""
    if len(text) <= chars:
        return text
    cut = text[: chars - 1]
    space = cut.rfind(" ")
    if space > chars // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:·") + "…"


class Summarizer(Protocol):
    #: recorded on the Summary ("extractive", "abstractive")
    method: str

    def summarize(self, release: Release, budget: Budget) -> Summary: ...
