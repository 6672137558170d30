"""Credit: who issued a release, what came through whom, and under which licence.

``apply_credit`` reads as the list of steps it takes:

1. take the credit lines out of the title ("[외교부] …"), the paragraphs and the body HTML (``lines``, ``body``);
2. decide the agency: the one the source or the submitting key belongs to, unless that is a news outlet, in
   which case the agency the credit line names (``agency``); a name that matches nothing is kept as found;
3. ``via``: the outlet the release came through, when it did;
4. the licence, first found wins: an explicit one (an operator's override of this release, or the submitting
   agency's word), an operator's override for the source (``licence_override = true`` in its TOML), the page's
   marks (``detect``), the source's default in the registry, the agency's default, ``unknown``.

The licence gate (``licence.gate``) and ``allowed`` are what later stages consult before they act.
"""

from __future__ import annotations

from typing import Any

from syndicate.credit import agency as agencies
from syndicate.credit.body import strip_credit
from syndicate.credit.detect import detect_licence
from syndicate.credit.licence import ACTIONS, gate, licence
from syndicate.credit.lines import KINDS, Found, split_paragraphs, title_prefix
from syndicate.model import Agency, AgencyRef, GateDecision, Licence, Release, Source
from syndicate.registry import Registry

__all__ = ["ACTIONS", "allowed", "apply_credit", "decide", "detect_licence", "gate", "licence", "unmatched"]


def apply_credit(
    release: Release,
    registry: Registry,
    *,
    agency_id: str | None = None,
    source: Source | None = None,
    licence_id: str | None = None,
    via: str | None = None,
    licence_origin: str = "submission",
    licence_note: str | None = None,
) -> Release:
    """Fill ``release.credit`` and take the credit lines out of its text (see the module docstring)."""
    given = registry.agency(agency_id or (source.agency if source else "") or "")
    title, prefix = title_prefix(release.title, lambda name: _known(registry, name))
    paragraphs, found = split_paragraphs(release.paragraphs)
    if prefix is not None:
        found.insert(0, prefix)
    # The text itself tells apart agencies that share a name ("광주시": 광주광역시 or 경기도 광주시).
    context = "\n".join([title, *(release.subtitle or "",), *paragraphs])
    ref = _agency(registry, found, given, agency_id or (source.agency if source else None), context)
    issuer = registry.agency(ref.id or "")
    lic = _licence(release, found, issuer, source, licence_id, licence_origin, licence_note)
    credit = release.credit.model_copy(
        update={
            "agency": ref,
            "line": _line(registry, found, ref, context) or release.credit.line,
            "via": via or release.credit.via or (given.name.ko if given and given.kind == "outlet" else None),
            "licence": lic,
            "contact": _contact(found) or release.credit.contact,
        }
    )
    return release.model_copy(
        update={
            "title": title,
            "paragraphs": paragraphs,
            "body_html": strip_credit(release.body_html, found),
            "credit": credit,
        }
    )


def _known(registry: Registry, name: str) -> bool:
    """Is ``name`` an agency's (a name two agencies share is one, whichever it turns out to be)?"""
    ref = agencies.match(registry, name)
    return ref is not None and (ref.id is not None or bool(registry.sharing(name)))


def _agency(
    registry: Registry, found: list[Found], given: Agency | None, given_id: str | None, context: str
) -> AgencyRef:
    """The issuing agency. A source's own agency wins, except a news outlet's: that one only carried it."""
    if given is not None and given.kind != "outlet":
        return agencies.ref_for(given, _department(registry, given, found))
    named = [f for f in sorted(found, key=lambda f: KINDS.index(f.kind)) if f.name and f.kind != "contact"]
    refs = [agencies.match(registry, f.name, context=context) for f in named]
    for ref in refs:
        agency = registry.agency(ref.id) if ref is not None and ref.id else None
        if ref is None or agency is None or agency.kind == "outlet":  # another outlet carried it too: not the issuer
            continue
        if not ref.department:
            ref.department = _department(registry, agency, found)
        return ref
    for ref in refs:
        if ref is not None and ref.id is None:
            return ref  # unknown: kept as found, flagged by the pipeline
    return AgencyRef(found=given_id if given is None else None)


def _department(registry: Registry, agency: Agency, found: list[Found]) -> str | None:
    for item in sorted(found, key=lambda f: KINDS.index(f.kind)):
        if item.kind in ("photo", "notice") or not item.name:
            continue
        department = agencies.department_of(agency, item.name, registry)
        if department:
            return department
    return None


def _line(registry: Registry, found: list[Found], ref: AgencyRef, context: str) -> str | None:
    """The credit line as found: one that names the credited agency if any does ("출처: 통계청" under a city's
    release cites data, it does not credit the release), else a source line, else a photo credit."""
    candidates = [item for item in found if item.kind in ("source", "prefix", "photo")]
    for item in candidates:
        named = agencies.match(registry, item.name, context=context) if ref.id else None
        if named is not None and named.id == ref.id:
            return item.text
    for kind in ("source", "prefix", "photo"):
        for item in candidates:
            if item.kind == kind:
                return item.text
    return None


def _contact(found: list[Found]) -> str | None:
    contacts = [item.text for item in found if item.kind == "contact"]
    return " / ".join(contacts) or None


def _licence(
    release: Release,
    found: list[Found],
    agency: Agency | None,
    source: Source | None,
    licence_id: str | None,
    origin: str,
    note: str | None,
) -> Licence:
    if licence_id:
        return licence(licence_id, origin, note)
    if source is not None and source.licence and source.licence_override:
        return licence(source.licence, "override", source.licence_note or f"set for source {source.id}")
    notices = [item.text for item in found if item.kind == "notice"]
    page = detect_licence(release.licence_hint, notices)
    if page is not None:
        return page
    if source is not None and source.licence:
        return licence(source.licence, "source", f"default of source {source.id}")
    if agency is not None:
        return licence(agency.licence, "agency", f"default of agency {agency.id}")
    return licence("unknown", "default")


# --- the gate, as stored on a release and consulted by later stages -----------------------------------------


def decide(lic: Licence) -> dict[str, Any]:
    """The gate's answers for every action, as stored on ``ReleaseRow.gate``:
    ``{"licence": id, "translate": {"allowed": bool, "reason": str}, ...}``."""
    out: dict[str, Any] = {"licence": lic.id, "origin": lic.origin}
    for action in ACTIONS:
        decision: GateDecision = gate(lic, action)
        out[action] = {"allowed": decision.allowed, "reason": decision.reason}
    return out


def allowed(gate_json: dict[str, Any] | None, action: str) -> bool:
    """May a later stage do ``action``? No gate recorded (or an unknown action) means no: we fail closed."""
    if not gate_json:
        return False
    entry = gate_json.get(action)
    return bool(isinstance(entry, dict) and entry.get("allowed") is True)


def unmatched(ref: AgencyRef) -> bool:
    """The release names no registry agency (or none at all): an operator should look at it."""
    return ref.id is None
