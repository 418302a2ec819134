"""Plain text: decoding bytes, the line model the parsers share, and generic text/Markdown guidance.

Generic guidance has no numbered provisions of its own, so its paragraphs use the decision notation:
"¶N" counted under the nearest Markdown heading ("Procurement routes ¶3"), or "Text ¶N" before any.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ingest.document import DocumentInfo, IngestError
from ingest.passage import Passage, Provision
from ingest.textutil import normalise_space

PageOf = Callable[[int], int]

# Text files carry no binary controls beyond layout characters; a few stray ones are tolerated.
_LAYOUT_CONTROLS = frozenset("\t\n\r\f\v")
_MAX_CONTROL_SHARE = 0.01
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_ATX_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?$")
PLAIN_SCOPE = "Text"


def decode_text(data: bytes, file: str) -> str:
    """Bytes of a text file as str with "\\n" line ends; raises IngestError for binary or empty data."""
    text = _decode(data, file)
    if _control_share(text) > _MAX_CONTROL_SHARE:
        raise IngestError(file, "binary data, not text")
    if not text.strip():
        raise IngestError(file, "empty document")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode(data: bytes, file: str) -> str:
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise IngestError(file, f"invalid {codec} text: {exc.reason}") from exc
    # Without a BOM a NUL byte means binary (or BOM-less UTF-16, which we do not guess at).
    if b"\x00" in data:
        raise IngestError(file, "binary data, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        # Older Windows exports are cp1252; its five undefined bytes fail here, which marks binary.
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise IngestError(file, "binary data, not text") from exc


def _control_share(text: str) -> float:
    if not text:
        return 0.0
    controls = sum(1 for ch in text if ch not in _LAYOUT_CONTROLS and unicodedata.category(ch) == "Cc")
    return controls / len(text)


@dataclass(frozen=True)
class Line:
    """One source line with its offsets, so passages can point back at the exact characters."""

    start: int  # offset of the first non-space character
    end: int  # offset just after the last non-space character
    indent: int  # leading whitespace width, tabs counted as four
    content: str  # the stripped line

    @property
    def blank(self) -> bool:
        return not self.content


def split_lines(text: str) -> list[Line]:
    lines = []
    offset = 0
    for raw in text.split("\n"):
        stripped = raw.strip()
        lead = len(raw) - len(raw.lstrip())
        start = offset + lead
        lines.append(Line(start, start + len(stripped), len(raw[:lead].expandtabs(4)), stripped))
        offset += len(raw) + 1
    return lines


def block_text(text: str, lines: Sequence[Line], first_start: int) -> str:
    """The verbatim text of consecutive lines, from `first_start` on the first (past a list number).

    Relative indentation is kept so nested items still read as nested.
    """
    base = lines[0].indent
    parts = [text[first_start : lines[0].end]]
    parts += [" " * max(0, line.indent - base) + line.content for line in lines[1:]]
    return "\n".join(parts)


def make_passage(
    doc: DocumentInfo,
    provision: Provision,
    citation: str,
    heading_path: tuple[str, ...],
    text: str,
    span: tuple[int, int],
    page_of: PageOf | None,
    notes: tuple[str, ...] = (),
) -> Passage:
    return Passage(
        passage_id=f"{doc.doc_id}/{provision.slug()}",
        doc_id=doc.doc_id,
        doc_short=doc.short,
        provision=str(provision),
        citation=citation,
        heading_path=heading_path,
        text=text,
        kind=doc.kind,
        access=doc.access,
        version_date=doc.version_date,
        source_url=doc.source_url,
        span=span,
        page=page_of(span[0]) if page_of else None,
        notes=notes,
    )


def scope_name(heading: str) -> str:
    """A heading as a provision scope: "¶" would make the provision unparseable."""
    return normalise_space(heading.replace("¶", " ")).rstrip(":").strip()


def parse_plain(text: str, doc: DocumentInfo, page_of: PageOf | None = None) -> list[Passage]:
    """Generic text or Markdown: one passage per blank-line separated paragraph."""
    headings: list[tuple[int, str]] = []  # (level, title) of the open Markdown headings
    counts: dict[str, int] = {}
    passages: list[Passage] = []
    block: list[Line] = []

    def flush() -> None:
        if not block:
            return
        scope = headings[-1][1] if headings else PLAIN_SCOPE
        # Counting per scope name keeps ids unique when two headings share a title.
        counts[scope] = counts.get(scope, 0) + 1
        provision = Provision(scope, "¶", str(counts[scope]))
        path = (doc.title, *(title for _, title in headings if title.casefold() != doc.title.casefold()))
        span = (block[0].start, block[-1].end)
        body = block_text(text, block, block[0].start)
        passages.append(make_passage(doc, provision, f"{doc.short} {provision}", path, body, span, page_of))
        block.clear()

    for line in split_lines(text):
        # Four spaces of indent make a Markdown code block, not a heading.
        heading = _ATX_HEADING_RE.match(line.content) if line.indent < 4 else None
        if heading and scope_name(heading[2]):
            flush()
            level = len(heading[1])
            headings[:] = [h for h in headings if h[0] < level] + [(level, scope_name(heading[2]))]
        elif line.blank:
            flush()
        else:
            block.append(line)
    flush()
    return passages
