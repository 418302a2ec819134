"""Defined terms: which passage defines “light touch contract”, “contracting authority”, …

When a question hinges on a defined term, the interpretation provision is a candidate source.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from ingest.passage import Passage

_DEFINES = re.compile(r"[“\"]([^”\"]{2,80})[”\"],? (?:means|has the meaning|includes|is to be read|is an? (?=\w))")
_DEFINITIONAL = re.compile(r"\b(what is an?|what are|what does .{2,60} mean|meaning of|definition|defined?|count as|"
                           r"counts as|what makes|is (?:it|this|that|ours|our \w+) an?)\b", re.I)
_QUOTED = re.compile(r"[‘'“\"]([^’'”\"]{3,80})[’'”\"]")


class Definitions:
    def __init__(self, passages: Iterable[Passage]) -> None:
        self.defining: dict[str, list[str]] = {}
        for p in passages:
            if p.parent_id:
                continue  # the whole section is ranked; its subsections would only repeat it
            for term in _DEFINES.findall(p.text):
                ids = self.defining.setdefault(term.lower().strip(), [])
                if p.passage_id not in ids:
                    ids.append(p.passage_id)
        self._terms = sorted(self.defining, key=len, reverse=True)

    def terms_in(self, question: str) -> list[str]:
        """Defined terms a question hinges on: it quotes them, or asks what they are. Longest first."""
        lowered = question.lower()
        quoted = {q.lower() for q in _QUOTED.findall(question)}
        definitional = bool(_DEFINITIONAL.search(question))
        found: list[str] = []
        for term in self._terms:
            if any(term in longer for longer in found):
                continue
            if (definitional or term in quoted) and re.search(rf"\b{re.escape(term)}s?\b", lowered):
                found.append(term)
        return found

    def ranking(self, question: str) -> list[str]:
        """Passage ids defining the question's terms, the most specific term first."""
        return list(dict.fromkeys(pid for term in self.terms_in(question) for pid in self.defining[term]))


GLOSSARY = Path(__file__).with_name("glossary.toml")


@lru_cache(maxsize=1)
def _terms() -> tuple[tuple[re.Pattern[str], str], ...]:
    terms = tomllib.loads(GLOSSARY.read_text(encoding="utf-8"))["terms"]
    return tuple((re.compile(rf"\b{re.escape(k)}\b", re.I), v) for k, v in terms.items())


def expand_query(query: str) -> str:
    additions = [words for pattern, words in _terms() if pattern.search(query)]
    return f"{query} {' '.join(additions)}" if additions else query
