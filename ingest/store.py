"""The on-disk index: Chroma (dense) and BM25 (lexical) over the same passages, in versions.

Every build writes a complete new version directory and then switches the CURRENT pointer with
an atomic rename, so a reader never sees a half-written index and a killed build leaves the
previous version serving. Readers reopen when CURRENT changes.

The vectors live in the version directory (embedded Chroma) or, when a Chroma client is passed
in, on that Chroma server in a collection named after the version (`passages_<version>`), so
several processes and machines share them; passages, BM25 and meta stay in the version directory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from ingest.document import DocumentInfo
from ingest.passage import Passage

COLLECTION = "passages"
SERVER_PREFIX = "passages_"
EMBEDDED = "embedded"
KEEP_VERSIONS = 3
_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
# Function words only: words such as "may", "must", "not" carry legal meaning and stay.
_STOPWORDS = frozenset(
    "a an and are as at be by for from has have in into is it its of on or that the their there these "
    "this those to was were what which who whom will with i we you our your do does did can how".split()
)


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens with plural 's' folded, numbers and money amounts kept whole."""
    tokens = []
    for tok in _TOKEN.findall(text.lower().replace("£", " ")):
        tok = tok.rstrip(".,")
        if tok in _STOPWORDS or not tok:
            continue
        if len(tok) > 4 and tok.endswith("s") and not tok.endswith("ss") and not tok[0].isdigit():
            tok = tok[:-1]
        tokens.append(tok)
    return tokens


def chroma_settings() -> Any:
    from chromadb.config import Settings

    return Settings(anonymized_telemetry=False, allow_reset=False)


class IndexUnavailable(Exception):
    """The current version's vectors are not where this process looks for them."""


def server_collection(version: str) -> str:
    """The collection on a Chroma server holding one version's vectors."""
    return f"{SERVER_PREFIX}{version}"


def vector_home(client: Any | None) -> str:
    """Where a build puts its vectors: "embedded" (the version directory) or the server's address."""
    if client is None:
        return EMBEDDED
    settings = client.get_settings()
    return f"chroma server {settings.chroma_server_host}:{settings.chroma_server_http_port}"


def passage_metadata(p: Passage) -> dict[str, Any]:
    """What Chroma filters on: document, kind, access and version date."""
    return {"passage_id": p.passage_id, "doc_id": p.doc_id, "kind": p.kind, "access": p.access,
            "version_date": p.version_date, "provision": p.provision}


@dataclass(frozen=True)
class IndexState:
    """What a version was built from, so an unchanged corpus is not rebuilt."""

    sources: dict[str, str]  # doc_id -> sha256 of the file plus manifest entry
    parser_version: str
    vectors: str = EMBEDDED  # `vector_home`: moving to or from a Chroma server means a rebuild

    def to_dict(self) -> dict[str, Any]:
        return {"sources": self.sources, "parser_version": self.parser_version, "vectors": self.vectors}


class IndexLocation:
    def __init__(self, data_dir: Path) -> None:
        self.root = data_dir / "index"
        self.versions = self.root / "versions"
        self.pointer = self.root / "CURRENT"

    def current(self) -> Path | None:
        try:
            version = self.pointer.read_text().strip()
        except FileNotFoundError:
            return None
        path = self.versions / version
        return path if (path / "complete").exists() else None

    def current_state(self) -> IndexState | None:
        version = self.current()
        if version is None:
            return None
        data = json.loads((version / "state.json").read_text())
        return IndexState(data["sources"], data["parser_version"], data.get("vectors", EMBEDDED))

    def switch(self, version_dir: Path) -> None:
        tmp = self.root / f".CURRENT.{uuid.uuid4().hex}"
        tmp.write_text(version_dir.name)
        with tmp.open() as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.pointer)

    def prune(self, client: Any | None = None) -> None:
        """Keep the newest versions; a reader still holding an older one keeps its open files.

        With a Chroma server, the pruned versions' collections go too (only those: other data
        directories may keep their own versions on the same server).
        """
        current = self.current()
        versions = sorted((p for p in self.versions.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)
        finished = [p for p in versions if (p / "complete").exists() and p != current]
        # Only a build holding the ingest lock prunes, so any other version without "complete" was killed.
        crashed = [p for p in versions if not (p / "complete").exists()]
        for old in finished[: max(0, len(finished) - (KEEP_VERSIONS - 1))] + crashed:
            shutil.rmtree(old, ignore_errors=True)
            if client is not None:
                _delete_collection(client, server_collection(old.name))


def _delete_collection(client: Any, name: str) -> None:
    from chromadb.errors import NotFoundError

    try:
        client.delete_collection(name)
    except NotFoundError:
        pass  # an embedded version, or a build killed before it reached the server


def write_version(location: IndexLocation, passages: list[Passage], documents: list[DocumentInfo],
                  vectors: list[list[float]], state: IndexState, meta: dict[str, Any],
                  checkpoint: Callable[[str], None] = lambda stage: None, client: Any | None = None) -> Path:
    """Write a complete version, then make it current. `client`: a Chroma server's client, or None
    for the embedded store in the version directory."""
    import chromadb

    location.versions.mkdir(parents=True, exist_ok=True)
    version_dir = location.versions / f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    version_dir.mkdir()
    with (version_dir / "passages.jsonl").open("w", encoding="utf-8") as fh:
        for p in passages:
            fh.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
    (version_dir / "documents.json").write_text(json.dumps([d.to_dict() for d in documents], indent=1))
    (version_dir / "state.json").write_text(json.dumps(state.to_dict(), indent=1))
    (version_dir / "meta.json").write_text(json.dumps(meta, indent=1))
    np.save(version_dir / "vectors.npy", np.asarray(vectors, dtype=np.float32).reshape(len(passages), -1))

    retriever = bm25s.BM25()
    retriever.index([tokenize(p.embedding_text) or [""] for p in passages], show_progress=False)
    retriever.save(str(version_dir / "bm25"))

    if client is None:
        store = chromadb.PersistentClient(path=str(version_dir / "chroma"), settings=chroma_settings())
        collection = store.get_or_create_collection(COLLECTION, embedding_function=None,
                                                    metadata={"hnsw:space": "cosine"})
    else:
        collection = client.create_collection(server_collection(version_dir.name), embedding_function=None,
                                              metadata={"hnsw:space": "cosine"})
    for i in range(0, len(passages), 1000):
        batch = passages[i:i + 1000]
        collection.add(ids=[p.passage_id for p in batch], embeddings=vectors[i:i + 1000],
                       documents=[p.text for p in batch], metadatas=[passage_metadata(p) for p in batch])
    del collection
    checkpoint("written")

    (version_dir / "complete").write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
    location.switch(version_dir)
    location.prune(client)
    return version_dir


def read_passages(version_dir: Path) -> list[Passage]:
    with (version_dir / "passages.jsonl").open(encoding="utf-8") as fh:
        return [Passage.from_dict(json.loads(line)) for line in fh]


def read_documents(version_dir: Path) -> list[DocumentInfo]:
    return [DocumentInfo.from_dict(d) for d in json.loads((version_dir / "documents.json").read_text())]


class Index:
    """A read-only view of one index version: passages, Chroma for dense search, BM25 for lexical.

    `client`: the Chroma server's client when the version was built with one, else None.
    """

    def __init__(self, version_dir: Path, client: Any | None = None) -> None:
        from langchain_chroma import Chroma

        self.version_dir = version_dir
        self.version = version_dir.name
        self.passages = read_passages(version_dir)
        self.documents = read_documents(version_dir)
        self.meta = json.loads((version_dir / "meta.json").read_text())
        self.by_id = {p.passage_id: p for p in self.passages}
        self.position = {p.passage_id: i for i, p in enumerate(self.passages)}
        self.bm25 = bm25s.BM25.load(str(version_dir / "bm25"))
        store, collection = _vector_store(version_dir, client)
        # Embeddings are computed by the caller (one query embedding serves every lane), so the
        # store is opened without an embedding function and Chroma's default one is never used.
        self.chroma = Chroma(client=store, collection_name=collection, embedding_function=None,
                             create_collection_if_not_exists=False)

    def dense(self, query_vector: list[float], k: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """Passage ids with cosine similarity, best first."""
        k = min(k, len(self.passages))
        hits = self.chroma.similarity_search_by_vector_with_relevance_scores(query_vector, k=k, filter=where or None)
        return [(doc.metadata["passage_id"], 1.0 - distance) for doc, distance in hits]

    def lexical(self, query: str, k: int, allowed: np.ndarray | None = None) -> list[tuple[str, float]]:
        """BM25 over the same passages; `allowed` is a boolean mask applying the same filters as Chroma's where."""
        tokens = tokenize(query)
        if not tokens:
            return []
        scores = self.bm25.get_scores(tokens)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        top = np.argsort(-scores)[:k]
        return [(self.passages[i].passage_id, float(scores[i])) for i in top if scores[i] > 0]

    def mask(self, predicate) -> np.ndarray:
        return np.fromiter((bool(predicate(p)) for p in self.passages), dtype=bool, count=len(self.passages))


def _vector_store(version_dir: Path, client: Any | None) -> tuple[Any, str]:
    """(client, collection) holding a version's vectors; IndexUnavailable if they are elsewhere."""
    import chromadb
    from chromadb.errors import NotFoundError

    embedded = (version_dir / "chroma").is_dir()
    if client is None:
        if not embedded:
            raise IndexUnavailable(f"index version {version_dir.name} keeps its vectors on a Chroma server "
                                   "(set CGA_CHROMA_URL), or rebuild it here with `cga ingest --force`")
        return chromadb.PersistentClient(path=str(version_dir / "chroma"), settings=chroma_settings()), COLLECTION
    if embedded:
        raise IndexUnavailable(f"index version {version_dir.name} was built without a Chroma server; "
                               "run `cga ingest --force` to put it on the server")
    name = server_collection(version_dir.name)
    try:
        client.get_collection(name)
    except NotFoundError:
        raise IndexUnavailable(f"index version {version_dir.name}: collection {name} is not on the Chroma server "
                               f"({vector_home(client)}); run `cga ingest --force`") from None
    return client, name


def open_current(data_dir: Path, client: Any | None = None) -> Index | None:
    version = IndexLocation(data_dir).current()
    return Index(version, client) if version else None
