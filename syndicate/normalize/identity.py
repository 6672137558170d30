"""Who a release is, and what it says: identity for "seen again", a content hash for "changed", and a
near-duplicate fingerprint for "the same text from somewhere else".

- Identity: the source's GUID (scoped to the source), else the canonical URL (scheme and host lower-cased,
  default port, fragment and tracking parameters dropped, query sorted).
- Content hash: SHA-256 of title, subtitle and body as found; a new hash for the same identity is a correction.
- Fingerprint: a 64-bit SimHash over character 4-shingles of the visible text (letters and digits only,
  case-folded, NFKC, short bracketed asides left out), so reformatting, a dateline or a credit line moves only
  a few bits. Two releases are near-duplicates within ``NEAR_BITS`` (6).
- Quarters: the fingerprint's four 16-bit quarters, stored as four indexed columns (multi-index hashing). Two
  fingerprints within 6 bits have a quarter differing in at most one bit (were every quarter two bits or more
  apart, they would be 8 apart), so looking up each quarter's value and its 16 one-bit neighbours (``probes``,
  68 keys) finds every near pair. A random release matches a probe with probability about 68/65536, so the
  candidates to check stay few as the store grows, and a release costs four index entries to store (the pairs
  of bytes this replaced cost 28 rows).
"""

from __future__ import annotations

import functools
import hashlib
import html
import itertools
import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import numpy as np

from syndicate.model import RawRelease

NEAR_BITS = 6
SHINGLE = 4
_MAX_TEXT = 4000
_TAGS = re.compile(r"<[^>]+>")
# Short bracketed asides: datelines "(포탈뉴스통신)", credit lines "[뉴스출처 : 인천시]", "(사진 제공-나주시)". They
# differ between copies of one text, so they are left out of the fingerprint (on both sides alike).
_ASIDES = re.compile(r"[(\[【〔<][^()\[\]【】〔〕<>]{0,40}[)\]】〕>]")
_TRACKING = re.compile(r"^(utm_\w+|fbclid|gclid|mc_cid|mc_eid|ref|from)$", re.I)


def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower() or "http"
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = host if port in (None, 80 if scheme == "http" else 443) else f"{host}:{port}"
    query = sorted((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not _TRACKING.match(k))
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def identity(raw: RawRelease) -> str | None:
    """``guid:<source>:<guid>``, else ``url:<canonical url>``; None when the release has neither."""
    if raw.guid:
        return f"guid:{raw.source_id or '-'}:{raw.guid.strip()}"[:1000]
    if raw.url:
        return f"url:{canonical_url(raw.url)}"[:1000]
    return None


def content_hash(raw: RawRelease) -> str:
    text = "\x1f".join((raw.title, raw.subtitle or "", raw.body))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def visible_text(raw: RawRelease) -> str:
    body = html.unescape(_TAGS.sub(" ", raw.body)) if raw.body_is_html else raw.body
    return f"{raw.title} {body}"


def fingerprint(text: str) -> str | None:
    """64-bit SimHash as 16 hex digits; None for text too short to say anything."""
    return fingerprints([text])[0]


def fingerprints(texts: Sequence[str]) -> list[str | None]:
    """``fingerprint`` of every text, computed together: a poll's items go through numpy in one pass instead of
    a dozen small array operations each (the same values as one by one)."""
    out: list[str | None] = [None] * len(texts)
    folded = [(i, f) for i, f in enumerate(_fold_points(text) for text in texts) if len(f) >= SHINGLE * 2]
    if not folded:
        return out
    lengths = np.array([len(f) for _, f in folded])
    hashes = _shingle_hashes(np.concatenate([f for _, f in folded]))
    # Shingles running across the join of two texts belong to neither.
    ends = np.cumsum(lengths)
    within = np.ones(len(hashes), dtype=bool)
    for end in ends[:-1]:
        within[end - SHINGLE + 1 : end] = False
    text_of = np.repeat(np.arange(len(folded)), lengths - SHINGLE + 1)
    hashes = hashes[within]
    # Each text's distinct shingles: every text's run sorted in place (the runs are in text order), repeats
    # within a run dropped.
    bounds = [0, *np.cumsum(lengths - SHINGLE + 1).tolist()]  # (np.r_ costs more than the sorts)
    for start, stop in itertools.pairwise(bounds):
        hashes[start:stop].sort()
    first = np.ones(len(hashes), dtype=bool)
    first[1:] = (hashes[1:] != hashes[:-1]) | (text_of[1:] != text_of[:-1])
    hashes, text_of = hashes[first], text_of[first]
    starts = np.flatnonzero(np.concatenate(([True], text_of[1:] != text_of[:-1])))
    counts = np.diff(np.append(starts, len(hashes)))
    # Bit i of every hash, counted per text: bit i of the fingerprint is set when most shingles have it set.
    bits = np.unpackbits(hashes.astype("<u8").view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    ones = np.add.reduceat(bits, starts, axis=0, dtype=np.int64)
    values = np.packbits(ones * 2 > counts[:, None], axis=1, bitorder="little").view("<u8")[:, 0]
    for (i, _), value in zip(folded, values.tolist(), strict=True):
        out[i] = f"{value:016x}"
    return out


def _fold_points(text: str) -> np.ndarray:
    """Letters and digits only, case-folded, NFKC, short bracketed asides left out, at most _MAX_TEXT: as code
    points (uint32). Letters and digits are picked out with a table of str.isalnum() per code point; the regular
    expression ``[\\W_]+`` this replaced (the same characters: both are Python's Py_UNICODE_ISALNUM) cost more
    than the rest of the fingerprint."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    points = np.frombuffer(_ASIDES.sub("", text).casefold().encode("utf-32-le"), dtype=np.uint32)
    table = _alnum_table()
    if not points.size or int(points.max()) < len(table):
        keep = table.take(points)
    else:  # some beyond the Basic Multilingual Plane (rare): every character asked, one by one
        keep = np.array([chr(point).isalnum() for point in points.tolist()], dtype=bool)
    return points[keep][:_MAX_TEXT]


@functools.cache
def _alnum_table() -> np.ndarray:
    """str.isalnum() of every code point of the Basic Multilingual Plane (built once, a few milliseconds)."""
    return np.array([chr(point).isalnum() for point in range(0x10000)], dtype=bool)


def _shingle_hashes(folded: np.ndarray) -> np.ndarray:
    """A 64-bit hash of every run of SHINGLE characters (``folded``: code points), all at once: the code points
    are combined into one number per shingle, then scrambled with the SplitMix64 finalizer so every output bit
    depends on every character. Stable across processes and versions (unlike hash()), and no Python loop per
    shingle."""
    points = folded.astype(np.uint64)
    count = len(points) - SHINGLE + 1
    with np.errstate(over="ignore"):
        mixed = np.zeros(count, dtype=np.uint64)
        for offset in range(SHINGLE):
            mixed = mixed * np.uint64(0x100000001B3) + points[offset : offset + count]
        mixed = mixed + np.uint64(0x9E3779B97F4A7C15)
        mixed = (mixed ^ (mixed >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        mixed = (mixed ^ (mixed >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return mixed ^ (mixed >> np.uint64(31))


def distance(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


def near(a: str | None, b: str | None, bits: int = NEAR_BITS) -> bool:
    return a is not None and b is not None and distance(a, b) <= bits


#: XOR masks of every value within NEAR_BITS // 4 bits of a quarter (0 first: the value itself)
_FLIPS = [
    sum(1 << bit for bit in bits)
    for radius in range(NEAR_BITS // 4 + 1)
    for bits in itertools.combinations(range(16), radius)
]


def quarters(fp: str) -> tuple[int, int, int, int]:
    """The fingerprint's 16-bit quarters, first hex digits first (the four indexed columns)."""
    return int(fp[0:4], 16), int(fp[4:8], 16), int(fp[8:12], 16), int(fp[12:16], 16)


def probes(fp: str) -> list[tuple[int, int]]:
    """(quarter, value) keys that every fingerprint within NEAR_BITS of ``fp`` has at least one of."""
    return [(k, value ^ flip) for k, value in enumerate(quarters(fp)) for flip in _FLIPS]
