"""Does the cited provision say what the paper claims? The support verdicts on the real index: the
issue's cases (s.41, s.51, PCD 1429's equality paragraph and its £181,302), each signal on a
sentence written here, the readers of statutory wording on the indexed text itself, the report's
records and Markdown, and the labelled claims set with its bench."""

from __future__ import annotations

import json
from datetime import date

import pytest

from assistant.cli import main as cga
from assistant.papercheck import statements as read
from assistant.papercheck.checker import RESOLVED, PaperChecker, PaperReport, ReferenceCheck, report_markdown
from assistant.papercheck.support import CANNOT_TELL, NOT_SUPPORTED, PARTLY, SUPPORT_VERDICTS, SUPPORTED
from evals import bench_support
from evals.split import split

PA, PCR, EA = "ukpga-2023-54", "uksi-2015-102", "ukpga-2010-15"
# The law the checks read: after the Procurement Act 2023 came into force (SI 2024/716 reg.2(2)).
TODAY = date(2026, 12, 4)


@pytest.fixture(scope="module")
def checker(library) -> PaperChecker:
    return PaperChecker(library, today=TODAY)


@pytest.fixture(scope="module")
def pcd_1429(checker) -> PaperReport:
    return checker.check_document("pcd-1429")


def only(checker: PaperChecker, sentence: str) -> ReferenceCheck:
    [ref] = [r for r in checker.check_text(sentence, "claim.txt").references if r.verdict == RESOLVED]
    return ref


def text_of(library, passage_id: str) -> str:
    return library.index.by_id[passage_id].text


# ---- the cases -------------------------------------------------------------------------------

def test_the_s41_claim_is_not_supported(checker) -> None:
    ref = only(checker, "Section 41 of the Procurement Act 2023 requires award criteria to be published before "
                        "a direct award.")
    assert (ref.label, ref.support) == ("PA 2023 s.41", NOT_SUPPORTED)
    # Both differences are named: s.41 says "may", and never mentions award criteria.
    assert "“award criteria”, which PA 2023 s.41 does not mention" in ref.support_reason
    assert "the paper says “requires” (must)" in ref.support_reason
    assert ref.flags[-1] == f"{NOT_SUPPORTED}: {ref.support_reason}"


def test_a_true_statement_of_the_standstill_rule_is_supported(checker) -> None:
    ref = only(checker, "Section 51 of the Procurement Act 2023 prevents a contracting authority from entering into "
                        "a public contract before the end of the mandatory standstill period of eight working days "
                        "beginning with the day on which the contract award notice is published.")
    assert (ref.support, ref.flags) == (SUPPORTED, [])
    [compared] = ref.compared
    assert compared.citation.startswith("PA 2023 s.51(1)")
    assert compared.words.startswith("(1) A contracting authority may not enter into a public contract before—")


def test_pcd_1429_equality_paragraph_is_flagged_with_both_lists(pcd_1429: PaperReport) -> None:
    [psed] = [r for r in pcd_1429.references if r.label == "EA 2010 s.149(1)"]
    assert psed.support == PARTLY and psed.flags
    # The paper goes on about s.149 for two more sentences; each is compared with the part it turns on.
    assert [c.statement.split()[:2] for c in psed.compared] == [["MOPAC", "is"], ["This", "requires"],
                                                                  ["The", "protected"]]
    duty, aims, characteristics = psed.compared
    assert (duty.verdict, aims.verdict, characteristics.verdict) == (SUPPORTED, SUPPORTED, NOT_SUPPORTED)
    assert characteristics.citation == "EA 2010 s.149(7)"
    assert characteristics.words.startswith("(7) The relevant protected characteristics are—")
    assert ("EA 2010 s.149(7) lists: age; disability; gender reassignment; pregnancy and maternity; race; religion "
            "or belief; sex; sexual orientation. The paper also lists marriage and civil partnership, which "
            "EA 2010 s.149(7) does not") in psed.support_reason


def test_pcd_1429_threshold_is_superseded(pcd_1429: PaperReport, library) -> None:
    [figure] = [r for r in pcd_1429.references if r.text == "the Regulations"]
    assert figure.support == NOT_SUPPORTED
    reason = figure.support_reason
    assert reason.startswith("superseded: the paper's £181,302 is not the figure in force")
    # The regime reasoning (SI 2024/716), then the current provision and figure.
    assert "a procurement begun on 2026-12-04 is under the Procurement Act 2023, not PCR 2015" in reason
    assert "SI 2024/716 reg.2: the provisions of the Act listed in the Schedule came into force on 24 February 2025" \
        in reason
    assert "SI 2024/716 reg.5(3)" in reason
    assert "the threshold there is PA 2023 Sch.1 para 1(1) row 12" in reason and reason.endswith("£207,720")
    rests_on = {c.citation: c.words for c in figure.compared if not c.statement}
    assert rests_on["PA 2023 Sch.1 para 1(1)"] in text_of(library, f"{PA}/sch-1/para-1/1")
    assert "24th February 2025" in rests_on["SI 2024/716 reg.2"]


def test_pcd_1429_other_references(pcd_1429: PaperReport) -> None:
    by_text = {r.text: r for r in pcd_1429.references}
    # The misquote of s.3(6) ("service" for "force"): the duty is there, in other words.
    assert by_text["Section 3(6) of the 2011 Act"].support == PARTLY
    assert "“service” where the text has “force”" in by_text["Section 3(6) of the 2011 Act"].support_reason
    assert by_text["Schedule 3, paragraph 7"].support == SUPPORTED
    assert by_text["Paragraph 7(2) (a)"].support == SUPPORTED
    # A document named as a whole leaves the provision to a search: the closest words are shown, never
    # called support; an unresolved or own reference is not judged.
    whole = by_text["The Equality Act 2010"]
    assert whole.support == CANNOT_TELL and whole.support_reason.startswith("the paper names EA 2010 as a whole")
    assert by_text["section 1 above"].support_reason.startswith("not judged: a cross-reference within the paper")
    scheme = by_text["Paragraph 4.13 of the MOPAC Scheme of Delegation and Consent"]
    assert (scheme.support, scheme.support_reason.startswith("not judged:")) == (CANNOT_TELL, True)
    assert [r.text for r in pcd_1429.flagged] == ["Section 3(6) of the 2011 Act", "the Regulations",
                                                  "section 149(1) of the Equality Act 2010"]


# ---- each signal, on sentences written here ----------------------------------------------------------

@pytest.mark.parametrize("sentence, verdict, reason", [
    ("Section 52(3) of the Procurement Act 2023 requires the supplier to publish the key performance indicators.",
     NOT_SUPPORTED, "the paper puts it on a supplier; PA 2023 s.52(3) puts it on a contracting authority"),
    ("Under section 96(1) of the Procurement Act 2023 a contracting authority may communicate with suppliers "
     "electronically if it wishes.", NOT_SUPPORTED, "the paper says “may” (may); PA 2023 s.96(1)(a) says “must”"),
    ("Section 80(1) of the Procurement Act 2023 requires a contract termination notice within 60 days of termination.",
     NOT_SUPPORTED, "the paper says “60 days”; PA 2023 s.80(1) says “30 days”"),
    ("Section 149(7) of the Equality Act 2010 lists the relevant protected characteristics as age, disability, race, "
     "nationality and sex.", NOT_SUPPORTED, "The paper also lists nationality, which EA 2010 s.149(7) does not, "
                                            "and does not list gender reassignment"),
    ("Section 41(1) of the Procurement Act 2023 lets a contracting authority award a public contract directly.",
     PARTLY, "makes it conditional (“a direct award justification applies”), which the paper leaves out"),
    ("Section 86(1) of the Procurement Act 2023 requires a contracting authority, before inviting tenders for a "
     "regulated below-threshold contract, to have regard to the barriers small and medium-sized enterprises may "
     "face and to consider whether they can be removed or reduced.", SUPPORTED, "PA 2023 s.86(1) says so"),
])
def test_signals(checker, sentence: str, verdict: str, reason: str) -> None:
    ref = only(checker, sentence)
    assert ref.support == verdict and reason in ref.support_reason, ref.support_reason


def test_a_replaced_figure_names_the_amendment(checker) -> None:
    ref = only(checker, "Regulation 5(1)(c) of the Public Contracts Regulations 2015 sets the threshold for public "
                        "supply and service contracts awarded by sub-central contracting authorities at £213,477.")
    assert ref.support == NOT_SUPPORTED
    assert ("SI 2023/1117 reg.2 replaced “£213,477” with “£214,904” in PCR 2015 reg.5(1)(c) from 2024-01-01"
            in ref.support_reason)
    assert "SI 2023/1117 reg.2" in [c.citation for c in ref.compared]


def test_a_paper_before_the_act_is_not_told_the_act_applies(library) -> None:
    before = PaperChecker(library, today=date(2024, 6, 1))
    ref = only(before, "All awards of public contracts for goods and services valued at £181,302 or above will be "
                       "procured in accordance with the Public Contracts Regulations 2015.")
    assert ref.support == NOT_SUPPORTED and "Procurement Act 2023" not in ref.support_reason


def test_a_paper_citing_a_paragraph_of_another_paper_is_not_taken_for_it(checker) -> None:
    ref = only(checker, "Paragraph 4.2 of PCD 1429 records that the Director of Commissioning and Partnerships has "
                        "delegated authority to approve all requests to go out to tender for contracts of £500,000 "
                        "or above.")
    assert (ref.doc_id, ref.label) == ("pcd-1429", "PCD 1429 §4.2 (Legal Comments ¶2)")
    assert ref.support == NOT_SUPPORTED and "the paper names a Director" in ref.support_reason


def test_a_sentence_that_claims_nothing_cannot_be_told(checker) -> None:
    ref = only(checker, "See section 41 of the Procurement Act 2023.")
    assert (ref.support, ref.support_reason) == (CANNOT_TELL, "the sentence makes no claim about what the provision "
                                                              "says")


# ---- the readers, on the indexed text ----------------------------------------------------------------

def test_strength_and_duty_holder(library) -> None:
    s51 = text_of(library, f"{PA}/s-51/1")
    [first, *_] = read.modals(s51)
    assert (first.words, first.strength, read.binding(first.strength)) == ("may not", read.MUST_NOT, True)
    actor, modal = read.duty_holder("the Act requires the supplier to publish a notice")
    assert (actor.name, modal.strength) == ("a supplier", read.MUST)
    actor, _ = read.duty_holder(text_of(library, "ukpga-2011-13/s-19/1"))
    assert actor.name == read.MOPAC and read.may_stand_for(read.MOPAC, read.PUBLIC_AUTHORITY)
    assert not read.may_stand_for(read.PUBLIC_AUTHORITY, read.MOPAC)


def test_conditions(library) -> None:
    [justification] = read.conditions(text_of(library, f"{PA}/s-41/1"))
    assert justification.words == "a direct award justification applies"
    assert read.covers("if a direct award justification applies", justification, 0.5)
    assert not read.covers("to any supplier it chooses", justification, 0.5)
    # "if— (a) …, (b) …, and (c) …": all three must hold, so they are one alternative.
    [switching] = read.conditions(text_of(library, f"{PA}/s-43/1"))
    assert len(switching.alternatives) == 1
    # A fronted "Where …—" introduces the rule's items, not more condition.
    saving, *_ = read.conditions(text_of(library, "uksi-2024-716/reg-5/4"))
    assert saving.words == "the 2015 Regulations continue to apply in accordance with paragraph (1)"
    assert read.conditions(text_of(library, f"{PA}/s-51/2")) == []


def test_lists_against_lists(library) -> None:
    paper = ("The protected characteristics are: age, disability, gender reassignment, marriage and civil "
             "partnership, pregnancy and maternity, race, religion or belief, sex and sexual orientation.")
    ours = read.enumeration(paper)
    theirs = read.listed_items(text_of(library, f"{EA}/s-149/7"))
    assert theirs == ["age", "disability", "gender reassignment", "pregnancy and maternity", "race",
                      "religion or belief", "sex", "sexual orientation"]
    assert [o for o in ours if not any(read.same_item(o, t) for t in theirs)] == ["marriage and civil partnership"]
    aims = read.enumeration("to have due regard to the need to eliminate discrimination, advance equality of "
                            "opportunity and foster good relations")
    assert aims == ["eliminate discrimination", "advance equality of opportunity", "foster good relations"]
    assert read.enumeration("Section 51(2) of the Act sets the period at eight working days.") == []
    objectives = read.listed_items(text_of(library, f"{PA}/s-12/1"))
    assert read.split_joined("sharing information and acting", objectives) == ["sharing information", "acting"]


# ---- the report -----------------------------------------------------------------------------------------

def test_every_reference_carries_support_in_json_and_markdown(index_settings, monkeypatch, capsys) -> None:
    monkeypatch.setenv("CGA_DATA_DIR", str(index_settings.data_dir))
    monkeypatch.setenv("CGA_CORPUS_MIRROR", str(index_settings.corpus_mirror))
    assert cga(["check", "pcd-1429", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert all(r["support"] in SUPPORT_VERDICTS and r["support_reason"] for r in report["references"])
    assert sum(report["support_counts"].values()) == len(report["references"])
    assert "claims: " in report["summary"]
    judged = [r for r in report["references"] if r["verdict"] == RESOLVED]
    assert all(set(c) == {"statement", "citation", "passage_id", "words", "similarity", "verdict", "finding"}
               for r in judged for c in r["compared"]) and all(r["compared"] for r in judged)
    assert PaperReport.from_dict(report).to_dict() == report


def test_markdown_shows_the_claims(pcd_1429: PaperReport) -> None:
    markdown = report_markdown(pcd_1429)
    assert "| # | Reference | Verdict | Cited provision | Text as at | Claim | Flags |" in markdown
    assert "**Claim: not supported**. superseded: the paper's £181,302" in markdown
    assert "- The paper: “The protected characteristics are: age" in markdown
    assert "EA 2010 s.149(7) (not supported): “(7) The relevant protected characteristics are— age;" in markdown


# ---- the labelled claims and the bench ---------------------------------------------------------------------

def test_the_claims_set_is_split_with_the_fixed_seed() -> None:
    claims = (bench_support.HERE / "claims.jsonl").read_text(encoding="utf-8").splitlines()
    dev, test = split(claims)
    assert bench_support.SPLITS["dev"].read_text(encoding="utf-8").splitlines() == dev
    assert bench_support.SPLITS["test"].read_text(encoding="utf-8").splitlines() == test
    items = [bench_support.Item(**json.loads(line)) for line in claims]
    assert len(items) >= 80 and len({i.id for i in items}) == len(items)
    wrong = [i for i in items if i.wrong]
    assert abs(len(wrong) - len(items) / 2) <= len(items) * 0.05
    assert {"wrong actor", "may/must swapped", "missing condition", "wrong period", "wrong list"} <= \
        {i.error for i in wrong}


def test_bench_scores_dev_claims(library) -> None:
    checker = PaperChecker(library)
    items = [i for i in bench_support.load(bench_support.SPLITS["dev"])][:6]
    outcomes = [bench_support.judge(checker, item) for item in items]
    assert all(o.support in SUPPORT_VERDICTS for o in outcomes)
    precision, recall, tp, flagged, wrong = bench_support.scores(outcomes)
    assert (tp, flagged, wrong) == (sum(o.flagged and o.item.wrong for o in outcomes),
                                    sum(o.flagged for o in outcomes), sum(o.item.wrong for o in outcomes))
