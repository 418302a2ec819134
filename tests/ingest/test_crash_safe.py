"""A re-index killed with SIGKILL at any stage leaves the previous index serving, and the next one completes.

A driver process runs the real `run_ingest` and, at the chosen stage, prints it and sleeps; the
test then kills it with SIGKILL. Stages: after parsing, after embedding, after the Chroma write
(before CURRENT switches), and in the middle of the embedding cache's SQLite transaction.
"""

from __future__ import annotations

import os
import selectors
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.library import Library, embeddings_for
from ingest.corpus import load_manifest, sync
from ingest.pipeline import run_ingest
from ingest.store import IndexLocation, open_current
from tests.small_corpus import make_small_corpus, manifest_entry
from tests.ingest.test_hostile_input import env_for, run_cga

QUERIES = ["public sector equality duty due regard", "who approves the recommissioning support contract"]
NEW_PARAGRAPHS = 40
DRIVER = """
import sys, time
from assistant.config import Settings
from assistant.library import embeddings_for
from ingest.corpus import load_manifest
from ingest.pipeline import run_ingest

stop_at = sys.argv[1]
settings = Settings.from_env()
embeddings = embeddings_for(settings)
inserts = 0


def pause(stage):
    print(stage, flush=True)
    if stage == stop_at:
        time.sleep(600)


def on_sql(statement):
    # Called by SQLite as each statement runs: the second INSERT is inside the open transaction,
    # after the first row was written to it.
    global inserts
    if statement.lstrip().upper().startswith("INSERT"):
        inserts += 1
        if inserts == 2:
            pause("cache-write")


embeddings._db.set_trace_callback(on_sql)
report = run_ingest(load_manifest(settings.sources), settings.corpus_cache, settings.data_dir, embeddings,
                    progress=False, checkpoint=pause, options=settings.read_options)
print("done", report.version, flush=True)
"""


def cache_rows(settings: Settings) -> int:
    with sqlite3.connect(settings.embedding_cache) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        return db.execute("SELECT count(*) FROM embedding").fetchone()[0]


def ranked(library: Library) -> list[list[str]]:
    return [[h.passage.passage_id for h in library.retriever.search(q, k=5)] for q in QUERIES]


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory):
    """A small corpus indexed once (version A), then grown by one new document not yet indexed."""
    root = tmp_path_factory.mktemp("crash-template")
    settings = make_small_corpus(root)
    docs = load_manifest(settings.sources)
    sync(docs, settings.corpus_cache, settings.corpus_mirror)
    first = run_ingest(docs, settings.corpus_cache, settings.data_dir, embeddings_for(settings), progress=False)
    assert not first.errors
    answers = ranked(Library(settings))

    notes = "\n\n".join(f"Contract management note {i}: review key performance indicator {i} every quarter."
                        for i in range(1, NEW_PARAGRAPHS + 1))
    (settings.corpus_mirror / "guidance").mkdir()
    (settings.corpus_mirror / "guidance" / "kpi-notes.md").write_text(f"# KPI notes\n\n{notes}\n")
    with settings.sources.open("a") as fh:
        fh.write(manifest_entry("kpi-notes", "guidance/kpi-notes.md", "KPI notes", "KPI", "guidance", "2024-05-01", ""))
    sync(load_manifest(settings.sources), settings.corpus_cache, settings.corpus_mirror)
    return root, first.version, answers


def copy_of(template, tmp_path: Path) -> Settings:
    """Settings for a fresh copy of the template's mirror, manifest and data dir."""
    copy = shutil.copytree(template[0], tmp_path / "copy")
    return Settings.from_env({k: v for k, v in os.environ.items() if not k.startswith("CGA_")} | {
        "CGA_DATA_DIR": str(copy / "data"), "CGA_SOURCES": str(copy / "sources.toml"),
        "CGA_CORPUS_MIRROR": str(copy / "mirror")})


def start_driver(settings: Settings, stage: str, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-c", DRIVER, stage], cwd=PROJECT_ROOT, env=env_for(settings),
                            stdout=subprocess.PIPE, stderr=log.open("w"), text=True)


def wait_for(process: subprocess.Popen[str], stage: str, log: Path, timeout: float = 600) -> list[str]:
    """The stages the driver printed, up to and including `stage`."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while stage not in seen:
            if not selector.select(timeout=max(0.0, deadline - time.monotonic())):
                process.kill()
                pytest.fail(f"the driver did not reach {stage!r} in {timeout} s; printed {seen}")
            line = process.stdout.readline()
            if not line:
                pytest.fail(f"the driver ended before {stage!r} (printed {seen}): {log.read_text()[-2000:]}")
            seen.append(line.strip())
    return seen


def kill(process: subprocess.Popen[str]) -> None:
    os.kill(process.pid, signal.SIGKILL)
    assert process.wait(timeout=30) == -signal.SIGKILL
    process.stdout.close()


@pytest.mark.parametrize("stage, printed_before", [
    ("cache-write", ["parsed"]),
    ("parsed", []),
    ("embedded", ["parsed", "cache-write"]),
    ("written", ["parsed", "cache-write", "embedded"]),
])
def test_a_killed_build_leaves_the_previous_index_and_the_next_one_completes(template, tmp_path, stage, printed_before):
    _, version_a, answers_a = template
    settings = copy_of(template, tmp_path)
    rows_before = cache_rows(settings)
    driver = start_driver(settings, stage, tmp_path / "driver.log")
    assert wait_for(driver, stage, tmp_path / "driver.log") == [*printed_before, stage]
    reader_during = Library(settings)
    kill(driver)

    location = IndexLocation(settings.data_dir)
    assert location.current().name == version_a
    assert open_current(settings.data_dir).version == version_a
    assert reader_during.index.version == version_a and ranked(reader_during) == answers_a
    assert ranked(Library(settings)) == answers_a
    # The cache survives: a transaction cut short is rolled back, finished ones stay.
    rows = cache_rows(settings)
    embedded_by_the_killed_run = stage in ("embedded", "written")
    assert rows == rows_before + (NEW_PARAGRAPHS if embedded_by_the_killed_run else 0)
    if stage == "written":
        unfinished = [p for p in location.versions.iterdir() if not (p / "complete").exists()]
        assert len(unfinished) == 1 and (unfinished[0] / "chroma").is_dir()

    report = run_ingest(load_manifest(settings.sources), settings.corpus_cache, settings.data_dir,
                        embeddings_for(settings), progress=False)
    assert not report.errors and not report.unchanged
    assert report.embedded == (0 if embedded_by_the_killed_run else NEW_PARAGRAPHS)
    current = location.current()
    assert current.name == report.version != version_a and (current / "complete").exists()
    assert all((p / "complete").exists() for p in location.versions.iterdir()), "a killed build was left behind"
    library = Library(settings)
    assert {p.passage_id for p in library.index.passages} >= {p.passage_id for p in reader_during.index.passages}
    top = library.retriever.search("how often is a key performance indicator reviewed", k=1)[0].passage
    assert top.doc_id == "kpi-notes" and "every quarter" in top.text
    assert cache_rows(settings) == rows_before + NEW_PARAGRAPHS


def test_a_second_ingest_while_one_runs_exits_2_naming_the_data_dir(template, tmp_path):
    settings = copy_of(template, tmp_path)
    driver = start_driver(settings, "parsed", tmp_path / "driver.log")
    try:
        wait_for(driver, "parsed", tmp_path / "driver.log")
        second = run_cga("ingest", "--quiet", env=env_for(settings), timeout=300)
    finally:
        kill(driver)
    assert second.returncode == 2, second.stderr
    assert f"another ingest (pid {driver.pid}) is building the index in {settings.data_dir}" in second.stderr
    assert IndexLocation(settings.data_dir).current().name == template[1]
    # The kernel released the killed holder's lock: the next run goes ahead.
    after = run_cga("ingest", "--quiet", env=env_for(settings), timeout=300)
    assert after.returncode == 0, after.stderr
    assert IndexLocation(settings.data_dir).current().name != template[1]


# Each builds indexes or runs servers of its own: left out of `make test-fast`.
pytestmark = pytest.mark.slow
