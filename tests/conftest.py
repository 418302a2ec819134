"""One real index over the real corpus, built once per test session and shared.

Real Chroma on disk, the real embedding model, the real documents from ../shared/corpus. The
embedding cache outlives the session (in .cache/, keyed by model and text like any cache), so a
second run embeds only what changed instead of the whole corpus.
"""

from __future__ import annotations

import os
import shutil

import pytest

from assistant.config import PROJECT_ROOT, Settings
from tests.small_corpus import MIRROR

EMBEDDING_CACHE = PROJECT_ROOT / ".cache" / "test-embeddings.sqlite"


@pytest.fixture(scope="session")
def index_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings for a data dir holding a freshly synced corpus and a built index."""
    from assistant.library import all_documents, embeddings_for
    from ingest.corpus import sync
    from ingest.pipeline import run_ingest

    if not MIRROR.is_dir():
        pytest.fail(f"the corpus mirror {MIRROR} is missing; the tests read the real documents from it")
    data_dir = tmp_path_factory.mktemp("cga-data")
    settings = Settings.from_env({**os.environ, "CGA_DATA_DIR": str(data_dir), "CGA_CORPUS_MIRROR": str(MIRROR)})
    if EMBEDDING_CACHE.exists():
        shutil.copyfile(EMBEDDING_CACHE, settings.embedding_cache)
    docs = all_documents(settings)
    results = sync(docs, settings.corpus_cache, settings.corpus_mirror)
    assert all(r.status != "error" for r in results), results
    report = run_ingest(docs, settings.corpus_cache, settings.data_dir, embeddings_for(settings), progress=False,
                        signposts_dir=settings.signposts_dir)
    assert not report.errors, report.errors
    EMBEDDING_CACHE.parent.mkdir(exist_ok=True)
    partial = EMBEDDING_CACHE.with_suffix(".partial")
    shutil.copyfile(settings.embedding_cache, partial)
    partial.replace(EMBEDDING_CACHE)
    return settings


@pytest.fixture(scope="session")
def library(index_settings: Settings):
    from assistant.library import Library

    return Library(index_settings)


@pytest.fixture(scope="session")
def passages(library):
    return library.index.passages


@pytest.fixture(scope="session")
def by_citation(passages):
    table: dict[str, list] = {}
    for p in passages:
        table.setdefault(p.citation, []).append(p)
    return table
