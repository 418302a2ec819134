"""One parser per source type; this module only chooses which, from the file type and the kind.

It also holds the limits every reader applies, so a run over the corpus and an upload through the
UI refuse the same files with the same words, and marks every passage that addresses a language
model (`Passage.marked`), whichever parser read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePath

from ingest.document import DocumentInfo, IngestError
from ingest.passage import Passage

SUPPORTED = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
MEGABYTE = 1024 * 1024


@dataclass(frozen=True)
class ReadOptions:
    """How much one document may cost, and the passwords of encrypted PDFs by variable name."""

    max_bytes: int = 25 * MEGABYTE
    # Embedding, not PDF parsing, is what a long document costs: on two cores a 2,000-page PDF of
    # one paragraph a page takes minutes, longer than the whole shipped corpus.
    max_pdf_pages: int = 1000
    passwords: dict[str, str] = field(default_factory=dict, repr=False, hash=False, compare=False)

    def password_for(self, doc: DocumentInfo) -> str | None:
        if not doc.password_env:
            return None
        if doc.password_env not in self.passwords:
            raise IngestError(doc.file or doc.doc_id, f"field 'password_env' names {doc.password_env}, "
                                                      "which is not set in the environment")
        return self.passwords[doc.password_env]


def check_size(path: Path, file: str, max_bytes: int) -> int:
    """The file's size, refused over the limit from the file system, before anything reads it."""
    size = path.stat().st_size
    if size > max_bytes:
        raise IngestError(file, f"{size / MEGABYTE:,.1f} MB is over the {max_bytes / MEGABYTE:g} MB limit "
                                "(CGA_MAX_UPLOAD_MB)")
    return size


def parse_document(data: bytes, doc: DocumentInfo, options: ReadOptions = ReadOptions()) -> list[Passage]:
    from ingest.parsers.decisions import parse_decision
    from ingest.parsers.html import html_to_text
    from ingest.parsers.legislation import parse_legislation
    from ingest.parsers.pdf import parse_pdf
    from ingest.parsers.plain import decode_text, parse_plain

    name = doc.file or doc.doc_id
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(name, f"unsupported file type {suffix or '(none)'}; expected one of {', '.join(SUPPORTED)}")
    if suffix == ".pdf":
        passages = parse_pdf(data, doc, options.password_for(doc), options.max_pdf_pages)
    else:
        text = decode_text(data, name)
        if suffix in (".html", ".htm"):
            text = html_to_text(text, name)
        if doc.kind == "legislation" and suffix in (".md", ".markdown"):
            passages = parse_legislation(text, doc)
        elif doc.kind == "decision":
            passages = parse_decision(text, doc)
        else:
            passages = parse_plain(text, doc)
    if not passages:
        raise IngestError(name, "no text passages found")
    return [p.marked() for p in passages]
