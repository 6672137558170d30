"""Properties: credit lines never survive into paragraphs; every feed item carries a credit; a no-derivatives
licence is never translated or summarized, whichever way the release came to have it."""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from syndicate.credit import ACTIONS, allowed, apply_credit, decide, gate, licence
from syndicate.credit.licence import KNOWN
from syndicate.model import AgencyRef, Credit, Release, Source
from syndicate.normalize.text import paragraphs_from_html
from syndicate.publish.items import FeedItem, FeedMeta, credit_fields, credit_text
from syndicate.publish.rss import render_rss
from syndicate.registry import get_registry
from tests.conftest import ROOT

REGISTRY = get_registry(ROOT / "feeds")
NAMES = sorted({name for name, _ in REGISTRY.names() if any("가" <= ch <= "힣" for ch in name)})
# Prose that cannot itself read as a credit line: no brackets, colons or the first syllables of the keywords.
PROSE_CHARS = "가나라마바사아자카타파하고노도로모보소오조초코토포호기니디리미비시이지히 ,.0123456789"
# as normalize gives them: no runs of spaces, none at the ends
prose = (
    st.text(PROSE_CHARS, min_size=2, max_size=80)
    .map(lambda t: " ".join(t.split()))
    .filter(lambda t: any("가" <= c <= "힣" for c in t))
)
agency_name = st.sampled_from(NAMES)
department = st.sampled_from(["", " 일자리투자국", " 행정과", " 기획홍보실 홍보팀"])
phone = st.sampled_from(["061-380-3192", "☎02-2133-6630", "(240-8940)"])

WHOLE = [
    "[뉴스출처 : {a}]",
    "자료제공 : {a}{d}",
    "출처: {a}",
    "제공: {a}{d}",
    "【뉴스출처={a}】",
    "담당부서 : {a}{d} {p}",
    "문의: {d} {p}",
]
INLINE = [
    "(사진=({a} 제공)",
    "(사진=({a} 제공)",
    "(사진 제공-{a})",
    "(사진제공={a})",
    "[뉴스출처 : {a}]",
    "(업무담당자{d} 홍길동 {p})",
]


@st.composite
def credit_line(draw: st.DrawFn, templates: list[str]) -> str:
    template = draw(st.sampled_from(templates))
    line = template.format(a=draw(agency_name), d=draw(department), p=draw(phone))
    return line.replace("(사진=(", "(사진=")


@settings(max_examples=300, deadline=None)
@given(
    paragraphs=st.lists(prose, min_size=1, max_size=6),
    whole=st.lists(credit_line(WHOLE), max_size=3),
    inline=st.lists(credit_line(INLINE), max_size=3),
    data=st.data(),
)
def test_credit_lines_never_survive_into_paragraphs(
    paragraphs: list[str], whole: list[str], inline: list[str], data: st.DataObject
) -> None:
    text = list(paragraphs)
    for line in whole:
        text.insert(data.draw(st.integers(0, len(text))), line)
    for line in inline:
        i = data.draw(st.integers(0, len(paragraphs) - 1))
        at_end = data.draw(st.booleans())
        text = [(f"{p} {line}" if at_end else f"{line} {p}") if p == paragraphs[i] else p for p in text]
    release = Release(title="제목", paragraphs=text, body_html="".join(f"<p>{p}</p>" for p in text))
    out = apply_credit(release, REGISTRY, agency_id="naju")
    joined = "\n".join(out.paragraphs)
    for line in [*whole, *inline]:
        assert line not in joined
        assert line not in out.body_html
    assert paragraphs_from_html(out.body_html) == out.paragraphs
    # ... and nothing else was lost.
    assert "".join(out.paragraphs).replace(" ", "") == "".join(p.strip() for p in paragraphs).replace(" ", "")
    if whole or inline:
        assert out.credit.line or out.credit.contact


agency_ref = st.one_of(
    st.sampled_from(sorted(REGISTRY.agencies)).map(
        lambda i: AgencyRef(id=i, name=REGISTRY.agencies[i].name, department=None)
    ),
    # found names come from normalized text: no control characters (normalize removes them)
    st.text(st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=30)
    .filter(str.strip)
    .map(lambda t: AgencyRef(found=t.strip())),
    st.just(AgencyRef()),
)
credit = st.builds(
    lambda ref, lic, via: Credit(agency=ref, licence=licence(lic), via=via),
    agency_ref,
    st.sampled_from(sorted(KNOWN)),
    st.one_of(st.none(), st.sampled_from(["포탈뉴스통신", "뉴스와이어"])),
)


@settings(max_examples=100, deadline=None)
@given(credits=st.lists(credit, min_size=1, max_size=5), language=st.sampled_from(["ko", "en", "ja", "zh-Hans"]))
def test_every_feed_item_carries_a_credit(credits: list[Credit], language: str) -> None:
    now = datetime(2026, 1, 5, tzinfo=UTC)
    items = [
        FeedItem(
            guid=f"https://syndicate.test/releases/{i}",
            link=f"https://syndicate.test/releases/{i}",
            title="t",
            content_html="<p>본문</p>",
            language=language,
            published_at=now,
            updated_at=now,
            credit=c,
            original_url=f"https://www.example.go.kr/{i}",
        )
        for i, c in enumerate(credits)
    ]
    meta = FeedMeta(
        scope=language,
        title="t",
        description="d",
        language=language,
        self_url="https://s/",
        home_url="https://s/",
        updated_at=now,
    )
    root = etree.fromstring(render_rss(meta, items))
    ns = {"dc": "http://purl.org/dc/elements/1.1/", "content": "http://purl.org/rss/1.0/modules/content/"}
    for item, c in zip(root.iter("item"), credits, strict=True):
        assert item.findtext("dc:creator", namespaces=ns)
        assert item.findtext("dc:rights", namespaces=ns)
        assert item.find("source").get("url", "").startswith("https://www.example.go.kr/")
        body = item.findtext("content:encoded", namespaces=ns) or ""
        assert ('class="credit"' in body) and ("출처: " in body if language == "ko" else "Source: " in body)
        fields = credit_fields(c, "https://x", language)
        assert fields["creator"] and fields["licence_name"]
        text = credit_text(c, "https://x", language)
        who = c.agency.name.ko if c.agency.name else (c.agency.found or "")
        assert who in text and str(fields["licence_name"]) in text


no_derivatives = sorted(k for k, (derivatives, _, _) in KNOWN.items() if not derivatives)


@settings(max_examples=200, deadline=None)
@given(
    licence_id=st.sampled_from(no_derivatives),
    path=st.sampled_from(["submission", "override", "page", "source", "source-override", "agency"]),
    agency_id=st.sampled_from(sorted(REGISTRY.agencies)),
)
def test_no_derivatives_text_is_never_translated_or_summarized(licence_id: str, path: str, agency_id: str) -> None:
    release = Release(title="t", paragraphs=["본문."])
    kwargs: dict[str, object] = {"agency_id": agency_id}
    if path in ("submission", "override"):
        kwargs.update(licence_id=licence_id, licence_origin=path)
    elif path == "page":
        release.licence_hint = _page_mark(licence_id)
    elif path in ("source", "source-override"):
        kwargs["source"] = Source(
            id="s",
            agency=agency_id,
            url="https://example.org/",
            licence=licence_id,
            licence_override=path == "source-override",
        )
    else:
        agency = REGISTRY.agencies[agency_id].model_copy(update={"licence": licence_id})
        registry = type(REGISTRY)(agencies={**REGISTRY.agencies, agency_id: agency})
        out = apply_credit(release, registry, **kwargs)  # type: ignore[arg-type]
        return _assert_gated(decide(out.credit.licence))
    out = apply_credit(release, REGISTRY, **kwargs)  # type: ignore[arg-type]
    assert not out.credit.licence.derivatives
    _assert_gated(decide(out.credit.licence))


def _page_mark(licence_id: str) -> str:
    if licence_id.startswith("KOGL-"):
        return f"공공누리 제{licence_id[-1]}유형"
    if licence_id.startswith("CC-"):
        kind, _, version = licence_id[3:].rpartition("-")
        return f"https://creativecommons.org/licenses/{kind.lower()}/{version}/"
    return "공공누리 제4유형"  # "unknown" has no mark of its own


def _assert_gated(decision: dict[str, object]) -> None:
    for action in ("translate", "summarize"):
        assert not allowed(decision, action)
        entry = decision[action]
        assert isinstance(entry, dict) and "derivatives" in entry["reason"]


@given(licence_id=st.sampled_from(sorted(KNOWN)), action=st.sampled_from(ACTIONS))
def test_gate_agrees_with_the_licence_table(licence_id: str, action: str) -> None:
    derivatives, commercial, _ = KNOWN[licence_id]
    lic = licence(licence_id)
    expected = commercial if action == "deliver_commercial" else derivatives
    assert gate(lic, action).allowed is expected
    assert allowed(decide(lic), action) is expected


def test_allowed_fails_closed() -> None:
    assert not allowed(None, "translate")
    assert not allowed({}, "translate")
    assert not allowed({"translate": {"allowed": "yes"}}, "translate")
    assert not allowed(decide(licence("KOGL-1")), "publish_to_mars")
