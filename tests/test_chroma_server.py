"""The index on a real Chroma server (`chroma run` on a loopback port), as several workers would use it.

The same small corpus and role checks as tests/test_access.py run against the server; builds put
each version's vectors in a collection of their own, pruning deletes the old ones, and a second
process (`cga search`) reads the same index through the same server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assistant.config import PROJECT_ROOT, Settings
from assistant.library import ChromaUnreachable, IndexMissing, Library, chroma_client
from ingest.store import KEEP_VERSIONS, IndexLocation, server_collection
from tests.accounts.test_access import (
    PART_TWO_PHRASE,
    build_index,
    check_answers,
    check_search,
    write_corpus,
)
from tests.web.test_api import free_port

CHROMA = Path(sys.executable).with_name("chroma")


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    with (folder / "server.log").open("w") as log:
        server = subprocess.Popen([str(CHROMA), "run", "--path", str(folder / "db"), "--host", "127.0.0.1",
                                   "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                                  env={**os.environ, "ANONYMIZED_TELEMETRY": "False"})
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(f"{url}/api/v2/heartbeat", timeout=1).raise_for_status()
            break
        except httpx.HTTPError:
            log_text = (folder / "server.log").read_text(errors="replace")
            assert server.poll() is None and time.monotonic() < deadline, f"chroma run did not start:\n{log_text}"
            time.sleep(0.2)
    yield url
    server.terminate()
    server.wait(timeout=30)


@pytest.fixture(scope="module")
def corpus(chroma_url, tmp_path_factory) -> Settings:
    settings = write_corpus(tmp_path_factory.mktemp("server-corpus"), chroma_url)
    build_index(settings)
    return settings


def test_vectors_are_on_the_server_and_the_rest_in_the_version_dir(corpus):
    library = Library(corpus)
    version = library.index.version_dir
    assert not (version / "chroma").exists()
    assert (version / "passages.jsonl").exists() and (version / "bm25").is_dir()
    collection = chroma_client(corpus).get_collection(server_collection(version.name))
    assert collection.count() == len(library.index.passages)
    state = json.loads((version / "state.json").read_text())
    assert state["vectors"] == f"chroma server 127.0.0.1:{corpus.chroma_url.rsplit(':', 1)[1]}"


def test_search_keeps_to_each_role_on_the_server(corpus):
    check_search(Library(corpus))


def test_answers_keep_to_each_role_on_the_server(corpus):
    check_answers(Library(corpus))


def test_another_process_reads_the_same_index_and_rebuilds_prune_old_collections(corpus):
    env = {**os.environ, "CGA_DATA_DIR": str(corpus.data_dir), "CGA_SOURCES": str(corpus.sources),
           "CGA_CHROMA_URL": corpus.chroma_url}
    search = [str(Path(sys.executable).with_name("cga")), "search", "preferred bidder's price", "--json"]
    worker = Library(corpus)
    first = worker.index.version
    for _ in range(KEEP_VERSIONS):
        build_index(corpus, force=True)
    versions = sorted(p.name for p in IndexLocation(corpus.data_dir).versions.iterdir())
    assert len(versions) == KEEP_VERSIONS and first not in versions
    names = {c.name for c in chroma_client(corpus).list_collections()}
    assert {server_collection(v) for v in versions} <= names and server_collection(first) not in names
    # A worker switches to the new version at its next question; another process opens it too.
    hits = worker.retriever.search("preferred bidder's price")
    assert worker.index.version == IndexLocation(corpus.data_dir).current().name
    done = subprocess.run(search, env=env, capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr
    assert [h["passage_id"] for h in json.loads(done.stdout)] == [h.passage.passage_id for h in hits]
    assert PART_TWO_PHRASE in done.stdout  # the CLI's operator searches everything


def test_moving_between_embedded_and_server_rebuilds_with_a_clear_message(chroma_url, tmp_path):
    embedded = write_corpus(tmp_path)
    build_index(embedded)
    on_server = write_corpus(tmp_path, chroma_url)
    with pytest.raises(IndexMissing, match="built without a Chroma server; run `cga ingest --force`"):
        Library(on_server)
    report = build_index(on_server)
    assert not report.unchanged and Library(on_server).index.version == report.version
    with pytest.raises(IndexMissing, match="keeps its vectors on a Chroma server"):
        Library(embedded)


def test_an_unreachable_server_is_named(corpus, tmp_path):
    dead = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ChromaUnreachable, match=f"CGA_CHROMA_URL={dead}: the Chroma server does not answer"):
        chroma_client(Settings.from_env({"CGA_CHROMA_URL": dead, "CGA_DATA_DIR": str(tmp_path)}))
    env = {**os.environ, "CGA_DATA_DIR": str(corpus.data_dir), "CGA_SOURCES": str(corpus.sources),
           "CGA_CHROMA_URL": dead}
    done = subprocess.run([str(Path(sys.executable).with_name("cga")), "ingest", "--quiet"], env=env,
                          capture_output=True, text=True, timeout=300, cwd=PROJECT_ROOT)
    assert done.returncode == 2 and f"CGA_CHROMA_URL={dead}" in done.stderr


# Each builds indexes or runs servers of its own: left out of `make test-fast`.
pytestmark = pytest.mark.slow
