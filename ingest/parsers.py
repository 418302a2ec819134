"""One parser per source type; this module only chooses which, from the file type and the kind."""

from __future__ import annotations

from pathlib import PurePath

from ingest.document import DocumentInfo, IngestError
from ingest.passage import Passage

SUPPORTED = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")


def parse_document(data: bytes, doc: DocumentInfo) -> list[Passage]:
    from ingest.decisions import parse_decision
    from ingest.html import html_to_text
    from ingest.legislation import parse_legislation
    from ingest.pdf import parse_pdf
    from ingest.text import decode_text, parse_plain

    name = doc.file or doc.doc_id
    suffix = PurePath(name).suffix.lower()
    if suffix not in SUPPORTED:
        raise IngestError(name, f"unsupported file type {suffix or '(none)'}; expected one of {', '.join(SUPPORTED)}")
    if suffix == ".pdf":
        passages = parse_pdf(data, doc)
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
    return passages
