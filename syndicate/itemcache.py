"""Feed items, and the parsed content they are built from, kept between the render passes of one process.

Every pass re-reads the newest releases of each scope it renders and, per release, parsed its stored content,
built an item per language and bilingual pair (seven with three target languages) and hashed each item for its
serialized fragment (publish/fragments.py): about a third of a pass at 22 releases, for items of which all but
one release's were the same as in the previous pass. A pass now takes an item from here when every input it is
built from equals, by value, the inputs it was built from last time (the release's row fields, its parsed
content, the translation shown, the summaries, the base URL), and parsed content when the stored JSON is equal.
Nothing is trusted by id, version or timestamp alone: content rewritten in place under the same version (credit
run again) differs by value, so it is parsed and built again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from syndicate.model import Release, Translation
from syndicate.publish.items import FeedItem

K = TypeVar("K")
V = TypeVar("V")


class KeptByInputs(Generic[K, V]):
    """Values by key, each valid only for the inputs it was made from; least recently used first out."""

    def __init__(self, size: int) -> None:
        self.size = size
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
            self._entries[key] = (inputs, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass
class Built:
    """An item as built (None: the release does not show in that language), and its fragment hash once a
    renderer asked for it (it goes with the item: the same item, the same hash)."""

    item: FeedItem | None
    key: bytes | None = None


#: (release id, version) → its parsed content, valid for the stored JSON it was parsed from. A scope shows 50
#: releases; agency and category scopes reach older ones.
CONTENT: KeptByInputs[tuple[str, int], Release | None] = KeptByInputs(1024)
#: (release id, language) → its shown translation, parsed, valid for the stored JSON it was parsed from.
TRANSLATIONS: KeptByInputs[tuple[str, str], Translation] = KeptByInputs(4096)
#: (release id, version, language, source language of a bilingual item) → the item built.
ITEMS: KeptByInputs[tuple[str, int, str, str | None], Built] = KeptByInputs(4096)


def clear() -> None:
    CONTENT.clear()
    TRANSLATIONS.clear()
    ITEMS.clear()
