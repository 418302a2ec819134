"""The free-text reference finder, on the real manifest and the real PCD 1429 decision paper."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ingest.document import DocumentInfo
from ingest.passage import Provision
from ingest.references import RESOLUTIONS, Reference, ReferenceFinder

REPO = Path(__file__).resolve().parents[2]
PCD_1429 = REPO.parent / "shared" / "corpus" / "decisions" / "pcd-1429.txt"

PA = "ukpga-2023-54"
PCR = "uksi-2015-102"
PR = "uksi-2024-692"
PRSRA = "ukpga-2011-13"
EA = "ukpga-2010-15"


def manifest_documents() -> list[DocumentInfo]:
    manifest = tomllib.loads((REPO / "corpus" / "sources.toml").read_text(encoding="utf-8"))
    return [DocumentInfo.from_dict({"doc_id": e["id"], **{k: v for k, v in e.items() if k != "id"}})
            for e in manifest["document"]]


@pytest.fixture(scope="module")
def finder() -> ReferenceFinder:
    return ReferenceFinder(manifest_documents())


def provisions(refs: list[Reference]) -> list[str | None]:
    return [None if r.provision is None else str(r.provision) for r in refs]


def only(refs: list[Reference]) -> Reference:
    assert len(refs) == 1, refs
    return refs[0]


# ---- provision notation -----------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("section 41", ["s.41"]),
    ("s.41", ["s.41"]),
    ("s 41", ["s.41"]),
    ("s41", ["s.41"]),
    ("S. 41(1)(a)", ["s.41(1)(a)"]),
    ("see s.41A(2)", ["s.41A(2)"]),
    ("sections 41 and 43", ["s.41", "s.43"]),
    ("sections 41, 42 or 43", ["s.41", "s.42", "s.43"]),
    ("ss.41-43", ["s.41", "s.42", "s.43"]),
    ("ss.41-60", ["s.41", "s.60"]),
    ("sections 41 to 50", [f"s.{n}" for n in range(41, 51)]),
    ("sections 41 to 51", ["s.41", "s.51"]),
    ("subsection (3) of section 51", ["s.51(3)"]),
    ("subsections (2) and (3) of section 51", ["s.51(2)", "s.51(3)"]),
    ("section 51(3) and (4)", ["s.51(3)", "s.51(4)"]),
    ("section 51(3)(a) or (b)", ["s.51(3)(a)", "s.51(3)(b)"]),
])
def test_sections(finder: ReferenceFinder, text: str, expected: list[str]) -> None:
    refs = finder.find(text)
    assert provisions(refs) == expected
    assert all(r.provision is not None and r.provision.unit == "s" for r in refs)


@pytest.mark.parametrize("text, expected", [
    ("reg 72", ["reg.72"]),
    ("reg. 72(1)(b)", ["reg.72(1)(b)"]),
    ("regulation 72(1)(b)", ["reg.72(1)(b)"]),
    ("Regulation 72(1)(b)", ["reg.72(1)(b)"]),
    ("regulations 74 to 76", ["reg.74", "reg.75", "reg.76"]),
    ("regs. 74–76", ["reg.74", "reg.75", "reg.76"]),
    ("paragraph (3) of regulation 72", ["reg.72(3)"]),
])
def test_regulations(finder: ReferenceFinder, text: str, expected: list[str]) -> None:
    assert provisions(finder.find(text)) == expected


@pytest.mark.parametrize("text, expected", [
    ("Schedule 5 paragraph 13", ["Sch.5 para 13"]),
    ("Schedule 5, paragraph 13", ["Sch.5 para 13"]),
    ("Sch. 5 para 13", ["Sch.5 para 13"]),
    ("Sch 5 para. 13(2)", ["Sch.5 para 13(2)"]),
    ("paragraph 13 of Schedule 5", ["Sch.5 para 13"]),
    ("paragraphs 13 and 14 of Schedule 5", ["Sch.5 para 13", "Sch.5 para 14"]),
    ("sub-paragraph (2) of paragraph 7 of Schedule 3", ["Sch.3 para 7(2)"]),
    ("Schedule 1", ["Sch.1"]),
])
def test_schedules(finder: ReferenceFinder, text: str, expected: list[str]) -> None:
    assert provisions(finder.find(text)) == expected


def test_provisions_are_the_passage_notation(finder: ReferenceFinder) -> None:
    refs = finder.find("section 51(3), regulation 72(1)(b), Schedule 5 paragraph 13 and Schedule 1")
    assert [r.provision for r in refs] == [
        Provision("", "s", "51", ("3",)),
        Provision("", "reg", "72", ("1", "b")),
        Provision("Sch.5", "para", "13", ()),
        Provision("Sch.1", "sch", "", ()),
    ]
    assert all(Provision.parse(str(r.provision)) == r.provision for r in refs)


def test_parts_are_not_provisions_but_their_instrument_is_returned(finder: ReferenceFinder) -> None:
    ref = only(finder.find("Part 6 of the Procurement Act 2023"))
    assert (ref.provision, ref.doc_id, ref.resolution) == (None, PA, "explicit")
    assert finder.find("Part 6 applies") == []


def test_reference_split_across_a_line_break(finder: ReferenceFinder) -> None:
    text = "as set out in section\n51(3) of the Procurement\nAct 2023."
    ref = only(finder.find(text))
    assert (str(ref.provision), ref.doc_id) == ("s.51(3)", PA)
    assert ref.text == "section\n51(3) of the Procurement\nAct 2023"
    assert text[ref.start:ref.end] == ref.text


# ---- naming the instrument --------------------------------------------------------------------

@pytest.mark.parametrize("text, provision, doc_id, resolution", [
    ("Section 3(6) of the 2011 Act", "s.3(6)", PRSRA, "alias"),
    ("the 2011 Act s.3(6)", "s.3(6)", PRSRA, "alias"),
    ("PA 2023 s.51", "s.51", PA, "explicit"),
    ("PCR 2015 reg 5", "reg.5", PCR, "explicit"),
    ("section 149(1) of the Equality Act 2010", "s.149(1)", EA, "explicit"),
    ("under the Procurement Act 2023, section 19", "s.19", PA, "explicit"),
    ("What does section 41 of the Procurement Act allow?", "s.41", PA, "alias"),
    ("PA 2023 Schedule 1 threshold for goods", "Sch.1", PA, "explicit"),
    ("paragraphs 13 of Schedule 5 to the PA 2023", "Sch.5 para 13", PA, "explicit"),
    ("SI 2015/102 reg 5", "reg.5", PCR, "explicit"),
    ("regulation 84 of the Public Contracts Regulations 2015", "reg.84", PCR, "explicit"),
])
def test_instrument_named_before_or_after(finder: ReferenceFinder, text: str, provision: str,
                                          doc_id: str, resolution: str) -> None:
    ref = only(finder.find(text))
    assert (str(ref.provision), ref.doc_id, ref.resolution) == (provision, doc_id, resolution)


def test_the_phrase_with_its_instrument_is_the_text(finder: ReferenceFinder) -> None:
    text = "Sections 41 and 43 of the Procurement Act 2023 allow direct award."
    refs = finder.find(text)
    assert provisions(refs) == ["s.41", "s.43"]
    assert {r.text for r in refs} == {"Sections 41 and 43 of the Procurement Act 2023"}
    assert all(r.doc_id == PA and r.instrument == "Procurement Act 2023" for r in refs)


def test_each_provision_takes_the_instrument_next_to_it(finder: ReferenceFinder) -> None:
    refs = finder.find("PCR 2015 reg 5 and PA 2023 s.51; section 3 of the 2011 Act and s.149 EA 2010")
    assert [(str(r.provision), r.doc_id) for r in refs] == [
        ("reg.5", PCR), ("s.51", PA), ("s.3", PRSRA), ("s.149", EA)]


def test_instrument_alone_has_no_provision(finder: ReferenceFinder) -> None:
    ref = only(finder.find("Contracting authorities under the Public Contracts Regulations 2015 must"))
    assert (ref.provision, ref.doc_id, ref.resolution) == (None, PCR, "explicit")
    assert ref.text == "the Public Contracts Regulations 2015"
    alias = only(finder.find("as the Regulations require"))
    assert (alias.provision, alias.doc_id, alias.resolution) == (None, PCR, "alias")
    assert alias.instrument == "the Regulations"


def test_a_bare_provision_with_nothing_named_is_unresolved(finder: ReferenceFinder) -> None:
    ref = only(finder.find("What does reg 72(1)(b) say?"))
    assert (str(ref.provision), ref.doc_id, ref.instrument, ref.resolution) == (
        "reg.72(1)(b)", None, None, "unresolved")


# ---- definitions in a paper -------------------------------------------------------------------

def test_a_paper_defines_its_own_short_title(finder: ReferenceFinder) -> None:
    text = ("MOPAC's powers are in the Police Reform and Social Responsibility Act 2011 (the 2011 Act). "
            "Section 3(6) of the 2011 Act provides")
    first, second = finder.find(text)
    assert (first.provision, first.doc_id, first.resolution) == (None, PRSRA, "explicit")
    assert first.text == "the Police Reform and Social Responsibility Act 2011"
    assert (str(second.provision), second.doc_id, second.resolution) == ("s.3(6)", PRSRA, "alias")
    assert second.instrument == "Police Reform and Social Responsibility Act 2011"


def test_a_definition_overrides_the_manifest_alias_from_then_on(finder: ReferenceFinder) -> None:
    text = ('Regulation 5 of the Regulations applied before. Now the Procurement Regulations 2024 '
            '("the Regulations") apply, and regulation 6 of the Regulations says')
    before, instrument, after = finder.find(text)
    assert (str(before.provision), before.doc_id) == ("reg.5", PCR)
    assert (instrument.provision, instrument.doc_id) == (None, PR)
    assert (str(after.provision), after.doc_id, after.resolution) == ("reg.6", PR, "alias")


def test_a_definition_can_name_an_instrument_outside_the_corpus(finder: ReferenceFinder) -> None:
    refs = finder.find("the Data Protection Act 2018 (the Act). Section 5 of the Act requires")
    assert [(r.doc_id, r.instrument, r.resolution) for r in refs] == [
        (None, "Data Protection Act 2018", "outside-corpus")] * 2
    assert str(refs[1].provision) == "s.5"


# ---- context carry-over -----------------------------------------------------------------------

def test_paragraph_after_a_schedule_paragraph_stays_in_that_schedule(finder: ReferenceFinder) -> None:
    refs = finder.find("Under the 2011 Act, Schedule 3, paragraph 7 gives wide powers. "
                       "Paragraph 7(2)(a) provides that this includes contracts.")
    assert [(str(r.provision), r.doc_id, r.resolution) for r in refs] == [
        ("Sch.3 para 7", PRSRA, "alias"), ("Sch.3 para 7(2)(a)", PRSRA, "context")]


def test_subsection_after_a_section(finder: ReferenceFinder) -> None:
    named = finder.find("section 51 of the Procurement Act 2023. Then subsection (2) applies.")
    assert [(str(r.provision), r.doc_id, r.resolution) for r in named] == [
        ("s.51", PA, "explicit"), ("s.51(2)", PA, "context")]
    bare = finder.find("section 51 … subsection (2)")
    assert [(str(r.provision), r.doc_id, r.resolution) for r in bare] == [
        ("s.51", None, "unresolved"), ("s.51(2)", None, "unresolved")]


def test_a_bare_provision_inherits_the_instrument_before_it(finder: ReferenceFinder) -> None:
    refs = finder.find("Under the Equality Act 2010 section 149 applies; section 150 does not.")
    assert [(str(r.provision), r.doc_id, r.resolution) for r in refs] == [
        ("s.149", EA, "explicit"), ("s.150", EA, "context")]


def test_carry_over_does_not_cross_into_another_instrument(finder: ReferenceFinder) -> None:
    refs = finder.find("Schedule 3, paragraph 7 of the 2011 Act. Section 149 of the Equality Act 2010. "
                       "Paragraph 7(2)(a) provides")
    assert [(r.doc_id, r.resolution) for r in refs[:2]] == [(PRSRA, "alias"), (EA, "explicit")]
    assert (refs[2].provision, refs[2].doc_id, refs[2].resolution) == (None, None, "unresolved")


def test_a_regulation_is_not_carried_into_an_act(finder: ReferenceFinder) -> None:
    refs = finder.find("section 3 of the 2011 Act and, separately, regulation 5")
    assert [(str(r.provision), r.doc_id, r.resolution) for r in refs] == [
        ("s.3", PRSRA, "alias"), ("reg.5", None, "unresolved")]


def test_a_loosely_named_instrument_is_not_inherited(finder: ReferenceFinder) -> None:
    refs = finder.find("Section 41 of the 2023 Act applies. Paragraph 4.8 of the MOPAC Scheme of Delegation "
                       "provides the approval route. A direct award under section 41 must be justified by "
                       "reference to Schedule 5.")
    assert [(None if r.provision is None else str(r.provision), r.doc_id, r.resolution) for r in refs] == [
        ("s.41", PA, "alias"), (None, None, "outside-corpus"), ("s.41", PA, "context"), ("Sch.5", PA, "context")]


def test_a_papers_title_does_not_lend_itself_to_its_sections(finder: ReferenceFinder) -> None:
    refs = finder.find("PCD 1587 Interim Victim Support Service\n\nUnder section 41 a direct award is possible.")
    assert [(r.instrument, r.resolution) for r in refs] == [("PCD 1587", "outside-corpus"), (None, "unresolved")]
    indexed = finder.find("As approved in PCD 1429. Section 41 applies.")
    assert (str(indexed[1].provision), indexed[1].doc_id, indexed[1].resolution) == ("s.41", None, "unresolved")


def test_a_provision_cited_before_keeps_its_instrument(finder: ReferenceFinder) -> None:
    refs = finder.find("The extension is a modification under regulation 72(1)(a) of the Public Contracts "
                       "Regulations 2015. Under Article 72 of Directive 2014/24/EU, on which regulation 72 is based, "
                       "modifications must not alter the overall nature of the contract.")
    assert [(str(r.provision), r.doc_id, r.resolution) for r in refs] == [
        ("reg.72(1)(a)", PCR, "explicit"), ("art.72", None, "outside-corpus"), ("reg.72", PCR, "context")]
    # The instrument just named still comes first when it fits.
    refs = finder.find("Section 41 of the 2023 Act. Schedule 3, paragraph 7 of the 2011 Act. Section 41 then")
    assert (str(refs[-1].provision), refs[-1].doc_id) == ("s.41", PRSRA)
    # A provision never cited before is not guessed from an earlier instrument of the right kind.
    refs = finder.find("regulation 33 of the PCR 2015. Section 3 of the 2011 Act. Regulation 84 requires a report.")
    assert (str(refs[-1].provision), refs[-1].doc_id, refs[-1].resolution) == ("reg.84", None, "unresolved")


def test_a_bare_paragraph_without_a_schedule_is_not_guessed(finder: ReferenceFinder) -> None:
    ref = only(finder.find("paragraph 3 applies"))
    assert (ref.provision, ref.doc_id, ref.instrument, ref.resolution) == (None, None, None, "unresolved")
    after_a_section = finder.find("section 5 of the Procurement Act 2023 and paragraph 3")
    assert (after_a_section[1].provision, after_a_section[1].resolution) == (None, "unresolved")


# ---- default_doc ------------------------------------------------------------------------------

def test_default_doc_only_fills_in_what_nothing_else_names(finder: ReferenceFinder) -> None:
    ref = only(finder.find("What does reg 72(1)(b) say?", default_doc=PCR))
    assert (str(ref.provision), ref.doc_id, ref.instrument, ref.resolution) == (
        "reg.72(1)(b)", PCR, "PCR 2015", "context")
    named = only(finder.find("section 51 of the Equality Act 2010", default_doc=PA))
    assert (named.doc_id, named.resolution) == (EA, "explicit")
    wrong_kind = only(finder.find("reg 72", default_doc=PA))
    assert (wrong_kind.doc_id, wrong_kind.resolution) == (None, "unresolved")


def test_this_act_and_above_point_at_the_texts_own_document(finder: ReferenceFinder) -> None:
    text = "section 3 of the Equality Act 2010; section 5 of this Act; section 1 above"
    with_default = finder.find(text, default_doc=PA)
    assert [(str(r.provision), r.doc_id, r.resolution) for r in with_default] == [
        ("s.3", EA, "explicit"), ("s.5", PA, "context"), ("s.1", PA, "context")]
    assert with_default[2].text == "section 1 above"
    without = finder.find(text)
    assert [(r.doc_id, r.resolution) for r in without[1:]] == [(None, "unresolved")] * 2


# ---- decision papers and instruments outside the corpus ---------------------------------------

def test_decision_paper_numbers(finder: ReferenceFinder) -> None:
    ref = only(finder.find("as approved in PCD 1429"))
    assert (ref.provision, ref.doc_id, ref.resolution) == (None, "pcd-1429", "explicit")
    other = only(finder.find("as approved in PCD 1234"))
    assert (other.provision, other.doc_id, other.instrument, other.resolution) == (
        None, None, "PCD 1234", "outside-corpus")


def test_scheme_of_delegation_is_outside_the_corpus(finder: ReferenceFinder) -> None:
    ref = only(finder.find("Paragraph 4.13 of the MOPAC Scheme of Delegation and Consent provides that"))
    assert (ref.provision, ref.doc_id, ref.instrument, ref.resolution) == (
        None, None, "MOPAC Scheme of Delegation and Consent", "outside-corpus")


@pytest.mark.parametrize("text, instrument, provision", [
    ("Regulation (EU) 2016/679 applies", "Regulation (EU) 2016/679", None),
    ("under Directive 2014/24/EU", "Directive 2014/24/EU", None),
    ("Article 5 of Regulation (EU) 2016/679", "Regulation (EU) 2016/679", "art.5"),
    ("section 5 of the Data Protection Act 2018", "Data Protection Act 2018", "s.5"),
    ("section 107F(1) of the Local Democracy, Economic Development and Construction Act 2009",
     "Local Democracy, Economic Development and Construction Act 2009", "s.107F(1)"),
    ("the Procurement Act 2023 (Consequential and Other Amendments) Regulations 2025",
     "Procurement Act 2023 (Consequential and Other Amendments) Regulations 2025", None),
])
def test_other_instruments_are_outside_the_corpus(finder: ReferenceFinder, text: str, instrument: str,
                                                  provision: str | None) -> None:
    ref = only(finder.find(text))
    assert (ref.doc_id, ref.instrument, ref.resolution) == (None, instrument, "outside-corpus")
    assert (None if ref.provision is None else str(ref.provision)) == provision


def test_a_directive_does_not_lend_itself_to_a_later_regulation(finder: ReferenceFinder) -> None:
    refs = finder.find("Article 18 of Directive 2014/24/EU. Regulation 18 of these Regulations and regulation 19",
                       default_doc=PCR)
    assert [(str(r.provision), r.doc_id) for r in refs] == [("art.18", None), ("reg.18", PCR), ("reg.19", PCR)]


@pytest.mark.parametrize("text", [
    "a maximum value of £500,000, and budgets of £50,000 - £75,000",
    "Date signed: 24 February 2025",
    "the work will be delivered in 2023 – 2024",
    "  1. Introduction and background\n  2. Issues for consideration\n    (a) first",
    "in compliance with procurement regulations and MOPAC’s Contract Regulations",
    "MOPAC’s 2023 budget and the Mayor's 5 priorities",
])
def test_things_that_are_not_references(finder: ReferenceFinder, text: str) -> None:
    assert finder.find(text) == []


def test_a_year_is_not_a_regulation_number(finder: ReferenceFinder) -> None:
    ref = only(finder.find("the Public Contracts Regulations 2015"))
    assert ref.provision is None


# ---- the API ----------------------------------------------------------------------------------

def test_to_dict_and_find_first(finder: ReferenceFinder) -> None:
    ref = finder.find_first("See section 149(1) of the Equality Act 2010 and s.150")
    assert ref is not None
    assert ref.to_dict() == {"text": "section 149(1) of the Equality Act 2010", "start": 4, "end": 43,
                             "provision": "s.149(1)", "doc_id": EA, "instrument": "Equality Act 2010",
                             "resolution": "explicit"}
    assert finder.find_first("nothing here") is None
    assert only(finder.find("the Equality Act 2010")).to_dict()["provision"] is None


def test_an_alias_naming_two_documents_is_refused() -> None:
    docs = manifest_documents()
    clash = DocumentInfo("uksi-2099-1", "The Clashing Regulations 2099", "CR 2099", "legislation", "",
                         aliases=("the Regulations",))
    with pytest.raises(ValueError, match="the Regulations"):
        ReferenceFinder([*docs, clash])


# ---- the real decision paper ------------------------------------------------------------------

def test_pcd_1429(finder: ReferenceFinder) -> None:
    text = PCD_1429.read_text(encoding="utf-8")
    refs = finder.find(text, default_doc="pcd-1429")
    assert all(r.resolution in RESOLUTIONS and text[r.start:r.end] == r.text for r in refs)
    found = {(None if r.provision is None else str(r.provision), r.doc_id, r.resolution) for r in refs}
    assert ("s.3(6)", PRSRA, "alias") in found
    assert ("Sch.3 para 7", PRSRA, "context") in found
    assert ("Sch.3 para 7(2)(a)", PRSRA, "context") in found
    assert ("s.149(1)", EA, "explicit") in found
    assert (None, PRSRA, "explicit") in found
    assert (None, PCR, "explicit") in found
    assert (None, PCR, "alias") in found  # "in accordance with the Regulations"
    assert (None, "pcd-1429", "explicit") in found

    scheme = only([r for r in refs if r.text.startswith("Paragraph 4.13")])
    assert (scheme.provision, scheme.doc_id, scheme.instrument, scheme.resolution) == (
        None, None, "MOPAC Scheme of Delegation and Consent", "outside-corpus")
    # "as set out in section 1 above" is the paper's own section 1, never a section of an Act.
    own = only([r for r in refs if r.text == "section 1 above"])
    assert (own.doc_id, own.resolution) == ("pcd-1429", "context")
    # Nothing else: no money, dates, list numbers or "procurement regulations".
    assert [(str(r.provision), r.doc_id) for r in refs if r.provision is not None] == [
        ("s.1", "pcd-1429"), ("s.3(6)", PRSRA), ("Sch.3 para 7", PRSRA), ("Sch.3 para 7(2)(a)", PRSRA),
        ("s.149(1)", EA)]
    assert {r.instrument for r in refs if r.provision is None} == {
        "PCD 1429 MOPAC Delivery & Victim Services Recommissioning Support",
        "Police Reform and Social Responsibility Act 2011", "MOPAC Scheme of Delegation and Consent",
        "Public Contracts Regulations 2015", "Equality Act 2010"}
