"""HTML pages to plain text shaped like the scraped london.gov.uk .txt files.

Blocks become lines separated by blank lines; list items become lines numbered "1. " (or "- "),
indented two spaces per list level, so one decision parser reads scraped and fetched pages alike.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.parser import HTMLParser

from ingest.document import IngestError
from ingest.textutil import normalise_space

# Page furniture of london.gov.uk that survives as plain lines in scraped text.
SITE_FURNITURE = frozenset(
    {
        "Skip to main content",
        "Mayor of London logo London Assembly logo",
        "Home",
        "Back to top",
    }
)
ACCESSIBLE_FORMAT_NOTICE = "Need a document on this page in an accessible format?"
_NOTICE_FOLLOW_ON = ("If you use assistive technology", "It will also help us")

_SKIPPED_TAGS = frozenset(
    {"head", "title", "script", "style", "noscript", "template", "nav", "header", "footer", "aside", "form",
     "button", "select", "svg", "iframe", "dialog"}
)
_BLOCK_TAGS = frozenset(
    {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr",
     "blockquote", "dl", "dt", "dd", "figure", "figcaption", "pre", "address", "details", "summary"}
)
_LIST_TAGS = frozenset({"ol", "ul"})
_DOCUMENT_TAGS = frozenset({"html", "body", "main"})
_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
_BANNER_RE = re.compile(r"cookie|consent", re.IGNORECASE)
_COLLAPSE_RE = re.compile(r"[ \t\n\r\f]+")  # HTML whitespace; a no-break space is content


def is_site_furniture(line: str) -> bool:
    return normalise_space(line) in SITE_FURNITURE


@dataclass
class _Element:
    tag: str
    skipped: bool
    marker: str = ""  # for <li>: "  1. "; continuation lines are indented to its width
    started: bool = False  # for <li>: whether its first line (the one with the marker) is out
    counter: int = 0  # for <ol>/<ul>: the number of the last item


class _TextBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._stack: list[_Element] = []
        self._buffer = ""

    # -- parser callbacks --

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID_TAGS:
            if not self._skipping and tag in ("br", "hr"):
                self._end_line()
            return
        self._close_implied(tag)
        # Sites flag cookie state in <body class="…">; only smaller elements can be the banner.
        banner = tag not in _DOCUMENT_TAGS and _is_hidden_or_banner(attrs)
        skipped = self._skipping or tag in _SKIPPED_TAGS or banner
        element = _Element(tag, skipped)
        if not skipped:
            self._open_block(element, dict(attrs))
            if tag in ("td", "th"):
                self._buffer += " "
        self._stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # "<br/>" and "<div/>": nothing can follow inside them, so treat them as void.
        if not self._skipping and (tag in ("br", "hr") or tag in _BLOCK_TAGS):
            self._end_line()

    def handle_endtag(self, tag: str) -> None:
        # An end tag with no open element is stray markup; ignoring it is what browsers do.
        for index in range(len(self._stack) - 1, -1, -1):
            if self._stack[index].tag == tag:
                self._close_down_to(index)
                return

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self._buffer += data

    def close(self) -> None:
        super().close()
        self._close_down_to(0)
        self._end_line()

    # -- structure --

    @property
    def _skipping(self) -> bool:
        return bool(self._stack) and self._stack[-1].skipped

    def _close_implied(self, tag: str) -> None:
        """End elements that HTML closes implicitly: a <p> before a block, an <li> before the next."""
        if tag in _BLOCK_TAGS or tag in _LIST_TAGS or tag == "li":
            if self._stack and self._stack[-1].tag == "p":
                self._close_down_to(len(self._stack) - 1)
        if tag == "li":
            for index in range(len(self._stack) - 1, -1, -1):
                if self._stack[index].tag in _LIST_TAGS:
                    return
                if self._stack[index].tag == "li":
                    self._close_down_to(index)
                    return

    def _close_down_to(self, index: int) -> None:
        """Close the open elements from the innermost down to (and including) the one at index."""
        while len(self._stack) > index:
            self._close(self._stack[-1])

    def _open_block(self, element: _Element, attrs: dict[str, str | None]) -> None:
        if element.tag in _LIST_TAGS:
            if self._list_depth() == 0 and self._innermost_item() is None:
                self._end_paragraph()
            else:
                self._end_line()
            element.counter = _int_attr(attrs.get("start"), 1) - 1
        elif element.tag == "li":
            self._end_line()
            element.marker = self._item_marker(attrs)
        elif element.tag in _BLOCK_TAGS:
            # Inside a list item a block is a new line of that item, not a new paragraph.
            if self._innermost_item() is None:
                self._end_paragraph()
            else:
                self._end_line()

    def _close(self, element: _Element) -> None:
        """End the innermost element; its last line is written while it is still open, for the marker."""
        if not element.skipped and (element.tag in _BLOCK_TAGS or element.tag in _LIST_TAGS or element.tag == "li"):
            self._end_line()
        self._stack.pop()
        if element.skipped or element.tag == "li" or self._innermost_item() is not None:
            return
        if element.tag in _BLOCK_TAGS or (element.tag in _LIST_TAGS and self._list_depth() == 0):
            self._end_paragraph()

    def _item_marker(self, attrs: dict[str, str | None]) -> str:
        owner = next((e for e in reversed(self._stack) if e.tag in _LIST_TAGS), None)
        depth = max(1, self._list_depth())
        if owner is None or owner.tag == "ul":
            return "  " * depth + "- "
        owner.counter = _int_attr(attrs.get("value"), owner.counter + 1)
        return "  " * depth + f"{owner.counter}. "

    def _list_depth(self) -> int:
        return sum(1 for e in self._stack if e.tag in _LIST_TAGS)

    def _innermost_item(self) -> _Element | None:
        return next((e for e in reversed(self._stack) if e.tag == "li"), None)

    # -- output --

    def _end_line(self) -> None:
        content = _COLLAPSE_RE.sub(" ", self._buffer).strip(" ")
        self._buffer = ""
        if not content:
            return
        item = self._innermost_item()
        if item is None:
            prefix = ""
        elif not item.started:
            prefix, item.started = item.marker, True
        else:
            prefix = " " * len(item.marker)
        self.lines.append(prefix + content)

    def _end_paragraph(self) -> None:
        self._end_line()
        if self.lines and self.lines[-1]:
            self.lines.append("")


def _is_hidden_or_banner(attrs: list[tuple[str, str | None]]) -> bool:
    values = dict(attrs)
    if "hidden" in values or values.get("aria-hidden") == "true":
        return True
    labels = " ".join(values.get(key) or "" for key in ("id", "class", "aria-label", "data-module"))
    return bool(_BANNER_RE.search(labels))


def _int_attr(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def html_to_text(data: str, file: str) -> str:
    """The readable text of an HTML page, without navigation, scripts, banners or site furniture."""
    try:
        lines = _parse(data)
    except AssertionError:
        # Python 3.11's parser asserts on unknown "<![...]>" sections; read them as text instead.
        lines = _parse(data.replace("<![", "&lt;!["))
    text = "\n".join(_drop_furniture(lines)).strip("\n")
    if not text.strip():
        raise IngestError(file, "no text in the HTML document")
    return text + "\n"


def _parse(data: str) -> list[str]:
    builder = _TextBuilder()
    builder.feed(data)
    builder.close()
    return builder.lines


def _drop_furniture(lines: list[str]) -> list[str]:
    kept: list[str] = []
    for line in lines:
        plain = normalise_space(line)
        if plain in SITE_FURNITURE or plain == ACCESSIBLE_FORMAT_NOTICE or plain.startswith(_NOTICE_FOLLOW_ON):
            continue
        if line or (kept and kept[-1]):
            kept.append(line)
    return kept
