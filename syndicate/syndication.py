"""Feeds as stored documents: which scopes a release touches, rendering stale scopes, serving documents.

A scope is the URL prefix of a feed under /feeds/: ``ko`` (all agencies in Korean), ``en/agencies/incheon``,
``ko/categories/economy``, and bilingual ``ko+en``. Rendering happens once per change (the scope's version
goes up in the transaction that changed a release); requests are served the stored bytes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any, Protocol

from sqlalchemy.orm import Session, object_session

from syndicate import __version__, itemcache
from syndicate.config import get_settings
from syndicate.errors import NotFound
from syndicate.model import Release, ReviewState, Translation
from syndicate.publish.atom import render_atom
from syndicate.publish.fragments import Fragment, direct, item_key
from syndicate.publish.items import FeedItem, FeedMeta
from syndicate.publish.jsonfeed import render_jsonfeed
from syndicate.publish.rss import render_rss
from syndicate.registry import Registry, get_registry
from syndicate.store import feeds as feed_store
from syndicate.store import releases as store
from syndicate.store import summaries as summary_store
from syndicate.store import translations as translation_store
from syndicate.store.db import session
from syndicate.store.tables import FeedDocumentRow, ReleaseRow
from syndicate.translate import label as translation_label

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class ReleaseFields(Protocol):
    """What a feed item reads of a release: an ORM ReleaseRow, or a render pass's store.releases.Shown."""

    @property
    def id(self) -> str: ...
    @property
    def language(self) -> str: ...
    @property
    def agency_id(self) -> str | None: ...
    @property
    def category(self) -> str | None: ...
    @property
    def published_at(self) -> datetime | None: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def updated_at(self) -> datetime: ...


class VersionFields(Protocol):
    """What a feed item reads of the version shown (a ReleaseVersionRow, or a Shown: content loaded apart)."""

    @property
    def release_id(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def content(self) -> dict[str, Any] | None: ...


class SummaryFields(Protocol):
    """What a feed item reads of a summary (a SummaryRow, or a render pass's ShownSummary)."""

    @property
    def version(self) -> int: ...
    @property
    def sentences(self) -> list[str]: ...


_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$")
_SLUG = re.compile(r"^[\w\-]{1,100}$")


@dataclass(frozen=True)
class Format:
    name: str
    filename: str
    media_type: str
    render: Callable[[FeedMeta, list[FeedItem], Fragment], bytes]


FORMATS: dict[str, Format] = {
    "rss": Format("rss", "rss.xml", "application/rss+xml; charset=utf-8", render_rss),
    "atom": Format("atom", "atom.xml", "application/atom+xml; charset=utf-8", render_atom),
    "json": Format("json", "feed.json", "application/feed+json; charset=utf-8", render_jsonfeed),
}
BY_FILENAME = {f.filename: f for f in FORMATS.values()}


@dataclass(frozen=True)
class Scope:
    """A feed's scope. ``source_language`` set makes it bilingual: items in ``language`` beside their original
    in ``source_language`` (key ``ko+en``)."""

    language: str
    agency_id: str | None = None
    category: str | None = None
    source_language: str | None = None

    @property
    def key(self) -> str:
        key = f"{self.source_language}+{self.language}" if self.source_language else self.language
        if self.agency_id:
            key += f"/agencies/{self.agency_id}"
        elif self.category:
            key += f"/categories/{self.category}"
        return key

    @property
    def wide(self) -> bool:
        """Every agency's and every category's releases in its language (or pair of languages)."""
        return self.agency_id is None and self.category is None

    @classmethod
    def parse(cls, key: str, registry: Registry | None = None) -> Scope:
        """``registry``: the caller's, when it parses many keys (finding the registry costs a path resolution)."""
        parts = key.strip("/").split("/")
        source, plus, language = parts[0].rpartition("+")
        if not _LANG.match(language) or (plus and (not _LANG.match(source) or source == language)):
            raise NotFound(f"no feed {key!r}")
        bilingual = source or None
        if len(parts) == 1:
            return cls(language, source_language=bilingual)
        if len(parts) == 3 and parts[1] == "agencies":
            if (registry or get_registry()).agency(parts[2]) is None:
                raise NotFound(f"no agency {parts[2]!r}")
            return cls(language, agency_id=parts[2], source_language=bilingual)
        if len(parts) == 3 and parts[1] == "categories" and _SLUG.match(parts[2]):
            return cls(language, category=parts[2], source_language=bilingual)
        raise NotFound(f"no feed {key!r}")


def languages_of(row: ReleaseRow) -> list[str]:
    """The languages a release appears in: its own, and each with a finished (not pending) translation."""
    s = object_session(row)
    if s is None:
        return [row.language]
    return list(dict.fromkeys([row.language, *translation_store.shown_languages(s, row.id)]))


def scopes_for(row: ReleaseRow, languages: list[str] | None = None) -> list[str]:
    """Every feed a release appears in: per language, and bilingual (original + each translation).
    ``languages``: what ``languages_of(row)`` answered, when the caller asked already."""
    keys = []
    for lang in languages_of(row) if languages is None else languages:
        source = row.language if lang != row.language else None
        for bilingual in dict.fromkeys([None, source]):
            keys.append(Scope(lang, source_language=bilingual).key)
            if row.agency_id:
                keys.append(Scope(lang, agency_id=row.agency_id, source_language=bilingual).key)
            if row.category:
                keys.append(Scope(lang, category=row.category, source_language=bilingual).key)
    return keys


# --- building items ----------------------------------------------------------------------------------------


def release_url(release_id: str, language: str | None = None) -> str:
    base = get_settings().base_url.rstrip("/")
    return f"{base}/releases/{release_id}" + (f"?lang={language}" if language else "")


def item_for(
    row: ReleaseFields,
    ver: VersionFields,
    language: str,
    summary: SummaryFields | None = None,
    known: RenderPass | None = None,
) -> FeedItem | None:
    if known is not None:
        release = known.release(ver)
    else:
        release = Release.model_validate(ver.content) if ver.content is not None else None
    if release is None:
        return None
    if language != release.language:
        translation = known.translation(row.id, language) if known is not None else _shown_translation(row, language)
        if translation is None:
            return None
        return _translated_item(row, release, translation, description(None, ver, summary))
    published = row.published_at or release.published_at or row.created_at
    return FeedItem(
        guid=release_url(row.id),
        link=release_url(row.id),
        title=release.title,
        summary=description(release.subtitle, ver, summary),
        content_html=release.body_html,
        language=language,
        published_at=published,
        updated_at=row.updated_at or published,
        credit=release.credit,
        original_url=release.original_url,
        categories=[row.category] if row.category else [],
        attachments=release.attachments,
    )


def description(subtitle: str | None, ver: VersionFields, summary: SummaryFields | None) -> str | None:
    """The item's description: the stored summary (in the item's language) of the version shown, else the
    subtitle."""
    if summary is not None and summary.version == ver.version and summary.sentences:
        return " ".join(summary.sentences)
    return subtitle


def _shown_translation(row: ReleaseFields, language: str) -> Translation | None:
    s = object_session(row) if isinstance(row, ReleaseRow) else None
    return translation_store.content(s, row.id, language) if s is not None else None


def _translated_item(row: ReleaseFields, release: Release, translation: Translation, summary: str | None) -> FeedItem:
    """The item in another language: the translation's text, labelled unless a person reviewed it; its
    description the summary in that language where there is one, else the translated subtitle."""
    language = translation.language
    published = row.published_at or release.published_at or row.created_at
    original = release.original_url or release_url(row.id)
    machine = translation.review == ReviewState.machine
    return FeedItem(
        guid=release_url(row.id, language),
        link=release_url(row.id, language),
        title=translation.title,
        summary=summary or translation.subtitle,
        content_html="".join(f"<p>{escape(p)}</p>" for p in translation.paragraphs),
        language=language,
        published_at=published,
        updated_at=max(row.updated_at or published, translation.translated_at),
        credit=release.credit,
        original_url=release.original_url,
        categories=[row.category] if row.category else [],
        attachments=release.attachments,
        label=translation_label(translation.source_language, original) if machine else None,
        alternates={release.language: release_url(row.id)},
    )


def meta_for(
    scope: Scope, updated_at: datetime, filename: str = "rss.xml", registry: Registry | None = None
) -> FeedMeta:
    settings = get_settings()
    base = settings.base_url.rstrip("/")
    title = "syndicate"
    if scope.agency_id:
        agency = (registry or get_registry()).agency(scope.agency_id)
        if agency:
            title += f" — {agency.name.en if scope.language != 'ko' else agency.name.ko}"
    elif scope.category:
        title += f" — {scope.category}"
    languages = (
        f"{scope.language} beside the {scope.source_language} original" if scope.source_language else scope.language
    )
    return FeedMeta(
        scope=scope.key,
        title=f"{title} ({scope.key.split('/')[0]})",
        description=f"Press releases in {languages}, credited to the issuing agencies",
        language=scope.language,
        self_url=f"{base}/feeds/{scope.key}/{filename}",
        home_url=base + "/",
        updated_at=updated_at,
        hub=settings.websub_hub or None,
    )


#: Serialized items of this process's renderings (see publish/fragments.py), kept with the items (itemcache.py).
FRAGMENTS = itemcache.FRAGMENTS


class RenderPass:
    """What one rendering pass (one session) has loaded: a release shows in up to a dozen scopes, each in three
    formats, so its content is parsed, its translations fetched and each of its items built once per pass, not
    once per scope and format (that was two queries per item and most of a render's time)."""

    def __init__(self, s: Session, languages: Iterable[str] = ()) -> None:
        self.s = s
        self.registry = get_registry()
        #: The languages whose summaries the pass will show: fetched together, one query per set of releases
        #: rather than one per language (the ORM rows were a fifth of a render pass).
        self._languages = set(languages)
        self._releases: dict[tuple[str, int], Release | None] = {}
        self._translations: dict[str, dict[str, Translation]] = {}
        self._items: dict[tuple[str, int, str, str | None], FeedItem | None] = {}
        #: id(item) → its hash; the items are alive for the whole pass (self._items holds them).
        self._keys: dict[int, bytes] = {}
        #: id(item) → where it is kept between passes, with its hash once computed.
        self._built: dict[int, itemcache.Built] = {}
        #: A scope's releases depend on its agency and category, not its language: the same rows for the dozen
        #: language and bilingual scopes of one agency, so one query each.
        self._published: dict[tuple[str | None, str | None], list[store.Shown]] = {}
        self._summaries: dict[str, dict[str, SummaryFields]] = {}
        self._asked: dict[str, set[str]] = {}
        #: scope key → the releases it shows, for itemcache.showing once the pass is done.
        self.shown: dict[str, list[str]] = {}

    def published(self, scope: Scope) -> list[store.Shown]:
        key = (scope.agency_id, scope.category)
        if key not in self._published:
            self._published[key] = store.shown(
                self.s, agency_id=scope.agency_id, category=scope.category, limit=get_settings().feed_items
            )
        return self._published[key]

    def summaries(self, release_ids: list[str], language: str) -> dict[str, SummaryFields]:
        """The summaries in ``language`` of these releases (each release and language asked once per pass)."""
        found = self._summaries.setdefault(language, {})
        asked = self._asked.setdefault(language, set())
        missing = [i for i in release_ids if i not in asked]
        if missing:
            languages = sorted({language, *self._languages})
            for lang, rows in summary_store.for_releases_in(self.s, missing, languages).items():
                self._summaries.setdefault(lang, {}).update(rows)
            for lang in languages:
                self._asked.setdefault(lang, set()).update(missing)
        return {i: found[i] for i in release_ids if i in found}

    def keys_of(self, items: list[FeedItem]) -> list[bytes] | None:
        """The hashes of these items, as their fragments were asked for (None if one was not)."""
        keys = [self._keys.get(id(item)) for item in items]
        return None if None in keys else keys  # type: ignore[return-value]

    def fragment(self, kind: str, item: FeedItem, serialize: Callable[[FeedItem], bytes]) -> bytes:
        key = self._keys.get(id(item))
        if key is None:
            built = self._built.get(id(item))
            key = built.key if built is not None and built.key is not None else item_key(item)
            if built is not None:
                built.key = key  # kept with the item for the next pass
            self._keys[id(item)] = key
        return FRAGMENTS.get(kind, key, item, serialize)

    def release(self, ver: VersionFields) -> Release | None:
        key = (ver.release_id, ver.version)
        if key not in self._releases:
            self.load_content([key])
        return self._releases[key]

    def load_content(self, keys: Iterable[tuple[str, int]]) -> None:
        """Parse the content of these versions (those not parsed yet), fetched in one query."""
        missing = [k for k in keys if k not in self._releases]
        for key, content in store.versions_content(self.s, missing).items():
            release = itemcache.CONTENT.get(key, content) if content is not None else None
            if release is None and content is not None:
                release = itemcache.CONTENT.put(key, content, Release.model_validate_json(content))
            self._releases[key] = release
        for key in missing:
            self._releases.setdefault(key, None)

    def load(self, release_ids: Iterable[str]) -> None:
        """Fetch the shown translations of these releases in one query (those not fetched yet)."""
        missing = [i for i in release_ids if i not in self._translations]
        for release_id in missing:
            self._translations[release_id] = {}
        for release_id, language, content in translation_store.shown_many(self.s, missing):
            # Parsed once while the stored JSON stays equal: the same object pass after pass, so the item cache
            # compares it by identity rather than field by field.
            key = (release_id, language)
            translation = itemcache.TRANSLATIONS.get(key, content)
            if translation is None:
                translation = itemcache.TRANSLATIONS.put(key, content, Translation.model_validate_json(content))
            self._translations[release_id][language] = translation

    def languages(self, row: ReleaseFields) -> list[str]:
        self.load([row.id])
        return list(dict.fromkeys([row.language, *sorted(self._translations[row.id])]))

    def translation(self, release_id: str, language: str) -> Translation | None:
        self.load([release_id])
        return self._translations[release_id].get(language)

    def item(
        self,
        row: ReleaseFields,
        ver: VersionFields,
        language: str,
        source: str | None,
        summary: SummaryFields | None,
        original_summary: SummaryFields | None,
    ) -> FeedItem | None:
        # Within one pass a release's summaries in a language are the same rows whatever the scope.
        key = (row.id, ver.version, language, source)
        if key not in self._items:
            inputs = self._inputs(row, ver, language, source, summary, original_summary)
            built = itemcache.ITEMS.get(key, inputs)
            if built is None:
                if source is None:
                    item = item_for(row, ver, language, summary, self)
                else:
                    item = _bilingual_item(row, ver, language, source, summary, original_summary, self)
                built = itemcache.ITEMS.put(key, inputs, itemcache.Built(item))
            self._items[key] = built.item
            if built.item is not None:
                self._built[id(built.item)] = built
        return self._items[key]

    def _inputs(
        self,
        row: ReleaseFields,
        ver: VersionFields,
        language: str,
        source: str | None,
        summary: SummaryFields | None,
        original_summary: SummaryFields | None,
    ) -> tuple[Any, ...]:
        """Everything item_for and _bilingual_item read to build this item, by value (see itemcache.py)."""
        languages = (language,) if source is None else (language, source)
        return (
            get_settings().base_url,
            row.language,
            row.published_at,
            row.created_at,
            row.updated_at,
            row.category,
            self.release(ver),  # the same object while the stored content is the same (itemcache.CONTENT)
            tuple(self.translation(row.id, lang) for lang in languages),
            _summary_inputs(summary),
            _summary_inputs(original_summary),
        )


def _summary_inputs(summary: SummaryFields | None) -> tuple[int, list[str]] | None:
    return (summary.version, list(summary.sentences)) if summary is not None else None


def items_for(s: Session, scope: Scope, known: RenderPass | None = None) -> list[FeedItem]:
    known = known or RenderPass(s)
    rows = known.published(scope)
    ids = [row.id for row in rows]
    known.shown[scope.key] = ids
    known.load(ids)
    known.load_content((row.id, row.version) for row in rows)
    summaries = known.summaries(ids, scope.language)
    originals = known.summaries(ids, scope.source_language) if scope.source_language else {}
    items = []
    for row in rows:
        if scope.language not in known.languages(row):
            continue
        # A Shown row is both the release and the version shown.
        item = known.item(row, row, scope.language, scope.source_language, summaries.get(row.id), originals.get(row.id))
        if item is not None:
            items.append(item)
    return items


def _bilingual_item(
    row: ReleaseFields,
    ver: VersionFields,
    language: str,
    source: str,
    summary: SummaryFields | None = None,
    original_summary: SummaryFields | None = None,
    known: RenderPass | None = None,
) -> FeedItem | None:
    """A translation with its original beside it (only releases written in ``source``, translated)."""
    if row.language != source or language == source:
        return None
    item = item_for(row, ver, language, summary, known)
    original = item_for(row, ver, source, original_summary, known)
    if item is None or original is None:
        return None
    alternates = {**item.alternates, source: original.link, language: item.link}
    return item.model_copy(update={"original": original, "alternates": alternates})


# --- rendering and serving ---------------------------------------------------------------------------------


def _render(
    scope: Scope, fmt: Format, changed_at: datetime, items: list[FeedItem], known: RenderPass | None = None
) -> tuple[bytes, str]:
    """The document and its ETag (``known``: the pass's fragments and item hashes; without, nothing kept)."""
    if known is None:
        meta = meta_for(scope, changed_at, fmt.filename)
        body = fmt.render(meta, items, direct)
        return body, _etag(fmt, meta, None, body)
    meta = meta_for(scope, changed_at, fmt.filename, known.registry)
    body = fmt.render(meta, items, known.fragment)
    return body, _etag(fmt, meta, known.keys_of(items), body)


#: In every ETag made from a document's inputs: a release that renders the same inputs otherwise changes them.
_RENDERING = f"syndicate {__version__}".encode()


def _etag(fmt: Format, meta: FeedMeta, item_keys: list[bytes] | None, body: bytes) -> str:
    """A strong ETag. Made from the document's inputs when every item's hash is known: the format, the feed's
    metadata and the items' hashes decide every byte (rendering is deterministic, and the fragments are kept by
    those very hashes), and hashing them costs far less than hashing the document again (a pass hashed about
    60 KB for each of its 42 documents). Else from the bytes."""
    if item_keys is None:
        digest = hashlib.sha256(body).hexdigest()
    else:
        digest = hashlib.sha256(
            b"\0".join([_RENDERING, fmt.name.encode(), meta.model_dump_json().encode(), *item_keys])
        ).hexdigest()
    return '"' + digest[:32] + '"'


#: Redis channel on which the render task announces new renderings, so API processes serve them at once.
FEEDS_CHANGED = "syndicate:feeds-changed"


def render_stale(scope_keys: Iterable[str] | None = None, saved: Callable[[], None] | None = None) -> int:
    """Render stale feed documents (all stale scopes when ``scope_keys`` is None); returns how many were written.

    The language-wide feeds (every agency, and their bilingual forms) are rendered and committed first, then the
    narrower ones: a publication always changes the feeds that every reader of a language follows, and those
    readers should not wait for a dozen agency and category feeds with fewer readers each. ``saved`` is called
    after that first commit, when narrower feeds follow, so that the caller can announce it (it announces the
    end of the pass itself). Splitting costs one more INSERT and commit per pass."""
    written = 0
    with session() as s:
        registry = get_registry()
        rendered = feed_store.rendered_versions(s)
        wanted = set(scope_keys) if scope_keys is not None else None
        todo: list[tuple[Scope, int, datetime, list[Format]]] = []
        for row in feed_store.all_scopes(s):
            if wanted is not None and row.scope not in wanted:
                continue
            stale = [f for f in FORMATS.values() if rendered.get((row.scope, f.name), -1) < row.version]
            if stale:
                todo.append((Scope.parse(row.scope, registry), row.version, row.changed_at, stale))
        known = RenderPass(s, _shown_languages(scope for scope, _, _, _ in todo))
        wide = [entry for entry in todo if entry[0].wide]
        narrow = [entry for entry in todo if not entry[0].wide]
        for batch in (wide, narrow) if wide and narrow else (todo,):
            documents: list[tuple[str, str, int, bytes, str, datetime]] = []
            for scope, version, changed_at, stale in batch:
                items = items_for(s, scope, known)  # once for all three formats
                for fmt in stale:
                    body, etag = _render(scope, fmt, changed_at, items, known)
                    documents.append((scope.key, fmt.name, version, body, etag, changed_at))
            feed_store.save_documents(s, documents)  # one statement for the whole batch
            written += len(documents)
            if batch is wide:
                # Narrower scopes read in the next transaction may be newer than their version read above:
                # a document is then stored as older than it is and rendered again, never the other way.
                s.commit()
                if saved is not None:
                    saved()
    # After the last commit, off the readers' path: what this process keeps follows what its feeds now show.
    itemcache.showing(known.shown)
    return written


def _shown_languages(scopes: Iterable[Scope]) -> set[str]:
    """Every language whose summaries these scopes show: their own, and the originals' of bilingual ones."""
    out: set[str] = set()
    for scope in scopes:
        out.add(scope.language)
        if scope.source_language:
            out.add(scope.source_language)
    return out


@dataclass(frozen=True)
class Document:
    body: bytes
    etag: str
    last_modified: datetime
    media_type: str


def _document(row: FeedDocumentRow) -> Document:
    return Document(row.body, row.etag, row.last_modified, FORMATS[row.format].media_type)


def get_document(scope_key: str, filename: str) -> Document:
    """The stored rendering of a feed, rendered now if it is missing or stale."""
    fmt = BY_FILENAME.get(filename)
    if fmt is None:
        raise NotFound(f"no feed format {filename!r}")
    scope = Scope.parse(scope_key)
    with session() as s:
        current = feed_store.scope_version(s, scope.key) or (0, EPOCH)
        doc = feed_store.document(s, scope.key, fmt.name)
        if doc is None or doc.rendered_version < current[0]:
            known = RenderPass(s, _shown_languages([scope]))
            body, etag = _render(scope, fmt, current[1], items_for(s, scope, known), known)
            itemcache.showing(known.shown)
            feed_store.save_document(s, scope.key, fmt.name, current[0], body, etag, current[1])
            doc = feed_store.document(s, scope.key, fmt.name, reload=True)
        assert doc is not None
        return _document(doc)


def current_documents(known: dict[str, str]) -> tuple[set[str], dict[str, Document]]:
    """For feeds a reader holds (``scope/file`` → the ETag it has): those it holds current, and the current
    stored renderings of those that changed. A feed whose scope changed since its last rendering is in neither
    (get_document renders it when asked)."""
    keys: dict[tuple[str, str], str] = {}
    etags: dict[tuple[str, str], str] = {}
    for path, etag in known.items():
        scope_key, _, filename = path.rpartition("/")
        fmt = BY_FILENAME.get(filename)
        if fmt is not None:
            keys[(scope_key, fmt.name)] = path
            etags[(scope_key, fmt.name)] = etag
    with session() as s:
        same, rows = feed_store.current_documents(s, etags)
        docs = {keys[(row.scope, row.format)]: _document(row) for row in rows}
    return {keys[key] for key in same}, docs


def fresh_etag(scope_key: str, filename: str) -> str | None:
    """The ETag of the stored rendering when it is still current (a cheap check for per-process caches)."""
    fmt = BY_FILENAME.get(filename)
    if fmt is None:
        return None
    with session() as s:
        return feed_store.fresh_etag(s, scope_key.strip("/"), fmt.name)


def feed_directory() -> list[tuple[str, str, str]]:
    """(scope, format name, URL) of every feed: per language, agency, category that has releases, bilingual."""
    base = get_settings().base_url.rstrip("/")
    registry = get_registry()
    languages = ["ko", *get_settings().languages]
    keys: list[str] = []
    for lang in dict.fromkeys(languages):
        keys.append(Scope(lang).key)
        keys.extend(Scope(lang, agency_id=a).key for a in registry.agencies)
    for lang in dict.fromkeys(languages[1:]):
        if lang != "ko":
            keys.append(Scope(lang, source_language="ko").key)
    with session() as s:
        keys.extend(row.scope for row in feed_store.all_scopes(s))
    return [
        (key, fmt.name, f"{base}/feeds/{key}/{fmt.filename}") for key in dict.fromkeys(keys) for fmt in FORMATS.values()
    ]


def all_feed_urls() -> list[tuple[str, str]]:
    """(title, URL) of every feed (for OPML and the home page)."""
    return [(f"syndicate {key} ({fmt})", url) for key, fmt, url in feed_directory()]
