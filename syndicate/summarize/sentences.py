"""Sentences and their content tokens, per language.

Korean goes through kiwipiepy (one morphological analysis gives both the sentence boundaries and the
morphemes); the Kiwi model takes about a second to load, so it is loaded once per process, on first use.
English (and other space-separated languages) use rules that respect decimals and common abbreviations;
Japanese and Chinese split on their full stops and use character bigrams as tokens, which is the usual sound
choice when no segmenter is at hand.
"""

from __future__ import annotations

import itertools
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kiwipiepy import Kiwi

#: Content morphemes (Sejong tags as Kiwi uses them): common, proper and bound-free nouns, numerals, foreign
#: words, Hanja, verb and adjective stems, roots. Particles, endings and punctuation carry no topic. Kiwi marks
#: regular and irregular conjugation on stems ("VV-R", "VA-I"); only the part before the dash is compared.
KOREAN_CONTENT_TAGS = frozenset({"NNG", "NNP", "NR", "SN", "SL", "SH", "VV", "VA", "XR"})

_ENGLISH_STOPWORDS = frozenset(
    "a an the and or but of to in on at for with by from as is are was were be been being it its this that "
    "these those he she they we you i his her their our your has have had will would shall should can could "
    "may might do does did not no so than then there here which who whom whose what when where how also said "
    "says about into over after before more most such".split()
)
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof sr jr st mt no nos vol fig gov gen sen rep rev inc ltd co corp dept est approx vs etc "
    "jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e u.s u.k u.n a.m p.m".split()
)


@dataclass
class Sentence:
    """One sentence: its text, its place in the document, and the tokens similarity is computed on."""

    text: str
    index: int
    paragraph: int
    tokens: list[str] = field(default_factory=list)


# --- Korean -------------------------------------------------------------------------------------------------

_kiwi_lock = threading.Lock()
_kiwi: list[Kiwi] = []


def kiwi() -> Kiwi:
    """The process's Kiwi analyser, built on first use (never at import); threads share one."""
    if not _kiwi:
        with _kiwi_lock:
            if not _kiwi:
                from kiwipiepy import Kiwi

                # Without the typo and multi-word dictionaries the model takes 330 MB instead of 520 MB per
                # process, and the evaluation set gives the same summaries and scores.
                analyser = Kiwi(load_typo_dict=False, load_multi_dict=False)
                # The first analysis initialises the model lazily (as long again as loading it): do it here,
                # under the lock, so that whoever gets the analyser gets it ready.
                analyser.split_into_sents("준비되었다.")
                _kiwi.append(analyser)
    return _kiwi[0]


def warm_up() -> threading.Thread:
    """Load the Kiwi model in the background (a worker process calls this when it starts, so that its first
    Korean release does not wait seconds for the model; a caller that needs it meanwhile waits on the lock)."""
    thread = threading.Thread(target=kiwi, name="kiwi-warm-up", daemon=True)
    thread.start()
    return thread


def korean_tokens(text: str) -> list[str]:
    """Content morphemes of a Korean text (used by the ROUGE evaluation as well)."""
    return [_morpheme(t.form, t.tag) for t in kiwi().tokenize(text) if _content(t.tag)]


def _content(tag: str) -> bool:
    return tag.split("-", 1)[0] in KOREAN_CONTENT_TAGS


def _morpheme(form: str, tag: str) -> str:
    # Verb and adjective stems are lemmas already ("밝히"); lower-case foreign words so "KOGL" == "kogl".
    return form.lower() if tag == "SL" else form


# Two repairs to Kiwi's boundaries, seen on real releases. (1) A short fragment without a predicate (a section
# heading that lost its line break in a scraped body) stays on the sentence before it: "…진행됐다. ‘센터’"; it
# becomes its own piece. (2) Kiwi sometimes cuts right after a closing quotation mark, leaving the particle that
# follows as the start of a "sentence" ("‘가족 친화 인증’" | "은 기관·기업이 …"); a piece that starts where
# the previous one ends, with no space between, belongs to it.
_KO_TAIL = re.compile(r"^(.+?[다요]\.[”’\"')]*)(\s+)([^.!?。]{1,60})$", re.DOTALL)


def _korean(paragraph: str) -> list[tuple[str, list[str]]]:
    pieces: list[list[int]] = []  # [start, end] offsets into the paragraph
    tokens: list[tuple[int, str]] = []  # (offset, content morpheme)
    for sent in kiwi().split_into_sents(paragraph, return_tokens=True):
        start, end = sent.start, sent.end
        tail = _KO_TAIL.match(paragraph[start:end].rstrip())
        if tail:
            pieces.append([start, start + tail.end(1)])
            pieces.append([start + tail.start(3), start + tail.end(3)])
        else:
            pieces.append([start, end])
        tokens.extend((t.start, _morpheme(t.form, t.tag)) for t in sent.tokens or [] if _content(t.tag))
    merged: list[list[int]] = []
    for start, end in pieces:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = end
        else:
            merged.append([start, end])
    out = []
    for start, end in merged:
        text = tidy(paragraph[start:end])
        if text:
            out.append((text, [form for offset, form in tokens if start <= offset < end]))
    return out


_BULLETS = "■□▶▷►◆◇●○◎※•·-–— \t\n"


def tidy(text: str) -> str:
    """A sentence without the section bullets that press releases put around their parts."""
    return text.strip().strip(_BULLETS).strip()


# --- English and other space-separated languages --------------------------------------------------------------

# A candidate boundary: terminal punctuation, optional closing quotes/brackets, whitespace, then something that
# can start a sentence (upper case, digit, opening quote or bracket).
_EN_BOUNDARY = re.compile(r"""([.!?]+["'”’)\]]*)\s+(?=["“‘(\[]?[A-Z0-9])""")
_WORD = re.compile(r"[^\W_]+(?:[-'][^\W_]+)*", re.UNICODE)


def _english_split(paragraph: str) -> list[str]:
    out: list[str] = []
    start = 0
    for match in _EN_BOUNDARY.finditer(paragraph):
        end = match.end(1)
        if _ends_with_abbreviation(paragraph[start:end]):
            continue
        out.append(paragraph[start:end].strip())
        start = match.end()
    tail = paragraph[start:].strip()
    if tail:
        out.append(tail)
    return [s for s in out if s]


def _ends_with_abbreviation(text: str) -> bool:
    if not text.endswith("."):
        return False
    last = text.rstrip(".").rsplit(None, 1)[-1].lower() if text.strip(".").strip() else ""
    # "U.S." → "u.s"; a single capital ("J. Smith") is an initial, not the end of a sentence.
    return last in _ABBREVIATIONS or (len(last) == 1 and last.isalpha())


def english_tokens(text: str) -> list[str]:
    words = (w.lower() for w in _WORD.findall(text))
    return [w for w in words if w not in _ENGLISH_STOPWORDS]


# --- Japanese and Chinese -------------------------------------------------------------------------------------

_CJK_BOUNDARY = re.compile(r"([。！？!?]+[」』）)”’]*)")
_CJK_SPACE = re.compile(r"\s+")


def _cjk_split(paragraph: str) -> list[str]:
    parts = _CJK_BOUNDARY.split(paragraph)
    # re.split with a group alternates text and delimiter: glue each delimiter back onto its sentence.
    out = ["".join(parts[i : i + 2]).strip() for i in range(0, len(parts), 2)]
    return [s for s in out if s]


def cjk_tokens(text: str) -> list[str]:
    chars = [c for c in _CJK_SPACE.sub("", text) if c.isalnum()]
    return [a + b for a, b in itertools.pairwise(chars)] or chars


# --- one entry point ------------------------------------------------------------------------------------------


def split_sentences(paragraphs: list[str], language: str) -> list[Sentence]:
    """Every sentence of the paragraphs, in document order, with its content tokens."""
    lang = language.split("-")[0].lower()
    sentences: list[Sentence] = []
    for p_index, paragraph in enumerate(paragraphs):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        for text, tokens in _split_one(paragraph, lang):
            sentences.append(Sentence(text=text, index=len(sentences), paragraph=p_index, tokens=tokens))
    return sentences


def _split_one(paragraph: str, lang: str) -> list[tuple[str, list[str]]]:
    if lang == "ko":
        return _korean(paragraph)
    if lang in ("ja", "zh"):
        return [(tidy(s), cjk_tokens(s)) for s in _cjk_split(paragraph) if tidy(s)]
    return [(tidy(s), english_tokens(s)) for s in _english_split(paragraph) if tidy(s)]


def tokens_for(text: str, language: str) -> list[str]:
    """Content tokens of any text in a language (the same tokens the sentence graph uses)."""
    lang = language.split("-")[0].lower()
    if lang == "ko":
        return korean_tokens(text)
    if lang in ("ja", "zh"):
        return cjk_tokens(text)
    return english_tokens(text)
