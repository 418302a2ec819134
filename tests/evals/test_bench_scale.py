"""The synthetic decisions archive and `python -m evals.bench_scale`, end to end at a tiny size."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT
from evals.synthetic_archive import MASTHEAD, SEED, archive, make_paper, write_archive
from ingest.parse import parse_document
from ingest.parsers.decisions import RESTRICTED, paper_details
from tests.small_corpus import make_small_corpus

# Kept between runs like the session index's cache, so a rerun embeds nothing.
EMBEDDING_CACHE = PROJECT_ROOT / ".cache" / "test-bench-scale-embeddings.sqlite"


def test_the_same_seed_writes_the_same_archive_and_a_larger_one_starts_with_it(tmp_path: Path) -> None:
    small, large = archive(1_000), archive(3_000)
    assert [p.text() for p in small] == [p.text() for p in archive(1_000)]
    assert [p.text() for p in large[:len(small)]] == [p.text() for p in small]
    assert make_paper(SEED + 1, 0).text() != small[0].text()
    assert sum(p.passages for p in small) >= 1_000 > sum(p.passages for p in small[:-1])
    assert archive(0) == []

    first = write_archive(tmp_path / "a", small)
    again = write_archive(tmp_path / "b", small)
    assert first == again
    assert [(tmp_path / "a" / d.file).read_bytes() for d in first] == [(tmp_path / "b" / d.file).read_bytes()
                                                                       for d in again]


def test_the_decision_parser_reads_every_paper_with_its_reference_title_maker_and_date(tmp_path: Path) -> None:
    papers = archive(4_000)
    documents = write_archive(tmp_path, papers)
    for paper, doc in zip(papers, documents):
        passages = parse_document((tmp_path / doc.file).read_bytes(), doc)
        assert len(passages) == paper.passages, paper.reference
        details = paper_details(passages)
        assert details["reference"] == paper.reference == doc.short
        assert details["title"] == paper.title
        assert details["decision by"] == paper.decision_by
        if paper.signed:
            assert details["date signed"] == f"{paper.signed.day} {paper.signed:%B %Y}"
            assert doc.version_date == paper.signed.isoformat()
        else:
            assert "date signed" not in details and doc.version_date == ""
        restricted = [p for p in passages if p.access == RESTRICTED]
        assert len(restricted) == len(paper.part_two)
        assert all(MASTHEAD not in p.text for p in passages)
        sections = {p.heading_path[1] for p in passages}
        assert {"4. Legal Comments", "8. Equality Comments", "Recommendations"} <= sections


def test_the_archive_varies_like_a_real_one() -> None:
    papers = archive(10_000)
    titles = {p.title.split(" –")[0].split(":")[0] for p in papers}
    years = {p.signed.year for p in papers if p.signed}
    makers = {p.decision_by for p in papers}
    assert len(titles) >= 15 and len(years) >= 8 and len(makers) >= 3
    assert any(p.reference.startswith("PCD ") for p in papers) and any(p.reference.startswith("DMPCD ") for p in papers)
    assert len({p.reference for p in papers}) == len(papers)
    text = "\n".join(p.text() for p in papers).casefold()
    for route in ("regulation 72(1)(a)", "section 41 of the Procurement Act 2023", "regulations 74 to 76",
                  "crime and disorder reduction grants", "section 149(1) of the Equality Act 2010"):
        assert route.casefold() in text


@pytest.mark.slow
def test_bench_scale_prints_its_table_for_a_tiny_archive(tmp_path: Path) -> None:
    settings = make_small_corpus(tmp_path / "small")
    env = dict(os.environ) | {"CGA_SOURCES": str(settings.sources), "CGA_CORPUS_MIRROR": str(settings.corpus_mirror)}
    out = tmp_path / "figures.json"
    done = subprocess.run([sys.executable, "-m", "evals.bench_scale", "--sizes", "300", "--questions", "5",
                           "--cache", str(EMBEDDING_CACHE), "--work-dir", str(tmp_path / "work"),
                           "--json-out", str(out)], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          timeout=900, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "recall@10 on questions.jsonl" in done.stdout and "cga serve peak memory" in done.stdout
    [row] = json.loads(out.read_text())
    assert row["passages"] >= 300 and row["documents"] > 2
    assert row["index_mb"] > 0 and row["ingest_seconds"] > 0 and row["ingest_cpu_seconds"] > 0
    served = row["served"]
    assert served["errors"] == 0 and 0 < served["answer_p50_ms"] <= served["answer_p95_ms"]
    assert 100 < served["rss_mb"] <= served["peak_rss_mb"]
    assert 0 < row["search_p50_ms"] <= row["search_p95_ms"]
    assert 0 <= row["recall_at_10"] <= 1
    # Built in the work folder given, never in the user's data directory.
    assert (tmp_path / "work" / "index-300" / "index" / "CURRENT").exists()
