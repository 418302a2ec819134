"""The paper checker on the real index: PCD 1429, papers written here (text, HTML, a generated PDF),
the links ingest keeps from papers to the passages they cite, the CLI, the UI tab's handlers and
the reference finder's bench."""

from __future__ import annotations

import json
import shutil
import socket
from decimal import Decimal
from pathlib import Path

import gradio as gr
import pytest
from fpdf import FPDF

from assistant.cli import main as cga
from assistant.papercheck.checker import (
    AMBIGUOUS,
    DOES_NOT_EXIST,
    FOUND,
    NOT_CHECKED,
    NOT_FOUND,
    NOT_IN_CORPUS,
    OWN_PAPER,
    RESOLVED,
    CheckError,
    PaperChecker,
    PaperReport,
    ReferenceCheck,
    report_markdown,
)
from assistant.papercheck.paper import without_page_furniture
from assistant.papercheck.wording import appears, figures, quote_in, quotes
from assistant.web.checker_tab import (
    CheckerTab,
    build_checker_tab,
    reference_html,
    table_rows,
)
from evals import bench_references
from ingest.document import IngestError
from ingest.passage import Provision
from tests.small_corpus import corpus_file

PA, PCR, PRSRA, EA = "ukpga-2023-54", "uksi-2015-102", "ukpga-2011-13", "ukpga-2010-15"


@pytest.fixture(scope="module")
def checker(library) -> PaperChecker:
    return PaperChecker(library)


@pytest.fixture(scope="module")
def pcd_1429(checker) -> PaperReport:
    return checker.check_document("pcd-1429")


def version_date(library, doc_id: str) -> str:
    return next(d.version_date for d in library.index.documents if d.doc_id == doc_id)


def one(report: PaperReport, text: str) -> ReferenceCheck:
    found = [r for r in report.references if r.text == text]
    assert len(found) == 1, [r.text for r in report.references]
    return found[0]


def cited_ids(ref: ReferenceCheck) -> list[str]:
    return [c.passage_id for c in ref.cited]


# ---- PCD 1429 -----------------------------------------------------------------------------------

def test_pcd_1429_provisions_resolve_to_their_passages(pcd_1429: PaperReport, library) -> None:
    s36 = one(pcd_1429, "Section 3(6) of the 2011 Act")
    assert (s36.verdict, s36.label, cited_ids(s36)) == (RESOLVED, "PRSRA 2011 s.3(6)", [f"{PRSRA}/s-3/6"])
    assert s36.version_date == version_date(library, PRSRA)
    assert s36.source_url.endswith("/ukpga/2011/13/section/3/6")

    para7 = one(pcd_1429, "Schedule 3, paragraph 7")
    assert (para7.verdict, para7.label, cited_ids(para7)) == (RESOLVED, "PRSRA 2011 Sch.3 para 7", [f"{PRSRA}/sch-3/para-7"])

    para7_2a = one(pcd_1429, "Paragraph 7(2) (a)")
    assert (para7_2a.verdict, para7_2a.label) == (RESOLVED, "PRSRA 2011 Sch.3 para 7(2)(a)")
    assert cited_ids(para7_2a) == [f"{PRSRA}/sch-3/para-7"]
    # The cited sub-paragraph is cut out of the paragraph's passage, and only it.
    excerpt = para7_2a.cited[0].excerpt
    assert excerpt.startswith("(a) entering into contracts and other agreements")
    assert "(b)" not in excerpt and excerpt in library.index.by_id[f"{PRSRA}/sch-3/para-7"].text

    psed = one(pcd_1429, "section 149(1) of the Equality Act 2010")
    assert (psed.verdict, psed.label, cited_ids(psed)) == (RESOLVED, "EA 2010 s.149(1)", [f"{EA}/s-149/1"])
    assert all(r.sentence[r.sentence_mark[0]:r.sentence_mark[1]] == r.text for r in pcd_1429.references)


def test_pcd_1429_scheme_of_delegation_is_not_in_the_corpus(pcd_1429: PaperReport) -> None:
    scheme = one(pcd_1429, "Paragraph 4.13 of the MOPAC Scheme of Delegation and Consent")
    assert (scheme.verdict, scheme.cited, scheme.label) == (NOT_IN_CORPUS, [], "")
    assert "MOPAC Scheme of Delegation and Consent" in scheme.reason
    assert [(c.kind, c.text, c.status) for c in scheme.checks] == [("figure", "£500,000", NOT_CHECKED)]


def test_pcd_1429_the_regulations_resolve_to_the_instrument(pcd_1429: PaperReport, library) -> None:
    refs = [r for r in pcd_1429.references if r.doc_id == PCR]
    assert [r.text for r in refs] == ["the Public Contracts Regulations 2015", "the Regulations"]
    assert {(r.verdict, r.label, r.provision, r.version_date) for r in refs} == {
        (RESOLVED, "PCR 2015", None, version_date(library, PCR))}
    # "£181,302 or above will be procured in accordance with the Regulations": the figure is looked
    # for in the whole instrument, and the 2015 text gives thresholds by reference to the Directive.
    [figure] = refs[1].checks
    assert (figure.kind, figure.text, figure.status) == ("figure", "£181,302", NOT_FOUND)
    assert figure.message == f"figure not found in the cited text as at {version_date(library, PCR)}"


def test_pcd_1429_misquotes_section_3_6(pcd_1429: PaperReport, library) -> None:
    [quote] = one(pcd_1429, "Section 3(6) of the 2011 Act").checks
    assert quote.kind == "quote" and quote.status == NOT_FOUND
    assert quote.text.startswith("secure the maintenance of the metropolitan police service")
    assert quote.message.startswith(f"quoted words not found in the cited text as at {version_date(library, PRSRA)}")
    assert "“service” where the text has “force”" in quote.message
    assert "metropolitan police force" in library.index.by_id[f"{PRSRA}/s-3/6"].text
    flagged = [r.text for r in pcd_1429.flagged]
    # The equality paragraph's list is flagged too (tests/papercheck/test_support.py).
    assert flagged == ["Section 3(6) of the 2011 Act", "the Regulations", "section 149(1) of the Equality Act 2010"]


def test_pcd_1429_quotes_schedule_3_paragraph_7_correctly(pcd_1429: PaperReport) -> None:
    [quote] = one(pcd_1429, "Schedule 3, paragraph 7").checks
    assert quote.status == FOUND and quote.found_in == "PRSRA 2011 Sch.3 para 7"


def test_pcd_1429_section_1_above_is_the_papers_own(pcd_1429: PaperReport, library) -> None:
    own = one(pcd_1429, "section 1 above")
    assert own.verdict == OWN_PAPER
    expected = [p.passage_id for p in library.index.passages if p.passage_id.startswith("pcd-1429/introduction")]
    assert cited_ids(own) == expected and expected
    assert not [r for r in pcd_1429.references if r.doc_id == "pcd-1429" and r.provision is None]


def test_the_uploaded_file_is_recognised_as_the_indexed_paper(checker, pcd_1429: PaperReport) -> None:
    uploaded = checker.check_file(corpus_file("decisions/pcd-1429.txt"))
    assert uploaded.doc_id == "pcd-1429"
    assert [(r.text, r.verdict, r.label, [c.status for c in r.checks]) for r in uploaded.references] == [
        (r.text, r.verdict, r.label, [c.status for c in r.checks]) for r in pcd_1429.references]


# ---- papers written here --------------------------------------------------------------------------

PAPER = """PCD 9001 Test decision: consultancy support

4. Legal Comments

4.1 Section 400 of the Procurement Act 2023 gives MOPAC a general power to buy services. Section 13 of
the Equality Act 2010 is relied on too, and section 3(6)(c) of the 2011 Act.
4.2 Under paragraph 3 the Deputy Mayor may approve the award.
4.3 Section 19(1) of the Procurement Act 2023 allows an award to “the supplier that submits the cheapest
tender”. Section 19(1) of the Procurement Act 2023 allows an award to "the supplier that submits the most
advantageous tender".
4.4 Regulation 5 of the Public Contracts Regulations 2015 sets a threshold of £118,133 for central
government. Under paragraph 1 of Schedule 1 to the Procurement Act 2023 the threshold for a defence and
security works contract is £5,193,000.
4.5 The contract cannot be entered into before the end of the standstill period in section
51(3) of the Procurement
Act 2023.
4.6 As recorded in paragraph 4.2 of PCD 1429, the Deputy Mayor approves tenders of £500,000 or above. Section 9
of PCD 1429 lists no background papers.
"""


@pytest.fixture(scope="module")
def paper(checker) -> PaperReport:
    return checker.check_text(PAPER, "test-paper.txt")


def test_a_section_beyond_the_act_does_not_exist(paper: PaperReport, library) -> None:
    ref = one(paper, "Section 400 of the Procurement Act 2023")
    assert (ref.verdict, ref.label, ref.cited) == (DOES_NOT_EXIST, "PA 2023 s.400", [])
    assert not library.retriever.provision_passages(PA, Provision.parse("s.400"))
    assert "PA 2023 has no s.400" in ref.reason and "s.1–" in ref.reason
    assert ref.flags and ref.flags[0].startswith(DOES_NOT_EXIST)


def test_a_subsection_missing_from_its_section_does_not_exist(paper: PaperReport) -> None:
    ref = one(paper, "section 3(6)(c) of the 2011 Act")
    assert (ref.verdict, ref.label) == (DOES_NOT_EXIST, "PRSRA 2011 s.3(6)(c)")
    assert "PRSRA 2011 s.3(6) is indexed" in ref.reason


def test_a_section_outside_an_extract_is_not_in_the_corpus(paper: PaperReport) -> None:
    # The indexed Equality Act holds ss.149-157 only: section 13 exists in the Act, just not here.
    ref = one(paper, "Section 13 of the Equality Act 2010")
    assert ref.verdict == NOT_IN_CORPUS and "extract" in ref.reason and not ref.flags


def test_a_bare_paragraph_is_ambiguous_with_candidates(paper: PaperReport, library) -> None:
    ref = one(paper, "paragraph 3")
    assert ref.verdict == AMBIGUOUS and "names no schedule" in ref.reason
    assert "PRSRA 2011 Sch.3 para 3" in ref.candidates and "PA 2023 Sch.1 para 3" in ref.candidates
    # The instruments the paper cites come first, and every candidate is a real indexed provision.
    assert ref.candidates[0].startswith("PA 2023")
    shorts = {d.short: d.doc_id for d in library.index.documents}
    for candidate in ref.candidates:
        short, provision = next((s, candidate[len(s) + 1:]) for s in shorts if candidate.startswith(s + " "))
        assert library.retriever.provision_passages(shorts[short], Provision.parse(provision)), candidate


def test_quoted_words_are_compared_with_the_cited_provision(paper: PaperReport, library) -> None:
    wrong, right = [r for r in paper.references if r.text == "Section 19(1) of the Procurement Act 2023"]
    [misquote] = wrong.checks
    assert misquote.status == NOT_FOUND
    assert misquote.message.startswith(f"quoted words not found in the cited text as at {version_date(library, PA)}")
    assert "“cheapest” where the text has “most advantageous”" in misquote.message
    [quote] = right.checks  # straight quotes, across a line break
    assert (quote.status, quote.found_in) == (FOUND, "PA 2023 s.19(1)")


def test_figures_are_compared_with_the_cited_provision(paper: PaperReport, library) -> None:
    [missing] = one(paper, "Regulation 5 of the Public Contracts Regulations 2015").checks
    assert (missing.text, missing.status) == ("£118,133", NOT_FOUND)
    assert missing.message == f"figure not found in the cited text as at {version_date(library, PCR)}"
    [present] = one(paper, "paragraph 1 of Schedule 1 to the Procurement Act 2023").checks
    assert (present.text, present.status) == ("£5,193,000", FOUND)


def test_a_reference_split_across_lines(paper: PaperReport) -> None:
    ref = one(paper, "section 51(3) of the Procurement Act 2023")
    assert (ref.verdict, ref.label) == (RESOLVED, "PA 2023 s.51(3)")
    assert PAPER[ref.start:ref.end] == "section\n51(3) of the Procurement\nAct 2023"
    assert ref.sentence == ("The contract cannot be entered into before the end of the standstill period in "
                            "section 51(3) of the Procurement Act 2023.")


def test_a_decision_paper_is_cited_by_its_own_numbering(paper: PaperReport) -> None:
    para = one(paper, "paragraph 4.2 of PCD 1429")
    assert (para.verdict, para.label, cited_ids(para)) == (
        RESOLVED, "PCD 1429 §4.2 (Legal Comments ¶2)", ["pcd-1429/legal-comments/2"])
    assert [(c.text, c.status) for c in para.checks] == [("£500,000", FOUND)]
    section = one(paper, "Section 9 of PCD 1429")
    assert (section.verdict, cited_ids(section)) == (RESOLVED, ["pcd-1429/background-supporting-papers/1"])


def test_the_papers_own_number_is_not_a_reference(paper: PaperReport) -> None:
    assert not [r for r in paper.references if "PCD 9001" in r.text]


class _Paper(FPDF):
    def header(self) -> None:
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, "PCD 9002 - DRAFT - OFFICIAL", new_x="LMARGIN", new_y="NEXT")

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 5, f"Page {self.page_no()} of 2", align="C")


def pdf_paper(pages: list[str]) -> bytes:
    pdf = _Paper()
    pdf.set_auto_page_break(False)
    for text in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=11)
        pdf.multi_cell(0, 6, text)
    return bytes(pdf.output())


def test_a_pdf_paper_with_a_reference_across_a_page_break(checker, tmp_path: Path) -> None:
    path = tmp_path / "pcd-9002.pdf"
    path.write_bytes(pdf_paper([
        "PCD 9002 Draft decision: interim support\n\n4. Legal Comments\n\n"
        "4.1 The contract will be entered into after the standstill period in section",
        "51(3) of the Procurement Act 2023. Section 19(1) of the Procurement Act 2023 allows an award to "
        '"the supplier that submits the most\nadvantageous tender". Section 400 of the Procurement Act 2023 '
        "does not exist.",
    ]))
    report = checker.check_file(path)
    assert [(r.text, r.verdict, r.page) for r in report.references] == [
        ("section 51(3) of the Procurement Act 2023", RESOLVED, 1),
        ("Section 19(1) of the Procurement Act 2023", RESOLVED, 2),
        ("Section 400 of the Procurement Act 2023", DOES_NOT_EXIST, 2)]
    first = report.references[0]
    assert "Page 1" not in first.sentence and "DRAFT" not in first.sentence
    assert first.sentence.endswith("standstill period in section 51(3) of the Procurement Act 2023.")
    assert [c.status for c in report.references[1].checks] == [FOUND]


@pytest.mark.parametrize("quote, text, found", [
    ("do anything which is calculated to facilitate", "may do anything which is calculated to facilitate, or", "verbatim"),
    ("do anything … incidental to, the exercise of the [Office's] functions",
     "may do anything which is conducive or incidental to, the exercise of the functions", "verbatim"),
    ("‘Do anything’ … incidental to the exercise of [MOPAC's] functions",
     "may do anything which is conducive or incidental to, the exercise of the functions", "words"),
    ("do anything … the exercise of [MOPAC's] powers",
     "may do anything which is conducive or incidental to, the exercise of the functions", None),
    ("secure the maintenance of the force and secure that the force is efficient",
     "must—\n(a) secure the maintenance of the force, and\n(b) secure that the force is efficient", "words"),
    ("secure the maintenance of the service", "(a) secure the maintenance of the force", None),
])
def test_quotes_are_compared_normalised(quote: str, text: str, found: str | None) -> None:
    assert quote_in(quote, text) == found


def test_figures_are_amounts_in_a_currency() -> None:
    [figure] = figures("£1.2 million", 0)
    assert figure.amount == ("GBP", Decimal("1200000"))
    assert appears(figure, "a value of £1,200,000") == "verbatim"
    assert appears(figures("209,000 EUR", 0)[0], "£209,000") is None
    assert [(w.kind, w.text) for w in figures("between £50,000 - £75,000 in 2023 – 2024", 0)] == [
        ("figure", "£50,000"), ("figure", "£75,000")]


def test_a_figure_keeps_the_amount_its_sentence_gives_it() -> None:
    # "£3" is £3 million here: the scale is written once for both ends of the range.
    low, high = figures("a budget of £3-4 million", 10)
    assert (low.text, low.start, low.amount) == ("£3", 22, ("GBP", Decimal("3000000")))
    assert (high.text, high.amount) == ("4 million", ("GBP", Decimal("4000000")))
    assert appears(low, "not more than £3,000,000") == "verbatim"
    assert appears(low, "a fee of £3") is None
    assert appears(figures("£5mn", 0)[0], "£5,000,000") == "verbatim"


def test_a_quoted_defined_term_is_not_a_quote() -> None:
    sentence = 'as defined in the Public Contracts Regulations 2015 ("the Regulations"), which say “in writing”'
    assert [w.text for w in quotes(sentence, 0)] == ["in writing"]


def test_page_numbers_and_running_headers_are_dropped() -> None:
    pages = ["MOPAC\nfirst page text\n1", "MOPAC\nsecond page text\nPage 2 of 3", "MOPAC\nlast\n- 3 -"]
    assert without_page_furniture(pages) == ["first page text", "second page text", "last"]


def test_an_html_paper(checker, tmp_path: Path) -> None:
    path = tmp_path / "paper.html"
    path.write_text("<html><body><h1>Legal Comments</h1><p>Under <b>section 41</b> of the Procurement Act 2023 "
                    "&ldquo;a contracting authority may award a public contract directly&rdquo;.</p>"
                    "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p></body></html>", encoding="utf-8")
    [ref] = checker.check_file(path).references
    assert (ref.text, ref.verdict, ref.label) == ("section 41 of the Procurement Act 2023", RESOLVED, "PA 2023 s.41")
    assert [c.kind for c in ref.checks] == ["quote"]


@pytest.mark.parametrize("name, data, reason", [
    ("paper.docx", b"PK\x03\x04", "cannot check a .docx"),
    ("paper.txt", b"", "empty document"),
    ("paper.pdf", b"not a pdf", "no %PDF header"),
])
def test_unreadable_papers_are_refused_with_the_reason(checker, name: str, data: bytes, reason: str) -> None:
    with pytest.raises(IngestError, match=reason) as err:
        checker.check_bytes(data, name)
    assert str(err.value).startswith(f"{name}: ")


def test_unknown_or_hidden_document_ids_are_refused(checker) -> None:
    with pytest.raises(CheckError, match="pcd-0000: not an indexed document you can see"):
        checker.check_document("pcd-0000")
    with pytest.raises(CheckError, match="pcd-1429"):
        checker.check_document("pcd-1429", access=("restricted",))


def test_only_documents_the_reader_may_see_are_cited(checker) -> None:
    text = "Section 3(6) of the 2011 Act requires MOPAC to “secure the maintenance of the metropolitan police force”."
    [seen] = checker.check_text(text, "t.txt").references
    assert (seen.verdict, [c.status for c in seen.checks]) == (RESOLVED, [FOUND])
    [hidden] = checker.check_text(text, "t.txt", access=("restricted",)).references
    assert (hidden.verdict, hidden.cited, [c.status for c in hidden.checks]) == (NOT_IN_CORPUS, [], [NOT_CHECKED])
    assert hidden.reason.endswith("you can see")


# ---- the report -----------------------------------------------------------------------------------

def test_the_report_is_json_and_round_trips(pcd_1429: PaperReport) -> None:
    data = json.loads(json.dumps(pcd_1429.to_dict(), ensure_ascii=False))
    assert data["counts"] == pcd_1429.counts() and data["summary"] == pcd_1429.summary()
    assert PaperReport.from_dict(data) == pcd_1429
    assert data["references"][1]["flags"] == []


def test_markdown_export_keeps_paper_text_inert(checker) -> None:
    text = "<script>alert(1)</script> Section 41 of the Procurement Act 2023 says “<b>anything</b>” | x"
    markdown = report_markdown(checker.check_text(text, "x<y>.txt"))
    assert "<script>" not in markdown and "<b>" not in markdown
    assert "\\<script\\>" in markdown and "# Reference check: x\\<y\\>.txt" in markdown
    assert "| 1 | Section 41 of the Procurement Act 2023 | resolved | PA 2023 s.41 |" in markdown
    assert "quoted words not found" in markdown


def test_markdown_export_of_pcd_1429(pcd_1429: PaperReport) -> None:
    markdown = report_markdown(pcd_1429)
    assert markdown.startswith("# Reference check: PCD 1429\n")
    assert "## 3. Section 3(6) of the 2011 Act: resolved" in markdown
    assert "“service” where the text has “force”" in markdown
    assert "> (6) The Mayor's Office for Policing and Crime must—" in markdown


# ---- links kept at ingest ---------------------------------------------------------------------------

def test_ingest_links_pcd_1429_to_the_passages_it_cites(library) -> None:
    by_id = library.index.by_id
    assert f"{PRSRA}/s-3/6" in by_id["pcd-1429/legal-comments/1"].references
    assert f"{PRSRA}/sch-3/para-7" in by_id["pcd-1429/legal-comments/1"].references
    assert by_id["pcd-1429/equality-comments/2"].references == (f"{EA}/s-149/1",)
    linked = [p for p in library.index.passages if p.references]
    assert {p.doc_id for p in linked} == {"pcd-1429"}
    assert all(target in by_id for p in linked for target in p.references)


# ---- the CLI ------------------------------------------------------------------------------------------

def test_cga_check(index_settings, monkeypatch, capsys, tmp_path: Path) -> None:
    monkeypatch.setenv("CGA_DATA_DIR", str(index_settings.data_dir))
    monkeypatch.setenv("CGA_CORPUS_MIRROR", str(index_settings.corpus_mirror))
    assert cga(["check", "pcd-1429", "--json"]) == 1  # flagged: the misquote, the figure, the equality list
    report = json.loads(capsys.readouterr().out)
    assert report["doc_id"] == "pcd-1429" and report["counts"][RESOLVED] >= 7
    assert cga(["check", str(corpus_file("decisions/pcd-1429.txt"))]) == 1
    assert capsys.readouterr().out.startswith("# Reference check: pcd-1429.txt")
    clean = tmp_path / "clean.txt"
    clean.write_text("Section 41 of the Procurement Act 2023 allows a direct award if a direct award justification "
                     "applies.", encoding="utf-8")
    assert cga(["check", str(clean)]) == 0
    assert cga(["check", "no-such-paper"]) == 2
    assert "no-such-paper: not an indexed document you can see (nor a file)" in capsys.readouterr().err


# ---- the UI tab -----------------------------------------------------------------------------------------

def test_checker_tab_builds_inside_blocks(library) -> None:
    with gr.Blocks() as demo, gr.Tab("Check a paper"):
        build_checker_tab(library)
    assert any(getattr(block, "elem_id", None) == "cga-check-table" for block in demo.blocks.values())


def test_checker_tab_handlers(library, tmp_path: Path) -> None:
    tab = CheckerTab(library)
    choices = tab.documents()["choices"]
    assert ("PCD 1429: PCD 1429 MOPAC Delivery & Victim Services Recommissioning Support", "pcd-1429") in choices

    report, rows, status, picker, detail, export_file = tab.check_indexed("pcd-1429")
    assert rows == table_rows(report) and len(rows) == len(report.references)
    assert rows[2][2:5] == ["Section 3(6) of the 2011 Act", RESOLVED, "PRSRA 2011 s.3(6)"]
    assert picker["value"] == report.flagged[0].n and "Section 3(6)" in detail
    assert "cga-status-error" in status

    event = gr.SelectData(None, {"index": [3, 2], "value": "Schedule 3, paragraph 7"})
    assert tab.selected(report, event) == report.references[3].n
    assert "entering into contracts" in tab.detail(report, report.references[4].n)

    file_update, export_status = tab.export(report)
    assert Path(file_update["value"]).read_text(encoding="utf-8") == report_markdown(report)
    assert "cga-status-ok" in export_status

    upload = tmp_path / "paper.txt"
    upload.write_text("Section 41 of the Procurement Act 2023 <img src=x onerror=alert(1)> applies.", encoding="utf-8")
    report, rows, *_ = tab.check_upload(str(upload))
    html_out = reference_html(report.references[0])
    assert "<img" not in html_out and "&lt;img src=x onerror=alert(1)&gt;" in html_out
    assert "<mark>Section 41 of the Procurement Act 2023</mark>" in html_out

    assert tab.check_upload(None)[2].count("Choose a file") == 1
    bad = tmp_path / "paper.docx"
    bad.write_bytes(b"PK")
    assert "paper.docx: cannot check a .docx" in tab.check_upload(str(bad))[2]
    hidden = CheckerTab(library, access=lambda request: ("restricted",))
    assert hidden.documents()["choices"] == []
    assert "not an indexed document you can see" in hidden.check_indexed("pcd-1429")[2]


@pytest.mark.browser
def test_checker_tab_in_a_browser(library, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        pytest.fail("chromium is not installed; `make test` installs Debian's chromium for the browser tests")
    with gr.Blocks() as demo, gr.Tab("Check a paper"):
        build_checker_tab(library)
    demo.queue().launch(server_name="127.0.0.1", server_port=_free_port(), prevent_thread_lock=True, ssr_mode=False,
                        quiet=True)
    paper = tmp_path / "draft.txt"
    paper.write_text("PCD 9004 Draft\n\n4.1 Section 3(6) of the 2011 Act requires MOPAC to “secure the maintenance of "
                     "the metropolitan police service”. <b>Bold</b> Paragraph 4.13 of the Scheme of Delegation applies.\n",
                     encoding="utf-8")
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            page = browser.new_page()
            page.goto(demo.local_url)
            page.click("#cga-check-doc input")
            page.get_by_role("option", name="PCD 1429: PCD 1429 MOPAC Delivery & Victim Services Recommissioning "
                                           "Support").click()
            page.click("#cga-check-indexed")
            page.wait_for_selector("#cga-check-status .cga-status")
            assert "PCD 1429: 10 references" in page.inner_text("#cga-check-status")
            page.wait_for_selector("#cga-check-detail h3")
            assert "Reference 3: resolved" in page.inner_text("#cga-check-detail")  # the first one flagged
            page.click("#cga-check-table [data-testid=cell-3-2]")  # Schedule 3, paragraph 7
            page.wait_for_function("document.querySelector('#cga-check-detail').innerText.includes('Reference 4')")
            assert "do anything which is calculated to facilitate" in page.inner_text("#cga-check-detail")

            page.set_input_files("#cga-check-upload input[type=file]", str(paper))
            page.click("#cga-check-file")
            page.wait_for_function("document.querySelector('#cga-check-status').innerText.includes('draft.txt')")
            detail = page.inner_text("#cga-check-detail")
            assert "quoted words not found" in detail and "<b>Bold</b>" in detail
            assert page.locator("#cga-check-detail b").count() == 0

            page.click("#cga-check-export")
            with page.expect_download() as download:
                page.locator("#cga-check-export-file a").first.click()
            assert Path(download.value.path()).read_text(encoding="utf-8").startswith("# Reference check: draft.txt")
            browser.close()
    finally:
        demo.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---- the reference finder's bench ------------------------------------------------------------------------

def test_reference_bench(capsys) -> None:
    result = bench_references.run()
    assert result.papers >= 4 and result.labelled >= 40
    assert result.precision >= 0.9 and result.recall >= 0.9, result.misses + result.wrong
    assert bench_references.main([]) == 0
    out = capsys.readouterr().out
    assert f"precision {result.precision:.3f}  recall {result.recall:.3f}" in out
    assert all(line in out for line in result.misses)


def test_bench_labels_are_checked(tmp_path: Path) -> None:
    (tmp_path / "bad.txt").write_text("Under [[section 41|s.41]] of the Act", encoding="utf-8")
    with pytest.raises(bench_references.LabelError, match=r"bad.txt:1: label 's.41' is not PROVISION@DOC"):
        bench_references.run(tmp_path)
    (tmp_path / "bad.txt").write_text("Under [[section 41|s.41@no-such-doc]]", encoding="utf-8")
    with pytest.raises(bench_references.LabelError, match="'no-such-doc' is not in the manifest"):
        bench_references.run(tmp_path)
