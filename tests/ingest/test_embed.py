"""The embedding model as ingest and answering run it: onnxruntime, int8 weights, exported once."""

from __future__ import annotations

import numpy as np
import pytest
from sentence_transformers import SentenceTransformer

from ingest import embed

QUESTIONS = [
    "Once the losing bidders are told, when can we actually sign?",
    "Our custody healthcare supplier went into liquidation; can we appoint someone straight away?",
    "Who approves spending over £500,000 at MOPAC?",
]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    return folder, embed.load_model(None, folder)


def test_vectors_keep_the_float_models_meaning(exported, passages):
    _, model = exported
    texts = [p.embedding_text for p in passages[::60]] + QUESTIONS
    float_model = SentenceTransformer(str(embed.bundled_model_path()), device="cpu", local_files_only=True)
    reference = float_model.encode(texts, normalize_embeddings=True)
    vectors = np.array(model.embed_documents(texts))
    assert vectors.shape == reference.shape
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cosines = (vectors * reference).sum(axis=1)
    assert cosines.min() > 0.97, f"int8 vectors drift from the float model's: min cosine {cosines.min():.3f}"
    # A text's vector is its own, whatever it was embedded beside and whether as question or passage.
    assert np.allclose(model.embed_query(QUESTIONS[0]), vectors[-3], atol=1e-6)
    assert np.allclose(model.embed_documents(texts[::-1])[::-1], vectors, atol=1e-6)


def test_the_export_is_made_once_and_named_by_the_models_identity(exported):
    folder, _ = exported
    files = sorted(folder.iterdir())
    assert [f.name for f in files] == [f"{embed.model_identity().replace(':', '-')}.onnx"]
    assert embed.model_identity().endswith(embed.QUANTISATION)
    written = files[0].stat().st_mtime_ns
    embed.load_model(None, folder)
    assert files[0].stat().st_mtime_ns == written
    assert sorted(folder.iterdir()) == files  # no partial file left behind


def test_texts_run_side_by_side_each_on_one_thread(exported):
    _, model = exported
    assert model.session.get_session_options().intra_op_num_threads == 1
    texts = [f"{q} ({n})" for n in range(4) for q in QUESTIONS]
    assert np.allclose(model.embed_documents(texts), [model.embed_query(t) for t in texts], atol=1e-6)


def test_a_folder_without_a_model_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path)):
        embed.load_model(tmp_path, tmp_path / "models")
