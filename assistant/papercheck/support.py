"""Does the cited provision say what the paper claims it says? A support verdict for each reference.

The paper's claim about a reference is the sentence citing it and the sentences after it in the
same paragraph that cite nothing else ("… section 149(1) of the Equality Act 2010. This requires
MOPAC to … The protected characteristics are: …"). Each of those statements is compared with the
provision's own words: the unit it turns on (a subsection, or one item with its lead-in), chosen
by embedding similarity among the units of the cited text, so "s.19(3)(a)" is read against
"(3) … a contracting authority— (a) must disregard …", not against the whole section. A statement
after the citing one may turn on another part of the same section (the list in s.149(7)).

  supported         it agrees, and nothing measured differs
  partly supported  right as far as it goes, but it drops a condition or an exception the
                    provision attaches, lists less than the provision does, or misquotes it
  not supported     it says something else: another actor, "may" for "must" (or the reverse),
                    another figure, period or date, items the provision does not list, a term
                    the provision does not use, a figure the law has since replaced
                    ("superseded"), or nothing the provision says
  cannot tell       neither close enough to call supported nor far enough to call unsupported;
                    a document named as a whole; a reference that did not resolve

The signals (ingest.figures for money, numbers and dates; assistant.papercheck.statements for the
rest) are: figures, superseded figures, periods, numbers and dates against the cited text; the
paper's list against the provision's; the actor; the strength of the obligation; defined terms of
the instrument the cited section does not use; the wording check's verdict on quoted words;
conditions and exceptions. Every difference found is named and the worst decides; with none, a
list or quote that agrees outright, else the similarity, decides. The similarity floor and bar and
the share of a condition a statement must state are calibrated on evals/support/dev.jsonl
(`python -m evals.bench_support --calibrate`), never on test.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import numpy as np

from assistant.advisor.decide import Step, decide
from assistant.advisor.engine import usable_rules
from assistant.advisor.facts import extract_facts
from assistant.answering.compose import units
from assistant.answering.regime import Regime, regime_for_date
from assistant.answering.retrieve import SearchFilters
from assistant.calibration import claim_support_thresholds
from assistant.llm.grounding import content_terms
from assistant.papercheck import statements as read
from assistant.papercheck.paper import Sentences
from ingest.amendments import Amendment, in_force_on
from ingest.document import DocumentInfo
from ingest.figures import Money, blank_spans, dates_in, money_in, numbers_in, periods_in
from ingest.passage import Passage, Provision, label_level
from ingest.textutil import normalise_space, tokenize

SUPPORTED, PARTLY, NOT_SUPPORTED, CANNOT_TELL = "supported", "partly supported", "not supported", "cannot tell"
SUPPORT_VERDICTS = (SUPPORTED, PARTLY, NOT_SUPPORTED, CANNOT_TELL)
FLAGGED = (NOT_SUPPORTED, PARTLY)
MAX_FOLLOWING = 3  # sentences after the citing one that may go on about the same provision
SEARCH_K = 4  # passages of a document named as a whole that its best units are drawn from
SHOWN_WORDS = 240  # characters of the provision's words quoted in a reason
# A statement with fewer content words than this, once the references are taken out, claims nothing.
MIN_CLAIM_TERMS = 2
_THRESHOLD_WORDS = re.compile(r"\b(?:thresholds?|or (?:above|more|over)|at least|not less than|valued at|exceed\w*)\b",
                              re.I)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
# A paper's short name for an instrument ("(the 2011 Act)"), which the reference finder leaves alone.
_NAMED_BY_YEAR = re.compile(r"\bthe (?:19|20)\d\d (?:Act|Regulations|Order|Rules)\b", re.I)
_SIBLING = re.compile(r"\b(?:subsection|paragraph) \((\d+[A-Z]*)\)", re.I)


@dataclass(frozen=True)
class Thresholds:
    floor: float  # best similarity below which the cited provision does not say the statement
    bar: float  # at or above, with nothing differing, the statement is supported; between: cannot tell
    condition_share: float  # share of a condition's distinctive words a statement must state

    @classmethod
    def calibrated(cls) -> Thresholds:
        return cls(*claim_support_thresholds())


@dataclass
class Compared:
    """One statement of the paper beside the provision's words it was compared with; or, with no
    statement and no verdict, a passage a finding rests on (`finding` says what it is)."""

    statement: str
    citation: str
    passage_id: str
    words: str
    similarity: float
    verdict: str
    finding: str


@dataclass
class Judgement:
    support: str
    reason: str
    compared: list[Compared] = field(default_factory=list)


@dataclass(frozen=True)
class Cited:
    """A passage the reference resolved to, and the cited sub-part of it ("" for all of it)."""

    passage: Passage
    excerpt: str = ""


@dataclass(frozen=True)
class Claim:
    """What the paper says about one resolved reference, and what the reference resolved to."""

    statements: tuple[str, ...]  # the citing sentence first
    doc: DocumentInfo
    label: str
    cited: tuple[Cited, ...]  # empty when the document is named as a whole
    misquotes: tuple[str, ...] = ()  # the wording check's messages for quoted words not found
    quoted: tuple[str, ...] = ()  # where the wording check found the quoted words


@dataclass(frozen=True)
class _Unit:
    passage: Passage
    words: str
    citation: str
    cited: bool  # inside the cited provision, not elsewhere in its section


@dataclass(frozen=True)
class _Finding:
    verdict: str
    finding: str
    also: tuple[Compared, ...] = ()  # further passages the finding rests on (a superseding figure's)
    unit: _Unit | None = None  # the unit it rests on, when not the one closest to the statement


# ---- the paper's statements ------------------------------------------------------------------------

def claim_statements(text: str, sentences: Sentences, start: int, end: int,
                     other_references: Sequence[tuple[int, int]]) -> tuple[str, ...]:
    """The sentence citing text[start:end], then up to MAX_FOLLOWING sentences after it in the same
    paragraph that cite nothing else: a paper names the provision once and goes on about it."""
    lo, hi = sentences.around(start, end, len(text))
    found = [normalise_space(text[lo:hi])]
    for _ in range(MAX_FOLLOWING):
        at = sentences.ends.index(hi) if hi in sentences.ends else None
        if at is None or sentences.starts[at] != hi:
            break  # a list item or a blank line begins a new paragraph
        nxt = sentences.ends[at + 1] if at + 1 < len(sentences.ends) else len(text)
        if _PARAGRAPH_BREAK.search(text, hi, nxt) or any(hi <= a < nxt for a, _ in other_references):
            break
        found.append(normalise_space(text[hi:nxt]))
        hi = nxt
    return tuple(s for s in found if s)


def _without_references(text: str, finder: Any, default_doc: str | None = None) -> str:
    """The text with the references in it taken out: their numbers are not the claim's figures,
    and their names are not what the provision is compared on. Lines are kept."""
    spans = [(ref.start, ref.end) for ref in finder.find(text, default_doc=default_doc)]
    spans += [m.span() for m in _NAMED_BY_YEAR.finditer(text)]
    return "\n".join(normalise_space(line) for line in blank_spans(text, spans).splitlines())


# ---- the provision's units ---------------------------------------------------------------------------

def _with_lead_in(text: str, excerpt: str) -> str:
    """A cited item with the lead-ins above it ("(4) … an estimated value of—" for "(b) otherwise,
    not less than £30,000"), which carry its actor, verb and subject."""
    lines = text.splitlines()
    first = excerpt.splitlines()[0] if excerpt else ""
    at = next((i for i, line in enumerate(lines) if line == first), None)
    label = read.ITEM_LABEL.match(first)
    if at is None or label is None:
        return excerpt
    level = label_level(label[1], None)
    leads: list[str] = []
    for line in reversed(lines[:at]):
        m = read.ITEM_LABEL.match(line)
        line_level = label_level(m[1], None) if m else 0
        if line.rstrip().endswith(("—", ":")) and line_level < level:
            leads.insert(0, line)
            level = line_level
    return "\n".join([*leads, excerpt])


def _split(text: str) -> list[str]:
    """A text's quotable units, and each item of a list with its lead-in: the part a statement
    turns on may be one item."""
    lines = [line for line in text.splitlines() if line.strip()]
    items = [f"{line}\n{item}" for i, line in enumerate(lines) if line.rstrip().endswith(("—", ":"))
             for item in read.item_lines(lines, i)]
    return list(dict.fromkeys([*units(text), *items]))


def _item_label(words: str) -> str:
    lines = words.splitlines()
    m = read.ITEM_LABEL.match(lines[1]) if len(lines) == 2 else None
    return f"({m[1]})" if m else ""


# ---- the judge ---------------------------------------------------------------------------------------

class SupportJudge:
    """Judges the claims of one paper against one index snapshot, as a reader with `access` sees it,
    for the law of `day` (the paper's date, else today)."""

    def __init__(self, library: Any, access: Sequence[str], day: date, paper_text: str,
                 thresholds: Thresholds | None = None) -> None:
        self.library = library
        self.index = library.index
        self.retriever = library.retriever
        self.finder = library.finder
        self.access = tuple(access)
        self.day = day
        self.paper_text = paper_text
        self.thresholds = thresholds or Thresholds.calibrated()
        self._terms_defined: dict[str, list[str]] | None = None

    # -- a whole claim --

    def judge(self, claim: Claim) -> Judgement:
        """The claim's verdict from its statements': all supported, supported; some supported or
        partly, partly; none, not supported. A statement that cannot be told does not count."""
        compared: list[Compared] = []
        for n, statement in enumerate(claim.statements):
            compared += self._statement(claim, statement, following=n > 0) or []
        decided = [c for c in compared if c.statement and c.verdict != CANNOT_TELL]
        verdicts = {c.verdict for c in decided}
        if not decided:
            support = CANNOT_TELL
        elif verdicts == {SUPPORTED}:
            support = SUPPORTED
        elif SUPPORTED in verdicts or PARTLY in verdicts:
            support = PARTLY
        else:
            support = NOT_SUPPORTED
        shown = [c for c in decided if c.verdict != SUPPORTED] or decided or compared
        return Judgement(support, "; ".join(dict.fromkeys(c.finding for c in shown)), compared)

    def _statement(self, claim: Claim, statement: str, following: bool) -> list[Compared] | None:
        plain = _without_references(statement, self.finder)
        if len(content_terms(plain)) < MIN_CLAIM_TERMS:
            return None if following else [Compared(statement, claim.label, "", "", 0.0, CANNOT_TELL,
                                                    "the sentence makes no claim about what the provision says")]
        candidates = self._candidates(claim, plain, following)
        if not candidates:
            return [Compared(statement, claim.label, "", "", 0.0, CANNOT_TELL, f"no text of {claim.label} to compare")]
        scores = self._similarities(plain, candidates)
        best = int(np.argmax(scores))
        unit, similarity = candidates[best], float(scores[best])
        if following and similarity < self.thresholds.floor:
            return None  # the paper has moved on to its own business
        found = self._verdict(claim, statement, plain, unit, candidates, similarity, following)
        on = found.unit or unit
        return [Compared(statement, on.citation, on.passage.passage_id, on.words,
                         round(float(scores[candidates.index(on)]), 3), found.verdict, found.finding), *found.also]

    def _verdict(self, claim: Claim, statement: str, plain: str, unit: _Unit, scope: list[_Unit], similarity: float,
                 following: bool) -> _Finding:
        """Every difference the signals measure (the worst decides, all are named); failing any, what
        agrees outright (a list, a verbatim quote); failing that, the similarity."""
        cited_text = "\n".join([*(u.words for u in scope), *(p.text for p in self._referred(claim))]) \
            if claim.cited else self._document_text(claim.doc.doc_id)
        # A unit found by searching a document named as a whole is only judged on closely.
        confident = bool(claim.cited) or similarity >= self.thresholds.bar
        signals = [lambda: self._figures(claim, plain, unit, cited_text),
                   lambda: self._periods(plain, unit, cited_text),
                   lambda: self._numbers(plain, unit, cited_text)]
        if confident:
            signals += [lambda: self._lists(statement, plain, scope),
                        lambda: self._actor(claim, plain, unit),
                        lambda: self._strength(plain, unit)]
        if claim.cited:
            signals += [lambda: self._defined_terms(claim, plain, unit),
                        lambda: None if following else self._quotes(claim, unit),
                        lambda: self._conditions(plain, unit),
                        lambda: self._exceptions(plain, unit)]
        findings = [f for f in (signal() for signal in signals) if f is not None]
        against = [f for f in findings if f.verdict != SUPPORTED]
        if against:
            verdict = NOT_SUPPORTED if any(f.verdict == NOT_SUPPORTED for f in against) else PARTLY
            return _Finding(verdict, "; ".join(f.finding for f in against), tuple(c for f in against for c in f.also),
                            against[0].unit)
        return findings[0] if findings else self._by_similarity(claim, unit, similarity)

    def closeness(self, statement: str, passage: Passage) -> float:
        """The best similarity between a statement and the units of a passage, as a claim citing the
        passage is judged on (the calibration compares claims with passages they do not cite)."""
        plain = _without_references(statement, self.finder)
        return float(max(self._similarities(plain, [self._unit(passage, w, True) for w in _split(passage.text)])))

    def _by_similarity(self, claim: Claim, unit: _Unit, similarity: float) -> _Finding:
        words = _shown(unit.words)
        if not claim.cited:
            # Named as a whole, the document leaves the provision to a search: show the closest words
            # for the reader to judge, never call them support on closeness alone.
            return _Finding(CANNOT_TELL, f"the paper names {claim.label} as a whole; its closest words are "
                                         f"{unit.citation}: “{words}”")
        if similarity >= self.thresholds.bar:
            return _Finding(SUPPORTED, f"{unit.citation} says so: “{words}”")
        if similarity < self.thresholds.floor:
            return _Finding(NOT_SUPPORTED, f"nothing in {claim.label} says this; its closest words are "
                                           f"{unit.citation}: “{words}”")
        return _Finding(CANNOT_TELL, f"{unit.citation} (“{words}”) neither clearly supports nor contradicts it")

    # -- candidates and similarity --

    def _candidates(self, claim: Claim, plain: str, following: bool) -> list[_Unit]:
        if not claim.cited:
            hits = self.retriever.search(plain, k=SEARCH_K, filters=SearchFilters(doc_ids=(claim.doc.doc_id,),
                                                                                  access=self.access))
            return [self._unit(h.passage, words, True) for h in hits for words in _split(h.passage.text)]
        found = []
        for cited in claim.cited:
            text = _with_lead_in(cited.passage.text, cited.excerpt) if cited.excerpt else cited.passage.text
            found += [self._unit(cited.passage, words, True, claim.label if cited.excerpt else "")
                      for words in _split(text)]
        if following:
            for section in dict.fromkeys(self._section(c.passage) for c in claim.cited):
                found += [self._unit(section, words, False) for words in _split(section.text)]
        return _first_of_each(found)

    def _referred(self, claim: Claim) -> list[Passage]:
        """The other subsections the cited text works on ("Subsection (1) does not apply if …"):
        a paper stating s.47(2) may give the four years of s.47(1) that it lifts."""
        found: list[Passage] = []
        for cited in claim.cited:
            provision = cited.passage.provision_ref
            for sub in _SIBLING.findall(cited.excerpt or cited.passage.text):
                sibling = Provision(provision.scope, provision.unit, provision.number, (sub,))
                found += self.retriever.provision_passages(cited.passage.doc_id, sibling, self.access)
        return [p for p in dict.fromkeys(found) if p.passage_id not in {c.passage.passage_id for c in claim.cited}]

    def _section(self, passage: Passage) -> Passage:
        parent = self.index.by_id.get(passage.parent_id)
        return parent if parent is not None and parent.access in self.access else passage

    def _unit(self, passage: Passage, words: str, cited: bool, label: str = "") -> _Unit:
        lines = words.splitlines()
        holder = self.retriever.most_specific(passage, lines[0] if lines else words)
        item = _item_label(words)
        citation = label or holder.citation
        if item and not citation.endswith(item):
            citation += item
        return _Unit(holder if not label else passage, words, citation, cited)

    def _similarities(self, statement: str, candidates: list[_Unit]) -> np.ndarray:
        embeddings = self.library.embeddings
        # With its heading, as the index embeds passages: "the public sector equality duty in s.149(1)"
        # names s.149 by its heading, not by its words.
        texts = [f"{u.passage.heading_path[-1]}\n{u.words}" if u.passage.heading_path else u.words for u in candidates]
        vectors = np.asarray(embeddings.embed_documents(texts), dtype=np.float32)
        return vectors @ np.asarray(embeddings.embed_query(statement), dtype=np.float32)

    # -- what differs --

    def _document_text(self, doc_id: str) -> str:
        """A document named as a whole: its figures, periods and dates may be anywhere in it."""
        return "\n".join(p.text for p in self.index.passages if p.doc_id == doc_id and p.access in self.access)

    def _figures(self, claim: Claim, plain: str, unit: _Unit, cited_text: str) -> _Finding | None:
        held = {(m.currency, m.amount) for m in money_in(cited_text)}
        for figure in money_in(plain):
            if (figure.currency, figure.amount) in held:
                continue
            superseded = self._superseded(claim, plain, figure)
            if superseded is not None:
                return superseded
            return _Finding(NOT_SUPPORTED, f"the paper's {figure.text} is not in {unit.citation}"
                                           + _figures_there(unit.words))
        return None

    def _periods(self, plain: str, unit: _Unit, cited_text: str) -> _Finding | None:
        theirs = periods_in(_unlabelled(cited_text))
        for period in periods_in(plain):
            same_count = [p for p in theirs if p.count == period.count]
            if not same_count:
                there = ", ".join(dict.fromkeys(p.text for p in periods_in(_unlabelled(unit.words)))) or \
                        ", ".join(dict.fromkeys(p.text for p in theirs))
                return _Finding(NOT_SUPPORTED, f"the paper says “{period.text}”; {unit.citation} "
                                               + (f"says “{there}”" if there else "gives no such period"))
            if not any(p.unit == period.unit and p.working == period.working for p in same_count):
                return _Finding(NOT_SUPPORTED, f"the paper says “{period.text}”; {unit.citation} says "
                                               f"“{same_count[0].text}”")
        return None

    def _numbers(self, plain: str, unit: _Unit, cited_text: str) -> _Finding | None:
        our_dates, rest = dates_in(blank_spans(plain, [m.span for m in money_in(plain)]))
        their_dates, their_rest = dates_in(_unlabelled(cited_text))
        missing_dates = sorted(our_dates - their_dates)
        if missing_dates:
            there = ", ".join(sorted(their_dates)) or "no date"
            return _Finding(NOT_SUPPORTED, f"the paper's date {', '.join(missing_dates)} is not in {unit.citation} "
                                           f"(it has {there})")
        periods = {str(p.count) for p in periods_in(plain)}  # a period's count is the periods' business
        missing = sorted(numbers_in(rest) - numbers_in(their_rest, within_words=True) - periods, key=float)
        if missing:
            return _Finding(NOT_SUPPORTED, f"the paper's {', '.join(missing)} is not in {unit.citation}"
                                           + _figures_there(unit.words))
        return None

    def _lists(self, statement: str, plain: str, scope: list[_Unit]) -> _Finding | None:
        ours = read.enumeration(plain)
        if not ours:
            return None
        best: tuple[int, _Unit, list[str], list[str]] | None = None
        for unit in scope:
            theirs = read.listed_items(unit.words)
            items = [part for o in ours for part in read.split_joined(o, theirs)]
            # The same list when at least two of its items are named: "goods, services or works"
            # inside one condition is not a list of the condition's items.
            matched = sum(any(read.same_item(o, t) for o in items) for t in theirs)
            if len(theirs) >= 2 and matched >= 2 and (best is None or matched > best[0]):
                best = (matched, unit, theirs, items)
        if best is None:
            return None
        _, unit, theirs, ours = best
        extra = [o for o in ours if not any(read.same_item(o, t) for t in theirs)]
        lacking = [t for t in theirs if not any(read.same_item(o, t) for o in ours)]
        listing = f"{unit.citation} lists: {'; '.join(theirs)}"
        if extra:
            lacks = f", and does not list {'; '.join(lacking)}" if lacking and read.exhaustive(statement) else ""
            return _Finding(NOT_SUPPORTED, f"{listing}. The paper also lists {'; '.join(extra)}, which "
                                           f"{unit.citation} does not{lacks}", unit=unit)
        if lacking and read.exhaustive(statement):
            return _Finding(PARTLY, f"{listing}. The paper leaves out {'; '.join(lacking)}", unit=unit)
        return _Finding(SUPPORTED, f"{unit.citation} lists the same: {'; '.join(theirs)}", unit=unit)

    def _actor(self, claim: Claim, plain: str, unit: _Unit) -> _Finding | None:
        ours, theirs = read.duty_holder(plain), read.duty_holder(unit.words)
        if ours is not None and theirs is not None:
            if read.may_stand_for(ours[0].name, theirs[0].name):
                return None
            return _Finding(NOT_SUPPORTED, f"the paper puts it on {ours[0].name}; {unit.citation} puts it on "
                                           f"{theirs[0].name}: “{_shown(unit.words)}”")
        # No duty to anchor on: every body the paper names must be one the cited text names.
        around = "\n".join([*(c.passage.text for c in claim.cited), unit.words])
        present = {a.name for a in read.actors(around)}
        for actor in read.actors(plain):
            if present and not any(read.may_stand_for(actor.name, p) for p in present):
                return _Finding(NOT_SUPPORTED, f"the paper names {actor.name}; {unit.citation} names "
                                               f"{', '.join(sorted(present))}, not it: “{_shown(unit.words)}”")
        return None

    def _strength(self, plain: str, unit: _Unit) -> _Finding | None:
        ours, theirs = read.modals(plain), read.modals(unit.words)
        if not ours or not theirs or read.binding(ours[0].strength) == read.binding(theirs[0].strength):
            return None
        return _Finding(NOT_SUPPORTED, f"the paper says “{ours[0].words}” ({ours[0].strength}); {unit.citation} "
                                       f"says “{theirs[0].words}” ({theirs[0].strength}): “{_shown(unit.words)}”")

    def _defined_terms(self, claim: Claim, plain: str, unit: _Unit) -> _Finding | None:
        section = set(tokenize("\n".join(self._section(c.passage).text for c in claim.cited)))
        lowered = plain.lower()
        for term in self._defined_in(claim.doc.doc_id):
            # Named when all its words are there: "a tender or transparency notice" names "tender notice".
            if re.search(rf"\b{re.escape(term)}s?\b", lowered) and not set(tokenize(term)) <= section:
                return _Finding(NOT_SUPPORTED, f"the paper speaks of “{term}”, which {claim.label} does not mention; "
                                               f"its closest words are {unit.citation}: “{_shown(unit.words)}”")
        return None

    def _defined_in(self, doc_id: str) -> list[str]:
        """Terms of more than one word the document defines ("award criteria"), longest first: a
        paper using one its provision does not use is talking about something else."""
        if self._terms_defined is None:
            self._terms_defined = {}
            for term, ids in self.retriever.definitions.defining.items():
                if " " in term and not term.startswith(("a ", "an ", "the ")):
                    for doc in {pid.split("/")[0] for pid in ids}:
                        self._terms_defined.setdefault(doc, []).append(term)
            for terms in self._terms_defined.values():
                terms.sort(key=len, reverse=True)
        return self._terms_defined.get(doc_id, [])

    def _quotes(self, claim: Claim, unit: _Unit) -> _Finding | None:
        """The wording check's verdict on the words the sentence quotes from the provision."""
        if claim.misquotes:
            return _Finding(PARTLY, f"{unit.citation} says this in other words: {claim.misquotes[0]}")
        if claim.quoted:
            return _Finding(SUPPORTED, f"the quoted words are in {claim.quoted[0]}")
        return None

    def _conditions(self, plain: str, unit: _Unit) -> _Finding | None:
        # References are taken out of the provision's words as they are of the paper's: "in accordance
        # with paragraph (1)" is not a condition a paper has to repeat.
        for condition in read.conditions(_without_references(unit.words, self.finder, unit.passage.doc_id)):
            if not read.covers(plain, condition, self.thresholds.condition_share):
                return _Finding(PARTLY, f"{unit.citation} makes it conditional (“{_shown(condition.words, 160)}”), "
                                        f"which the paper leaves out")
        return None

    def _exceptions(self, plain: str, unit: _Unit) -> _Finding | None:
        """A rule the paper states without exception ("every", "any", "without exception") when the
        provision is conditional or its section makes exceptions to it."""
        wider = read.universal_words(plain) - read.universal_words(unit.words)
        if not wider:
            return None
        if read.conditions(unit.words):
            return _Finding(PARTLY, f"the paper says “{min(wider)}”; {unit.citation} applies only "
                                    f"in some cases: “{_shown(unit.words)}”")
        qualifying = self.retriever.qualifying(unit.passage, self.access)
        if qualifying:
            q = qualifying[0]
            return _Finding(PARTLY, f"the paper says “{min(wider)}”; {q.citation} makes exceptions: "
                                    f"“{_shown(q.text)}”",
                            (_rests_on(q.citation, q.passage_id, q.text, "the exception"),))
        return None

    # -- superseded figures --

    def _superseded(self, claim: Claim, plain: str, figure: Money) -> _Finding | None:
        """A figure the law has since replaced: by an amendment we hold to the cited instrument, or,
        for a threshold, by the regime that governs a procurement begun on the day that matters."""
        replaced = self._amended_away(claim.doc, figure)
        regime = regime_for_date(self.day)
        moved = claim.doc.regime and claim.doc.regime != regime and _THRESHOLD_WORDS.search(plain)
        current = self._current_threshold(plain, regime) if moved else None
        if replaced is None and (current is None or current[0] == figure.amount):
            return None
        parts, also = [], []
        if replaced is not None:
            by = self.index.by_id.get(replaced.by_passage)
            parts.append(f"{replaced.by_citation} replaced “{replaced.old}” with “{replaced.new}” in "
                         f"{claim.doc.short} {replaced.provision} from {replaced.in_force}")
            if by is not None:
                also.append(_rests_on(by.citation, by.passage_id, replaced.words, "the amending words"))
        if current is not None and current[0] != figure.amount:
            _, row, rule_steps = current
            why = "; ".join(f"{self._cite(s)}: {s.finding}" for s in rule_steps)
            parts.append(f"a procurement begun on {self.day.isoformat()} is under the {Regime(regime, '').label}, "
                         f"not {claim.doc.short} ({why}), and the threshold there is {self._cite(row)} {row.finding}")
            for step in (*rule_steps, row):
                passage = self.index.by_id[step.source.passage_id]
                also.append(_rests_on(passage.citation, passage.passage_id, step.source.quote, step.finding))
        return _Finding(NOT_SUPPORTED, f"superseded: the paper's {figure.text} is not the figure in force — "
                                       + "; and ".join(parts), tuple(also))

    def _cite(self, step: Step) -> str:
        assert step.source is not None
        return self.index.by_id[step.source.passage_id].citation

    def _amended_away(self, doc: DocumentInfo, figure: Money) -> Amendment | None:
        """The latest amendment in force on the day at the place where an amendment we hold replaced
        this figure in the document."""
        day = self.day.isoformat()
        for a in self.index.amendments:
            olds = {(m.currency, m.amount) for m in money_in(a.old)}
            if a.doc_id == doc.doc_id and a.in_force <= day and (figure.currency, figure.amount) in olds:
                latest = in_force_on(self.index.amendments, doc.doc_id, Provision.parse(a.provision), day)
                return next((x for x in latest if x.provision == a.provision), a)
        return None

    def _current_threshold(self, plain: str, regime: str) -> tuple[int, Step, list[Step]] | None:
        """(amount, the threshold step, the regime steps) the advisor's rules give for the contract
        the statement describes, under `regime`, for the paper's kind of authority."""
        rules = usable_rules(self.library, self.access)
        facts = extract_facts(plain, rules, self.day)
        if facts.authority is None:
            paper = extract_facts(self.paper_text, rules, self.day)
            facts = replace(facts, authority=paper.authority, authority_text=paper.authority_text,
                            authority_inferred=True)
        advice = decide(facts, Regime(regime, "", self.day.isoformat()), rules)
        row = next((s for s in advice.steps if s.phase == "threshold" and s.source is not None), None)
        if advice.threshold is None or row is None:
            return None
        rule_steps = [s for s in advice.steps if s.phase == "regime" and s.source is not None]
        return advice.threshold, row, rule_steps


# ---- small helpers -------------------------------------------------------------------------------------

def _rests_on(citation: str, passage_id: str, words: str, role: str) -> Compared:
    """A passage a finding rests on beside the statement's own (an exception, an amendment, the law
    now in force): no statement of the paper, no verdict of its own, only its role."""
    return Compared("", citation, passage_id, words, 0.0, "", role)


def _first_of_each(found: list[_Unit]) -> list[_Unit]:
    """The units in order, each wording once (the cited one kept over the same words elsewhere)."""
    seen: dict[str, _Unit] = {}
    for unit in found:
        seen.setdefault(unit.words, unit)
    return list(seen.values())


def _shown(words: str, limit: int = SHOWN_WORDS) -> str:
    plain = normalise_space(words)
    return plain if len(plain) <= limit else plain[:limit - 1].rsplit(" ", 1)[0] + " …"


def _unlabelled(text: str) -> str:
    """Text without its item labels, whose numbers ("(2)") are not figures."""
    return "\n".join(read.ITEM_LABEL.sub("", line) for line in text.splitlines())


def _figures_there(words: str) -> str:
    figures = [m.text for m in money_in(words)] or [p.text for p in periods_in(words)]
    return f", which has {', '.join(dict.fromkeys(figures))}" if figures else ""

