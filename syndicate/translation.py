"""Translations as the service keeps them: a release version into every configured language, the pending
ones retried by the beat, and reviewed translations from the issuing agency.

The translate stage (syndicate.translate) is pure; this module gives it the provider chain from settings, the
glossary from the registry and the memory in the database, runs the languages concurrently (threads: each
language's failure is its own) and records the outcome. Provider calls take seconds, so they run outside any
database transaction: ``prepare`` does the work, the pipeline step's transaction only records it.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session

from syndicate import syndication
from syndicate.config import Settings, get_settings
from syndicate.credit import allowed, gate
from syndicate.errors import InputError, LicenceForbids, NotFound, SyndicateError
from syndicate.model import Release, ReviewState, Summary, Translation
from syndicate.registry import get_registry
from syndicate.store import feeds as feed_store
from syndicate.store import releases as store
from syndicate.store import summaries as summary_store
from syndicate.store import translations as translation_store
from syndicate.store.db import session
from syndicate.store.tables import ReleaseRow, utcnow
from syndicate.translate import (
    HUMAN,
    LocalMemory,
    TranslationMemory,
    TranslatorChain,
    label,
    segments_of,
    source_language,
    translate_release,
    translate_with_extra,
)
from syndicate.translate.glossary import Glossary, from_registry
from syndicate.translate.memory import Key, Prefetched
from syndicate.translate.providers import chain_from_settings
from syndicate.translate.segments import chunks_for

log = logging.getLogger(__name__)


@dataclass
class Outcome:
    language: str
    translation: Translation | None = None
    error: str | None = None
    #: the translations of the extra texts sent along (see ``translate_languages``), in their order
    extra: list[str] | None = None


@dataclass
class Work:
    """What the translate step found out before its transaction: the licence verdict and each language."""

    forbidden: str | None = None
    outcomes: list[Outcome] = field(default_factory=list)
    #: what the caller made of the extra texts' translations (the pipeline: the summary, in every language)
    ahead: Any = None
    #: new translation-memory entries, written in the step's transaction (``write_memory``)
    memory_writes: translation_store.MemoryWrites = field(default_factory=dict)


def targets_for(release: Release) -> list[str]:
    return [lang for lang in dict.fromkeys(get_settings().languages) if lang != release.language]


_chain: tuple[Settings, TranslatorChain] | None = None
_chain_lock = threading.Lock()


def configured_chain() -> TranslatorChain:
    """The chain the settings describe, built once per settings object rather than per call: its providers hold
    what they learned (a server's batch limit) and the summary and the release's languages share it."""
    global _chain
    settings = get_settings()
    with _chain_lock:
        if _chain is None or _chain[0] is not settings:
            _chain = (settings, chain_from_settings(settings))
        return _chain[1]


def translate_languages(
    release: Release,
    languages: list[str],
    chain: TranslatorChain | None = None,
    memory: TranslationMemory | None = None,
    extra: list[str] | None = None,
    memory_writes: translation_store.MemoryWrites | None = None,
) -> list[Outcome]:
    """``release`` into each of ``languages`` at once; a language whose providers all fail gets its error.
    ``extra`` texts go along in the same requests; each outcome has their translations (``Outcome.extra``).
    ``memory_writes``: the new memory entries go there, for the caller to write in its own transaction
    (translation_store.remember_new), rather than in a transaction of their own here."""
    if not languages:
        return []
    try:
        chain = chain or configured_chain()
    except SyndicateError as exc:
        return [Outcome(lang, error=str(exc)) for lang in languages]
    glossary = from_registry(get_registry())
    memory = translation_store.StoredMemory() if memory is None else memory
    memory = _prefetched(release, languages, chain, glossary, memory, extra or [])

    def one(language: str) -> Outcome:
        try:
            done, extra_done = translate_with_extra(release, language, chain, glossary, memory, extra=extra or ())
            return Outcome(language, done, extra=extra_done)
        except SyndicateError as exc:
            log.warning("translation failed", extra={"stage": "translate", "language": language, "error": str(exc)})
            return Outcome(language, error=str(exc))

    try:
        if len(languages) == 1:
            return [one(languages[0])]  # a retry of one language: no thread to hand it to
        futures = [_language_pool().submit(one, language) for language in languages]
        wait(futures)  # every language, also when one raised, before the memory is flushed below
        return [future.result() for future in futures]
    finally:
        if isinstance(memory, Prefetched):
            # Every language's new memory entries in one write; also when a language failed (what a provider
            # did translate is kept).
            if memory_writes is not None:
                memory_writes.update(memory.take())
            else:
                memory.flush()


#: Threads that run the languages of translate calls, kept for the life of the process. Starting a thread per
#: language per call cost the translate step 1–5 ms before its requests went out (Thread.start waits until the
#: new thread runs, longer on a busy machine); an idle pool thread takes the work at once. Sized for several
#: calls at a time (a thread-pool worker, a retry sweep beside a step): a call waits for a thread only when more
#: than this many languages are in flight in one process.
LANGUAGE_THREADS = 32

_pool: tuple[int, ThreadPoolExecutor] | None = None
_pool_lock = threading.Lock()


def _language_pool() -> ThreadPoolExecutor:
    """This process's pool; a pool inherited through fork has no threads in the child, so each pid has its own."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(LANGUAGE_THREADS, "translate-lang"))
        return _pool[1]


def warm_up() -> None:
    """Build now what a process's first translate step would otherwise build while a release waits on it: the
    provider chain, each provider's kept-alive client (with the CA bundle its TLS context loads) and the
    glossary, together 100–200 ms measured. Worker processes call this at start (in a background thread)."""
    if not get_settings().languages:
        return
    try:
        chain = configured_chain()
        from_registry(get_registry())
    except SyndicateError as exc:
        log.info("translation not warmed up", extra={"stage": "translate", "error": str(exc)})
        return
    for provider in chain.providers:
        warm = getattr(provider, "warm_up", None)
        if callable(warm):
            warm()


def _prefetched(
    release: Release,
    languages: list[str],
    chain: TranslatorChain,
    glossary: Glossary,
    memory: TranslationMemory,
    extra: list[str],
) -> TranslationMemory:
    """``memory`` with the lookups every language will make (approved texts, the first provider's memory) done
    now in one query, when it can (the database memory can); the languages' threads then start their requests
    without a database round trip each. What the prefetch could not foresee is still looked up as before."""
    lookup: Callable[[list[Key]], dict[Key, str]] | None = getattr(memory, "lookup", None)
    if lookup is None:
        return memory
    source = release.language
    texts = list(dict.fromkeys([*segments_of(release), *extra]))
    first = chain.providers[0]
    keys: list[Key] = []
    for target in languages:
        if target == source:
            continue
        keys.extend((text, source, target, HUMAN) for text in texts)
        for text in texts:
            masked = glossary.protect(text, source, target).text
            keys.extend((c.core, source, target, first.name) for c in chunks_for(masked, first.max_chars) if c.core)
    return Prefetched(memory, keys, lookup(keys))


#: Texts to send in the very requests of a release's segments (its summary's sentences): (release, the licence
#: gate's verdict) → texts in the release's language; their translations come back in each ``Outcome.extra``.
Extra = Callable[[Release, dict[str, Any] | None], list[str]]


def prepare(
    release_id: str,
    version: int,
    due: Callable[[str], bool] = lambda stage: True,
    extra: Extra | None = None,
) -> Work | None:
    """The translate step's slow part, outside any transaction; None when there is nothing to do (superseded,
    retracted, or ``due(stage)`` says the version is past this step already). ``extra`` texts go in the very
    requests of the release's segments (one request per language rather than two; ``Outcome.extra`` has them
    translated); a failure to make them is logged and the release is translated without them."""
    with session() as s:
        # One Core query, no ORM objects: this runs before the provider requests go out, while readers wait.
        view = store.step_view(s, release_id, version)
    if view is None:
        raise NotFound(f"no version {version} of release {release_id}")
    if version != view.version or view.retracted_at is not None or view.content is None or not due(view.stage):
        return None
    release = Release.model_validate(view.content)
    verdict = view.gate
    refused = refusal(verdict)
    if refused is not None:
        return Work(forbidden=refused)
    targets = targets_for(release)
    texts: list[str] = []
    if extra is not None and targets:
        try:
            texts = extra(release, verdict)
        except SyndicateError as exc:
            log.info("no extra texts to translate", extra={"stage": "translate", "error": str(exc)})
    work = Work()
    # The step writes the new memory entries in its own transaction: one commit fewer between the providers'
    # answers and the release's publication.
    work.outcomes = translate_languages(release, targets, extra=texts, memory_writes=work.memory_writes)
    return work


def refusal(verdict: dict[str, Any] | None) -> str | None:
    """Why the licence gate's verdict (the gate step ran before translating) forbids translating, or None when
    it allows it. No verdict at all forbids (fail closed)."""
    if allowed(verdict, "translate"):
        return None
    entry = (verdict or {}).get("translate") or {}
    return str(entry.get("reason") or "no licence gate recorded")


def write_memory(s: Session, work: Work) -> None:
    """The memory entries the providers' answers made (``prepare``), in the step's transaction; also when the
    step turns out superseded: the answers are worth keeping either way."""
    if work.memory_writes:
        translation_store.remember_new(s, work.memory_writes)


def record(s: Session, row: ReleaseRow, version: int, work: Work) -> None:
    """Store what ``prepare`` produced, in the step's transaction."""
    if work.forbidden is not None:
        # A correction or an operator may have changed the licence: earlier translations must go too.
        removed = translation_store.remove(s, row.id)
        if removed:
            store.event(s, row.id, version, "translations_removed", {"reason": work.forbidden, "count": removed})
        return
    translation_store.save_many(s, row.id, version, [o.translation for o in work.outcomes if o.translation])
    for outcome in work.outcomes:
        if outcome.translation is not None:
            store.event(
                s,
                row.id,
                version,
                "translation_done",
                {"language": outcome.language, "provider": outcome.translation.provider},
            )
        else:
            attempts = translation_store.mark_pending(
                s, row.id, version, outcome.language, outcome.error or "failed", _next_attempt(0)
            )
            store.event(
                s,
                row.id,
                version,
                "translation_pending",
                {"language": outcome.language, "error": outcome.error, "attempts": attempts},
            )


def _next_attempt(attempts: int) -> datetime:
    settings = get_settings()
    delay = min(settings.translate_retry_after * (2**attempts), settings.translate_retry_max)
    return utcnow() + timedelta(seconds=delay)


# --- the beat: retrying pending translations -------------------------------------------------------------------


def retry_pending(now: datetime | None = None) -> list[str]:
    """Try again the pending translations that are due, oldest first; returns the feed scopes that gained an
    item. The sweep ends at the first retry that fails again: while the providers are down, the rest would only
    fail the same way, each holding a pipeline process for its timeouts. They stay due for the next sweep, and
    the failed one backs off, so a failure that is one language's or one release's does not block the others."""
    now = now or utcnow()
    with session() as s:
        due = [(t.release_id, t.language) for t in translation_store.due(s, now)]
    touched: list[str] = []
    for release_id, language in due:
        scopes = _retry_one(release_id, language)
        if scopes is None:
            break
        touched.extend(scopes)
    return touched


def _retry_one(release_id: str, language: str) -> list[str] | None:
    """The scopes that gained an item (none when there is nothing to do any more), or None if it failed again."""
    with session() as s:
        row = store.get(s, release_id)
        version = row.version
        content = store.version(s, release_id, version).content
        summary = _source_summary(s, row, version)
    if row.retracted_at is not None or content is None or not allowed(row.gate, "translate"):
        with session() as s:
            translation_store.remove_language(s, release_id, language)
        return []
    release = Release.model_validate(content)
    # The summary's sentences go in the same request, so that the filled-in language gets its summary too
    # (its feed items would otherwise fall back to the subtitle for good).
    sentences = summary.sentences if summary is not None and summary.language == release.language else []
    outcome = translate_languages(release, [language], extra=sentences or None)[0]
    with session() as s:
        row = store.get(s, release_id, lock=True)
        current = translation_store.get(s, release_id, language)
        if row.version != version or current is None or not current.pending:
            return []  # a correction or another retry got there first
        if outcome.translation is None:
            translation_store.mark_pending(
                s, release_id, version, language, outcome.error or "failed", _next_attempt(current.attempts)
            )
            return None
        translation_store.save(s, release_id, version, outcome.translation)
        if sentences and outcome.extra is not None and len(outcome.extra) == len(sentences):
            summary_store.save(
                s, release_id, version, Summary(language=language, sentences=outcome.extra, method="translated")
            )
        store.event(s, release_id, version, "translation_done", {"language": language, "retry": current.attempts})
        scopes = syndication.scopes_for(row) if row.published_version else []
        feed_store.touch(s, scopes)
        return scopes


# --- review: a person's translation ----------------------------------------------------------------------------


def _source_summary(s: Session, row: ReleaseRow, version: int) -> Summary | None:
    """The summary of ``version`` in the release's own language, when the licence allows summaries."""
    if not allowed(row.gate, "summarize"):
        return None
    for found in summary_store.for_release(s, row.id):
        if found.version == version and found.method != "translated":
            return summary_store.to_model(found)
    return None


def approve(release_id: str, language: str, title: str, subtitle: str | None, paragraphs: list[str]) -> Translation:
    """Store the agency's reviewed translation; it replaces the machine's in feeds and, segment by segment,
    in every later re-translation (through the memory, as provider ``human``)."""
    with session() as s:
        row = store.get(s, release_id, lock=True)
        version = row.version
        ver = store.version(s, release_id, version)
        if ver.content is None:
            raise InputError("the release is not processed yet; try again in a moment")
        release = Release.model_validate(ver.content)
        if language == release.language:
            raise InputError(f"the release is written in {language}; a translation must be into another language")
        if len(paragraphs) != len(release.paragraphs) or bool(subtitle) != bool(release.subtitle):
            raise InputError(
                f"give one translated paragraph per original paragraph ({len(release.paragraphs)})"
                + (" and a subtitle" if release.subtitle else " and no subtitle")
            )
        translation = Translation(
            language=language,
            source_language=release.language,
            title=title,
            subtitle=subtitle,
            paragraphs=paragraphs,
            provider=HUMAN,
            translated_at=utcnow(),
            review=ReviewState.approved,
            label=label(release.language, release.original_url, ReviewState.approved),
        )
        texts = [translation.title, *([subtitle] if subtitle else []), *paragraphs]
        for source_text, text in zip(segments_of(release), texts, strict=True):
            translation_store.remember(s, source_text, release.language, language, HUMAN, text)
        translation_store.save(s, release_id, version, translation)
        store.event(s, release_id, version, "translation_approved", {"language": language})
        if row.published_version:
            feed_store.touch(s, syndication.scopes_for(row))
        return translation


# --- one release by hand (syndicate translate) -----------------------------------------------------------------


def translate_file(path: Path, target: str, names: list[str] | None = None) -> dict[str, Any]:
    """The release in ``path`` (JSON as ``syndicate extract`` prints it) translated into ``target``."""
    data = _read_release(path)
    release = Release.model_validate(data) if "language" in data else None
    if release is None:
        release = Release.model_validate({**data, "language": "und"})
        release.language = source_language(release)
    licence = release.credit.licence
    if licence.id != "unknown" and not gate(licence, "translate").allowed:
        raise LicenceForbids(f"{licence.id} forbids derivatives; a translation is one", action="translate")
    settings = get_settings()
    chain = chain_from_settings(settings, names)
    glossary = from_registry(get_registry())
    result = translate_release(release, target, chain, glossary, LocalMemory())
    out = release.model_copy(
        update={
            "title": result.title,
            "subtitle": result.subtitle,
            "paragraphs": result.paragraphs,
            "body_html": "".join(f"<p>{escape(p)}</p>" for p in result.paragraphs),
            "language": target,
        }
    ).model_dump(mode="json")
    out["translation"] = result.model_dump(mode="json")
    return out


def _read_release(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is not JSON: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("release"), dict):
        data = data["release"]  # the API's release object wraps it
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected one release object (for a feed's list, pick one item)")
    try:
        Release.model_validate({**data, "language": data.get("language") or "und"})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"{path}: not a release: {where}: {first['msg']}") from exc
    return data


def translate_texts(texts: list[str], source: str, languages: list[str]) -> dict[str, list[str]]:
    """Short texts (a summary's sentences) into each language, glossary and memory applying as for releases;
    a language whose providers all fail is left out (its feed item falls back to the subtitle)."""
    if not texts:
        return {}
    carrier = Release(title=texts[0], paragraphs=texts[1:], language=source)
    out: dict[str, list[str]] = {}
    for outcome in translate_languages(carrier, languages):
        if outcome.translation is not None:
            out[outcome.language] = [outcome.translation.title, *outcome.translation.paragraphs]
    return out
