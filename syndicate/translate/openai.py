"""An OpenAI-compatible chat endpoint (self-hosted models: vLLM, llama.cpp, Ollama, LiteLLM ...) as a Translator.

deep-translator's ChatGptTranslator uses the retired ``openai.ChatCompletion`` interface and cannot be pointed
at another base URL, so this speaks ``POST {base}/chat/completions`` itself, through the SSRF-guarded client the
providers share (translate/client.py). A chat endpoint takes one text per request, so the chain sends a release's
segments side by side (``translate_concurrency``); on the kept-alive client they reuse the connections of the
requests before them, where a client per call made each segment connect anew (and, over HTTPS, handshake).
"""

from __future__ import annotations

from typing import Any

import httpx

from syndicate.config import Settings
from syndicate.errors import ConfigError, InputError, ProviderUnavailable
from syndicate.translate import client
from syndicate.translate.base import language_name

PROMPT = (
    "You translate press releases from {source} to {target}. Translate the user's text. Keep every marker "
    "such as ⟦0⟧ exactly as it is, where it belongs in the sentence. Answer with the translation only."
)


class OpenAIChatTranslator:
    max_chars = 4000

    def __init__(self, base_url: str, model: str, settings: Settings, api_key: str | None = None) -> None:
        self.name = "openai"
        self.model: str | None = model
        base = base_url.rstrip("/")
        if httpx.URL(base).path in ("", "/"):
            base += "/v1"  # OpenAI clients take the base URL with its /v1
        self._url = base + "/chat/completions"
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._settings = settings

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIChatTranslator:
        if not settings.openai_base_url:
            raise ConfigError("openai: set SYNDICATE_OPENAI_BASE_URL")
        key = settings.openai_api_key.get_secret_value() if settings.openai_api_key else None
        return cls(settings.openai_base_url, settings.openai_model, settings, key)

    def warm_up(self) -> None:
        """Make this process's client now (its TLS context loads the CA bundle), not in the first request."""
        client.shared_client(self._settings)

    def translate_batch(self, segments: list[str], source: str, target: str) -> list[str]:
        return [self._one(text, source, target) for text in segments]

    def _one(self, text: str, source: str, target: str) -> str:
        body = {
            "model": self.model,
            "temperature": 0,
            "messages": [
                {
                    "role": "system",
                    "content": PROMPT.format(source=language_name(source), target=language_name(target)),
                },
                {"role": "user", "content": text},
            ],
        }
        try:
            answer = client.post(self._settings, self._url, json=body, headers=self._headers)
        except httpx.TimeoutException as exc:
            limit = self._settings.translate_timeout
            raise ProviderUnavailable(f"openai: no answer within {limit:g}s", provider=self.name) from exc
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"openai: {type(exc).__name__}", provider=self.name) from exc
        self._check_status(answer)
        return _content(answer)

    def _check_status(self, answer: httpx.Response) -> None:
        status = answer.status_code
        if status == 429 or status >= 500:
            raise ProviderUnavailable(
                f"openai: HTTP {status}", provider=self.name, status=status, retry_after=_retry_after(answer)
            )
        if status in (401, 403):
            raise ConfigError(f"openai: HTTP {status} (check SYNDICATE_OPENAI_API_KEY)")
        if status >= 400:
            raise InputError(f"openai: HTTP {status}", provider=self.name)


def _retry_after(answer: httpx.Response) -> float | None:
    try:
        return float(answer.headers.get("retry-after", ""))
    except ValueError:
        return None


def _content(answer: httpx.Response) -> str:
    try:
        data: Any = answer.json()
        content = data["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ProviderUnavailable("openai: answer without choices[0].message.content") from exc
    if not isinstance(content, str):
        raise ProviderUnavailable("openai: content is not text")
    return content.strip()
