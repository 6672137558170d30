"""The `syndicate` command: run the service, manage keys, sources and partners, run one stage by hand."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from syndicate.errors import SyndicateError

app = typer.Typer(
    help="syndicate: press-release syndication and translation.\n\n"
    "Ingests agencies' releases, credits them, respects their licence, translates and summarizes them, "
    "and republishes them as feeds and partner pushes.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
keys_app = typer.Typer(help="Agency API keys.", no_args_is_help=True)
users_app = typer.Typer(help="People's portal accounts (API keys are for machines).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(keys_app, name="keys")
app.add_typer(users_app, name="users")
sources_app = typer.Typer(help="Sources: the feeds and boards syndicate polls.", no_args_is_help=True)
app.add_typer(sources_app, name="sources")
licence_app = typer.Typer(help="Licences: an operator's override for one release.", no_args_is_help=True)
app.add_typer(licence_app, name="licence")
partners_app = typer.Typer(
    help="Partners: outlets that receive signed pushes (Standard Webhooks, ninjs).", no_args_is_help=True
)
app.add_typer(partners_app, name="partners")

err = Console(stderr=True, soft_wrap=True)  # an error stays one line, however narrow the terminal
F = TypeVar("F", bound=Callable[..., Any])


def clean_errors(fn: F) -> F:
    """Our errors end a command with one line on stderr and exit 1, never a traceback."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except SyndicateError as exc:
            err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)  # one line, whatever the width
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


DataDir = Annotated[
    Path | None,
    typer.Option("--data-dir", help="Data folder (database, embedded broker). Env: SYNDICATE_DATA_DIR."),
]


def _use_data_dir(data_dir: Path | None) -> None:
    if data_dir is not None:
        os.environ["SYNDICATE_DATA_DIR"] = str(data_dir.resolve())
        from syndicate.config import get_settings

        get_settings.cache_clear()


# --- running the service ------------------------------------------------------------------------------------


@app.command()
@clean_errors
def up(
    port: Annotated[int, typer.Option(help="HTTP port of the API and portal.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    data_dir: DataDir = None,
    concurrency: Annotated[int, typer.Option(help="Pipeline worker processes.")] = 2,
    io_concurrency: Annotated[int, typer.Option(help="Worker processes for polls and partner pushes.")] = 8,
) -> None:
    """Run the whole service on this machine: API and portal, a pipeline worker, a worker for polls and partner
    pushes, and beat, on a SQLite database and an embedded Redis under the data folder. Ctrl-C stops all of it."""
    from syndicate.supervisor import run_up

    _use_data_dir(data_dir)
    raise typer.Exit(run_up(host=host, port=port, concurrency=concurrency, io_concurrency=io_concurrency))


@app.command()
@clean_errors
def api(
    port: Annotated[int, typer.Option(help="HTTP port.")] = 8000,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    workers: Annotated[int, typer.Option(help="Server processes.")] = 1,
) -> None:
    """Run the HTTP API and portal (uvicorn)."""
    import uvicorn

    from syndicate.config import get_settings
    from syndicate.logs import configure

    configure()
    uvicorn.run(
        "syndicate.api.app:create_asgi",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        log_config=None,  # keep our logfmt handler (secrets redacted)
        access_log=get_settings().access_log,
        proxy_headers=True,
        # uvicorn's httptools protocol, answering fresh cached feeds without the ASGI round trip (feedwire).
        http="syndicate.api.feedwire:FeedProtocol",
    )


@app.command()
@clean_errors
def worker(
    concurrency: Annotated[int, typer.Option(help="Worker processes.")] = 2,
    queues: Annotated[str, typer.Option(help="Queues to consume.")] = "pipeline,poll,deliver",
    name: Annotated[str | None, typer.Option(help="Node name (default: celery@HOSTNAME).")] = None,
    pool: Annotated[str, typer.Option(help="prefork (processes) or threads.")] = "prefork",
) -> None:
    """Run a Celery worker that carries releases through the pipeline (or, with --queues poll,deliver, one that
    only waits on other people's servers)."""
    from workers import transport
    from workers.celery_app import app as celery

    # One redis client per channel for kombu's own commands (workers/transport.py), before any connection.
    transport.install()
    # A worker that does not consume the pipeline queue never loads the summarizer's models (celery_app).
    celery.worker_main(
        [
            "worker",
            "--loglevel=INFO",
            f"--concurrency={concurrency}",
            f"--pool={pool}",
            f"--queues={queues}",
            *([f"--hostname={name}"] if name else []),
            "--without-gossip",
            "--without-mingle",
        ]
    )


@app.command()
@clean_errors
def beat() -> None:
    """Run Celery beat: polls due sources, lifts embargoes, retries deliveries."""
    from syndicate.config import get_settings
    from workers.celery_app import app as celery

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    celery.start(["beat", "--loglevel=INFO", f"--schedule={settings.data_dir.resolve() / 'celerybeat-schedule'}"])


@db_app.command("upgrade")
@clean_errors
def db_upgrade(data_dir: DataDir = None) -> None:
    """Apply the database migrations and load the agency registry."""
    from syndicate.store.migrate import upgrade_and_sync

    _use_data_dir(data_dir)
    upgrade_and_sync()
    err.print("database is up to date")


# --- keys -----------------------------------------------------------------------------------------------------


@keys_app.command("create")
@clean_errors
def keys_create(
    agency: Annotated[str, typer.Option(help="Agency id from feeds/agencies.toml.")],
    label: Annotated[str | None, typer.Option(help="A note to tell keys apart.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Create an API key for one agency and print it (only the key, once; it is stored hashed)."""
    from syndicate.store import keys
    from syndicate.store.db import session
    from syndicate.store.migrate import upgrade_and_sync

    _use_data_dir(data_dir)
    upgrade_and_sync()
    with session() as s:
        key = keys.create_key(s, agency, label)
    typer.echo(key)


@keys_app.command("revoke")
@clean_errors
def keys_revoke(prefix: str, data_dir: DataDir = None) -> None:
    """Revoke the keys that start with PREFIX (the first 10 characters)."""
    from syndicate.store import keys
    from syndicate.store.db import session

    _use_data_dir(data_dir)
    with session() as s:
        count = keys.revoke_key(s, prefix)
    err.print(f"revoked {count} key(s)")


# --- users ----------------------------------------------------------------------------------------------------


@users_app.command("create")
@clean_errors
def users_create(
    agency: Annotated[str, typer.Option(help="Agency id from feeds/agencies.toml.")],
    email: Annotated[str, typer.Option(help="Sign-in email (unique).")],
    password: Annotated[str, typer.Option(help="Password, at least 8 characters; stored as an argon2 hash.")],
    admin: Annotated[bool, typer.Option("--admin", help="May use the operators' pages.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Create a portal account for a person at one agency; they sign in at /login."""
    from syndicate.store.migrate import upgrade_and_sync
    from syndicate.web.accounts import create_user

    _use_data_dir(data_dir)
    upgrade_and_sync()
    user = create_user(agency_id=agency, email=email, password=password, is_admin=admin)
    err.print(f"created {user.email} for {user.agency_id}" + (" (admin)" if user.is_admin else ""))


@users_app.command("list")
@clean_errors
def users_list(data_dir: DataDir = None) -> None:
    """List portal accounts."""
    from syndicate.web.accounts import all_users

    _use_data_dir(data_dir)
    for user in all_users():
        typer.echo(f"{user.email}\t{user.agency_id}" + ("\tadmin" if user.is_admin else ""))


# --- sources and polling ----------------------------------------------------------------------------------------


@sources_app.command("list")
@clean_errors
def sources_list(
    failing: Annotated[bool, typer.Option("--failing", help="Only sources whose last poll failed.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
    data_dir: DataDir = None,
) -> None:
    """Every source (registry and imported) with its health: last poll, errors, next poll."""
    from rich.table import Table

    from syndicate.polling import source_health
    from syndicate.store.migrate import upgrade_and_sync

    _use_data_dir(data_dir)
    upgrade_and_sync()
    rows = [row for row in source_health() if not failing or row["health"]["status"] == "failing"]
    if as_json:
        _print_json(rows)
        return
    table = Table()
    for name in ("id", "agency", "kind", "status", "errors"):
        table.add_column(name, no_wrap=True)
    for name in ("last error", "last poll", "next poll"):
        table.add_column(name, overflow="fold")
    for row in rows:
        h = row["health"]
        error = h["last_error"]
        table.add_row(
            row["id"],
            row["agency"],
            row["kind"],
            h["status"],
            str(h["consecutive_errors"]),
            f"{error['kind']}: {error['message']}"[:60] if error else "",
            _when(h["last_poll_at"]),
            _when(h["next_poll_at"]),
        )
    Console().print(table)


def _when(value: str | None) -> str:
    return value[:19].replace("T", " ") if value else "-"


@sources_app.command("import")
@clean_errors
def sources_import(
    file: Annotated[Path, typer.Argument(help="An OPML file.")],
    agency: Annotated[str | None, typer.Option(help="Agency id for outlines that do not name one.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Add the feeds of an OPML file as sources."""
    from syndicate import catalog
    from syndicate.errors import InputError
    from syndicate.opml import read_opml
    from syndicate.registry import get_registry
    from syndicate.store.migrate import upgrade_and_sync

    _use_data_dir(data_dir)
    if not file.is_file():
        raise InputError(f"no such file: {file}")
    registry = get_registry()

    def match(name: str) -> str | None:
        found = registry.match_agency(name)
        return found.id if found else None

    imported = read_opml(file.read_bytes(), agency=agency, match_agency=match)
    upgrade_and_sync()
    added, skipped = catalog.add_runtime(imported.sources)
    for reason in imported.skipped + skipped:
        err.print(f"skipped {reason}", markup=False, highlight=False)
    err.print(f"imported {len(added)} source(s)")


@sources_app.command("export")
@clean_errors
def sources_export(data_dir: DataDir = None) -> None:
    """Print every source as OPML 2.0."""
    from syndicate import catalog
    from syndicate.opml import write_opml
    from syndicate.store.migrate import upgrade_and_sync

    _use_data_dir(data_dir)
    upgrade_and_sync()
    sys.stdout.write(write_opml(catalog.all_sources().values()).decode())


@app.command()
@clean_errors
def poll(
    source_id: Annotated[str | None, typer.Argument(help="The source to poll; all sources when left out.")] = None,
    data_dir: DataDir = None,
) -> None:
    """Poll a source now (or every source), whatever its schedule. New releases go to the workers when a broker
    is configured, else through the pipeline in this process."""
    from syndicate import catalog, pipeline, polling
    from syndicate.config import get_settings
    from syndicate.store.migrate import upgrade_and_sync

    _use_data_dir(data_dir)
    upgrade_and_sync()
    ids = [source_id] if source_id else list(catalog.all_sources())
    failed = 0
    for sid in ids:
        result = polling.poll(sid)
        if get_settings().broker_url:
            from syndicate.api.dispatch import enqueue

            enqueue(result.steps)
        else:
            pipeline.run_inline(result.steps)
        failed += result.status == "error"
        detail = f" ({result.error})" if result.error else ""
        typer.echo(f"{sid}: {result.status}, {result.new} new{detail}")
    if failed and source_id:
        raise typer.Exit(1)


@app.command()
@clean_errors
def extract(
    target: Annotated[str, typer.Argument(metavar="INPUT", help="File path or URL of a feed or a page.")],
    source: Annotated[str | None, typer.Option(help="Read the page with this source's selectors.")] = None,
) -> None:
    """Print the normalized releases in a feed or page as JSON: an object for a page, a list for a feed."""
    from syndicate.polling import extract as run

    releases, is_page = run(target, source_id=source)
    payload = [r.model_dump(mode="json") for r in releases]
    _print_json(payload[0] if is_page else payload)


@licence_app.command("set")
@clean_errors
def licence_set(
    licence: Annotated[str, typer.Argument(help="Licence id, e.g. KOGL-1, KOGL-4, CC-BY-4.0, unknown.")],
    release: Annotated[str, typer.Option(help="The release id.")],
    note: Annotated[str, typer.Option(help="Why: who decided, on what grounds (recorded).")],
    by: Annotated[str, typer.Option(help="Who is overriding.")] = "cli",
    data_dir: DataDir = None,
) -> None:
    """Override one release's licence (recorded with the note); credit, the gate and publishing run again.
    For a whole source, set `licence`, `licence_override = true` and `licence_note` in its feeds/sources file."""
    from syndicate import pipeline
    from workers.tasks.pipeline import enqueue

    _use_data_dir(data_dir)
    steps = pipeline.override_licence(release, licence, note=note, by=by)
    enqueue(steps)
    err.print(f"release {release}: licence {licence} recorded; re-running: {', '.join(n.step for n in steps) or '-'}")


# --- partners -------------------------------------------------------------------------------------------------


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@partners_app.command("add")
@clean_errors
def partners_add(
    name: str,
    url: str,
    languages: Annotated[str | None, typer.Option(help="Only these languages, e.g. en,ja (default: all).")] = None,
    agencies: Annotated[str | None, typer.Option(help="Only these agency ids, comma-separated (default: all).")] = None,
    categories: Annotated[
        str | None, typer.Option(help="Only these categories, comma-separated (default: all).")
    ] = None,
    commercial: Annotated[
        bool, typer.Option("--commercial", help="A commercial outlet: never sent non-commercial licences.")
    ] = False,
    ninjs: Annotated[str, typer.Option("--ninjs", help="ninjs version of the payload: 3 or 2.2.")] = "3",
    data_dir: DataDir = None,
) -> None:
    """Register a partner endpoint. Prints its id and its signing secret (whsec_...) once: store the secret now,
    it is never shown again."""
    from syndicate.partners import add_partner
    from syndicate.store.migrate import upgrade_and_sync

    _use_data_dir(data_dir)
    upgrade_and_sync()
    try:
        partner_id, secret = add_partner(
            name=name,
            url=url,
            languages=_csv(languages),
            agencies=_csv(agencies),
            categories=_csv(categories),
            commercial=commercial,
            ninjs_version=ninjs,
        )
    except ValueError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        raise typer.Exit(1) from None
    typer.echo(f"id: {partner_id}")
    typer.echo(f"secret: {secret}")


@partners_app.command("list")
@clean_errors
def partners_list(data_dir: DataDir = None) -> None:
    """List partners with their filters and delivery counts (secrets are never shown). Tab-separated when the
    output is not a terminal."""
    from rich.table import Table

    from syndicate.partners import partner_summaries

    _use_data_dir(data_dir)
    header = ("id", "name", "url", "filters", "ninjs", "pending", "delivered", "dead", "refused")
    rows = []
    for p in partner_summaries():
        filters = "; ".join(f"{key}={','.join(p[key])}" for key in ("languages", "agencies", "categories") if p[key])
        filters += "; commercial" if p["commercial"] else ""
        counts = [str(p["counts"].get(k, 0)) for k in ("pending", "delivered", "dead", "refused")]
        rows.append((p["id"], p["name"], p["url"], filters.strip("; ") or "all", p["ninjs_version"], *counts))
    if not sys.stdout.isatty():
        for row in (header, *rows):
            typer.echo("\t".join(row))
        return
    table = Table(*header)
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@partners_app.command("replay")
@clean_errors
def partners_replay(
    partner: Annotated[str, typer.Argument(help="Partner id or name.")],
    since: Annotated[
        str | None, typer.Option(help="Only messages created at or after this time (ISO 8601, e.g. 2026-11-25T09:00Z).")
    ] = None,
    data_dir: DataDir = None,
) -> None:
    """Send a partner's messages again, dead ones included (same webhook ids, so duplicates are dropped)."""
    from syndicate.partners import parse_since, replay

    _use_data_dir(data_dir)
    partner_id, count = replay(partner, parse_since(since))
    # They are due now: the beat's delivery sweep (every 2 s) hands them to the workers.
    err.print(f"replaying {count} message(s) to {partner_id}")


# --- one stage by hand ----------------------------------------------------------------------------------------


@app.command()
@clean_errors
def summarize(
    input_file: Annotated[Path, typer.Argument(metavar="INPUT.json", help="A release JSON as `extract` prints it.")],
    sentences: Annotated[int | None, typer.Option(help="At most this many sentences. Env: SUMMARY_SENTENCES.")] = None,
    chars: Annotated[int | None, typer.Option(help="At most this many characters. Env: SUMMARY_CHARS.")] = None,
) -> None:
    """Summarize one release and print JSON: "summary" (its sentences), "language" and "method". Extractive by
    default; SYNDICATE_SUMMARIZER=abstractive uses the OpenAI-compatible endpoint (falling back to extractive).
    A release whose known licence forbids derivatives is refused."""
    from syndicate.config import get_settings
    from syndicate.credit import gate
    from syndicate.errors import LicenceForbids
    from syndicate.summarize import Budget, summarize_release

    settings = get_settings()
    release = _load_release(input_file)
    licence = release.credit.licence
    decision = gate(licence, "summarize")
    # An undetermined licence ("unknown", origin "default": no credit stage ran) is the user's own call here.
    if not decision.allowed and licence.origin != "default":
        raise LicenceForbids(decision.reason, action="summarize")
    defaults = Budget.from_settings(settings)
    budget = Budget(sentences=sentences or defaults.sentences, chars=chars or defaults.chars)
    summary = summarize_release(release, settings, budget=budget)
    _print_json({"summary": summary.sentences, "language": summary.language, "method": summary.method})


def _load_release(path: Path) -> Any:
    """A release JSON from a file: `extract`'s output, or the API's release object (its "release" member)."""
    from pydantic import ValidationError

    from syndicate.errors import InputError
    from syndicate.model import Release

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is not a JSON file: {exc}") from exc
    if isinstance(data, dict) and isinstance(data.get("release"), dict):
        data = data["release"]
    if not isinstance(data, dict):
        raise InputError(f"{path} holds no release object (a JSON object with title and paragraphs)")
    known = {key: value for key, value in data.items() if key in Release.model_fields}
    try:
        return Release.model_validate(known)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "release"
        raise InputError(f"{path} is not a release: {where}: {first['msg']}") from exc


def _print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str) + "\n")


@app.command()
@clean_errors
def translate(
    input_file: Annotated[
        Path, typer.Argument(metavar="INPUT.json", help="A release as `syndicate extract` prints it.")
    ],
    to: Annotated[str, typer.Option("--to", help="Target language, e.g. en, ja, zh-CN, vi.")],
    translators: Annotated[
        str | None,
        typer.Option(help="Provider chain, e.g. libre,google (default: SYNDICATE_TRANSLATORS)."),
    ] = None,
) -> None:
    """Translate one release JSON into LANG and print it, with its `translation` record (provider, model,
    time, review state, label). Official names come out exactly as in the registry."""
    from syndicate.translation import translate_file

    _print_json(translate_file(input_file, to, translators.split(",") if translators else None))


def main() -> None:  # pragma: no cover - console entry for `python -m syndicate`
    app()
