"""Summarize: a faithful short version of a release, in its own language (and, through translation, others).

``summarize_release`` is the stage: a Release in, a Summary out, no SQL and no knowledge of other stages. The
extractive summarizer is the default and the fallback of the optional abstractive one, so a summary never
depends on a server being up.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from syndicate.config import Settings
from syndicate.errors import ProviderUnavailable
from syndicate.model import Release, Summary
from syndicate.summarize.base import Budget, Summarizer
from syndicate.summarize.extractive import ExtractiveSummarizer
from syndicate.summarize.llm import AbstractiveSummarizer
from syndicate.summarize.sentences import warm_up

__all__ = ["Budget", "Summarizer", "summaries_in_targets", "summarize_release", "warm_up"]

log = logging.getLogger(__name__)

#: ``texts, source language, target language → translated texts`` (the pipeline passes the translate stage's).
TranslateTexts = Callable[[list[str], str, str], list[str]]


def summarize_release(
    release: Release,
    settings: Settings,
    *,
    budget: Budget | None = None,
) -> Summary:
    """The release's summary in its own language. An empty body gives an empty summary, not an error."""
    budget = budget or Budget.from_settings(settings)
    if settings.summarizer == "abstractive":
        try:
            return AbstractiveSummarizer(settings).summarize(release, budget)
        except ProviderUnavailable as exc:
            # Recorded on the summary as method="extractive"; the reason goes to the log, not the reader.
            log.warning("abstractive summary failed, using extractive", extra={"stage": "summarize", "error": str(exc)})
    return ExtractiveSummarizer().summarize(release, budget)


def summaries_in_targets(summary: Summary, languages: list[str], translate: TranslateTexts) -> list[Summary]:
    """The summary in each target language, translated sentence by sentence (hook for the pipeline, which
    passes the translate stage's function so that the glossary applies; this stage imports no other)."""
    out = []
    for language in languages:
        if language == summary.language or not summary.sentences:
            continue
        sentences = translate(summary.sentences, summary.language, language)
        out.append(Summary(language=language, sentences=sentences, method="translated"))
    return out
