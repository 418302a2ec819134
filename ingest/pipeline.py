"""Sources → passages → embeddings (cached) → a new index version, with progress and per-file errors."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ingest.amendments import find_amendments
from ingest.corpus import cached_path, file_sha256
from ingest.document import DocumentInfo, IngestError
from ingest.embed import CachedEmbeddings
from ingest.links import link_references
from ingest.parse import ReadOptions, check_size, parse_document
from ingest.passage import Passage
from ingest.signposts import SignpostError, load_signposts, resolve, signposts_hash
from ingest.store import IndexLocation, IndexState, vector_home, write_version


class IngestLocked(Exception):
    """Another ingest holds the lock on this data directory."""


@dataclass
class IngestReport:
    documents: int = 0
    passages: int = 0
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    unchanged: bool = False
    version: str = ""
    errors: list[str] = field(default_factory=list)

    def summary(self) -> str:
        if self.unchanged:
            return f"index up to date ({self.version}): nothing to do in {self.seconds:.1f} s"
        failed = f", {len(self.errors)} failed" if self.errors else ""
        return (f"{self.documents} documents{failed}, {self.passages} passages, {self.embedded} embedded, "
                f"{self.reused} reused, {self.seconds:.1f} s")

    def to_dict(self) -> dict:
        return asdict(self)


def parser_version() -> str:
    """Changes whenever the ingest code changes, so a new parser always rebuilds the index."""
    digest = hashlib.sha256()
    root = Path(__file__).parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".toml"):
            digest.update(path.relative_to(root).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()[:16]


class _Lock:
    """One ingest at a time per data directory; the kernel drops the lock when its holder dies, even by SIGKILL."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.path = IndexLocation(data_dir).root / "ingest.lock"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.fh = self.path.open("a+")

    def __enter__(self) -> _Lock:
        try:
            fcntl.flock(self.fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.fh.seek(0)
            holder = self.fh.read().strip() or "unknown"
            raise IngestLocked(f"another ingest (pid {holder}) is building the index in {self.data_dir}; "
                               "try again when it ends") from None
        self.fh.seek(0)
        self.fh.truncate()
        self.fh.write(str(os.getpid()))
        self.fh.flush()
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.fh, fcntl.LOCK_UN)
        self.fh.close()


def _progress(label: str, done: int, total: int, enabled: bool) -> None:
    if enabled and total:
        width = 30
        filled = width * done // total
        sys.stderr.write(f"\r{label:<10} [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()


def _means(vectors: list[list[float]], counts: list[int]) -> list[list[float]]:
    """Each signpost's vector: the normalised mean of its lines' vectors. It searches as well as
    embedding the joined lines (dev recall@10 0.789 against 0.782) and costs no model call."""
    means, start = [], 0
    for count in counts:
        mean = np.mean(np.asarray(vectors[start:start + count], dtype=np.float32), axis=0)
        means.append((mean / (np.linalg.norm(mean) or 1.0)).tolist())
        start += count
    return means


def run_ingest(documents: list[DocumentInfo], cache_dir: Path, data_dir: Path, embeddings: CachedEmbeddings,
               force: bool = False, progress: bool = True,
               checkpoint: Callable[[str], None] = lambda stage: None, client: Any | None = None,
               options: ReadOptions = ReadOptions(), signposts_dir: Path | None = None) -> IngestReport:
    """Build a new index version from the documents when anything changed.

    A document that fails is reported and left out; the rest of the run goes on. A file over
    `options.max_bytes` is refused from its size on disk, before it is hashed or read. `checkpoint`
    is called between stages (tests use it to interrupt a build at known points). `client`: a
    Chroma server to hold the vectors (see ingest.store), or None for the embedded store.
    `signposts_dir`: the folder of signpost files (see ingest.signposts), indexed beside the passages.
    """
    started = time.perf_counter()
    location = IndexLocation(data_dir)
    report = IngestReport()
    with _Lock(data_dir):
        # A build killed part-way left an unfinished version: every run clears it, even one with nothing to do.
        location.prune(client)
        sources: dict[str, str] = {}
        by_content: dict[str, str] = {}
        readable: list[tuple[DocumentInfo, Path]] = []
        for doc in documents:
            path = cached_path(cache_dir, doc)
            if not path.exists():
                report.errors.append(f"{doc.file}: not in the corpus cache; run `cga corpus sync`")
                continue
            try:
                size = check_size(path, doc.file, options.max_bytes)
                sha = file_sha256(path)
            except IngestError as exc:
                report.errors.append(str(exc))
                continue
            except OSError as exc:
                report.errors.append(f"{doc.file}: cannot be read ({exc.strerror or exc})")
                continue
            if doc.sha256 and sha != doc.sha256:
                report.errors.append(f"{doc.file}: sha256 does not match the manifest; run `cga corpus sync`")
                continue
            if sha in by_content and size:  # empty files are refused by their parsers, not as copies of each other
                report.errors.append(f"{doc.file}: same content as {by_content[sha]}; ingested once")
                continue
            by_content[sha] = doc.file
            sources[doc.doc_id] = hashlib.sha256((sha + json.dumps(doc.to_dict(), sort_keys=True)).encode()).hexdigest()
            readable.append((doc, path))
        try:
            signposts = load_signposts(signposts_dir)
        except SignpostError as exc:  # the passages are still worth indexing; the report names the file
            report.errors.append(str(exc))
            signposts = []
        state = IndexState(sources, parser_version(), vector_home(client),
                           signposts_hash(signposts_dir) if signposts else "", embeddings.model_id)
        current = location.current()
        if not force and current is not None and location.current_state() == state:
            report.unchanged, report.version = True, current.name
            report.seconds = time.perf_counter() - started
            return report

        passages: list[Passage] = []
        kept: list[DocumentInfo] = []
        for i, (doc, path) in enumerate(readable, start=1):
            try:
                found = parse_document(path.read_bytes(), doc, options)
            except IngestError as exc:
                report.errors.append(str(exc))
                state.sources.pop(doc.doc_id, None)
            except Exception as exc:  # a parser bug on one strange file must not sink the whole run
                report.errors.append(f"{doc.file}: could not be parsed ({type(exc).__name__}: {exc})")
                state.sources.pop(doc.doc_id, None)
            else:
                passages.extend(found)
                kept.append(doc)
            _progress("parse", i, len(readable), progress)
        try:
            passages = link_references(passages, kept)
        except ValueError as exc:  # the manifest gives two documents one alias
            report.errors.append(f"references in papers not linked: {exc}")
        checkpoint("parsed")

        vectors: list[list[float]] = []
        texts = [p.embedding_text for p in passages]
        hits_before, misses_before = embeddings.hits, embeddings.misses
        for i in range(0, len(texts), 256):
            vectors.extend(embeddings.embed_documents(texts[i:i + 256]))
            _progress("embed", min(i + 256, len(texts)), len(texts), progress)
        signposts, unresolved = resolve([s for s in signposts if s.doc_id in state.sources], passages)
        report.errors += [f"{s.doc_id} signpost {s.provision}: no such provision in the document" for s in unresolved]
        situation_vectors = (embeddings.embed_documents([line for s in signposts for line in s.situations])
                             if signposts else [])
        signpost_vectors = _means(situation_vectors, [len(s.situations) for s in signposts])
        checkpoint("embedded")

        report.documents, report.passages = len(kept), len(passages)
        report.embedded = embeddings.misses - misses_before
        report.reused = embeddings.hits - hits_before
        meta = {"model": embeddings.model_id, "built": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "documents": len(kept), "passages": len(passages)}
        version = write_version(location, passages, kept, vectors, state, meta, checkpoint=checkpoint, client=client,
                                signposts=signposts, signpost_vectors=signpost_vectors,
                                situation_vectors=situation_vectors,
                                amendments=find_amendments(passages, kept))
        report.version = version.name
    report.seconds = time.perf_counter() - started
    return report
