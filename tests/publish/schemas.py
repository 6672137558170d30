"""Offline validators for the shared schemas (JSON Feed 1.1, IPTC ninjs 3.1 and 2.2), per shared/schemas/README."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator, Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012

SCHEMAS = Path("/work/shared/schemas")


def _load(name: str) -> Any:
    return json.loads((SCHEMAS / name).read_text(encoding="utf-8"))


@cache
def jsonfeed_validator() -> Draft4Validator:
    registry = Registry().with_resources(
        [
            (
                "https://json.schemastore.org/feed-1",
                Resource.from_contents(_load("jsonfeed-1.schemastore.json"), default_specification=DRAFT4),
            ),
            (
                "https://json.schemastore.org/feed.json",
                Resource.from_contents(_load("jsonfeed-1.1.schemastore.json"), default_specification=DRAFT4),
            ),
        ]
    )
    return Draft4Validator(_load("jsonfeed-1.1.schemastore.json"), registry=registry)


@cache
def ninjs_validator(version: str) -> Draft202012Validator:
    geo = Registry().with_resource(
        "https://geojson.org/schema/GeoJSON.json",
        Resource.from_contents(_load("GeoJSON-schema.json"), default_specification=DRAFT202012),
    )
    name = {"3": "ninjs-schema_3.1.json", "3.0": "ninjs-schema_3.0.json", "2.2": "ninjs-schema_2.2.json"}[version]
    return Draft202012Validator(_load(name), registry=geo, format_checker=Draft202012Validator.FORMAT_CHECKER)


def errors(validator: Draft4Validator | Draft202012Validator, doc: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(doc)]
