"""PDF, HTML and plain-text inputs: real files made here, the parsers run on their bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF
from PIL import Image

from ingest.document import DocumentInfo, IngestError
from ingest.parsers.html import html_to_text
from ingest.parsers.pdf import join_pages, parse_pdf, pdf_pages
from ingest.parsers.plain import decode_text, parse_plain
from ingest.passage import Passage
from ingest.textutil import normalise_space

# -- helpers --


def make_doc(file: str, kind: str = "decision", short: str = "PCD 9999") -> DocumentInfo:
    return DocumentInfo(
        doc_id="pcd-9999" if kind == "decision" else "guide-1",
        title=f"{short} Test Services Recommissioning" if kind == "decision" else "Commissioning Guide",
        short=short,
        kind=kind,
        version_date="2024-01-01",
        source_url="https://example.org/doc",
        file=file,
    )


def write_pdf(path: Path, pages: list[list[str]], password: str | None = None) -> bytes:
    """A PDF whose pages hold the given lines, each written as its own wrapped cell."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)
    if password is not None:
        pdf.set_encryption(owner_password="owner-secret", user_password=password)
    for lines in pages:
        pdf.add_page()
        for line in lines:
            pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    path.write_bytes(bytes(pdf.output()))
    return path.read_bytes()


def by_provision(passages: list[Passage]) -> dict[str, Passage]:
    return {p.provision: p for p in passages}


def assert_spans_hold(passages: list[Passage], text: str) -> None:
    for p in passages:
        assert normalise_space(p.text) in normalise_space(text[p.span[0] : p.span[1]]), p.provision


DECISION_PAGES = [
    [
        "MOPAC",
        "MAYOR OF LONDON OFFICE FOR POLICING AND CRIME",
        "DMPC Decision - PCD 9999",
        "Title: Test Services Recommissioning",
        "Executive Summary:",
        "MOPAC is recommissioning its victim services and needs a partner with commissioning skills.",
        "Recommendations:",
        "The Deputy Mayor for Policing and Crime is recommended to:",
        "1. approve the publication of the Invitation to Tender, up to a maximum value of £500,000, and the "
        "award of the resulting contract to the successful provider;",
        "2. allocate up to £500,000 from the budget resilience reserve.",
        "Deputy Mayor for Policing and Crime",
        "I confirm I have considered whether or not I have any personal or prejudicial interest in this matter.",
        "The above request has my approval.",
        "PART I - NON-CONFIDENTIAL FACTS AND ADVICE TO THE DMPC",
        "1. Introduction and background",
        "1.1. MOPAC commissions victim services across London.",
        "1.2. This decision explains the approach to recommissioning them.",
        "2. Issues for consideration",
        "2.1. MOPAC needs additional technical skills to support the recommissioning programme, which",
    ],
    [
        "continues on the second page of the paper.",
        "2.2. The key priorities are:",
        "a) a review of procurement approaches; and",
        "b) a review of performance management.",
        "3. Financial Comments",
        "3.1. Funding will come from the budget resilience reserve.",
    ],
    [
        "4. Legal Comments",
        "4.1. MOPAC's general powers are set out in the Police Reform and Social Responsibility Act 2011.",
        "4.2. Paragraph\n4.13 of the Scheme of Delegation requires DMPC approval for contracts of £500,000 or above.",
        "5. Risks",
        "5.1. The main risk is delay to the recommissioning timetable.",
        "Public access to information",
        "Information in this form (Part 1) is subject to the Freedom of Information Act 2000.",
    ],
]


# -- PDF --


def test_multi_page_decision_pdf_gets_pages_and_paragraph_labels(tmp_path: Path) -> None:
    data = write_pdf(tmp_path / "pcd-9999.pdf", DECISION_PAGES)
    passages = parse_pdf(data, make_doc("decisions/pcd-9999.pdf"))
    found = by_provision(passages)
    assert list(found) == [
        "Summary ¶1",
        "Recommendations ¶1",
        "Recommendations ¶2",
        "Introduction and background ¶1",
        "Introduction and background ¶2",
        "Issues for consideration ¶1",
        "Issues for consideration ¶2",
        "Financial Comments ¶1",
        "Legal Comments ¶1",
        "Legal Comments ¶2",
        "Risks ¶1",
    ]
    pages = {provision: p.page for provision, p in found.items()}
    assert pages["Summary ¶1"] == 1
    assert pages["Issues for consideration ¶1"] == 1  # starts on page 1, ends on page 2
    assert pages["Issues for consideration ¶2"] == 2
    assert pages["Financial Comments ¶1"] == 2
    assert pages["Legal Comments ¶2"] == 3
    assert "continues on the second page" in found["Issues for consideration ¶1"].text
    assert "a review of performance management" in found["Issues for consideration ¶2"].text
    assert "4.13 of the Scheme" in found["Legal Comments ¶2"].text
    assert found["Legal Comments ¶2"].citation == "PCD 9999 §4.2 (Legal Comments ¶2)"
    assert found["Risks ¶1"].citation == "PCD 9999 §5.1 (Risks ¶1)"
    assert "award of the resulting contract" in normalise_space(found["Recommendations ¶1"].text)
    assert found["Recommendations ¶2"].text.endswith("budget resilience reserve.")
    assert found["Summary ¶1"].notes == ("reference: PCD 9999", "title: Test Services Recommissioning")
    everything = " ".join(p.text for p in passages)
    assert "Freedom of Information" not in everything and "has my approval" not in everything
    text, _ = join_pages(pdf_pages(data, "decisions/pcd-9999.pdf"))
    assert_spans_hold(passages, text)


def test_guidance_pdf_goes_to_the_plain_parser_with_pages(tmp_path: Path) -> None:
    data = write_pdf(
        tmp_path / "guide.pdf",
        [
            ["Choosing a procedure.", "", "Use the open procedure for simple purchases."],
            ["Keep records of every decision."],
        ],
    )
    passages = parse_pdf(data, make_doc("guidance/guide.pdf", kind="guidance", short="Guide"))
    assert [(p.provision, p.page) for p in passages][-1] == ("Text ¶2", 2)
    assert passages[-1].text == "Keep records of every decision."
    assert passages[-1].citation == "Guide Text ¶2"


def test_zero_byte_pdf(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"^decisions/empty.pdf: empty file \(0 bytes\)$"):
        pdf_pages(b"", "decisions/empty.pdf")


def test_truncated_pdf(tmp_path: Path) -> None:
    data = write_pdf(tmp_path / "full.pdf", DECISION_PAGES)
    with pytest.raises(IngestError, match=r"^decisions/cut.pdf: not a readable PDF: truncated"):
        pdf_pages(data[: len(data) // 2], "decisions/cut.pdf")


def test_corrupt_pdf_and_non_pdf_bytes(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match=r"^bad.pdf: not a readable PDF: "):
        pdf_pages(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\ngarbage\n%%EOF\n", "bad.pdf")
    with pytest.raises(IngestError, match=r"^notes.pdf: not a readable PDF: no %PDF header$"):
        pdf_pages(b"These are notes, not a PDF.\n", "notes.pdf")


def test_encrypted_pdf_needs_the_right_password(tmp_path: Path) -> None:
    data = write_pdf(tmp_path / "locked.pdf", DECISION_PAGES, password="s3cret")
    with pytest.raises(IngestError, match=r"^decisions/locked.pdf: encrypted PDF; a password is needed$"):
        pdf_pages(data, "decisions/locked.pdf")
    with pytest.raises(IngestError, match=r"^decisions/locked.pdf: encrypted PDF; a password is needed \(the one"):
        pdf_pages(data, "decisions/locked.pdf", password="wrong")
    pages = pdf_pages(data, "decisions/locked.pdf", password="s3cret")
    assert "Legal Comments" in pages[2]
    passages = parse_pdf(data, make_doc("decisions/locked.pdf"), password="s3cret")
    assert "£500,000 or above" in by_provision(passages)["Legal Comments ¶2"].text


def test_image_only_pdf(tmp_path: Path) -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.image(Image.new("RGB", (60, 30), "navy"), x=20, y=20, w=60)
    pdf.add_page()
    pdf.rect(20, 20, 80, 40, style="F")
    data = bytes(pdf.output())
    with pytest.raises(IngestError, match=r"^scan.pdf: no extractable text; OCR is not supported$"):
        parse_pdf(data, make_doc("scan.pdf"))


# -- plain text --


def test_utf8_with_and_without_bom_and_line_ends() -> None:
    assert decode_text("Cost £5\r\nnext".encode(), "a.txt") == "Cost £5\nnext"
    assert decode_text(b"\xef\xbb\xbfCost \xc2\xa35", "a.txt") == "Cost £5"


def test_cp1252_text(tmp_path: Path) -> None:
    path = tmp_path / "old.txt"
    path.write_bytes("MOPAC’s budget: £500,000 – approved".encode("cp1252"))
    assert decode_text(path.read_bytes(), "old.txt") == "MOPAC’s budget: £500,000 – approved"


def test_utf16_text_with_bom(tmp_path: Path) -> None:
    for codec in ("utf-16", "utf-16-be"):
        path = tmp_path / f"{codec}.txt"
        data = ("\ufeff" if codec == "utf-16-be" else "") + "Legal Comments\n1. MOPAC’s powers"
        path.write_bytes(data.encode(codec))
        assert decode_text(path.read_bytes(), path.name) == "Legal Comments\n1. MOPAC’s powers"


def test_binary_data_named_txt(tmp_path: Path) -> None:
    image = tmp_path / "photo.txt"
    Image.new("RGB", (8, 8), "red").save(image, format="PNG")
    with pytest.raises(IngestError, match=r"^photo.txt: binary data, not text$"):
        decode_text(image.read_bytes(), "photo.txt")
    controls = bytes(range(1, 32)) * 20 + b"some text"
    with pytest.raises(IngestError, match=r"^ctl.txt: binary data, not text$"):
        decode_text(controls, "ctl.txt")


def test_empty_text() -> None:
    for data in (b"", b"  \n\t\n", "\ufeff".encode("utf-8")):
        with pytest.raises(IngestError, match=r"^e.txt: empty document$"):
            decode_text(data, "e.txt")


def test_plain_markdown_paragraphs_headings_and_provisions() -> None:
    text = (
        "Opening words before any heading.\n\n"
        "# Commissioning Guide\n\n"
        "## Choosing a route\n\n"
        "Use the open procedure\nfor simple purchases.\n\n"
        "- keep records\n- publish notices\n"
        "### Thresholds\n"
        "Check the thresholds first.\n\n"
        "## Choosing a route\n\n"
        "A second section with the same title.\n"
    )
    passages = parse_plain(text, make_doc("guide.md", kind="guidance", short="Guide"))
    assert [(p.provision, p.heading_path) for p in passages] == [
        ("Text ¶1", ("Commissioning Guide",)),
        ("Choosing a route ¶1", ("Commissioning Guide", "Choosing a route")),
        ("Choosing a route ¶2", ("Commissioning Guide", "Choosing a route")),
        ("Thresholds ¶1", ("Commissioning Guide", "Choosing a route", "Thresholds")),
        ("Choosing a route ¶3", ("Commissioning Guide", "Choosing a route")),
    ]
    assert passages[1].text == "Use the open procedure\nfor simple purchases."
    assert passages[1].passage_id == "guide-1/choosing-a-route/1"
    assert passages[1].citation == "Guide Choosing a route ¶1"
    assert len({p.passage_id for p in passages}) == len(passages)
    assert_spans_hold(passages, text)


# -- HTML --


def test_html_lists_become_indented_numbered_lines() -> None:
    html = (
        "<p>Intro</p><ol start='3'><li>three<ol><li>nested</li></ol></li><li>four<p>more</p></li></ol>"
        "<ul><li>dot</li></ul>"
    )
    assert html_to_text(html, "a.html") == (
        "Intro\n\n  3. three\n    1. nested\n  4. four\n     more\n\n  - dot\n"
    )


@pytest.mark.parametrize(
    "html",
    [
        "<div><p>Legal <b>Comments</div> stray </span></p></i> text",
        "<p>Unclosed <![weird section]> tail",
        "<ul><li>one<li>two</ul><p>after <!-- unterminated comment",
        "<table><tr><td>cell one<td>cell two</table><p>&bogus; &#xFFFFFFF; end",
        "<<>><p>>>text<</p",
    ],
)
def test_malformed_html_does_not_crash(html: str) -> None:
    text = html_to_text(html, "bad.html")
    assert text.strip()


def test_html_without_text_is_a_clear_error() -> None:
    with pytest.raises(IngestError, match=r"^empty.html: no text in the HTML document$"):
        html_to_text("<html><head><script>var a = 1;</script></head><body><nav>Home</nav></body></html>", "empty.html")


def test_cookie_state_on_body_does_not_hide_the_page() -> None:
    html = (
        '<body class="cookies-accepted"><div class="govuk-cookie-banner">We use cookies</div>'
        "<main><p>Legal Comments</p></main></body>"
    )
    assert html_to_text(html, "a.html") == "Legal Comments\n"
