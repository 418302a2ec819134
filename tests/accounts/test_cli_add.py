"""`cga add` and `cga remove` as an operator uses them, on a small real index of its own."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from small_library import build_small_settings

from assistant.cli import main
from assistant.config import Settings
from assistant.library import all_documents, uploads_manifest
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


@pytest.fixture()
def settings(index_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A small index of its own, which `cga` (reading the environment) also uses."""
    small = build_small_settings(index_settings, tmp_path)
    monkeypatch.setenv("CGA_DATA_DIR", str(small.data_dir))
    monkeypatch.setenv("CGA_SOURCES", str(small.sources))
    monkeypatch.setenv("CGA_CORPUS_MIRROR", str(small.corpus_mirror))
    monkeypatch.setenv("CGA_MAX_UPLOAD_MB", "1")
    return small


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
    assert "→ uksi-2023-1117: SI 2023/1117 “The Public Procurement" in capsys.readouterr().out
    added = {d.doc_id: d for d in all_documents(settings)}
    regs = added["uksi-2023-1117"]
    assert (regs.kind, regs.version_date, regs.source_url) == (
        "legislation", "2024-01-01", "https://www.legislation.gov.uk/uksi/2023/1117")
    assert added["upload-dmpc-2024-12"].access == "internal"
    assert main(["search", "evaluation of the Victim Care Hub", "--doc", "upload-dmpc-2024-12", "--k", "1"]) == 0
    assert "DMPC 2024/12" in capsys.readouterr().out
