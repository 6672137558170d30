"""Reviewed translations: the issuing agency replaces the machine's translation with its own."""

from __future__ import annotations

from fastapi import APIRouter

from syndicate import translation
from syndicate.api.deps import AgencyId
from syndicate.api.schemas import TranslationIn
from syndicate.errors import Forbidden
from syndicate.model import Translation
from syndicate.store import releases as store
from syndicate.store.db import session
from syndicate.translate.base import check_language

router = APIRouter(prefix="/api/v1/releases", tags=["translations"])


@router.put("/{release_id}/translations/{language}", response_model=Translation)
def put_translation(release_id: str, language: str, body: TranslationIn, agency: AgencyId) -> Translation:
    """Your reviewed translation of your release (one paragraph per original paragraph). It is marked
    approved, replaces the machine translation in the feeds, and survives corrections for every paragraph
    whose original did not change."""
    check_language(language)
    with session() as s:
        if store.get(s, release_id).agency_id != agency:
            raise Forbidden("this release belongs to another agency")
    return translation.approve(release_id, language, body.title, body.subtitle, body.paragraphs)
