"""The survey's text analysis: pure functions from answers to figures, no database access.

How similar are the business and the IT leaders' answers? docs/surveys.md gives the method with a worked
example that the tests reproduce. In short: each answer is cut into words, stop words dropped, each word
stemmed (Snowball, English); every answer to a question becomes a TF-IDF vector (scikit-learn's
TfidfVectorizer with that analyzer and its defaults: raw counts, smoothed idf = 1 + ln((1 + n) / (1 + df)),
each vector scaled to length 1); a side's vector is the mean of its leaders' vectors, and the similarity of
two vectors is their cosine (0: no content word in common, 1: the same words in the same proportions).
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import snowballstemmer

BUSINESS, IT = "business", "it"
# scikit-learn's English stop words, but for a few that carry meaning in a program's goals ("the system",
# "who will own it").
KEPT_WORDS = frozenset({"system", "own"})
WORD = re.compile(r"[^\W\d_]{2,}")  # two letters or more, any alphabet; digits and punctuation split words
_STEMMER = snowballstemmer.stemmer("english")
# A scale item whose sides' means differ by this much or more is a gap.
SCALE_GAP = 1.0


@functools.cache
def stop_words() -> frozenset[str]:
    """The stop words. scikit-learn is imported when a survey is first analysed, not by every process that
    loads the app (it holds tens of megabytes)."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS  # noqa: PLC0415  # see the docstring

    return frozenset(ENGLISH_STOP_WORDS) - KEPT_WORDS


def words(text: str) -> list[str]:
    """The content words of a text, lower-cased, in order: stop words dropped."""
    stop = stop_words()
    return [w for w in WORD.findall(text.lower()) if w not in stop]


def stems(text: str) -> list[str]:
    """The analyzer of the TF-IDF: the stems of the content words of a text, in order."""
    return list(_STEMMER.stemWords(words(text)))


def _vectors(texts: Sequence[str]) -> list[dict[str, float]] | None:
    """Each text's TF-IDF vector (term -> weight, length 1, empty for a text with no content word), fitted on
    `texts`; None when no text has a content word."""
    if not any(stems(t) for t in texts):
        return None
    from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: PLC0415  # see stop_words()

    vectorizer = TfidfVectorizer(analyzer=stems)
    matrix = vectorizer.fit_transform(texts).tocsr()
    terms = vectorizer.get_feature_names_out()
    rows = []
    for i in range(matrix.shape[0]):
        row = matrix.getrow(i)
        rows.append({str(terms[j]): float(v) for j, v in zip(row.indices, row.data, strict=True)})
    return rows


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """The cosine of two sparse vectors; 0.0 when either is empty."""
    dot = sum(weight * b.get(term, 0.0) for term, weight in a.items())
    na = math.sqrt(sum(w * w for w in a.values()))
    nb = math.sqrt(sum(w * w for w in b.values()))
    if not na or not nb:
        return 0.0
    return max(0.0, min(1.0, dot / (na * nb)))


def _mean(vectors: Iterable[dict[str, float]]) -> dict[str, float]:
    vectors = list(vectors)
    total: dict[str, float] = defaultdict(float)
    for vector in vectors:
        for term, weight in vector.items():
            total[term] += weight
    return {term: weight / len(vectors) for term, weight in total.items()} if vectors else {}


@dataclass(frozen=True)
class QuestionSimilarity:
    """One question's similarity: of the two sides (None unless both answered), and of each pair of leaders
    (keys are respondent ids, the smaller first)."""

    sides: float | None
    pairs: dict[tuple[int, int], float]


def question_similarity(answers: Sequence[tuple[int, str, str]]) -> QuestionSimilarity:
    """The similarity of the answers to one question: `answers` are (respondent id, side, text)."""
    answered = [(pk, side, text) for pk, side, text in answers if text.strip()]
    vectors = _vectors([text for _pk, _side, text in answered])
    if vectors is None:
        both = {side for _pk, side, _text in answered} >= {BUSINESS, IT}
        return QuestionSimilarity(0.0 if both else None, {})
    by_side: dict[str, list[dict[str, float]]] = defaultdict(list)
    for (_pk, side, _text), vector in zip(answered, vectors, strict=True):
        by_side[side].append(vector)
    sides = (
        cosine(_mean(by_side[BUSINESS]), _mean(by_side[IT])) if by_side[BUSINESS] and by_side[IT] else None
    )
    pairs = {}
    for i, (pk_a, _side_a, _text_a) in enumerate(answered):
        for j in range(i + 1, len(answered)):
            pk_b = answered[j][0]
            key = (min(pk_a, pk_b), max(pk_a, pk_b))
            pairs[key] = cosine(vectors[i], vectors[j])
    return QuestionSimilarity(sides, pairs)


def agreement_index(similarities: Iterable[float | None]) -> float | None:
    """The leadership-agreement index of a round (0-100): 100 × the mean of its questions' side similarities,
    over the questions both sides answered; None when there is none."""
    values = [s for s in similarities if s is not None]
    return 100 * sum(values) / len(values) if values else None


def leader_matrix(
    respondents: Sequence[int], per_question: Iterable[QuestionSimilarity]
) -> list[list[float | None]]:
    """Leader × leader similarity over the whole round: for each pair, the mean of their similarities over the
    questions both answered (None when there is none); 1.0 on the diagonal."""
    sums: dict[tuple[int, int], list[float]] = defaultdict(list)
    for question in per_question:
        for key, value in question.pairs.items():
            sums[key].append(value)
    matrix: list[list[float | None]] = []
    for a in respondents:
        row: list[float | None] = []
        for b in respondents:
            if a == b:
                row.append(1.0)
                continue
            values = sums.get((min(a, b), max(a, b)))
            row.append(sum(values) / len(values) if values else None)
        matrix.append(row)
    return matrix


@dataclass
class Term:
    """A stem and how often each side used it, shown as the word most often written for it."""

    stem: str
    word: str
    business: int
    it: int

    @property
    def total(self) -> int:
        return self.business + self.it


@dataclass
class Vocabulary:
    """The terms both sides use (shared) and those only one side uses, most used first."""

    shared: list[Term] = field(default_factory=list)
    business_only: list[Term] = field(default_factory=list)
    it_only: list[Term] = field(default_factory=list)


def vocabulary(texts: Iterable[tuple[str, str]]) -> Vocabulary:
    """The vocabulary of (side, text) answers: per stem, each side's count of its words."""
    counts: dict[str, Counter[str]] = {BUSINESS: Counter(), IT: Counter()}
    surface: dict[str, Counter[str]] = defaultdict(Counter)
    for side, text in texts:
        for word in words(text):
            stem = _STEMMER.stemWord(word)
            counts[side][stem] += 1
            surface[stem][word] += 1
    terms = [
        Term(
            stem=stem,
            word=min(surface[stem].items(), key=lambda pair: (-pair[1], pair[0]))[0],
            business=counts[BUSINESS][stem],
            it=counts[IT][stem],
        )
        for stem in surface
    ]
    terms.sort(key=lambda t: (-t.total, t.word))
    result = Vocabulary()
    for term in terms:
        if term.business and term.it:
            result.shared.append(term)
        elif term.business:
            result.business_only.append(term)
        else:
            result.it_only.append(term)
    return result


@dataclass(frozen=True)
class ScaleGap:
    """A scale item's mean rating on each side (None when that side gave none) and the gap between them."""

    item_id: int
    label: str
    business: float | None
    it: float | None

    @property
    def gap(self) -> float | None:
        if self.business is None or self.it is None:
            return None
        return abs(self.business - self.it)

    @property
    def is_gap(self) -> bool:
        return self.gap is not None and self.gap >= SCALE_GAP


def scale_gaps(items: Sequence[tuple[int, str]], ratings: Iterable[tuple[int, str, int]]) -> list[ScaleGap]:
    """Each (item id, label)'s means from (item id, side, value) ratings, in the items' order."""
    values: dict[tuple[int, str], list[int]] = defaultdict(list)
    for item_id, side, value in ratings:
        values[(item_id, side)].append(value)

    def mean(key: tuple[int, str]) -> float | None:
        found = values.get(key)
        return sum(found) / len(found) if found else None

    return [ScaleGap(pk, label, mean((pk, BUSINESS)), mean((pk, IT))) for pk, label in items]


@dataclass(frozen=True)
class ObjectiveMention:
    objective_id: int
    label: str
    business: bool
    it: bool

    @property
    def nobody(self) -> bool:
        return not (self.business or self.it)


def objective_mentions(
    objectives: Sequence[tuple[int, str]], texts: Iterable[tuple[str, str]]
) -> list[ObjectiveMention]:
    """Which objectives (id, title) each side's answers mention: a side mentions an objective when its answers
    hold at least half (rounded up) of the stems of the objective's title."""
    used: dict[str, set[str]] = {BUSINESS: set(), IT: set()}
    for side, text in texts:
        used[side].update(stems(text))
    mentions = []
    for pk, title in objectives:
        wanted = set(stems(title))
        needed = math.ceil(len(wanted) / 2)

        def said(side: str, wanted: set[str] = wanted, needed: int = needed) -> bool:
            return bool(wanted) and len(wanted & used[side]) >= needed

        mentions.append(ObjectiveMention(pk, title, said(BUSINESS), said(IT)))
    return mentions
