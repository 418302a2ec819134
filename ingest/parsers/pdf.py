"""PDF documents: page text via pypdf, then the decision parser or the plain-text parser.

Pages are joined with a blank line, so a page break never glues two lines together; a page map
from character offsets gives each passage the page where it starts.
"""

from __future__ import annotations

import io
import zlib
from bisect import bisect_right

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

from ingest.document import DocumentInfo, IngestError
from ingest.parsers.decisions import looks_like_decision, parse_decision
from ingest.parsers.plain import PageOf, parse_plain
from ingest.passage import Passage
from ingest.textutil import normalise_space

PAGE_SEPARATOR = "\n\n"
NEEDS_PASSWORD = "encrypted PDF; a password is needed"
# Readers accept a little trailing junk after %%EOF; Acrobat allows 1 KB.
_EOF_WINDOW = 1024
# pypdf reports damaged files through its own errors and, deep in its parsers, through these.
_DAMAGE_ERRORS = (PyPdfError, ValueError, KeyError, IndexError, TypeError, AttributeError, zlib.error, RecursionError)


def pdf_pages(data: bytes, file: str, password: str | None = None, max_pages: int | None = None) -> list[str]:
    """The extracted text of each page; raises IngestError for files we cannot read text from."""
    _check_envelope(data, file)
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            _unlock(reader, file, password)
        if max_pages is not None and len(reader.pages) > max_pages:
            raise IngestError(file, f"{len(reader.pages):,} pages is over the {max_pages:,}-page limit "
                                    "(CGA_MAX_PDF_PAGES)")
        pages = [page.extract_text() or "" for page in reader.pages]
    except FileNotDecryptedError as exc:
        raise IngestError(file, NEEDS_PASSWORD) from exc
    except DependencyError as exc:
        raise IngestError(file, f"encrypted PDF needs a missing library: {normalise_space(str(exc))}") from exc
    except _DAMAGE_ERRORS as exc:
        raise IngestError(file, f"not a readable PDF: {normalise_space(str(exc)) or type(exc).__name__}") from exc
    if not any(page.strip() for page in pages):
        raise IngestError(file, "no extractable text; OCR is not supported")
    return pages


def _check_envelope(data: bytes, file: str) -> None:
    """Reject what pypdf would half-read: it recovers text from truncated files without a word."""
    if not data:
        raise IngestError(file, "empty file (0 bytes)")
    if b"%PDF-" not in data[:_EOF_WINDOW]:
        raise IngestError(file, "not a readable PDF: no %PDF header")
    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        raise IngestError(file, "not a readable PDF: truncated (no %%EOF marker at the end)")


def _unlock(reader: PdfReader, file: str, password: str | None) -> None:
    # Many PDFs are encrypted only to set permissions, with an empty user password.
    if reader.decrypt(password or "") != PasswordType.NOT_DECRYPTED:
        return
    if password is None:
        raise IngestError(file, NEEDS_PASSWORD)
    raise IngestError(file, f"{NEEDS_PASSWORD} (the one given is wrong)")


def join_pages(pages: list[str]) -> tuple[str, PageOf]:
    """The pages as one text, and a map from a character offset to its 1-based page number."""
    starts: list[int] = []
    offset = 0
    for page in pages:
        starts.append(offset)
        offset += len(page) + len(PAGE_SEPARATOR)
    return PAGE_SEPARATOR.join(pages), lambda position: bisect_right(starts, position)


def parse_pdf(data: bytes, doc: DocumentInfo, password: str | None = None,
              max_pages: int | None = None) -> list[Passage]:
    pages = pdf_pages(data, doc.file or doc.doc_id, password, max_pages)
    text, page_of = join_pages(pages)
    if looks_like_decision(text):
        return parse_decision(text, doc, page_of)
    return parse_plain(text, doc, page_of)
