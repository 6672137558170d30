"""Translate: a release into one target language, structure kept, official names exact, nothing truncated.

segments   title, subtitle, each paragraph (a person's approved translation of a segment wins)
protect    glossary terms and HTML tags → placeholders (glossary.py)
translate  memory, then the provider chain with retries and fallback (chain.py), long segments cut at
           sentence boundaries to each provider's limit and joined again (segments.py)
restore    placeholders → exact target forms; where a provider mangled them, translate the text between
           the terms piece by piece and insert the terms ourselves
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from syndicate.errors import InputError
from syndicate.model import Release, ReviewState, Translation
from syndicate.translate.base import Translator, check_language, detect_language, language_name
from syndicate.translate.chain import ChainResult, RetryPolicy, TranslatorChain
from syndicate.translate.glossary import Glossary, Masked
from syndicate.translate.memory import HUMAN, LocalMemory, TranslationMemory

__all__ = [
    "HUMAN",
    "Glossary",
    "LocalMemory",
    "RetryPolicy",
    "TranslationMemory",
    "Translator",
    "TranslatorChain",
    "detect_language",
    "label",
    "segments_of",
    "source_language",
    "translate_release",
    "translate_with_extra",
]


def segments_of(release: Release) -> list[str]:
    """The texts translated for a release, in order: title, subtitle (if any), paragraphs."""
    return [release.title, *([release.subtitle] if release.subtitle else []), *release.paragraphs]


def source_language(release: Release, given: str | None = None) -> str:
    if given:
        return check_language(given)
    return detect_language(" ".join(segments_of(release))[:2000])


def label(source: str, url: str | None, review: ReviewState = ReviewState.machine) -> str:
    """The notice every translated output carries."""
    kind = "Machine translation" if review == ReviewState.machine else "Reviewed translation"
    text = f"{kind} from {language_name(source)}"
    return f"{text}; original: {url}" if url else text


def translate_release(
    release: Release,
    target: str,
    translator_chain: TranslatorChain,
    glossary: Glossary,
    memory: TranslationMemory,
    *,
    source: str | None = None,
) -> Translation:
    """``release`` in ``target``; raises ProviderUnavailable when every provider failed."""
    return translate_with_extra(release, target, translator_chain, glossary, memory, source=source)[0]


def translate_with_extra(
    release: Release,
    target: str,
    translator_chain: TranslatorChain,
    glossary: Glossary,
    memory: TranslationMemory,
    *,
    source: str | None = None,
    extra: Sequence[str] = (),
) -> tuple[Translation, list[str]]:
    """``release`` in ``target``, and the translations of ``extra`` texts (in the release's language: its
    summary's sentences), which go to the providers in the very requests of the release's segments. They share
    the release's fate: if they cannot be translated, neither can the release in this language."""
    source = source or release.language
    check_language(target)
    if source == target:
        raise InputError(f"the release is already in {target}")
    texts = segments_of(release)
    wanted = list(dict.fromkeys([*texts, *extra]))
    approved = memory.get_many(wanted, source, target, HUMAN)
    machine = [t for t in texts if t not in approved]
    translated, result = _machine(
        [t for t in wanted if t not in approved], source, target, translator_chain, glossary, memory
    )
    out = [approved[t] if t in approved else translated[t] for t in texts]
    extra_out = [approved[t] if t in approved else translated[t] for t in extra]
    review = ReviewState.approved if not machine else ReviewState.machine
    has_subtitle = bool(release.subtitle)
    translation = Translation(
        language=target,
        source_language=source,
        title=out[0],
        subtitle=out[1] if has_subtitle else None,
        paragraphs=out[2 if has_subtitle else 1 :],
        provider=",".join(result.providers) if machine else HUMAN,
        model=(",".join(result.models) or None) if machine else None,
        translated_at=datetime.now(UTC),
        review=review,
        label=label(source, release.original_url, review),
    )
    return translation, extra_out


def _machine(
    texts: list[str],
    source: str,
    target: str,
    chain: TranslatorChain,
    glossary: Glossary,
    memory: TranslationMemory,
) -> tuple[dict[str, str], ChainResult]:
    """Machine translations of ``texts`` (text → translation), terms exact."""
    result = ChainResult(texts=[])
    if not texts:
        return {}, result
    masked = [glossary.protect(t, source, target) for t in dict.fromkeys(texts)]
    result = chain.translate([m.text for m in masked], source, target, memory)
    out: dict[str, str] = {}
    broken: list[tuple[str, Masked]] = []
    for original, m, answer in zip(dict.fromkeys(texts), masked, result.texts, strict=True):
        restored = m.restore(answer)
        if restored is None:
            broken.append((original, m))
        else:
            out[original] = restored
    if broken:
        out.update(_piecewise(broken, source, target, chain, memory, result))
    return out, result


def _piecewise(
    broken: list[tuple[str, Masked]],
    source: str,
    target: str,
    chain: TranslatorChain,
    memory: TranslationMemory,
    result: ChainResult,
) -> dict[str, str]:
    """The fallback for segments whose placeholders a provider mangled: translate between the terms."""
    pieces = [m.pieces(source) for _, m in broken]
    flat = [p for ps in pieces for p in ps]
    again = chain.translate(flat, source, target, memory)
    result.sent += again.sent
    for name in again.providers:
        if name not in result.providers:
            result.providers.append(name)
    out = {}
    position = 0
    for (original, m), ps in zip(broken, pieces, strict=True):
        translated = again.texts[position : position + len(ps)]
        position += len(ps)
        out[original] = m.join(translated, target)
    return out
