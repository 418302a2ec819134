"""Reading from an instrument's own text which held documents it amends and when it comes into force
(what `cga add --kind legislation` lists), on the real files."""

from __future__ import annotations

import pytest

from assistant.config import PROJECT_ROOT
from ingest.amendments import Amending, read_amending
from ingest.corpus import load_manifest
from ingest.document import DocumentInfo
from ingest.parse import parse_document
from tests.small_corpus import corpus_file

SHIPPED = load_manifest(PROJECT_ROOT / "corpus" / "sources.toml")


def shipped(doc_id: str) -> DocumentInfo:
    return next(d for d in SHIPPED if d.doc_id == doc_id)


def read(doc_id: str, held: list[DocumentInfo]) -> Amending:
    doc = shipped(doc_id)
    return read_amending(parse_document(corpus_file(doc.file).read_bytes(), doc), held)


def others(doc_id: str) -> list[DocumentInfo]:
    return [d for d in SHIPPED if d.doc_id != doc_id]


@pytest.mark.parametrize("doc_id, in_force", [("uksi-2021-1221", "2022-01-01"), ("uksi-2023-1117", "2024-01-01")])
def test_the_threshold_sis_amend_pcr_2015_from_the_day_they_say(doc_id: str, in_force: str) -> None:
    found = read(doc_id, others(doc_id))
    # Of the four sets of regulations each names as amended, PCR 2015 is the one held.
    assert found == Amending(("uksi-2015-102",), (in_force,))
    assert found.in_force == in_force
    # What the shipped manifest sets by hand.
    assert (found.amends, found.in_force) == (shipped(doc_id).amends, shipped(doc_id).in_force)


def test_an_instrument_amends_only_what_the_library_holds() -> None:
    assert read("uksi-2021-1221", [shipped("ukpga-2010-15")]).amends == ()


def test_the_equality_act_extract_amends_nothing() -> None:
    assert read("ukpga-2010-15", others("ukpga-2010-15")) == Amending((), ())


def test_an_alias_that_names_the_act_on_its_own_counts_and_no_stated_day_leaves_in_force_blank() -> None:
    # PR 2024 Part 4: "The PA 2023 is amended as follows"; it comes into force with s.11 of the Act, on no
    # date it states.
    found = read("uksi-2024-692", others("uksi-2024-692"))
    assert found.amends == ("ukpga-2023-54",)
    assert found.in_force == ""


def test_several_commencement_dates_give_no_single_in_force_date() -> None:
    found = read("uksi-2015-102", others("uksi-2015-102"))
    assert found.amends == ()
    assert len(found.in_force_dates) > 1 and found.in_force == ""
