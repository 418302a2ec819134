"""Answers made only of verified quotes: the records, the extractive composer and the verifier.

Every statement is a verbatim span of a retrieved passage followed by its [n] marker; every
marker refers to a listed source; every listed source is cited. `verify` enforces this on any
answer, whoever composed it, and the composers never return an answer that fails it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from assistant.answering.records import Citation, Statement
from ingest.passage import Passage
from ingest.textutil import tokenize

MAX_STATEMENTS = 5
MAX_QUALIFYING = 2  # quotes kept for the exceptions to the best passage's rule
MAX_QUOTE_CHARS = 600
WHOLE_PASSAGE_CHARS = 420
RELEVANCE_FLOOR = 0.5
LEAD_WORDS = 70
CLAUSE_WORDS = 40
FIGURE_WEIGHT = 0.5
MEANING_WEIGHT = 4.0
RANK_WEIGHT = 1.0  # a unit's cosine to the question against its share of the question's words (dev split)
_SENTENCE_END = re.compile(r"(?<=[.;:])\s+(?=[A-Z(“\"])")
_SUBSECTION = re.compile(r"^\(\d+[A-Z]*\)")
_ASKS_FIGURE = re.compile(r"\b(how (?:long|much|many|soon|quickly|far back|old)|what (?:is |'s )?the (?:\w+ )?"
                          r"(?:threshold|figure|value|period|limit|amount|deadline)|by when|when (?:can|must|do|does))\b", re.I)
_FIGURE = re.compile(r"£\s?\d|\b\d+(?:,\d{3})*\s*(?:per cent|%)|\b(?:\d+|one|two|three|four|five|six|seven|eight|nine|"
                     r"ten|fifteen|twenty|thirty|sixty|ninety)[- ](?:working )?(?:days?|weeks?|months?|years?)\b", re.I)
_QUALIFIER = re.compile(r"\b(does not apply|do not apply|unless|except|subject to|does not prevent|need not)\b", re.I)
_LABEL = re.compile(r"^\s*\((?:\d+[A-Z]*|[a-z]{1,4})\)\s*", re.M)
_INTRODUCES = re.compile(r"^\s*[—:-]")
_CLAUSE_SPLIT = re.compile(r"(?<=[;.])\s+|\n|—")


def units(text: str) -> list[str]:
    """Quotable units of a passage: list items and sentences, a lead-in kept with the items it introduces."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.endswith(("—", ":")):
            # A lead-in is never quoted alone ("…the following offences:—" says nothing): it takes its
            # items, as many as fit, and always the first.
            block = [line]
            while (i + len(block) < len(lines) and not _SUBSECTION.match(lines[i + len(block)])
                   and (len(block) == 1 or len("\n".join(block)) + len(lines[i + len(block)]) < MAX_QUOTE_CHARS)):
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
    return _with_what_follows(out)


def _with_what_follows(found: list[str]) -> list[str]:
    """A unit that still ends on a lead-in ("… either—") runs on into the next: a quote never stops
    mid-sentence, whatever the length limit."""
    merged: list[str] = []
    for unit in found:
        if merged and merged[-1].rstrip().endswith(("—", ":")):
            merged[-1] = f"{merged[-1]}\n{unit}"
        else:
            merged.append(unit)
    return merged


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


Closeness = Callable[[Passage, str], float]


def _unit_scores(passage: Passage, candidates: list[str], question: str, closeness: Closeness | None) -> list[float]:
    """Each unit's closeness to the question: by meaning (`closeness`, the cosine of the subsection
    holding it), by shared words and phrases, and, when the question asks for a figure ("how long",
    "how much", "what threshold"), by whether it states one."""
    asked = tokenize(question)
    overlaps = [_overlap(asked, unit) for unit in candidates]
    most = max(overlaps) or 1
    wants_figure = bool(_ASKS_FIGURE.search(question))
    return [o / most + (MEANING_WEIGHT * closeness(passage, unit) if closeness else 0.0)
            + (FIGURE_WEIGHT if wants_figure and _FIGURE.search(unit) else 0.0)
            for o, unit in zip(overlaps, candidates)]


def quotable(passage: Passage) -> list[str]:
    """A short passage is quoted whole; a long one by its units."""
    if len(passage.text) <= WHOLE_PASSAGE_CHARS:
        return [passage.text]
    return units(passage.text) or [passage.text[:MAX_QUOTE_CHARS]]


def best_quote(passage: Passage, question: str, closeness: Closeness | None = None) -> str:
    """The passage's unit closest to the question. Ties go to the earlier unit: the opening
    subsection usually states the rule the rest qualifies."""
    candidates = quotable(passage)
    scores = _unit_scores(passage, candidates, question, closeness)
    return candidates[min(range(len(candidates)), key=lambda i: (-scores[i], i))]


def _similar(a: str, b: str) -> bool:
    ta, tb = set(tokenize(a)), set(tokenize(b))
    return bool(ta and tb) and len(ta & tb) / len(ta | tb) > 0.8


def compose_extractive(question: str, passages: list[Passage], regime_line: str,
                       most_specific: Callable[[Passage, str], Passage] = lambda p, q: p,
                       max_statements: int = MAX_STATEMENTS,
                       qualifying: Callable[[Passage], list[Passage]] = lambda p: [],
                       closeness: Closeness | None = None,
                       kept: Sequence[Passage] = ()) -> tuple[str, list[Statement], list[Citation], str]:
    """The lead, then the closest units of the top passages, then what qualifies the best one.

    Units of all the passages compete in one ranking: the best goes first, and others follow only
    while they are about as close to the question (padding misleads), at most two from a passage.
    A quote taken from a whole-section passage is cited to the subsection that holds it. A rule
    quoted without the exception that decides the case misleads (s.51(1) without s.51(3)), so the
    parts of the best passage's provision that disapply or qualify it are quoted too. `kept`
    passages (the words that amend a quoted provision) are quoted whatever their score.
    Returns (text, statements, citations, lead).
    """
    statements: list[Statement] = []
    citations: list[Citation] = []
    by_passage: dict[str, Citation] = {}

    def add(found: Passage, quote: str) -> None:
        passage = most_specific(found, quote)
        citation = by_passage.get(passage.passage_id)
        if citation is None:
            citation = by_passage[passage.passage_id] = Citation.of(len(citations) + 1, passage)
            citations.append(citation)
        citation.quotes.append(quote)
        statements.append(Statement(quote=quote, n=citation.n, lead=f"{passage.citation}:"))

    def fresh(quote: str) -> bool:
        return not any(_similar(quote, s.quote) or quote in s.quote or s.quote in quote for s in statements)

    exceptions = qualifying(passages[0])[:MAX_QUALIFYING] if passages else []
    room = max_statements - len(exceptions) - len(kept)
    ranked: list[tuple[float, int, Passage, str]] = []
    for rank, found in enumerate(p for p in passages if p not in kept):
        candidates = quotable(found)
        # Retrieval's order is evidence too: a unit of the best passage needs less to be chosen.
        prior = RANK_WEIGHT / (rank + 1)
        for score, unit in zip(_unit_scores(found, candidates, question, closeness), candidates):
            ranked.append((score + prior, rank, found, unit))
    # Text addressed to a model is quoted, as data, only after every other passage's units.
    ranked.sort(key=lambda item: (item[2].addressed_to_model, -item[0], item[1]))
    per_passage: dict[str, int] = {}
    for score, _rank, found, unit in ranked:
        if len(statements) >= room:
            break
        if score >= RELEVANCE_FLOOR * ranked[0][0] and per_passage.get(found.passage_id, 0) < 2 and fresh(unit):
            add(found, unit)
            per_passage[found.passage_id] = per_passage.get(found.passage_id, 0) + 1
    for found in kept:
        if fresh(found.text):
            add(found, best_quote(found, question, closeness))
    for found in exceptions:
        quote = best_quote(found, question, closeness)
        if fresh(quote):
            add(found, quote)
    # The short answer is the law's and the papers' own words, never a planted instruction's.
    lead = lead_of([s for s in statements if not citations[s.n - 1].addressed_to_model], question)
    lines = [s.render() for s in statements]
    text = "\n\n".join(([lead] if lead else []) + lines + ([regime_line] if regime_line else []))
    return text, statements, citations, lead


def lead_of(statements: list[Statement], question: str) -> str:
    """The short answer shown first: the clause of the best quote that answers the question, in its
    own words, then the exception that qualifies it, each with its marker. At most LEAD_WORDS words."""
    if not statements:
        return ""
    first = statements[0]
    parts = [f"In short, {first.lead.rstrip(':')} provides that “{_best_clause(first.quote, question)}” [{first.n}]."]
    qualifiers = [s for s in statements[1:] if _QUALIFIER.search(s.quote)]
    if qualifiers:
        q = qualifiers[0]
        clause = _best_clause(q.quote, question, _QUALIFIER)
        # A clause that only introduces a list ("does not apply … to a contract that is—") says
        # nothing alone: point to the list instead of quoting half of it.
        parts.append(f"But {q.lead.rstrip(':')}: “{clause}” [{q.n}]." if not q.quote.rstrip().endswith(clause + "—")
                     and not _INTRODUCES.search(q.quote.split(clause, 1)[-1][:2])
                     else f"But see the exceptions in {q.lead.rstrip(':')} [{q.n}].")
    lead = " ".join(parts)
    return lead if len(lead.split()) <= LEAD_WORDS else parts[0]


def _best_clause(quote: str, question: str, must: re.Pattern[str] | None = None) -> str:
    """The clause of a quote (between list labels, semicolons and sentence ends) closest to the
    question, cut at a word boundary to fit the lead: a verbatim span, never a paraphrase."""
    clauses = [c.strip() for c in _CLAUSE_SPLIT.split(_LABEL.sub("", quote)) if len(c.split()) >= 3]
    if must is not None:
        clauses = [c for c in clauses if must.search(c)] or clauses
    if not clauses:
        clauses = [quote]
    asked = tokenize(question)
    wants_figure = bool(_ASKS_FIGURE.search(question))
    best = max(clauses, key=lambda c: _overlap(asked, c) + (3 if wants_figure and _FIGURE.search(c) else 0))
    words = best.split()
    return " ".join(words[:CLAUSE_WORDS]) if len(words) > CLAUSE_WORDS else best
