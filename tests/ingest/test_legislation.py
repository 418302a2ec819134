"""The legislation parser on the real corpus: labels, text, spans, coverage, links."""

from __future__ import annotations

import re

import pytest

from ingest.parsers.legislation import markdown_plain, numbered_headings
from ingest.passage import Provision
from ingest.textutil import normalise_space


def texts(by_citation, label):
    assert label in by_citation, f"no passage labelled {label}"
    return " ".join(p.text for p in by_citation[label])


def test_pcr_reg_5_1_d_is_the_schedule_3_social_services_threshold(by_citation):
    passage = texts(by_citation, "PCR 2015 reg.5(1)")
    assert "(d) for public service contracts for social and other specific services listed in Schedule 3" in passage


def test_pa_section_41_1_and_schedule_5_para_13(by_citation):
    assert "If a direct award justification applies, a contracting authority may award a public contract directly" in texts(by_citation, "PA 2023 s.41(1)")
    assert "extreme and unavoidable urgency" in texts(by_citation, "PA 2023 Sch.5 para 13")


def test_prsra_section_3_6_says_efficient_and_effective(by_citation):
    assert "efficient and effective" in texts(by_citation, "PRSRA 2011 s.3(6)")


def test_schedule_1_threshold_table_stays_whole_with_its_header(by_citation):
    table = texts(by_citation, "PA 2023 Sch.1 para 1(1)")
    assert "Type of contract" in table and "Threshold amount" in table
    assert "£207,720" in table and "£663,540" in table and "£5,193,000" in table


def test_repealed_placeholders_and_markup_stay_out_of_text(passages):
    for p in passages:
        assert ". . . ." not in p.text, p.citation
        assert "[^" not in p.text and "](http" not in p.text, p.citation


def test_every_passage_is_verbatim_in_its_source_at_its_span(library, passages):
    files = {d.doc_id: (library.settings.corpus_cache / d.file).read_text(encoding="utf-8")
             for d in library.index.documents if d.kind == "legislation"}
    checked = 0
    for p in passages:
        if p.doc_id in files:
            start, end = p.span
            source = normalise_space(markdown_plain(files[p.doc_id][start:end]))
            assert normalise_space(p.text) in source, p.passage_id
            checked += 1
    assert checked > 2000


@pytest.mark.parametrize("doc_id", ["ukpga-2023-54", "uksi-2015-102", "uksi-2024-692", "uksi-2024-716",
                                    "ukpga-2011-13", "ukpga-2010-15"])
def test_every_numbered_provision_with_text_yields_a_passage(library, passages, doc_id):
    """Count the numbered headings in the file; each one that is not wholly repealed has passages."""
    doc = next(d for d in library.index.documents if d.doc_id == doc_id)
    text = (library.settings.corpus_cache / doc.file).read_text(encoding="utf-8")
    body = re.split(r"^## (?:Signed|Explanatory note|Footnotes|Editorial notes)\s*$", text, flags=re.M)[0]
    sections: dict[str, str] = {}
    for block in re.split(r"^#{5,6} ", body, flags=re.M)[1:]:
        number, _, rest = block.partition("\n")
        content = re.sub(r"^#.*$", "", rest.split("\n## ")[0], flags=re.M)
        if re.search(r"[A-Za-z]{3}", content.replace(". ", "")):
            sections.setdefault(number.strip(), content)
    found = {p.provision_ref.number for p in passages if p.doc_id == doc_id}
    missing = [n for n in sections if n not in found]
    assert len(numbered_headings(body)) >= len(sections) > 0
    assert not missing, f"{doc_id}: numbered provisions without passages: {missing[:20]}"


def test_inserted_provisions_after_the_notes_are_placed_by_their_editorial_notes(by_citation):
    assert "protection of workers" in texts(by_citation, "PA 2023 s.83A(1)")
    assert "Republic of India" in texts(by_citation, "PA 2023 Sch.9 para 28")
    assert "PA 2023 s.28" in by_citation  # the real s.28, not the Sch. 9 para 28 found in the back matter
    assert "Republic of India" not in texts(by_citation, "PA 2023 s.28")


def test_passage_ids_are_stable_and_unique(passages):
    ids = [p.passage_id for p in passages]
    assert len(ids) == len(set(ids))
    assert "uksi-2015-102/reg-72/1" in ids
    assert "ukpga-2023-54/sch-5/para-13" in ids


def test_deep_links_point_at_the_provision(by_citation):
    assert by_citation["PA 2023 s.41(1)"][0].source_url == "https://www.legislation.gov.uk/ukpga/2023/54/section/41/1"
    assert by_citation["PCR 2015 reg.5(1)"][0].source_url == "https://www.legislation.gov.uk/uksi/2015/102/regulation/5/1"
    assert by_citation["PA 2023 Sch.5 para 13"][0].source_url.endswith("/schedule/5/paragraph/13")


def test_nesting_is_inferred_from_labels():
    """(i) after (h) is a letter; (i) after (b) is a roman numeral inside it."""
    from ingest.document import DocumentInfo
    from ingest.parsers.legislation import parse_legislation

    md = "# T\n\n## PART 1 — X\n\n#### Heading\n\n##### 1\n\n- (1) Lead—\n\n- (h) aitch;\n\n- (i) eye;\n\n- (2) Two—\n\n- (a) ay, and\n\n- (b) bee—\n\n- (i) one,\n\n- (ii) two.\n\n- (3) " + "x " * 400 + "\n"
    doc = DocumentInfo("ukpga-2099-1", "T", "T 2099", "legislation", "2099-01-01")
    whole, *ps = parse_legislation(md, doc)
    assert whole.provision == "s.1" and not whole.parent_id
    assert [p.provision for p in ps] == ["s.1(1)", "s.1(2)", "s.1(3)"]
    assert all(p.parent_id == whole.passage_id for p in ps)
    assert "(i) eye;" in ps[0].text and "(ii) two." in ps[1].text
    assert Provision.parse("s.1(2)").overlaps(ps[1].provision_ref)
