"""A model adapted to how practitioners speak: MiniLM fine-tuned on the signposts.

Signposts say, in users' words, what situation each provision governs; each of their lines and
the passage it leads to make a training pair. A short fine-tune (one epoch, in-batch negatives)
moves the model's sense of "the doctors stop turning up on Friday" towards the urgency provisions
for any wording, not only the signposts' own. It is trained from the index (signposts resolved to
passages), never from eval questions, and written as an ordinary sentence-transformers folder:
`CGA_MODEL_PATH` names it, and its identity (a hash of its files) keys every vector made with it.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ingest.store import Index

SEED = 20261204
BATCH = 32
LEARNING_RATE = 2e-5
SCALE = 20.0  # cosine similarities times this are the logits of the in-batch softmax
TRAINING_TOKENS = 128  # passages cut here while training: a pair's gist is in its opening words


@dataclass(frozen=True)
class TuningReport:
    pairs: int
    steps: int
    seconds: float
    cpu_seconds: float
    final_loss: float


def training_pairs(index: Index) -> list[tuple[str, str]]:
    """(situation line, text of the passage it leads to), the whole section where there is one,
    in a fixed shuffled order."""
    pairs = []
    for signpost in index.signposts:
        targets = [index.by_id[p] for p in signpost.passage_ids if p in index.by_id]
        if not targets:
            continue
        target = max(targets, key=lambda p: len(p.text))
        pairs.extend((line, target.embedding_text) for line in signpost.situations)
    random.Random(SEED).shuffle(pairs)
    return pairs


def tune(pairs: list[tuple[str, str]], base_model: Path, out_dir: Path,
         progress: Callable[[int, int, float], None] | None = None) -> TuningReport:
    """One epoch of in-batch-negatives training over `pairs`, written to `out_dir`."""
    import torch
    from sentence_transformers import SentenceTransformer

    if len(pairs) < 2:
        raise ValueError("tuning needs at least two (situation, passage) pairs; the index has no resolved signposts")
    torch.manual_seed(SEED)
    model = SentenceTransformer(str(base_model), device="cpu", local_files_only=True)
    served_tokens = model.max_seq_length
    model.max_seq_length = TRAINING_TOKENS
    model.train()
    optimiser = torch.optim.AdamW(model.parameters(), lr=LEARNING_RATE)
    started, cpu_started = time.perf_counter(), time.process_time()
    steps = max(1, len(pairs) // BATCH)
    loss_value = 0.0
    for step in range(steps):
        # A passage twice in one batch would be its own negative: its first line stands for it.
        first: dict[str, str] = {}
        for line, passage in pairs[step * BATCH:(step + 1) * BATCH]:
            first.setdefault(passage, line)
        batch = [(line, passage) for passage, line in first.items()]
        lines = _embed(model, [line for line, _ in batch])
        passages = _embed(model, [passage for _, passage in batch])
        loss = torch.nn.functional.cross_entropy(lines @ passages.T * SCALE, torch.arange(len(batch)))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        loss_value = loss.item()
        if progress is not None:
            progress(step + 1, steps, loss_value)
    model.max_seq_length = served_tokens
    model.eval()
    out_dir.mkdir(parents=True, exist_ok=True)
    model.save(str(out_dir))
    return TuningReport(len(pairs), steps, time.perf_counter() - started, time.process_time() - cpu_started, loss_value)


def _embed(model, texts: list[str]):
    import torch

    features = model.preprocess(texts)
    return torch.nn.functional.normalize(model(features)["sentence_embedding"], dim=-1)
