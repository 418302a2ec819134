"""Legislation Markdown (legislation.gov.uk via legalize-uk) → Passages, one per numbered paragraph.

The files are flattened: every list item is "- (x) …" at the same depth, so nesting is inferred
from the label (1) → (a) → (i) → (A). After the body come signatures, explanatory notes,
footnotes and editorial notes; in amended Acts the converter then appends an index of empty
cross-headings with the inserted provisions (e.g. PA 2023 Part 5A, s.120A, Sch. 9 para 28)
scattered through it. Those are placed by what the editorial notes say about them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from ingest.document import DocumentInfo, IngestError
from ingest.passage import Passage, Provision, label_level
from ingest.textutil import normalise_space

MAX_PASSAGE_CHARS = 1500
WHOLE_SECTION_CHARS = 600
# A split section also gets one whole-section passage up to this size: questions are usually about
# a section, and its subsections compete with each other when ranked alone.
PARENT_SECTION_CHARS = 20000
TABLE_ROWS_PER_PASSAGE = 12

_FRONT_MATTER = re.compile(r"\A---\n.*?\n---\n", re.S)
_FRONT_MATTER_FIELD = re.compile(r"^(?P<key>\w+):\s*(?P<value>.*?)\s*$")
_HEADING = re.compile(r"^(#{1,6}) (.*)$")
_FOOTNOTE_DEF = re.compile(r"^\[\^([^\]]+)\]:\s?(.*)$")
_FOOTNOTE_REF = re.compile(r"\[\^([^\]]+)\]")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|\*)(.+?)\1")
_ITEM_LABEL = re.compile(r"^- \(([0-9]+[A-Z]*|[a-z]+|[A-Z]+)\)\s*")
_PLACEHOLDER = re.compile(r"^(?:- )?(?:\([^)]*\)\s*)?(?:\. ?){3,}\.?\s*$")
_PROVISION_NUMBER = re.compile(r"^(?:\d+[A-Z]*|[A-Z]+\d+)$")
_TABLE_SEPARATOR = re.compile(r"^\|(?:\s*:?-+:?\s*\|)+\s*$")
_BACK_MATTER = ("signed", "explanatory note", "footnotes", "editorial notes")
_ROMAN = re.compile(r"^(?=[ivxl]+$)m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")


def markdown_plain(block: str) -> str:
    """The reading text of a Markdown block: no list bullets, links, emphasis or footnote markers.

    Passage text is this function applied to its source span, so a test can check any passage
    against its file without trusting the parser.
    """
    lines = []
    for line in block.splitlines():
        if _TABLE_SEPARATOR.match(line) or _PLACEHOLDER.match(line.strip()):
            continue
        if line.startswith("|"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            line = " | ".join(c for c in cells if c and c not in ("...", "…"))
        elif line.startswith("- "):
            line = line[2:]
        line = _FOOTNOTE_REF.sub("", line)
        line = _LINK.sub(r"\1", line)
        line = _EMPHASIS.sub(r"\2", line)
        if line.strip():
            lines.append(line.rstrip())
    return "\n".join(lines)


@dataclass
class _Line:
    text: str
    start: int
    end: int


@dataclass
class _Provision:
    """A numbered section, regulation or schedule paragraph, with its lines."""

    provision: Provision
    heading_path: tuple[str, ...]
    lines: list[_Line] = field(default_factory=list)


def _lines(text: str, offset: int) -> Iterator[_Line]:
    pos = offset
    for raw in text[offset:].splitlines(keepends=True):
        yield _Line(raw.rstrip("\n"), pos, pos + len(raw.rstrip("\n")))
        pos += len(raw)




class LegislationParser:
    def __init__(self, doc: DocumentInfo, text: str) -> None:
        self.doc = doc
        self.text = text
        self.body_unit = doc.body_unit
        self.notes = {m[1]: markdown_plain(m[2]) for m in map(_FOOTNOTE_DEF.match, text.splitlines()) if m}

    def parse(self) -> list[Passage]:
        provisions = self._provisions()
        if not provisions:
            raise IngestError(self.doc.file or self.doc.doc_id, "no numbered provisions found in the Markdown")
        passages: list[Passage] = []
        seen: set[str] = set()
        for prov in provisions:
            for passage in self._passages(prov):
                if passage.passage_id not in seen:  # some files repeat a schedule; the first copy wins
                    seen.add(passage.passage_id)
                    passages.append(passage)
        return passages

    # ---- structure -------------------------------------------------------------------------

    def _provisions(self) -> list[_Provision]:
        match = _FRONT_MATTER.match(self.text)
        lines = list(_lines(self.text, match.end() if match else 0))
        tail_start = self._tail_start(lines)
        body = self._walk(lines[:tail_start], tail=False)
        present = {p.provision for p in body}
        return body + self._walk(lines[tail_start:], tail=True, present=present)

    @staticmethod
    def _tail_start(lines: list[_Line]) -> int:
        """Index of the first line of back matter: a back-matter heading or a run of empty cross-headings."""
        run_start, run = 0, 0
        for i, line in enumerate(lines):
            m = _HEADING.match(line.text)
            if m and len(m[1]) == 2 and m[2].strip().lower() in _BACK_MATTER:
                return i
            if m and len(m[1]) == 4:
                run_start, run = (run_start, run + 1) if run else (i, 1)
                if run == 3:
                    return run_start
            elif line.text.strip():
                run = 0
        return len(lines)

    def _walk(self, lines: list[_Line], tail: bool, present: set[Provision] = frozenset()) -> list[_Provision]:
        out: list[_Provision] = []
        part = chapter = heading = ""
        schedule: str | None = None
        schedule_title = ""
        current: _Provision | None = None
        for line in lines:
            m = _HEADING.match(line.text)
            if not m:
                if current is not None:
                    current.lines.append(line)
                elif schedule is not None and line.text.strip() and not _FOOTNOTE_DEF.match(line.text) and not tail:
                    # A schedule that is only a table or list has no numbered paragraphs.
                    current = _Provision(Provision(schedule, "sch", ""), self._path(schedule_title, part, chapter, heading), [line])
                    out.append(current)
                continue
            level, title = len(m[1]), m[2].strip()
            if level == 2 and title.lower() in _BACK_MATTER:
                current, part, chapter, heading = None, "", "", ""
            elif level == 2:
                current = None
                sched = re.match(r"^SCHEDULE\s*([0-9]+[A-Z]*)?\b", title, re.I)
                if sched:
                    schedule = f"Sch.{sched[1] or ''}"
                    schedule_title = title if "—" in title else self._schedule_heading(sched[1] or "", title)
                    part, chapter, heading = "", "", ""
                else:
                    part, chapter, heading = title, "", ""
            elif level == 3:
                current = None
                if re.match(r"^(CHAPTER|SECTION)\b", title, re.I):
                    chapter, heading = title, ""
                else:
                    heading = title
            elif level == 4:
                current = None
                heading = title
            elif level >= 5 and _PROVISION_NUMBER.match(title):
                where = self._tail_scope(title, schedule, present) if tail else schedule
                if where is False:
                    current = None
                    continue
                if where:
                    prov = Provision(where, "para", title)
                else:
                    prov = Provision("", self.body_unit, title)
                if tail:
                    # The cross-headings around inserted provisions are the converter's index, not theirs.
                    path = (self._schedule_heading(where[4:], f"SCHEDULE {where[4:]}"),) if where else ((part,) if part else ())
                else:
                    path = self._path(schedule_title if where else "", part, chapter, heading)
                current = _Provision(prov, path)
                out.append(current)
            else:
                current = None
        return [p for p in out if any(_content(line.text) for line in p.lines)]

    def _tail_scope(self, number: str, schedule: str | None, present: set[Provision]) -> str | None | bool:
        """Where an inserted provision found in the back matter belongs, from the editorial notes.

        An inserted provision is new, so only places the body does not already have are candidates.
        Returns a schedule scope ("Sch.9"), None for the body, or False when the notes do not say.
        """
        notes = " ".join(self.notes.values())
        schedules = {
            f"Sch.{s}" for s in re.findall(rf"Sch\.? ?(\d+[A-Z]*),? paras?\.? ?{re.escape(number)}\b", notes)
        } - {p.scope for p in present if p.unit == "para" and p.number == number}
        if len(schedules) == 1:
            return schedules.pop()
        in_body = Provision("", self.body_unit, number) in present
        unit = {"s": r"(?:S|Ss|s|ss)\.", "art": r"(?:Art|Arts|art|arts)\."}.get(self.body_unit, r"(?:Reg|Regs|reg|regs)\.")
        named = re.search(rf"{unit} ?(?:\d+[A-Z]*-)?{re.escape(number)}\b", notes)
        if not in_body and (named or (number[0].isdigit() and number[-1].isalpha())):
            return None
        return False

    def _schedule_heading(self, number: str, heading: str) -> str:
        known = dict(self.doc.schedule_titles).get(number)
        return f"{heading} — {known}" if known else heading

    def _path(self, schedule_title: str, part: str, chapter: str, heading: str) -> tuple[str, ...]:
        return tuple(p for p in (schedule_title, part, chapter, heading) if p)

    # ---- passages ---------------------------------------------------------------------------

    def _passages(self, prov: _Provision) -> list[Passage]:
        lines = [line for line in prov.lines if _content(line.text)]
        if prov.provision.unit == "sch":
            return self._table_passages(prov, lines)
        groups = self._subsections(prov.provision, lines)
        total = sum(len(line.text) for line in lines)
        if len(groups) <= 1 or total <= WHOLE_SECTION_CHARS:
            groups = [(prov.provision, lines)]
        passages = []
        parent_id = ""
        if len(groups) > 1 and total <= PARENT_SECTION_CHARS:
            parent = self._passage(prov, prov.provision, lines, part=0)
            passages.append(parent)
            parent_id = parent.passage_id
        for provision, group in groups:
            for i, chunk in enumerate(self._chunks(group)):
                passages.append(self._passage(prov, provision, chunk, part=i, parent_id=parent_id))
        return passages

    def _subsections(self, base: Provision, lines: list[_Line]) -> list[tuple[Provision, list[_Line]]]:
        groups: list[tuple[Provision, list[_Line]]] = []
        letter: str | None = None
        for line in lines:
            m = _ITEM_LABEL.match(line.text)
            level = label_level(m[1], letter) if m else 0
            if level == 2:
                letter = m[1]
            if level == 1:
                letter = None
                groups.append((base.child(m[1]), [line]))
            elif groups:
                groups[-1][1].append(line)
            else:
                groups.append((base, [line]))
        return groups

    def _chunks(self, lines: list[_Line]) -> list[list[_Line]]:
        """Split an over-long paragraph at item boundaries; consecutive chunks share one item."""
        if sum(len(line.text) for line in lines) <= MAX_PASSAGE_CHARS or any(
            line.text.startswith("|") for line in lines
        ):
            return [lines]
        chunks: list[list[_Line]] = [[]]
        size = 0
        for line in lines:
            if chunks[-1] and size + len(line.text) > MAX_PASSAGE_CHARS:
                overlap = chunks[-1][-1:] if len(chunks[-1]) > 1 else []
                chunks.append(list(overlap))
                size = sum(len(x.text) for x in overlap)
            chunks[-1].append(line)
            size += len(line.text)
        return chunks

    def _table_passages(self, prov: _Provision, lines: list[_Line]) -> list[Passage]:
        """A schedule made of a table: rows in groups, the column header kept in the heading path."""
        header = next((line for line in lines if line.text.startswith("|")), None)
        rows = [line for line in lines if line.text.startswith("|") and line is not header
                and not _TABLE_SEPARATOR.match(line.text)]
        other = [line for line in lines if not line.text.startswith("|")]
        if header is None or len(rows) <= TABLE_ROWS_PER_PASSAGE:
            return [self._passage(prov, prov.provision, chunk, part=i) for i, chunk in enumerate(self._chunks(lines))]
        columns = f"Columns: {markdown_plain(header.text)}"
        groups = [rows[i:i + TABLE_ROWS_PER_PASSAGE] for i in range(0, len(rows), TABLE_ROWS_PER_PASSAGE)]
        passages = [self._passage(prov, prov.provision, other, part=0)] if other else []
        for group in groups:
            passages.append(self._passage(prov, prov.provision, group, part=len(passages), extra_heading=columns))
        return passages

    def _passage(self, prov: _Provision, provision: Provision, lines: list[_Line], part: int,
                 extra_heading: str = "", parent_id: str = "") -> Passage:
        start, end = lines[0].start, lines[-1].end
        block = self.text[start:end]
        text = markdown_plain(block)
        note_keys = dict.fromkeys(_FOOTNOTE_REF.findall(block))
        notes = tuple(self.notes[k] for k in note_keys if k in self.notes)
        passage_id = f"{self.doc.doc_id}/{provision.slug()}" + (f"~{part + 1}" if part else "")
        heading_path = prov.heading_path + ((extra_heading,) if extra_heading else ())
        return Passage(
            passage_id=passage_id,
            doc_id=self.doc.doc_id,
            doc_short=self.doc.short,
            provision=str(provision),
            citation=f"{self.doc.short} {provision}",
            heading_path=heading_path,
            text=text,
            kind=self.doc.kind,
            access=self.doc.access,
            version_date=self.doc.version_date,
            source_url=deep_link(self.doc.source_url, provision, self.body_unit),
            span=(start, end),
            notes=notes,
            parent_id=parent_id,
        )


def _content(line: str) -> bool:
    """Lines that carry law: not blank, not footnote definitions, not repealed placeholders."""
    stripped = line.strip()
    return bool(stripped) and not _FOOTNOTE_DEF.match(stripped) and not _PLACEHOLDER.match(stripped) \
        and not _TABLE_SEPARATOR.match(stripped)


def deep_link(source_url: str, provision: Provision, body_unit: str) -> str:
    """legislation.gov.uk address of a provision (to its first sub-level, which the site serves)."""
    if not source_url:
        return ""
    base = source_url.rstrip("/")
    if provision.unit == "sch":
        number = provision.scope[4:]
        return f"{base}/schedule/{number}" if number else f"{base}/schedule"
    if provision.scope:
        number = provision.scope[4:]
        schedule = f"schedule/{number}" if number else "schedule"
        return f"{base}/{schedule}/paragraph/{provision.number}" + "".join(f"/{p}" for p in provision.sub[:1])
    unit = {"s": "section", "art": "article"}.get(body_unit, "regulation")
    return f"{base}/{unit}/{provision.number}" + "".join(f"/{p}" for p in provision.sub[:1])


def parse_legislation(text: str, doc: DocumentInfo) -> list[Passage]:
    return LegislationParser(doc, text).parse()


def front_matter(text: str) -> dict[str, str]:
    """The `key: "value"` lines legislation.gov.uk-style files open with (title, identifier,
    last_updated, source, …); empty when the file has none."""
    block = _FRONT_MATTER.match(text)
    fields = (_FRONT_MATTER_FIELD.match(line) for line in block[0].splitlines()) if block else ()
    return {m["key"]: _unquote(m["value"]) for m in fields if m}


def _unquote(value: str) -> str:
    try:
        return str(json.loads(value)) if value.startswith('"') else value
    except json.JSONDecodeError:  # a value quoted loosely by hand: keep its words
        return value.strip('"')


def numbered_headings(text: str) -> list[str]:
    """Every numbered provision heading in the body of a file, for coverage checks."""
    return [m[2] for m in map(_HEADING.match, text.splitlines()) if m and len(m[1]) >= 5 and _PROVISION_NUMBER.match(m[2])]


__all__ = ["parse_legislation", "front_matter", "markdown_plain", "deep_link", "numbered_headings", "normalise_space"]
