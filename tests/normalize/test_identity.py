"""Identity, content hash and the near-duplicate fingerprint, on real Korean releases (Naju, from the corpus)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

from syndicate.model import RawRelease
from syndicate.normalize.identity import (
    NEAR_BITS,
    bands,
    canonical_url,
    content_hash,
    distance,
    fingerprint,
    identity,
    near,
)

NAJU = [
    item["content"]
    for item in json.loads(
        (
            Path(__file__).resolve().parent.parent / "fixtures" / "corpus" / "kr-naju-pressreleases-scraped.json"
        ).read_text("utf-8")
    )
]


def test_canonical_url() -> None:
    assert (
        canonical_url("HTTPS://WWW.Example.go.kr:443/p?b=2&a=1&utm_source=x#top")
        == "https://www.example.go.kr/p?a=1&b=2"
    )
    assert canonical_url("http://example.go.kr") == "http://example.go.kr/"
    assert canonical_url("http://example.go.kr:8080/x") == "http://example.go.kr:8080/x"


def test_identity_prefers_the_guid_then_the_url() -> None:
    assert identity(RawRelease(source_id="s", guid=" g1 ", url="https://a/1")) == "guid:s:g1"
    assert identity(RawRelease(url="https://A/1?utm_medium=rss")) == "url:https://a/1"
    assert identity(RawRelease(title="x")) is None


def test_content_hash_changes_with_the_text_only() -> None:
    a = RawRelease(title="t", body="b", url="https://a/1")
    assert content_hash(a) == content_hash(a.model_copy(update={"url": "https://b/2"}))
    assert content_hash(a) != content_hash(a.model_copy(update={"body": "b."}))


def test_an_outlet_copy_is_near_and_other_releases_are_far() -> None:
    for text in NAJU[:10]:
        copy = f"(포탈뉴스통신) {text} [뉴스출처 : 나주시]"
        assert near(fingerprint(text), fingerprint(copy))
        edited = text.replace("했다", "하였다", 1)
        assert distance(fingerprint(text) or "", fingerprint(edited) or "") <= NEAR_BITS
    closest = min(distance(fingerprint(a) or "", fingerprint(b) or "") for a, b in itertools.combinations(NAJU, 2))
    assert closest > 2 * NEAR_BITS, closest


def test_bands_find_every_near_pair() -> None:
    a = fingerprint(NAJU[0]) or ""
    # The worst case: NEAR_BITS bits flipped, each in a different byte.
    for skip in itertools.combinations(range(8), 8 - NEAR_BITS):
        mask = sum(1 << (8 * byte + byte % 8) for byte in range(8) if byte not in skip)
        flipped = f"{int(a, 16) ^ mask:016x}"
        assert distance(a, flipped) == NEAR_BITS
        assert set(bands(a)) & set(bands(flipped)), skip
    assert len(bands(a)) == 28
    assert fingerprint("짧다") is None
