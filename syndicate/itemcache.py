"""Feed items, and the parsed content they are built from, kept between the render passes of one process.

Every pass re-reads the newest releases of each scope it renders and, per release, parsed its stored content,
built an item per language and bilingual pair (seven with three target languages) and hashed each item for its
serialized fragment (publish/fragments.py): about a third of a pass at 22 releases, for items of which all but
one release's were the same as in the previous pass. A pass now takes an item from here when every input it is
built from equals, by value, the inputs it was built from last time (the release's row fields, its parsed
content, the translation shown, the summaries, the base URL), and parsed content when the stored JSON is equal.
Nothing is trusted by id, version or timestamp alone: content rewritten in place under the same version (credit
run again) differs by value, so it is parsed and built again.

What is kept follows what the feeds show. Each render of a scope tells ``SHOWN`` which releases it showed; a
release that no feed rendered in this process shows any more (it fell below the newest of every scope it was in)
is dropped from every cache here, with its items' serialized fragments. Without that the caches filled up to
their bounds with releases no feed would ask for again, and a process's memory grew with every release published
until then (about 43 MB per process over the first 4,500 releases). The bounds stay, for a service whose feeds
together show more releases than they hold, and for what a corrected release's earlier version left here (kept
until the release leaves every feed, or the bound pushes it out: corrections are rare).
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from syndicate.model import Release, Translation
from syndicate.publish.fragments import FragmentCache
from syndicate.publish.items import FeedItem

K = TypeVar("K")
V = TypeVar("V")


class KeptByInputs(Generic[K, V]):
    """Values by key, each valid only for the inputs it was made from; least recently used first out. Keys are
    tuples whose first element is the release they belong to (``forget``). ``on_drop`` is told of every value
    that leaves, replaced, evicted or forgotten."""

    def __init__(self, size: int, on_drop: Callable[[V], None] | None = None) -> None:
        self.size = size
        self.on_drop = on_drop
        self._entries: OrderedDict[K, tuple[Any, V]] = OrderedDict()
        # An API process may render from more than one thread; reordering and evicting must not interleave.
        self._lock = threading.Lock()

    def get(self, key: K, inputs: Any) -> V | None:
        """The value kept for ``key`` if it was made from inputs equal to ``inputs``, else None."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
        # Compared outside the lock: equal inputs are usually the very same objects, unequal ones can be long.
        return entry[1] if entry[0] == inputs else None

    def put(self, key: K, inputs: Any, value: V) -> V:
        with self._lock:
            replaced = self._entries.get(key)
            self._entries[key] = (inputs, value)
            self._entries.move_to_end(key)
            dropped = [replaced[1]] if replaced is not None and replaced[1] is not value else []
            while len(self._entries) > self.size:
                dropped.append(self._entries.popitem(last=False)[1][1])
        self._dropped(dropped)
        return value

    def forget(self, releases: set[str]) -> None:
        """Drop every value kept for these releases. One pass over the keys: called once per render pass, and
        the cache holds about what the feeds show."""
        if not releases:
            return
        with self._lock:
            keys = [key for key in self._entries if key[0] in releases]  # type: ignore[index]
            dropped = [self._entries.pop(key)[1] for key in keys]
        self._dropped(dropped)

    def _dropped(self, values: list[V]) -> None:
        if self.on_drop is not None:
            for value in values:
                self.on_drop(value)

    def releases(self) -> set[Any]:
        """The releases something is kept for."""
        with self._lock:
            return {key[0] for key in self._entries}  # type: ignore[index]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass
class Built:
    """An item as built (None: the release does not show in that language), and its fragment hash once a
    renderer asked for it (it goes with the item: the same item, the same hash)."""

    item: FeedItem | None
    key: bytes | None = None


class ShownBy:
    """Which releases each scope showed when this process last rendered it, and how many scopes show each."""

    def __init__(self) -> None:
        self._scopes: dict[str, frozenset[str]] = {}
        self._count: Counter[str] = Counter()
        self._lock = threading.Lock()

    def show(self, shown: Mapping[str, Iterable[str]]) -> set[str]:
        """Record what these scopes show now (scope key → release ids); returns the releases no scope shows any
        more."""
        gone: set[str] = set()
        with self._lock:
            for scope, ids in shown.items():
                now = frozenset(ids)
                before = self._scopes.get(scope, frozenset())
                self._scopes[scope] = now
                self._count.update(now - before)
                for release_id in before - now:
                    self._count[release_id] -= 1
                    if self._count[release_id] <= 0:
                        del self._count[release_id]
                        gone.add(release_id)
            # A release that left one scope of this batch and entered another is still shown.
            return {release_id for release_id in gone if release_id not in self._count}

    def __contains__(self, release_id: str) -> bool:
        return release_id in self._count

    def clear(self) -> None:
        with self._lock:
            self._scopes.clear()
            self._count.clear()


#: Serialized items of this process's renderings (publish/fragments.py), dropped with their items.
FRAGMENTS = FragmentCache()


def _drop_fragments(built: Built) -> None:
    if built.key is not None:
        FRAGMENTS.discard([built.key])


#: (release id, version) → its parsed content, valid for the stored JSON it was parsed from. A scope shows 50
#: releases; agency and category scopes reach older ones.
CONTENT: KeptByInputs[tuple[str, int], Release | None] = KeptByInputs(1024)
#: (release id, language) → its shown translation, parsed, valid for the stored JSON it was parsed from.
TRANSLATIONS: KeptByInputs[tuple[str, str], Translation] = KeptByInputs(4096)
#: (release id, version, language, source language of a bilingual item) → the item built.
ITEMS: KeptByInputs[tuple[str, int, str, str | None], Built] = KeptByInputs(4096, on_drop=_drop_fragments)
#: The releases the feeds rendered here show: what the caches above are for.
SHOWN = ShownBy()


def showing(shown: dict[str, list[str]]) -> None:
    """A render pass's scopes and the releases each showed: the releases no rendered feed shows any more leave
    every cache (their items' fragments with them)."""
    gone = SHOWN.show(shown)
    if gone:
        CONTENT.forget(gone)
        TRANSLATIONS.forget(gone)
        ITEMS.forget(gone)


def clear() -> None:
    CONTENT.clear()
    TRANSLATIONS.clear()
    ITEMS.clear()
    FRAGMENTS.clear()
    SHOWN.clear()
