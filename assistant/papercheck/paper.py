"""A paper's text as the checker reads it: files through ingest's readers, and its sentences.

PDF pages lose their page numbers and running headers and footers before they are joined, so a
reference or a sentence carried over a page break reads as one. A sentence ends at a full stop
(not after "s." or "reg."), at a numbered item starting a line, and at a blank line, unless that
blank line is a page break in mid-sentence; never inside “curly quotes”.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePath

from ingest.document import IngestError
from ingest.parsers.html import html_to_text
from ingest.parsers.pdf import join_pages, pdf_pages
from ingest.parsers.plain import PageOf, decode_text
from ingest.textutil import normalise_space

READABLE = (".pdf", ".html", ".htm", ".txt", ".text", ".md", ".markdown")


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
class Sentences:
    """Sentence breaks of a text: where each sentence before a break ends and the next starts."""

    ends: list[int]
    starts: list[int]

    @classmethod
    def of(cls, text: str) -> Sentences:
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


def squeezed(raw: str) -> tuple[str, list[int]]:
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
