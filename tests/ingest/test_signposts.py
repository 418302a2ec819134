"""Signposts cover every provision of every instrument we ship, each resolves to a passage, and
bad files are named with the field at fault."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.passage import Provision
from ingest.signposts import SignpostError, load_signposts, resolve


@pytest.fixture(scope="module")
def signposts(index_settings):
    return load_signposts(index_settings.signposts_dir)


def _top(provision: Provision) -> Provision:
    return provision if provision.unit == "sch" else Provision(provision.scope, provision.unit, provision.number)


def test_every_provision_of_every_shipped_instrument_has_a_signpost(library, signposts):
    legislation = [d.doc_id for d in library.index.documents if d.kind == "legislation"]
    by_doc: dict[str, list[Provision]] = {}
    for s in signposts:
        by_doc.setdefault(s.doc_id, []).append(Provision.parse(s.provision))
    assert set(legislation) <= set(by_doc), "an instrument has no signposts file"
    uncovered = sorted({f"{p.doc_short} {_top(p.provision_ref)}" for p in library.index.passages
                        if p.doc_id in legislation
                        and not any(s.overlaps(_top(p.provision_ref)) for s in by_doc[p.doc_id])})
    assert uncovered == []


def test_every_signpost_resolves_to_a_passage_of_its_provision(library, signposts):
    resolved, unresolved = resolve(signposts, library.index.passages)
    assert unresolved == [] and len(resolved) == len(signposts)
    assert len(library.index.signposts) == len(signposts)
    for s in library.index.signposts:
        provision = Provision.parse(s.provision)
        assert s.passage_ids and all(library.index.by_id[pid].provision_ref.overlaps(provision) for pid in s.passage_ids)


@pytest.mark.parametrize("question, provision", [
    # Written for this test, in words the statute does not use.
    ("Can we just add another year to the cleaning contract instead of going out to tender again?", "PA 2023 Sch.8"),
    ("Can we knock a bidder out because its boss was convicted of bribery?", "PA 2023 Sch.6"),
])
def test_signposts_lead_practitioners_words_to_the_law(library, question, provision):
    with_signposts = [h.passage.citation for h in library.retriever.search(question, k=5, mode="hybrid+signposts")]
    assert any(c.startswith(provision) for c in with_signposts), with_signposts


@pytest.mark.parametrize("text, message", [
    ('[[signpost]]\nprovision = "s.1"\nsituations = ["a b c d"]\n', "field 'doc' is missing"),
    ('doc = "x"\n[[signpost]]\nprovision = "section one"\nsituations = ["a b c d"]\n', "field 'provision'"),
    ('doc = "x"\n[[signpost]]\nprovision = "s.1"\nsituations = []\n', "field 'situations'"),
    ('doc = "x"\n[[signpost]\n', "not valid TOML"),
])
def test_a_bad_signposts_file_is_named_with_its_field(tmp_path: Path, text: str, message: str):
    (tmp_path / "x.toml").write_text(text, encoding="utf-8")
    with pytest.raises(SignpostError, match=message) as raised:
        load_signposts(tmp_path)
    assert "x.toml" in str(raised.value)
