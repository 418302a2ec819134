"""The answer pipeline's steps: a step can stop the run, and one question reads one index version."""

from __future__ import annotations

from assistant.answering.pipeline import STEPS, run_pipeline


def test_the_steps_run_in_the_documented_order():
    assert [s.__name__ for s in STEPS] == ["resolve_follow_up", "choose_regime", "route", "retrieve", "refuse",
                                          "compose", "write_prose", "check"]


def test_an_advisor_answer_stops_before_any_search(library):
    ctx = run_pipeline(library, "We're MOPAC and want to buy £500k of victim support services. Which route applies?")
    assert ctx.answer.route == "advisor" and ctx.stopped
    assert ctx.result is None and list(ctx.timings_ms) == ["resolve_follow_up", "choose_regime", "route"]


def test_a_refusal_stops_after_the_search_with_its_reason(library):
    ctx = run_pipeline(library, "What is the capital of France?")
    assert ctx.answer.refused and ctx.stopped and ctx.answer.refusal_reason
    assert list(ctx.timings_ms)[-1] == "refuse"


def test_an_answer_runs_every_step(library):
    ctx = run_pipeline(library, "What must a contract award notice contain?")
    assert not ctx.stopped and list(ctx.timings_ms) == [s.__name__ for s in STEPS]


def test_one_question_reads_one_snapshot_of_the_index(library):
    sources = library.snapshot()
    assert library.snapshot() is sources  # until the index switches, the same snapshot serves
    ctx = run_pipeline(sources, "How long is the standstill period?")
    assert all(c.passage_id in sources.index.by_id for c in ctx.answer.citations)
