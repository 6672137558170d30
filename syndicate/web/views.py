"""What the portal's pages show, as small functions over the store.

Pages call only these, so what the stages store (translations, summaries, deliveries, source health) reaches
the pages through one module.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session

from syndicate import catalog, syndication
from syndicate.config import get_settings
from syndicate.credit import allowed
from syndicate.credit.licence import ACTIONS
from syndicate.model import Agency, Release, Summary, Translation
from syndicate.publish import items
from syndicate.registry import get_registry
from syndicate.store import browse, releases
from syndicate.store import deliveries as delivery_store
from syndicate.store import partners as partner_store
from syndicate.store import summaries as summary_store
from syndicate.store import translations as translation_store
from syndicate.store.tables import ReleaseEventRow, ReleaseRow
from syndicate.translate.base import check_language
from syndicate.translation import approve

#: The steps a release goes through, as the timeline shows them.
TIMELINE = ("received", "credited", "translated", "summarized", "published", "delivered")


@dataclass(frozen=True)
class Step:
    stage: str
    state: str  # done | skipped | pending | failed
    at: datetime | None = None
    detail: dict[str, Any] | None = None


@dataclass(frozen=True)
class Delivery:
    partner: str
    status: str  # delivered | pending | dead
    at: datetime | None
    attempts: int = 0


@dataclass(frozen=True)
class Partner:
    id: str
    name: str
    url: str
    log: list[Delivery] = field(default_factory=list)
    dead_letters: int = 0


@dataclass(frozen=True)
class SourceHealth:
    id: str
    agency: str
    url: str
    last_poll_at: datetime | None
    last_error: str | None
    next_poll_at: datetime | None
    consecutive_errors: int
    paused: bool


# --- the release page --------------------------------------------------------------------------------------


#: The timeline steps that the licence gate may refuse, with the gate's action for each.
GATED = {"translated": "translate", "summarized": "summarize"}


def timeline(row: ReleaseRow, events: Sequence[ReleaseEventRow], delivered_to: int) -> list[Step]:
    """The current version's steps: done (with time), refused (the licence does not allow it), skipped (a later
    step happened without it), or pending."""
    current = [e for e in events if e.version == row.version]
    seen = {e.stage: e for e in current}
    if delivered_to:
        seen.setdefault("delivered", None)  # type: ignore[arg-type]
    steps: list[Step] = []
    for i, stage in enumerate(TIMELINE):
        event = seen.get(stage)
        if stage in GATED and row.gate and not allowed(row.gate, GATED[stage]):
            # The step may have run (and passed the text through untouched): what matters is the refusal.
            steps.append(Step(stage, "refused", None, (row.gate.get(GATED[stage]) or {})))
        elif stage in seen:
            detail = {"n": delivered_to} if stage == "delivered" else (event.detail if event else None)
            steps.append(Step(stage, "done", event.at if event else None, detail))
        elif any(later in seen for later in TIMELINE[i + 1 :]):
            steps.append(Step(stage, "skipped"))
        else:
            steps.append(Step(stage, "pending"))
    if "failed" in seen:
        steps.append(Step("failed", "failed", seen["failed"].at, seen["failed"].detail))
    if "embargoed" in seen and "published" not in seen:
        steps.append(Step("embargoed", "pending", seen["embargoed"].at, seen["embargoed"].detail))
    return steps


@dataclass(frozen=True)
class Permission:
    action: str
    allowed: bool
    reason: str


def permissions(row: ReleaseRow) -> list[Permission]:
    """The licence gate's answers for this release (empty until the gate has run)."""
    if not row.gate:
        return []
    out = []
    for action in ACTIONS:
        entry = row.gate.get(action) or {}
        out.append(Permission(action, allowed(row.gate, action), str(entry.get("reason") or "")))
    return out


def review_languages(row: ReleaseRow) -> list[str]:
    """The target languages a comms team may review (or write) a translation into: none when the licence
    forbids derivatives."""
    if not allowed(row.gate, "translate"):
        return []
    return [lang for lang in get_settings().languages if lang != row.language]


def credit_html(release: Release, language: str) -> Markup:
    """The credit exactly as feeds and pushes in this language carry it (publish.items renders it, escaped)."""
    return Markup(items.credit_html(release.credit, release.original_url, language))  # noqa: S704


def credits(release: Release, row: ReleaseRow) -> list[tuple[str, Markup]]:
    """The credit in the release's own language and in every target language it will be translated into (none
    when the licence does not allow translation)."""
    targets = get_settings().languages if allowed(row.gate, "translate") else []
    languages = dict.fromkeys([row.language, *targets])
    return [(lang, credit_html(release, lang)) for lang in languages]


def translations(s: Session, row: ReleaseRow) -> list[Translation]:
    """The finished translations of this release (a reviewed one is the one feeds carry)."""
    out = []
    for t in translation_store.for_release(s, row.id):
        if not t.pending and t.content is not None:
            out.append(Translation.model_validate(t.content))
    return out


def translation(s: Session, row: ReleaseRow, language: str) -> Translation | None:
    return translation_store.content(s, row.id, language)


def approve_translation(
    release_id: str, language: str, title: str, subtitle: str | None, paragraphs: list[str]
) -> Translation:
    """The agency's reviewed text: it replaces the machine's everywhere and stays through re-translations."""
    check_language(language)
    return approve(release_id, language, title, subtitle, paragraphs)


def summaries(s: Session, row: ReleaseRow, version: int) -> list[Summary]:
    """The summaries of this release, one per language (each kept for the version it was made from)."""
    return [summary_store.to_model(r) for r in summary_store.for_release(s, row.id)]


def deliveries(s: Session, row: ReleaseRow) -> list[Delivery]:
    """The pushes of this release to partners."""
    names = {p.id: p.name for p in partner_store.all_partners(s)}
    return [
        Delivery(names.get(d.partner_id, d.partner_id), d.status, d.delivered_at or d.next_attempt_at, d.attempts)
        for d in delivery_store.of_release(s, row.id)
    ]


def delivered_count(items: list[Delivery]) -> int:
    return len({d.partner for d in items if d.status == "delivered"})


# --- operators ---------------------------------------------------------------------------------------------


def source_health(s: Session) -> list[SourceHealth]:
    """Every source, registry and imported, with its polling state (failing ones first)."""
    states = browse.source_states(s)
    out = []
    for source in catalog.all_sources().values():
        st = states.get(source.id)
        error = f"{st.error_kind}: {st.error_message}" if st and st.error_kind else None
        out.append(
            SourceHealth(
                id=source.id,
                agency=source.agency,
                url=source.url,
                last_poll_at=st.last_poll_at if st else None,
                last_error=error,
                next_poll_at=st.next_poll_at if st else None,
                consecutive_errors=st.consecutive_errors if st else 0,
                paused=st.paused if st else False,
            )
        )
    return sorted(out, key=lambda h: (h.consecutive_errors == 0, h.id))


def partners(s: Session, log_size: int = 20) -> list[Partner]:
    """Partners with their recent delivery log and dead-letter count."""
    counts = delivery_store.counts_by_partner(s)
    out = []
    for p in partner_store.all_partners(s):
        log = [
            Delivery(p.name, d.status, d.delivered_at or d.next_attempt_at, d.attempts)
            for d in delivery_store.for_partner(s, p.id, limit=log_size)
        ]
        out.append(Partner(p.id, p.name, p.url, log, counts.get(p.id, {}).get(delivery_store.DEAD, 0)))
    return out


# --- the public archive ------------------------------------------------------------------------------------

#: How many of the newest published releases the archive search looks through. The search is a plain
#: case-insensitive substring match over title, subtitle and paragraphs done here, not in SQL: the JSON
#: column stores Korean as \\u escapes, so SQL LIKE cannot see it. A full-text index is the next step.
ARCHIVE_SCAN = 2000


@dataclass(frozen=True)
class ArchiveEntry:
    id: str
    title: str
    agency: str
    category: str | None
    language: str
    published_at: datetime | None


def _matches(release: Release, needle: str) -> bool:
    haystack = " ".join([release.title, release.subtitle or "", *release.paragraphs]).casefold()
    return needle in haystack


def archive(s: Session, query: str, page: int, per_page: int, lang: str) -> tuple[list[ArchiveEntry], bool]:
    """One page of published releases matching the query (all when empty); and whether there is a next page."""
    needle = query.strip().casefold()
    registry = get_registry()
    found: list[ArchiveEntry] = []
    start, stop = (page - 1) * per_page, page * per_page
    for row, ver in releases.published(s, limit=ARCHIVE_SCAN):
        if ver.content is None:
            continue
        release = Release.model_validate(ver.content)
        if needle and not _matches(release, needle):
            continue
        found.append(_entry(row, release, registry.agency(row.agency_id) if row.agency_id else None, lang))
        if len(found) > stop:
            break
    return found[start:stop], len(found) > stop


def _entry(row: ReleaseRow, release: Release, agency: Agency | None, lang: str) -> ArchiveEntry:
    name = (agency.name.ko if lang == "ko" else agency.name.en) if agency else (row.agency_id or "—")
    return ArchiveEntry(row.id, release.title, name, row.category, row.language, row.published_at)


# --- the feed directory ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedGroup:
    key: str  # the language (kind "all"), the agency id or the category
    kind: str  # all | agency | category
    label: str
    urls: list[tuple[str, str, str]]  # (language, format name, URL)


def feed_directory(lang: str) -> list[FeedGroup]:
    """Every feed from syndication.all_feed_urls(): one row per language, per agency and per category, each
    with its URLs in every language and format."""
    registry = get_registry()
    groups: dict[tuple[str, str], FeedGroup] = {}
    for _title, url in syndication.all_feed_urls():
        scope, _, filename = url.split("/feeds/", 1)[1].rpartition("/")
        fmt = {"rss.xml": "RSS", "atom.xml": "Atom", "feed.json": "JSON"}.get(filename, filename)
        parts = scope.split("/")
        kind, key = (
            ("all", parts[0]) if len(parts) == 1 else ("agency" if parts[1] == "agencies" else "category", parts[2])
        )
        group = groups.get((kind, key))
        if group is None:
            group = groups[(kind, key)] = FeedGroup(key, kind, _label(kind, key, registry, lang), [])
        group.urls.append((parts[0], fmt, url))
    return sorted(groups.values(), key=lambda g: (g.kind != "all", g.label))


def _label(kind: str, key: str, registry: Any, lang: str) -> str:
    if kind == "agency":
        agency = registry.agency(key)
        return (agency.name.ko if lang == "ko" else agency.name.en) if agency else key
    return key
