"""The default summarizer: extractive, offline, deterministic.

Steps: split the body into sentences (per language); drop what is not summary material (photo captions,
contact and credit lines, sentences that are mostly quotation); drop asides that only name office holders; rank
the rest with LexRank (PageRank over a TF-IDF cosine graph) whose random jump is biased towards the lead,
because a press release puts its news first; pick greedily by Maximal Marginal Relevance so that no two chosen
sentences say the same thing; keep to the budget; give the picked sentences back in document order.
"""

from __future__ import annotations

import math
import re
from collections import Counter

from syndicate.model import Release, Summary
from syndicate.summarize.base import Budget, shorten
from syndicate.summarize.sentences import Sentence, split_sentences

#: PageRank damping: the share of a sentence's score that comes from the graph (the rest from the lead prior).
#: Chosen on the Naju evaluation set (bench/summarize_eval.py) among 0.1-0.7; press releases reward the lead.
DAMPING = 0.3
#: MMR trade-off: relevance minus this times the similarity to what is already chosen.
REDUNDANCY_PENALTY = 1.0
#: Two sentences this similar are the same news told twice; the later one is never picked.
DUPLICATE_SIMILARITY = 0.6
ITERATIONS = 60
MIN_CHARS = 15
MIN_TOKENS = 3
#: Only the start of a very long release is read and ranked: the graph is quadratic in sentences, a press
#: release's news is at its start, and a 500,000-character annex must not hold a worker for minutes.
MAX_INPUT_CHARS = 20_000
MAX_CANDIDATES = 80

# A photo caption block runs to the end of its paragraph; in scraped bodies it is glued onto the last one.
_CAPTION = re.compile(r"(?:사진\s*설명\s*[)\]:：]?|\*\s*사진|<\s*사진|\[\s*사진|\(\s*사진\s*제공|Photo caption:)")
_CONTACT = re.compile(
    r"문의\s*[:：)]|문의\s*(?:처|전화)|(?:로|에|으로)\s*문의|담당\s*부서|담당자|연락처|☎|"
    r"전화\s*[:：]?\s*\d|\b\d{2,4}[-.)\s]\d{3,4}[-.\s]\d{4}\b|[\w.+-]+@[\w-]+\.[\w.]+|"
    r"\b(?:media|press)\s+contacts?\b|\bcontact:|\btel\.|\bphone:|^#{3}$|\(끝\)|<끝>|^-\s*끝\s*-$",
    re.IGNORECASE,
)
# Asides that name an office holder ("(시장 윤병태)", "(동장 김귀남)") or define a short form ("(이하 지사협)"):
# they add a name, not news, so a summary drops them. Amounts and other parentheses stay.
_ROLES = (
    "시장|군수|구청장|도지사|지사|동장|면장|읍장|대표|대표이사|이사장|공동위원장|위원장|회장|교장|원장|센터장|"
    "관장|조합장|총장|지사장|본부장|청장|사장|의장|단장|소장|장관"
)
_ASIDE = re.compile(
    r"\s?\((?:" + _ROLES + r")\s[가-힣]{2,4}(?:[‧·,]\s?[가-힣]{2,4})*(?:,\s*이하\s[^()]{1,30})?\)"
    r"|\s?\(이하\s[^()]{1,30}\)"
)
# Double quotation marks (and Japanese brackets) enclose speech; single ‘’ in Korean mark names of programmes.
_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"|「[^」]*」|『[^』]*』|«[^»]*»")
QUOTE_SHARE = 0.4
_FINAL = re.compile(r"[.!?。！？…][”’\"'」』)\]]*$")


class ExtractiveSummarizer:
    method = "extractive"

    def summarize(self, release: Release, budget: Budget) -> Summary:
        return Summary(language=release.language, sentences=summarize_sentences(release, budget))


def summarize_sentences(release: Release, budget: Budget) -> list[str]:
    paragraphs = [trim_asides(p) for p in _without_captions(_head(release.paragraphs))]
    candidates = _summary_material(split_sentences(paragraphs, release.language))[:MAX_CANDIDATES]
    if not candidates:
        return []
    sim = _similarities(_vectors(candidates))
    scores = _rank(sim, _lead_prior(len(candidates)))
    return _select(candidates, scores, sim, budget)


def lead(release: Release, budget: Budget) -> list[str]:
    """The Lead-N baseline: the first sentences, within the same budget (used by the evaluation)."""
    chosen: list[str] = []
    for sent in split_sentences(release.paragraphs, release.language):
        if not budget.fits(chosen, sent.text):
            break
        chosen.append(sent.text)
    return chosen


# --- what is summary material ----------------------------------------------------------------------------------


def _head(paragraphs: list[str]) -> list[str]:
    out: list[str] = []
    left = MAX_INPUT_CHARS
    for paragraph in paragraphs:
        if left <= 0:
            break
        out.append(paragraph[:left])  # a cut sentence has no full stop and is left out as material
        left -= len(paragraph)
    return out


def trim_asides(text: str) -> str:
    return _ASIDE.sub("", text)


def _without_captions(paragraphs: list[str]) -> list[str]:
    out = []
    for paragraph in paragraphs:
        match = _CAPTION.search(paragraph)
        out.append(paragraph[: match.start()] if match else paragraph)
    return out


def _summary_material(sentences: list[Sentence]) -> list[Sentence]:
    plain = [s for s in sentences if _substantial(s) and not _CONTACT.search(s.text)]
    # Headings and list items have no full stop; they are not sentences a summary can quote.
    complete = [s for s in plain if _FINAL.search(s.text)]
    speech_free = [s for s in complete if not _mostly_quoted(s.text)]
    # A release that is all quotation (an interview) still deserves a summary: then quotes are the material.
    return speech_free or complete or plain


def _substantial(sentence: Sentence) -> bool:
    return len(sentence.text) >= MIN_CHARS and len(set(sentence.tokens)) >= MIN_TOKENS


def _mostly_quoted(text: str) -> bool:
    quoted = sum(len(m.group(0)) for m in _QUOTED.finditer(text))
    return quoted > QUOTE_SHARE * len(text)


# --- ranking --------------------------------------------------------------------------------------------------


def _vectors(sentences: list[Sentence]) -> list[dict[str, float]]:
    df: Counter[str] = Counter()
    for sent in sentences:
        df.update(set(sent.tokens))
    n = len(sentences)
    idf = {term: math.log(1 + n / count) for term, count in df.items()}
    vectors = []
    for sent in sentences:
        tf = Counter(sent.tokens)
        vec = {term: count * idf[term] for term, count in tf.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({term: v / norm for term, v in vec.items()})
    return vectors


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b[t] for t, v in a.items() if t in b)


def _similarities(vectors: list[dict[str, float]]) -> list[list[float]]:
    n = len(vectors)
    sim = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            sim[i][j] = sim[j][i] = _cosine(vectors[i], vectors[j])
    return sim


def _lead_prior(n: int) -> list[float]:
    """Where the random surfer jumps: the earlier the sentence, the likelier (1/position). A prior that also
    favoured sentences sharing the title's words scored worse on the evaluation set, so position alone it is."""
    weights = [1.0 / (position + 1) for position in range(n)]
    total = sum(weights)
    return [w / total for w in weights]


def _rank(sim: list[list[float]], prior: list[float]) -> list[float]:
    """PageRank over the similarity graph with a personalised jump (biased LexRank), scaled to max 1."""
    n = len(prior)
    out_weight = [sum(row) for row in sim]
    score = prior[:]
    for _ in range(ITERATIONS):
        nxt = [(1 - DAMPING) * p for p in prior]
        for i in range(n):
            if out_weight[i] == 0.0:
                # A sentence like no other hands its score back to the prior, keeping the total at one.
                for j in range(n):
                    nxt[j] += DAMPING * score[i] * prior[j]
                continue
            share = DAMPING * score[i] / out_weight[i]
            row = sim[i]
            for j in range(n):
                if row[j]:
                    nxt[j] += share * row[j]
        done = sum(abs(a - b) for a, b in zip(nxt, score, strict=True)) < 1e-9
        score = nxt
        if done:
            break
    top = max(score) or 1.0
    return [s / top for s in score]


# --- selection ------------------------------------------------------------------------------------------------


def _select(sentences: list[Sentence], scores: list[float], sim: list[list[float]], budget: Budget) -> list[str]:
    chosen: list[int] = []
    left = set(range(len(sentences)))
    while left and len(chosen) < budget.sentences:
        best, best_value = -1, -math.inf
        for i in sorted(left):
            redundancy = max((sim[i][j] for j in chosen), default=0.0)
            value = scores[i] - REDUNDANCY_PENALTY * redundancy
            if redundancy < DUPLICATE_SIMILARITY and value > best_value:
                best, best_value = i, value
        if best < 0:
            break
        left.discard(best)
        texts = [sentences[j].text for j in sorted(chosen)]
        if budget.fits(texts, sentences[best].text):
            chosen.append(best)
    if not chosen:
        # Even the best sentence is over the character budget alone: cut it rather than say nothing.
        best = max(range(len(sentences)), key=lambda i: scores[i])
        return [shorten(sentences[best].text, budget.chars)]
    return [sentences[i].text for i in sorted(chosen)]
