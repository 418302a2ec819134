"""Checks a language model's prose against the passages it was given — in code, never by asking a model.

A sentence of the reply is kept only when
- it carries at least one [n] marker, and every marker names a passage that was supplied;
- each figure in it (number, money amount, date) and each provision or instrument it names appears
  in a passage it cites (a passage's label, headings and version date count as part of it);
- its support score against a passage it cites reaches the threshold calibrated on the eval set
  (`evals/calibrate_support.py`, stored in `assistant/calibration.json` as "support_threshold");
- it cites no passage marked at ingest as addressed to a model (`Passage.addressed_to_model`): a
  passage is data, whatever it says, and one that gives orders is never evidence;
- no period or sum of money in it differs from the one a passage of higher authority (legislation,
  over decisions, guidance and uploads), given to the model or retrieved for the same question,
  gives for the same thing.

Support is the mean of the best cosine similarity between the sentence and a span of the passage
(a quotable unit, `assistant.answer.units`, or one of its lines or sentences) and the share of the
sentence's content words (roughly stemmed; the provisions and instruments it names, checked
separately, left out) found in the passage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from assistant.answering.compose import units
from ingest.figures import dates_in, money_in, numbers_in, periods_in
from ingest.passage import Passage
from ingest.references import Reference, ReferenceFinder
from ingest.textutil import normalise_space, tokenize

NOTICE_CHARS = 160
_MARKERS = re.compile(r"\s*\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_SENTENCE_END = re.compile(r"[.!?][\"”’')]*(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*(?=\s+[A-Z“\"‘(£])")
_BULLET = re.compile(r"^(?:[-*•]|\d{1,2}[.)])\s+")
_LAST_WORD = re.compile(r"(\S+)$")


# Words an answer uses to attribute or connect, which say nothing about what a passage holds.
_FRAME_WORDS = frozenset("under according provide provides provided say says said state states also so however "
                         "therefore thus mean means set sets out".split())


STEM_CHARS = 5
_ABBREVIATIONS = frozenset("e.g. i.e. etc. cf. viz. para. paras. reg. regs. s. ss. art. arts. sch. no. nos. "
                           "pt. ch. v. vs. approx. mr. mrs. ms. dr.".split())

# Where a claim and a passage of higher authority each give a period or a sum, the few words leading
# up to each must share a term for the two to be about the same thing ("standstill period is 1 day"
# and "standstill period” is the period of eight working days", not "published within 30 days").
# Words that lead up to any period say nothing about which one it is.
LEAD_TERMS = 4
_GENERIC_LEAD = frozenset("perio time withi least after befor durin begin endin more less than not no must may "
                          "shall last total value sum".split())
_CLAUSE_BREAK = re.compile(r"[.;:\n]\s")


def split_sentences(reply: str) -> list[tuple[int, str]]:
    """(paragraph, sentence) pairs. A marker written after the full stop ("… days. [1]") stays with its sentence."""
    out: list[tuple[int, str]] = []
    lines = [_BULLET.sub("", normalise_space(line)) for line in reply.splitlines() if line.strip()]
    for paragraph, line in enumerate(lines):
        start = 0
        for m in _SENTENCE_END.finditer(line):
            word = _LAST_WORD.search(line[start:m.start() + 1])
            if word and (word[1].lower() in _ABBREVIATIONS or re.fullmatch(r"[A-Z]\.", word[1])):
                continue
            out.append((paragraph, line[start:m.end()].strip()))
            start = m.end()
        if line[start:].strip():
            out.append((paragraph, line[start:].strip()))
    return out


def read_markers(sentence: str) -> tuple[list[int], str]:
    """The passage numbers a sentence cites, in order, and the sentence without its markers."""
    cited = [int(n) for group in _MARKERS.findall(sentence) for n in re.split(r"\s*[,;]\s*", group)]
    return list(dict.fromkeys(cited)), normalise_space(_MARKERS.sub("", sentence))


def renumber_markers(sentence: str, number: dict[int, int]) -> str:
    """Markers rewritten to new numbers, one bracket each ("[1, 3]" → " [1][2]"), as `verify` reads them."""
    def one(m: re.Match[str]) -> str:
        return " " + "".join(f"[{number[int(n)]}]" for n in re.split(r"\s*[,;]\s*", m[1]))

    return _MARKERS.sub(one, sentence).strip()


def _stems(text: str) -> list[str]:
    return [t[:STEM_CHARS] if t.isalpha() else t for t in tokenize(text) if t not in _FRAME_WORDS]


def content_terms(text: str) -> set[str]:
    """Content words cut to a short stem, so "published" meets "publication" and "begins" meets "beginning"."""
    return set(_stems(text))


@dataclass(frozen=True)
class Figure:
    """A period or a sum, as two texts are compared on it: "eight working days" is ("period", "day"), (8, True)."""

    kind: tuple[str, str]
    value: tuple[Any, ...]
    text: str
    span: tuple[int, int]


def figures_in(text: str) -> list[Figure]:
    return ([Figure(("period", p.unit), (p.count, p.working), p.text, p.span) for p in periods_in(text)]
            + [Figure(("money", m.currency), (m.amount,), m.text, m.span) for m in money_in(text)])


def lead_terms(text: str, figure: Figure) -> set[str]:
    """The last few words before a figure, within its clause, leaving out those that lead up to any
    figure and numbers (a subsection's own label)."""
    clause = _CLAUSE_BREAK.split(text[:figure.span[0]])[-1]
    return set([t for t in _stems(clause) if t.isalpha() and t not in _GENERIC_LEAD][-LEAD_TERMS:])


def authority(passage: Passage) -> int:
    """Legislation outranks the organisation's papers, guidance and uploads."""
    return 1 if passage.kind == "legislation" else 0


def spans(text: str) -> list[str]:
    """What a sentence may be compared with: the quotable units, and each line and sentence within them."""
    return list(dict.fromkeys([*units(text), *(sentence for _, sentence in split_sentences(text))]))


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with these stretches (the provisions and instruments a claim names) blanked out."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


@dataclass
class SentenceCheck:
    paragraph: int
    sentence: str
    claim: str
    cited: list[int]
    support: float | None
    problem: str = ""

    @property
    def kept(self) -> bool:
        return not self.problem

    @property
    def notice(self) -> str:
        shown = self.sentence if len(self.sentence) <= NOTICE_CHARS else self.sentence[:NOTICE_CHARS - 1] + "…"
        return f"removed: “{shown}” — {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Evidence:
    """What a passage offers a sentence: its spans, words and figures."""

    spans: list[str]
    vectors: np.ndarray
    terms: set[str]
    numbers: set[str]
    dates: set[str]
    text: str
    references: list[Reference]


class Checker:
    def __init__(self, embeddings: Any, finder: ReferenceFinder, threshold: float) -> None:
        self.embeddings = embeddings
        self.finder = finder
        self.threshold = threshold
        self._evidence: dict[str, _Evidence] = {}

    def evidence(self, passage: Passage) -> _Evidence:
        if passage.passage_id not in self._evidence:
            quotable = spans(passage.text) or [""]
            text = "\n".join([passage.citation, " ".join(passage.heading_path), passage.version_date or "", *quotable])
            # A date's digits are not figures: the "1" of "2026-04-01" must not ground "1 day".
            dates, undated = dates_in(text)
            vectors = np.asarray(self.embeddings.embed_documents(quotable), dtype=np.float32)
            self._evidence[passage.passage_id] = _Evidence(
                spans=quotable, vectors=vectors, terms=content_terms(text),
                numbers=numbers_in(undated, within_words=True), dates=dates, text=normalise_space(text).lower(),
                # Led by its own label, so "subsection (3)" in the text resolves as the passage means it.
                references=self.finder.find("\n".join([passage.citation, *quotable]), default_doc=passage.doc_id))
        return self._evidence[passage.passage_id]

    def claim_vectors(self, claims: list[str]) -> np.ndarray:
        """Embeddings of claims in one batch. Model prose is not worth keeping, so the cache is bypassed."""
        model = getattr(self.embeddings, "model", self.embeddings)
        return np.asarray(model.embed_documents(claims), dtype=np.float32).reshape(len(claims), -1)

    def score(self, claim: str, passage: Passage, claim_vector: np.ndarray) -> float:
        """Support of a claim by a passage: mean of best unit similarity and content-word coverage, in [0, 1]."""
        evidence = self.evidence(passage)
        similarity = float(np.max(evidence.vectors @ claim_vector)) if len(evidence.vectors) else 0.0
        named = [(r.start, r.end) for r in self.finder.find(claim, default_doc=passage.doc_id) if r.doc_id]
        terms = content_terms(_without(claim, named))
        coverage = len(terms & evidence.terms) / len(terms) if terms else 0.0
        return round((max(similarity, 0.0) + coverage) / 2, 4)

    def missing_facts(self, claim: str, passages: list[Passage]) -> list[str]:
        """Figures, dates, provisions and instruments in the claim that no cited passage contains."""
        evidence = [self.evidence(p) for p in passages]
        missing: list[str] = []
        checked_spans: list[tuple[int, int]] = []
        for ref in self.finder.find(claim, default_doc=passages[0].doc_id):
            if ref.doc_id is None and ref.provision is None and ref.resolution != "outside-corpus":
                continue  # names nothing we can look up ("paragraph 2"); its figures are checked below
            checked_spans.append((ref.start, ref.end))
            if not any(self._names(ref, p, e) for p, e in zip(passages, evidence)):
                missing.append(ref.text)
        dates, rest = dates_in(_without(claim, checked_spans))
        missing += sorted(d for d in dates if not any(d in e.dates for e in evidence))
        missing += sorted(n for n in numbers_in(rest) if not any(n in e.numbers for e in evidence))
        return missing

    @staticmethod
    def _names(ref: Reference, passage: Passage, evidence: _Evidence) -> bool:
        if ref.resolution == "outside-corpus" or ref.doc_id is None:
            return normalise_space(ref.instrument or ref.text).lower() in evidence.text
        if ref.provision is None:
            return ref.doc_id == passage.doc_id or any(r.doc_id == ref.doc_id for r in evidence.references)
        if ref.doc_id == passage.doc_id and passage.provision_ref.overlaps(ref.provision):
            return True
        return any(r.doc_id == ref.doc_id and r.provision is not None and r.provision.overlaps(ref.provision)
                   for r in evidence.references)

    def contradiction(self, claim: str, claim_vector: np.ndarray, cited: list[Passage],
                      compared: list[Passage]) -> str:
        """Where a passage of higher authority than the claim's own source gives another period or sum
        for the same thing, what it gives; "" when none does. A figure no cited passage gives has no
        authority at all. The same thing: the claim, its figures blanked, would count as supported by
        the span giving the other figure, and the words leading up to the two figures share a term."""
        figures = figures_in(claim)
        terms = content_terms(_without(claim, [f.span for f in figures]))
        for figure in figures:
            # The claim's authority is that of the cited passage giving its figure. When none gives it
            # ("1 day" against "eight working days" dated 2026-04-01, whose digits hold a "1"), the
            # cited passages themselves outrank it.
            holders = [p for p in cited
                       if figure.value in (f.value for f in figures_in(p.text) if f.kind == figure.kind)]
            rank = max((authority(p) for p in holders), default=-1)
            lead = lead_terms(claim, figure)
            for higher in compared:
                theirs = [f.value for f in figures_in(higher.text) if f.kind == figure.kind]
                if authority(higher) <= rank or higher.addressed_to_model or not theirs or figure.value in theirs:
                    continue
                evidence = self.evidence(higher)
                for span, vector in zip(evidence.spans, evidence.vectors):
                    coverage = len(terms & content_terms(span)) / len(terms) if terms else 0.0
                    if (max(float(vector @ claim_vector), 0.0) + coverage) / 2 < self.threshold:
                        continue
                    other = next((f for f in figures_in(span)
                                  if f.kind == figure.kind and lead & lead_terms(span, f)), None)
                    if other is not None:
                        return f"it gives {figure.text}, but {higher.citation} gives {other.text} for this"
        return ""

    def check(self, reply: str, passages: list[Passage],
              retrieved: Sequence[Passage] = ()) -> list[SentenceCheck]:
        """Each sentence of the reply, checked against the numbered `passages` the model was given and,
        for contradictions, against those and the other passages `retrieved` for the question."""
        others = [*passages, *(p for p in retrieved if p not in passages)]
        checks = []
        sentences = [(paragraph, sentence, *read_markers(sentence)) for paragraph, sentence in split_sentences(reply)]
        vectors = self.claim_vectors([claim for *_, claim in sentences]) if sentences else np.zeros((0, 0))
        for (paragraph, sentence, cited, claim), vector in zip(sentences, vectors):
            check = SentenceCheck(paragraph, sentence, claim, cited, None)
            outside = [n for n in cited if not 1 <= n <= len(passages)]
            if not cited:
                check.problem = "it cites no passage"
            elif outside:
                check.problem = (f"it cites {''.join(f'[{n}]' for n in outside)}, but only "
                                 f"{len(passages)} passages were given")
            elif marked := [n for n in cited if passages[n - 1].addressed_to_model]:
                check.problem = (f"it cites {', '.join(f'[{n}] {passages[n - 1].citation}' for n in marked)}, "
                                 "text addressed to an AI model, which is never evidence")
            else:
                sources = [passages[n - 1] for n in cited]
                labels = ", ".join(f"[{n}] {p.citation}" for n, p in zip(cited, sources))
                check.support = max(self.score(claim, p, vector) for p in sources)
                missing = self.missing_facts(claim, sources)
                if missing:
                    check.problem = f"{', '.join(missing)} not found in {labels}"
                elif check.support < self.threshold:
                    check.problem = (f"not supported by {labels} "
                                     f"(support {check.support:.2f} < {self.threshold:.2f})")
                else:
                    check.problem = self.contradiction(claim, vector, sources, others)
            checks.append(check)
        return checks
