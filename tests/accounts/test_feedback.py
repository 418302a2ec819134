"""Feedback on real answers: stored in SQLite with question, answer and citations; exported as CSV."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys

import pytest

from assistant.accounts.feedback import (
    CSV_COLUMNS,
    MAX_COMMENT_CHARS,
    Feedback,
    FeedbackStore,
    feedback_path,
)
from assistant.answering.records import Conversation

STANDSTILL = "What is the mandatory standstill period under the Procurement Act 2023?"


@pytest.fixture(scope="module")
def answers(library):
    conversation = Conversation()
    answered = library.ask(STANDSTILL, conversation=conversation)
    refused = library.ask("What is the capital of France?", conversation=Conversation())
    return answered, refused


def test_feedback_keeps_question_answer_and_citations(tmp_path, answers):
    answered, refused = answers
    store = FeedbackStore(feedback_path(tmp_path))
    store.add(Feedback.on(answered, helpful=True, comment="  clear and cited  ", user="alice", index_version="v1"))
    store.add(Feedback.on(refused, helpful=False))
    store.close()

    items = FeedbackStore(feedback_path(tmp_path)).all()  # reopened: it is on disk
    assert [i.helpful for i in items] == [True, False]
    first, second = items
    assert first.question == STANDSTILL and first.answer == answered.text
    assert first.comment == "clear and cited" and first.user == "alice" and first.index_version == "v1"
    assert [c["citation"] for c in first.citations] == [c.citation for c in answered.citations]
    assert second.refused and second.citations == [
        {"n": str(c.n), "citation": c.citation, "passage_id": c.passage_id, "version_date": c.version_date}
        for c in refused.related]


def test_csv_export_has_one_row_per_feedback_and_defuses_formulas(tmp_path, answers):
    answered, _ = answers
    store = FeedbackStore(feedback_path(tmp_path))
    store.add(Feedback.on(answered, helpful=False, comment="=HYPERLINK(\"http://example.invalid\")"))
    store.add(Feedback.on(answered, helpful=True, comment="line one\nline two, with a comma"))
    rows = list(csv.DictReader(io.StringIO(store.to_csv())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["helpful"] for r in rows] == ["no", "yes"]
    assert rows[0]["comment"].startswith("'=")  # a spreadsheet shows it as text, never runs it
    assert rows[1]["comment"] == "line one\nline two, with a comma"
    assert answered.citations[0].citation in rows[0]["citations"]
    assert rows[0]["question"] == STANDSTILL


def test_overlong_comment_is_refused_naming_the_field(answers):
    with pytest.raises(ValueError, match="comment"):
        Feedback.on(answers[0], helpful=True, comment="x" * (MAX_COMMENT_CHARS + 1))


def test_cga_feedback_export_writes_csv(tmp_path, answers):
    store = FeedbackStore(feedback_path(tmp_path))
    store.add(Feedback.on(answers[0], helpful=True, comment="useful"))
    store.close()
    out = tmp_path / "feedback.csv"
    env = {**os.environ, "CGA_DATA_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "assistant.cli", "feedback", "export", "--out", str(out)],
                         env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    assert "1 feedback record" in run.stderr
    rows = list(csv.DictReader(out.open(encoding="utf-8", newline="")))
    assert len(rows) == 1 and rows[0]["comment"] == "useful"


def test_cga_feedback_export_without_feedback_says_so(tmp_path):
    env = {**os.environ, "CGA_DATA_DIR": str(tmp_path)}
    run = subprocess.run([sys.executable, "-m", "assistant.cli", "feedback", "export"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode != 0 and "no feedback yet" in run.stderr
