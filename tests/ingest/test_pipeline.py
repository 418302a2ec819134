"""Ingest on a small real corpus: idempotent, incremental, and a bad file leaves the rest alone."""

from __future__ import annotations

import hashlib
from pathlib import Path

from assistant.library import embeddings_for
from ingest.corpus import load_manifest, sync
from ingest.pipeline import run_ingest
from ingest.store import IndexLocation, open_current
from tests.small_corpus import make_small_corpus


def _ingest(settings):
    docs = load_manifest(settings.sources)
    return run_ingest(docs, settings.corpus_cache, settings.data_dir, embeddings_for(settings), progress=False)


def _edit_manifest_sha(settings, file: str) -> None:
    new_sha = hashlib.sha256((settings.corpus_mirror / file).read_bytes()).hexdigest()
    text = settings.sources.read_text()
    docs = {d.file: d.sha256 for d in load_manifest(settings.sources)}
    settings.sources.write_text(text.replace(docs[file], new_sha))


def test_second_ingest_of_an_unchanged_corpus_embeds_nothing_and_editing_one_paragraph_embeds_one(tmp_path: Path):
    settings = make_small_corpus(tmp_path)
    sync(load_manifest(settings.sources), settings.corpus_cache, settings.corpus_mirror)
    first = _ingest(settings)
    assert not first.errors and first.documents == 2 and first.passages > 60
    assert first.embedded + first.reused == first.passages

    again = _ingest(settings)
    assert again.unchanged and again.embedded == 0

    paper = settings.corpus_mirror / "decisions" / "pcd-1429.txt"
    paper.write_text(paper.read_text().replace("will be paid in arrears in instalments", "will be paid monthly in arrears"))
    _edit_manifest_sha(settings, "decisions/pcd-1429.txt")
    sync(load_manifest(settings.sources), settings.corpus_cache, settings.corpus_mirror)
    edited = _ingest(settings)
    assert edited.embedded == 1 and edited.passages == first.passages
    index = open_current(settings.data_dir)
    changed = [p for p in index.passages if "paid monthly in arrears" in p.text]
    assert [p.citation for p in changed] == ["PCD 1429 §3.3 (Financial Comments ¶3)"]


def test_a_removed_document_is_deleted_and_a_broken_one_is_reported_while_the_rest_is_indexed(tmp_path: Path):
    settings = make_small_corpus(tmp_path)
    sync(load_manifest(settings.sources), settings.corpus_cache, settings.corpus_mirror)
    _ingest(settings)
    both = settings.sources.read_text()

    settings.sources.write_text(both.split("[[document]]")[1].join(["[[document]]", ""]))
    report = _ingest(settings)
    assert not report.errors and report.documents == 1
    assert {p.doc_id for p in open_current(settings.data_dir).passages} == {"ukpga-2010-15"}

    # Back in the manifest, but broken in the cache: the manifest's sha256 no longer matches it.
    settings.sources.write_text(both)
    (settings.corpus_cache / "decisions" / "pcd-1429.txt").write_bytes(b"\x00\x01garbage")
    report = _ingest(settings)
    assert len(report.errors) == 1 and "decisions/pcd-1429.txt" in report.errors[0]
    assert {p.doc_id for p in open_current(settings.data_dir).passages} == {"ukpga-2010-15"}
    assert IndexLocation(settings.data_dir).current() is not None
