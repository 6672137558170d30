"""Licences we know, what each allows, and the licence gate.

KOGL (공공누리) types: 1 attribution; 2 attribution + no commercial use; 3 attribution + no derivatives;
4 attribution + no commercial use + no derivatives. A translation or a summary is a derivative.
"""

from __future__ import annotations

from syndicate.model import GateDecision, Licence

KNOWN: dict[str, tuple[bool, bool, str]] = {
    # id: (derivatives, commercial, url)
    "KOGL-1": (True, True, "https://www.kogl.or.kr/info/licenseType1.do"),
    "KOGL-2": (True, False, "https://www.kogl.or.kr/info/licenseType2.do"),
    "KOGL-3": (False, True, "https://www.kogl.or.kr/info/licenseType3.do"),
    "KOGL-4": (False, False, "https://www.kogl.or.kr/info/licenseType4.do"),
    "CC0-1.0": (True, True, "https://creativecommons.org/publicdomain/zero/1.0/"),
    "CC-BY-4.0": (True, True, "https://creativecommons.org/licenses/by/4.0/"),
    "CC-BY-SA-4.0": (True, True, "https://creativecommons.org/licenses/by-sa/4.0/"),
    "CC-BY-NC-4.0": (True, False, "https://creativecommons.org/licenses/by-nc/4.0/"),
    "CC-BY-ND-4.0": (False, True, "https://creativecommons.org/licenses/by-nd/4.0/"),
    "CC-BY-NC-SA-4.0": (True, False, "https://creativecommons.org/licenses/by-nc-sa/4.0/"),
    "CC-BY-NC-ND-4.0": (False, False, "https://creativecommons.org/licenses/by-nc-nd/4.0/"),
    "public-domain": (True, True, ""),
    # Older Creative Commons versions grant the same permissions as their 4.0 counterparts.
    **{
        f"CC-{kind}-{version}": (
            "ND" not in kind,
            "NC" not in kind,
            f"https://creativecommons.org/licenses/{kind.lower()}/{version}/",
        )
        for kind in ("BY", "BY-SA", "BY-NC", "BY-ND", "BY-NC-SA", "BY-NC-ND")
        for version in ("2.0", "2.5", "3.0")
    },
    # Nothing known: we may republish with credit (that is what the source put out for), nothing more.
    "unknown": (False, False, ""),
}


def licence(licence_id: str, origin: str = "default", note: str | None = None) -> Licence:
    """The Licence value for a known id; an unknown id is treated as allowing nothing beyond republication."""
    derivatives, commercial, url = KNOWN.get(licence_id, KNOWN["unknown"])
    return Licence(
        id=licence_id if licence_id in KNOWN else "unknown",
        derivatives=derivatives,
        commercial=commercial,
        url=url or None,
        origin=origin,
        note=note,
    )


ACTIONS = ("translate", "summarize", "deliver_commercial")


def gate(lic: Licence, action: str) -> GateDecision:
    """May we do ``action`` with a text under ``lic``? The answer carries the reason, for the record."""
    if action in ("translate", "summarize"):
        if lic.derivatives:
            return GateDecision(action=action, allowed=True, reason=f"{lic.id} allows derivatives")
        return GateDecision(
            action=action,
            allowed=False,
            reason=f"{lic.id} forbids derivatives; a {action[:-1]}ion is a derivative"
            if action == "translate"
            else f"{lic.id} forbids derivatives; a summary is one",
        )
    if action == "deliver_commercial":
        if lic.commercial:
            return GateDecision(action=action, allowed=True, reason=f"{lic.id} allows commercial use")
        return GateDecision(action=action, allowed=False, reason=f"{lic.id} forbids commercial use")
    raise ValueError(f"unknown action {action!r}")
