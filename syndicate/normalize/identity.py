"""Who a release is, and what it says: identity for "seen again", a content hash for "changed", and a
near-duplicate fingerprint for "the same text from somewhere else".

- Identity: the source's GUID (scoped to the source), else the canonical URL (scheme and host lower-cased,
  default port, fragment and tracking parameters dropped, query sorted).
- Content hash: SHA-256 of title, subtitle and body as found; a new hash for the same identity is a correction.
- Fingerprint: a 64-bit SimHash over character 4-shingles of the visible text (letters and digits only,
  case-folded, NFKC, short bracketed asides left out), so reformatting, a dateline or a credit line moves only
  a few bits. Two releases are near-duplicates within ``NEAR_BITS`` (6).
- Quarters: the fingerprint's four 16-bit quarters, looked up as keys (multi-index hashing: in four indexed
  columns on PostgreSQL, in each process's own index on SQLite, store/nearindex.py). Two
  fingerprints within 6 bits have a quarter differing in at most one bit (were every quarter two bits or more
  apart, they would be 8 apart). More: unless some quarter is equal, every quarter differs and at most two
  differ in two bits or more (three would make 2 + 2 + 2 + 1 = 7), so two quarters differ in one bit, and any
  three quarters hold one of them. So looking up each quarter's value, and the 16 one-bit neighbours of the
  first three (``probes``, 52 keys; all four quarters' neighbours were 68) finds every near pair. A random
  release matches a probe with probability about 52/65536, so the candidates to check stay few as the store
  grows, and a release costs four index entries to store (the pairs of bytes this replaced cost 28 rows).
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
    """``fingerprint`` of every text, computed together: a poll's items go through numpy in a few passes instead
    of a dozen small array operations each (the same values as one by one)."""
    out: list[str | None] = [None] * len(texts)
    points, lengths = _fold_all(texts)
    starts = [0, *itertools.accumulate(lengths)][:-1]
    folded = [(i, start, length) for i, (start, length) in enumerate(zip(starts, lengths, strict=True))]
    folded = [entry for entry in folded if entry[2] >= SHINGLE * 2]
    if not folded:
        return out
    hashes = _shingle_hashes(points)
    # Each text's distinct shingles: its run of hashes sorted in place, repeats dropped. The shingles running
    # across the join of two texts lie between the runs and belong to neither (nor do a short text's).
    runs = []
    for _, start, length in folded:
        run = hashes[start : start + length - SHINGLE + 1]
        run.sort()
        distinct = np.empty(len(run), dtype=bool)
        distinct[0] = True
        np.not_equal(run[1:], run[:-1], out=distinct[1:])
        runs.append(run[distinct])
    counts = np.array([len(run) for run in runs])
    ones = _bit_counts(np.concatenate(runs), counts)
    # Bit i of the fingerprint is set when most of the text's shingles have it set.
    values = np.packbits(ones * 2 > counts[:, None], axis=1, bitorder="little").view("<u8")[:, 0]
    for (i, _, _), value in zip(folded, values.tolist(), strict=True):
        out[i] = f"{value:016x}"
    return out


def _fold_all(texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
    """``_fold_points`` of every text, end to end in one array, and each one's length in it. The texts are
    looked up in the tables together (one encoding, one lookup per table for a poll's items instead of one per
    item); should any of them need the slow path of ``_fold_points``, each is folded on its own."""
    prepared = [_ASIDES.sub("", _nfkc(text)) for text in texts]
    points = np.frombuffer("".join(prepared).encode("utf-32-le"), dtype=np.uint32)
    table = _alnum_table()
    folds, expands = _casefold_table()
    if not points.size or int(points.max()) >= len(table) or expands.take(points).any():
        each = [_fold_points(text) for text in texts]
        return (np.concatenate(each) if each else points), [len(f) for f in each]
    points = folds.take(points)
    keep = table.take(points)
    # letters and digits kept before each text's start (and the end): its length once filtered
    kept = np.concatenate(([0], np.cumsum(keep)))[[0, *itertools.accumulate(map(len, prepared))]].tolist()
    lengths = [b - a for a, b in itertools.pairwise(kept)]
    points = points[keep]
    if max(lengths, default=0) > _MAX_TEXT:  # rare: a text beyond the cap, cut to it
        pieces = [points[a : min(b, a + _MAX_TEXT)] for a, b in itertools.pairwise(kept)]
        return np.concatenate(pieces), [len(piece) for piece in pieces]
    return points, lengths


def _nfkc(text: str) -> str:
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


#: Rows summed at once in byte-wide counters (a byte holds up to 255)
_LANE_ROWS = 255


def _bit_counts(hashes: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """For each run of ``counts`` consecutive hashes, how many of them have each of the 64 bits set (runs ×
    64). The bits are unpacked one per byte and the bytes summed eight at a time as 64-bit lanes, one byte a
    counter (SWAR), over blocks of at most 255 rows so no counter carries into the next; then the blocks'
    byte counts are added up per run. Summing the unpacked bytes directly as integers (``np.add.reduceat``
    with an int64 accumulator, which this replaced) cost more than all the rest of the fingerprint."""
    bits = np.unpackbits(hashes.astype("<u8").view(np.uint8).reshape(-1, 8), axis=1, bitorder="little")
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    runs = zip(starts.tolist(), counts.tolist(), strict=True)
    blocks = np.concatenate([np.arange(start, start + count, _LANE_ROWS) for start, count in runs])
    per_block = np.add.reduceat(bits.view(np.uint64), blocks, axis=0).view(np.uint8)
    return np.add.reduceat(per_block, np.searchsorted(blocks, starts), axis=0, dtype=np.int64)


def _fold_points(text: str) -> np.ndarray:
    """Letters and digits only, case-folded, NFKC, short bracketed asides left out, at most _MAX_TEXT: as code
    points (uint32). Letters and digits are picked out with a table of str.isalnum() per code point; the regular
    expression ``[\\W_]+`` this replaced (the same characters: both are Python's Py_UNICODE_ISALNUM) cost more
    than the rest of the fingerprint. Case folding is a table too (``_casefold_table``): str.casefold() on
    Korean text cost half of the folding, character by character."""
    text = _ASIDES.sub("", _nfkc(text))
    points = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    table = _alnum_table()
    folds, expands = _casefold_table()
    if points.size and int(points.max()) < len(table) and not expands.take(points).any():
        points = folds.take(points)
        return points[table.take(points)][:_MAX_TEXT]
    # Rare: a character beyond the Basic Multilingual Plane or one folding to several ("ß" → "ss"), or no text.
    points = np.frombuffer(text.casefold().encode("utf-32-le"), dtype=np.uint32)
    if not points.size or int(points.max()) < len(table):
        keep = table.take(points)
    else:  # every character asked, one by one
        keep = np.array([chr(point).isalnum() for point in points.tolist()], dtype=bool)
    return points[keep][:_MAX_TEXT]


@functools.cache
def _alnum_table() -> np.ndarray:
    """str.isalnum() of every code point of the Basic Multilingual Plane (built once, a few milliseconds)."""
    return np.array([chr(point).isalnum() for point in range(0x10000)], dtype=bool)


@functools.cache
def _casefold_table() -> tuple[np.ndarray, np.ndarray]:
    """(the code point str.casefold() gives each code point of the Basic Multilingual Plane, whether it gives
    several instead): Python folds character by character, without context, so a text whose characters all
    fold to one is folded by looking each up (built once, about 10 ms). Surrogates fold to themselves."""
    folds = np.arange(0x10000, dtype=np.uint32)
    expands = np.zeros(0x10000, dtype=bool)
    for point in range(0x10000):
        folded = chr(point).casefold()
        if len(folded) == 1:
            folds[point] = ord(folded)
        else:
            expands[point] = True
    return folds, expands


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


#: How many bits each quarter's probes flip: every way of spreading NEAR_BITS differing bits over the four
#: quarters leaves some quarter k within RADII[k] bits (see the module's docstring; tests check every spread).
RADII = (1, 1, 1, 0)


def _masks(radius: int) -> list[int]:
    """XOR masks of every value within ``radius`` bits of a quarter (0 first: the value itself)."""
    return [sum(1 << bit for bit in bits) for r in range(radius + 1) for bits in itertools.combinations(range(16), r)]


#: Each quarter's masks (store/places.py ``near_duplicates`` and store/nearindex.py probe with them).
MASKS = [_masks(radius) for radius in RADII]


def quarters(fp: str) -> tuple[int, int, int, int]:
    """The fingerprint's 16-bit quarters, first hex digits first (the four indexed columns)."""
    return quarters_of(int(fp, 16))


def quarters_of(value: int) -> tuple[int, int, int, int]:
    """``quarters`` of a fingerprint given as its integer (the high 16 bits first)."""
    return value >> 48 & 0xFFFF, value >> 32 & 0xFFFF, value >> 16 & 0xFFFF, value & 0xFFFF


def probes(fp: str) -> list[tuple[int, int]]:
    """(quarter, value) keys that every fingerprint within NEAR_BITS of ``fp`` has at least one of: its quarter
    k XOR each of MASKS[k] (store/places.py ``near_duplicates`` looks a poll's keys up in SQL, store/nearindex.py
    in the process's index)."""
    return [(k, value ^ flip) for k, value in enumerate(quarters(fp)) for flip in MASKS[k]]
