"""The composition root: settings → documents, embeddings, index, retriever, answerer.

One `Library` serves the CLI, the UI and the API. It notices a new index version (after an
upload or a rebuild) and switches to it between questions, without a restart. With
CGA_CHROMA_URL set, the vectors are read from (and `cga ingest` writes them to) that Chroma server.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assistant.accounts.audit import Asker, AuditLog
from assistant.answering.pipeline import answer_question
from assistant.answering.records import Answer
from assistant.answering.retrieve import Retriever
from assistant.config import Settings, without_credentials
from ingest.corpus import load_manifest
from ingest.document import ACCESS_LEVELS, DocumentInfo
from ingest.embed import CachedEmbeddings
from ingest.references import ReferenceFinder
from ingest.store import Index, IndexLocation, IndexUnavailable, chroma_settings


class IndexMissing(Exception):
    pass


def uploads_manifest(settings: Settings) -> Path:
    return settings.data_dir / "uploads.toml"


def all_documents(settings: Settings) -> list[DocumentInfo]:
    """The manifest's documents plus any uploaded through the UI."""
    docs = load_manifest(settings.sources)
    uploads = uploads_manifest(settings)
    if uploads.exists():
        docs += load_manifest(uploads)
    return docs


_EMBEDDINGS: dict[tuple[Path, Path | None], CachedEmbeddings] = {}


def embeddings_for(settings: Settings) -> CachedEmbeddings:
    key = (settings.embedding_cache, settings.model_path)
    if key not in _EMBEDDINGS:
        _EMBEDDINGS[key] = CachedEmbeddings(settings.model_path, settings.embedding_cache)
    return _EMBEDDINGS[key]


class ChromaUnreachable(Exception):
    """CGA_CHROMA_URL names a server that does not answer."""


_CLIENTS: dict[str, Any] = {}


def chroma_client(settings: Settings) -> Any | None:
    """The client of the Chroma server named by CGA_CHROMA_URL, or None for the embedded store."""
    url = settings.chroma_url
    if not url:
        return None
    if url not in _CLIENTS:
        import chromadb

        parts = urlsplit(url)
        try:
            client = chromadb.HttpClient(host=parts.hostname or "", port=parts.port or 0, ssl=parts.scheme == "https",
                                         settings=chroma_settings())
            client.heartbeat()
        except Exception as exc:  # chromadb reports a dead server as ValueError, httpx errors and others
            raise ChromaUnreachable(without_credentials(f"CGA_CHROMA_URL={url}: the Chroma server does not answer "
                                                        f"({exc})")) from None
        _CLIENTS[url] = client
    return _CLIENTS[url]


@dataclass(frozen=True)
class Snapshot:
    """What answering a question reads (see `assistant.answering.context.Sources`)."""

    settings: Settings
    index: Index
    retriever: Retriever
    finder: ReferenceFinder
    embeddings: CachedEmbeddings

    def snapshot(self) -> Snapshot:
        return self


class Library:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.location = IndexLocation(settings.data_dir)
        self.embeddings = embeddings_for(settings)
        self.client = chroma_client(settings)
        self.audit = AuditLog(settings.audit_log, settings.audit_retention_days)
        self._lock = threading.Lock()
        self._snapshot: Snapshot | None = None
        self.refresh()

    def refresh(self) -> bool:
        """Open the current index version if it is not the one open now. True when it switched."""
        current = self.location.current()
        if current is None:
            raise IndexMissing(f"no index in {self.settings.data_dir}; run `cga corpus sync` and `cga ingest`")
        if self._snapshot is not None and self._snapshot.index.version == current.name:
            return False
        with self._lock:
            if self._snapshot is not None and self._snapshot.index.version == current.name:
                return False
            try:
                index = Index(current, self.client)
            except IndexUnavailable as exc:
                raise IndexMissing(str(exc)) from None
            finder = ReferenceFinder(index.documents)
            # The old snapshot's Index closes its Chroma store when the last question still using it
            # finishes (at once when none is): see `Index`.
            self._snapshot = Snapshot(self.settings, index, Retriever(index, self.embeddings, finder), finder,
                                      self.embeddings)
        return True

    def snapshot(self) -> Snapshot:
        """The current index version with its retriever and finder: one question uses one snapshot
        from start to end, whatever switch happens meanwhile."""
        self.refresh()
        assert self._snapshot is not None
        return self._snapshot

    @property
    def index(self) -> Index:
        return self.snapshot().index

    @property
    def retriever(self) -> Retriever:
        return self.snapshot().retriever

    @property
    def finder(self) -> ReferenceFinder:
        return self.snapshot().finder

    def ask(self, question: str, asker: Asker | None = None, **kwargs: Any) -> Answer:
        """Answer a question; with an `asker` (every ask by a person), the audit log records it with
        the index version the answer used."""
        sources = self.snapshot()
        answer = answer_question(sources, question, **kwargs)
        if asker is not None:
            self.audit.record(answer, asker, sources.index.version)
        return answer

    def stats(self, access: Sequence[str] = ACCESS_LEVELS) -> dict[str, Any]:
        """The index and every document; passage counts only at these access levels (a public paper's
        restricted Part 2 is not counted for a public reader)."""
        index = self.index
        per_doc: dict[str, int] = {}
        for p in index.passages:
            if p.access in access:
                per_doc[p.doc_id] = per_doc.get(p.doc_id, 0) + 1
        size = sum(f.stat().st_size for f in index.version_dir.rglob("*") if f.is_file())
        return {
            "version": index.version,
            "model": index.meta.get("model"),
            "built": index.meta.get("built"),
            "passages": sum(per_doc.values()),
            "index_bytes": size,
            "documents": [{"doc_id": d.doc_id, "title": d.title, "short": d.short, "kind": d.kind,
                           "version_date": d.version_date or "date not stated", "access": d.access,
                           "passages": per_doc.get(d.doc_id, 0)} for d in index.documents],
        }

    def stats_text(self) -> str:
        s = self.stats()
        lines = [f"index {s['version']} built {s['built']} · model {s['model']} · "
                 f"{s['passages']} passages · {s['index_bytes'] / 1e6:.1f} MB"]
        for d in s["documents"]:
            lines.append(f"  {d['short']:<12} {d['kind']:<12} {d['version_date']:<10} {d['passages']:>5}  {d['title']}")
        return "\n".join(lines)


def open_library(settings: Settings) -> Library:
    import sys

    try:
        return Library(settings)
    except (IndexMissing, ChromaUnreachable) as exc:
        sys.exit(f"cga: {exc}")
