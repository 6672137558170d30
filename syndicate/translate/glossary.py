"""Official names stay exact: protect glossary terms (and HTML tags) from providers, then put them back.

Before a segment leaves us, each agency name and glossary term with a known form in the target language, and
each HTML tag, is replaced by a numbered placeholder ``⟦0⟧``, ``⟦1⟧`` ... that providers leave alone. After
translation the placeholders are replaced by the exact target forms (or the tags). If a provider drops,
duplicates or invents a placeholder, ``restore`` says so (None) and the caller falls back to translating the
text between the terms piece by piece and re-inserting the exact terms itself; either way the official name
in the output is exactly the registry's.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field

from syndicate.model import GlossaryTerm
from syndicate.registry import Registry

_FOUND = re.compile(r"⟦\s*(\d+)\s*⟧")
_TAG = r"<[a-zA-Z/!][^<>]*>"
#: Korean particles that stick to a noun; alone they would be "translated" into nonsense in the fallback.
_PARTICLE = re.compile(r"^(?:으로|에서|에게|까지|부터|은|는|이|가|을|를|의|에|와|과|로|도|만)(?=[\s,.]|$)")
#: Target languages written without spaces between words.
_UNSPACED = ("ja", "zh", "th")


def placeholder(index: int) -> str:
    return f"⟦{index}⟧"


@dataclass(frozen=True)
class Masked:
    """A segment as the provider sees it: placeholders where the protected parts were."""

    text: str
    slots: tuple[str, ...] = ()
    #: which slots are HTML tags (copied as they are) rather than terms
    tags: frozenset[int] = field(default_factory=frozenset)

    def restore(self, translated: str) -> str | None:
        """The translation with every placeholder replaced, or None when the placeholders did not survive
        (dropped, duplicated, invented, or HTML tags out of their order)."""
        order = [int(n) for n in _FOUND.findall(translated)]
        if sorted(order) != list(range(len(self.slots))):
            return None
        # Terms may move with the sentence; tags may not (a reordered </b><b> is broken markup).
        tag_order = [n for n in order if n in self.tags]
        if tag_order != sorted(tag_order):
            return None
        return _FOUND.sub(lambda m: self.slots[int(m.group(1))], translated)

    def pieces(self, source: str) -> list[str]:
        """The text between placeholders (len(slots) + 1 pieces), for the piece-by-piece fallback."""
        parts = _FOUND.split(self.text)[0::2]
        if source == "ko":
            # A particle right after a term belongs to the term (whose exact form we insert); after a tag it
            # belongs to the word inside the tag and stays.
            parts = [parts[0], *(p if i in self.tags else _PARTICLE.sub("", p) for i, p in enumerate(parts[1:]))]
        return parts

    def join(self, translated_pieces: list[str], target: str) -> str:
        out = translated_pieces[0]
        for slot, piece in zip(self.slots, translated_pieces[1:], strict=True):
            out = _glue(_glue(out, slot, target), piece, target)
        return out


def _glue(left: str, right: str, target: str) -> str:
    spaced = not target.startswith(_UNSPACED)
    if spaced and left and right and not left[-1].isspace() and not right[0].isspace():
        if left[-1].isalnum() and (right[0].isalnum() or right[0] in "(“\"'"):
            return left + " " + right
    return left + right


class Glossary:
    """Terms by source language, each with its forms in target languages."""

    def __init__(self, terms: Iterable[GlossaryTerm] = ()) -> None:
        self._targets: dict[tuple[str, str], dict[str, str]] = {}
        self._patterns: dict[tuple[str, str], re.Pattern[str] | None] = {}
        self._terms: dict[tuple[str, str], dict[str, str]] = {}
        for term in terms:
            key = (term.language, term.source.strip())
            if key[1]:
                self._targets.setdefault(key, {}).update(term.targets)

    def __len__(self) -> int:
        return len(self._targets)

    def target_form(self, term: str, source: str, target: str) -> str | None:
        forms = self._targets.get((source, term), {})
        return forms.get(target) or forms.get(target.split("-")[0])

    def terms(self, source: str, target: str) -> dict[str, str]:
        """Every term of ``source`` that has a form in ``target``. Computed once per language pair: protect()
        needs it for every segment, and walking every term of the registry each time cost tens of ms of CPU
        per release. The glossary does not change after it is built (a new registry builds a new one)."""
        key = (source, target)
        cached = self._terms.get(key)
        if cached is None:
            cached = {}
            for (lang, term), _forms in self._targets.items():
                form = self.target_form(term, lang, target) if lang == source else None
                if form:
                    cached[term] = form
            self._terms[key] = cached
        return cached

    def _pattern(self, source: str, target: str) -> re.Pattern[str] | None:
        key = (source, target)
        if key not in self._patterns:
            terms = sorted(self.terms(source, target), key=len, reverse=True)
            alternatives = [_TAG, *(re.escape(t) for t in terms)]
            self._patterns[key] = re.compile("|".join(alternatives))
        return self._patterns[key]

    def protect(self, text: str, source: str, target: str) -> Masked:
        """``text`` with terms (longest first) and HTML tags replaced by placeholders."""
        pattern = self._pattern(source, target)
        if pattern is None:
            return Masked(text)
        # Our placeholder brackets in the text itself would be mistaken for placeholders.
        text = text.replace("⟦", "[").replace("⟧", "]")
        forms = self.terms(source, target)
        slots: list[str] = []
        tags: set[int] = set()

        def mark(match: re.Match[str]) -> str:
            found = match.group(0)
            if found.startswith("<"):
                tags.add(len(slots))
                slots.append(found)
            else:
                slots.append(forms[found])
            return placeholder(len(slots) - 1)

        masked = pattern.sub(mark, text)
        return Masked(masked, tuple(slots), frozenset(tags))


_built: tuple[Registry, int, int, Glossary] | None = None
_built_lock = threading.Lock()


def from_registry(registry: Registry) -> Glossary:
    """Agency names (ko → en official names) and the terms of feeds/glossary/*.toml (which win).

    One glossary per registry object, so its per-language-pair terms and patterns are built once and not on
    every translate call; a reloaded registry is a new object and gets a new glossary."""
    global _built
    with _built_lock:
        # The sizes too: an agency added to a loaded registry must not be missed.
        if _built is not None and _built[:3] == (registry, len(registry.agencies), len(registry.glossary)):
            return _built[3]
        terms = [
            GlossaryTerm(source=agency.name.ko, language="ko", targets={"en": agency.name.en})
            for agency in registry.agencies.values()
        ]
        glossary = Glossary([*terms, *registry.glossary])
        _built = (registry, len(registry.agencies), len(registry.glossary), glossary)
        return glossary
