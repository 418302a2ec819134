"""`python -m evals.bench_scale`: the assistant over a decisions archive, from 3,000 to 50,000 passages.

For each size: the shipped corpus plus enough of the synthetic archive (evals/synthetic_archive.py)
to reach about that many passages, indexed by the real `cga ingest` in a data directory of its own
under a work folder (never ./data), then measured:

- ingest: passages/s, wall and CPU seconds, and how many passages were embedded rather than read
  from the cache. The cache (`--cache`, default .cache/bench-scale-embeddings.sqlite) outlives the
  run, so only the first run pays for embedding; its figures are the cold ones.
- the index version's size on disk;
- `cga serve` on that index: answer latency over the JSON API for the questions (practitioner dev,
  then evals/questions.jsonl, 200 in all), then its resident memory (now and at peak) from /proc;
- in this process: search latency (the retrieval answers use) over the same questions, and
  recall@10 on evals/questions.jsonl, which must not fall as the archive grows.

With --chroma-server, each size is indexed again into a real `chroma run` (CGA_CHROMA_URL) and the
server's answers and memory are measured against it, with the Chroma server's own memory beside.
Prints a table; it is not a timed test. Targets on the project's two-core machine (issue 14):
answer p95 ≤ 300 ms at 50,000 passages, ingest ≥ 40 passages/s, `cga serve` ≤ 2 GB.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.accounts.uploads import manifest_entry
from assistant.config import PROJECT_ROOT, Settings
from assistant.library import Library
from evals.bench_ingest import cga, tree_bytes
from evals.bench_load import HOST, free_port, percentile, post_json, start_server, stop
from evals.bench_query import bench
from evals.harness import DEFAULT_SET, PRACTITIONER_DEV, Item, evaluate, load_items
from evals.synthetic_archive import SEED, archive, write_archive
from ingest.corpus import load_manifest, sync
from ingest.parse import parse_document
from ingest.store import IndexLocation

SIZES = (3_000, 30_000, 50_000)
CACHE = PROJECT_ROOT / ".cache" / "bench-scale-embeddings.sqlite"
TARGETS = {"answer_p95_ms": 300.0, "ingest_per_s": 40.0, "serve_rss_mb": 2048.0}
CHROMA = Path(sys.executable).with_name("chroma")


@dataclass
class Served:
    """What one `cga serve` did: answer latency over the API and its memory afterwards."""

    answer_p50_ms: float
    answer_p95_ms: float
    errors: int
    rss_mb: float
    peak_rss_mb: float
    chroma_rss_mb: float = 0.0  # the `chroma run` process, when the vectors are there


@dataclass
class Row:
    size: int
    passages: int
    documents: int
    embedded: int
    reused: int  # embeddings read from the cache
    ingest_seconds: float
    ingest_cpu_seconds: float
    index_mb: float
    search_p50_ms: float
    search_p95_ms: float
    recall_at_10: float
    served: Served
    on_chroma_server: Served | None = None

    @property
    def per_second(self) -> float:
        return self.passages / self.ingest_seconds

    @property
    def embedded_per_second(self) -> float:
        """New texts embedded per wall second: the cold rate of the synthetic papers (one text a
        passage) when the smaller sizes' embeddings came from the cache."""
        return self.embedded / self.ingest_seconds


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident and peak resident memory of a process, from /proc, in MB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def questions(count: int) -> list[Item]:
    """The practitioners' dev questions, then the regression set's, `count` in all."""
    return (load_items(PRACTITIONER_DEV) + load_items(DEFAULT_SET))[:count]


def shipped_passages(settings: Settings, corpus: Path) -> int:
    docs = load_manifest(settings.sources)
    return sum(len(parse_document((corpus / d.file).read_bytes(), d, settings.read_options)) for d in docs)


def prepare(work: Path, settings: Settings) -> tuple[Path, int]:
    """The work folder's corpus (the shipped documents, synced from the mirror) and its passage count."""
    corpus = work / "corpus"
    failed = [r for r in sync(load_manifest(settings.sources), corpus, settings.corpus_mirror) if r.status == "error"]
    if failed:
        raise SystemExit(f"bench_scale: corpus sync failed: {'; '.join(r.detail for r in failed)}")
    return corpus, shipped_passages(settings, corpus)


def data_dir_for(work: Path, name: str, corpus: Path, cache: Path, settings: Settings, synthetic: str) -> Path:
    """A data directory whose manifest is the shipped one plus the synthetic entries; its corpus and
    embedding cache are links to the shared ones, so every size reads one copy and fills one cache."""
    data_dir = work / name
    data_dir.mkdir(parents=True, exist_ok=True)
    for link, target in ((data_dir / "corpus", corpus), (data_dir / "embeddings.sqlite", cache)):
        if not link.is_symlink():
            link.symlink_to(target)
    (data_dir / "sources.toml").write_text(settings.sources.read_text(encoding="utf-8") + synthetic, encoding="utf-8")
    return data_dir


def ingest(data_dir: Path, chroma_url: str = "") -> tuple[float, dict]:
    env = dict(os.environ) | {"CGA_DATA_DIR": str(data_dir), "CGA_SOURCES": str(data_dir / "sources.toml")}
    if chroma_url:
        env["CGA_CHROMA_URL"] = chroma_url
    return cga(["ingest", "--quiet", "--json"], env)


def serve_and_ask(data_dir: Path, items: list[Item], chroma_url: str = "", chroma_pid: int = 0) -> Served:
    """Start the real `cga serve` on the index, ask every question through the API one at a time, read
    its memory, stop it."""
    port = free_port()
    log = data_dir / f"serve-{port}.log"
    env = {"CGA_CHROMA_URL": chroma_url} if chroma_url else {}
    server = start_server(data_dir, port, log, wait=600, env=env)
    url = f"http://{HOST}:{port}/api/ask"
    try:
        post_json(url, {"question": "warm-up: what is a contracting authority?"}, 120)
        latencies, errors = [], 0
        for item in items:
            body = {"question": item.question} | ({"as_at": item.as_at} if item.as_at else {})
            started = time.perf_counter()
            status, _ = post_json(url, body, 120)
            latencies.append((time.perf_counter() - started) * 1000)
            errors += status != 200
        rss, peak = memory_mb(server.pid)
    finally:
        stop(server)
    return Served(percentile(latencies, 0.5), percentile(latencies, 0.95), errors, rss, peak,
                  memory_mb(chroma_pid)[0] if chroma_pid else 0.0)


def measure_in_process(data_dir: Path, items: list[Item]) -> tuple[float, float, float]:
    """Search latency over the questions and recall@10 on the regression set, with the library in this process."""
    library = Library(Settings.from_env(dict(os.environ) | {"CGA_DATA_DIR": str(data_dir)}))
    library.retriever.search("warm-up", k=1)
    search = bench(library, items, "hybrid+lanes")
    recall = evaluate(library, load_items(DEFAULT_SET))["recall@10"]
    library.snapshot().index.close()
    return search["p50_ms"], search["p95_ms"], recall


@contextmanager
def chroma_server(folder: Path) -> Iterator[tuple[str, int]]:
    """A real `chroma run` on a free loopback port: its URL and process id."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    with (folder / "chroma.log").open("w") as log:
        process = subprocess.Popen([str(CHROMA), "run", "--path", str(folder / "chroma"), "--host", HOST,
                                    "--port", str(port)], stdout=log, stderr=subprocess.STDOUT,
                                   env=dict(os.environ) | {"ANONYMIZED_TELEMETRY": "False"})
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"bench_scale: chroma run did not start:\n{(folder / 'chroma.log').read_text()}")
                time.sleep(0.3)
        yield url, process.pid
    finally:
        stop(process)


def measure(size: int, work: Path, corpus: Path, shipped: int, cache: Path, settings: Settings, items: list[Item],
            chroma: tuple[str, int] | None) -> Row:
    documents = write_archive(corpus, archive(size - shipped, SEED))
    synthetic = "".join(manifest_entry(d) for d in documents)
    data_dir = data_dir_for(work, f"index-{size}", corpus, cache, settings, synthetic)
    seconds, report = ingest(data_dir)
    version = IndexLocation(data_dir).current()
    assert version is not None
    served = serve_and_ask(data_dir, items)
    search_p50, search_p95, recall = measure_in_process(data_dir, items)
    row = Row(size, report["passages"], report["documents"], report["embedded"], report["reused"], seconds,
              report["cpu_seconds"],
              tree_bytes(version) / 1e6, search_p50, search_p95, recall, served)
    if chroma is not None:
        url, pid = chroma
        on_server = data_dir_for(work, f"index-{size}-chroma-server", corpus, cache, settings, synthetic)
        ingest(on_server, url)
        row.on_chroma_server = serve_and_ask(on_server, items, url, pid)
    return row


def verdict(value: float, target: float, most: bool = True) -> str:
    return "ok" if (value <= target if most else value >= target) else "MISSED"


def print_row(row: Row) -> None:
    s = row.served
    print(f"{row.passages:>8,} {row.documents:>5,} {row.per_second:>7.1f} {row.ingest_seconds:>7.0f} "
          f"{row.ingest_cpu_seconds:>7.0f} {row.embedded:>8,} {row.index_mb:>7.0f} {s.rss_mb:>6.0f}/{s.peak_rss_mb:<6.0f}"
          f" {row.search_p50_ms:>5.0f}/{row.search_p95_ms:<5.0f} {s.answer_p50_ms:>5.0f}/{s.answer_p95_ms:<5.0f}"
          f" {row.recall_at_10:>7.3f}", flush=True)
    if c := row.on_chroma_server:
        print(f"{'':>8}  with chroma run: answer p50/p95 {c.answer_p50_ms:.0f}/{c.answer_p95_ms:.0f} ms, "
              f"cga serve {c.rss_mb:.0f} MB (peak {c.peak_rss_mb:.0f}), chroma run {c.chroma_rss_mb:.0f} MB, "
              f"{c.errors} errors", flush=True)


def print_targets(rows: list[Row]) -> None:
    largest = max(rows, key=lambda r: r.passages)
    answers = [("embedded Chroma", largest.served)] + ([("chroma run", largest.on_chroma_server)]
                                                      if largest.on_chroma_server else [])
    for where, served in answers:
        print(f"answer p95 at {largest.passages:,} passages ({where}) {served.answer_p95_ms:.0f} ms, target ≤ "
              f"{TARGETS['answer_p95_ms']:g}: {verdict(served.answer_p95_ms, TARGETS['answer_p95_ms'])}")
    for row in rows:
        if not row.embedded:
            print(f"ingest at {row.passages:,} passages: every embedding came from the cache, not a cold rate")
            continue
        rate = row.per_second if not row.reused else row.embedded_per_second
        what = ("passages/s, cold" if not row.reused
                else f"new passages/s ({row.embedded:,} embedded, {row.reused:,} from the cache)")
        print(f"ingest at {row.passages:,} passages: {rate:.1f} {what}, target ≥ {TARGETS['ingest_per_s']:g}: "
              f"{verdict(rate, TARGETS['ingest_per_s'], most=False)}")
    peak = max(r.served.peak_rss_mb for r in rows)
    print(f"cga serve peak memory {peak:.0f} MB, target ≤ {TARGETS['serve_rss_mb']:g}: "
          f"{verdict(peak, TARGETS['serve_rss_mb'])}")
    recalls = [r.recall_at_10 for r in sorted(rows, key=lambda r: r.passages)]
    held = all(later >= recalls[0] for later in recalls)
    print(f"recall@10 on {DEFAULT_SET.name}: {' → '.join(f'{r:.3f}' for r in recalls)} "
          f"({'held' if held else 'FELL'} as the archive grew)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="passages per index, comma-separated; the shipped corpus is the floor")
    parser.add_argument("--questions", type=int, default=200, help="questions asked for latency")
    parser.add_argument("--cache", type=Path, default=CACHE, help="the embedding cache, kept between runs")
    parser.add_argument("--chroma-server", action="store_true",
                        help="also index each size into a real `chroma run` and measure the answers against it")
    parser.add_argument("--work-dir", type=Path, help="where the indexes are built (default: a new temporary folder)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    parser.add_argument("--json-out", type=Path, help="write the figures as JSON")
    args = parser.parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(","))

    settings = Settings.from_env()
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="cga-bench-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    args.cache.parent.mkdir(parents=True, exist_ok=True)
    items = questions(args.questions)
    rows: list[Row] = []
    try:
        corpus, shipped = prepare(work, settings)
        print(f"shipped corpus {shipped:,} passages; {len(items)} questions for latency; work folder {work}; "
              f"embedding cache {args.cache}")
        print(f"{'passages':>8} {'docs':>5} {'pass/s':>7} {'wall s':>7} {'CPU s':>7} {'embedded':>8} "
              f"{'idx MB':>7} {'RSS/peak MB':>13} {'search ms':>11} {'answer ms':>11} {'rec@10':>7}")
        with chroma_server(work) if args.chroma_server else nullcontext() as chroma:
            for size in sizes:
                rows.append(measure(size, work, corpus, shipped, args.cache, settings, items, chroma))
                print_row(rows[-1])
        print_targets(rows)
        if args.json_out:
            args.json_out.write_text(json.dumps([asdict(r) | {"per_second": r.per_second} for r in rows], indent=1))
    finally:
        if args.keep or args.work_dir:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
