"""The chat's handlers and renderings, on real answers from the session index; uploads on a small real index."""

from __future__ import annotations

import dataclasses
import html
import re
from datetime import datetime, timezone
from pathlib import Path

import gradio as gr
import pytest
from small_library import GIFTS, build_small_settings

from assistant.accounts.audit import LOCAL_USER
from assistant.accounts.feedback import FeedbackStore, feedback_path
from assistant.accounts.uploads import UploadError, add_upload, safe_file_name
from assistant.accounts.users import Users, add_user
from assistant.answering.records import Answer, Conversation
from assistant.config import Settings
from assistant.web.app import ChatApp
from assistant.web.render import (
    MAX_SOURCES,
    OPEN_SOURCES,
    answer_as_markdown,
    answer_as_text,
    answer_html,
    conversation_as_markdown,
    conversation_html,
    follow_ups,
    md_escape,
    quote_spans,
    split_lead,
    split_regime,
)

STANDSTILL = "What is the mandatory standstill period under the Procurement Act 2023?"
OUT_OF_SCOPE = "What is the capital of France?"
HOSTILE = '<img src=x onerror="alert(1)"><script>alert(2)</script> & {{value}} ${value}'


@pytest.fixture(scope="module")
def talk(library):
    """A real conversation: an answer, a follow-up, then a refusal."""
    conversation = Conversation()
    library.ask(STANDSTILL, conversation=conversation)
    library.ask("And under PCR 2015?", conversation=conversation)
    library.ask(OUT_OF_SCOPE, conversation=conversation)
    return conversation


@pytest.fixture()
def chat(index_settings, library, tmp_path):
    """The UI's handlers over the session index, writing feedback to a fresh data dir."""
    return ChatApp(dataclasses.replace(index_settings, data_dir=tmp_path), library)


# Rendering


def test_answer_html_shows_markers_sources_and_highlighted_quotes(talk):
    answer = talk.turns[0].answer
    assert not answer.refused and answer.citations
    page = answer_html(answer, 1, latest=True)
    for i, c in enumerate(answer.citations):
        assert f'href="#cga-t1-s{c.n}"' in page  # the [n] marker links to its source
        assert (f'id="cga-t1-s{c.n}" open' in page) == (i < OPEN_SOURCES)
        assert html.escape(c.citation) in page and html.escape(c.version_date) in page
        assert html.escape(" › ".join(c.heading_path)) in page
        assert f'href="{html.escape(c.source_url, quote=True)}"' in page
        for quote in c.quotes:
            marked = re.findall(r"<mark>(.*?)</mark>", page, re.S)
            assert any(" ".join(quote.split()) in " ".join(html.unescape(m).split()) for m in marked)
    assert any(c.citation.startswith("PA 2023 s.51") for c in answer.citations)
    assert html.escape(split_regime(answer)[1]) in page


def test_the_short_answer_comes_first_under_the_question_then_the_quotes(talk):
    answer = talk.turns[0].answer
    lead, rest = split_lead(answer)
    assert lead == answer.lead and rest and not rest.startswith(lead)
    page = answer_html(answer, 1, latest=True)
    question, verdict, first = page.index('class="cga-question"'), page.index(">Answer</h3>"), page.index("cga-lead")
    assert question < verdict < first < page.index("“", first + len(lead))  # nothing but the heading before it
    assert '<h2 class="cga-question" id="cga-t1-q">' in page and '<h3 class="cga-verdict"' in page
    shown = re.findall(r'<details class="cga-source" id="cga-t1-s\d+"', page.split('class="cga-more"')[0])
    assert len(shown) == min(MAX_SOURCES, len(answer.citations))


def test_a_plain_answer_shows_at_most_six_sources_and_folds_the_rest(talk):
    data = talk.turns[0].answer.to_dict()
    data["citations"] = [dict(data["citations"][0], n=n) for n in range(1, 10)]
    page = answer_html(Answer.from_dict(data), 1, latest=False)
    visible, more = page.split('<details class="cga-more">')
    assert visible.count('class="cga-source"') == MAX_SOURCES and more.count('class="cga-source"') == 3
    assert "3 more sources" in more and 'id="cga-t1-s9"' in more


def test_quote_is_found_across_whitespace_differences():
    text = "(1) A contracting authority may not\n  enter into a public contract before—\n(a) the end"
    [(start, end)] = quote_spans(text, ["may not enter into a public contract"])
    assert " ".join(text[start:end].split()) == "may not enter into a public contract"
    assert quote_spans(text, ["not in the passage"]) == []


def test_document_text_is_inert_in_html_and_escaped_in_markdown(talk):
    data = talk.turns[0].answer.to_dict()
    data["citations"][0]["text"] = HOSTILE + "\n" + data["citations"][0]["text"]
    data["question"] = HOSTILE
    answer = Answer.from_dict(data)
    page = answer_html(answer, 1, latest=True)
    assert "<img" not in page and "<script" not in page
    assert html.escape(HOSTILE) in page
    markdown = answer_as_markdown(answer, 1)
    # Every angle bracket is escaped, so no HTML survives; the only bare ones are autolinks to the source
    # and the blockquote markers that open each line of a cited passage.
    bare = re.sub(r"(?m)^> ?", "", re.sub(r"<https?://[^<>\s]+>", "", markdown))
    assert not re.search(r"(?<!\\)[<>]", bare)
    assert r'\<img src=x onerror="alert(1)"\>' in markdown


def test_refusal_is_distinct_with_its_reason_and_related_passages(talk):
    answer = talk.turns[2].answer
    assert answer.refused and answer.related
    page = answer_html(answer, 3, latest=True)
    assert "cga-refused" in page and '<h3 class="cga-verdict" id="cga-t3-v">No answer</h3>' in page
    # Never headed, styled or offered as an answer: no answer box, no short answer, no follow-ups.
    assert "cga-answer" not in page and ">Answer<" not in page and "cga-lead" not in page and "cga-next" not in page
    # No regime line: nothing was answered. The reason is given instead.
    assert "Regime:" not in page and html.escape(answer.refusal_reason[1:]) in page
    assert "Closest passages (these do not answer the question)" in page
    for c in answer.related:
        assert f'id="cga-t3-r{c.n}"' in page and html.escape(c.citation) in page
    text = answer_as_text(answer)
    assert text.startswith("No answer.\n\n" + answer.text) and "Regime:" not in text
    assert "Closest passages (these do not answer the question):\n[1] " + answer.related[0].citation in text
    assert "Sources:" not in text and "Closest passages" not in answer_as_text(answer, sources=False)
    markdown = answer_as_markdown(answer, 3)
    assert "### No answer\n\n" + md_escape(answer.text) in markdown and "### Answer" not in markdown
    assert "### Closest passages (these do not answer the question)" in markdown


def test_follow_up_is_shown_as_carried_over(talk):
    follow_up = talk.turns[1].answer
    assert follow_up.carried_over, "the pipeline read 'And under PCR 2015?' as a follow-up"
    assert html.escape(follow_up.carried_over) in answer_html(follow_up, 2, latest=False)
    assert follow_up.carried_over in answer_as_text(follow_up)


def test_advisor_trace_is_a_numbered_list_above_the_sources(talk):
    data = talk.turns[0].answer.to_dict()
    data["route"] = "advisor"
    data["trace"] = [{"step": "Value", "finding": "£500,000 is above the threshold", "n": 1},
                     {"step": "Route", "finding": "open procedure", "n": None}]
    page = answer_html(Answer.from_dict(data), 1, latest=True)
    # The decision first, its sources, then the steps and the other rule passages folded (closed) away.
    assert page.index("cga-lead") < page.index("cga-sources") < page.index('<details class="cga-trace"><summary>')
    assert page.index('<details class="cga-trace">') < page.index("<ol>")
    assert ('<li>Value: £500,000 is above the threshold <a class="cga-marker" href="#cga-t1-s1" '
            'aria-label="source 1">[1]</a></li><li>Route: open procedure</li>') in page
    assert "How this was decided (2 steps)" in page
    assert "1. Value: £500,000 is above the threshold [1]" in answer_as_text(Answer.from_dict(data))


def test_transcript_puts_the_latest_answer_first(talk):
    page = conversation_html(talk)
    assert page.index("Question 3") < page.index("Earlier in this conversation") < page.index("Question 1")
    assert "Ask a question" in conversation_html(Conversation())


def test_markdown_record_has_questions_answers_sources_dates_and_export_date(talk):
    when = datetime(2026, 5, 4, 9, 30, tzinfo=timezone.utc)
    record = conversation_as_markdown(talk, when, index_version="v-test")
    assert record.startswith("# Commissioning guidance — conversation record")
    assert "Exported 04 May 2026, 09:30 UTC." in record and "Index version v-test." in record
    for i, turn in enumerate(talk.turns, start=1):
        assert f"## {i}. " in record
        for c in turn.answer.citations + turn.answer.related:
            assert f"**[{c.n}] " in record and c.dated in record
    first = talk.turns[0].answer.citations[0]
    assert f"<{first.source_url}>" in record
    assert "> " + md_escape(first.text.splitlines()[0]) in record
    assert "### No answer" in record and "### Closest passages" in record
    lead = talk.turns[0].answer.lead
    assert f"## 1. {md_escape(STANDSTILL)}\n\n### Answer\n\n**" in record and md_escape(lead)[:40] in record


def test_follow_ups_come_from_the_regime_and_route(talk):
    assert follow_ups(talk.turns[0].answer) == ["And under PCR 2015?"]
    under_pcr = talk.turns[0].answer.to_dict() | {"regime": {"name": "PCR 2015", "reason": "", "as_at": ""}}
    assert follow_ups(Answer.from_dict(under_pcr)) == ["And under the Procurement Act 2023?"]
    assert follow_ups(talk.turns[2].answer) == []  # a refusal suggests nothing
    data = talk.turns[0].answer.to_dict() | {"route": "advisor", "trace": [
        {"step": "Threshold test", "finding": "£500,000 is below the £663,540 threshold", "n": 2}]}
    assert follow_ups(Answer.from_dict(data)) == ["And under PCR 2015?", "What if it is above the threshold?",
                                                  "Who approves it?"]
    page = answer_html(talk.turns[0].answer, 1, latest=True)
    assert 'data-action="ask" data-question="And under PCR 2015?"' in page
    assert "cga-next" not in answer_html(talk.turns[0].answer, 1, latest=False)  # only under the newest


def test_each_answer_carries_its_own_actions_and_texts(talk):
    data = talk.turns[0].answer.to_dict()
    data["question"] = HOSTILE
    answer = Answer.from_dict(data)
    page = answer_html(answer, 1, latest=True)
    for action in ("helpful", "not-helpful", "copy", "copy-cited", "export"):
        assert f'data-action="{action}" data-turn="1"' in page
    copies = {kind: html.unescape(text) for kind, text in
              re.findall(r'<pre hidden class="cga-copy" data-kind="([a-z-]+)">(.*?)</pre>', page, re.DOTALL)}
    assert copies == {"copy": answer_as_text(answer, sources=False), "copy-cited": answer_as_text(answer),
                      "export": answer_as_markdown(answer, 1)}
    assert "<script" not in page and "<img" not in page  # the hidden texts are escaped too
    assert '<label for="cga-t1-comment">' in page and '<textarea id="cga-t1-comment"' in page


# Handlers


def test_ask_handler_answers_and_keeps_the_conversation(chat):
    conversation = Conversation()
    transcript, state, box, status = chat.ask(STANDSTILL, "auto", "", [], conversation)
    assert state is conversation and len(conversation.turns) == 1
    answer = conversation.turns[0].answer
    assert html.escape(answer.citations[0].citation) in transcript
    assert box == "" and f"{len(answer.citations)} source(s)" in status and 'role="status"' in status

    chat.ask("And under PCR 2015?", "auto", "", [], conversation)
    assert len(conversation.turns) == 2 and conversation.turns[1].answer.carried_over


def test_ask_handler_checks_the_date_and_question(chat):
    conversation = Conversation()
    *_, status = chat.ask(STANDSTILL, "auto", "1 March", [], conversation)
    assert "Procurement start date" in status and "YYYY-MM-DD" in status and not conversation.turns
    *_, status = chat.ask("x" * 2001, "auto", "", [], conversation)
    assert "Question" in status and "2000" in status and not conversation.turns
    *_, status = chat.ask("   ", "auto", "", [], conversation)
    assert "empty" in status


def test_regime_and_date_controls_reach_the_answer(chat):
    conversation = Conversation()
    chat.ask("What is the standstill period?", "auto", "2024-06-01", [], conversation)
    assert conversation.turns[-1].answer.regime["name"] == "PCR 2015"
    conversation = Conversation()
    chat.ask("What is the standstill period?", "PA 2023", "", ["decision"], conversation)
    answer = conversation.turns[-1].answer
    assert answer.regime["name"] == "PA 2023"
    assert {c.kind for c in answer.citations + answer.related} == {"decision"}


def test_new_conversation_resets(chat, talk):
    transcript, state, *_ = chat.new_conversation()
    assert isinstance(state, Conversation) and not state.turns and "Ask a question" in transcript


def test_export_handler_writes_the_markdown_record(chat, talk):
    file_update, status = chat.export(talk)
    path = Path(file_update["value"])
    assert path.suffix == ".md" and file_update["visible"]
    record = path.read_text(encoding="utf-8")
    assert talk.turns[0].question.replace("?", "") in record and "Exported " in record
    assert "Exported 3 question(s)" in status
    file_update, status = chat.export(Conversation())
    assert "nothing to export" in status and not file_update["visible"]


def test_feedback_handler_stores_the_chosen_answer(chat, talk):
    status, saved = chat.send_feedback(talk, 3, False, "should have said it is out of scope")
    assert "answer 3 recorded as not helpful" in status and saved
    # An answer's own Helpful button, as the page sends it.
    note = chat.answer_feedback(talk, gr.EventData(None, {"action": "helpful", "turn": 1, "comment": ""}))
    assert 'data-turn="1" data-saved="yes"' in note and "answer 1 recorded as helpful" in note
    items = FeedbackStore(feedback_path(chat.settings.data_dir)).all()
    assert [(i.question, i.helpful) for i in items] == [(OUT_OF_SCOPE, False), (STANDSTILL, True)]
    assert items[0].comment == "should have said it is out of scope" and items[0].refused
    status, saved = chat.send_feedback(Conversation(), None, True, "")
    assert "Ask a question first" in status and not saved
    # What the page sends is checked: an unknown action, a turn that is not a number, a comment too long.
    for data in ({"action": "delete", "turn": 1}, {"action": "helpful", "turn": "1"}, {"action": "helpful", "turn": True},
                 {"action": "helpful", "turn": 1, "comment": ["x"]}, None):
        assert "could not be read" in chat.answer_feedback(talk, gr.EventData(None, data))
    assert "Comment not saved" in chat.answer_feedback(
        talk, gr.EventData(None, {"action": "helpful", "turn": 1, "comment": "x" * 2001}))
    assert "data-saved=\"no\"" in chat.answer_feedback(talk, gr.EventData(None, {"action": "helpful", "turn": 9}))
    assert len(FeedbackStore(feedback_path(chat.settings.data_dir)).all()) == 2


def test_index_tab_lists_documents_with_kind_date_and_passages(chat, library):
    page = chat.index_html()
    for doc in library.stats()["documents"]:
        assert html.escape(doc["short"]) in page and doc["version_date"] in page
        assert f'{doc["passages"]:,}' in page
    assert "Sign-in is off" in chat.whoami_html() and "administrator" in chat.whoami_html()
    assert chat.can_upload()["visible"] is True


def test_signed_in_roles_decide_access_and_upload(index_settings, library, tmp_path):
    users_file = tmp_path / "users.toml"
    add_user(users_file, "ann", "admin", "pw-ann")
    add_user(users_file, "sam", "staff", "pw-sam")
    add_user(users_file, "pat", "public", "pw-pat")
    chat = ChatApp(dataclasses.replace(index_settings, data_dir=tmp_path), library, Users.load(users_file))
    assert chat.viewer(gr.Request(username="pat")).access == ("public",)
    assert chat.viewer(gr.Request(username="sam")).access == ("public", "internal")
    assert chat.can_upload(gr.Request(username="sam"))["visible"] is False
    assert chat.can_upload(gr.Request(username="ann"))["visible"] is True
    status, _ = chat.upload(str(tmp_path / "x.txt"), "T", "", "guidance", "", "public", gr.Request(username="sam"))
    assert "Only administrators" in status
    assert "Signed in as <strong>sam</strong> (staff)" in chat.whoami_html(gr.Request(username="sam"))
    with pytest.raises(gr.Error):
        chat.viewer(gr.Request(username="nobody"))


# Uploads, on a small real index of one document so the session index is left alone


@pytest.fixture()
def small_settings(index_settings, tmp_path) -> Settings:
    return build_small_settings(index_settings, tmp_path)


def test_safe_file_name_strips_folders_unicode_and_spaces():
    assert safe_file_name("../../etc/passwd") == "passwd"
    assert safe_file_name("..\\..\\Évaluation des offres (v2).TXT") == "Evaluation-des-offres-v2.txt"
    assert safe_file_name("..") == "upload"
    assert safe_file_name("規則.md") == "upload.md"
    assert "/" not in safe_file_name("a/b/../c d.pdf") and safe_file_name("a/b/../c d.pdf") == "c-d.pdf"


def test_upload_is_stored_listed_indexed_and_searchable_without_restart(small_settings, tmp_path):
    from assistant.library import Library, all_documents, uploads_manifest

    library = Library(small_settings)
    before = library.index.version
    source = tmp_path / "Gifts & Hospitality – rules.md"
    source.write_text(GIFTS, encoding="utf-8")
    stages: list[tuple[float, str]] = []
    result = add_upload(small_settings, source, "../Gifts & Hospitality – rules.md", title="Gifts and hospitality",
                        kind="internal-rules", short="G&H rules", version_date="2026-01-15", access="internal",
                        progress=lambda f, s: stages.append((f, s)))
    assert result.file == "uploads/Gifts-Hospitality-rules.md" and result.passages >= 2
    assert (small_settings.uploads_dir / "Gifts-Hospitality-rules.md").read_text(encoding="utf-8") == GIFTS
    assert (small_settings.corpus_cache / result.file).exists()
    assert [d.doc_id for d in all_documents(small_settings)][-1] == result.doc_id
    assert 'file = "uploads/Gifts-Hospitality-rules.md"' in uploads_manifest(small_settings).read_text()
    assert [f for f, _ in stages] == sorted(f for f, _ in stages) and stages[-1] == (1.0, "done")

    assert library.index.version != before  # the running library switched to the new version by itself
    question = "Who must a gift offered by a bidder be reported to?"
    answer = library.ask(question, access=("public", "internal"))
    assert not answer.refused and answer.citations[0].doc_id == result.doc_id
    assert "Head of Commercial" in answer.text and answer.citations[0].version_date == "2026-01-15"
    public = library.ask(question, access=("public",))
    assert all(c.doc_id != result.doc_id for c in public.citations + public.related)


def test_bad_upload_gets_the_parser_message_and_leaves_nothing_behind(small_settings, tmp_path):
    from assistant.library import Library, uploads_manifest

    library = Library(small_settings)
    before = library.index.version
    bad = tmp_path / "minutes.txt"
    bad.write_bytes(bytes(range(256)) * 40)
    with pytest.raises(UploadError, match=r"minutes\.txt: .*binary"):
        add_upload(small_settings, bad, "minutes.txt", title="Minutes", kind="guidance")
    assert not uploads_manifest(small_settings).exists()
    assert not any(small_settings.uploads_dir.glob("*"))
    assert not (small_settings.corpus_cache / "uploads" / "minutes.txt").exists()
    assert library.index.version == before

    good = tmp_path / "gifts.md"
    good.write_text(GIFTS, encoding="utf-8")
    add_upload(small_settings, good, "gifts.md", title="Gifts", kind="guidance")
    listed = uploads_manifest(small_settings).read_text()
    with pytest.raises(UploadError, match=r"gifts again\.md: same content as uploads/gifts\.md"):
        add_upload(small_settings, good, "gifts again.md", title="Gifts again", kind="guidance")
    assert uploads_manifest(small_settings).read_text() == listed


def test_upload_during_another_ingest_is_rolled_back(small_settings, tmp_path):
    import fcntl

    from assistant.library import Library, uploads_manifest
    from ingest.store import IndexLocation

    library = Library(small_settings)
    before = library.index.version
    good = tmp_path / "gifts.md"
    good.write_text(GIFTS, encoding="utf-8")
    # Hold the ingest lock as a running `cga ingest` would: the upload's index build cannot start.
    with (IndexLocation(small_settings.data_dir).root / "ingest.lock").open("a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with pytest.raises(UploadError, match=r"gifts\.md: another ingest .*try again"):
            add_upload(small_settings, good, "gifts.md", title="Gifts", kind="guidance")
    assert not uploads_manifest(small_settings).exists()
    assert not any(small_settings.uploads_dir.glob("*"))
    assert not (small_settings.corpus_cache / "uploads" / "gifts.md").exists()
    assert library.index.version == before


def test_upload_refuses_wrong_type_fields_and_size_before_reading(small_settings, tmp_path):
    from assistant.library import uploads_manifest

    exe = tmp_path / "tool.exe"
    exe.write_bytes(b"MZ")
    with pytest.raises(UploadError, match=r"tool\.exe: unsupported file type \.exe"):
        add_upload(small_settings, exe, "tool.exe", title="Tool", kind="guidance")
    note = tmp_path / "note.txt"
    note.write_text("A note.\n")
    with pytest.raises(UploadError, match="field 'kind'"):
        add_upload(small_settings, note, "note.txt", title="Note", kind="memo")
    with pytest.raises(UploadError, match="field 'version date'"):
        add_upload(small_settings, note, "note.txt", title="Note", kind="guidance", version_date="May 2025")
    with pytest.raises(UploadError, match="field 'title'"):
        add_upload(small_settings, note, "note.txt", title=" ", kind="guidance")
    # 64 MB of sparse file: refused from its size alone, in no time and without reading it.
    huge = tmp_path / "huge.pdf"
    with huge.open("wb") as fh:
        fh.truncate(64 * 1024 * 1024)
    with pytest.raises(UploadError, match=r"huge\.pdf: 64\.0 MB is over the 1 MB limit"):
        add_upload(small_settings, huge, "huge.pdf", title="Huge", kind="guidance")
    assert not uploads_manifest(small_settings).exists()


def test_upload_handler_reports_progress_and_errors(small_settings, tmp_path):
    from assistant.library import Library

    chat = ChatApp(small_settings, Library(small_settings))
    bad = tmp_path / "empty.md"
    bad.write_text("   \n")
    good = tmp_path / "Gifts policy.md"
    good.write_text(GIFTS, encoding="utf-8")
    status, _ = chat.upload(str(good), "Gifts policy", "GP", "guidance", "", "public")
    assert "Not added. Gifts policy.md: not a file you uploaded" in status
    chat.uploads.record(LOCAL_USER, [str(bad), str(good)])  # as Gradio's upload route records them
    status, table = chat.upload(str(bad), "Empty", "", "guidance", "", "public")
    assert "Not added." in status and "empty.md" in status
    seen: list[str] = []
    status, table = chat.upload(str(good), "Gifts policy", "GP", "guidance", "", "public", None,
                                lambda fraction, desc: seen.append(desc))
    assert "Added Gifts policy.md as upload-gifts-policy" in status and "now searchable" in status
    assert "GP" in table and "done" in seen
