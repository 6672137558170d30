"""SQLAlchemy tables. Alembic migrations in store/migrations/ create exactly these; a test checks they agree.

Content that is a document (a release version, a translation) is stored as JSON of the domain model, so the
schema does not have to change each time a field is added to the model.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetimes on every backend (SQLite stores naive values; we store UTC and re-attach it)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


class AgencyRow(Base):
    """Mirror of feeds/agencies.toml, kept in sync so rows can refer to agencies."""

    __tablename__ = "agencies"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_ko: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKeyRow(Base):
    """An agency's API key. Only the SHA-256 of the key is stored (keys are 256-bit random, so a fast hash
    is safe); ``prefix`` lets an operator tell keys apart without revealing them."""

    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)


class ReleaseRow(Base):
    __tablename__ = "releases"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    agency_id: Mapped[str | None] = mapped_column(ForeignKey("agencies.id"), index=True, default=None)
    source_id: Mapped[str | None] = mapped_column(String(100), index=True, default=None)
    #: identity for deduplication: source GUID or canonical URL, or "submission:<id>"
    identity: Mapped[str] = mapped_column(String(1000), unique=True)
    #: SimHash of the text (16 hex digits); found by its quarters, never looked up whole
    fingerprint: Mapped[str | None] = mapped_column(String(64), default=None)
    #: the fingerprint's four 16-bit quarters, each indexed: near-duplicate lookups in SQL (normalize/identity.py).
    #: Not written on SQLite, where each process indexes the fingerprints itself (store/nearindex.py); its
    #: indexes leave the empty ones out.
    fingerprint_q0: Mapped[int | None] = mapped_column(Integer, default=None)
    fingerprint_q1: Mapped[int | None] = mapped_column(Integer, default=None)
    fingerprint_q2: Mapped[int | None] = mapped_column(Integer, default=None)
    fingerprint_q3: Mapped[int | None] = mapped_column(Integer, default=None)
    status: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(16), default="ko")
    category: Mapped[str | None] = mapped_column(String(100), index=True, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    #: the version whose pipeline has finished (what feeds show); 0 until first publication
    published_version: Mapped[int] = mapped_column(Integer, default=0)
    embargo_until: Mapped[datetime | None] = mapped_column(index=True, default=None)
    licence: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    licence_override: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    gate: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(index=True, default=None)
    retracted_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (
        Index("ix_releases_status_published", "status", "published_at"),  # also serves status alone
        *(
            Index(
                f"ix_releases_fingerprint_q{k}", f"fingerprint_q{k}", sqlite_where=text(f"fingerprint_q{k} IS NOT NULL")
            )
            for k in range(4)
        ),
    )


class ReleaseVersionRow(Base):
    """Every version of a release, as submitted (``raw``) and as normalized and credited (``content``)."""

    __tablename__ = "release_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # looked up by the (release_id, version) unique constraint's index, whose first column it is
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    raw: Mapped[dict[str, Any]] = mapped_column()
    content: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    #: the last pipeline step done for this version
    stage: Mapped[str] = mapped_column(String(20), default="received")
    note: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("release_id", "version"),)


class ReleaseEventRow(Base):
    """The timeline of a release: each stage it passed, with time and detail."""

    __tablename__ = "release_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    stage: Mapped[str] = mapped_column(String(30))
    detail: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class FeedScopeRow(Base):
    """A feed's scope (e.g. ``en/all``, ``ko/agencies/incheon``, ``ko+en/categories/economy``).

    ``version`` goes up in the same transaction as any change to a release in the scope; a rendered document
    is fresh while its ``rendered_version`` equals it. That makes "render once per change" race-free.
    """

    __tablename__ = "feed_scopes"
    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the version last announced to the WebSub hub (a ping is owed while it is below ``version``)
    announced_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class FeedDocumentRow(Base):
    __tablename__ = "feed_documents"
    scope: Mapped[str] = mapped_column(String(300), primary_key=True)
    format: Mapped[str] = mapped_column(String(10), primary_key=True)  # rss | atom | json
    rendered_version: Mapped[int] = mapped_column(Integer)
    body: Mapped[bytes] = mapped_column(LargeBinary)
    etag: Mapped[str] = mapped_column(String(80))
    last_modified: Mapped[datetime] = mapped_column()
    rendered_at: Mapped[datetime] = mapped_column(default=utcnow)


class SourceStateRow(Base):
    """Polling state of a source from the registry: conditional-GET validators, health and schedule."""

    __tablename__ = "source_state"
    source_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    etag: Mapped[str | None] = mapped_column(String(300), default=None)
    last_modified: Mapped[str | None] = mapped_column(String(100), default=None)
    body_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    interval_seconds: Mapped[int | None] = mapped_column(Integer, default=None)
    last_poll_at: Mapped[datetime | None] = mapped_column(default=None)
    last_success_at: Mapped[datetime | None] = mapped_column(default=None)
    next_poll_at: Mapped[datetime | None] = mapped_column(index=True, default=None)
    error_kind: Mapped[str | None] = mapped_column(String(50), default=None)
    error_message: Mapped[str | None] = mapped_column(Text, default=None)
    error_at: Mapped[datetime | None] = mapped_column(default=None)
    consecutive_errors: Mapped[int] = mapped_column(Integer, default=0)
    items_seen: Mapped[int] = mapped_column(Integer, default=0)
    paused: Mapped[bool] = mapped_column(Boolean, default=False)


class UserRow(Base):
    """A person who signs in to the portal, scoped to one agency. Only the argon2 hash of the password is kept."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    agency_id: Mapped[str] = mapped_column(ForeignKey("agencies.id"), index=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(200))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    #: sessions issued before this time are no longer accepted (set when the user signs out)
    sessions_valid_after: Mapped[datetime | None] = mapped_column(default=None)


class LoginFailureRow(Base):
    """A failed sign-in, counted per email and client address to slow down password guessing."""

    __tablename__ = "login_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    email: Mapped[str] = mapped_column(String(320))
    address: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_login_failures_email_address_at", "email", "address", "at"),)


class TranslationRow(Base):
    """A release in one other language: the machine's or a person's translation (``content`` is the JSON of
    model.Translation), or a pending one that every provider failed and the beat retries."""

    __tablename__ = "translations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    #: the release version this translation was made from
    version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    content: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    provider: Mapped[str | None] = mapped_column(String(100), default=None)
    model: Mapped[str | None] = mapped_column(String(200), default=None)
    review: Mapped[str] = mapped_column(String(20), default="machine")
    pending: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("release_id", "language"),)


class TranslationMemoryRow(Base):
    """One translated segment, keyed by the SHA-256 of (provider, languages, source text)."""

    __tablename__ = "translation_memory"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    source_lang: Mapped[str] = mapped_column(String(16))
    target_lang: Mapped[str] = mapped_column(String(16))
    provider: Mapped[str] = mapped_column(String(50))
    source_text: Mapped[str] = mapped_column(Text)
    target_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class SourceRow(Base):
    """A source added at run time (OPML import, operator); merged with feeds/sources/*.toml, which wins."""

    __tablename__ = "sources"
    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    agency_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(2000), unique=True)
    kind: Mapped[str] = mapped_column(String(20), default="rss")
    language: Mapped[str] = mapped_column(String(16), default="ko")
    title: Mapped[str | None] = mapped_column(String(300), default=None)
    licence: Mapped[str | None] = mapped_column(String(40), default=None)
    interval_minutes: Mapped[int] = mapped_column(Integer, default=30)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Seoul")
    category: Mapped[str | None] = mapped_column(String(100), default=None)
    selectors: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    origin: Mapped[str] = mapped_column(String(20), default="opml")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ReleasePlaceRow(Base):
    """Every place a release was seen: its source's item, an outlet's page republishing it, ..."""

    __tablename__ = "release_places"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    identity: Mapped[str] = mapped_column(String(1000), unique=True)
    url: Mapped[str | None] = mapped_column(String(2000), default=None)
    source_id: Mapped[str | None] = mapped_column(String(100), default=None)
    via: Mapped[str | None] = mapped_column(String(200), default=None)
    content_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)


class PartnerRow(Base):
    """An outlet that receives signed pushes. ``secret`` (whsec_…) is needed to sign, so it is stored; it is shown
    once at creation and never logged or returned again. Empty filter lists mean "everything"."""

    __tablename__ = "partners"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(String(2000))
    secret: Mapped[str] = mapped_column(String(200))
    languages: Mapped[list[Any]] = mapped_column(default=list)
    agencies: Mapped[list[Any]] = mapped_column(default=list)
    categories: Mapped[list[Any]] = mapped_column(default=list)
    commercial: Mapped[bool] = mapped_column(Boolean, default=False)
    ninjs_version: Mapped[str] = mapped_column(String(8), default="3")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DeliveryRow(Base):
    """One message to one partner (a release version's published/updated/retracted event) and its state:
    pending (due at ``next_attempt_at``) → delivered, or dead once the retry schedule is spent; refused when the
    licence gate forbids it. ``webhook_id`` is the Standard Webhooks message id, stable across retries."""

    __tablename__ = "deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id", ondelete="CASCADE"), index=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    type: Mapped[str] = mapped_column(String(40))
    webhook_id: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(20), index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(index=True, default=None)
    #: set when the sweep hands the message to a send task; only the task holding it may send (no duplicates)
    claim_token: Mapped[str | None] = mapped_column(String(32), default=None)
    last_status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    last_latency_ms: Mapped[int | None] = mapped_column(Integer, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(default=None)

    __table_args__ = (UniqueConstraint("partner_id", "webhook_id"),)


class DeliveryAttemptRow(Base):
    """The delivery log: every attempt with its answer and latency."""

    __tablename__ = "delivery_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    latency_ms: Mapped[int] = mapped_column(Integer, default=0)


class SummaryRow(Base):
    """A release's summary in one language: the latest version's (a correction replaces it)."""

    __tablename__ = "summaries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    release_id: Mapped[str] = mapped_column(ForeignKey("releases.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(16))
    sentences: Mapped[list[Any]] = mapped_column()
    #: extractive | abstractive | translated
    method: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("release_id", "language"),)
