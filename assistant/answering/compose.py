"""Answers made only of verified quotes: the records, the extractive composer and the verifier.

Every statement is a verbatim span of a retrieved passage followed by its [n] marker; every
marker refers to a listed source; every listed source is cited. `verify` enforces this on any
answer, whoever composed it, and the composers never return an answer that fails it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from collections.abc import Callable
from typing import Any

from ingest.passage import Passage, normalise_space
from ingest.store import tokenize

REFUSAL = "The indexed documents do not answer this."
MAX_STATEMENTS = 5
MAX_QUOTE_CHARS = 600
WHOLE_PASSAGE_CHARS = 420
RELEVANCE_FLOOR = 0.5
_MARKER = re.compile(r"\[(\d+)\]")
_SENTENCE_END = re.compile(r"(?<=[.;:])\s+(?=[A-Z(“\"])")


@dataclass
class Citation:
    n: int
    passage_id: str
    citation: str
    doc_id: str
    doc_short: str
    provision: str
    heading_path: list[str]
    version_date: str
    source_url: str
    text: str
    kind: str
    quotes: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, n: int, passage: Passage) -> Citation:
        return cls(n=n, passage_id=passage.passage_id, citation=passage.citation, doc_id=passage.doc_id,
                   doc_short=passage.doc_short, provision=passage.provision, heading_path=list(passage.heading_path),
                   version_date=passage.version_date or "undated", source_url=passage.source_url,
                   text=passage.text, kind=passage.kind, references=list(passage.references))


@dataclass
class Statement:
    quote: str
    n: int
    lead: str = ""

    def render(self) -> str:
        lead = f"{self.lead} " if self.lead else ""
        return f"{lead}“{self.quote}” [{self.n}]"


@dataclass
class Answer:
    question: str
    resolved_question: str
    regime: dict[str, str]
    text: str
    statements: list[Statement]
    citations: list[Citation]
    refused: bool
    related: list[Citation] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    route: str = "answer"
    carried_over: str = ""
    trace: list[dict[str, Any]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        data = dict(data)
        data["statements"] = [Statement(**s) for s in data.get("statements", [])]
        data["citations"] = [Citation(**c) for c in data.get("citations", [])]
        data["related"] = [Citation(**c) for c in data.get("related", [])]
        return cls(**data)


class VerificationError(ValueError):
    pass


def verify(answer: Answer) -> None:
    """Raise if any quote is not in its passage, any marker dangles, or any source is uncited."""
    by_n = {c.n: c for c in answer.citations}
    for s in answer.statements:
        if s.n not in by_n:
            raise VerificationError(f"statement cites [{s.n}], which is not a listed source")
        if normalise_space(s.quote) not in normalise_space(by_n[s.n].text):
            raise VerificationError(f"quote for [{s.n}] is not verbatim in {by_n[s.n].citation}")
    markers = {int(m) for m in _MARKER.findall(answer.text)}
    if markers - set(by_n):
        raise VerificationError(f"answer text cites {sorted(markers - set(by_n))}, not listed")
    uncited = set(by_n) - markers - {s.n for s in answer.statements}
    if uncited:
        raise VerificationError(f"sources {sorted(uncited)} are listed but not cited")


_SUBSECTION = re.compile(r"^\(\d+[A-Z]*\)")


def units(text: str) -> list[str]:
    """Quotable units of a passage: list items and sentences, a lead-in kept with the items it introduces."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.endswith(("—", ":")):
            block = [line]
            while (i + len(block) < len(lines) and not _SUBSECTION.match(lines[i + len(block)])
                   and len("\n".join(block)) + len(lines[i + len(block)]) < MAX_QUOTE_CHARS):
                block.append(lines[i + len(block)])
            if len(block) > 1:
                out.append("\n".join(block))
                i += len(block)
                continue
        if len(line) > MAX_QUOTE_CHARS:
            out.extend(s for s in _SENTENCE_END.split(line) if s.strip())
        else:
            out.append(line)
        i += 1
    return out


def _pairs(tokens: list[str]) -> set[tuple[str, str]]:
    return set(zip(tokens, tokens[1:]))


_DEFINED = re.compile(r"“([^”]{3,80})”")


def _overlap(question: list[str], unit: str) -> float:
    """Shared words, with shared two-word phrases ("public contract", "light touch") counting extra,
    and a unit defining a term the question uses counting most: it is the answer to "what is …"."""
    tokens = tokenize(unit)
    score = len(set(question) & set(tokens)) + 2 * len(_pairs(question) & _pairs(tokens))
    defines = any(set(tokenize(term)) <= set(question) for term in _DEFINED.findall(unit))
    return score + (4 if defines else 0)


def best_quotes(passage: Passage, question: str, count: int = 1) -> list[str]:
    """The passage itself when short; otherwise its units sharing most words and phrases with the
    question, in the passage's own order. Ties go to the earlier unit: the opening subsection
    usually states the rule the rest qualifies."""
    if len(passage.text) <= WHOLE_PASSAGE_CHARS:
        return [passage.text]
    asked = tokenize(question)
    candidates = units(passage.text)
    if not candidates:
        return [passage.text[:MAX_QUOTE_CHARS]]
    ranked = sorted(range(len(candidates)), key=lambda i: (-_overlap(asked, candidates[i]), i))
    return [candidates[i] for i in sorted(ranked[:count])]


def best_quote(passage: Passage, question: str) -> str:
    return best_quotes(passage, question)[0]


def _similar(a: str, b: str) -> bool:
    ta, tb = set(tokenize(a)), set(tokenize(b))
    return bool(ta and tb) and len(ta & tb) / len(ta | tb) > 0.8


def compose_extractive(question: str, passages: list[Passage], regime_line: str,
                       most_specific: Callable[[Passage, str], Passage] = lambda p, q: p,
                       max_statements: int = MAX_STATEMENTS) -> tuple[str, list[Statement], list[Citation]]:
    """Quote the best units of the top passages, in retrieval order.

    A quote taken from a whole-section passage is cited to the subsection that holds it.
    """
    statements: list[Statement] = []
    citations: list[Citation] = []
    by_passage: dict[str, Citation] = {}
    asked = tokenize(question)
    floor = 0.0
    for rank, found in enumerate(passages):
        # The best passage may give two units (a rule and its definition); the others give one, and
        # only when they are about as close to the question as the best one: padding misleads.
        for quote in best_quotes(found, question, count=2 if rank == 0 else 1):
            closeness = _overlap(asked, quote)
            floor = floor or RELEVANCE_FLOOR * closeness
            if (len(statements) >= max_statements or any(_similar(quote, s.quote) for s in statements)
                    or (statements and closeness < floor)):
                continue
            passage = most_specific(found, quote)
            citation = by_passage.get(passage.passage_id)
            if citation is None:
                citation = by_passage[passage.passage_id] = Citation.of(len(citations) + 1, passage)
                citations.append(citation)
            citation.quotes.append(quote)
            statements.append(Statement(quote=quote, n=citation.n, lead=f"{passage.citation}:"))
    lines = [s.render() for s in statements]
    text = "\n\n".join(lines + [regime_line]) if lines else regime_line
    return text, statements, citations
