"""Identity, content hash and the near-duplicate fingerprint, on real Korean releases (Naju, from the corpus)."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from syndicate.model import RawRelease
from syndicate.normalize.identity import (
    NEAR_BITS,
    RADII,
    canonical_url,
    content_hash,
    distance,
    fingerprint,
    fingerprints,
    identity,
    near,
    probes,
    quarters,
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


def test_probes_find_every_near_pair() -> None:
    a = fingerprint(NAJU[0]) or ""
    keys = set(probes(a))
    assert len(keys) == 4 + 3 * 16  # every quarter's value, and the one-bit neighbours of three of them
    # Every way of spreading up to NEAR_BITS differing bits over the four quarters leaves a quarter within the
    # bits its probes flip (so the quarter missing from the neighbours is never the only one close enough).
    for spread in itertools.product(range(NEAR_BITS + 1), repeat=4):
        if sum(spread) <= NEAR_BITS:
            assert any(bits <= radius for bits, radius in zip(spread, RADII, strict=True)), spread
    # The worst cases: NEAR_BITS bits flipped, spread over the quarters in every way (two bits in each of three
    # quarters leaves the fourth exact; one quarter always has one bit or none).
    rng = random.Random(7)
    for _ in range(2000):
        mask = sum(1 << bit for bit in rng.sample(range(64), NEAR_BITS))
        flipped = f"{int(a, 16) ^ mask:016x}"
        assert distance(a, flipped) == NEAR_BITS
        assert keys & set(enumerate(quarters(flipped))), flipped
    for bits in itertools.combinations(range(4), 3):  # two bits in each of three quarters
        mask = sum(0b11 << (16 * quarter + 5) for quarter in bits)
        assert keys & set(enumerate(quarters(f"{int(a, 16) ^ mask:016x}")))
    # and a fingerprint two bits away in every quarter (8 bits) is not a probe's match
    far = f"{int(a, 16) ^ sum(0b11 << (16 * quarter) for quarter in range(4)):016x}"
    assert not keys & set(enumerate(quarters(far)))
    assert fingerprint("짧다") is None


def test_fingerprints_of_a_batch_are_those_of_each_text() -> None:
    # Stored fingerprints are compared with new ones: the values must not drift between versions.
    assert [fingerprint(text) for text in NAJU[:3]] == ["9a0434c174206b09", "fbc6ab97a1b9b8a1", "e0d12454b3c4f48f"]
    texts = [*NAJU[:6], "짧다", "", "1234567", f"(포탈뉴스통신) {NAJU[0]} [뉴스출처 : 나주시]", NAJU[0] * 3]
    assert fingerprints(texts) == [fingerprints([text])[0] for text in texts]
    assert fingerprints([]) == []


def test_folding_by_code_point_table_keeps_exactly_what_the_regex_keeps() -> None:
    # The fingerprint folds text with a table of str.isalnum() (normalize/identity.py); the regular expression
    # it replaced is the definition. Every code point alone, then mixed texts (Hangul, compatibility forms,
    # characters beyond the BMP, underscores, asides).
    import re
    import unicodedata

    import numpy as np

    from syndicate.normalize import identity as ident

    word = re.compile(r"[\W_]+")
    for point in itertools.chain(range(0xD800), range(0xE000, 0x110000, 7)):
        char = chr(point)
        assert bool(word.sub("", char)) == char.isalnum(), hex(point)
    rng = random.Random(3)
    texts = [*NAJU[:20], "Straße ＡＢＣ ①②③ 𝐀𝐁𝐂 😀 snake_case (사진=나주시) [뉴스] ß ﬁ Ⅻ ½ ٣", ""]
    texts += ["".join(chr(rng.randrange(0x20, 0x2FFFF)) for _ in range(200)) for _ in range(50)]
    for text in texts:
        text = "".join(c for c in text if not 0xD800 <= ord(c) <= 0xDFFF)
        expected = word.sub("", ident._ASIDES.sub("", unicodedata.normalize("NFKC", text)).casefold())[
            : ident._MAX_TEXT
        ]
        assert np.array_equal(ident._fold_points(text), np.frombuffer(expected.encode("utf-32-le"), dtype=np.uint32))


def _reference_fingerprint(text: str) -> str | None:
    """The SimHash as normalize/identity.py defines it, written plainly, one shingle at a time in Python
    integers: the definition the vectorized code (tables, sorted runs, byte-lane bit counts) must match."""
    import re
    import unicodedata

    from syndicate.normalize import identity as ident

    mask = (1 << 64) - 1
    folded = re.sub(r"[\W_]+", "", ident._ASIDES.sub("", unicodedata.normalize("NFKC", text)).casefold())
    folded = folded[: ident._MAX_TEXT]
    if len(folded) < ident.SHINGLE * 2:
        return None
    shingles = set()
    for start in range(len(folded) - ident.SHINGLE + 1):
        mixed = 0
        for char in folded[start : start + ident.SHINGLE]:
            mixed = (mixed * 0x100000001B3 + ord(char)) & mask
        mixed = (mixed + 0x9E3779B97F4A7C15) & mask
        mixed = ((mixed ^ (mixed >> 30)) * 0xBF58476D1CE4E5B9) & mask
        mixed = ((mixed ^ (mixed >> 27)) * 0x94D049BB133111EB) & mask
        shingles.add(mixed ^ (mixed >> 31))
    value = sum(1 << bit for bit in range(64) if 2 * sum(h >> bit & 1 for h in shingles) > len(shingles))
    return f"{value:016x}"


def test_fingerprints_match_the_plain_definition() -> None:
    # Korean releases (long ones: more than 255 distinct shingles, the byte-lane counters' block; one beyond
    # the 4000 characters kept), their outlet copies, and texts with the characters that take the slow folding
    # path (ß, ﬁ, İ, beyond the BMP), in a batch of their own and among others.
    texts = [*NAJU[:8], NAJU[1] * 4, " ".join(NAJU[10:22]), f"(포탈뉴스통신) {NAJU[2]} [뉴스출처 : 나주시]"]
    assert fingerprints(texts) == [_reference_fingerprint(text) for text in texts]
    odd = ["Straße İstanbul ﬁne 𝐀𝐁𝐂 😀 ΑΣ ͅ", "ǅemal", NAJU[4] + "😀"]
    assert fingerprints([*odd, *texts]) == [_reference_fingerprint(text) for text in [*odd, *texts]]
    assert [fingerprint(text) for text in NAJU[:3]] == [_reference_fingerprint(text) for text in NAJU[:3]]


_ALPHABET = "가나다라마바사아자차카타파하 한국어보도자료 aAbBzZ09 ßİıΣσςﬁ①Ａ𝐀😀 ()[]<>【】_-.,\n"


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(alphabet=_ALPHABET, max_size=300) | st.text(max_size=60), max_size=12))
def test_fingerprints_of_any_texts_match_the_plain_definition(texts: list[str]) -> None:
    texts = ["".join(c for c in text if not 0xD800 <= ord(c) <= 0xDFFF) for text in texts]
    assert fingerprints(texts) == [_reference_fingerprint(text) for text in texts]


def test_casefold_table_is_str_casefold() -> None:
    from syndicate.normalize import identity as ident

    folds, expands = ident._casefold_table()
    for point in range(0x10000):
        folded = chr(point).casefold()
        assert bool(expands[point]) == (len(folded) != 1), hex(point)
        if len(folded) == 1:
            assert chr(folds[point]) == folded, hex(point)


def test_bit_counts_do_not_carry_between_byte_counters() -> None:
    # Runs longer than a byte counter's 255, with every bit set in every row (the worst case for a carry), next
    # to random rows and runs of one.
    import numpy as np

    from syndicate.normalize import identity as ident

    rng = np.random.default_rng(5)
    counts = np.array([1, 255, 256, 511, 3997, 7, 600])
    hashes = rng.integers(0, 2**64, size=int(counts.sum()), dtype=np.uint64)
    hashes[1:257] = np.uint64(2**64 - 1)
    hashes[-600:] = np.uint64(2**64 - 1)
    expected = []
    start = 0
    for count in counts.tolist():
        run = [int(h) for h in hashes[start : start + count]]
        expected.append([sum(h >> bit & 1 for h in run) for bit in range(64)])
        start += count
    assert ident._bit_counts(hashes, counts).tolist() == expected
