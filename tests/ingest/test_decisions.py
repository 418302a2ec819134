"""Decision papers: the real PCD 1429 page text, the same paper as HTML, and the numbering rules."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from ingest.document import DocumentInfo, IngestError
from ingest.parsers.decisions import looks_like_decision, parse_decision
from ingest.parsers.html import html_to_text
from ingest.parsers.plain import decode_text
from ingest.passage import Passage, Provision
from ingest.textutil import normalise_space

REPO = Path(__file__).resolve().parents[2]
PCD_1429 = REPO.parent / "shared" / "corpus" / "decisions" / "pcd-1429.txt"

PCD_SECTIONS = [
    "1. Introduction and background",
    "2. Issues for consideration",
    "3. Financial Comments",
    "4. Legal Comments",
    "5. Commercial Issues",
    "6. Public Health Approach",
    "7. GDPR and Data Privacy",
    "8. Equality Comments",
    "9. Background/supporting papers",
]


def manifest_doc(doc_id: str) -> DocumentInfo:
    manifest = tomllib.loads((REPO / "corpus" / "sources.toml").read_text(encoding="utf-8"))
    entry = next(e for e in manifest["document"] if e["id"] == doc_id)
    fields = {k: v for k, v in entry.items() if k != "id"}
    return DocumentInfo.from_dict({"doc_id": doc_id, **fields})


def sample_doc(doc_id: str = "pcd-9999", short: str = "PCD 9999") -> DocumentInfo:
    return DocumentInfo(
        doc_id=doc_id,
        title=f"{short} Test Services Recommissioning",
        short=short,
        kind="decision",
        version_date="2024-01-01",
        source_url="https://example.org/decisions/9999",
        file=f"decisions/{doc_id}.html",
    )


def by_provision(passages: list[Passage]) -> dict[str, Passage]:
    return {p.provision: p for p in passages}


def assert_spans_hold(passages: list[Passage], text: str) -> None:
    for p in passages:
        start, end = p.span
        assert 0 <= start < end <= len(text), p.provision
        assert normalise_space(p.text) in normalise_space(text[start:end]), p.provision


def section_headings(passages: list[Passage]) -> list[str]:
    return list(dict.fromkeys(p.heading_path[1] for p in passages if p.heading_path[1][0].isdigit()))


@pytest.fixture(scope="module")
def pcd_1429() -> tuple[str, list[Passage]]:
    if not PCD_1429.exists():
        pytest.skip(f"corpus mirror not present: {PCD_1429}")
    doc = manifest_doc("pcd-1429")
    text = decode_text(PCD_1429.read_bytes(), doc.file)
    return text, parse_decision(text, doc)


def test_pcd_1429_paragraphs_hold_their_text(pcd_1429: tuple[str, list[Passage]]) -> None:
    _, passages = pcd_1429
    found = by_provision(passages)
    assert "4.13" in found["Legal Comments ¶2"].text
    assert "£500,000 or above" in found["Legal Comments ¶2"].text
    assert "£181,302" in found["Legal Comments ¶3"].text
    assert "budget resilience reserve" in found["Financial Comments ¶1"].text
    assert "personally identifiable information" in found["GDPR and Data Privacy ¶1"].text
    assert "section 149(1)" in found["Equality Comments ¶2"].text


def test_pcd_1429_labels_ids_and_headings(pcd_1429: tuple[str, list[Passage]]) -> None:
    _, passages = pcd_1429
    legal = by_provision(passages)["Legal Comments ¶2"]
    assert legal.citation == "PCD 1429 §4.2 (Legal Comments ¶2)"
    assert legal.passage_id == "pcd-1429/legal-comments/2"
    assert legal.provision_ref == Provision(scope="Legal Comments", unit="¶", number="2")
    title = "PCD 1429 MOPAC Delivery & Victim Services Recommissioning Support"
    assert legal.heading_path == (title, "4. Legal Comments")
    assert legal.source_url.startswith("https://www.london.gov.uk/")
    assert (legal.kind, legal.access, legal.doc_short, legal.references) == ("decision", "public", "PCD 1429", ())
    assert section_headings(passages) == PCD_SECTIONS
    assert len({p.passage_id for p in passages}) == len(passages)


def test_pcd_1429_every_span_points_at_its_text(pcd_1429: tuple[str, list[Passage]]) -> None:
    text, passages = pcd_1429
    assert_spans_hold(passages, text)


def test_pcd_1429_nested_items_stay_in_their_paragraph(pcd_1429: tuple[str, list[Passage]]) -> None:
    _, passages = pcd_1429
    found = by_provision(passages)
    assert "a review of available procurement approaches" in found["Issues for consideration ¶2"].text
    assert "Issues for consideration ¶8" not in found  # six paragraphs, the two nested items inside ¶2
    assert [p.provision for p in passages if p.provision.startswith("Issues")][-1] == "Issues for consideration ¶6"


def test_pcd_1429_summary_recommendations_and_metadata(pcd_1429: tuple[str, list[Passage]]) -> None:
    _, passages = pcd_1429
    found = by_provision(passages)
    summary = found["Summary ¶1"]
    assert summary.text.startswith("In March 2022, the Mayor published")
    assert summary.citation == "PCD 1429 Summary ¶1"
    assert "reference: PCD 1429" in summary.notes
    assert "decision by: Sophie Linden, Deputy Mayor, Policing and Crime" in summary.notes
    assert "Summary ¶6" not in found
    recommendations = [p for p in passages if p.provision.startswith("Recommendations")]
    assert [p.text.split()[0] for p in recommendations] == ["approve", "proceed", "allocate"]
    assert recommendations[0].notes == ("The Deputy Mayor for Policing and Crime is recommended to:",)


def test_pcd_1429_not_applicable_sections_and_no_site_boilerplate(pcd_1429: tuple[str, list[Passage]]) -> None:
    _, passages = pcd_1429
    found = by_provision(passages)
    assert found["Public Health Approach ¶1"].text == "Not applicable"
    assert found["Public Health Approach ¶1"].citation == "PCD 1429 §6.1 (Public Health Approach ¶1)"
    assert found["Background/supporting papers ¶1"].passage_id == "pcd-1429/background-supporting-papers/1"
    everything = " ".join(p.text for p in passages)
    for boilerplate in ("Skip to main content", "Signed decision document", "accessible format", "assistive"):
        assert boilerplate not in everything


DECISION_HTML = """<!DOCTYPE html>
<html lang="en"><head><title>PCD 9999</title>
<style>.x { color: red }</style>
<script>window.dataLayer = ["Legal Comments"];</script></head>
<body>
<a href="#main" class="skip-link">Skip to main content</a>
<div id="cookie-banner" class="cookie-banner"><p>We use cookies on this site.</p><button>Accept all</button></div>
<header><a href="/"><img alt="Mayor of London logo"></a> <nav><ul><li><a href="/">Home</a></li>
<li><a href="/about">About us</a></li></ul></nav></header>
<main id="main">
<h1>PCD 9999 Test Services Recommissioning</h1>
<h2>Key information</h2>
<p>Decision by: Jane Doe, Deputy Mayor, Policing and Crime</p>
<p>MOPAC is recommissioning its victim services and needs support to do so.</p>
<p>This decision seeks approval to publish an Invitation to Tender worth up to &pound;250,000.</p>
<p>The Deputy Mayor for Policing and Crime is recommended to:&nbsp;</p>
<ol><li>approve the publication of the Invitation to Tender; and</li>
<li>allocate up to &pound;250,000 from the budget resilience reserve.</li></ol>
<p>1.&nbsp;Introduction and background</p>
<ol><li>MOPAC commissions <strong>victim services</strong> across London.</li>
<li>This decision explains the approach.</li></ol>
<ol><li><h2>Issues for consideration</h2><ol>
<li>MOPAC needs additional technical skills.</li>
<li>The key priorities are:<ol><li>a review of procurement approaches; and</li>
<li>a review of performance management.</li></ol></li>
<li>One provider will be appointed.</li></ol></li></ol>
<ol><li><h2>Financial Comments</h2><ol><li>Funding will come from the budget resilience reserve.</li></ol></li></ol>
<ol><li><h2>Legal Comments</h2><ol>
<li>MOPAC's general powers are set out in the 2011 Act.</li>
<li>Paragraph 4.13 of the Scheme of Delegation requires DMPC approval for contracts of &pound;500,000 or above.</li>
</ol></li></ol>
<ol><li><h2>Public Health Approach</h2></li></ol>
<p>Not applicable</p>
<ol><li><h2>Equality Comments</h2><ol>
<li>MOPAC must comply with section 149(1) of the Equality Act 2010.</li></ol></li></ol>
<p>Signed decision document</p>
<p><a href="/pcd-9999.pdf">PCD 9999 Test Services Recommissioning</a></p>
<h2>Need a document on this page in an accessible format?</h2>
<p>If you use assistive technology (such as a screen reader) please get in touch.</p>
</main>
<footer><p>Copyright Greater London Authority</p></footer>
<aside>Related decisions</aside>
<script>trackPage("Equality Comments");</script>
</body></html>
"""


def test_decision_html_parses_to_the_sections_of_the_scraped_page() -> None:
    text = html_to_text(DECISION_HTML, "decisions/pcd-9999.html")
    passages = parse_decision(text, sample_doc())
    assert [p.provision for p in passages] == [
        "Summary ¶1",
        "Summary ¶2",
        "Recommendations ¶1",
        "Recommendations ¶2",
        "Introduction and background ¶1",
        "Introduction and background ¶2",
        "Issues for consideration ¶1",
        "Issues for consideration ¶2",
        "Issues for consideration ¶3",
        "Financial Comments ¶1",
        "Legal Comments ¶1",
        "Legal Comments ¶2",
        "Public Health Approach ¶1",
        "Equality Comments ¶1",
    ]
    found = by_provision(passages)
    assert found["Legal Comments ¶2"].citation == "PCD 9999 §4.2 (Legal Comments ¶2)"
    assert "£500,000 or above" in found["Legal Comments ¶2"].text
    assert "a review of performance management" in found["Issues for consideration ¶2"].text
    assert found["Public Health Approach ¶1"].text == "Not applicable"
    assert "decision by: Jane Doe, Deputy Mayor, Policing and Crime" in found["Summary ¶1"].notes
    assert_spans_hold(passages, text)


def test_decision_html_drops_scripts_navigation_banners_and_site_furniture() -> None:
    text = html_to_text(DECISION_HTML, "decisions/pcd-9999.html")
    for gone in ("cookies", "Accept all", "dataLayer", "trackPage", "About us", "Skip to main content",
                 "Copyright", "Related decisions", "accessible format", "assistive", "color: red"):
        assert gone not in text
    assert "\n  1. Legal Comments\n    1. MOPAC's general powers" in text
    assert "\n      1. a review of procurement approaches; and\n" in text


def test_scraped_and_html_forms_of_one_paper_give_the_same_passages() -> None:
    scraped = (
        "Skip to main content\nHome\n\nPCD 9999 Test Services Recommissioning\n\n"
        "Decision by: Jane Doe, Deputy Mayor, Policing and Crime\n\n"
        "MOPAC is recommissioning its victim services and needs support to do so.\n\n"
        "This decision seeks approval to publish an Invitation to Tender worth up to £250,000.\n\n"
        "The Deputy Mayor for Policing and Crime is recommended to:\n\n"
        "  1. approve the publication of the Invitation to Tender; and\n\n"
        "allocate up to £250,000 from the budget resilience reserve.\n\n"
        "1. Introduction and background\n\n"
        "  1. MOPAC commissions victim services across London.\n"
        "  2. This decision explains the approach.\n"
        "  1. Issues for consideration\n"
        "    1. MOPAC needs additional technical skills.\n"
        "    2. The key priorities are:\n"
        "      1. a review of procurement approaches; and\n"
        "      2. a review of performance management.\n"
        "    3. One provider will be appointed.\n"
        "  1. Financial Comments\n"
        "    1. Funding will come from the budget resilience reserve.\n"
        "  1. Legal Comments\n"
        "    1. MOPAC's general powers are set out in the 2011 Act.\n"
        "    2. Paragraph 4.13 of the Scheme of Delegation requires DMPC approval for contracts of £500,000 "
        "or above.\n"
        "  1. Public Health Approach\n\nNot applicable\n\n"
        "  1. Equality Comments\n"
        "    1. MOPAC must comply with section 149(1) of the Equality Act 2010.\n\n"
        "Signed decision document\n\nNeed a document on this page in an accessible format?\n"
    )
    from_text = parse_decision(scraped, sample_doc())
    from_html = parse_decision(html_to_text(DECISION_HTML, "decisions/pcd-9999.html"), sample_doc())
    assert [(p.provision, p.citation, normalise_space(p.text)) for p in from_text] == [
        (p.provision, p.citation, normalise_space(p.text)) for p in from_html
    ]


def test_dotted_numbering_decides_paragraphs_when_indentation_is_lost() -> None:
    text = (
        "DMPC Decision - PCD 9999\nTitle: Test Services Recommissioning\n"
        "Executive Summary: MOPAC needs support.\n"
        "1. Introduction and background\n"
        "1.1. MOPAC commissions services under the Scheme, as set out in paragraph\n"
        "4.13 of the Scheme of Delegation.\n"
        "1.2. The priorities are:\n"
        "1. a review of procurement approaches;\n"
        "2. a review of performance.\n"
        "2. Risks and mitigations\n"
        "2.1 The main risk is delay.\n"
        "Public access to information\n"
        "Information in this form is subject to the Freedom of Information Act 2000.\n"
    )
    passages = parse_decision(text, sample_doc())
    found = by_provision(passages)
    assert list(found) == [
        "Summary ¶1",
        "Introduction and background ¶1",
        "Introduction and background ¶2",
        "Risks and mitigations ¶1",
    ]
    assert "4.13 of the Scheme" in found["Introduction and background ¶1"].text
    assert "a review of performance" in found["Introduction and background ¶2"].text
    assert found["Risks and mitigations ¶1"].citation == "PCD 9999 §2.1 (Risks and mitigations ¶1)"
    assert found["Summary ¶1"].text == "MOPAC needs support."
    assert found["Summary ¶1"].notes == ("reference: PCD 9999", "title: Test Services Recommissioning")
    assert "Freedom of Information" not in " ".join(p.text for p in passages)
    assert_spans_hold(passages, text)


def test_decision_paper_detection_and_rejection_of_other_text() -> None:
    assert looks_like_decision("1. Legal Comments\n1.1 Text.\n2. Financial Comments\n2.1 Text.\n")
    assert not looks_like_decision("# Guidance\n\nLegal Comments are welcome.\n")
    with pytest.raises(IngestError, match=r"^decisions/pcd-9999.html: not a decision paper"):
        parse_decision("Just a note with no sections.\n", sample_doc())


def test_recommendations_keep_nested_items_and_lines_wrapped_over_a_page_break() -> None:
    text = (
        "PCD 9999 Test Services Recommissioning\n\n"
        "The Deputy Mayor for Policing and Crime is recommended to:\n"
        "  1. approve the following:\n"
        "    1. the tender; and\n"
        "    2. the award;\n"
        "  2. allocate up to £250,000 from the budget\n\n"
        "resilience reserve.\n"
        "Deputy Mayor for Policing and Crime\n"
        "1. Legal Comments\n"
        "1.1. MOPAC may contract.\n"
    )
    found = by_provision(parse_decision(text, sample_doc()))
    assert [p for p in found if p.startswith("Recommendations")] == ["Recommendations ¶1", "Recommendations ¶2"]
    assert found["Recommendations ¶1"].text == "approve the following:\n  1. the tender; and\n  2. the award;"
    assert normalise_space(found["Recommendations ¶2"].text).endswith("from the budget resilience reserve.")
    assert found["Legal Comments ¶1"].citation == "PCD 9999 §1.1 (Legal Comments ¶1)"
