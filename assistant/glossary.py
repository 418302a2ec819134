"""Widening a question's lexical query with the legislation's own words for practitioners' terms."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from pathlib import Path

GLOSSARY = Path(__file__).with_name("glossary.toml")


@lru_cache(maxsize=1)
def _terms() -> tuple[tuple[re.Pattern[str], str], ...]:
    terms = tomllib.loads(GLOSSARY.read_text(encoding="utf-8"))["terms"]
    return tuple((re.compile(rf"\b{re.escape(k)}\b", re.I), v) for k, v in terms.items())


def expand_query(query: str) -> str:
    additions = [words for pattern, words in _terms() if pattern.search(query)]
    return f"{query} {' '.join(additions)}" if additions else query
