"""The paper checker: every legal reference in a decision paper, resolved and verified.

For each reference the finder reads from a paper (assistant.papercheck.paper reads the file and its
sentences) the report gives the sentence citing it, the cited provision (label, version date,
deep link, text) and a verdict:

  resolved                  the provision, or the document named alone, is indexed and visible
  not in corpus             the instrument is not indexed (or not visible with the reader's access),
                            or the indexed text is an extract without the provision; never guessed
  ambiguous                 the words do not say which provision or instrument; candidates listed
  provision does not exist  the instrument is indexed whole (or the enclosing provision is) and
                            has no such provision
  own paper                 the paper's own section ("section 1 above"), not a legal reference

Quoted words and money amounts in the citing sentence are looked for in the cited text
(assistant.papercheck.wording); one that is not there is flagged with the version date of the text it was
compared with. Every resolved reference also gets a support verdict on what the paper says about it
(assistant.papercheck.support): supported, partly supported, not supported or cannot tell, with the
reason and the provision's words each statement was compared with; a claim not supported, or only
partly, is a flag. An instrument counts as indexed whole unless its indexed text starts after its
first section or refers to a section or schedule of itself that is not indexed: PRSRA 2011
s.1(10) "Schedule 1 … has effect" shows that extract lacks Sch.1. A decision paper is numbered
"4.2", so "paragraph 4.2 of PCD 1429" is its §4.2 and "section 4" its §4.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from assistant.papercheck.paper import Sentences, read_paper, squeezed
from assistant.papercheck.statements import ITEM_LABEL
from assistant.papercheck.support import (
    CANNOT_TELL,
    FLAGGED,
    SUPPORT_VERDICTS,
    Cited,
    Claim,
    Compared,
    SupportJudge,
    Thresholds,
    claim_statements,
)
from assistant.papercheck.wording import (
    Wording,
    appears,
    closest_wording,
    figures,
    quotes,
)
from ingest.document import ACCESS_LEVELS, DocumentInfo
from ingest.parsers.plain import PageOf
from ingest.passage import Passage, Provision, label_level
from ingest.references import Reference, enclosing_unit
from ingest.textutil import normalise_space

RESOLVED = "resolved"
NOT_IN_CORPUS = "not in corpus"
AMBIGUOUS = "ambiguous"
DOES_NOT_EXIST = "provision does not exist"
OWN_PAPER = "own paper"
VERDICTS = (RESOLVED, NOT_IN_CORPUS, AMBIGUOUS, DOES_NOT_EXIST, OWN_PAPER)
FOUND, NOT_FOUND, NOT_CHECKED = "found", "not found", "not checked"
MAX_CANDIDATES = 12
MAX_SENTENCE_CHARS = 1200


class CheckError(Exception):
    """A paper that cannot be checked; the message names the paper and the reason."""


# ---- the report -------------------------------------------------------------------------------

@dataclass
class CitedText:
    """One indexed passage a reference resolves to. `excerpt` is the cited sub-part, when the
    passage holds more than the reference names (Sch.3 para 7(2)(a) inside Sch.3 para 7)."""

    passage_id: str
    citation: str
    heading_path: list[str]
    version_date: str
    source_url: str
    text: str
    excerpt: str = ""


@dataclass
class WordingCheck:
    """Quoted words or a money amount of the citing sentence, looked for in the cited text."""

    kind: str  # "quote" or "figure"
    text: str
    status: str  # found, not found, not checked
    message: str
    found_in: str = ""


@dataclass
class ReferenceCheck:
    n: int
    text: str
    start: int
    end: int
    page: int | None
    sentence: str
    sentence_mark: tuple[int, int]  # where the reference sits in `sentence`
    verdict: str
    reason: str
    doc_id: str | None
    instrument: str | None
    provision: str | None
    resolution: str
    label: str = ""
    version_date: str = ""
    source_url: str = ""
    cited: list[CitedText] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    checks: list[WordingCheck] = field(default_factory=list)
    support: str = CANNOT_TELL
    support_reason: str = ""
    compared: list[Compared] = field(default_factory=list)  # the paper's statements beside the provision's words

    @property
    def flags(self) -> list[str]:
        """What does not hold up: a provision that does not exist, an unpinned reference, quoted
        words or figures missing from the cited text, and a claim the provision does not support."""
        flags = [f"{self.verdict}: {self.reason}"] if self.verdict in (DOES_NOT_EXIST, AMBIGUOUS) else []
        flags += [f"{c.kind} “{c.text}”: {c.message}" for c in self.checks if c.status == NOT_FOUND]
        return flags + ([f"{self.support}: {self.support_reason}"] if self.support in FLAGGED else [])

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["sentence_mark"] = list(self.sentence_mark)
        data["flags"] = self.flags
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReferenceCheck:
        data = {k: v for k, v in data.items() if k != "flags"}
        data["sentence_mark"] = tuple(data["sentence_mark"])
        data["cited"] = [CitedText(**c) for c in data.get("cited", [])]
        data["checks"] = [WordingCheck(**c) for c in data.get("checks", [])]
        data["compared"] = [Compared(**c) for c in data.get("compared", [])]
        return cls(**data)


@dataclass
class PaperReport:
    source: str
    index_version: str
    access: list[str]
    references: list[ReferenceCheck]
    doc_id: str | None = None

    def counts(self) -> dict[str, int]:
        return {v: n for v in VERDICTS if (n := sum(r.verdict == v for r in self.references))}

    def support_counts(self) -> dict[str, int]:
        return {v: n for v in SUPPORT_VERDICTS if (n := sum(r.support == v for r in self.references))}

    @property
    def flagged(self) -> list[ReferenceCheck]:
        return [r for r in self.references if r.flags]

    def summary(self) -> str:
        counts = ", ".join(f"{n} {verdict}" for verdict, n in self.counts().items())
        support = ", ".join(f"{n} {verdict}" for verdict, n in self.support_counts().items())
        flags = sum(len(r.flags) for r in self.references)
        return (f"{len(self.references)} references" + (f" ({counts})" if counts else "")
                + (f"; claims: {support}" if support else "") + f"; {flags} flag{'s' if flags != 1 else ''}")

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "doc_id": self.doc_id, "index_version": self.index_version,
                "access": list(self.access), "summary": self.summary(), "counts": self.counts(),
                "support_counts": self.support_counts(), "references": [r.to_dict() for r in self.references]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PaperReport:
        return cls(source=data["source"], index_version=data["index_version"], access=list(data["access"]),
                   references=[ReferenceCheck.from_dict(r) for r in data["references"]], doc_id=data.get("doc_id"))


# ---- sub-parts of a passage -------------------------------------------------------------------

def _closes(part: str, label: str) -> bool:
    """Whether a line labelled `label` ends the item `part`: a sibling or a higher level does."""
    previous_letter = part if label_level(part, None) == 2 else None
    return label_level(label, previous_letter) <= label_level(part, None)


def sub_part(text: str, labels: Sequence[str]) -> str | None:
    """The lines of `text` making up item (labels[0]), then (labels[1]) inside it, and so on;
    "" when a label appears only inside a line (so the part cannot be cut out); None when absent."""
    lines = text.split("\n")
    lo, hi = 0, len(lines)
    for label in labels:
        at = next((i for i in range(lo, hi) if (m := ITEM_LABEL.match(lines[i])) and m[1] == label), None)
        if at is None:
            return "" if any(f"({label})" in line for line in lines[lo:hi]) else None
        end = next((j for j in range(at + 1, hi) if (m := ITEM_LABEL.match(lines[j])) and _closes(label, m[1])), hi)
        lo, hi = at, end
    return "\n".join(lines[lo:hi])


# ---- the checker ------------------------------------------------------------------------------

_ABOVE_OR_BELOW = re.compile(r"\b(?:above|below)$")
_BARE_PARAGRAPH = re.compile(r"^(?i:paragraphs?|paras?\.?)\s*\d")
# A reference that begins with provision words but came back without a provision: the words
# named a place the instrument's numbering cannot hold, or one the context could not pin down.
_PROVISION_WORDS = re.compile(
    r"^(?i:sub-?sections?|sub-?paragraphs?|sub-?paras?\.?|paragraphs?|paras?\.?|sections?|ss?\.|regulations?|"
    r"regs?\.?|articles?|arts?\.|schedules?|schs?\.?)\s*[\d(]")
_DOTTED = re.compile(r"^(?i:paragraphs?|paras?\.?|sections?|ss?\.)\s*(\d{1,2})\.(\d{1,2})\b")
_DECISION_NUMBER = re.compile(r"§(\d+)\.(\d+)\b")
_PAPER_NUMBER = re.compile(r"(?:PCD|DMPCD)\s?\d")


@dataclass(frozen=True)
class _Identity:
    """Which document the paper is: the indexed one checked, or the decision its title names."""

    doc_id: str | None = None
    instrument: str | None = None

    @classmethod
    def of(cls, refs: list[Reference], doc_id: str | None, documents: dict[str, DocumentInfo]) -> _Identity:
        if doc_id is not None:
            return cls(doc_id)
        first = refs[0] if refs else None
        # "Paragraph 4.2 of PCD 1429 records …" cites a place in another paper; a title names it alone.
        if first is None or first.provision is not None or _PROVISION_WORDS.match(first.text):
            return cls()
        if first.doc_id is not None:
            return cls(first.doc_id) if documents[first.doc_id].kind == "decision" else cls()
        return cls(None, first.instrument) if _PAPER_NUMBER.match(first.instrument or "") else cls()

    def names(self, ref: Reference) -> bool:
        if self.doc_id is not None:
            return ref.doc_id == self.doc_id
        return self.instrument is not None and ref.doc_id is None and ref.instrument == self.instrument


@dataclass(frozen=True)
class _Extent:
    """What an instrument's indexed text holds, and why it counts as an extract if it does."""

    whole: bool
    summary: str
    why_extract: str = ""


@dataclass
class _Outcome:
    verdict: str
    reason: str
    label: str = ""
    version_date: str = ""
    source_url: str = ""
    cited: list[CitedText] = field(default_factory=list)
    candidates: list[str] = field(default_factory=list)
    scope: list[Passage] = field(default_factory=list)  # what quotes and figures are compared with
    excerpts: dict[str, str] = field(default_factory=dict)
    whole: bool = False  # a document named as a whole, not a place in it


class PaperChecker:
    """Checks papers against one library's index, showing only passages the reader may see."""

    def __init__(self, library: Any, today: date | None = None, thresholds: Thresholds | None = None) -> None:
        self.library = library
        self.today = today  # the day whose law a paper without a date is read against; None: the real today
        self.thresholds = thresholds  # None: the calibrated ones (assistant/calibration.json)
        self._extents: dict[tuple[str, str], _Extent] = {}

    # -- entry points --

    def check_file(self, path: Path, access: Sequence[str] = ACCESS_LEVELS) -> PaperReport:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CheckError(f"{path}: cannot read ({exc.strerror or exc})") from exc
        return self.check_bytes(data, path.name, access)

    def check_bytes(self, data: bytes, name: str, access: Sequence[str] = ACCESS_LEVELS) -> PaperReport:
        paper = read_paper(data, name, self.library.settings.max_upload_bytes)
        return self.check_text(paper.text, name, access, paper.page_of)

    def check_document(self, doc_id: str, access: Sequence[str] = ACCESS_LEVELS) -> PaperReport:
        index = self.library.index
        doc = next((d for d in index.documents if d.doc_id == doc_id and d.access in access), None)
        if doc is None:
            raise CheckError(f"{doc_id}: not an indexed document you can see")
        dated = date.fromisoformat(doc.version_date) if re.fullmatch(r"\d{4}-\d{2}-\d{2}", doc.version_date) else None
        return self.check_text(self._document_text(doc, access), doc.short, access, doc_id=doc_id, day=dated)

    def check_text(self, text: str, source: str, access: Sequence[str] = ACCESS_LEVELS,
                   page_of: PageOf | None = None, doc_id: str | None = None, day: date | None = None) -> PaperReport:
        """`day`: the paper's date, whose law its figures are held to; without one, today's."""
        retriever = self.library.retriever
        refs = self.library.finder.find(text)
        own = _Identity.of(refs, doc_id, retriever.documents)
        # The paper naming itself ("PCD 1429 …" in its title) is not a reference.
        refs = [r for r in refs if not (own.names(r) and r.provision is None)]
        run = _Run(self, retriever, text, tuple(access), own, refs)
        checks = [run.check(n, ref, page_of) for n, ref in enumerate(refs, 1)]
        run.check_wording(checks)
        judge = SupportJudge(self.library.snapshot(), access, day or self.today or date.today(), text, self.thresholds)
        run.judge_support(checks, judge)
        return PaperReport(source, retriever.index.version, list(access), checks, own.doc_id)

    def _document_text(self, doc: DocumentInfo, access: Sequence[str]) -> str:
        passages = [p for p in self.library.index.passages if p.doc_id == doc.doc_id]
        visible = [p for p in passages if p.access in access]
        cached = self.library.settings.corpus_cache / doc.file if doc.file else None
        # A paper with a part the reader may not see (a restricted Part 2) is checked in its visible passages only.
        if cached is not None and cached.is_file() and len(visible) == len(passages):
            return read_paper(cached.read_bytes(), doc.file).text
        return "\n\n".join(p.text for p in visible)

    # -- what an instrument's indexed text holds --

    def extent(self, retriever: Any, doc: DocumentInfo) -> _Extent:
        key = (retriever.index.version, doc.doc_id)
        if key not in self._extents:
            self._extents[key] = self._measure(retriever, doc)
        return self._extents[key]

    def _measure(self, retriever: Any, doc: DocumentInfo) -> _Extent:
        if doc.kind != "legislation":
            return _Extent(True, "")  # the organisation's papers are indexed whole
        passages = [p for p in retriever.index.passages if p.doc_id == doc.doc_id]
        units = {enclosing_unit(p.provision_ref) for p in passages}
        body = sorted((u for u in units if not u.scope), key=lambda u: _number_key(u.number))
        schedules = sorted((u for u in units if u.scope), key=lambda u: _number_key(u.scope[4:]))
        summary = " and ".join(f"{run[0]}–{run[-1]}" if len(run) > 1 else str(run[0])
                               for run in (body, schedules) if run)
        if body and _number_key(body[0].number)[0] > 1:
            return _Extent(False, summary, f"it starts at {body[0]}")
        text = "\n\n".join(p.text for p in passages)
        for ref in self.library.finder.find(text, default_doc=doc.doc_id):
            # Words quoted in an amendment ("for “regulation 47D(2)” substitute") are not references.
            quoted = ref.start > 0 and text[ref.start - 1] in "“‘\"'"
            if ref.doc_id != doc.doc_id or ref.provision is None or quoted:
                continue
            if enclosing_unit(ref.provision) not in units:
                return _Extent(False, summary, f"it refers to its own {enclosing_unit(ref.provision)}, "
                                               "which is not indexed")
        return _Extent(True, summary)


def _number_key(number: str) -> tuple[int, str]:
    """"120A" sorts after "120" and before "121"."""
    m = re.match(r"(\d*)(.*)", number)
    assert m is not None
    return (int(m[1]) if m[1] else 0, m[2])


class _Run:
    """One check of one paper against one index version."""

    def __init__(self, checker: PaperChecker, retriever: Any, text: str, access: tuple[str, ...],
                 own: _Identity, refs: list[Reference]) -> None:
        self.checker = checker
        self.retriever = retriever
        self.text = text
        self.access = access
        self.own = own
        self.refs = refs
        self.sentences = Sentences.of(text)
        self.documents = {d.doc_id: d for d in retriever.index.documents if d.access in access}
        cited = [r.doc_id for r in refs if r.doc_id in self.documents and not own.names(r)]
        self.cited_docs = list(dict.fromkeys(cited))
        self.outcomes: dict[int, _Outcome] = {}

    # -- one reference --

    def check(self, n: int, ref: Reference, page_of: PageOf | None) -> ReferenceCheck:
        outcome = self._resolve(ref)
        self.outcomes[n] = outcome
        start, end = self.sentences.around(ref.start, ref.end, len(self.text))
        sentence, origin = squeezed(self.text[start:end])
        mark = (bisect_left(origin, ref.start - start), bisect_left(origin, ref.end - start))
        if len(sentence) > MAX_SENTENCE_CHARS:
            lo = max(0, mark[0] - MAX_SENTENCE_CHARS // 2)
            sentence = sentence[lo:lo + MAX_SENTENCE_CHARS]
            mark = (mark[0] - lo, min(mark[1] - lo, len(sentence)))
        return ReferenceCheck(
            n=n, text=normalise_space(ref.text), start=ref.start, end=ref.end,
            page=page_of(ref.start) if page_of else None, sentence=sentence, sentence_mark=mark,
            verdict=outcome.verdict, reason=outcome.reason, doc_id=ref.doc_id, instrument=ref.instrument,
            provision=None if ref.provision is None else str(ref.provision), resolution=ref.resolution,
            label=outcome.label, version_date=outcome.version_date, source_url=outcome.source_url,
            cited=outcome.cited, candidates=outcome.candidates)

    def _resolve(self, ref: Reference) -> _Outcome:
        if self.own.names(ref) or (ref.doc_id is None and _ABOVE_OR_BELOW.search(ref.text)):
            return self._own(ref)
        if ref.resolution == "outside-corpus" or (ref.doc_id is not None and ref.doc_id not in self.documents):
            name = ref.instrument or normalise_space(ref.text)
            return _Outcome(NOT_IN_CORPUS, f"{name} is not among the indexed documents"
                            + ("" if len(self.access) == len(ACCESS_LEVELS) else " you can see"))
        if ref.doc_id is None:
            return self._ambiguous(ref, [])
        doc = self.documents[ref.doc_id]
        if doc.kind != "legislation":
            return self._paper(doc, ref)
        if ref.provision is None:
            return self._ambiguous(ref, [doc]) if _PROVISION_WORDS.match(ref.text) else self._whole(doc)
        return self._provision(doc, ref.provision)

    def _whole(self, doc: DocumentInfo) -> _Outcome:
        """An instrument or paper named alone: quotes and figures are looked for anywhere in it."""
        return _Outcome(RESOLVED, "the document as a whole", label=doc.short,
                        version_date=doc.version_date or "undated", source_url=doc.source_url,
                        scope=self._visible(p for p in self.retriever.index.passages if p.doc_id == doc.doc_id),
                        whole=True)

    def _visible(self, passages: Iterable[Passage]) -> list[Passage]:
        return [p for p in passages if p.access in self.access]

    def _provision(self, doc: DocumentInfo, provision: Provision) -> _Outcome:
        label = f"{doc.short} {provision}"
        date = doc.version_date or "undated"
        found = self.retriever.provision_passages(doc.doc_id, provision)
        passages = _most_specific(self._visible(found), provision)
        if not passages:
            return self._hidden(label) if found else self._absent(doc, provision, label, date)
        excerpts: dict[str, str] = {}
        for p in passages:
            extra = provision.sub[len(p.provision_ref.sub):] if _holds(p.provision_ref, provision) else ()
            part = sub_part(p.text, extra) if extra else p.text
            if part is not None:
                excerpts[p.passage_id] = part if part and part != p.text else ""
        if not excerpts:
            holder = passages[0]
            missing = "".join(f"({part})" for part in provision.sub[len(holder.provision_ref.sub):])
            return _Outcome(DOES_NOT_EXIST, f"{holder.citation} is indexed (text as at {date}) and has no {missing}",
                            label=label, version_date=date)
        holding = [p for p in passages if p.passage_id in excerpts]
        cited = [CitedText(p.passage_id, p.citation, list(p.heading_path), p.version_date or "undated", p.source_url,
                           p.text, excerpts[p.passage_id]) for p in holding]
        if len(holding) > 1:
            reason = f"indexed in {len(holding)} passages"
        elif holding[0].citation != label:
            reason = f"part of {holding[0].citation}"
        else:
            reason = "indexed"
        return _Outcome(RESOLVED, reason, label=label, version_date=date,
                        source_url=_common_link([p.source_url for p in holding]), cited=cited, scope=holding,
                        excerpts=excerpts)

    def _absent(self, doc: DocumentInfo, provision: Provision, label: str, date: str) -> _Outcome:
        enclosing = Provision(provision.scope, provision.unit, provision.number)
        around = self.retriever.provision_passages(doc.doc_id, enclosing) if provision.sub else []
        if around and not self._visible(around):
            return self._hidden(label)
        if around:
            missing = "".join(f"({part})" for part in provision.sub)
            return _Outcome(DOES_NOT_EXIST, f"{doc.short} {enclosing} is indexed (text as at {date}) and has "
                                            f"no {missing}", label=label, version_date=date)
        extent = self.checker.extent(self.retriever, doc)
        if extent.whole:
            return _Outcome(DOES_NOT_EXIST, f"{doc.short} has no {provision}: its indexed text (as at {date}) "
                                            f"runs {extent.summary}", label=label, version_date=date)
        return _Outcome(NOT_IN_CORPUS, f"the indexed {doc.short} is an extract ({extent.why_extract}; it holds "
                                       f"{extent.summary}), and {provision} is not in it",
                        label=label, version_date=date)

    def _hidden(self, label: str) -> _Outcome:
        """A provision indexed only in passages above the reader's access: neither shown nor denied."""
        return _Outcome(NOT_IN_CORPUS, f"{label} is not among the indexed passages you can see", label=label)

    def _ambiguous(self, ref: Reference, named: list[DocumentInfo]) -> _Outcome:
        """A reference that does not say which instrument, or which schedule, it means."""
        written = normalise_space(ref.text)
        if ref.provision is not None:
            possible = [(d, ref.provision) for d in named or self._candidate_docs(all_kinds=True)]
            why = f"{written} names no instrument"
        elif _BARE_PARAGRAPH.match(ref.text) and not _DOTTED.match(ref.text):
            possible = [(d, Provision(scope, "para", p.number, p.sub))
                        for p in self._bare_paragraph(ref) for d in named or self._candidate_docs(all_kinds=False)
                        for scope in self._schedules(d)]
            why = f"{written} names no schedule"
        else:
            return _Outcome(AMBIGUOUS, f"{written} names no instrument or enclosing provision to read it in")
        candidates = [f"{d.short} {prov}" for d, prov in possible
                      if self._visible(self.retriever.provision_passages(d.doc_id, prov))]
        shown = candidates[:MAX_CANDIDATES]
        more = f" and {len(candidates) - len(shown)} more" if len(candidates) > len(shown) else ""
        if not candidates:
            return _Outcome(AMBIGUOUS, f"{why}, and no indexed document you can see has it")
        where = named[0].short if named else "the indexed documents, those this paper cites first"
        return _Outcome(AMBIGUOUS, f"{why}; {len(candidates)} candidate{'s' if len(candidates) > 1 else ''} in {where}"
                                   f": {', '.join(shown)}{more}", candidates=candidates)

    def _candidate_docs(self, all_kinds: bool) -> list[DocumentInfo]:
        """Every visible document, the ones the paper cites first."""
        order = {doc_id: i for i, doc_id in enumerate(self.cited_docs)}
        docs = sorted(self.documents.values(), key=lambda d: order.get(d.doc_id, len(order)))
        return [d for d in docs if all_kinds or d.kind == "legislation"]

    def _schedules(self, doc: DocumentInfo) -> list[str]:
        scopes = {p.provision_ref.scope for p in self.retriever.index.passages
                  if p.doc_id == doc.doc_id and p.provision_ref.scope and p.provision_ref.unit != "¶"}
        return sorted(scopes, key=lambda s: _number_key(s[4:]))

    def _bare_paragraph(self, ref: Reference) -> list[Provision]:
        """What a bare "paragraph 3(2)" would be inside a schedule, read by the finder itself."""
        siblings = [r for r in self.refs if (r.start, r.end) == (ref.start, ref.end)]
        read = [r.provision for r in self.checker.library.finder.find(f"Schedule 1, {ref.text}")
                if r.provision is not None and r.provision.unit == "para"]
        index = siblings.index(ref) if ref in siblings else 0
        return read[index:index + 1] if len(read) == len(siblings) else read

    def _paper(self, doc: DocumentInfo, ref: Reference) -> _Outcome:
        """A decision paper or other document of the organisation, numbered "4.2" rather than in
        the notation of legislation: "paragraph 4.2 of PCD 1429" is §4.2, "section 4" is §4."""
        dotted = _DOTTED.match(ref.text)
        if ref.provision is None and not dotted:
            return self._ambiguous(ref, [doc]) if _PROVISION_WORDS.match(ref.text) else self._whole(doc)
        section_only = ref.provision is not None and ref.provision.unit == "s" and not ref.provision.sub
        if not (dotted or section_only):
            return _Outcome(DOES_NOT_EXIST, f"{doc.short} numbers its paragraphs 1.1, 1.2, …: it has no "
                                            f"{ref.provision}", label=f"{doc.short} {ref.provision}")
        section, number = (dotted[1], dotted[2]) if dotted else (ref.provision.number, None)
        where = f"§{section}.{number}" if number else f"§{section}"
        passages = self._visible(self._paper_passages(doc.doc_id, section, number))
        date = doc.version_date or "undated"
        if not passages:
            return _Outcome(DOES_NOT_EXIST, f"{doc.short} has no {where}", label=f"{doc.short} {where}",
                            version_date=date)
        cited = [CitedText(p.passage_id, p.citation, list(p.heading_path), date, p.source_url, p.text)
                 for p in passages]
        label = passages[0].citation if len(passages) == 1 else f"{doc.short} {where}"
        return _Outcome(RESOLVED, f"{where} of {doc.short}", label=label, version_date=date,
                        source_url=passages[0].source_url, cited=cited, scope=passages)

    def _paper_passages(self, doc_id: str, section: str, number: str | None = None) -> list[Passage]:
        """A decision paper's §N (every paragraph of section N) or §N.M, by the citations its parser gives."""
        return [p for p in self.retriever.index.passages if p.doc_id == doc_id
                and (m := _DECISION_NUMBER.search(p.citation)) and m[1] == section and number in (None, m[2])]

    def _own(self, ref: Reference) -> _Outcome:
        """The paper's own section; when the paper is indexed, its passages are shown."""
        section = ref.provision.number if ref.provision is not None and not ref.provision.scope else None
        own = self._paper_passages(self.own.doc_id, section) if self.own.doc_id and section else []
        cited = [CitedText(p.passage_id, p.citation, list(p.heading_path), p.version_date or "undated", p.source_url,
                           p.text) for p in self._visible(own)]
        return _Outcome(OWN_PAPER, "a cross-reference within the paper itself, not a legal reference",
                        label=f"section {section} of this paper" if section else "this paper", cited=cited)

    # -- quotes and figures --

    def check_wording(self, checks: list[ReferenceCheck]) -> None:
        """Give each reference the quotes and figures of its sentence that follow it most closely."""
        by_sentence: dict[tuple[int, int], list[ReferenceCheck]] = {}
        for check in checks:
            by_sentence.setdefault(self.sentences.around(check.start, check.end, len(self.text)), []).append(check)
        for (start, end), group in by_sentence.items():
            raw = self.text[start:end]
            wording = sorted(quotes(raw, start) + figures(raw, start), key=lambda w: w.start)
            for item in wording:
                if any(c.start <= item.start < c.end for c in group):
                    continue  # words inside the reference itself
                before = [c for c in group if c.end <= item.start]
                unit_start = before[-1].start if before else min(c.start for c in group)
                for check in (c for c in group if c.start == unit_start):
                    check.checks.append(self._compare(item, [self.outcomes[c.n] for c in group
                                                             if c.start == unit_start]))

    # -- what the paper says about each reference --

    def judge_support(self, checks: list[ReferenceCheck], judge: SupportJudge) -> None:
        """Give each resolved reference the verdict on the claim its sentence (and the sentences
        going on about it) makes; any other reference cannot be judged, and says why."""
        spans = [(r.start, r.end) for r in self.refs]
        for check in checks:
            outcome = self.outcomes[check.n]
            if check.verdict != RESOLVED or check.doc_id not in self.documents:
                check.support_reason = f"not judged: {check.reason}"
                continue
            others = [span for span in spans if span != (check.start, check.end)]
            quotes = [c for c in check.checks if c.kind == "quote"]
            claim = Claim(statements=claim_statements(self.text, self.sentences, check.start, check.end, others),
                          doc=self.documents[check.doc_id], label=check.label,
                          cited=() if outcome.whole else tuple(Cited(p, outcome.excerpts.get(p.passage_id, ""))
                                                              for p in outcome.scope),
                          misquotes=tuple(c.message for c in quotes if c.status == NOT_FOUND),
                          quoted=tuple(c.found_in for c in quotes if c.status == FOUND))
            judgement = judge.judge(claim)
            check.support, check.support_reason = judgement.support, judgement.reason
            check.compared = judgement.compared

    def _compare(self, item: Wording, outcomes: list[_Outcome]) -> WordingCheck:
        usable = [o for o in outcomes if o.verdict == RESOLVED and o.scope]
        if not usable:
            why = outcomes[0].verdict if outcomes[0].verdict != RESOLVED else "no cited text"
            return WordingCheck(item.kind, item.text, NOT_CHECKED, f"not checked: {why}")
        date = usable[0].version_date
        words = "quoted words" if item.kind == "quote" else "figure"
        label = " / ".join(dict.fromkeys(o.label for o in usable))
        for outcome in usable:
            for p in outcome.scope:
                cited = outcome.excerpts.get(p.passage_id) or p.text
                if (how := appears(item, cited)) is not None:
                    note = "" if how == "verbatim" else " (punctuation or item labels differ)"
                    return WordingCheck(item.kind, item.text, FOUND, f"{words} found in {p.citation}{note}", p.citation)
        message = f"{words} not found in the cited text as at {date}"
        elsewhere = next((p for o in usable for p in o.scope if o.excerpts.get(p.passage_id)
                          and appears(item, p.text) is not None), None)
        if elsewhere is not None:
            return WordingCheck(item.kind, item.text, NOT_FOUND,
                                f"{message}: found in {elsewhere.citation}, outside the cited {label}")
        if item.kind == "quote":
            # Name the passage the nearest wording is in when the cited text spans several.
            nearest = [(near, o.label if len(o.scope) == 1 else p.citation) for o in usable for p in o.scope
                       if (near := closest_wording(item.text, o.excerpts.get(p.passage_id) or p.text))]
            if nearest:
                (excerpt, differences, _), where = max(nearest, key=lambda pair: pair[0][2])
                detail = "; ".join(differences[:3])
                message += f" ({where} reads “{excerpt}”" + (f": {detail}" if detail else "") + ")"
        return WordingCheck(item.kind, item.text, NOT_FOUND, message)


def _holds(passage: Provision, cited: Provision) -> bool:
    """The passage's provision contains the cited one (so the cited one is a sub-part of it)."""
    return passage.overlaps(cited) and len(passage.sub) <= len(cited.sub)


def _most_specific(passages: list[Passage], provision: Provision) -> list[Passage]:
    """Of the passages holding a provision, the narrowest (a subsection's rather than the whole
    section's); when the provision is wider than every passage, all of them."""
    holding = [p for p in passages if _holds(p.provision_ref, provision)]
    if not holding:
        return passages
    deepest = max(len(p.provision_ref.sub) for p in holding)
    return [p for p in holding if len(p.provision_ref.sub) == deepest]


def _common_link(urls: list[str]) -> str:
    """One address for several passages: theirs if they share it, else their common parent."""
    urls = [u for u in urls if u]
    if not urls or len(set(urls)) == 1:
        return urls[0] if urls else ""
    prefix = urls[0]
    for url in urls[1:]:
        while not url.startswith(prefix):
            prefix = prefix[:-1]
    return prefix[:prefix.rfind("/")] if "/" in prefix else ""


# ---- Markdown -----------------------------------------------------------------------------------

def _md(text: str) -> str:
    """Paper or statute text made inert in Markdown: no HTML, no accidental markup."""
    return re.sub(r"([\\`*_{}\[\]<>|#])", r"\\\1", text)


def _quoted_block(text: str) -> str:
    return "\n".join("> " + _md(line) if line.strip() else ">" for line in text.strip().splitlines())


def report_markdown(report: PaperReport) -> str:
    lines = [f"# Reference check: {_md(report.source)}", "",
             f"{report.summary()}. Checked against index {report.index_version}; "
             f"documents visible: {', '.join(report.access)}.", ""]
    if not report.references:
        lines.append("No legal references were found in this paper.")
        return "\n".join(lines) + "\n"
    lines += ["| # | Reference | Verdict | Cited provision | Text as at | Claim | Flags |",
              "|---|---|---|---|---|---|---|"]
    for r in report.references:
        flags = str(len(r.flags)) if r.flags else ""
        lines.append(f"| {r.n} | {_md(r.text)} | {r.verdict} | {_md(r.label)} | {r.version_date} | {r.support} "
                     f"| {flags} |")
    for r in report.references:
        page = f" (page {r.page})" if r.page else ""
        lines += ["", f"## {r.n}. {_md(r.text)}{page}: {r.verdict}", "", _quoted_block(r.sentence), "",
                  f"**{_md(r.label or r.instrument or r.text)}**: {_md(r.reason)}."]
        if r.version_date or r.source_url:
            link = f", <{r.source_url}>" if r.source_url else ""
            lines.append(f"Text as at {r.version_date or 'undated'}{link}.")
        for cited in r.cited:
            lines += ["", f"{_md(cited.citation)}:", "", _quoted_block(cited.excerpt or cited.text)]
        if r.candidates:
            lines += ["", "Candidates: " + ", ".join(_md(c) for c in r.candidates)]
        for c in r.checks:
            mark = {FOUND: "✓", NOT_FOUND: "✗", NOT_CHECKED: "·"}[c.status]
            lines += ["", f"- {mark} {c.kind} “{_md(c.text)}”: {_md(c.message)}"]
        lines += ["", f"**Claim: {r.support}**. {_md(r.support_reason)}"]
        for c in r.compared:
            words = f"“{_md(normalise_space(c.words))}”"
            if c.statement:
                lines += ["", f"- The paper: “{_md(c.statement)}” — {_md(c.citation)} ({c.verdict}): {words}"]
            else:
                lines += ["", f"- Rests on {_md(c.citation)} ({_md(c.finding)}): {words}"]
    return "\n".join(lines) + "\n"

