"""The route, threshold and delegation advisor: its rules against the real index, its decisions on
table-driven cases (including the edges of each threshold and of 24 February 2025), its reading
of questions, and its answers through the chat and the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal

import pytest

from assistant.advisor.decide import decide
from assistant.advisor.engine import regime_for, wants_advice
from assistant.advisor.facts import Facts, extract_facts, money
from assistant.advisor.rules import RulesError, load_rules, pounds
from assistant.answering.regime import ACT, COMMENCEMENT, PCR
from assistant.answering.verify import verify
from assistant.config import PROJECT_ROOT
from ingest.textutil import normalise_space

HEADLINE = ("We are a sub-central authority buying £500,000 of victim support services, starting next month — "
            "which regime, is it above threshold, which procedures are open to us, and who must approve going "
            "to tender?")
TODAY = date(2026, 11, 25)
THRESHOLDS = "ukpga-2023-54/sch-1/para-1/1"
DMPC_ROW = "pcd-1429/legal-comments/2"
DMPC = "the Deputy Mayor for Policing and Crime (DMPC)"


@pytest.fixture(scope="module")
def rules():
    return load_rules()


# ---- every rule still matches its source ----------------------------------------------------

def test_every_rule_cites_a_passage_in_the_index_whose_text_holds_its_quote(library, rules):
    by_id = library.index.by_id
    for label, source in rules.sources():
        assert source.passage_id in by_id, f"{label}: {source.passage_id} is not in the index"
        text = normalise_space(by_id[source.passage_id].text)
        assert normalise_space(source.quote) in text, f"{label}: quote not verbatim in {source.passage_id}"


def test_threshold_rows_carry_the_tables_figures_row_numbers_and_exclusions(rules):
    rows = {t.row for t in rules.thresholds}
    assert rows == set(range(1, 13))
    for t in rules.thresholds:
        assert t.source.passage_id == THRESHOLDS
        assert t.source.quote == f"{t.row} | {t.label} | {pounds(t.amount)}"
        if m := re.search(r"not within row ([\d, or]+)", t.label):
            assert set(t.excludes) == {int(n) for n in re.findall(r"\d+", m[1])}, t.row
        elif "not within any other row" in t.label:
            # every other row, except the one for the other kind of authority
            other_authority = {o.row for o in rules.thresholds
                               if dict(o.when.terms).get("authority") not in (None, dict(t.when.terms)["authority"])}
            assert set(t.excludes) == rows - {t.row} - other_authority
        else:
            assert t.excludes == ()


def test_figures_in_conditions_and_delegation_rows_appear_in_their_quotes(rules):
    for step in rules.steps:
        if (low := dict(step.when.terms).get("min_value")) is not None:
            assert pounds(low) in step.source.quote, step.id
    assert rules.approvals
    for row in rules.approvals:
        assert pounds(row.min_value) in row.source.quote
        if row.max_value is not None:
            assert pounds(row.max_value) in row.source.quote


def test_the_regime_rules_rest_on_the_commencement_date_regime_py_uses(rules):
    by_id = {s.id: s for s in rules.steps}
    written = f"{COMMENCEMENT.day}th {COMMENCEMENT:%B %Y}"
    assert written in by_id["regime-commencement"].source.quote
    assert written in by_id["regime-saving"].source.quote


def test_the_pcr_threshold_rules_say_the_figure_is_set_by_the_directive(rules):
    pcr = [s for s in rules.steps if s.phase == "threshold" and dict(s.when.terms).get("regime") == (PCR,)
           and not s.organisation]
    assert {s.source.passage_id for s in pcr} == {"uksi-2015-102/reg-5/1", "uksi-2015-102/reg-5/3"}
    assert not any(re.search(r"£\d", s.source.quote) for s in pcr)


# ---- decisions: table-driven -------------------------------------------------------------------

def _facts(value, kind="services", light_touch=False, authority="sub-central", start="2026-01-10", **flags):
    return Facts(value=value, value_text=str(value), kind=kind, light_touch=light_touch, authority=authority,
                 authority_text=authority, start=start, start_text="as given", **flags)


CASES = [
    # value, facts, regime, coverage, threshold
    (500_000, dict(light_touch=True), ACT, "below", 663_540),
    (663_540, dict(light_touch=True), ACT, "public", 663_540),
    (663_539, dict(light_touch=True), ACT, "below", 663_540),
    (207_720, dict(), ACT, "public", 207_720),
    (207_719, dict(), ACT, "below", 207_720),
    (135_018, dict(kind="goods", authority="central"), ACT, "public", 135_018),
    (135_017, dict(kind="goods", authority="central"), ACT, "below", 135_018),
    (5_193_000, dict(kind="works"), ACT, "public", 5_193_000),
    (5_192_999, dict(kind="works"), ACT, "below", 5_193_000),
    (900_000, dict(light_touch=True, utilities=True), ACT, "public", 884_720),
    (600_000, dict(light_touch=True, defence=True), ACT, "below", 663_540),
    (400_000, dict(defence=True), ACT, "below", 415_440),
    (5_000_000, dict(light_touch=True, concession=True), ACT, "below", 5_372_609),
    (500_000, dict(start="2025-02-24"), ACT, "public", 207_720),
    (500_000, dict(start="2025-02-23"), PCR, "unknown", None),
    (500_000, dict(light_touch=True, start="2024-06-01"), PCR, "unknown", None),
]


@pytest.mark.parametrize("value,given,regime_name,coverage,threshold", CASES)
def test_regime_threshold_and_coverage(rules, value, given, regime_name, coverage, threshold):
    facts = _facts(value, **given)
    advice = decide(facts, regime_for(facts), rules)
    assert (advice.regime.name, advice.coverage, advice.threshold) == (regime_name, coverage, threshold)
    cited = {s.source.passage_id for s in advice.steps if s.source}
    if threshold:
        assert THRESHOLDS in cited and pounds(threshold) in " ".join(s.finding for s in advice.verdict)


def test_a_contract_the_table_puts_in_two_rows_is_reported_not_decided(rules):
    # defence + utilities + light touch: row 3 (defence, not within 1, 2 or 8) and row 5 both describe it
    facts = _facts(600_000, light_touch=True, defence=True, utilities=True)
    advice = decide(facts, regime_for(facts), rules)
    assert advice.threshold is None and advice.coverage == "unknown"
    assert any("row 3" in s.finding and "row 5" in s.finding for s in advice.steps)


def _passages(advice) -> set[str]:
    return {s.source.passage_id for s in advice.steps if s.source}


def test_above_threshold_under_the_act_lists_the_award_routes(rules):
    facts = _facts(750_000, light_touch=True)
    cited = _passages(decide(facts, regime_for(facts), rules))
    assert {"ukpga-2023-54/s-11", "ukpga-2023-54/s-20/2", "ukpga-2023-54/s-41/1", "ukpga-2023-54/s-45/1",
            "ukpga-2023-54/s-34/1", "ukpga-2023-54/sch-5/para-15", "ukpga-2023-54/s-3/2"} <= cited
    assert not any(p.startswith("ukpga-2023-54/s-8") for p in cited)  # no Part 6 duties


def test_below_threshold_under_the_act_gives_the_part_6_duties_not_procedures(rules):
    facts = _facts(500_000, light_touch=True)
    cited = _passages(decide(facts, regime_for(facts), rules))
    assert {"ukpga-2023-54/s-84", "ukpga-2023-54/s-85/1", "ukpga-2023-54/s-86", "ukpga-2023-54/s-87/1",
            "ukpga-2023-54/s-87/4", "ukpga-2023-54/s-88/2", "ukpga-2023-54/s-5/5"} <= cited
    assert "ukpga-2023-54/s-20/2" not in cited


def test_a_below_threshold_utilities_contract_gets_no_part_6_duties(rules):
    facts = _facts(100_000, utilities=True)
    advice = decide(facts, regime_for(facts), rules)
    assert advice.coverage == "below"
    assert "ukpga-2023-54/s-84" not in _passages(advice)


def test_notifiable_below_threshold_contract_starts_at_30000_for_a_sub_central_authority(rules):
    for value, notifiable in ((30_000, True), (29_999, False)):
        facts = _facts(value)
        assert ("ukpga-2023-54/s-87/4" in _passages(decide(facts, regime_for(facts), rules))) is notifiable


def test_under_pcr_both_outcomes_are_set_out_and_the_papers_figure_is_shown(rules):
    facts = _facts(300_000, start="2024-06-01")
    advice = decide(facts, regime_for(facts), rules)
    findings = {s.source.passage_id: s.finding for s in advice.steps if s.source}
    assert findings["uksi-2015-102/reg-26/3"].startswith("If at or above the threshold")
    assert findings["uksi-2015-102/reg-109/1"].startswith("If below the threshold")
    assert "pcd-1429/legal-comments/3" in findings and "uksi-2015-102/reg-5/1" in findings
    assert "do not settle" in " ".join(s.finding for s in advice.verdict)


def test_vat_the_act_counts_it_pcr_does_not(rules):
    under_act = _facts(600_000, light_touch=True, vat="exc")
    advice = decide(under_act, regime_for(under_act), rules)
    assert advice.coverage == "unknown"  # £600,000 plus VAT may reach £663,540
    assert "ukpga-2023-54/s-123/2" in _passages(advice)
    above_anyway = _facts(700_000, light_touch=True, vat="exc")
    assert decide(above_anyway, regime_for(above_anyway), rules).coverage == "public"
    under_pcr = _facts(300_000, start="2024-06-01")
    assert "uksi-2015-102/reg-6/1" in _passages(decide(under_pcr, regime_for(under_pcr), rules))


def test_a_value_that_cannot_be_estimated_is_treated_as_above_the_threshold(rules):
    facts = Facts(value_unknown=True, kind="services", start="2026-01-10", start_text="as given")
    advice = decide(facts, regime_for(facts), rules)
    assert advice.coverage == "public" and "ukpga-2023-54/sch-3/para-5" in _passages(advice)


def test_missing_value_is_asked_for_and_missing_facts_are_assumed_out_loud(rules):
    facts = Facts()
    advice = decide(facts, regime_for(facts), rules)
    assert advice.coverage == "unvalued" and advice.threshold == 207_720
    assert any("estimated value" in q for q in advice.questions)
    facts_said = {s.step: s.finding for s in advice.steps if s.phase == "facts"}
    assert "assuming a sub-central authority — MOPAC is one" in facts_said["Authority"]
    assert "assumed goods or services" in facts_said["Contract"]
    assert "assum" in facts_said["Special regimes"] and "assum" in facts_said["Organisation"]


@pytest.mark.parametrize("value,approvers", [(499_999, []), (500_000, [DMPC]), (2_000_000, [DMPC])])
def test_delegation_band_includes_its_minimum(rules, value, approvers):
    facts = _facts(value)
    advice = decide(facts, regime_for(facts), rules)
    assert advice.approvers == approvers
    approval = [s for s in advice.steps if s.phase == "approval"]
    assert approval and all(s.source.passage_id == DMPC_ROW for s in approval)
    assert all("not among the indexed documents" in s.finding for s in approval)


def test_the_day_before_and_the_day_of_commencement():
    day_before = COMMENCEMENT - timedelta(days=1)
    assert regime_for(Facts(start=day_before.isoformat(), start_text="as given")).name == PCR
    assert regime_for(Facts(start=COMMENCEMENT.isoformat(), start_text="as given")).name == ACT


# ---- organisations add rows without code -------------------------------------------------------

def test_an_organisations_own_file_adds_rows_and_bad_rows_are_refused_by_name(tmp_path, rules):
    extra = tmp_path / "ours.toml"
    extra.write_text(
        '[organisations.MOPAC]\naliases = ["MOPAC"]\n\n'
        '[[approval]]\norganisation = "MOPAC"\naction = "go out to tender"\nmin_value = 100000\n'
        'max_value = 500000\napprover = "the Chief Finance Officer"\npassage_id = "pcd-1429/legal-comments/2"\n'
        'quote = "has delegated authority to approve all requests to go out to tender"\n')
    combined = load_rules(extra)
    assert len(combined.approvals) == len(rules.approvals) + 1
    facts = _facts(250_000)
    assert decide(facts, regime_for(facts), combined).approvers == ["the Chief Finance Officer"]

    bad = tmp_path / "bad.toml"
    bad.write_text('[[approval]]\norganisation = "X"\naction = "go out to tender"\nmin_value = "500k"\n'
                   'approver = "Y"\npassage_id = "pcd-1429/legal-comments/2"\nquote = "q"\n')
    with pytest.raises(RulesError, match=r"bad\.toml: approval\[0\]\.min_value must be a whole number of pounds"):
        load_rules(bad)
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('[[step]]\norganisation = "X"\nphase = "approval"\nstep = "s"\nfinding = "f"\n'
                       'when = { colour = "red" }\npassage_id = "p"\nquote = "q"\n')
    with pytest.raises(RulesError, match=r"unknown\.toml: step\[0\]\.when\.colour is not a known condition"):
        load_rules(unknown)
    with pytest.raises(RulesError, match="missing.toml: file not found"):
        load_rules(tmp_path / "missing.toml")


# ---- reading the question -----------------------------------------------------------------------

@pytest.mark.parametrize("text,amount", [("£500k", 500_000), ("£500,000", 500_000), ("1.2m of goods", 1_200_000),
                                         ("half a million pounds", 500_000), ("£1.5 million", 1_500_000),
                                         ("750,000 pounds", 750_000), ("£5mn", 5_000_000),
                                         ("£8.2m", Decimal("8200000")), ("£1,000,000.50", Decimal("1000000.50"))])
def test_money(text, amount):
    assert money(text)[0] == amount


def test_money_is_exact():
    assert str(money("£1,000,000.5")[0]) == "1000000.50" and str(money("£8.2m")[0]) == "8200000"


def test_no_money_in_dates_or_durations():
    assert money("starting 24 February 2025 for 5 months, 3 years") is None


def test_a_sum_in_another_currency_is_not_taken_as_pounds(rules):
    assert money("a €200,000 services contract") is None
    facts = extract_facts("Is a €200,000 services contract above the threshold?", rules, TODAY)
    assert (facts.value, facts.value_not_pounds) == (None, "€200,000")
    assert extract_facts("£210,000 (about €240,000) of services", rules, TODAY).value == 210_000


def test_facts_of_the_headline_question(rules):
    facts = extract_facts(HEADLINE, rules, TODAY)
    assert (facts.value, facts.vat, facts.kind, facts.light_touch, facts.service) == (
        500_000, None, "services", True, "victim support")
    assert (facts.authority, facts.authority_inferred) == ("sub-central", False)
    assert facts.start == "2026-12-01" and "next month" in facts.start_text


@pytest.mark.parametrize("text,field,expected", [
    ("£100k including VAT", "vat", "inc"), ("£100k inc VAT", "vat", "inc"), ("£100k exc. VAT", "vat", "exc"),
    ("£100k plus VAT", "vat", "exc"), ("£100k net of VAT", "vat", "exc"),
    ("refurbishing a custody suite", "kind", "works"), ("buying laptops", "kind", "goods"),
    ("we are MOPAC", "authority", "sub-central"), ("a central government department", "authority", "central"),
    ("We're MOPAC, not a central government department", "authority", "sub-central"),
    ("a call-off from a framework", "framework", True), ("a utilities contract", "utilities", True),
    ("counselling for victims of crime", "service", "counselling"),
    ("starting 10 March 2026", "start", "2026-03-10"), ("starting in March", "start", "2027-03-01"),
    ("starting 15/01/2027", "start", "2027-01-15"), ("from April 2, 2027", "start", "2027-04-02"),
    ("from next month", "start", "2026-12-01"),
])
def test_facts_read_from_words(rules, text, field, expected):
    assert getattr(extract_facts(text, rules, TODAY), field) == expected


def test_an_inferred_authority_is_marked_as_assumed(rules):
    facts = extract_facts("MOPAC is buying £300k of IT consultancy", rules, TODAY)
    assert facts.authority_inferred and facts.organisation == "MOPAC"
    advice = decide(facts, regime_for(facts), rules)
    assert "assuming a sub-central authority" in next(s.finding for s in advice.steps if s.step == "Authority")


# ---- routing -------------------------------------------------------------------------------------

@pytest.mark.parametrize("question", [
    HEADLINE, "Is £250k of IT consultancy above threshold?", "Can we direct award a £90,000 contract?",
    "Who approves going to tender for £300k?", "Which procedure should we use for a £2m works contract?",
    "What is the threshold for a light touch contract?", "Do we need to tender a £40,000 cleaning contract?",
])
def test_route_questions_go_to_the_advisor(question):
    assert wants_advice(question)


@pytest.mark.parametrize("question", [
    "What does s.51 say?", "What does section 41 of the Procurement Act allow?",
    "PCD 1429 says public contracts of £181,302 or above must be procured under the Regulations. Which provision "
    "of PCR 2015 sets the threshold, and does it state a sterling figure?",
    "Why was the DMPC asked to sign off the PCD 1429 spend straight away?",
    "Could we break the requirement into three smaller contracts so each one stays under the threshold?",
    "Our new contract is worth about £6m. Do we have to set KPIs?",
])
def test_lookups_stay_with_the_cited_answer(question):
    assert not wants_advice(question)


def test_no_out_of_scope_eval_question_is_routed_to_the_advisor():
    items = [json.loads(line) for line in (PROJECT_ROOT / "evals" / "questions.jsonl").read_text().splitlines()
             if line.strip()]
    assert not [i["id"] for i in items if i.get("refuse") and wants_advice(i["question"])]


# ---- through the chat and the CLI ----------------------------------------------------------------

def test_the_headline_question_through_the_chat(library):
    answer = library.ask(HEADLINE)
    verify(answer)
    assert answer.route == "advisor" and answer.regime["name"] == ACT
    by_id = {c.passage_id: c for c in answer.citations}
    assert {THRESHOLDS, DMPC_ROW, "uksi-2024-716/reg-2"} <= by_id.keys()
    verdict = answer.text.split("\n\n")[0]
    assert "£500,000 is below the £663,540 threshold" in verdict
    assert "not a public contract" in verdict
    approves = f"{DMPC} approves requests to go out to tender for contracts of £500,000 or above"
    assert f"{approves} [{by_id[DMPC_ROW].n}]" in verdict
    assert f"[{by_id[THRESHOLDS].n}]" in verdict
    assert answer.text.rstrip().split("\n\n")[-1].startswith("Regime: Procurement Act 2023")
    numbers = {c.n for c in answer.citations}
    assert answer.trace and all(step["n"] in numbers for step in answer.trace if step["n"] is not None)
    assert {"step", "finding", "n"} == set(answer.trace[0])
    for s in answer.statements:
        assert normalise_space(s.quote) in normalise_space(library.index.by_id[
            next(c.passage_id for c in answer.citations if c.n == s.n)].text)


def test_the_advisor_cites_only_passages_open_to_the_asker(library):
    answer = library.ask(HEADLINE, access=("restricted",))
    verify(answer)
    assert answer.route == "advisor" and not answer.citations
    assert "DMPC" not in answer.text
    assert any(step["finding"].startswith("the documents available do not say who") for step in answer.trace)


def test_a_lookup_question_is_answered_from_retrieval_not_the_advisor(library):
    assert library.ask("What does PA 2023 s.51 say?").route != "advisor"


def test_cga_advise_prints_the_trace(index_settings):
    env = {**os.environ, "CGA_DATA_DIR": str(index_settings.data_dir)}
    command = [sys.executable, "-m", "assistant.cli", "advise", "--value", "500000", "--category", "services",
               "--authority", "sub-central", "--start", "2026-01-10", "--light-touch"]
    done = subprocess.run([*command, "--json"], env=env, cwd=PROJECT_ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["route"] == "advisor" and data["regime"]["name"] == ACT
    assert any(t["step"] == "Threshold" and "£663,540" in t["finding"] for t in data["trace"])
    text = subprocess.run(command, env=env, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=300)
    assert text.returncode == 0 and "Steps:" in text.stdout and "Sources:" in text.stdout
    bad = subprocess.run([*command[:-1], "--start", "next tuesday"], env=env, cwd=PROJECT_ROOT,
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "--start must be a date written YYYY-MM-DD" in bad.stderr


def test_the_delegation_file_setting(tmp_path):
    from assistant.config import Settings

    assert Settings.from_env({"CGA_DELEGATION_FILE": str(tmp_path / "d.toml")}).delegation_file == tmp_path / "d.toml"
    assert Settings.from_env({}).delegation_file is None


def test_a_follow_up_changes_one_fact_and_keeps_the_rest(library):
    from assistant.answering.records import Conversation

    conversation = Conversation()
    library.ask(HEADLINE, conversation=conversation)
    answer = library.ask("And what about £700,000?", conversation=conversation)
    verify(answer)
    assert answer.route == "advisor" and answer.regime["name"] == ACT
    verdict = answer.text.split("\n\n")[0]
    assert "£700,000 is at or above the £663,540 threshold" in verdict and "public contract" in verdict
    facts = {step["step"]: step["finding"] for step in answer.trace[:8]}
    assert "victim support" in facts["Contract"] and "next month" in facts["Start"]


def test_the_advisor_keeps_to_the_kinds_of_document_asked_for(library):
    answer = library.ask("We are a sub-central authority buying £500,000 of victim support services, starting "
                         "next month — which regime, is it above threshold, and who must approve going to tender?",
                         kinds=("legislation",))
    assert answer.citations and all(c.kind == "legislation" for c in answer.citations)


@pytest.mark.parametrize("as_at, figure, replaced_by", [("2022-06-01", "£213,477", "SI 2021/1221"),
                                                         ("2024-06-01", "£214,904", "SI 2023/1117")])
def test_a_named_regime_takes_the_date_field_as_its_start(library, as_at, figure, replaced_by):
    answer = library.ask("What is the PCR 2015 threshold for services for a sub-central authority?", as_at=as_at)
    verify(answer)
    assert answer.regime["name"] == PCR and answer.regime["as_at"] == as_at
    lead = answer.text.split("\n\n")[0]
    assert figure in lead and replaced_by in lead
