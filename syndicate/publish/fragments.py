"""Serialized feed items, kept between renderings.

A change to one release re-renders every feed it is in, each in three formats, and each of those documents
holds up to 50 items, of which 49 are byte-for-byte what they were. Renderers therefore build a document as its
head, the items' serialized fragments and its tail; a fragment is serialized once and then reused for as long as
the item is the same. "The same" is decided by a hash of the whole item (every field, the credit and licence
included), never by ids or timestamps, so an edit to anything shown always serializes again.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable

from syndicate.publish.items import FeedItem

#: How a renderer asks for an item's fragment: (format, item, serializer) → bytes.
Fragment = Callable[[str, FeedItem, Callable[[FeedItem], bytes]], bytes]


def direct(kind: str, item: FeedItem, serialize: Callable[[FeedItem], bytes]) -> bytes:
    """No cache: serialize now."""
    return serialize(item)


def item_key(item: FeedItem) -> bytes:
    return hashlib.blake2b(item.model_dump_json().encode(), digest_size=20).digest()


class FragmentCache:
    """Fragments by item hash and format, least recently used item first out, bounded in bytes per process.

    Kept by item rather than by (format, item): the three formats of an item come and go together, and
    ``discard`` drops an item's fragments when the item cache lets the item go (itemcache.py)."""

    def __init__(self, max_bytes: int = 32 * 2**20) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._fragments: OrderedDict[bytes, dict[str, bytes]] = OrderedDict()
        # An API process may render from more than one thread; the size must stay the sum of what is kept.
        self._lock = threading.Lock()

    def get(self, kind: str, key: bytes, item: FeedItem, serialize: Callable[[FeedItem], bytes]) -> bytes:
        with self._lock:
            kinds = self._fragments.get(key)
            if kinds is not None:
                self._fragments.move_to_end(key)
                found = kinds.get(kind)
                if found is not None:
                    return found
        fragment = serialize(item)  # outside the lock: the slow part, and the same bytes whoever does it
        with self._lock:
            kinds = self._fragments.setdefault(key, {})
            self._fragments.move_to_end(key)
            if kind not in kinds:
                kinds[kind] = fragment
                self.size += len(fragment)
            while self.size > self.max_bytes and len(self._fragments) > 1:
                _, dropped = self._fragments.popitem(last=False)
                self.size -= sum(map(len, dropped.values()))
        return fragment

    def discard(self, keys: Iterable[bytes]) -> None:
        """Drop these items' fragments (every format)."""
        with self._lock:
            for key in keys:
                dropped = self._fragments.pop(key, None)
                if dropped is not None:
                    self.size -= sum(map(len, dropped.values()))

    def __len__(self) -> int:
        return len(self._fragments)

    def clear(self) -> None:
        with self._lock:
            self._fragments.clear()
            self.size = 0


def strip_declarations(fragment: bytes, tag: bytes, declarations: bytes) -> bytes:
    """An element serialized on its own repeats its ancestors' namespace declarations; inside the document they
    are already declared. Remove them exactly (they are ours and fixed), or fail loudly if lxml ever writes
    them otherwise."""
    prefix = b"<" + tag + declarations
    if not fragment.startswith(prefix):
        raise ValueError(f"unexpected serialization of <{tag.decode()}>: {fragment[:200]!r}")
    return b"<" + tag + fragment[len(prefix) :]
