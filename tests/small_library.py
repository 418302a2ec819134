"""A small real index (one Act) in a folder of its own, for tests that add documents to it.

Uploads change the index they go into, so they never touch the session index other tests share.
"""

from __future__ import annotations

import os
from pathlib import Path

from assistant.config import PROJECT_ROOT, Settings

GIFTS = ("# Gifts and hospitality\n\nAny gift or hospitality offered by a bidder during a live procurement must be "
         "declined and reported to the Head of Commercial within two working days.\n\n"
         "Declined offers are recorded in the gifts and hospitality register kept by the Governance team.\n")


def build_small_settings(session: Settings, folder: Path, max_upload_mb: str = "1",
                         doc_id: str = "ukpga-2010-15") -> Settings:
    """Settings for `folder` holding a built index of one document of the manifest (the Equality Act
    extract unless `doc_id` names another)."""
    from assistant.library import all_documents, embeddings_for
    from ingest.corpus import sync
    from ingest.pipeline import run_ingest

    blocks = (PROJECT_ROOT / "corpus" / "sources.toml").read_text(encoding="utf-8").split("[[document]]")
    [block] = [b for b in blocks if f'id = "{doc_id}"' in b]
    manifest = folder / "sources.toml"
    manifest.write_text("[[document]]" + block, encoding="utf-8")
    data_dir = folder / "data"
    data_dir.mkdir()
    # Reuse the session's embedding cache: only the uploaded passages are embedded afresh.
    (data_dir / "embeddings.sqlite").write_bytes(session.embedding_cache.read_bytes())
    settings = Settings.from_env({**os.environ, "CGA_DATA_DIR": str(data_dir), "CGA_SOURCES": str(manifest),
                                  "CGA_CORPUS_MIRROR": str(session.corpus_mirror),
                                  "CGA_MAX_UPLOAD_MB": max_upload_mb})
    docs = all_documents(settings)
    assert all(r.status != "error" for r in sync(docs, settings.corpus_cache, settings.corpus_mirror))
    report = run_ingest(docs, settings.corpus_cache, settings.data_dir, embeddings_for(settings), progress=False)
    assert not report.errors, report.errors
    return settings
