"""Agency matching: a name as found in a credit line → an agency of the registry, with its department.

    "인천시" / "인천광역시" / "Incheon"      → incheon
    "대구광역시 일자리투자국"                 → daegu, department "일자리투자국"
    "나주시청", "나주시보건소"                 → naju (the second with department "보건소")
    "노인건강과 노인복지팀" (with a default)  → the default agency, department "노인건강과 노인복지팀"
    "재.나주시천연염색문화재단"                → no agency: kept as found, for an operator to look at
    "광주시" (shared by 광주광역시 and 경기도 광주시) → the one the context names, else kept as found

A name is never guessed: it matches an official name or an alias from feeds/agencies.toml, or it does not match.
A name two agencies share matches only when the default agency is one of them, or when the release's text names
exactly one of them in a way the other's names do not ("광주광역시", "경기 광주시").
"""

from __future__ import annotations

import re

from syndicate.model import Agency, AgencyRef
from syndicate.registry import Registry, fold

# Korean department names end in one of these (과 division, 팀 team, 국 bureau, 실 office, 관 officer, ...).
_DEPARTMENT_END = re.compile(r"^[가-힣]+(?:과|팀|국|실|관|센터|본부|사업소|보건소|(?<!재)단|반|처|소|부서)$")
_TRAILING = re.compile(r"\s*(?:제공|청사|에서 제공)$")


def is_department(text: str) -> bool:
    """Every word of ``text`` is a department-like name ("노인건강과 노인복지팀", "정책기획관 기획담당관")."""
    words = text.split()
    return bool(words) and all(_DEPARTMENT_END.search(word) and len(word) >= 2 for word in words)


def ref_for(agency: Agency, department: str | None = None) -> AgencyRef:
    return AgencyRef(
        id=agency.id, name=agency.name, department=_canonical(agency, department), homepage=agency.homepage
    )


def _canonical(agency: Agency, department: str | None) -> str | None:
    """The registry's spelling of a department when it lists it; otherwise the department as found."""
    if not department:
        return None
    key = fold(department)
    for known in agency.departments:
        if fold(known) == key:
            return known
    # "정책기획관기획담당관": two listed departments whose markup lost the space between them.
    parts: list[str] = []
    rest = key
    while rest:
        piece = next((k for k in agency.departments if rest.startswith(fold(k))), None)
        if piece is None:
            return department
        parts.append(piece)
        rest = rest[len(fold(piece)) :]
    return " ".join(parts)


def _exact(registry: Registry, name: str) -> Agency | None:
    agency = registry.match_agency(name)
    if agency is None and name.endswith("청") and len(name) > 2:
        # "나주시청", "신안군청": the city hall is the city (not for "조달청", which is an agency's name).
        stem = registry.match_agency(name[:-1])
        if stem is not None and stem.kind in ("city", "county", "metropolitan", "province"):
            agency = stem
    return agency


def _with_department(registry: Registry, name: str) -> tuple[Agency, str] | None:
    """The longest registry name that ``name`` starts with, when the rest reads as a department."""
    lowered = name.casefold()
    for alias, agency in registry.names():
        if not lowered.startswith(alias.casefold()) or len(alias) >= len(name):
            continue
        rest = name[len(alias) :]
        spaced = rest[:1].isspace()
        rest = rest.strip(" ·,-")
        if rest.startswith("청 "):  # "인천시청 교통정책과"
            rest = rest[2:].strip()
        if rest and (is_department(rest) or (spaced and agency.departments and _canonical(agency, rest) != rest)):
            return agency, rest
    return None


def _shared(registry: Registry, name: str) -> tuple[list[Agency], str] | None:
    """The agencies sharing the name ``name`` is (or whose city hall it is), or that it starts with followed by
    a department; with that department ("" for none)."""
    sharing = registry.sharing(name) or (registry.sharing(name[:-1]) if name.endswith("청") else [])
    if sharing:
        return sharing, ""
    lowered = name.casefold()
    for agency in registry.agencies.values():
        for alias in agency.shared_aliases:
            if lowered.startswith(alias.casefold()) and len(alias) < len(name):
                rest = name[len(alias) :].strip(" ·,-")
                rest = rest[2:].strip() if rest.startswith("청 ") else rest
                if rest and is_department(rest):
                    return registry.sharing(alias), rest
    return None


def _tell_apart(candidates: list[Agency], default: Agency | None, context: str | None) -> Agency | None:
    """The one of ``candidates`` that the default agency is, or that the context alone names; else None."""
    if default is not None and default in candidates:
        return default
    if not context:
        return None
    text = fold(context)

    def names(agency: Agency) -> set[str]:
        return {fold(n) for n in (agency.name.ko, agency.name.en, *agency.aliases)}

    named = []
    for agency in candidates:
        others = set().union(*(names(o) for o in candidates if o is not agency))
        # A name that is part of another candidate's name ("Gwangju" in both English names) tells nothing.
        own = [n for n in names(agency) if len(n) >= 4 and not any(n in other for other in others)]
        if any(n in text for n in own):
            named.append(agency)
    return named[0] if len(named) == 1 else None


def match(
    registry: Registry, name: str | None, default: Agency | None = None, context: str | None = None
) -> AgencyRef | None:
    """The agency ``name`` refers to; a bare department belongs to ``default``; None when ``name`` is empty.
    ``context`` (the release's text) tells apart the agencies that share a name.

    An unknown name comes back as ``AgencyRef(found=name)`` (id None): kept as found and flagged, never guessed.
    """
    if not name:
        return None
    name = _TRAILING.sub("", " ".join(name.split())).strip(" .,:;")
    if not name:
        return None
    agency = _exact(registry, name)
    if agency is not None:
        return ref_for(agency)
    shared = _shared(registry, name)
    if shared is not None:
        chosen = _tell_apart(shared[0], default, context)
        return ref_for(chosen, shared[1] or None) if chosen is not None else AgencyRef(found=name)
    split = _with_department(registry, name)
    if split is not None:
        return ref_for(*split)
    if default is not None and is_department(name):
        return ref_for(default, name)
    return AgencyRef(found=name)


def department_of(agency: Agency, name: str | None, registry: Registry) -> str | None:
    """The department a contact or credit line names for ``agency`` ("행정과 박주홍" → "행정과")."""
    if not name:
        return None
    ref = match(registry, name, default=agency)
    if ref is None or ref.id is not None:
        # Named this agency (with its department, or none), or another agency: nothing more to read here.
        return ref.department if ref is not None and ref.id == agency.id else None
    words = [w for w in name.split() if _DEPARTMENT_END.search(w) and len(w) >= 2]
    return " ".join(words) or None
