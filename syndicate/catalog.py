"""Every source: the registry's (feeds/sources/*.toml) merged with those added at run time (OPML). The
registry wins when both name the same id: it is reviewed in git, the runtime table is not."""

from __future__ import annotations

from urllib.parse import urlsplit

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from syndicate.errors import NotFound
from syndicate.model import Source
from syndicate.registry import get_registry
from syndicate.store import sources as store
from syndicate.store.db import session


def all_sources() -> dict[str, Source]:
    registry = get_registry()
    with session() as s:
        runtime = store.runtime_sources(s)
    merged = {source.id: source for source in runtime}
    merged.update(registry.sources)
    return dict(sorted(merged.items()))


def get_source(source_id: str, s: Session | Connection | None = None) -> Source:
    """A source by id; ``s`` lets a caller look it up in the session (or connection) it already has open."""
    source = get_registry().sources.get(source_id)
    if source is not None:
        return source
    if s is not None:
        runtime = store.runtime_source(s, source_id)
    else:
        with session() as own:
            runtime = store.runtime_source(own, source_id)
    if runtime is not None:
        return runtime
    raise NotFound(f"no source {source_id!r}")


def add_runtime(sources: list[Source], origin: str = "opml") -> tuple[list[str], list[str]]:
    """Store new runtime sources; returns (added ids, reasons for the ones left out)."""
    registry = get_registry()
    taken_urls = {source.url for source in registry.sources.values()}
    added: list[str] = []
    skipped: list[str] = []
    with session() as s:
        for source in sources:
            if source.agency not in registry.agencies:
                skipped.append(f"{source.url}: unknown agency {source.agency!r}")
            elif source.id in registry.sources or source.url in taken_urls:
                skipped.append(f"{source.url}: already in the registry")
            elif not store.add_source(s, source, origin):
                skipped.append(f"{source.url}: already added")
            else:
                added.append(source.id)
    return added, skipped


def for_url(url: str | None) -> Source | None:
    """The registry source whose site a page belongs to (same host, longest shared path), for its selectors."""
    if not url:
        return None
    parts = urlsplit(url)
    host = _host(parts.hostname)
    best: tuple[int, Source] | None = None
    for source in get_registry().sources.values():
        if source.selectors is None:
            continue
        theirs = urlsplit(source.url)
        if _host(theirs.hostname) != host:
            continue
        shared = len(_common_prefix(parts.path, theirs.path))
        if best is None or shared > best[0]:
            best = (shared, source)
    return best[1] if best else None


def _host(name: str | None) -> str:
    name = (name or "").lower()
    return name[4:] if name.startswith("www.") else name


def _common_prefix(a: str, b: str) -> str:
    out = []
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        out.append(x)
    return "".join(out)
