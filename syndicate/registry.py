"""The registry in feeds/: agencies, sources and glossary, loaded from TOML and validated.

    feeds/agencies.toml        [[agency]] id, name.ko, name.en, aliases, kind, homepage, licence, departments
    feeds/sources/*.toml       [[source]] id, agency, url, kind, language, licence (+ licence_override, licence_note),
                               interval_minutes, selectors
    feeds/glossary/*.toml      [[term]] source, language, targets.{lang}

Loading checks what a typo would break: duplicate ids, sources naming unknown agencies, aliases claimed by two
agencies (a name two agencies really share, such as 광주시, is declared in both as ``shared_aliases``). A bad file
raises ``ConfigError`` naming the file and the entry.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from pydantic import ValidationError

from syndicate.errors import ConfigError
from syndicate.model import Agency, GlossaryTerm, Source


def fold(name: str) -> str:
    """The key aliases are matched by: NFKC, case-folded, without spaces and middle dots."""
    text = unicodedata.normalize("NFKC", name).casefold()
    return "".join(ch for ch in text if not ch.isspace() and ch not in "·・.")


@dataclass
class Registry:
    agencies: dict[str, Agency] = field(default_factory=dict)
    sources: dict[str, Source] = field(default_factory=dict)
    glossary: list[GlossaryTerm] = field(default_factory=list)
    _alias: dict[str, str] = field(default_factory=dict)
    #: folded shared name → the ids of every agency that declares it (see Agency.shared_aliases)
    _shared: dict[str, list[str]] = field(default_factory=dict)

    def agency(self, agency_id: str) -> Agency | None:
        return self.agencies.get(agency_id)

    def match_agency(self, name: str) -> Agency | None:
        """The agency whose id, official name or alias equals ``name`` (folded), or None."""
        agency_id = self._alias.get(fold(name))
        return self.agencies.get(agency_id) if agency_id else None

    def sharing(self, name: str) -> list[Agency]:
        """The agencies that share ``name`` (folded), when it is a shared name; else an empty list."""
        return [self.agencies[i] for i in self._shared.get(fold(name), [])]

    def names(self) -> Iterable[tuple[str, Agency]]:
        """Every (name, agency) pair an agency can be written as, longest names first."""
        pairs = []
        for agency in self.agencies.values():
            for name in {agency.name.ko, agency.name.en, *agency.aliases}:
                pairs.append((name, agency))
        return sorted(pairs, key=lambda pair: -len(pair[0]))

    def add_agency(self, agency: Agency, where: str = "") -> None:
        if agency.id in self.agencies:
            raise ConfigError(f"{where}: duplicate agency id {agency.id!r}")
        self.agencies[agency.id] = agency
        for name in {agency.id, agency.name.ko, agency.name.en, *agency.aliases}:
            key = fold(name)
            other = self._alias.get(key)
            if other is not None and other != agency.id:
                raise ConfigError(f"{where}: name {name!r} of {agency.id!r} is already used by {other!r}")
            self._alias[key] = agency.id
        for name in agency.shared_aliases:
            key = fold(name)
            if key in self._alias:
                raise ConfigError(f"{where}: shared name {name!r} of {agency.id!r} is already {self._alias[key]!r}'s")
            self._shared.setdefault(key, []).append(agency.id)
        if any(fold(n) in self._shared for n in (agency.id, agency.name.ko, agency.name.en, *agency.aliases)):
            raise ConfigError(f"{where}: a name of {agency.id!r} is declared shared by another agency")


def _read_toml(path: Path) -> dict:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _entries(path: Path, key: str) -> list[dict]:
    data = _read_toml(path)
    entries = data.get(key, [])
    if not isinstance(entries, list):
        raise ConfigError(f"{path}: [[{key}]] must be an array of tables")
    return entries


def load_registry(directory: Path) -> Registry:
    registry = Registry()
    agencies_file = directory / "agencies.toml"
    for entry in _entries(agencies_file, "agency"):
        try:
            agency = Agency.model_validate(entry)
        except ValidationError as exc:
            raise ConfigError(f"{agencies_file}: agency {entry.get('id')!r}: {exc}") from exc
        registry.add_agency(agency, str(agencies_file))

    for path in sorted((directory / "sources").glob("*.toml")):
        for entry in _entries(path, "source"):
            try:
                source = Source.model_validate(entry)
            except ValidationError as exc:
                raise ConfigError(f"{path}: source {entry.get('id')!r}: {exc}") from exc
            if source.id in registry.sources:
                raise ConfigError(f"{path}: duplicate source id {source.id!r}")
            if source.agency not in registry.agencies:
                raise ConfigError(f"{path}: source {source.id!r} names unknown agency {source.agency!r}")
            registry.sources[source.id] = source

    for path in sorted((directory / "glossary").glob("*.toml")):
        for entry in _entries(path, "term"):
            try:
                registry.glossary.append(GlossaryTerm.model_validate(entry))
            except ValidationError as exc:
                raise ConfigError(f"{path}: term {entry.get('source')!r}: {exc}") from exc
    return registry


@lru_cache(maxsize=4)
def _cached(directory: str) -> Registry:
    return load_registry(Path(directory))


def get_registry(directory: Path | None = None) -> Registry:
    """The registry of the configured directory, loaded once per process."""
    if directory is None:
        from syndicate.config import get_settings

        directory = get_settings().resolved_registry_dir
    return _cached(str(directory))


get_registry.cache_clear = _cached.cache_clear  # type: ignore[attr-defined]
