"""Practitioners' questions on the real index: the regime from the facts, amendments read with the
text they amend, the exception that decides the case, papers only where they belong, honest
refusals, and the lead. Questions here are written for the tests, not taken from the eval sets."""

from __future__ import annotations

import pytest

from assistant.answering.records import REFUSAL
from assistant.answering.regime import ACT, PCR, decide_regime
from assistant.answering.verify import lead_quotes
from ingest.textutil import normalise_space


@pytest.mark.parametrize("question, regime, words", [
    ("We want to vary the security contract we let in 2021 to add two more sites", PCR, "let … 2021"),
    ("We advertised the fleet tender on 3 February 2025; when can we sign?", PCR, "advertised … 3 February 2025"),
    ("Our interpreting procurement started in May 2025 under the PCR 2015, which rules apply?", ACT, "May 2025"),
    ("Does the Act let us exclude a supplier?", ACT, ""),
])
def test_the_dates_of_the_procurements_own_events_decide_the_regime(question, regime, words):
    decided = decide_regime(question)
    assert decided.name == regime
    assert words in decided.reason


def test_the_question_date_wins_over_the_date_field_and_the_answer_says_so():
    decided = decide_regime("We awarded the cleaning contract in 2022; can we extend it?", as_at="2025-06-01")
    assert decided.name == PCR and "the question's own date wins" in decided.reason


def test_a_dated_pcr_threshold_gets_the_figure_in_force_citing_the_amending_regulation(library):
    answer = library.ask("What was the threshold for a works contract under PCR 2015 for a tender we "
                         "launched in March 2024?")
    assert "uksi-2023-1117" in {c.doc_id for c in answer.citations}
    assert "£5,372,609" in answer.text and any("£5,372,609" in s.quote for s in answer.statements)
    earlier = library.ask("We're MOPAC buying £200k of cleaning services; the tender started in June 2023. "
                          "Which route?")
    assert "£213,477" in earlier.text and "uksi-2021-1221" in {c.doc_id for c in earlier.citations}


def test_a_quoted_provision_amended_since_our_copy_comes_with_its_amending_words(library):
    answer = library.ask("Under PCR 2015 as it applied to our March 2024 tender, which regulation sets the "
                         "threshold amounts, and what does it say for sub-central authorities?", as_at="2024-03-01")
    assert answer.route != "advisor"  # a question about what the text says, not a purchase to decide
    assert any("“£214,904” replaces “£213,477”" in n for n in answer.notices)


def test_before_the_first_amendment_the_2019_copy_is_flagged_not_presented_as_current(library):
    answer = library.ask("Which regulation sets out the exclusion grounds for a procurement we started in "
                         "June 2021 under PCR 2015?")
    assert any("Our copy of PCR 2015 is the text as at 2019-04-18" in n for n in answer.notices)


def test_a_rule_is_quoted_with_the_exception_in_the_same_section(library):
    answer = library.ask("Once the award notice is out, how many days must we wait before we sign?")
    provisions = [c.provision for c in answer.citations if c.doc_id == "ukpga-2023-54"]
    assert "s.51(2)" in provisions or "s.51" in provisions
    assert "s.51(3)" in provisions


def test_papers_stay_out_of_answers_about_the_law_alone(library):
    answer = library.ask("How long is the standstill period before signing a contract?")
    assert not [c for c in answer.citations if c.kind == "decision"]
    about_us = library.ask("Who had to approve the victim services recommissioning spend at MOPAC?")
    assert any(c.doc_id == "pcd-1429" for c in about_us.citations)


@pytest.mark.parametrize("question, reason", [
    ("What did the High Court decide about extending a cleaning contract in 2019?", "case law"),
    ("What are the thresholds under the Procurement (Scotland) Regulations 2016?", "not among the indexed"),
    ("Who is the current Commissioner of Police of the Metropolis?", "current facts"),
    ("What does Camden Council's contract standing orders say about quotes?", "not among the indexed"),
    ("How much did Serco bid for the Hampshire prisoner escort contract last year?", "never mention"),
    ("Is there a leading case on what counts as extreme urgency under the Act?", "case law"),
    ("How often have judges lifted the automatic suspension for a council?", "case law"),
    ("Who chairs the Police and Crime Committee at the moment?", "current facts"),
    ("What is the Met's budget for custody healthcare this financial year?", "current facts"),
    ("How many contracts has MOPAC awarded under the new Act so far?", "current facts"),
    ("What's the latest CPI figure to uplift our cleaning contract prices?", "current facts"),
    ("What does the Welsh Government's own procurement guidance say about community benefits?", "jurisdiction"),
    ("What are the tender rules in Germany for a £300k interpreting contract?", "jurisdiction"),
    ("What does PPN 02/23 say about modern slavery in our cleaning supply chain?", "not among the indexed"),
    ("What does the Cabinet Office guidance say about payment by results for victim services?", "not among the indexed"),
    ("Is our interim procurement lead's fleet contract engagement inside IR35?", "pay, employment or tax"),
])
def test_refusals_name_their_reason(library, question, reason):
    answer = library.ask(question)
    assert answer.refused and answer.text.startswith(REFUSAL)
    assert reason in answer.refusal_reason and reason in answer.text
    assert answer.citations == [] and answer.lead == ""


@pytest.mark.parametrize("question", [
    # An Act named as the law of an offence is a fact of the case: the exclusion grounds list offences.
    "A bidder's director was convicted of an offence under the Bribery Act 2010 last year. Must we exclude them?",
    # A weekday is not a proper name the documents never mention.
    "We signed the cleaning contract last Tuesday. By when must we publish the contract details notice?",
    # What the Act lets a court do is in the Act.
    "If we sign before the standstill ends and a bidder sues, what can the court do?",
])
def test_questions_near_the_refusal_rules_are_answered(library, question):
    answer = library.ask(question)
    assert not answer.refused, answer.refusal_reason
    assert any(c.doc_id == "ukpga-2023-54" for c in answer.citations)


def test_a_purchase_in_another_jurisdiction_is_refused_not_advised(library):
    answer = library.ask("We're buying £300k of interpreting: what is the services threshold in the Republic of Ireland?")
    assert answer.refused and answer.route == "refuse" and "jurisdiction" in answer.refusal_reason


def test_the_lead_comes_first_is_short_and_quotes_its_source_verbatim(library):
    answer = library.ask("How long do we have to keep records of a procurement after the contract is signed?")
    assert answer.text.startswith(answer.lead) and 5 <= len(answer.lead.split()) <= 70
    quotes = lead_quotes(answer.lead)
    by_n = {c.n: c for c in answer.citations}
    assert quotes and all(normalise_space(q) in normalise_space(by_n[n].text) for q, n in quotes)
    assert "three years" in answer.lead
    assert all(not s.quote.rstrip().endswith(("—", ":")) for s in answer.statements)


def test_acronyms_practitioners_use_do_not_count_as_unknown_names(library):
    from assistant.answering.refusal import unknown_names

    assert unknown_names("Can we buy CCTV and ANPR cameras through a DPS with KPIs?", library.index) == []
    assert unknown_names("What did Serco charge Kent for escorts?", library.index) == ["Serco", "Kent"]


def test_a_follow_up_naming_a_regime_is_decided_by_its_own_words(library):
    from assistant.answering.records import Conversation

    conversation = Conversation()
    library.ask("What is the mandatory standstill period under the Procurement Act 2023?", conversation=conversation)
    follow_up = library.ask("And under PCR 2015?", conversation=conversation)
    assert follow_up.regime["name"] == PCR
    assert any(c.doc_id == "uksi-2015-102" for c in follow_up.citations)


def test_answers_outside_procurement_carry_no_regime_line(library):
    answer = library.ask("What must a police and crime panel do when the commissioner proposes the precept?")
    assert not answer.refused and "Regime:" not in answer.text and answer.regime == {}


def test_a_question_asked_under_an_instrument_we_do_not_hold_is_refused(library):
    answer = library.ask("Under TUPE, do the cleaners move to the new contractor?")
    assert answer.refused and "TUPE" in answer.refusal_reason
