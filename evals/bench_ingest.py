"""`python -m evals.bench_ingest`: how long `cga ingest` takes on the shipped corpus, cold and warm.

In a fresh data directory: corpus sync from the mirror, a cold ingest (empty embedding cache, the
model loaded from disk), a warm re-ingest of the unchanged corpus (it should find the index up to
date), and a forced rebuild (every embedding from the cache). Each is the real `cga ingest` in its
own process, so the times include start-up as a user sees it. With --long-pdf N, also the corpus
plus a PDF of N pages, one paragraph a page, ingested with the page limit raised: what
CGA_MAX_PDF_PAGES guards against. Prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from assistant.config import PROJECT_ROOT, Settings
from ingest.store import IndexLocation

TARGETS = {"cold": 120.0, "warm": 5.0}  # seconds, on the project's two-core machine


def cga(args: list[str], env: dict[str, str]) -> tuple[float, dict]:
    """Wall seconds of one `cga` command, and its JSON report (with the CPU seconds it used) when it prints one."""
    cpu_before = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "assistant.cli", *args], cwd=PROJECT_ROOT, env=env,
                          capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"bench_ingest: `cga {' '.join(args)}` exited {done.returncode}:\n{done.stderr[-3000:]}")
    report = json.loads(done.stdout) if "--json" in args else {}
    return seconds, report | {"cpu_seconds": _children_cpu() - cpu_before}


def _children_cpu() -> float:
    # Beside the wall time, so a run slowed by other work on the machine shows as wall well above CPU / cores.
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def verdict(seconds: float, target: float) -> str:
    return f"target ≤ {target:g} s: {'ok' if seconds <= target else 'MISSED'}"


def long_pdf(pages: int) -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    for page in range(1, pages + 1):
        pdf.add_page()
        pdf.multi_cell(0, 5, f"Page {page}. Contracting authorities keep a record of each procurement decision, "
                             f"with the reasons for it, for page {page} of this long guidance document.")
    return bytes(pdf.output())


def bench_long_pdf(pages: int, settings: Settings, env: dict[str, str], rebuild_seconds: float) -> None:
    data = long_pdf(pages)
    file = f"bench/long-{pages}-pages.pdf"
    target = settings.corpus_cache / file
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    manifest = settings.data_dir / "bench-sources.toml"
    manifest.write_text(settings.sources.read_text(encoding="utf-8") + (
        f'\n[[document]]\nid = "bench-long-pdf"\ntitle = "Long guidance"\nshort = "Long"\nkind = "guidance"\n'
        f'version_date = "2024-01-01"\nfile = "{file}"\nsha256 = "{hashlib.sha256(data).hexdigest()}"\n'))
    seconds, report = cga(["ingest", "--quiet", "--json"],
                          env | {"CGA_SOURCES": str(manifest), "CGA_MAX_PDF_PAGES": str(pages)})
    print(f"{pages:,}-page PDF  {seconds:6.1f} s wall for the corpus plus the PDF, {report['embedded']:,} new "
          f"passages embedded: {seconds - rebuild_seconds:.1f} s more than the forced rebuild without it")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary data directory")
    parser.add_argument("--long-pdf", type=int, default=0, metavar="PAGES",
                        help="also ingest a PDF of this many pages (e.g. 2000)")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="cga-bench-ingest-"))
    env = dict(os.environ) | {"CGA_DATA_DIR": str(data_dir)}
    settings = Settings.from_env(env)
    try:
        sync_seconds, _ = cga(["corpus", "sync"], env)
        cold_seconds, cold = cga(["ingest", "--quiet", "--json"], env)
        warm_seconds, warm = cga(["ingest", "--quiet", "--json"], env)
        force_seconds, forced = cga(["ingest", "--quiet", "--json", "--force"], env)
        version = IndexLocation(data_dir).current()
        assert version is not None and warm["unchanged"]

        print(f"corpus        {sync_seconds:6.1f} s to copy {cold['documents']} documents from "
              f"{settings.corpus_mirror or 'their download URLs'}")
        print(f"cold ingest   {cold_seconds:6.1f} s wall ({cold['seconds']:.1f} s in the pipeline, "
              f"{cold['cpu_seconds']:.0f} CPU s on {os.cpu_count()} cores): "
              f"{cold['documents']} documents, {cold['passages']:,} passages, {cold['embedded']:,} embedded, "
              f"{cold['passages'] / cold['seconds']:.1f} passages/s   {verdict(cold_seconds, TARGETS['cold'])}")
        print(f"warm ingest   {warm_seconds:6.1f} s wall ({warm['seconds']:.2f} s in the pipeline, "
              f"{warm['cpu_seconds']:.1f} CPU s): unchanged "
              f"corpus, index up to date   {verdict(warm_seconds, TARGETS['warm'])}")
        print(f"--force       {force_seconds:6.1f} s wall ({forced['seconds']:.1f} s in the pipeline): rebuilt with "
              f"{forced['reused']:,} embeddings from the cache, {forced['embedded']} computed")
        print(f"on disk       index version {tree_bytes(version) / 1e6:.1f} MB, embedding cache "
              f"{settings.embedding_cache.stat().st_size / 1e6:.1f} MB, synced corpus "
              f"{tree_bytes(settings.corpus_cache) / 1e6:.1f} MB")
        if args.long_pdf:
            bench_long_pdf(args.long_pdf, settings, env, force_seconds)
    finally:
        if args.keep:
            print(f"data directory kept: {data_dir}")
        else:
            shutil.rmtree(data_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
