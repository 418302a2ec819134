"""Roles, restricted documents and a paper's restricted Part 2, through every way an answer goes out,
and the audit log of who asked what.

A small real corpus is built in a temp data dir (real model, real Chroma): a public decision paper
"PCD 9999" whose Part 2 holds the preferred bidder's price, a restricted internal-rules document, an
internal guidance note and the Equality Act extract. A public user must never see the Part 2 or the
restricted rules, a staff user only adds the internal note, and an admin sees everything — which
is also what shows each check can fail.
"""

from __future__ import annotations

import dataclasses
import getpass
import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import gradio as gr
import httpx
import pytest

from assistant.accounts.audit import LOCAL_USER, Asker, AuditLog
from assistant.accounts.users import ACCESS_BY_ROLE, Users, add_user
from assistant.answering.records import Answer, Conversation
from assistant.answering.retrieve import MODES, SearchFilters
from assistant.answering.verify import verify
from assistant.config import PROJECT_ROOT, Settings
from assistant.library import Library, all_documents, chroma_client, embeddings_for
from assistant.papercheck.checker import PaperChecker, report_markdown
from assistant.web.app import ChatApp, build_app
from ingest.corpus import sync
from ingest.document import DocumentInfo
from ingest.parsers.decisions import parse_decision
from ingest.passage import Provision
from ingest.pipeline import run_ingest
from tests.small_corpus import MIRROR

PAPER = "pcd-9999"
PART_TWO_PHRASE = "preferred bidder's price of £1,234,567"
RULES_PHRASE = "waiver register held by the Commercial team"
HANDBOOK_PHRASE = "three written quotes"
PAPER_TEXT = """\
PCD 9999 Custody Healthcare Services Contract Award

Key information

Decision by: Sophie Linden, Deputy Mayor, Policing and Crime

PCD 9999 Custody Healthcare Services Contract Award

MOPAC ran an open procedure to appoint a provider of healthcare services for people detained in police custody suites across London.

This decision seeks approval to award the custody healthcare services contract to the preferred bidder.

The Deputy Mayor for Policing and Crime is recommended to:

  1. approve the award of the custody healthcare services contract to the preferred bidder for four years.

1. Introduction and background

  1. MOPAC commissions healthcare services for detainees in the custody suites of the Metropolitan Police Service.
  2. Five bids were received under the open procedure and evaluated against the published award criteria.
  1. Financial Comments
    1. The contract will be funded from the custody healthcare budget held by MOPAC.
  1. Legal Comments
    1. MOPAC is a contracting authority as defined in the Public Contracts Regulations 2015 and ran the open procedure in accordance with them.

PART 2 – CONFIDENTIAL FACTS AND ADVICE

The facts and advice in this part are exempt from publication because they are commercially sensitive.

  1. Commercial Issues
    1. The preferred bidder's price of £1,234,567 is the lowest of the five bids received for custody healthcare, and its effect on equality was considered under section 149 of the Equality Act 2010.
    2. Approval to go out to tender for custody healthcare contracts of £1,000,000 or above rests with the Deputy Mayor for Policing and Crime, and the preferred bidder's price of £1,234,567 is above that sum.
"""
RULES_TEXT = """\
# MOPAC Contract Regulations

## Waivers

Any waiver of the Contract Regulations for a custody healthcare contract must be approved by the Chief Finance Officer and recorded in the waiver register held by the Commercial team.
"""
HANDBOOK_TEXT = """\
# MOPAC procurement handbook

## Quotes

For custody healthcare purchases between £10,000 and £100,000 the handbook requires three written quotes before an order is placed.
"""
# The advisor's own rows (CGA_DELEGATION_FILE): this one rests on the paper's restricted Part 2.
DELEGATION = """\
[[approval]]
organisation = "MOPAC"
action = "go out to tender"
min_value = 1000000
approver = "the Deputy Mayor for Policing and Crime"
passage_id = "pcd-9999/commercial-issues/2"
quote = "Approval to go out to tender for custody healthcare contracts of £1,000,000 or above rests with the Deputy Mayor for Policing and Crime, and the preferred bidder's price of £1,234,567 is above that sum."
"""
DOCUMENTS = (
    # id, file, text (None: copied from the mirror), title, short, kind, access, version date
    ("ukpga-2010-15", "legislation/ukpga-2010-15.md", None, "Equality Act 2010", "EA 2010", "legislation", "public",
     "2024-07-01"),
    (PAPER, "decisions/pcd-9999.txt", PAPER_TEXT, "PCD 9999 Custody Healthcare Services Contract Award",
     "PCD 9999", "decision", "public", "2025-01-10"),
    ("mopac-contract-regulations", "rules/contract-regulations.md", RULES_TEXT, "MOPAC Contract Regulations",
     "MOPAC CR", "internal-rules", "restricted", "2025-01-01"),
    ("mopac-handbook", "guidance/handbook.md", HANDBOOK_TEXT, "MOPAC procurement handbook", "MOPAC PH", "guidance",
     "internal", "2025-01-01"),
)
ROLES = ("public", "staff", "admin")


def write_corpus(root: Path, chroma_url: str = "") -> Settings:
    """The documents in root/mirror, their manifest, the advisor rows; settings for root/data."""
    mirror = root / "mirror"
    entries = []
    for doc_id, file, text, title, short, kind, access, version_date in DOCUMENTS:
        target = mirror / file
        target.parent.mkdir(parents=True, exist_ok=True)
        if text is None:
            shutil.copyfile(MIRROR / file, target)
        else:
            target.write_text(text, encoding="utf-8")
        sha = hashlib.sha256(target.read_bytes()).hexdigest()
        entries.append(f'[[document]]\nid = "{doc_id}"\ntitle = "{title}"\nshort = "{short}"\nkind = "{kind}"\n'
                       f'version_date = "{version_date}"\nfile = "{file}"\nsha256 = "{sha}"\naccess = "{access}"\n'
                       f'aliases = ["{short}"]\n\n')
    (root / "sources.toml").write_text("".join(entries), encoding="utf-8")
    (root / "delegation.toml").write_text(DELEGATION, encoding="utf-8")
    return Settings.from_env({**os.environ, "CGA_DATA_DIR": str(root / "data"), "CGA_SOURCES": str(root / "sources.toml"),
                              "CGA_CORPUS_MIRROR": str(mirror), "CGA_DELEGATION_FILE": str(root / "delegation.toml"),
                              "CGA_CHROMA_URL": chroma_url, "CGA_LLM": "none"})


def build_index(settings: Settings, force: bool = False):
    docs = all_documents(settings)
    assert all(r.status != "error" for r in sync(docs, settings.corpus_cache, settings.corpus_mirror))
    report = run_ingest(docs, settings.corpus_cache, settings.data_dir, embeddings_for(settings), force=force,
                        progress=False, client=chroma_client(settings))
    assert not report.errors, report.errors
    return report


def hidden_from(role: str) -> tuple[str, ...]:
    """The distinctive phrases a role must never be shown."""
    access = ACCESS_BY_ROLE[role]
    return tuple(phrase for phrase, level in ((PART_TWO_PHRASE, "restricted"), (RULES_PHRASE, "restricted"),
                                             (HANDBOOK_PHRASE, "internal")) if level not in access)


def hidden_ids(library: Library, role: str) -> set[str]:
    return {p.passage_id for p in library.index.passages if p.access not in ACCESS_BY_ROLE[role]}


def assert_hidden(role: str, library: Library, shown: Any) -> None:
    """Nothing above the role's access — no phrase, no passage id — anywhere in what is shown."""
    text = shown if isinstance(shown, str) else json.dumps(shown, ensure_ascii=False)
    for phrase in hidden_from(role):
        assert phrase not in text, (role, phrase)
    for pid in hidden_ids(library, role):
        assert pid not in text, (role, pid)


# Questions whose best evidence is above a public user's access.
SEARCHES = (
    "preferred bidder's price for custody healthcare",
    "who approves waivers of the Contract Regulations for custody healthcare",
    "how many written quotes for custody healthcare purchases",
)
QUESTIONS = (
    "What was the preferred bidder's price for the custody healthcare contract?",
    "What does PCD 9999 say about the preferred bidder's price?",
    "Where are waivers recorded?",
    "How many written quotes are needed for custody healthcare purchases under £100,000?",
)
# Refused at every level; an admin's closest passages include the Part 2, a public user's must not.
REFUSED = "Is the nurse staffing complaint likely to succeed?"


def check_search(library: Library) -> None:
    """Search in every mode and for every role shows only passages at the role's access."""
    seen: dict[str, str] = {}
    for role in ROLES:
        for mode in MODES:
            for query in SEARCHES:
                hits = library.retriever.search(query, k=10, filters=SearchFilters(access=ACCESS_BY_ROLE[role]),
                                                mode=mode)
                assert all(h.passage.access in ACCESS_BY_ROLE[role] for h in hits), (role, mode, query)
                shown = json.dumps([h.to_dict() for h in hits], ensure_ascii=False)
                assert_hidden(role, library, shown)
                seen[role] = seen.get(role, "") + shown
    # The same searches do find what the role may see: the filter, not the query, hides it.
    assert all(phrase in seen["admin"] for phrase in (PART_TWO_PHRASE, RULES_PHRASE, HANDBOOK_PHRASE))
    assert HANDBOOK_PHRASE in seen["staff"]


def check_answers(library: Library) -> None:
    """Answers (and refusals with their closest passages) for every role keep to the role's access."""
    shown: dict[str, str] = {}
    for role in ROLES:
        for question in QUESTIONS:
            answer = library.ask(question, access=ACCESS_BY_ROLE[role])
            verify(answer)
            assert_hidden(role, library, answer.to_dict())
            assert all(c.passage_id not in hidden_ids(library, role) for c in answer.related)
            shown[role] = shown.get(role, "") + json.dumps(answer.to_dict(), ensure_ascii=False)
    assert PART_TWO_PHRASE in shown["admin"] and RULES_PHRASE in shown["admin"]
    assert HANDBOOK_PHRASE in shown["staff"]
    related = {}
    for role in ROLES:
        refusal = library.ask(REFUSED, access=ACCESS_BY_ROLE[role])
        assert refusal.refused and refusal.related
        assert_hidden(role, library, refusal.to_dict())
        related[role] = {c.passage_id for c in refusal.related}
    assert related["admin"] & hidden_ids(library, "public")


# ---- Part 2 of a decision paper -----------------------------------------------------------------

def _paper(access: str = "public") -> DocumentInfo:
    return DocumentInfo(doc_id=PAPER, title="PCD 9999", short="PCD 9999", kind="decision", version_date="2025-01-10",
                        file="decisions/pcd-9999.txt", access=access)


def test_part_two_makes_the_rest_of_a_public_paper_restricted():
    passages = parse_decision(PAPER_TEXT, _paper())
    restricted = [p for p in passages if p.access == "restricted"]
    assert [p.citation for p in restricted] == [
        "PCD 9999 §4.1 (PART 2 – CONFIDENTIAL FACTS AND ADVICE ¶1)", "PCD 9999 §5.1 (Commercial Issues ¶1)",
        "PCD 9999 §5.2 (Commercial Issues ¶2)"]
    public = [p for p in passages if p.access == "public"]
    assert len(public) == 7 and public[-1].citation == "PCD 9999 §3.1 (Legal Comments ¶1)"
    # The heading and the unnumbered text under it open a section of their own, not the end of Part 1's.
    assert not any("PART 2" in p.text or "exempt from publication" in p.text or PART_TWO_PHRASE in p.text
                   for p in public)
    assert all(PART_TWO_PHRASE in p.text for p in restricted[1:])


@pytest.mark.parametrize("heading", ["Part 2", "PART 2: exempt information", "Exempt information",
                                     "Part II – Confidential facts and advice"])
def test_other_part_two_headings_also_restrict(heading):
    text = PAPER_TEXT.replace("PART 2 – CONFIDENTIAL FACTS AND ADVICE", heading)
    passages = parse_decision(text, _paper())
    assert {p.access for p in passages if PART_TWO_PHRASE in p.text} == {"restricted"}
    assert sum(p.access == "public" for p in passages) == 7


def test_part_two_named_in_a_sentence_restricts_nothing():
    text = PAPER_TEXT.split("PART 2 –")[0].replace(
        "and ran the open procedure in accordance with them.",
        "and ran the open procedure in accordance with them.\n"
        "Part 2 of the Procurement Act 2023 does not apply to this procurement.")
    passages = parse_decision(text, _paper())
    assert {p.access for p in passages} == {"public"}
    assert any("Part 2 of the Procurement Act 2023" in p.text for p in passages)


def test_a_restricted_paper_stays_restricted_and_pcd_1429_stays_public():
    assert {p.access for p in parse_decision(PAPER_TEXT, _paper("restricted"))} == {"restricted"}
    real = DocumentInfo(doc_id="pcd-1429", title="PCD 1429", short="PCD 1429", kind="decision", version_date="")
    passages = parse_decision((MIRROR / "decisions" / "pcd-1429.txt").read_text(encoding="utf-8"), real)
    assert len(passages) > 25 and {p.access for p in passages} == {"public"}


# ---- every path out, on a real index ------------------------------------------------------------

@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Settings:
    settings = write_corpus(tmp_path_factory.mktemp("access"))
    build_index(settings)
    return settings


@pytest.fixture(scope="module")
def library(corpus) -> Library:
    return Library(corpus)


def test_index_keeps_passage_access_from_manifest_and_part_two(library):
    access = {p.passage_id: p.access for p in library.index.passages}
    assert access["pcd-9999/commercial-issues/1"] == "restricted"
    assert access["pcd-9999/legal-comments/1"] == "public"
    assert {a for pid, a in access.items() if pid.startswith("mopac-contract-regulations/")} == {"restricted"}
    assert {a for pid, a in access.items() if pid.startswith("mopac-handbook/")} == {"internal"}
    # Chroma holds the same level as the passage, since its `where` is what filters dense search.
    got = library.index.chroma.get(ids=["pcd-9999/commercial-issues/1", "pcd-9999/legal-comments/1"])
    assert {m["passage_id"]: m["access"] for m in got["metadatas"]} == {
        "pcd-9999/commercial-issues/1": "restricted", "pcd-9999/legal-comments/1": "public"}


def test_search_never_shows_a_passage_above_the_role(library):
    check_search(library)


def test_answers_and_refusals_never_show_a_passage_above_the_role(library):
    check_answers(library)


def test_named_references_and_provisions_are_filtered_by_passage_access(library):
    retriever = library.retriever
    part_two = Provision.parse("Commercial Issues ¶1")
    assert retriever.provision_passages(PAPER, part_two, ("public",)) == []
    assert [p.passage_id for p in retriever.provision_passages(PAPER, part_two)] == ["pcd-9999/commercial-issues/1"]
    question = "What does PCD 9999 say about the preferred bidder's price in its Commercial Issues?"
    for role in ROLES:
        found, papers, _ = retriever.referenced(question, [PAPER], None, ACCESS_BY_ROLE[role])
        assert papers == {PAPER} and all(p.access in ACCESS_BY_ROLE[role] for p in found)
        hits = retriever.search(question, filters=SearchFilters(access=ACCESS_BY_ROLE[role]))
        assert_hidden(role, library, [h.to_dict() for h in hits])
        assert hits[0].passage.doc_id == PAPER  # the named paper still comes first, in its visible part
    hits = retriever.search(question, filters=SearchFilters(access=ACCESS_BY_ROLE["admin"]))
    assert "pcd-9999/commercial-issues/1" in [h.passage.passage_id for h in hits]


def test_pinned_rule_passages_keep_to_the_filters(library):
    pinned = ("pcd-9999/commercial-issues/1", "pcd-9999/legal-comments/1")
    public = library.retriever.retrieve("custody healthcare", filters=SearchFilters(access=("public",)), pinned=pinned)
    ids = [h.passage.passage_id for h in public.hits]
    assert "pcd-9999/legal-comments/1" in ids and "pcd-9999/commercial-issues/1" not in ids
    admin = library.retriever.retrieve("custody healthcare", pinned=pinned)
    assert set(pinned) <= {h.passage.passage_id for h in admin.hits}


def test_advisor_uses_a_restricted_row_only_for_admins(library):
    question = "Who approves going out to tender for £2,000,000 of custody healthcare services at MOPAC?"
    for role in ROLES:
        answer = library.ask(question, access=ACCESS_BY_ROLE[role])
        assert answer.route == "advisor", answer.text
        verify(answer)
        assert_hidden(role, library, answer.to_dict())
        if role == "admin":
            assert "pcd-9999/commercial-issues/2" in [c.passage_id for c in answer.citations]
            assert "the Deputy Mayor for Policing and Crime" in answer.text


@pytest.fixture(scope="module")
def users_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("access-users") / "users.toml"
    for name, role in (("pat", "public"), ("sam", "staff"), ("ann", "admin")):
        add_user(path, name, role, f"{name} password")
    return path


NAMES = {"public": "pat", "staff": "sam", "admin": "ann"}


def test_chat_export_and_audit_for_each_signed_in_role(corpus, library, users_file, tmp_path):
    chat = ChatApp(dataclasses.replace(corpus, data_dir=tmp_path), library, Users.load(users_file))
    before = len(library.audit.read())
    for role, name in NAMES.items():
        conversation = Conversation()
        request = gr.Request(username=name)
        for question in QUESTIONS[:3]:
            chat.ask(question, "auto", "", [], conversation, request)
        exported, _ = chat.export(conversation)
        record = Path(exported["value"]).read_text(encoding="utf-8")
        assert_hidden(role, library, record)
        if role == "admin":
            assert PART_TWO_PHRASE in record and RULES_PHRASE in record
    lines = library.audit.read()[before:]
    assert [(r.user, r.role, r.via) for r in lines] == [(n, r, "ui") for r, n in NAMES.items() for _ in range(3)]
    assert [r.question for r in lines[:3]] == list(QUESTIONS[:3])


def chat_checker_report(library: Library, access: tuple[str, ...]) -> str:
    """The paper checker on PCD 9999 itself (its Part 2 cites the Equality Act) and on another paper
    citing its Part 2, as Markdown and JSON."""
    checker = PaperChecker(library)
    own = checker.check_document(PAPER, access)
    citing = checker.check_text("PCD 9998 Custody healthcare contract variation\n\nParagraph 5.1 of PCD 9999 sets "
                                "out the winning bid.", "citing.txt", access)
    return "\n".join(report_markdown(r) + json.dumps(r.to_dict(), ensure_ascii=False) for r in (own, citing))


def test_paper_checker_never_shows_part_two_below_admin(library):
    for role in ROLES:
        report = chat_checker_report(library, ACCESS_BY_ROLE[role])
        assert_hidden(role, library, report)
    assert PART_TWO_PHRASE in chat_checker_report(library, ACCESS_BY_ROLE["admin"])


@pytest.fixture(scope="module")
def api_base(corpus, library, users_file) -> Iterator[str]:
    from tests.web.test_api import serve_in_thread

    yield from serve_in_thread(build_app(dataclasses.replace(corpus, users_file=users_file), library))


def test_api_answers_and_documents_keep_to_the_role_and_are_audited(api_base, library):
    before = len(library.audit.read())
    shown = {}
    for role, name in NAMES.items():
        auth = (name, f"{name} password")
        for question in QUESTIONS:
            response = httpx.post(f"{api_base}/api/ask", json={"question": question}, auth=auth, timeout=120)
            assert response.status_code == 200, response.text
            assert_hidden(role, library, response.text)
            shown[role] = shown.get(role, "") + response.text
        documents = httpx.get(f"{api_base}/api/documents", auth=auth, timeout=30).json()["documents"]
        assert {d["access"] for d in documents} <= set(ACCESS_BY_ROLE[role])
        # PCD 9999 is listed for everyone, but its Part 2 passages are counted only for an admin.
        paper = next(d for d in documents if d["doc_id"] == PAPER)
        assert paper["passages"] == (10 if role == "admin" else 7)
    assert PART_TWO_PHRASE in shown["admin"]
    lines = library.audit.read()[before:]
    assert [(r.user, r.role, r.via) for r in lines] == [(n, r, "api") for r, n in NAMES.items() for _ in QUESTIONS]
    for line, response_question in zip(lines, QUESTIONS * 3):
        assert line.question == response_question


# ---- the audit log ------------------------------------------------------------------------------

def test_audit_line_says_who_asked_what_and_what_was_cited(library, tmp_path):
    log = AuditLog(tmp_path / "audit.jsonl", 365)
    answer = library.ask(QUESTIONS[0], access=ACCESS_BY_ROLE["admin"])
    refusal = library.ask("What is the capital of France?", access=ACCESS_BY_ROLE["public"])
    log.record(answer, Asker("ann", "admin", "ui"), "v1")
    log.record(refusal, Asker("pat", "public", "api"), "v1")
    lines = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [set(line) for line in lines] == [{"time", "user", "role", "via", "question", "refused", "route",
                                              "passage_ids", "doc_ids", "related_ids", "index_version"}] * 2
    first, second = lines
    assert (first["user"], first["role"], first["via"], first["question"]) == ("ann", "admin", "ui", QUESTIONS[0])
    assert first["passage_ids"] == [c.passage_id for c in answer.citations] and first["passage_ids"]
    assert first["doc_ids"] == list(dict.fromkeys(c.doc_id for c in answer.citations))
    assert first["refused"] is False and first["route"] == answer.route
    assert second["refused"] is True and second["route"] == "refuse" and second["passage_ids"] == []
    assert second["related_ids"] == [c.passage_id for c in refusal.related]
    assert datetime.fromisoformat(first["time"]).tzinfo is not None


def test_audit_lines_past_retention_are_pruned_on_write_at_most_daily(tmp_path):
    answer = Answer(question="q", resolved_question="q", regime={}, text="t", statements=[], citations=[],
                    refused=True)
    now = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
    clock = {"now": now - timedelta(days=40)}
    log = AuditLog(tmp_path / "audit.jsonl", 30, clock=lambda: clock["now"])
    who = Asker("pat", "public", "api")
    log.record(answer, who)  # 40 days old by the end
    clock["now"] = now - timedelta(days=10)
    log.record(answer, who)
    with (tmp_path / "audit.jsonl").open("a") as fh:
        fh.write("not json, kept rather than lost\n")
    clock["now"] = now
    log.record(answer, who)
    kept = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert len(kept) == 3 and "not json" in kept[1]
    assert [json.loads(line)["time"][:10] for line in (kept[0], kept[2])] == ["2026-02-19", "2026-03-01"]
    # Later the same day nothing is pruned, though the 10-day-old line is now past a 5-day retention.
    log.retention_days = 5
    clock["now"] = now + timedelta(hours=3)
    log.record(answer, who)
    assert len((tmp_path / "audit.jsonl").read_text().splitlines()) == 4
    clock["now"] = now + timedelta(days=1)
    log.record(answer, who)
    times = [line[:30] for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert len(times) == 4 and not any("2026-02-19" in t for t in times)


def test_zero_retention_keeps_every_line(tmp_path):
    answer = Answer(question="q", resolved_question="q", regime={}, text="t", statements=[], citations=[],
                    refused=True)
    clock = {"now": datetime(2020, 1, 1, tzinfo=timezone.utc)}
    log = AuditLog(tmp_path / "audit.jsonl", 0, clock=lambda: clock["now"])
    log.record(answer, Asker("pat", "public", "ui"))
    clock["now"] = datetime(2026, 1, 1, tzinfo=timezone.utc)
    log.record(answer, Asker("pat", "public", "ui"))
    assert len(log.read()) == 2


def test_cli_ask_is_audited_as_the_operator(corpus):
    env = {**os.environ, "CGA_DATA_DIR": str(corpus.data_dir), "CGA_SOURCES": str(corpus.sources),
           "CGA_DELEGATION_FILE": str(corpus.delegation_file), "CGA_CHROMA_URL": corpus.chroma_url, "CGA_LLM": "none"}
    before = len(AuditLog(corpus.audit_log, 365).read())
    cga = Path(sys.executable).with_name("cga")
    done = subprocess.run([str(cga), "ask", QUESTIONS[0], "--json"], env=env, capture_output=True, text=True,
                          timeout=300, cwd=PROJECT_ROOT)
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    [line] = AuditLog(corpus.audit_log, 365).read()[before:]
    assert (line.user, line.role, line.via, line.question) == (getpass.getuser(), "admin", "cli", QUESTIONS[0])
    assert line.passage_ids == [c["passage_id"] for c in answer["citations"]]


def test_without_a_users_file_the_single_local_user_is_told_and_audited(corpus, library, tmp_path):
    chat = ChatApp(dataclasses.replace(corpus, data_dir=tmp_path, users_file=None), library)
    assert "single local user with administrator rights" in chat.whoami_html(None)
    assert "restricted" in chat.whoami_html(None)
    chat.ask(QUESTIONS[0], "auto", "", [], Conversation(), None)
    line = library.audit.read()[-1]
    assert (line.user, line.role, line.via) == (LOCAL_USER, "admin", "ui")


@pytest.mark.parametrize("name, value, words", [
    ("CGA_CHROMA_URL", "localhost:8000", "expected http://HOST:PORT"),
    ("CGA_CHROMA_URL", "http://chroma.internal", "expected http://HOST:PORT"),
    ("CGA_AUDIT_RETENTION_DAYS", "a year", "whole number of days"),
    ("CGA_AUDIT_RETENTION_DAYS", "-1", "whole number of days"),
])
def test_bad_settings_are_refused_naming_the_variable(name, value, words):
    with pytest.raises(ValueError, match=name) as refused:
        Settings.from_env({name: value})
    assert words in str(refused.value) and repr(value) in str(refused.value)
