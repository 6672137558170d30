"""Credit: who issued a release, what came through whom, and under which licence."""

from __future__ import annotations

from syndicate.credit.licence import gate, licence
from syndicate.model import AgencyRef, Release, Source
from syndicate.registry import Registry

__all__ = ["apply_credit", "gate", "licence"]


def apply_credit(
    release: Release,
    registry: Registry,
    *,
    agency_id: str | None = None,
    source: Source | None = None,
    licence_id: str | None = None,
    via: str | None = None,
) -> Release:
    """Fill ``release.credit``: the agency (given, or the source's) and the licence, in order of precedence:
    an explicit licence (submission or override), the source's, the agency's default."""
    agency_id = agency_id or (source.agency if source else None)
    agency = registry.agency(agency_id) if agency_id else None
    ref = AgencyRef(id=agency.id, name=agency.name) if agency else AgencyRef(found=agency_id)
    if licence_id:
        lic = licence(licence_id, "submission")
    elif source and source.licence:
        lic = licence(source.licence, "source")
    elif agency:
        lic = licence(agency.licence, "agency")
    else:
        lic = licence("unknown", "default")
    credit = release.credit.model_copy(update={"agency": ref, "licence": lic, "via": via or release.credit.via})
    return release.model_copy(update={"credit": credit})
