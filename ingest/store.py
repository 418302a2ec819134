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
import shutil
import time
import uuid
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from ingest.amendments import Amendment
from ingest.document import DocumentInfo
from ingest.passage import Passage
from ingest.signposts import Signpost
from ingest.textutil import tokenize

COLLECTION = "passages"
SERVER_PREFIX = "passages_"
EMBEDDED = "embedded"
KEEP_VERSIONS = 3

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
    signposts: str = ""  # `signposts_hash` of the signposts folder
    model: str = ""  # the embedding model's identity: another model means other vectors

    def to_dict(self) -> dict[str, Any]:
        return {"sources": self.sources, "parser_version": self.parser_version, "vectors": self.vectors,
                "signposts": self.signposts, "model": self.model}


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
        return IndexState(data["sources"], data["parser_version"], data.get("vectors", EMBEDDED),
                          data.get("signposts", ""), data.get("model", ""))

    def switch(self, version_dir: Path) -> None:
        tmp = self.root / f".CURRENT.{uuid.uuid4().hex}"
        tmp.write_text(version_dir.name)
        with tmp.open() as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, self.pointer)

    def prune(self, client: Any | None = None) -> None:
        """Keep the newest versions and remove any a killed build left unfinished; a reader still
        holding an older one keeps its open files. Call only while holding the ingest lock.

        With a Chroma server, the pruned versions' collections go too (only those: other data
        directories may keep their own versions on the same server).
        """
        if not self.versions.is_dir():
            return
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
                  checkpoint: Callable[[str], None] = lambda stage: None, client: Any | None = None,
                  signposts: Sequence[Signpost] = (), signpost_vectors: list[list[float]] = (),
                  situation_vectors: list[list[float]] = (),
                  amendments: Sequence[Amendment] = ()) -> Path:
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
    (version_dir / "amendments.json").write_text(json.dumps([a.to_dict() for a in amendments], indent=1))

    retriever = bm25s.BM25()
    retriever.index([tokenize(p.embedding_text) or [""] for p in passages], show_progress=False)
    retriever.save(str(version_dir / "bm25"))
    _write_signposts(version_dir, signposts, signpost_vectors, situation_vectors)

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
    if client is None:
        # Chroma keeps every embedded store open process-wide until it is closed: a server that
        # indexes uploads would otherwise keep each version's files and threads for good.
        store.close()
    checkpoint("written")

    (version_dir / "complete").write_text(time.strftime("%Y-%m-%dT%H:%M:%S"))
    location.switch(version_dir)
    location.prune(client)
    return version_dir


def _write_signposts(version_dir: Path, signposts: Sequence[Signpost], vectors: list[list[float]],
                     situation_vectors: list[list[float]]) -> None:
    """Signposts are few (hundreds): their vectors are searched exactly in memory, wherever the
    passages' vectors live, and their words by a BM25 index of their own."""
    if not signposts:
        return
    with (version_dir / "signposts.jsonl").open("w", encoding="utf-8") as fh:
        for s in signposts:
            fh.write(json.dumps(s.to_dict(), ensure_ascii=False) + "\n")
    np.save(version_dir / "signpost_vectors.npy", np.asarray(vectors, dtype=np.float32))
    np.save(version_dir / "situation_vectors.npy", np.asarray(situation_vectors, dtype=np.float32))
    lexical = bm25s.BM25()
    lexical.index([tokenize(s.text) or [""] for s in signposts], show_progress=False)
    lexical.save(str(version_dir / "signposts_bm25"))


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
        self.bm25 = bm25s.BM25.load(str(version_dir / "bm25"))
        amendments = version_dir / "amendments.json"
        self.amendments = [Amendment.from_dict(a) for a in json.loads(amendments.read_text())] if amendments.exists() else []
        self.signposts: list[Signpost] = []
        if (version_dir / "signposts.jsonl").exists():
            with (version_dir / "signposts.jsonl").open(encoding="utf-8") as fh:
                self.signposts = [Signpost.from_dict(json.loads(line)) for line in fh]
            self.signpost_vectors = np.load(version_dir / "signpost_vectors.npy")
            # Each situation on its own as well: a long list blurs into an average of its lines.
            self.situation_vectors = np.load(version_dir / "situation_vectors.npy")
            self.situation_owner = np.array([i for i, s in enumerate(self.signposts) for _ in s.situations])
            self.signpost_bm25 = bm25s.BM25.load(str(version_dir / "signposts_bm25"))
        store, collection = _vector_store(version_dir, client)
        # Embeddings are computed by the caller (one query embedding serves every lane), so the
        # store is opened without an embedding function and Chroma's default one is never used.
        self.chroma = Chroma(client=store, collection_name=collection, embedding_function=None,
                             create_collection_if_not_exists=False)
        # Chroma holds an embedded store (SQLite and HNSW files, worker threads) process-wide until
        # it is closed, so the store closes with this Index: when the last question using it lets go,
        # or at `close()`. A server's client is shared and stays open.
        self._release = weakref.finalize(self, store.close) if client is None else None

    def close(self) -> None:
        """Release the embedded Chroma store now; BM25 and the passages go with the object itself."""
        if self._release is not None:
            self._release()

    def dense(self, query_vector: list[float], k: int, where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """Passage ids with cosine similarity, best first."""
        k = min(k, len(self.passages))
        hits = self.chroma.similarity_search_by_vector_with_relevance_scores(query_vector, k=k, filter=where or None)
        return [(doc.metadata["passage_id"], 1.0 - distance) for doc, distance in hits]

    def vectors(self, passage_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """The stored vectors of these passages (normalised, so a dot product is the cosine)."""
        if not passage_ids:
            return {}
        found = self.chroma.get(ids=list(dict.fromkeys(passage_ids)), include=["embeddings", "metadatas"])
        return {meta["passage_id"]: np.asarray(vector, dtype=np.float32)
                for meta, vector in zip(found["metadatas"], found["embeddings"])}

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

    def signposted(self, query: str, query_vector: list[float], k: int, allowed: Callable[[Passage], bool]
                   ) -> tuple[list[tuple[tuple[str, ...], float]], list[tuple[tuple[str, ...], float]]]:
        """(dense, lexical): the passages of the signposts best matching the question, best first,
        each as the allowed passage ids of one signpost (a long section's subsections) with its score."""
        if not self.signposts:
            return [], []
        targets = [tuple(pid for pid in s.passage_ids if allowed(self.by_id[pid])) for s in self.signposts]
        keep = np.array([bool(t) for t in targets])
        vector = np.asarray(query_vector, dtype=np.float32)
        closest = np.full(len(self.signposts), -1.0, dtype=np.float32)
        np.maximum.at(closest, self.situation_owner, self.situation_vectors @ vector)
        dense_scores = np.where(keep, (self.signpost_vectors @ vector + closest) / 2, -1.0)
        tokens = tokenize(query)
        lexical_scores = np.where(keep, self.signpost_bm25.get_scores(tokens), 0.0) if tokens else np.zeros(len(keep))

        def ranked(scores: np.ndarray, floor: float) -> list[tuple[tuple[str, ...], float]]:
            order = [i for i in np.argsort(-scores)[:k] if scores[i] > floor]
            return [(targets[i], float(scores[i])) for i in order]

        return ranked(dense_scores, -1.0), ranked(lexical_scores, 0.0)

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
