"""The eval harness on the real index: the metrics CI holds the method to, and the schema it accepts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals.harness import (
    DEFAULT_SET,
    PRACTITIONER_HOLDOUT,
    PRACTITIONER_TEST,
    QuestionSetError,
    below_floors,
    evaluate,
    floors_for,
    load_items,
)


@pytest.fixture(scope="module")
def metrics(library):
    return evaluate(library, load_items(DEFAULT_SET))


@pytest.mark.parametrize("question_set", [DEFAULT_SET, PRACTITIONER_TEST, PRACTITIONER_HOLDOUT], ids=lambda p: p.name)
def test_each_question_set_meets_its_floors(library, question_set: Path, metrics):
    result = metrics if question_set == DEFAULT_SET else evaluate(library, load_items(question_set))
    summary = {k: v for k, v in result.items() if k != "items"}
    print(json.dumps(summary, indent=1))
    assert below_floors(result, floors_for(question_set)) == [], summary


def test_metrics_have_the_documented_keys_and_per_item_detail(metrics):
    assert set(metrics) >= {"n", "recall@1", "recall@5", "recall@10", "mrr", "fact_coverage", "quote_exactness",
                            "dangling_citations", "refusal_precision", "refusal_recall", "latency_ms", "items"}
    assert metrics["n"] == len(metrics["items"]) >= 60
    item = metrics["items"][0]
    assert set(item) >= {"id", "hits", "refused", "missing_facts", "gold_ranks"}


def test_any_file_in_the_schema_works_and_a_bad_one_is_named(tmp_path: Path, library):
    mine = tmp_path / "mine.jsonl"
    mine.write_text(json.dumps({"id": "a", "question": "How long is the mandatory standstill period?",
                                "gold": [{"doc": "ukpga-2023-54", "provision": "s.51(2)"}],
                                "facts": ["eight working days"]}) + "\n"
                    + json.dumps({"id": "b", "question": "What is the capital of France?", "gold": [], "refuse": True}) + "\n")
    result = evaluate(library, load_items(mine))
    assert result["n"] == 2 and result["recall@10"] == 1.0 and result["refusal_recall"] == 1.0
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "q", "gold": [{"doc": "d", "provision": "section fifty"}]}\n')
    with pytest.raises(QuestionSetError, match=r"bad.jsonl:1: gold entry"):
        load_items(bad)
