"""The only module that knows the order of the stages.

A release version moves through STEPS; each step loads what it needs, calls one stage (a plain function),
saves, commits, and returns the steps to enqueue next. Tasks call ``run_step`` and enqueue what it returns, so
the next step is only ever enqueued after the commit. Every step is idempotent: run twice, it changes nothing
the second time (a version's ``stage`` records how far it got), and a step for a version that a correction has
superseded does nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from syndicate import catalog, delivery, intake, syndication, translation
from syndicate.config import get_settings
from syndicate.credit import allowed, apply_credit, decide, unmatched
from syndicate.credit.licence import KNOWN
from syndicate.errors import Conflict, Forbidden, Gone, InputError, NotFound, RateLimited
from syndicate.model import Credit, Licence, RawRelease, Release, ReleaseStatus, Source, Summary
from syndicate.normalize import identity as ident
from syndicate.normalize import normalize
from syndicate.normalize.sanitize import sanitize_html
from syndicate.registry import Registry, get_registry
from syndicate.store import feeds as feed_store
from syndicate.store import releases as store
from syndicate.store import summaries as summary_store
from syndicate.store.db import session
from syndicate.store.tables import ReleaseRow, ReleaseVersionRow, utcnow
from syndicate.summarize import summarize_release
from syndicate.summarize import warm_up as warm_up_summarizer
from syndicate.translate import segments_of

log = logging.getLogger(__name__)

#: The order of the stages. Each name is also a Celery task (workers/tasks/pipeline.py).
STEPS: tuple[str, ...] = ("normalize", "credit", "gate", "translate", "summarize", "publish")
_ORDER = {name: i for i, name in enumerate(("received", *STEPS))}


@dataclass(frozen=True)
class Next:
    """A step to enqueue after the commit."""

    step: str
    release_id: str
    version: int


# --- entry points: submissions, corrections, retractions ---------------------------------------------------


def submit(
    *,
    agency_id: str,
    raw: RawRelease,
    category: str | None = None,
    embargo_until: datetime | None = None,
    licence_id: str | None = None,
    release_id: str | None = None,
) -> tuple[str, str, list[Next]]:
    """Store a comms team's submission; returns (release id, status, steps to enqueue). ``release_id`` lets a
    caller that stored files for the release first (the portal's attachments) choose the id."""
    # Fingerprinted like an ingested release, so that an outlet's copy found later becomes one more place of
    # this release instead of a release of its own.
    fingerprint = ident.fingerprint(ident.visible_text(_sanitized(raw)))
    with session() as s:
        _check_rate(s, agency_id)
        row = store.create(
            s,
            release_id=release_id,
            raw=_raw_record(raw, licence_id),
            agency_id=agency_id,
            language=raw.language or "ko",
            category=category,
            embargo_until=embargo_until,
            fingerprint=fingerprint,
        )
        return row.id, row.status, [Next(STEPS[0], row.id, 1)]


def _sanitized(raw: RawRelease) -> RawRelease:
    return raw.model_copy(update={"body": sanitize_html(raw.body, raw.url)}) if raw.body_is_html else raw


def correct(
    release_id: str,
    *,
    agency_id: str | None,
    raw: RawRelease,
    category: str | None = None,
    embargo_until: datetime | None = None,
    licence_id: str | None = None,
) -> tuple[int, list[Next]]:
    """A new version of a release (agency_id None means an operator acting for any agency)."""
    with session() as s:
        row = store.get(s, release_id, lock=True)
        _check_owner(row, agency_id)
        if row.retracted_at is not None:
            raise Gone(f"release {release_id} was retracted")
        if category is not None and category != row.category:
            if row.published_version is not None:
                # The old category's feeds lose it at the render the new version's publication brings.
                feed_store.touch(s, syndication.scopes_for(row))
            row.category = category
        if embargo_until is not None:
            row.embargo_until = embargo_until
        number = store.add_version(s, row, _raw_record(raw, licence_id))
        return number, [Next(STEPS[0], row.id, number)]


def retract(release_id: str, *, agency_id: str | None, reason: str | None = None) -> list[Next]:
    with session() as s:
        row = store.get(s, release_id, lock=True)
        _check_owner(row, agency_id)
        if row.retracted_at is not None:
            return []
        row.retracted_at = utcnow()
        row.status = ReleaseStatus.retracted
        store.event(s, row.id, row.version, "retracted", {"reason": reason} if reason else None)
        feed_store.touch(s, syndication.scopes_for(row))
        told = delivery.plan_retraction(s, row)
    return [Next("render", release_id, 0), *([Next("deliver", release_id, 0)] if told else [])]


def _check_rate(s: Session, agency_id: str) -> None:
    """A runaway script must not flood every feed and partner: submissions per agency per minute are capped."""
    limit = get_settings().submit_per_minute
    if limit and store.submitted_since(s, agency_id, utcnow() - timedelta(minutes=1)) >= limit:
        raise RateLimited(
            f"more than {limit} submissions in a minute for {agency_id}; try again shortly", retry_after=60
        )


def _check_owner(row: ReleaseRow, agency_id: str | None) -> None:
    if agency_id is not None and row.agency_id != agency_id:
        # Same answer as for a release that does not exist would leak less, but a 403 tells an honest
        # client what is wrong; ids are random, so existence reveals nothing useful.
        raise Forbidden("this release belongs to another agency")


def _raw_record(raw: RawRelease, licence_id: str | None) -> dict[str, Any]:
    return {"release": raw.model_dump(mode="json"), "licence": licence_id}


# --- the steps ---------------------------------------------------------------------------------------------


#: The time steps see as "now"; the embargo sweep sets it to the minute it is releasing (time travel in tests).
_now: ContextVar[datetime | None] = ContextVar("pipeline_now", default=None)


def now() -> datetime:
    return _now.get() or utcnow()


def run_step(
    step: str, release_id: str, version: int, *, at: datetime | None = None, go_on: Callable[[], bool] | None = None
) -> list[Next]:
    """Run one step for one release version; returns what to enqueue next (after this commit). ``go_on``: asked
    when the next step is one without a slow part (credit, the gate, publishing); while it answers yes, that
    step runs too, in the same transaction (a worker asks whether other tasks wait)."""
    token = _now.set(at)
    try:
        return _run_step(step, release_id, version, go_on)
    finally:
        _now.reset(token)


#: Steps with nothing slow to prepare, which may run in their predecessor's transaction (see run_step).
_JOINABLE = frozenset({"credit", "gate", "publish"})


def _run_step(step: str, release_id: str, version: int, go_on: Callable[[], bool] | None = None) -> list[Next]:
    # A step's slow part (provider calls) runs before, and outside, the step's transaction.
    work = _PREPARE[step](release_id, version) if step in _PREPARE else None
    with session() as s:
        row, ver = store.for_step(s, release_id, version, raw=step in _READS_RAW)
        follow = _step_in(s, row, ver, step, work)
        if isinstance(work, translation.Work):
            translation.write_memory(s, work)
        while go_on is not None and _joinable(follow, row, ver) and go_on():
            # Each step as its own task would load the same two rows and commit again; what it records (its
            # stage, status and event) is the same either way.
            follow = _step_in(s, row, ver, follow[0].step, None)
        # What the steps changed on the two rows, written as two plain UPDATEs before the commit.
        store.save_step(s, row, ver)
    return follow


def _joinable(follow: list[Next], row: ReleaseRow, ver: ReleaseVersionRow) -> bool:
    return (
        len(follow) == 1
        and follow[0].step in _JOINABLE
        and (follow[0].release_id, follow[0].version) == (row.id, ver.version)
    )


def _step_in(s: Session, row: ReleaseRow, ver: ReleaseVersionRow, step: str, work: Any) -> list[Next]:
    """One step inside its transaction, on the locked release and its version; returns what to enqueue next."""
    version = ver.version
    if version != row.version or row.retracted_at is not None:
        log.info("skip superseded step", extra={"release_id": row.id, "stage": step})
        return []
    if _ORDER[ver.stage] >= _ORDER[step]:
        # Already done (a redelivered task): continue the chain without redoing the work.
        return _after(step, row, version)
    try:
        follow = _STEP_FUNCS[step](s, row, ver) if work is None else _RECORD[step](s, row, ver, work)
    except InputError as exc:
        _fail(s, row, ver, step, exc)
        return []
    if follow is None:  # held (embargo): the step is not done yet
        return []
    ver.stage = step
    if step in _STATUS:
        row.status = _STATUS[step]
    store.event(s, row.id, version, _STATUS.get(step, step))
    if step == "translate" and isinstance(work, translation.Work) and _summarized_ahead(work):
        # The summary went out in the translate step's own provider requests and is recorded: the summarize
        # step has nothing left but its bookkeeping, done here in the same transaction rather than after a
        # queue hop that readers of every feed would wait for.
        return _step_in(s, row, ver, "summarize", None)
    return follow


def _summarized_ahead(work: translation.Work) -> bool:
    return isinstance(work.ahead, SummaryAhead) and work.ahead.recorded


def _fail(s: Session, row: ReleaseRow, ver: ReleaseVersionRow, step: str, exc: Exception) -> None:
    row.status = ReleaseStatus.failed
    row.error = f"{step}: {exc}"
    store.event(s, row.id, ver.version, "failed", {"stage": step, "error": str(exc)})


def _after(step: str, row: ReleaseRow, version: int) -> list[Next]:
    index = STEPS.index(step)
    if index + 1 < len(STEPS):
        return [Next(STEPS[index + 1], row.id, version)]
    return []


def _content(ver: ReleaseVersionRow) -> Release:
    if ver.content is None:
        raise Conflict(f"version {ver.version} of {ver.release_id} has no content yet")
    return Release.model_validate(ver.content)


def _licence(ver: ReleaseVersionRow) -> Licence:
    """The version's licence, as ``_content(ver).credit.licence`` answers, validating only the credit (the gate
    and the partner plan need nothing else of the content)."""
    if ver.content is None:
        raise Conflict(f"version {ver.version} of {ver.release_id} has no content yet")
    return Credit.model_validate(ver.content.get("credit", {})).licence


#: The steps that read the submission as received; the others load the version without it.
_READS_RAW = frozenset({"normalize", "credit"})

StepFunc = Callable[[Session, ReleaseRow, ReleaseVersionRow], "list[Next] | None"]


def _normalize(s: Session, row: ReleaseRow, ver: ReleaseVersionRow) -> list[Next]:
    raw = RawRelease.model_validate(ver.raw["release"])
    release = normalize(raw)
    if not release.title:
        raise InputError("release has no title")
    ver.content = release.model_dump(mode="json")
    return _after("normalize", row, ver.version)


def _credit(s: Session, row: ReleaseRow, ver: ReleaseVersionRow) -> list[Next]:
    registry = get_registry()
    source = _source_of(row.source_id)
    override = row.licence_override or {}
    release = apply_credit(
        _content(ver),
        registry,
        # The source's agency, not the row's: an outlet's release is refiled below, and a correction must be
        # credited as the first version was (through the outlet, to the agency its line names).
        agency_id=source.agency if source is not None else row.agency_id,
        source=source,
        licence_id=override.get("id") or ver.raw.get("licence"),
        licence_origin="override" if override.get("id") else "submission",
        licence_note=override.get("note"),
    )
    ver.content = release.model_dump(mode="json")
    row.licence = release.credit.licence.model_dump(mode="json")
    _file_under_issuer(s, row, registry, source, release.credit.agency.id)
    if unmatched(release.credit.agency):
        # Kept as found, never guessed: an operator lists these (GET /api/v1/admin/unmatched).
        store.event(s, row.id, ver.version, "agency_unmatched", {"found": release.credit.agency.found})
        log.warning("agency unmatched", extra={"release_id": row.id, "stage": "credit"})
    return _after("credit", row, ver.version)


def _file_under_issuer(
    s: Session, row: ReleaseRow, registry: Registry, source: Source | None, issuer: str | None
) -> None:
    """A release polled from an outlet (a news wire, the policy portal) belongs to the agency its credit names:
    filed there, it is in that agency's feeds (and its comms team's list), not the outlet's. One whose issuer is
    not known stays with the outlet. A comms team's own submission keeps its agency whatever it credits."""
    if source is None:
        return
    carrier = registry.agency(source.agency)
    if carrier is None or carrier.kind != "outlet":
        return
    filed = issuer or source.agency
    if filed == row.agency_id:
        return
    if row.published_version is not None:
        feed_store.touch(s, syndication.scopes_for(row))  # the feeds it was in lose it at their next render
    row.agency_id = filed


def _gate(s: Session, row: ReleaseRow, ver: ReleaseVersionRow) -> list[Next]:
    """The licence gate: what later stages may do with this version, with the reasons, for the record."""
    row.gate = decide(_licence(ver))
    store.event(s, row.id, ver.version, "licence_gate", row.gate)
    return _after("gate", row, ver.version)


def licence_allows(s: Session, row: ReleaseRow, version: int, action: str) -> bool:
    """For every step after the gate that would change or sell the text (translate, summarize, deliver to a
    commercial partner): may it? When not, the refusal and its reason go on the release's timeline, and the
    step should carry on without it (a no-derivatives text is republished verbatim, credited, with a link)."""
    if allowed(row.gate, action):
        return True
    entry = (row.gate or {}).get(action) or {}
    reason = entry.get("reason") if isinstance(entry, dict) else None
    store.event(s, row.id, version, "licence_refused", {"action": action, "reason": reason or "no licence gate"})
    log.info("licence refused", extra={"release_id": row.id, "stage": action})
    return False


def override_licence(release_id: str, licence_id: str, *, note: str | None, by: str) -> list[Next]:
    """An operator's licence for one release: recorded, then credit and everything after it run again."""
    if licence_id not in KNOWN:
        raise InputError(f"unknown licence {licence_id!r}; one of {', '.join(sorted(KNOWN))}")
    override = {"id": licence_id, "note": note, "by": by, "at": utcnow().isoformat()}
    return recredit(release_id, override=override)


def recredit(release_id: str, *, override: dict[str, Any] | None = None) -> list[Next]:
    """Run credit (and everything after it) again for the current version, e.g. after the registry learnt an
    agency's name, or with an operator's licence ``override`` (recorded as an event). Returns the steps to
    enqueue: normalize (cheap and deterministic), then credit, the gate and publishing follow."""
    with session() as s:
        row = store.get(s, release_id, lock=True)
        if row.retracted_at is not None:
            raise Gone(f"release {release_id} was retracted")
        if override is not None:
            row.licence_override = override
            store.event(s, row.id, row.version, "licence_override", dict(override))
        ver = store.version(s, release_id, row.version)
        if _ORDER[ver.stage] < _ORDER["credit"]:
            return []  # credit has not run yet; it will see the override when it does
        # From normalize, not from credit: the stored content has already lost its credit lines to the first
        # credit run, and normalize rebuilds the uncredited text from the raw record exactly.
        ver.stage = "received"
        return [Next("normalize", row.id, row.version)]


@dataclass(frozen=True)
class SummaryWork:
    """What the summarize step made before its transaction: the summary and its translations."""

    summary: Summary
    translated: list[Summary]


def _prepare_summarize(release_id: str, version: int) -> SummaryWork | None:
    """Summarize, then translate the summary into every target language (provider calls), outside the step's
    transaction. None when there is nothing to do here (the translate step made every summary already, in the
    same requests as the release's translations); the step itself then decides (licence, superseded)."""
    languages = get_settings().languages
    with session() as s:
        view = store.step_view(s, release_id, version)
        # Only the translate step makes summaries ahead of this one, and only when it has languages to
        # translate into; without any there is nothing made to look for.
        made = summary_store.languages_of_version(s, release_id, version) if languages else set()
    if (
        view is None
        or version != view.version
        or view.retracted_at is not None
        or view.content is None
        or _ORDER.get(view.stage, 0) >= _ORDER["summarize"]
        or not allowed(view.gate, "summarize")
    ):
        return None
    release = Release.model_validate(view.content)
    targets = translation.targets_for(release)
    if made >= {release.language, *targets}:
        return None
    summary = summarize_release(release, get_settings())
    translated = translation.translate_texts(summary.sentences, summary.language, targets)
    return SummaryWork(
        summary,
        [Summary(language=lang, sentences=sentences, method="translated") for lang, sentences in translated.items()],
    )


def _summarize(s: Session, row: ReleaseRow, ver: ReleaseVersionRow) -> list[Next]:
    """Reached when prepare made nothing: the licence forbids derivatives (then no summary in any language, the
    refusal is on the timeline, and summaries of earlier versions go), or there was no content to summarize."""
    if not licence_allows(s, row, ver.version, "summarize"):
        summary_store.remove(s, row.id)
    return _after("summarize", row, ver.version)


def _record_summary(s: Session, row: ReleaseRow, ver: ReleaseVersionRow, work: SummaryWork) -> list[Next]:
    if not licence_allows(s, row, ver.version, "summarize"):  # the licence changed while we worked
        summary_store.remove(s, row.id)
        return _after("summarize", row, ver.version)
    if not work.summary.sentences:
        summary_store.remove(s, row.id)  # summaries of an earlier version
        store.event(s, row.id, ver.version, "summary_empty", {"reason": "no sentence to summarize"})
        return _after("summarize", row, ver.version)
    # Also removes summaries of an earlier version in languages this one lacks.
    summary_store.replace(s, row.id, ver.version, [work.summary, *work.translated])
    return _after("summarize", row, ver.version)


def _publish(s: Session, row: ReleaseRow, ver: ReleaseVersionRow) -> list[Next] | None:
    at = now()
    if row.embargo_until is not None and row.embargo_until > at:
        row.status = ReleaseStatus.embargoed
        store.event(s, row.id, ver.version, "embargoed", {"until": row.embargo_until.isoformat()})
        # The beat's embargo sweep runs this step again at its minute.
        return None
    # The languages it appears in, asked once for its feeds and its partners; and both asked before the row
    # changes, so that the session's autoflush before each query has nothing to write (save_step writes the row
    # once, as two UPDATEs; the unit of work's flush of it cost more than the queries).
    languages = syndication.languages_of(row)
    follow = _deliver(s, row, ver, languages)
    _make_public(s, row, ver.version, at, languages)
    return [Next("render", row.id, ver.version), *follow]


def _deliver(s: Session, row: ReleaseRow, ver: ReleaseVersionRow, languages: list[str]) -> list[Next]:
    """Partner messages for a newly public version, created in the publishing transaction (never lost); the
    licence gate keeps non-commercial releases from commercial partners."""
    pending = delivery.plan_release(s, row, ver.version, lambda: _licence(ver), languages)
    return [Next("deliver", row.id, ver.version)] if pending else []


def _make_public(s: Session, row: ReleaseRow, version: int, now: datetime, languages: list[str]) -> None:
    row.published_version = version
    if row.published_at is None:
        row.published_at = now
    feed_store.touch(s, syndication.scopes_for(row, languages))


def _translate(s: Session, row: ReleaseRow, ver: ReleaseVersionRow) -> list[Next]:
    """Reached when prepare had nothing to do: no target language is configured, or no content yet. A licence
    that forbids translating is still recorded (and translations of earlier versions go), as when there are
    languages to translate into."""
    refused = translation.refusal(row.gate)
    if refused is not None:
        return _record_translation(s, row, ver, translation.Work(forbidden=refused))
    return _after("translate", row, ver.version)


def _record_translation(s: Session, row: ReleaseRow, ver: ReleaseVersionRow, work: Any) -> list[Next]:
    """Record the translate step's result. Languages whose providers all failed are pending (the beat retries
    them); the release goes on to publish in its own language either way."""
    if work.forbidden is not None:
        licence_allows(s, row, ver.version, "translate")  # records the refusal and its reason on the timeline
    translation.record(s, row, ver.version, work)
    ahead = work.ahead
    if isinstance(ahead, SummaryAhead) and ahead.summary.sentences and allowed(row.gate, "summarize"):
        translated = ahead.translated(_content(ver), work.outcomes)
        if translated is not None:
            _record_summary(s, row, ver, SummaryWork(ahead.summary, translated))
            ahead.recorded = True
    return _after("translate", row, ver.version)


def _prepare_translate(release_id: str, version: int) -> translation.Work | None:
    if not get_settings().languages:
        return None  # no language to translate into: nothing slow to do, the step itself records the gate
    made: list[tuple[Summary, list[str]]] = []

    def summary_sentences(release: Release, verdict: dict[str, Any] | None) -> list[str]:
        """The summary's sentences go to the providers in the very requests of the release's own segments (one
        round of provider calls for readers to wait, not two); the translate step then records the summary
        in every language (_record_translation), and the summarize step has nothing left to do."""
        if not allowed(verdict, "summarize"):
            return []
        summary = summarize_release(release, get_settings())
        # A sentence that is a whole segment of the release is translated as that segment.
        segments = set(segments_of(release))
        rest = [t for t in summary.sentences if t not in segments]
        made.append((summary, rest))
        return rest

    work = translation.prepare(
        release_id, version, lambda stage: _ORDER.get(stage, 0) < _ORDER["translate"], summary_sentences
    )
    if work is not None and made:
        summary, rest = made[0]
        extra = {o.language: o.extra for o in work.outcomes if o.extra is not None}
        work.ahead = SummaryAhead(summary, rest, extra)
    return work


@dataclass
class SummaryAhead:
    """The summary made during the translate step, and the translations of its sentences that are not whole
    segments of the release (those come with the release's own translations). ``recorded``: the translate
    step stored it in every language, so the summarize step has nothing left to do."""

    summary: Summary
    rest: list[str]
    rest_translated: dict[str, list[str]]
    recorded: bool = False

    def translated(self, release: Release, outcomes: list[translation.Outcome]) -> list[Summary] | None:
        """The summary in every target language, or None when one is missing (a provider failed): then the
        summarize step makes it the usual way, asking the providers again."""
        segments = segments_of(release)
        out = []
        for outcome in outcomes:
            done = outcome.translation
            rest = self.rest_translated.get(outcome.language) if self.rest else []
            if done is None or rest is None or len(rest) != len(self.rest):
                return None
            parts = [done.title, *([done.subtitle] if done.subtitle else []), *done.paragraphs]
            if len(parts) != len(segments):
                return None
            texts = dict(zip(segments, parts, strict=True))
            texts.update(zip(self.rest, rest, strict=True))
            out.append(
                Summary(
                    language=outcome.language, sentences=[texts[t] for t in self.summary.sentences], method="translated"
                )
            )
        return out


#: Steps with a slow part (provider calls): prepared outside the transaction, then recorded inside it.
_PREPARE: dict[str, Callable[[str, int], Any]] = {"translate": _prepare_translate, "summarize": _prepare_summarize}
_RECORD: dict[str, Callable[[Session, ReleaseRow, ReleaseVersionRow, Any], list[Next]]] = {
    "translate": _record_translation,
    "summarize": _record_summary,
}
_STEP_FUNCS: dict[str, StepFunc] = {
    "normalize": _normalize,
    "credit": _credit,
    "gate": _gate,
    "translate": _translate,
    "summarize": _summarize,
    "publish": _publish,
}
_STATUS = {
    "normalize": ReleaseStatus.normalized,
    "credit": ReleaseStatus.credited,
    "translate": ReleaseStatus.translated,
    "summarize": ReleaseStatus.summarized,
    "publish": ReleaseStatus.published,
}


def release_embargoes(at: datetime | None = None) -> list[Next]:
    """Publish every embargoed release whose minute has come (run by the beat every few seconds)."""
    at = at or utcnow()
    with session() as s:
        due = [(row.id, row.version) for row in store.due_embargoes(s, at)]
    out: list[Next] = []
    for release_id, version in due:
        out.extend(run_step("publish", release_id, version, at=at))
    return out


def resume_stalled(at: datetime | None = None) -> list[Next]:
    """The next step of every release version that stopped moving (run by the beat). Because every step is
    idempotent, re-enqueueing one that is merely slow costs a little work and changes nothing."""
    at = at or utcnow()
    before = at - timedelta(seconds=get_settings().stall_seconds)
    with session() as s:
        stuck = store.stalled(s, before, STEPS[-1])
    out = []
    for release_id, version, stage in stuck:
        index = _ORDER[stage]  # the position in STEPS of the step after `stage`
        out.append(Next(STEPS[index], release_id, version))
        log.warning("resuming stalled release", extra={"release_id": release_id, "stage": STEPS[index]})
    return out


def retry_translations(at: datetime | None = None) -> list[str]:
    """Retry pending translations that are due (run by the beat); returns the feed scopes to render."""
    return translation.retry_pending(at)


def render(scopes: list[str] | None = None, saved: Callable[[], None] | None = None) -> int:
    """Render stale feed documents (all stale ones when scopes is None); returns how many were written.
    ``saved``: called when the language-wide feeds are stored and narrower ones follow (render_stale)."""
    return syndication.render_stale(scopes, saved)


def announces() -> bool:
    """Is a WebSub hub configured (then feed changes are pinged after rendering)?"""
    return bool(get_settings().websub_hub)


def warm_up() -> None:
    """Load slow models in the background when a worker process starts (Kiwi takes seconds to load), and build
    the translation providers' clients, so that the first release a process takes does not wait for either."""
    warm_up_summarizer()
    threading.Thread(target=translation.warm_up, name="warm-up-translation", daemon=True).start()


def preload() -> None:
    """Load slow models now and wait (a worker's parent calls this before forking its pool, so that the pool
    processes share the pages)."""
    warm_up_summarizer().join()


def settings_languages() -> list[str]:
    return list(get_settings().languages)


# --- ingested releases -------------------------------------------------------------------------------------


def ingest(
    source_id: str | None, raws: list[RawRelease], *, source: Source | None = None, s: Session | None = None
) -> list[Next]:
    """Store what a source gave (new releases, corrections, other places of known ones; see intake.py) and
    return the normalize steps to enqueue after the commit (``s``: the caller's transaction, which it commits;
    polling records the source's state in the same one)."""
    source = source or _source_of(source_id)
    if s is not None:
        changed = intake.record(s, source_id, raws, source)
    else:
        with session() as own:
            changed = intake.record(own, source_id, raws, source)
    return [Next(STEPS[0], release_id, version) for release_id, version in changed]


def _source_of(source_id: str | None) -> Source | None:
    if not source_id:
        return None
    try:
        return catalog.get_source(source_id)
    except NotFound:
        return None


def preview(raws: list[RawRelease], source: Source | None = None) -> list[Release]:
    """normalize → credit on releases that are not stored (``syndicate extract``)."""
    registry = get_registry()
    out = []
    for raw in raws:
        release = normalize(raw)
        out.append(apply_credit(release, registry, source=source, agency_id=source.agency if source else None))
    return out


def run_inline(steps: list[Next]) -> int:
    """Run steps and everything they lead to in this process (``syndicate poll`` without a broker)."""
    pending = list(steps)
    done = 0
    while pending:
        nxt = pending.pop(0)
        if nxt.step == "render":
            render()
        else:
            pending.extend(run_step(nxt.step, nxt.release_id, nxt.version))
        done += 1
    return done
