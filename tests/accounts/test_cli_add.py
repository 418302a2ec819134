"""`cga add` and `cga remove` as an operator uses them, on a small real index of its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from small_library import build_small_settings

from assistant.cli import main
from assistant.config import Settings
from assistant.library import Library, all_documents, uploads_manifest
from ingest.corpus import load_manifest
from ingest.store import IndexLocation
from tests.ingest.test_pdf_html_text import DECISION_PAGES, write_pdf
from tests.small_corpus import MIRROR

# A paper laid out as MOPAC's text pages are, dated and with a DMPC-style reference.
DMPC_PAPER = """DMPC 2024/12 Victim Care Hub Evaluation

Date signed: 12 March 2024

Decision by: Deputy Mayor for Policing and Crime

This decision approves an evaluation of the Victim Care Hub, up to a maximum value of £80,000.

1. Introduction and background

  1. MOPAC opened the Victim Care Hub in 2023 and committed to an independent evaluation.

2. Financial Comments

  1. The evaluation will cost up to £80,000, met from the victims services budget.
"""


def use(small: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point `cga` (which reads the environment) at this small library."""
    monkeypatch.setenv("CGA_DATA_DIR", str(small.data_dir))
    monkeypatch.setenv("CGA_SOURCES", str(small.sources))
    monkeypatch.setenv("CGA_CORPUS_MIRROR", str(small.corpus_mirror))
    monkeypatch.setenv("CGA_MAX_UPLOAD_MB", "1")
    return small


@pytest.fixture()
def settings(index_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A small index of its own (the Equality Act extract)."""
    return use(build_small_settings(index_settings, tmp_path), monkeypatch)


@pytest.fixture()
def pcr_settings(index_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A small index holding PCR 2015 as at 2019, without the instruments that later amended it."""
    return use(build_small_settings(index_settings, tmp_path, doc_id="uksi-2015-102"), monkeypatch)


def current_version(settings: Settings) -> str:
    current = IndexLocation(settings.data_dir).current()
    assert current is not None
    return current.name


def test_add_a_folder_names_the_broken_pdf_indexes_the_good_paper_and_adds_nothing_twice(
        settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "papers"
    (folder / "2025").mkdir(parents=True)
    write_pdf(folder / "2025" / "pcd-9999.pdf", DECISION_PAGES)
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"\x00" * 64)
    (folder / "notes.docx").write_bytes(b"PK")  # not a supported type: a folder's other files are not named

    assert main(["add", str(folder)]) == 1
    out = capsys.readouterr().out
    assert f"failed     {folder / 'broken.pdf'}: " in out
    assert "notes.docx" not in out
    assert (f"added      {folder / '2025' / 'pcd-9999.pdf'} → upload-pcd-9999: PCD 9999 “Test Services "
            "Recommissioning” (decision, public, date not stated, 11 passages)") in out
    listed = uploads_manifest(settings).read_text(encoding="utf-8")
    assert "broken" not in listed and 'short = "PCD 9999"' in listed
    assert not (settings.uploads_dir / "broken.pdf").exists()

    # Searchable at once, from the index `cga add` built.
    assert main(["search", "budget resilience reserve funding", "--doc", "upload-pcd-9999", "--k", "3"]) == 0
    assert "PCD 9999 §3.1 (Financial Comments ¶1)" in capsys.readouterr().out

    version = current_version(settings)
    assert main(["add", str(folder)]) == 1  # the broken file still fails; nothing else happens
    out = capsys.readouterr().out
    assert f"unchanged  {folder / '2025' / 'pcd-9999.pdf'} (already in the library as upload-pcd-9999)" in out
    assert "added" not in out and "index " not in out
    assert uploads_manifest(settings).read_text(encoding="utf-8") == listed
    assert current_version(settings) == version

    assert main(["remove", "upload-pcd-9999"]) == 0
    assert "removed    upload-pcd-9999" in capsys.readouterr().out
    assert not uploads_manifest(settings).exists()
    assert not any(settings.uploads_dir.glob("*"))
    assert not (settings.corpus_cache / "uploads" / "pcd-9999.pdf").exists()
    assert [d.doc_id for d in all_documents(settings)] == ["ukpga-2010-15"]
    assert main(["search", "budget resilience reserve funding", "--doc", "upload-pcd-9999"]) == 0
    assert capsys.readouterr().out == ""


def test_remove_refuses_shipped_and_unknown_documents(settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    version = current_version(settings)
    assert main(["remove", "ukpga-2010-15"]) == 1
    assert "ukpga-2010-15 is part of the shipped corpus" in capsys.readouterr().err
    assert main(["remove", "upload-nothing"]) == 1
    assert "no document 'upload-nothing' was added locally" in capsys.readouterr().err
    assert current_version(settings) == version


def test_decision_details_and_legislation_front_matter_fill_the_manifest(
        settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # No --kind: a paper whose text gives its reference is read as a decision paper.
    papers = tmp_path / "papers"
    papers.mkdir()
    (papers / "dmpc-2024-12.txt").write_text(DMPC_PAPER, encoding="utf-8")
    shutil.copyfile(MIRROR / "decisions" / "pcd-1429.txt", papers / "pcd-1429.txt")
    assert main(["add", str(papers), "--access", "internal"]) == 0
    out = capsys.readouterr().out
    assert ("→ upload-dmpc-2024-12: DMPC 2024/12 “Victim Care Hub Evaluation” (decision, internal, 2024-03-12, "
            "decision by Deputy Mayor for Policing and Crime, 3 passages)") in out
    # The real page leaves "Date signed:" blank.
    assert ("→ upload-pcd-1429: PCD 1429 “MOPAC Delivery & Victim Services Recommissioning Support” (decision, "
            "internal, date not stated, decision by Sophie Linden, Deputy Mayor, Policing and Crime, ") in out

    act = tmp_path / "amending-regs.md"
    shutil.copyfile(MIRROR / "legislation" / "uksi-2023-1117.md", act)
    assert main(["add", str(act), "--kind", "legislation"]) == 0
    out = capsys.readouterr().out
    assert "→ uksi-2023-1117: SI 2023/1117 “The Public Procurement" in out
    # What it amends (PCR 2015) is not in this library.
    assert "passages); amends nothing in the library, so added as ordinary legislation" in out
    added = {d.doc_id: d for d in all_documents(settings)}
    regs = added["uksi-2023-1117"]
    assert (regs.kind, regs.version_date, regs.source_url) == (
        "legislation", "2024-01-01", "https://www.legislation.gov.uk/uksi/2023/1117")
    assert (regs.amends, regs.in_force) == ((), "")
    assert added["upload-dmpc-2024-12"].access == "internal"
    assert main(["search", "evaluation of the Victim Care Hub", "--doc", "upload-dmpc-2024-12", "--k", "1"]) == 0
    assert "DMPC 2024/12" in capsys.readouterr().out


def advice(capsys: pytest.CaptureFixture[str], start: str) -> str:
    """The advisor's lead for £200k of services bought by a sub-central authority starting on `start`."""
    assert main(["advise", "--value", "200000", "--category", "services", "--authority", "sub-central",
                 "--start", start]) == 0
    return capsys.readouterr().out.split("\n\n")[0]


def test_an_amending_instrument_added_is_read_with_the_regulations_it_amends(
        pcr_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert "indexed text gives no sterling figure" in advice(capsys, "2022-06-01")

    regs = tmp_path / "thresholds-2021.md"
    shutil.copyfile(MIRROR / "legislation" / "uksi-2021-1221.md", regs)
    assert main(["add", str(regs), "--kind", "legislation"]) == 0
    out = capsys.readouterr().out
    assert (f"added      {regs} → uksi-2021-1221: SI 2021/1221 “The Public Procurement (Agreement on Government "
            "Procurement) (Thresholds) (Amendment) Regulations 2021” (legislation, public, 2022-01-01, 18 passages); "
            "amends PCR 2015 from 2022-01-01") in out
    [listed] = load_manifest(uploads_manifest(pcr_settings))
    # Read from its text: what it amends, when, and the regime of what it amends.
    assert (listed.amends, listed.in_force, listed.regime) == (("uksi-2015-102",), "2022-01-01", "PCR 2015")

    amendments = Library(pcr_settings).index.amendments
    assert {(a.doc_id, a.provision, a.old, a.new, a.in_force, a.by_citation) for a in amendments} == {
        ("uksi-2015-102", "reg.5(1)(a)", "£4,733,252", "£5,336,937", "2022-01-01", "SI 2021/1221 reg.3(2)"),
        ("uksi-2015-102", "reg.5(1)(b)", "£122,976", "£138,760", "2022-01-01", "SI 2021/1221 reg.3(2)"),
        ("uksi-2015-102", "reg.5(1)(c)", "£189,330", "£213,477", "2022-01-01", "SI 2021/1221 reg.3(2)"),
    }
    assert "indexed text gives no sterling figure" in advice(capsys, "2021-12-31")
    assert ("£200,000 is below the £213,477 threshold of PCR 2015 reg.5(1)(c), as substituted from 2022-01-01 by "
            "SI 2021/1221 reg.3(2)") in advice(capsys, "2022-06-01")

    # The flags win over the text: a later in-force date holds the 2023 figures back until then.
    later = tmp_path / "thresholds-2023.md"
    shutil.copyfile(MIRROR / "legislation" / "uksi-2023-1117.md", later)
    assert main(["add", str(later), "--kind", "legislation", "--amends", "uksi-2015-102",
                 "--in-force", "2024-02-01"]) == 0
    assert "amends PCR 2015 from 2024-02-01" in capsys.readouterr().out
    assert "the £213,477 threshold" in advice(capsys, "2024-01-15")
    assert "the £214,904 threshold of PCR 2015 reg.5(1)(c), as substituted from 2024-02-01" in advice(capsys, "2024-03-01")


def test_amending_flags_are_checked_before_anything_is_added(
        pcr_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    version = current_version(pcr_settings)
    regs = tmp_path / "regs.md"
    shutil.copyfile(MIRROR / "legislation" / "uksi-2021-1221.md", regs)
    assert main(["add", str(regs), "--kind", "legislation", "--amends", "uksi-1999-1"]) == 1
    assert (f"failed     {regs}: field 'amends' names uksi-1999-1, not in the library (`cga stats` lists the "
            "documents)") in capsys.readouterr().out
    assert main(["add", str(regs), "--kind", "legislation", "--in-force", "1 January 2022"]) == 1
    assert f"failed     {regs}: field 'in force' is '1 January 2022'; expected YYYY-MM-DD" in capsys.readouterr().out
    undated = tmp_path / "undated.md"
    undated.write_text(regs.read_text(encoding="utf-8").replace(
        "come into force on 1st January 2022", "come into force on the day after the day on which they are made"),
        encoding="utf-8")
    assert main(["add", str(undated), "--kind", "legislation"]) == 1
    assert (f"failed     {undated}: amends PCR 2015 but states no date it comes into force; give the day its "
            "amendments take effect (cga add --in-force YYYY-MM-DD)") in capsys.readouterr().out
    with pytest.raises(SystemExit, match="--amends and --in-force are for an amending instrument"):
        main(["add", str(regs), "--in-force", "2022-01-01"])
    with pytest.raises(SystemExit, match="--amends is for one document, and 2 files were given"):
        main(["add", str(regs), str(regs), "--kind", "legislation", "--amends", "uksi-2015-102"])
    assert not uploads_manifest(pcr_settings).exists()
    assert current_version(pcr_settings) == version
