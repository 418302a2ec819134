"""The paper checker: every legal reference in a decision paper, resolved and verified.

For each reference the finder reads from a paper the report gives the sentence citing it, the
cited provision (label, version date, deep link, text) and a verdict:

  resolved                  the provision, or the instrument named alone, is indexed and visible
  not in corpus             the instrument is not indexed (or not visible with the reader's access),
                            or the indexed text is an extract without the provision; never guessed
  ambiguous                 the words do not say which provision or instrument; candidates listed
  provision does not exist  the instrument is indexed whole (or the enclosing provision is) and
                            has no such provision
  own paper                 the paper's own section ("section 1 above"), not a legal reference

Quoted words and money amounts in the citing sentence are looked for in the cited text,
whitespace-, quote-style- and case-normalised; one that is not there is flagged with the version
date of the text it was compared with. An instrument counts as indexed whole unless its indexed
text starts after its first section or refers to a section or schedule of itself that is not
indexed: PRSRA 2011 s.1(10) "Schedule 1 … has effect" shows the extract lacks Sch.1.
"""

from __future__ import annotations

import difflib
import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path, PurePath
from typing import Any

from ingest.document import ACCESS_LEVELS, DocumentInfo, IngestError
from ingest.html import html_to_text
from ingest.legislation import _label_level as label_level
from ingest.passage import Passage, Provision, normalise_space
from ingest.pdf import join_pages, pdf_pages
from ingest.references import Reference
from ingest.text import PageOf, decode_text

RESOLVED = "resolved"
NOT_IN_CORPUS = "not in corpus"
AMBIGUOUS = "ambiguous"
DOES_NOT_EXIST = "provision does not exist"
OWN_PAPER = "own paper"
VERDICTS = (RESOLVED, NOT_IN_CORPUS, AMBIGUOUS, DOES_NOT_EXIST, OWN_PAPER)
FOUND, NOT_FOUND, NOT_CHECKED = "found", "not found", "not checked"
READABLE = (".pdf", ".html", ".htm", ".txt", ".text", ".md", ".markdown")
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

    @property
    def flags(self) -> list[str]:
        """What does not hold up: a provision that does not exist, an unpinned reference, and
        quoted words or figures missing from the cited text."""
        flags = [f"{self.verdict}: {self.reason}"] if self.verdict in (DOES_NOT_EXIST, AMBIGUOUS) else []
        return flags + [f"{c.kind} “{c.text}”: {c.message}" for c in self.checks if c.status == NOT_FOUND]

    @property
    def cited_text(self) -> str:
        return "\n\n".join(c.excerpt or c.text for c in self.cited)

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

    @property
    def flagged(self) -> list[ReferenceCheck]:
        return [r for r in self.references if r.flags]

    def summary(self) -> str:
        counts = ", ".join(f"{n} {verdict}" for verdict, n in self.counts().items())
        flags = sum(len(r.flags) for r in self.references)
        return (f"{len(self.references)} references" + (f" ({counts})" if counts else "")
                + f"; {flags} flag{'s' if flags != 1 else ''}")

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "doc_id": self.doc_id, "index_version": self.index_version,
                "access": list(self.access), "summary": self.summary(), "counts": self.counts(),
                "references": [r.to_dict() for r in self.references]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PaperReport:
        return cls(source=data["source"], index_version=data["index_version"], access=list(data["access"]),
                   references=[ReferenceCheck.from_dict(r) for r in data["references"]], doc_id=data.get("doc_id"))


# ---- reading a paper --------------------------------------------------------------------------

@dataclass(frozen=True)
class PaperText:
    text: str
    page_of: PageOf | None = None


def read_paper(data: bytes, name: str, max_bytes: int | None = None) -> PaperText:
    """A paper's text with ingest's readers. Raises IngestError naming the file and the reason."""
    suffix = PurePath(name).suffix.lower()
    if suffix not in READABLE:
        raise IngestError(name, f"cannot check a {suffix or 'file without an extension'}; "
                                f"expected one of {', '.join(READABLE)}")
    if max_bytes is not None and len(data) > max_bytes:
        raise IngestError(name, f"{len(data) / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit")
    if suffix == ".pdf":
        text, page_of = join_pages(without_page_furniture(pdf_pages(data, name)))
        return PaperText(text, page_of)
    text = decode_text(data, name)
    if suffix in (".html", ".htm"):
        text = html_to_text(text, name)
    return PaperText(text)


_PAGE_NUMBER = re.compile(r"(?:page\s+)?\d{1,4}(?:\s*(?:of|/)\s*\d{1,4})?|[-–]\s*\d{1,4}\s*[-–]", re.I)


def without_page_furniture(pages: Sequence[str]) -> list[str]:
    """Pages without page numbers and running headers or footers, which would otherwise sit in the
    middle of a reference or sentence carried over a page break."""
    edges: dict[str, int] = {}
    for page in pages:
        lines = [normalise_space(line) for line in page.splitlines() if line.strip()]
        for line in {*lines[:1], *lines[-1:]}:
            edges[line] = edges.get(line, 0) + 1
    running = {line for line, n in edges.items() if n >= 2 and n * 2 >= len(pages)}

    def furniture(line: str) -> bool:
        plain = normalise_space(line)
        return not plain or plain in running or _PAGE_NUMBER.fullmatch(plain) is not None

    cleaned = []
    for page in pages:
        lines = page.splitlines()
        while lines and furniture(lines[0]):
            lines.pop(0)
        while lines and furniture(lines[-1]):
            lines.pop()
        cleaned.append("\n".join(lines))
    return cleaned


# ---- sentences --------------------------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    "s ss reg regs para paras sch schs art arts no nos e.g i.e eg ie etc cf mr mrs ms dr st vol pt ch "
    "sub subs ltd co inc approx cl op viz".split())
_SENTENCE_END = re.compile(r"[.!?][\"”’')\]]*(?=\s+[\"“‘(\[]?[A-Z0-9£])")
_WORD_BEFORE = re.compile(r"(\w+(?:\.\w+)*)$")
_LIST_MARKER = re.compile(
    r"\n[ \t]*(?:\d{1,3}(?:\.\d{1,3})+\.?|\d{1,3}[.)]|\(?[a-z]{1,4}\)|\(\d{1,3}[A-Z]?\)|[•▪‣◦*-])[ \t]+(?=\S)")
_BLANK_LINES = re.compile(r"[ \t]*\n[ \t]*\n\s*")
_CLOSED = tuple(".;:!?\"”’)")
_HEADING_WORDS = 8
_CURLY_QUOTE = re.compile(r"“[^“”]{0,1500}”")


@dataclass(frozen=True)
class _Sentences:
    """Sentence breaks of a text: where each sentence before a break ends and the next starts."""

    ends: list[int]
    starts: list[int]

    @classmethod
    def of(cls, text: str) -> _Sentences:
        breaks: dict[int, int] = {}
        for m in _SENTENCE_END.finditer(text):
            word = _WORD_BEFORE.search(text, 0, m.start())
            if word is None or (word[1].lower() not in _ABBREVIATIONS and len(word[1]) > 1):
                breaks[m.end()] = m.end()
        for m in _LIST_MARKER.finditer(text):
            breaks[m.start()] = m.end()
        for m in _BLANK_LINES.finditer(text):
            if _paragraph_ends(text, m.start(), m.end()):
                breaks[m.start()] = m.end()
        quoted = [(m.start(), m.end()) for m in _CURLY_QUOTE.finditer(text)]
        kept = sorted((end, start) for end, start in breaks.items()
                      if not any(a < end < b - 1 for a, b in quoted))
        return cls([end for end, _ in kept], [start for _, start in kept])

    def around(self, start: int, end: int, length: int) -> tuple[int, int]:
        i = bisect_right(self.starts, start) - 1
        j = bisect_left(self.ends, end)
        return (self.starts[i] if i >= 0 else 0), (self.ends[j] if j < len(self.ends) else length)


def _paragraph_ends(text: str, gap_start: int, gap_end: int) -> bool:
    """A blank line ends a sentence unless it is a page break in mid-sentence: the text before it
    is not closed by punctuation and is not a short heading, and no list item follows it."""
    before = text[:gap_start].rstrip()
    if not before or before.endswith(_CLOSED) or _LIST_MARKER.match(text, gap_end - 1):
        return True
    block = before[before.rfind("\n\n") + 1:]
    return len(block.split()) <= _HEADING_WORDS


def _squeezed(raw: str) -> tuple[str, list[int]]:
    """normalise_space(raw), and for each of its characters the offset it came from in raw."""
    chars: list[str] = []
    origin: list[int] = []
    pending_space = False
    for i, ch in enumerate(raw):
        if ch.isspace():
            pending_space = bool(chars)
            continue
        if pending_space:
            chars.append(" ")
            origin.append(i - 1)
            pending_space = False
        chars.append(ch)
        origin.append(i)
    return "".join(chars), origin


# ---- quotes, figures and their comparison -----------------------------------------------------

_QUOTED = re.compile(r"“(?P<curly>[^“”]{1,1500})”|\"(?P<straight>[^\"]{1,1500})\"")
_DEFINITION_BEFORE = re.compile(r"\(\s*(?:(?:the|hereafter|hereinafter)\s+)*(?:(?:referred\s+to\s+as|called)\s+)?$",
                                re.I)
_FRAGMENT_BREAK = re.compile(r"\.\.\.|…|\[[^\]]*\]")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_LABEL = re.compile(r"\d+[A-Z]{0,2}|[a-z]{1,3}|[A-Z]{1,2}")
_QUOTE_STYLES = str.maketrans({"“": '"', "”": '"', "„": '"', "‟": '"', "″": '"', "‘": "'", "’": "'", "‚": "'",
                               "‛": "'", "′": "'", "—": "-", "–": "-", "‑": "-", "\u00a0": " "})
_MONEY = re.compile(
    r"(?P<pre>£|€|\bGBP|\bEUR)\s?(?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?(?:\s?(?P<mult>million|bn|billion|m|k)\b)?"
    r"|(?P<num2>\d{1,3}(?:,\d{3})+|\d+)(?P<dec2>\.\d+)?\s?(?P<post>EUR|euros?|GBP|pounds)\b")
_CURRENCY = {"£": "GBP", "GBP": "GBP", "pounds": "GBP", "€": "EUR", "EUR": "EUR", "euro": "EUR", "euros": "EUR"}
_MULTIPLIER = {"k": 1_000, "m": 1_000_000, "million": 1_000_000, "bn": 1_000_000_000, "billion": 1_000_000_000}


@dataclass(frozen=True)
class _Wording:
    kind: str
    text: str
    start: int  # offset in the paper


def _quotes(sentence: str, offset: int) -> list[_Wording]:
    found = []
    for m in _QUOTED.finditer(sentence):
        words = m["curly"] if m["curly"] is not None else m["straight"]
        defines = _DEFINITION_BEFORE.search(sentence, 0, m.start()) and sentence[m.end():].lstrip().startswith(")")
        if not defines and _TOKEN.search(words):
            found.append(_Wording("quote", normalise_space(words), offset + m.start()))
    return found


def _figures(sentence: str, offset: int) -> list[_Wording]:
    return [_Wording("figure", normalise_space(m.group()), offset + m.start()) for m in _MONEY.finditer(sentence)]


def _amounts(text: str) -> set[tuple[str, Decimal]]:
    amounts = set()
    for m in _MONEY.finditer(text):
        currency = _CURRENCY[m["pre"] or m["post"]]
        try:
            value = Decimal(((m["num"] or m["num2"]) + (m["dec"] or m["dec2"] or "")).replace(",", ""))
        except InvalidOperation:
            continue
        amounts.add((currency, value * _MULTIPLIER.get(m["mult"] or "", 1)))
    return amounts


def _plain(text: str) -> str:
    return normalise_space(text.translate(_QUOTE_STYLES)).casefold()


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """Words with their offsets, without the labels of numbered items: "(a)", "(2)", "(iv)"."""
    out = []
    for m in _TOKEN.finditer(text):
        label = m.start() > 0 and text[m.start() - 1] == "(" and text[m.end():m.end() + 1] == ")"
        if not (label and _LABEL.fullmatch(m.group())):
            out.append((m.group().casefold().replace("’", "'"), m.start(), m.end()))
    return out


def _fragments(quote: str) -> list[str]:
    """A quote's runs of words between ellipses and editorial [insertions]."""
    return [f for f in (part.strip(" .,;:") for part in _FRAGMENT_BREAK.split(quote)) if _TOKEN.search(f)]


def _in_order(needles: list[list[str]], haystack: list[str]) -> bool:
    pos = 0
    for needle in needles:
        at = next((i for i in range(pos, len(haystack) - len(needle) + 1) if haystack[i:i + len(needle)] == needle), None)
        if at is None:
            return False
        pos = at + len(needle)
    return True


def quote_in(quote: str, text: str) -> str | None:
    """"verbatim" when the quote is in the text once whitespace, quote styles and case are
    normalised; "words" when only its words are (punctuation or item labels differ); else None."""
    fragments = _fragments(quote)
    if not fragments:
        return None
    plain_text = _plain(text)
    pos = 0
    for fragment in fragments:
        pos = plain_text.find(_plain(fragment), pos)
        if pos < 0:
            break
    else:
        return "verbatim"
    words = [t for t, _, _ in _tokens(text)]
    return "words" if _in_order([[t for t, _, _ in _tokens(f)] for f in fragments], words) else None


def closest_wording(quote: str, text: str) -> tuple[str, list[str], int] | None:
    """The stretch of `text` most like the quote, how the quote differs from it, and how many of
    the quote's words it shares in order."""
    theirs = _tokens(text)
    ours = [t for f in _fragments(quote) for t, _, _ in _tokens(f)]
    words = [t for t, _, _ in theirs]
    if not ours or not words:
        return None
    match = difflib.SequenceMatcher(None, words, ours, autojunk=False).find_longest_match(0, len(words), 0, len(ours))
    if match.size < 3:
        return None
    # Look a little either side of where the quote would lie, then keep the stretch between the
    # first and last words it shares with the quote.
    slack = max(3, len(ours) // 4)
    lo = max(0, match.a - match.b - slack)
    hi = min(len(words), match.a + len(ours) - match.b + slack)
    blocks = [b for b in difflib.SequenceMatcher(None, words[lo:hi], ours, autojunk=False).get_matching_blocks() if b.size]
    lo, hi = lo + blocks[0].a, lo + blocks[-1].a + blocks[-1].size
    window = words[lo:hi]
    differences: list[str] = []
    matcher = difflib.SequenceMatcher(None, window, ours, autojunk=False)
    ops = matcher.get_opcodes()
    for op, a1, a2, b1, b2 in ops:
        if op == "replace":
            differences.append(f"“{' '.join(ours[b1:b2])}” where the text has “{' '.join(window[a1:a2])}”")
        elif op == "insert":
            differences.append(f"“{' '.join(ours[b1:b2])}” is not in the text")
        elif op == "delete":
            differences.append(f"the text also has “{' '.join(window[a1:a2])}”")
    shared = sum(block.size for block in matcher.get_matching_blocks())
    return normalise_space(text[theirs[lo][1]:theirs[hi - 1][2]]), list(dict.fromkeys(differences)), shared


# ---- sub-parts of a passage -------------------------------------------------------------------

_LINE_LABEL = re.compile(r"^\s*\(([0-9]+[A-Z]*|[a-z]{1,4}|[A-Z]{1,2})\)")


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
        at = next((i for i in range(lo, hi) if (m := _LINE_LABEL.match(lines[i])) and m[1] == label), None)
        if at is None:
            return "" if any(f"({label})" in line for line in lines[lo:hi]) else None
        end = next((j for j in range(at + 1, hi) if (m := _LINE_LABEL.match(lines[j])) and _closes(label, m[1])), hi)
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
        if first is None or first.provision is not None:
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


class PaperChecker:
    """Checks papers against one library's index, showing only passages the reader may see."""

    def __init__(self, library: Any) -> None:
        self.library = library
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
        return self.check_text(self._document_text(doc), doc.short, access, doc_id=doc_id)

    def check_text(self, text: str, source: str, access: Sequence[str] = ACCESS_LEVELS,
                   page_of: PageOf | None = None, doc_id: str | None = None) -> PaperReport:
        retriever = self.library.retriever
        refs = self.library.finder.find(text)
        own = _Identity.of(refs, doc_id, retriever.documents)
        # The paper naming itself ("PCD 1429 …" in its title) is not a reference.
        refs = [r for r in refs if not (own.names(r) and r.provision is None)]
        run = _Run(self, retriever, text, tuple(access), own, refs)
        checks = [run.check(n, ref, page_of) for n, ref in enumerate(refs, 1)]
        run.check_wording(checks)
        return PaperReport(source, retriever.index.version, list(access), checks, own.doc_id)

    def _document_text(self, doc: DocumentInfo) -> str:
        cached = self.library.settings.corpus_cache / doc.file if doc.file else None
        if cached is not None and cached.is_file():
            return read_paper(cached.read_bytes(), doc.file).text
        return "\n\n".join(p.text for p in self.library.index.passages if p.doc_id == doc.doc_id)

    # -- what an instrument's indexed text holds --

    def extent(self, retriever: Any, doc: DocumentInfo) -> _Extent:
        key = (retriever.index.version, doc.doc_id)
        if key not in self._extents:
            self._extents[key] = self._measure(retriever, doc)
        return self._extents[key]

    def _measure(self, retriever: Any, doc: DocumentInfo) -> _Extent:
        passages = [p for p in retriever.index.passages if p.doc_id == doc.doc_id]
        tops = {_top(p.provision_ref) for p in passages}
        body = sorted({t for t in tops if not t.scope}, key=_number_key)
        schedules = sorted({t for t in tops if t.scope}, key=lambda t: _number_key(Provision("", "", t.scope[4:])))
        parts = []
        if body:
            parts.append(f"{body[0]}–{body[-1]}" if len(body) > 1 else str(body[0]))
        if schedules:
            parts.append(f"{schedules[0]}–{schedules[-1]}" if len(schedules) > 1 else str(schedules[0]))
        summary = " and ".join(parts) or "no numbered provisions"
        if doc.kind != "legislation":
            return _Extent(True, summary)
        if body and _number_key(body[0])[0] > 1:
            return _Extent(False, summary, f"it starts at {body[0]}")
        text = "\n\n".join(p.text for p in passages)
        for ref in self.library.finder.find(text, default_doc=doc.doc_id):
            # Words quoted in an amendment ("for “regulation 47D(2)” substitute") are not references.
            if ref.doc_id != doc.doc_id or ref.provision is None or text[ref.start - 1:ref.start] in "“‘\"'":
                continue
            if _top(ref.provision) not in tops:
                return _Extent(False, summary, f"it refers to its own {_top(ref.provision)}, which is not indexed")
        return _Extent(True, summary)


def _top(provision: Provision) -> Provision:
    """The section, regulation or whole schedule a provision sits in."""
    if provision.scope and provision.unit != "¶":
        return Provision(provision.scope, "sch", "")
    return Provision(provision.scope, provision.unit, provision.number)


def _number_key(provision: Provision) -> tuple[int, str]:
    m = re.match(r"(\d*)(.*)", provision.number)
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
        self.sentences = _Sentences.of(text)
        self.documents = {d.doc_id: d for d in retriever.index.documents if d.access in access}
        cited = [r.doc_id for r in refs if r.doc_id in self.documents and not own.names(r)]
        self.cited_docs = list(dict.fromkeys(cited))
        self.outcomes: dict[int, _Outcome] = {}

    # -- one reference --

    def check(self, n: int, ref: Reference, page_of: PageOf | None) -> ReferenceCheck:
        outcome = self._resolve(ref)
        self.outcomes[n] = outcome
        start, end = self.sentences.around(ref.start, ref.end, len(self.text))
        sentence, origin = _squeezed(self.text[start:end])
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
        if ref.provision is None:
            dotted = _DOTTED.match(ref.text)
            if dotted and doc.kind != "legislation":
                return self._paper_paragraph(doc, dotted[1], dotted[2])
            if _PROVISION_WORDS.match(ref.text):
                return self._ambiguous(ref, [doc])
            return _Outcome(RESOLVED, "the instrument as a whole", label=doc.short,
                            version_date=doc.version_date or "undated", source_url=doc.source_url,
                            scope=self._visible(p for p in self.retriever.index.passages if p.doc_id == doc.doc_id))
        return self._provision(doc, ref.provision)

    def _visible(self, passages: Iterable[Passage]) -> list[Passage]:
        return [p for p in passages if p.access in self.access]

    def _provision(self, doc: DocumentInfo, provision: Provision) -> _Outcome:
        label = f"{doc.short} {provision}"
        date = doc.version_date or "undated"
        passages = _most_specific(self._visible(self.retriever.provision_passages(doc.doc_id, provision)), provision)
        if not passages:
            return self._absent(doc, provision, label, date)
        excerpts: dict[str, str] = {}
        for p in passages:
            extra = provision.sub[len(p.provision_ref.sub):] if _holds(p.provision_ref, provision) else ()
            part = sub_part(p.text, extra) if extra else p.text
            if part is not None:
                excerpts[p.passage_id] = part if part and part != p.text else ""
        if not excerpts:
            holder = passages[0].citation
            return _Outcome(DOES_NOT_EXIST, f"{holder} is indexed (text as at {date}) and has no "
                                            f"{''.join(f'({s})' for s in provision.sub[len(passages[0].provision_ref.sub):])}",
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
        if provision.sub and self.retriever.provision_passages(doc.doc_id, enclosing):
            return _Outcome(DOES_NOT_EXIST, f"{doc.short} {enclosing} is indexed (text as at {date}) and has no "
                                            f"{''.join(f'({s})' for s in provision.sub)}", label=label, version_date=date)
        extent = self.checker.extent(self.retriever, doc)
        if extent.whole:
            return _Outcome(DOES_NOT_EXIST, f"{doc.short} has no {provision}: its indexed text (as at {date}) "
                                            f"runs {extent.summary}", label=label, version_date=date)
        return _Outcome(NOT_IN_CORPUS, f"the indexed {doc.short} is an extract ({extent.why_extract}; it holds "
                                       f"{extent.summary}), and {provision} is not in it", label=label, version_date=date)

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
        return sorted(scopes, key=lambda s: _number_key(Provision("", "", s[4:])))

    def _bare_paragraph(self, ref: Reference) -> list[Provision]:
        """What a bare "paragraph 3(2)" would be inside a schedule, read by the finder itself."""
        siblings = [r for r in self.refs if (r.start, r.end) == (ref.start, ref.end)]
        read = [r.provision for r in self.checker.library.finder.find(f"Schedule 1, {ref.text}")
                if r.provision is not None and r.provision.unit == "para"]
        index = siblings.index(ref) if ref in siblings else 0
        return read[index:index + 1] if len(read) == len(siblings) else read

    def _paper_paragraph(self, doc: DocumentInfo, section: str, number: str) -> _Outcome:
        """"paragraph 4.2 of PCD 1429": a decision paper's own numbering, §4.2."""
        passages = [p for p in self._visible(self.retriever.index.passages)
                    if p.doc_id == doc.doc_id and (m := _DECISION_NUMBER.search(p.citation)) and m.groups() == (section, number)]
        label = f"{doc.short} §{section}.{number}"
        date = doc.version_date or "undated"
        if not passages:
            return _Outcome(DOES_NOT_EXIST, f"{doc.short} has no paragraph {section}.{number}", label=label,
                            version_date=date)
        p = passages[0]
        return _Outcome(RESOLVED, f"paragraph {section}.{number} of {doc.short} is its {p.provision}", label=p.citation,
                        version_date=date, source_url=p.source_url,
                        cited=[CitedText(p.passage_id, p.citation, list(p.heading_path), date, p.source_url, p.text)],
                        scope=passages)

    def _own(self, ref: Reference) -> _Outcome:
        """The paper's own section; when the paper is indexed, its passages are shown."""
        section = ref.provision.number if ref.provision is not None and not ref.provision.scope else None
        reason = "a cross-reference within the paper itself, not a legal reference"
        own = [p for p in self.retriever.index.passages if self.own.doc_id and p.doc_id == self.own.doc_id and section
               and (m := _DECISION_NUMBER.search(p.citation)) and m[1] == section]
        cited = [CitedText(p.passage_id, p.citation, list(p.heading_path), p.version_date or "undated", p.source_url,
                           p.text) for p in self._visible(own)]
        return _Outcome(OWN_PAPER, reason, label=f"section {section} of this paper" if section else "this paper",
                        cited=cited)

    # -- quotes and figures --

    def check_wording(self, checks: list[ReferenceCheck]) -> None:
        """Give each reference the quotes and figures of its sentence that follow it most closely."""
        by_sentence: dict[tuple[int, int], list[ReferenceCheck]] = {}
        for check in checks:
            by_sentence.setdefault(self.sentences.around(check.start, check.end, len(self.text)), []).append(check)
        for (start, end), group in by_sentence.items():
            raw = self.text[start:end]
            wording = sorted(_quotes(raw, start) + _figures(raw, start), key=lambda w: w.start)
            for item in wording:
                if any(c.start <= item.start < c.end for c in group):
                    continue  # words inside the reference itself
                before = [c for c in group if c.end <= item.start]
                unit_start = before[-1].start if before else min(c.start for c in group)
                for check in (c for c in group if c.start == unit_start):
                    check.checks.append(self._compare(item, [self.outcomes[c.n] for c in group
                                                             if c.start == unit_start]))

    def _compare(self, item: _Wording, outcomes: list[_Outcome]) -> WordingCheck:
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
                if (how := self._appears(item, cited)) is not None:
                    note = "" if how == "verbatim" else " (punctuation or item labels differ)"
                    return WordingCheck(item.kind, item.text, FOUND, f"{words} found in {p.citation}{note}", p.citation)
        message = f"{words} not found in the cited text as at {date}"
        elsewhere = next((p for o in usable for p in o.scope if o.excerpts.get(p.passage_id)
                          and self._appears(item, p.text) is not None), None)
        if elsewhere is not None:
            return WordingCheck(item.kind, item.text, NOT_FOUND,
                                f"{message}: found in {elsewhere.citation}, outside the cited {label}")
        if item.kind == "quote":
            nearest = [near for o in usable for p in o.scope
                       if (near := closest_wording(item.text, o.excerpts.get(p.passage_id) or p.text))]
            if nearest:
                excerpt, differences, _ = max(nearest, key=lambda near: near[2])
                detail = "; ".join(differences[:3])
                message += f" ({label} reads “{excerpt}”" + (f": {detail}" if detail else "") + ")"
        return WordingCheck(item.kind, item.text, NOT_FOUND, message)

    @staticmethod
    def _appears(item: _Wording, text: str) -> str | None:
        if item.kind == "quote":
            return quote_in(item.text, text)
        return "verbatim" if _amounts(item.text) <= _amounts(text) and _amounts(item.text) else None


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
    lines += ["| # | Reference | Verdict | Cited provision | Text as at | Flags |", "|---|---|---|---|---|---|"]
    for r in report.references:
        flags = str(len(r.flags)) if r.flags else ""
        lines.append(f"| {r.n} | {_md(r.text)} | {r.verdict} | {_md(r.label)} | {r.version_date} | {flags} |")
    for r in report.references:
        page = f" (page {r.page})" if r.page else ""
        lines += ["", f"## {r.n}. {_md(r.text)}{page}: {r.verdict}", "", _quoted_block(r.sentence), "",
                  f"**{_md(r.label or r.instrument or r.text)}**: {_md(r.reason)}."]
        if r.version_date or r.source_url:
            lines.append(f"Text as at {r.version_date or 'undated'}" + (f", <{r.source_url}>" if r.source_url else "") + ".")
        for cited in r.cited:
            lines += ["", f"{_md(cited.citation)}:", "", _quoted_block(cited.excerpt or cited.text)]
        if r.candidates:
            lines += ["", "Candidates: " + ", ".join(_md(c) for c in r.candidates)]
        for c in r.checks:
            mark = {FOUND: "✓", NOT_FOUND: "✗", NOT_CHECKED: "·"}[c.status]
            lines += ["", f"- {mark} {c.kind} “{_md(c.text)}”: {_md(c.message)}"]
    return "\n".join(lines) + "\n"

