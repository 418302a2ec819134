"""Cited answers from the real index: verified quotes, refusal, regime, follow-ups, the Answer record."""

from __future__ import annotations

import json
import re

import pytest

from assistant.answering.records import (
    REFUSAL,
    Answer,
    Citation,
    Conversation,
    Statement,
    VerificationError,
)
from assistant.answering.verify import verify
from ingest.textutil import normalise_space


def assert_guarantees(answer: Answer) -> None:
    verify(answer)
    by_n = {c.n: c for c in answer.citations}
    for s in answer.statements:
        assert normalise_space(s.quote) in normalise_space(by_n[s.n].text)
    markers = {int(m) for m in re.findall(r"\[(\d+)\]", answer.text)}
    assert markers == set(by_n)


def test_standstill_answer_quotes_section_51_verbatim_with_markers(library):
    answer = library.ask("What is the mandatory standstill period under the Procurement Act 2023?")
    assert not answer.refused and answer.regime["name"] == "PA 2023"
    assert_guarantees(answer)
    assert any(c.citation.startswith("PA 2023 s.51") for c in answer.citations)
    assert "eight working days" in answer.text
    assert "Procurement Act 2023" in answer.text and "2026-04-01" in answer.text


@pytest.mark.parametrize("question", ["What is the capital of France?", "What is the corporation tax rate?",
                                      "What did MOPAC decide in PCD 1430?"])
def test_out_of_scope_questions_are_refused_with_possibly_related_passages(library, question):
    answer = library.ask(question)
    assert answer.refused and answer.text.startswith(REFUSAL) and answer.refusal_reason
    assert answer.citations == [] and answer.statements == []
    assert 0 < len(answer.related) <= 3


def test_a_date_before_commencement_gives_pcr_2015_and_says_why(library):
    answer = library.ask("What are the award criteria for choosing the most economically advantageous tender?",
                         as_at="2024-06-01")
    assert answer.regime["name"] == "PCR 2015" and "2024-06-01" in answer.regime["reason"]
    assert all(c.doc_id not in ("ukpga-2023-54", "uksi-2024-692") for c in answer.citations)
    assert_guarantees(answer)


def test_without_a_date_the_act_is_assumed_and_the_answer_says_so(library):
    answer = library.ask("Can we award a contract directly because of extreme urgency?")
    assert answer.regime["name"] == "PA 2023" and "assuming" in answer.regime["reason"]
    assert "assuming" in answer.text


def test_a_question_naming_pcr_2015_gets_pcr_2015(library):
    answer = library.ask("Under PCR 2015, how long is the standstill period?")
    assert answer.regime["name"] == "PCR 2015"
    assert any(c.doc_id == "uksi-2015-102" for c in answer.citations)


def test_a_regime_question_cites_the_commencement_and_saving_provisions(library):
    answer = library.ask("We sent our contract notice in January 2025. Do the 2015 Regulations still apply?")
    assert any(c.doc_id == "uksi-2024-716" for c in answer.citations)


def test_a_follow_up_is_read_against_the_previous_turn_and_says_so(library):
    conversation = Conversation()
    library.ask("What is the threshold for a light touch contract under the Procurement Act?", conversation=conversation)
    follow_up = library.ask("and for works contracts?", conversation=conversation)
    assert follow_up.carried_over.startswith("Read as a follow-up to")
    assert "light touch" in follow_up.resolved_question
    assert len(conversation.turns) == 2


def test_pcd_1429_delegation_question_cites_legal_comments_para_2(library):
    answer = library.ask("Who has to approve going out to tender for a contract of £500,000 or above at MOPAC?")
    assert any(c.citation == "PCD 1429 §4.2 (Legal Comments ¶2)" for c in answer.citations)
    assert_guarantees(answer)


def test_the_answer_record_round_trips_through_json(library):
    answer = library.ask("Which provision sets out the direct award justifications?")
    data = json.loads(json.dumps(answer.to_dict()))
    assert Answer.from_dict(data) == answer
    assert set(data) >= {"question", "resolved_question", "regime", "text", "citations", "refused", "timings_ms"}


def test_verify_rejects_an_inexact_quote_a_dangling_marker_and_an_uncited_source():
    citation = Citation(n=1, passage_id="x/s-1", citation="X s.1", doc_id="x", doc_short="X", provision="s.1",
                        heading_path=[], version_date="2020-01-01", source_url="", text="The cat sat on the mat.",
                        kind="legislation")
    good = Answer("q", "q", {}, "“The cat sat” [1]", [Statement("The cat sat", 1)], [citation], False)
    verify(good)
    bad_quote = Answer("q", "q", {}, "“The dog sat” [1]", [Statement("The dog sat", 1)], [citation], False)
    dangling = Answer("q", "q", {}, "“The cat sat” [1] [2]", [Statement("The cat sat", 1)], [citation], False)
    second = Citation(**{**citation.__dict__, "n": 2})
    uncited = Answer("q", "q", {}, "“The cat sat” [1]", [Statement("The cat sat", 1)], [citation, second], False)
    for answer in (bad_quote, dangling, uncited):
        with pytest.raises(VerificationError):
            verify(answer)
