"""Serialized feed items, kept between renderings.

A change to one release re-renders every feed it is in, each in three formats, and each of those documents
holds up to 50 items, of which 49 are byte-for-byte what they were. Renderers therefore build a document as its
head, the items' serialized fragments and its tail; a fragment is serialized once and then reused for as long as
the item is the same. "The same" is decided by a hash of the whole item (every field, the credit and licence
included), never by ids or timestamps, so an edit to anything shown always serializes again.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable

from syndicate.publish.items import FeedItem

#: How a renderer asks for an item's fragment: (format, item, serializer) → bytes.
Fragment = Callable[[str, FeedItem, Callable[[FeedItem], bytes]], bytes]


def direct(kind: str, item: FeedItem, serialize: Callable[[FeedItem], bytes]) -> bytes:
    """No cache: serialize now."""
    return serialize(item)


def item_key(item: FeedItem) -> bytes:
    return hashlib.blake2b(item.model_dump_json().encode(), digest_size=20).digest()


class FragmentCache:
    """Fragments by (format, item hash), least recently used first out, bounded in bytes per process."""

    def __init__(self, max_bytes: int = 32 * 2**20) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self._fragments: OrderedDict[tuple[str, bytes], bytes] = OrderedDict()

    def get(self, kind: str, key: bytes, item: FeedItem, serialize: Callable[[FeedItem], bytes]) -> bytes:
        found = self._fragments.get((kind, key))
        if found is not None:
            self._fragments.move_to_end((kind, key))
            return found
        fragment = serialize(item)
        self._fragments[(kind, key)] = fragment
        self.size += len(fragment)
        while self.size > self.max_bytes and self._fragments:
            _, dropped = self._fragments.popitem(last=False)
            self.size -= len(dropped)
        return fragment

    def clear(self) -> None:
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
