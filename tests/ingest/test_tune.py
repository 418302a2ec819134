"""Tuning the embedding model on the signposts: the pairs, the folder it writes, and `cga tune`."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.cli import main
from ingest.embed import bundled_model_path, load_model, model_identity
from ingest.tune import training_pairs, tune


def test_pairs_are_each_signpost_line_with_the_passage_it_leads_to(library):
    index = library.index
    pairs = training_pairs(index)
    assert pairs == training_pairs(index)  # a fixed order: the same index trains the same model
    lines = {line for s in index.signposts if any(p in index.by_id for p in s.passage_ids) for line in s.situations}
    assert {line for line, _ in pairs} == lines
    texts = {p.embedding_text for p in index.passages}
    assert all(passage in texts for _, passage in pairs)
    standstill = [passage for line, passage in pairs if "standstill" in passage.lower()]
    assert standstill, "the standstill provisions have signposts"


def test_a_tuned_model_is_a_model_folder_of_its_own_identity(library, tmp_path):
    pairs = training_pairs(library.index)[:40]
    report = tune(pairs, bundled_model_path(), tmp_path / "tuned")
    assert report.pairs == 40 and report.steps == 1 and np.isfinite(report.final_loss)
    assert model_identity(tmp_path / "tuned") != model_identity()
    vector = load_model(tmp_path / "tuned", tmp_path / "exports").embed_query(pairs[0][0])
    assert len(vector) == 384 and abs(np.linalg.norm(vector) - 1) < 1e-5


def test_tuning_without_resolved_signposts_says_so(tmp_path):
    with pytest.raises(ValueError, match="no resolved signposts"):
        tune([], bundled_model_path(), tmp_path / "tuned")


def test_cga_tune_will_not_write_into_a_folder_in_use(tmp_path, capsys):
    (tmp_path / "model.safetensors").write_text("someone's model")
    assert main(["tune", "--out", str(tmp_path)]) == 2
    assert "is not empty" in capsys.readouterr().err
