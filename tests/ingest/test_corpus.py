"""The manifest and corpus sync: from a mirror, by download from a local HTTP server, with sha256 checks."""

from __future__ import annotations

import functools
import http.server
import threading
import tomllib
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from ingest.corpus import ManifestError, load_manifest, sync
from tests.small_corpus import MIRROR
from tests.small_corpus import make_small_corpus


def test_the_shipped_manifest_lists_every_mirrored_document_with_its_sha256():
    docs = load_manifest(PROJECT_ROOT / "corpus" / "sources.toml")
    assert {d.short for d in docs} == {"PA 2023", "PR 2024", "PCR 2015", "SI 2024/716", "SI 2021/1221", "SI 2023/1117",
                                       "PPO 2023", "PRSRA 2011", "EA 2010", "PCD 1429"}
    for doc in docs:
        assert (MIRROR / doc.file).exists(), doc.file
        assert len(doc.sha256) == 64 and doc.source_url.startswith("https://www.")
        assert doc.kind in ("legislation", "decision") and doc.access == "public"


@pytest.mark.parametrize("entry, message", [
    ('[[document]]\nid = "x"\ntitle = "X"\nshort = "X"\nkind = "poem"\nfile = "x.md"\n', "field 'kind' is 'poem'"),
    ('[[document]]\nid = "x"\ntitle = "X"\nkind = "legislation"\nfile = "x.md"\n', "field 'short' is missing"),
    ('[[document]]\nid = "x"\ntitle = "X"\nshort = "X"\nkind = "decision"\nfile = "x.md"\naccess = "secret"\n',
     "field 'access' is 'secret'"),
    ('[[document]]\nid = "x"\ntitle = "X"\nshort = "X"\nkind = "decision"\nfile = "x.md"\ncolour = "red"\n',
     "unknown field(s) colour"),
    ("[[document]\n", "not valid TOML"),
])
def test_a_bad_manifest_names_the_file_entry_and_field(tmp_path: Path, entry: str, message: str):
    path = tmp_path / "sources.toml"
    path.write_text(entry)
    with pytest.raises(ManifestError) as caught:
        load_manifest(path)
    assert message in str(caught.value) and str(path) in str(caught.value)


def test_sync_copies_from_the_mirror_then_finds_the_cache_up_to_date(tmp_path: Path):
    settings = make_small_corpus(tmp_path)
    docs = load_manifest(settings.sources)
    first = sync(docs, settings.corpus_cache, settings.corpus_mirror)
    assert [r.status for r in first] == ["copied", "copied"]
    second = sync(docs, settings.corpus_cache, settings.corpus_mirror)
    assert [r.status for r in second] == ["ok", "ok"]


def test_a_mismatching_or_missing_file_gets_a_clear_error_and_others_still_sync(tmp_path: Path):
    settings = make_small_corpus(tmp_path)
    (settings.corpus_mirror / "decisions" / "pcd-1429.txt").write_text("tampered")
    docs = load_manifest(settings.sources)
    results = {r.doc_id: r for r in sync(docs, settings.corpus_cache, settings.corpus_mirror)}
    assert results["ukpga-2010-15"].status == "copied"
    assert results["pcd-1429"].status == "error" and "sha256 mismatch" in results["pcd-1429"].detail
    assert not (settings.corpus_cache / "decisions" / "pcd-1429.txt").exists()
    (settings.corpus_mirror / "decisions" / "pcd-1429.txt").unlink()
    missing = {r.doc_id: r for r in sync(docs, settings.corpus_cache, settings.corpus_mirror)}["pcd-1429"]
    assert missing.status == "error" and "not in the mirror folder" in missing.detail


def test_without_a_mirror_each_file_is_downloaded_from_its_recorded_url(tmp_path: Path):
    """The public download path, exercised against a local HTTP server serving a copy of the mirror."""
    served = tmp_path / "served"
    make_small_corpus(served)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served / "mirror"))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        settings = make_small_corpus(tmp_path / "client", download_base=f"http://127.0.0.1:{server.server_port}")
        docs = load_manifest(settings.sources)
        assert all(d.download_url.startswith("http://127.0.0.1:") for d in docs)
        results = sync(docs, settings.corpus_cache, mirror=None)
        assert [r.status for r in results] == ["downloaded", "downloaded"]
        for doc in docs:
            assert (settings.corpus_cache / doc.file).read_bytes() == (served / "mirror" / doc.file).read_bytes()
    finally:
        server.shutdown()


def test_the_legislation_download_urls_name_the_provenance_commits():
    provenance = {}
    for line in (MIRROR / "legislation" / "PROVENANCE.tsv").read_text().splitlines()[1:]:
        file, repo, path, commit, *_ = line.split("\t")
        provenance[file] = f"https://raw.githubusercontent.com/{repo}/{commit}/{path}"
    manifest = tomllib.loads((PROJECT_ROOT / "corpus" / "sources.toml").read_text())
    for entry in manifest["document"]:
        if entry["kind"] == "legislation":
            assert entry["download_url"] == provenance[Path(entry["file"]).name]


def test_a_manifest_entry_without_a_version_date_loads_as_undated(tmp_path: Path):
    path = tmp_path / "sources.toml"
    path.write_text('[[document]]\nid = "g"\ntitle = "Guide"\nshort = "Guide"\nkind = "guidance"\nfile = "g.md"\n')
    assert load_manifest(path)[0].version_date == ""
