"""The optional semantic similarity of the survey's answers, beside the lexical one: cosine of sentence
embeddings, from a model that loads offline (BEARING_SURVEY_EMBEDDING_MODEL: a local path, or a model an
installed package ships). Off when the setting is empty or the sentence-transformers package is not installed;
the pages then say so, and the lexical method (surveys.analysis) is the only one."""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.conf import settings

PACKAGE = "sentence_transformers"


def status() -> str:
    """Why the semantic method is on or off, as the pages say it."""
    if not settings.BEARING_SURVEY_EMBEDDING_MODEL:
        return "off: no embedding model is configured (BEARING_SURVEY_EMBEDDING_MODEL)"
    if importlib.util.find_spec(PACKAGE) is None:
        return "off: the sentence-transformers package is not installed"
    return f"on: {settings.BEARING_SURVEY_EMBEDDING_MODEL}"


def available() -> bool:
    return status().startswith("on")


@lru_cache(maxsize=1)
def _model(name: str) -> Any:  # pragma: no cover - needs the optional package and a model on disk
    module = importlib.import_module(PACKAGE)
    return module.SentenceTransformer(name, local_files_only=True)


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(y * y for y in b))
    return max(0.0, min(1.0, dot / (na * nb))) if na and nb else 0.0


def side_similarity(business: Sequence[str], it: Sequence[str]) -> float | None:
    """The cosine of the two sides' mean embeddings, or None when the method is off or a side is empty."""
    if not available() or not business or not it:
        return None
    model = _model(settings.BEARING_SURVEY_EMBEDDING_MODEL)  # pragma: no cover
    vectors = [list(map(float, v)) for v in model.encode(list(business) + list(it))]  # pragma: no cover

    def mean(rows: list[list[float]]) -> list[float]:  # pragma: no cover
        return [sum(column) / len(rows) for column in zip(*rows, strict=True)]

    return _cosine(mean(vectors[: len(business)]), mean(vectors[len(business) :]))  # pragma: no cover
