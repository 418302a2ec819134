"""Decision papers (MOPAC decisions such as "PCD 1429") to passages.

A paper has a front matter (title, "Decision by", an executive summary, the recommendations) and
numbered sections ("4. Legal Comments") whose numbered items are the citable paragraphs.

Passages:
  "Summary ¶N"          each paragraph of the executive summary; the paper's reference, title and
                        decision maker are in the notes ("reference: PCD 1429", "decision by: …")
  "Recommendations ¶N"  each recommended action; the lead-in sentence is in the notes
  "<Section> ¶N"        each paragraph of a section, cited "PCD 1429 §4.2 (Legal Comments ¶2)";
                        items nested below a paragraph (2.2.1) stay in its text. A section whose
                        body is unnumbered text ("Not applicable") gets that text as its ¶1, since
                        "not applicable" is itself an answer; a section with no text gets none.

Scraped london.gov.uk text numbers every section "1." (each is its own list on the page), so
sections and paragraphs are numbered by their order and indentation tells paragraphs from nested
items. PDFs of the same papers lose indentation but print "4.2", so there dotted numbers decide.

A paper's Part 2 (commercially sensitive facts, legal advice: "PART 2 – CONFIDENTIAL FACTS AND
ADVICE", "Exempt information") is never published. Its heading opens a section of its own, and
every passage from there on is restricted, whatever the access level of the paper as a whole.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from ingest.document import DocumentInfo, IngestError
from ingest.parsers.html import ACCESSIBLE_FORMAT_NOTICE, is_site_furniture
from ingest.parsers.plain import (
    Line,
    PageOf,
    block_text,
    make_passage,
    scope_name,
    split_lines,
)
from ingest.passage import Passage, Provision
from ingest.textutil import normalise_space

KNOWN_SECTIONS = (
    "Introduction and background",
    "Issues for consideration",
    "Financial Comments",
    "Legal Comments",
    "Commercial Issues",
    "Public Health Approach",
    "GDPR and Data Privacy",
    "Equality Comments",
    "Background/supporting papers",
)
SUMMARY_SCOPE = "Summary"
RECOMMENDATIONS_SCOPE = "Recommendations"

# Lines after which nothing belongs to the paper: the page's download link and accessibility
# notice on london.gov.uk, the form's closing declarations in PDFs.
_END_MARKERS = (
    "signed decision document",
    ACCESSIBLE_FORMAT_NOTICE.casefold(),
    "public access to information",
    "originating officer declaration",
)
_NUMBER_RE = re.compile(r"(\d{1,3}(?:\.\d{1,3})+\.?|\d{1,3}\.)\s+(?=\S)")
# Recommendations are sometimes lettered or bulleted rather than numbered.
_ITEM_RE = re.compile(r"(?:\d{1,3}[.)]|\(?[a-z]\)|[a-z]\.|\(?[ivx]{1,4}\)|[•\-–])\s+(?=\S)")
_TITLE_LINE_RE = re.compile(
    r"^(?:(?:DMPC|MOPAC) Decision\s*[–-]\s*)?"
    r"(?P<ref>(?:PCD|DMPCD?)\s?(?:\d{4}\s?/\s?)?\d+)\b\s*[:–-]?\s*(?P<title>.*)$"
)
_METADATA_RE = re.compile(r"^(?P<label>Date signed|Date published|Decision by|Title)\s*:\s*(?P<value>.*)$", re.I)
_SUMMARY_LABEL_RE = re.compile(r"^(?:Executive summary|Summary)\s*(?::\s*|$)", re.I)
_FRONT_LABELS = frozenset({"key information", "recommendations"})
_LEAD_IN_RE = re.compile(r"\brecommended to\b\W*$", re.I)
_SENTENCE_END = (".", ";", ":", "!", "?")
_OPEN_ITEM_END_RE = re.compile(r"(?:[;,]|\band|\bor)$")
_MAX_HEADING_WORDS = 8
# "Part 2 of the 2023 Act" is a reference, not a heading; "Part 2 – …" or "Part 2" alone is.
_RESTRICTED_PART_RE = re.compile(
    r"^(?P<part>part\s*(?:2|two|ii)(?![\w(]|\.\d)(?!\s+of\b)\s*(?P<sep>[–—:.-](?=\s|$))?)"
    r"|^(?:exempt information|confidential facts and advice)\b", re.I)
RESTRICTED = "restricted"


def _key(title: str) -> str:
    return re.sub(r"\s*/\s*", "/", normalise_space(title).rstrip(":.").replace("&", "and")).casefold()


_KNOWN_BY_KEY = {_key(title): title for title in KNOWN_SECTIONS}


@dataclass
class _Paragraph:
    lines: list[Line]
    text_start: int  # offset past the list number on the first line


@dataclass
class _Section:
    title: str
    number: int  # by order in the paper
    printed: int | None  # the heading's own number, trusted only to check dotted paragraph numbers
    paragraphs: list[_Paragraph] = field(default_factory=list)
    item_indent: int | None = None  # indentation of its paragraph numbers in scraped text
    numbered: int = 0
    dotted: bool = False


def looks_like_decision(text: str) -> bool:
    """True when the text has at least two of the decision paper's section headings."""
    found = {heading[0] for line in split_lines(text) if (heading := _known_heading(line))}
    return len(found) >= 2


def parse_decision(text: str, doc: DocumentInfo, page_of: PageOf | None = None) -> list[Passage]:
    lines = split_lines(text)
    end = next((i for i, line in enumerate(lines) if _is_end_marker(line)), len(lines))
    lines = lines[:end]
    first_heading = next((i for i in range(len(lines)) if _heading(lines, i, None)), None)
    if first_heading is None:
        raise IngestError(doc.file or doc.doc_id, "not a decision paper: no numbered section headings found")
    front = lines[:first_heading]
    lead_in = next((i for i, line in enumerate(front) if _LEAD_IN_RE.search(line.content)), len(front))
    passages = _summary_passages(text, front[:lead_in], doc, page_of)
    if lead_in < len(front):
        passages += _recommendation_passages(text, front[lead_in], front[lead_in + 1 :], doc, page_of)
    for section in _sections(lines, first_heading):
        passages += _section_passages(text, section, doc, page_of)
    part_two = next((line.start for line in lines if _restricted_part(line)), None)
    if part_two is None:
        return passages
    return [replace(p, access=RESTRICTED) if p.span[0] >= part_two else p for p in passages]


def paper_details(passages: Sequence[Passage]) -> dict[str, str]:
    """What the paper says about itself ("reference", "title", "decision by", "date signed", …), as
    `parse_decision` notes it on the summary; empty for a text that was not read as a decision."""
    summary = next((p for p in passages if p.heading_path[-1:] == (SUMMARY_SCOPE,) and p.notes), None)
    pairs = (note.partition(": ") for note in summary.notes) if summary else ()
    return {label: value for label, sep, value in pairs if sep}


def _is_end_marker(line: Line) -> bool:
    return normalise_space(line.content).casefold().startswith(_END_MARKERS)


# -- front matter --


def _summary_passages(
    text: str, lines: Sequence[Line], doc: DocumentInfo, page_of: PageOf | None
) -> list[Passage]:
    """Executive summary paragraphs; the masthead before the paper's title line is not summary."""
    metadata: dict[str, str] = {}
    first = next((i for i, line in enumerate(lines) if _TITLE_LINE_RE.match(normalise_space(line.content))), 0)
    blocks: list[_Paragraph] = []
    open_block = False
    for line in lines[first:]:
        content = normalise_space(line.content)
        if title := _TITLE_LINE_RE.match(content):
            metadata.setdefault("reference", title["ref"])
            if title["title"]:
                metadata.setdefault("title", title["title"])
            open_block = False
        elif meta := _METADATA_RE.match(content):
            if meta["value"]:
                metadata.setdefault(meta["label"].lower(), meta["value"])
            open_block = False
        elif line.blank or is_site_furniture(content) or content.casefold().rstrip(":") in _FRONT_LABELS:
            open_block = False
        elif label := _SUMMARY_LABEL_RE.match(line.content):
            # "Executive Summary: In March …" — the label is not part of the summary's text.
            rest = line.content[label.end() :]
            open_block = bool(rest)
            if rest:
                blocks.append(_Paragraph([line], line.start + label.end()))
        elif open_block:
            blocks[-1].lines.append(line)
        else:
            blocks.append(_Paragraph([line], line.start))
            open_block = True
    notes = tuple(f"{label}: {value}" for label, value in metadata.items())
    return [
        _passage(text, doc, Provision(SUMMARY_SCOPE, "¶", str(n)), None, block, page_of, notes)
        for n, block in enumerate(blocks, 1)
    ]


def _recommendation_passages(
    text: str, lead_in: Line, lines: Sequence[Line], doc: DocumentInfo, page_of: PageOf | None
) -> list[Passage]:
    items = _recommendation_items(lines)
    notes = (normalise_space(lead_in.content),)
    return [
        _passage(text, doc, Provision(RECOMMENDATIONS_SCOPE, "¶", str(n)), None, item, page_of, notes)
        for n, item in enumerate(items, 1)
    ]


def _recommendation_items(lines: Sequence[Line]) -> list[_Paragraph]:
    """The list after "… is recommended to:", up to the first text that is not part of it.

    In scraped text the last item can lose its number and stand after a blank line ("; and" ↵↵
    "allocate …"); it still belongs to the list when the item before it is left open.
    In PDFs items wrap without blank lines, so a line continues its item until a sentence ends.
    """
    items: list[_Paragraph] = []
    gap = False
    for line in lines:
        if line.blank:
            gap = True
            continue
        if is_site_furniture(line.content):
            continue
        marker = _ITEM_RE.match(line.content)
        last = normalise_space(items[-1].lines[-1].content) if items else ""
        if not items:
            items.append(_Paragraph([line], line.start + (marker.end() if marker else 0)))
        elif marker and line.indent <= items[0].lines[0].indent:
            items.append(_Paragraph([line], line.start + marker.end()))
        elif marker:
            items[-1].lines.append(line)  # a nested item
        elif gap and _OPEN_ITEM_END_RE.search(last):
            items.append(_Paragraph([line], line.start))
        elif not last.endswith(_SENTENCE_END):
            # A wrapped line; in PDF text it may follow a page break, which reads as a blank line.
            items[-1].lines.append(line)
        else:
            break
        gap = False
    return items


# -- sections --


def _sections(lines: Sequence[Line], first_heading: int) -> list[_Section]:
    sections: list[_Section] = []
    titles: set[str] = set()
    for i in range(first_heading, len(lines)):
        line = lines[i]
        if line.blank:
            continue
        current = sections[-1] if sections else None
        heading = _heading(lines, i, current.item_indent if current else None)
        if heading:
            title = _unique(heading[0], titles)
            sections.append(_Section(title, len(sections) + 1, heading[1]))
        elif current is not None:
            _add_line(current, line)
    return sections


def _unique(title: str, taken: set[str]) -> str:
    """Two sections with one title would give two passages one id; number the repeat."""
    unique, n = title, 1
    while unique in taken:
        n += 1
        unique = f"{title} ({n})"
    taken.add(unique)
    return unique


def _add_line(section: _Section, line: Line) -> None:
    number = _NUMBER_RE.match(line.content)
    if number and _starts_paragraph(section, line, number[1]):
        section.numbered += 1
        section.paragraphs.append(_Paragraph([line], line.start + number.end()))
    elif section.paragraphs:
        # Nested items, wrapped lines and later blocks of a paragraph all stay in its text.
        section.paragraphs[-1].lines.append(line)
    else:
        section.paragraphs.append(_Paragraph([line], line.start))


def _starts_paragraph(section: _Section, line: Line, number: str) -> bool:
    """Whether a numbered line opens a paragraph; notes the section's numbering style as it goes."""
    parts = number.rstrip(".").split(".")
    if len(parts) == 1:
        # Once a section numbers "4.1", "4.2", a bare "1." is a nested item.
        if section.dotted:
            return False
        if section.item_indent is None:
            section.item_indent = line.indent
        return line.indent <= section.item_indent
    if len(parts) == 2:
        # A wrapped line can begin "4.13 of the Scheme …"; only the next number in sequence counts.
        in_sequence = int(parts[1]) == section.numbered + 1
        in_section = section.printed is None or int(parts[0]) == section.printed
        if in_sequence and in_section:
            section.dotted = True
            return True
    return False


def _restricted_part(line: Line) -> str | None:
    """The title of a Part 2 (restricted) heading on this line, if it is one."""
    number = _NUMBER_RE.match(line.content)
    body = normalise_space(line.content[number.end() :] if number else line.content)
    match = _RESTRICTED_PART_RE.match(body)
    if match is None:
        return None
    heading_like = len(body.split()) <= _MAX_HEADING_WORDS and not body.endswith((".", ";", ","))
    if heading_like or (match["part"] and match["sep"] and len(body.split()) <= 2 * _MAX_HEADING_WORDS):
        return scope_name(body)
    return None


def _known_heading(line: Line) -> tuple[str, int | None] | None:
    number = _NUMBER_RE.match(line.content)
    if number and "." in number[1].rstrip("."):
        return None
    body = line.content[number.end() :] if number else line.content
    title = _KNOWN_BY_KEY.get(_key(body))
    if title is None:
        return None
    return title, int(number[1].rstrip(".")) if number else None


def _heading(lines: Sequence[Line], i: int, max_indent: int | None) -> tuple[str, int | None] | None:
    """(title, printed number) when line i heads a section: a known title, or "N. Title" with items.

    max_indent: the current section's paragraph indentation; an unknown title nested deeper than
    the paragraphs is an item, not a heading.
    """
    line = lines[i]
    if part_two := _restricted_part(line):
        return part_two, None
    if known := _known_heading(line):
        return known
    number = _NUMBER_RE.match(line.content)
    if not number or "." in number[1].rstrip(".") or (max_indent is not None and line.indent > max_indent):
        return None
    body = line.content[number.end() :]
    if not _title_like(body):
        return None
    following = next((later for later in lines[i + 1 :] if not later.blank), None)
    if following is None or not (item := _NUMBER_RE.match(following.content)):
        return None
    printed = int(number[1].rstrip("."))
    if following.indent > line.indent or item[1].rstrip(".") == f"{printed}.1":
        return scope_name(body), printed
    return None


def _title_like(text: str) -> bool:
    words = normalise_space(text).split()
    return (
        0 < len(words) <= _MAX_HEADING_WORDS
        and words[0][0].isupper()
        and not text.rstrip().endswith((".", ";", ":", ","))
    )


def _section_passages(text: str, section: _Section, doc: DocumentInfo, page_of: PageOf | None) -> list[Passage]:
    return [
        _passage(text, doc, Provision(section.title, "¶", str(n)), section.number, paragraph, page_of)
        for n, paragraph in enumerate(section.paragraphs, 1)
    ]


def _passage(
    text: str,
    doc: DocumentInfo,
    provision: Provision,
    section_no: int | None,
    paragraph: _Paragraph,
    page_of: PageOf | None,
    notes: tuple[str, ...] = (),
) -> Passage:
    if section_no is None:
        citation = f"{doc.short} {provision}"
        heading = provision.scope
    else:
        citation = f"{doc.short} §{section_no}.{provision.number} ({provision})"
        heading = f"{section_no}. {provision.scope}"
    span = (paragraph.text_start, paragraph.lines[-1].end)
    body = block_text(text, paragraph.lines, paragraph.text_start)
    return make_passage(doc, provision, citation, (doc.title, heading), body, span, page_of, notes)
