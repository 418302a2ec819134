"""`python -m evals.bench_query`: retrieval modes side by side on the eval set, with answer latency.

Dense only, BM25 only, hybrid (fused), and hybrid with lanes, references and rule passages (what
answers use): recall@10 and MRR at requirement level, and p50/p95 latency of retrieval and of the
whole answer path. Prints figures; it is not a timed test.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from assistant.answering.context import Context
from assistant.answering.pipeline import (
    choose_regime,
    resolve_follow_up,
    retrieve,
    run_pipeline,
)
from assistant.answering.records import Conversation
from assistant.answering.retrieve import MODES, SearchFilters
from assistant.config import Settings
from assistant.library import open_library
from evals.harness import DEFAULT_SET, gold_rank, load_items


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench(library, items, mode: str) -> dict[str, float]:
    ranks, latencies = [], []
    for item in items:
        ctx = Context(question=item.question, conversation=Conversation(), as_at=item.as_at)
        resolve_follow_up(library, ctx)
        choose_regime(library, ctx)
        started = time.perf_counter()
        if mode == "hybrid+lanes":
            retrieve(library, ctx)
            hits = ctx.result.hits
        else:
            hits = library.retriever.search(ctx.resolved_question, k=10, mode=mode,
                                            filters=SearchFilters(regime=ctx.regime.name))
        latencies.append((time.perf_counter() - started) * 1000)
        ranks += [gold_rank(g, [h.passage for h in hits]) for g in item.gold]
    n = len(ranks) or 1
    return {"recall@10": sum(r is not None for r in ranks) / n, "mrr": sum(1 / r for r in ranks if r) / n,
            "p50_ms": statistics.median(latencies), "p95_ms": _percentile(latencies, 0.95)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=str(DEFAULT_SET))
    args = parser.parse_args()
    library = open_library(Settings.from_env())
    items = load_items(Path(args.set))
    answerable = [i for i in items if not i.refuse]
    library.retriever.search("warm-up", k=1)
    print(f"{len(answerable)} answerable questions, {sum(len(i.gold) for i in answerable)} gold provisions")
    print(f"{'mode':<14} {'recall@10':>9} {'MRR':>7} {'p50 ms':>8} {'p95 ms':>8}")
    for mode in MODES:
        r = bench(library, answerable, mode)
        print(f"{mode:<14} {r['recall@10']:>9.3f} {r['mrr']:>7.3f} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f}")
    answer_ms = []
    for item in items:
        started = time.perf_counter()
        run_pipeline(library, item.question, as_at=item.as_at)
        answer_ms.append((time.perf_counter() - started) * 1000)
    print(f"answer (all {len(items)} questions): p50 {statistics.median(answer_ms):.1f} ms, "
          f"p95 {_percentile(answer_ms, 0.95):.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
