"""Abstractive summaries through an OpenAI-compatible ``/v1/chat/completions`` endpoint (self-hosted models).

Off by default (``SYNDICATE_SUMMARIZER=abstractive`` switches it on). Whatever goes wrong here becomes
``ProviderUnavailable``; ``summarize_release`` then falls back to the extractive summarizer. The model's answer
is split into sentences and held to the same budget as the extractive summary, and refused (so: extractive) when
it states a figure that is not in the release.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

from syndicate import netguard
from syndicate.config import Settings
from syndicate.errors import BlockedURL, ProviderUnavailable
from syndicate.model import Release, Summary
from syndicate.summarize.base import Budget, shorten
from syndicate.summarize.sentences import split_sentences

log = logging.getLogger(__name__)

LANGUAGE_NAMES = {"ko": "Korean", "en": "English", "ja": "Japanese", "zh": "Chinese"}
#: Enough of a release for a summary; a long annex does not need to travel to the model.
MAX_INPUT_CHARS = 12_000


class AbstractiveSummarizer:
    method = "abstractive"

    def __init__(self, settings: Settings) -> None:
        if not settings.openai_base_url:
            raise ProviderUnavailable("no SYNDICATE_OPENAI_BASE_URL set for the abstractive summarizer")
        self.settings = settings
        self.url = chat_url(settings.openai_base_url)
        self.model = settings.openai_model
        self.timeout = settings.translate_timeout
        self.api_key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None

    def summarize(self, release: Release, budget: Budget) -> Summary:
        answer = self._complete(_messages(release, budget))
        sentences = _within_budget(split_sentences([answer], release.language), budget)
        if not sentences:
            raise ProviderUnavailable("the model answered with no summary")
        invented = _numbers(" ".join(sentences)) - _numbers(" ".join([release.title, *release.paragraphs]))
        if invented:
            # Figures are what a model most often gets wrong and what editors most rely on.
            raise ProviderUnavailable(f"the model's summary has figures the release does not: {sorted(invented)}")
        return Summary(language=release.language, sentences=sentences, method="abstractive")

    def _complete(self, messages: list[dict[str, str]]) -> str:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        body: dict[str, Any] = {"model": self.model, "messages": messages, "temperature": 0}
        try:
            # Through the SSRF guard like every request we make: a model on a private address must be listed
            # in SYNDICATE_ALLOW_HOSTS by the operator.
            with netguard.guarded_client(self.settings, timeout=self.timeout, follow_redirects=False) as client:
                response = client.post(self.url, json=body, headers=headers)
        except BlockedURL as exc:
            raise ProviderUnavailable(f"summary endpoint refused: {exc}") from exc
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"summary endpoint unreachable: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise ProviderUnavailable(f"summary endpoint answered HTTP {response.status_code}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ProviderUnavailable("summary endpoint gave an answer that is not a chat completion") from exc
        if not isinstance(content, str) or not content.strip():
            raise ProviderUnavailable("the model answered with no summary")
        return content.strip()


def chat_url(base_url: str) -> str:
    """Accept both conventions for the base URL: ``http://host:8080`` and ``http://host:8080/v1``."""
    base = base_url.rstrip("/")
    if base.endswith("/chat/completions"):
        return base
    if not base.endswith("/v1"):
        base += "/v1"
    return base + "/chat/completions"


def _messages(release: Release, budget: Budget) -> list[dict[str, str]]:
    language = LANGUAGE_NAMES.get(release.language.split("-")[0], release.language)
    system = (
        f"You summarize government press releases for news editors. Write in {language}. Use at most "
        f"{budget.sentences} sentences and {budget.chars} characters. State only facts found in the release; "
        "no quotes, no contact details, no opinion. Answer with the summary only."
    )
    text = "\n\n".join([release.title, *(release.paragraphs or [])])[:MAX_INPUT_CHARS]
    return [{"role": "system", "content": system}, {"role": "user", "content": text}]


_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def _numbers(text: str) -> set[str]:
    return {m.group(0).replace(",", "").rstrip(".") for m in _NUMBER.finditer(text)}


def _within_budget(sentences: list[Any], budget: Budget) -> list[str]:
    chosen: list[str] = []
    for sent in sentences:
        if not budget.fits(chosen, sent.text):
            break
        chosen.append(sent.text)
    if not chosen and sentences:
        chosen = [shorten(sentences[0].text, budget.chars)]
    return chosen
