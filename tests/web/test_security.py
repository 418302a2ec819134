"""Issue 15, row by row: each attack reproduced against a real server on loopback, and refused.

A real `cga serve` runs over the access tests' corpus (a public paper whose Part 2 holds a price,
restricted rules, an internal handbook) with a real users file: ann (admin), sam (staff) and pat
(public). Requests go over HTTP as the page's own do: Gradio's sign-in cookie, its upload route and
its queue. Row 2 (planted instructions) is not covered here. Chromium runs only where the page itself
must still work through the new checks.
"""

from __future__ import annotations

import csv
import dataclasses
import gc
import hashlib
import io
import json
import os
import re
import socket
import stat
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from assistant.accounts.audit import Asker
from assistant.accounts.feedback import Feedback, FeedbackStore
from assistant.accounts.users import ACCESS_BY_ROLE, Users, add_user
from assistant.answering.records import Answer
from assistant.config import PROJECT_ROOT, Settings
from assistant.library import ChromaUnreachable, Library, chroma_client
from assistant.llm.client import LLMError, build_messages, stream_reply
from assistant.web.api import MAX_JSON_DEPTH, MAX_TEXT_CHARS
from assistant.web.render import answer_as_text, answer_html
from ingest.store import IndexLocation
from tests.accounts.test_access import NAMES, PART_TWO_PHRASE, QUESTIONS, build_index, write_corpus
from tests.ingest import test_crash_safe
from tests.ingest.test_hostile_input import env_for, run_cga
from tests.llm.fake_llm_servers import Prompt, Reply, ScriptedServer
from tests.web import test_browser
from tests.web.test_browser import opened, run_server

pytestmark = pytest.mark.slow  # a server of its own, and two indexes built and rebuilt

FAILURES_ALLOWED = 3
BACKOFF_SECONDS = 2
QUOTA_MB = 1
PAPER_FILE = "decisions/pcd-9999.txt"
EQUALITY = "What does the public sector equality duty require?"
# The browser tests' Chromium, and the crash tests' corpus indexed once and then grown by a document.
browser = test_browser.browser
template = test_crash_safe.template


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Settings:
    settings = write_corpus(tmp_path_factory.mktemp("security"))
    build_index(settings)
    return settings


@pytest.fixture(scope="module")
def users_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("security-users") / "users.toml"
    for role, name in NAMES.items():
        add_user(path, name, role, f"{name} password")
    return path


@pytest.fixture(scope="module")
def gradio_files(tmp_path_factory) -> Path:
    """Gradio's upload folder for the server, apart from any other server's."""
    return tmp_path_factory.mktemp("gradio-files")


@pytest.fixture(scope="module")
def server(corpus, users_file, gradio_files) -> Iterator[str]:
    yield from run_server({"CGA_DATA_DIR": str(corpus.data_dir), "CGA_SOURCES": str(corpus.sources),
                           "CGA_CORPUS_MIRROR": str(corpus.corpus_mirror),
                           "CGA_DELEGATION_FILE": str(corpus.delegation_file), "CGA_LLM": "none",
                           "CGA_USERS_FILE": str(users_file), "CGA_SIGNIN_FAILURES": str(FAILURES_ALLOWED),
                           "CGA_SIGNIN_BACKOFF": str(BACKOFF_SECONDS), "CGA_UPLOAD_QUOTA_MB": str(QUOTA_MB),
                           "GRADIO_TEMP_DIR": str(gradio_files)}, "serve-security")


def client_from(address: str, base: str) -> httpx.Client:
    """A client whose connections come from `address` (any 127.x.y.z reaches the server on loopback)."""
    return httpx.Client(base_url=base, timeout=180, transport=httpx.HTTPTransport(local_address=address))


def sign_in(base: str, name: str, password: str, address: str = "127.0.0.1") -> httpx.Response:
    with client_from(address, base) as client:
        return client.post("/login", data={"username": name, "password": password})


@pytest.fixture(scope="module")
def clients(server) -> Iterator[dict[str, httpx.Client]]:
    """ann, sam and pat, each signed in to the page as a browser would be."""
    signed: dict[str, httpx.Client] = {}
    for name in NAMES.values():
        signed[name] = client_from("127.0.0.1", server)
        response = signed[name].post("/login", data={"username": name, "password": f"{name} password"})
        assert response.status_code == 200, response.text
    yield signed
    for client in signed.values():
        client.close()


# ---- the page's functions, called through Gradio's queue as the page calls them ---------------------

@dataclass(frozen=True)
class Page:
    """The components and functions of the page, as its /config describes them."""

    components: dict[int, dict[str, Any]]
    functions: list[dict[str, Any]]

    def elem_id(self, component: int) -> str:
        """"" for the page itself (the target of its load events) and components without one."""
        return self.components.get(component, {}).get("props", {}).get("elem_id") or ""

    def triggered_by(self, elem_id: str) -> int:
        """The function a button (by its elem_id) runs."""
        [fn] = [i for i, f in enumerate(self.functions) if any(self.elem_id(t) == elem_id for t, _ in f["targets"])]
        return fn

    def file_functions(self) -> list[int]:
        return [i for i, f in enumerate(self.functions)
                if any(self.components[c]["type"] == "file" for c in f["inputs"])]

    def inputs(self, fn: int, file: dict[str, Any]) -> list[Any]:
        """The function's inputs at their defaults, with `file` in every file input."""
        return [file if self.components[c]["type"] == "file" else self.components[c]["props"].get("value")
                for c in self.functions[fn]["inputs"]]


@pytest.fixture(scope="module")
def page(clients) -> Page:
    config = clients["pat"].get("/config").json()
    return Page({c["id"]: c for c in config["components"]}, config["dependencies"])


def file_data(path: str | Path) -> dict[str, Any]:
    return {"path": str(path), "orig_name": Path(path).name, "meta": {"_type": "gradio.FileData"}}


def new_session() -> str:
    return uuid.uuid4().hex[:11]


def join(client: httpx.Client, fn: int, data: list[Any], session: str) -> httpx.Response:
    # Sent as JSON.stringify sends it: a lone surrogate as its \u escape.
    body = {"data": data, "fn_index": fn, "session_hash": session, "event_data": None, "trigger_id": None}
    return client.post("/gradio_api/queue/join", content=json.dumps(body),
                       headers={"content-type": "application/json"})


def call(client: httpx.Client, fn: int, data: list[Any], session: str) -> dict[str, Any]:
    """Run a function through the queue → its completion message (`success`, `output`)."""
    joined = join(client, fn, data, session)
    assert joined.status_code == 200, joined.text
    event = joined.json()["event_id"]
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as stream:
        assert stream.status_code == 200
        for line in stream.iter_lines():
            message = json.loads(line[5:]) if line.startswith("data:") else {}
            if message.get("msg") == "process_completed" and message.get("event_id") == event:
                return message
    raise AssertionError(f"the queue closed before event {event} completed")


def opening(client: httpx.Client, method: str, path: str, **kwargs: Any) -> tuple[int, str]:
    """The status and, unless it is 200, the body of a request: some routes (the event stream, heartbeats)
    answer 200 with a stream that never ends, so one that is let through is not read."""
    with client.stream(method, path, **kwargs) as response:
        return response.status_code, "" if response.status_code == 200 else response.read().decode()


def upload(client: httpx.Client, name: str, content: bytes) -> str:
    """Upload through Gradio's route, as the page's file box does → the path on the server."""
    response = client.post("/gradio_api/upload", files={"files": (name, content, "text/plain")})
    assert response.status_code == 200, response.text
    [path] = response.json()
    return path


def status_of(message: dict[str, Any]) -> str:
    """The status line among a function's outputs (or Gradio's error)."""
    if not message["success"]:
        return message["output"]["error"]
    return next(o for o in message["output"]["data"] if isinstance(o, str) and "cga-status" in o)


def paper_text(corpus: Settings) -> bytes:
    return (corpus.corpus_cache / PAPER_FILE).read_bytes()


# ---- row 1: files a function receives ---------------------------------------------------------------

def test_the_file_inputs_are_the_two_known_ones(page):
    """Every function taking a file is tested below; a new one must be added there."""
    assert sorted(page.file_functions()) == sorted([page.triggered_by("cga-check-file"),
                                                    page.triggered_by("cga-upload-button")])


@pytest.mark.parametrize("role", ["public", "staff"])
def test_no_file_input_reads_a_file_on_the_server(page, clients, corpus, users_file, role):
    client = clients[NAMES[role]]
    for fn in page.file_functions():
        for server_file in (corpus.corpus_cache / PAPER_FILE, users_file):
            message = call(client, fn, page.inputs(fn, file_data(server_file)), new_session())
            assert not message["success"] and "not uploaded by a user" in message["output"]["error"]
            assert PART_TWO_PHRASE not in json.dumps(message)


def test_no_file_input_takes_another_users_upload(page, clients, corpus):
    check, add = page.triggered_by("cga-check-file"), page.triggered_by("cga-upload-button")
    anns = upload(clients["ann"], "pcd-9999.txt", paper_text(corpus))
    message = call(clients["pat"], check, [file_data(anns)], new_session())
    assert "Not checked. pcd-9999.txt: not a file you uploaded" in status_of(message)
    assert PART_TWO_PHRASE not in json.dumps(message)

    pats = upload(clients["pat"], "notes.md", b"# Notes\n\nSection 149 of the Equality Act 2010 applies.\n")
    documents = len(Library(corpus).index.documents)
    message = call(clients["ann"], add, page.inputs(add, file_data(pats)), new_session())
    assert "Not added. notes.md: not a file you uploaded" in status_of(message)
    assert len(Library(corpus).index.documents) == documents


def test_a_users_own_uploads_still_work(page, clients, corpus):
    check, add = page.triggered_by("cga-check-file"), page.triggered_by("cga-upload-button")
    pats = upload(clients["pat"], "draft.txt", b"PCD 9998 Draft\n\n1.1 Section 149 of the Equality Act 2010 "
                                               b"applies to this decision.\n")
    assert "draft.txt: 1 references" in status_of(call(clients["pat"], check, [file_data(pats)], new_session()))
    anns = upload(clients["ann"], "gifts.md", b"# Gifts\n\nEvery gift offered by a bidder is declined and "
                                              b"recorded in the gifts register.\n")
    data = [file_data(anns), "Gifts rules", "Gifts", "guidance", "", "public"]
    assert "Added gifts.md as upload-gifts" in status_of(call(clients["ann"], add, data, new_session()))


# ---- row 3: a session belongs to the user who started it --------------------------------------------

def test_another_users_session_is_refused_on_every_route(page, clients, server):
    ask, export = page.triggered_by("cga-ask"), page.triggered_by("cga-export")
    anns = new_session()
    call(clients["ann"], ask, [QUESTIONS[0], "auto", "", [], None], anns)
    exported = call(clients["ann"], export, [None], anns)
    assert exported["success"] and exported["output"]["data"][0]["value"]["path"]

    pat = clients["pat"]
    cancel = {"session_hash": anns, "fn_index": export, "event_id": "x"}
    refused = [opening(pat, "POST", "/gradio_api/queue/join", json={"data": [None], "fn_index": export,
                                                                    "session_hash": anns}),
               opening(pat, "GET", "/gradio_api/queue/data", params={"session_hash": anns}),
               opening(pat, "GET", f"/gradio_api/heartbeat/{anns}"),
               opening(pat, "GET", "/gradio_api/deep_link", params={"session_hash": anns}),
               opening(pat, "POST", "/gradio_api/cancel", json=cancel)]
    for status, text in refused:
        assert status == 403 and "belongs to another user" in text, (status, text)
        assert PART_TWO_PHRASE not in text

    # Gradio asks no sign-in to send heartbeats to or cancel a session's events; with a session named, it is asked.
    with httpx.Client(base_url=server) as stranger:
        for status, text in (opening(stranger, "GET", f"/gradio_api/heartbeat/{anns}"),
                             opening(stranger, "POST", "/gradio_api/cancel", json=cancel)):
            assert status == 401, (status, text)
    assert call(clients["ann"], export, [None], anns)["success"]  # still hers
    assert "nothing to export" in status_of(call(pat, export, [None], new_session()))


# ---- rows 4 and 7: every text bounded, depth-limited JSON, invalid Unicode ---------------------------

def ask_api(base: str, body: Any, name: str = "pat") -> httpx.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return httpx.post(f"{base}/api/ask", content=content, headers={"content-type": "application/json"},
                      auth=(name, f"{name} password"), timeout=180)


@pytest.fixture(scope="module")
def earlier(server) -> dict[str, Any]:
    """A real answer record, as a client sends it back in `conversation`."""
    response = ask_api(server, {"question": EQUALITY})
    assert response.status_code == 200, response.text
    return response.json()


def forged(earlier: dict[str, Any], **changes: Any) -> dict[str, Any]:
    answer = dict(earlier)
    citation = dict(answer["citations"][0]) | changes.pop("citation", {})
    answer["citations"] = [citation]
    turn = {"question": earlier["question"], "resolved_question": earlier["question"], "answer": answer} | changes
    return {"question": "And what about that?", "conversation": {"turns": [turn]}}


@pytest.mark.parametrize(("changes", "where"), [
    ({"resolved_question": "standstill " * 100_000}, "conversation.turns[0].resolved_question"),
    ({"question": "x" * (MAX_TEXT_CHARS + 1)}, "conversation.turns[0].question"),
    ({"citation": {"text": "y" * (MAX_TEXT_CHARS + 1)}}, "conversation.turns[0].answer.citations[0].text"),
    ({"citation": {"quotes": ["z" * (MAX_TEXT_CHARS + 1)]}}, "conversation.turns[0].answer.citations[0].quotes[0]"),
])
def test_every_text_inside_a_conversation_is_bounded(server, earlier, changes, where):
    response = ask_api(server, forged(earlier, **changes))
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["field"] == "conversation"
    assert error["error"].startswith(f"{where}: ") and error["error"].endswith(f"characters; at most {MAX_TEXT_CHARS}")


def test_a_forged_follow_up_at_the_limit_gives_a_bounded_answer(server, earlier):
    response = ask_api(server, forged(earlier, resolved_question=("standstill period " * 3000)[:MAX_TEXT_CHARS]))
    assert response.status_code == 200, response.text
    # The answer repeats the resolved question (as read and as carried over); before, 2 MB in meant 4 MB out.
    assert len(response.content) < 2 * MAX_TEXT_CHARS + 200_000


def answers_audited(corpus: Settings) -> int:
    lines = (corpus.data_dir / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    return sum("event" not in json.loads(line) for line in lines)


def nested(depth: int) -> dict[str, Any]:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return {"question": "standstill", "conversation": {"turns": [], "extra": value}}


@pytest.mark.parametrize(("body", "field", "words"), [
    (b"[" * 100_000 + b"]" * 100_000, None, f"nested more than {MAX_JSON_DEPTH} deep"),
    (b'{"question": "standstill", "x": ' + b"{\"a\": " * 50_000 + b"1" + b"}" * 50_001, None, "nested more than"),
    (nested(MAX_JSON_DEPTH), "conversation", f"nested more than {MAX_JSON_DEPTH} deep"),
    ({"question": "What is the standstill period \ud800?"}, "question", "not valid Unicode (a lone surrogate"),
    ({"question": "standstill", "conversation": {"turns": [{"question": "\udfff"}]}}, "conversation",
     "conversation.turns[0].question: not valid Unicode"),
])
def test_deep_json_and_lone_surrogates_get_400_and_no_audit_line(server, corpus, body, field, words):
    before = answers_audited(corpus)
    response = ask_api(server, body)
    assert response.status_code == 400, response.text
    assert words in response.json()["error"] and response.json().get("field") == field
    assert answers_audited(corpus) == before


def test_a_lone_surrogate_in_the_chat_is_refused_with_a_message(page, clients):
    message = call(clients["pat"], page.triggered_by("cga-ask"), ["standstill \ud800", "auto", "", [], None],
                   new_session())
    assert message["success"] and "Question: not valid Unicode" in status_of(message)


# ---- row 5: sign-in ---------------------------------------------------------------------------------

def test_unknown_names_cost_one_scrypt_like_known_ones(users_file, monkeypatch):
    users = Users.load(users_file)
    users.authenticate("nobody", "x")  # the decoy hash is made once, on first use
    calls = []
    real = hashlib.scrypt
    monkeypatch.setattr(hashlib, "scrypt", lambda *a, **k: calls.append(1) or real(*a, **k))
    for name in ("ann", "nobody", "pat", "somebody-else"):
        calls.clear()
        assert users.authenticate(name, "wrong") is None
        assert len(calls) == 1, name
    monkeypatch.undo()

    def timed(name: str) -> float:
        started = time.perf_counter()
        users.authenticate(name, "wrong")
        return time.perf_counter() - started

    known, unknown = zip(*[(timed("ann"), timed(f"nobody-{i}")) for i in range(9)], strict=True)
    assert 0.67 < statistics.median(unknown) / statistics.median(known) < 1.5


def audit_events(corpus: Settings, address: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in (corpus.data_dir / "audit.jsonl").read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if "event" in line and line["address"] == address]


@pytest.mark.parametrize(("name", "subnet"), [("sam", "127.0.11"), ("nobody-at-all", "127.0.12")])
def test_sign_in_backs_off_per_name_known_or_not(server, corpus, name, subnet):
    # Each guess from an address of its own, so only the name's count can stop them.
    guesses = [f"{subnet}.{i}" for i in range(1, FAILURES_ALLOWED + 1)]
    for address in guesses:
        assert sign_in(server, name, "wrong", address).status_code == 400
    # The right password (for sam) from a fresh address: the name must wait, in the chat and the API alike.
    waiting = sign_in(server, name, f"{name} password", f"{subnet}.100")
    assert waiting.status_code == 429 and "try again in" in waiting.json()["detail"]
    assert 1 <= int(waiting.headers["retry-after"]) <= BACKOFF_SECONDS
    with client_from(f"{subnet}.101", server) as api:
        refused = api.get("/api/documents", auth=(name, f"{name} password"))
    assert refused.status_code == 429 and refused.headers["retry-after"]
    events = [event for address in guesses for event in audit_events(corpus, address)]
    assert [(e["event"], e["user"], e["via"], e["failures"]) for e in events] == [
        ("sign-in failed", name, "ui", n) for n in range(1, FAILURES_ALLOWED)] + [
        ("sign-in backoff", name, "ui", FAILURES_ALLOWED)]
    assert events[-1]["retry_after"] == BACKOFF_SECONDS
    time.sleep(BACKOFF_SECONDS + 0.5)
    assert sign_in(server, name, f"{name} password", f"{subnet}.102").status_code == (200 if name == "sam" else 400)


def test_sign_in_backs_off_per_address(server, corpus):
    address = "127.0.20.1"
    for i in range(FAILURES_ALLOWED):
        with client_from(address, server) as api:
            assert api.get("/api/documents", auth=(f"guess-{i}", "wrong")).status_code == 401
    assert sign_in(server, "pat", "pat password", address).status_code == 429
    assert sign_in(server, "pat", "pat password", "127.0.20.2").status_code == 200
    events = audit_events(corpus, address)
    assert [(e["event"], e["via"]) for e in events] == [("sign-in failed", "api")] * (FAILURES_ALLOWED - 1) + [
        ("sign-in backoff", "api")]


def test_a_flood_of_bad_sign_ins_leaves_the_server_responsive(server):
    def health_seconds() -> float:
        started = time.perf_counter()
        assert httpx.get(f"{server}/api/health", timeout=30).status_code == 200
        return time.perf_counter() - started

    quiet = statistics.median(health_seconds() for _ in range(10))

    def guess(i: int) -> int:  # one guess per address: no backoff to help, every one costs a scrypt
        return sign_in(server, f"flood-{i}", "wrong", f"127.0.30.{i % 250 + 1}").status_code

    with ThreadPoolExecutor(16) as pool:
        guesses = [pool.submit(guess, i) for i in range(64)]
        during = statistics.median(health_seconds() for _ in range(10))
        assert {g.result() for g in guesses} == {400}
    assert during < quiet + 0.25, (quiet, during)

    # From one address, backoff turns the rest of a flood away without checking a password.
    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda i: sign_in(server, f"flood-{i}", "wrong", "127.0.31.1").status_code,
                              range(60)))
    assert codes.count(400) <= FAILURES_ALLOWED + 8 and codes.count(429) >= 60 - FAILURES_ALLOWED - 8


# ---- rows 6 and 8: index switches -------------------------------------------------------------------

@pytest.fixture(scope="module")
def own_corpus(tmp_path_factory) -> Settings:
    """A corpus of its own, rebuilt by these tests while the server's stays put."""
    settings = write_corpus(tmp_path_factory.mktemp("switches"))
    build_index(settings)
    return settings


@dataclass(frozen=True)
class Held:
    files: int
    deleted_in_data: int  # open files whose version folder was pruned
    threads: int
    rss_mb: float


def held(data_dir: Path) -> Held:
    targets = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            targets.append(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            pass  # the fd listing itself, closed meanwhile
    status = Path("/proc/self/status").read_text()
    rss_kb = int(re.search(r"VmRSS:\s+(\d+)", status)[1])
    return Held(len(targets), sum(t.startswith(str(data_dir)) and t.endswith("(deleted)") for t in targets),
                len(os.listdir("/proc/self/task")), rss_kb / 1024)


def test_index_switches_release_files_threads_and_memory(own_corpus):
    library = Library(own_corpus)

    def switch() -> None:
        build_index(own_corpus, force=True)
        assert library.refresh()
        assert not library.ask(EQUALITY).refused  # a dense search on the new version's Chroma store

    for _ in range(5):
        switch()
    gc.collect()
    before = held(own_corpus.data_dir)
    for _ in range(15):
        switch()
    gc.collect()
    after = held(own_corpus.data_dir)
    # Before the fix each switch kept about 11 files, 6 threads and 5 MB for good.
    assert after.deleted_in_data == 0, after
    assert after.files - before.files <= 5, (before, after)
    assert after.threads - before.threads <= 3, (before, after)
    assert after.rss_mb - before.rss_mb <= 40, (before, after)


def faithful_prose(prompt: Prompt) -> str:
    n = prompt.number("EA 2010 s.149(1)")
    return (f"A public authority must, in the exercise of its functions, have due regard to the need to eliminate "
            f"discrimination, harassment and victimisation [{n}].")


def test_an_answer_given_during_a_switch_is_audited_with_the_version_it_used(own_corpus):
    with ScriptedServer("openai") as model:
        library = Library(dataclasses.replace(own_corpus, llm="openai", llm_model="scripted",
                                              llm_base_url=model.url, llm_timeout=300))
        used = library.index.version

        def switch_then_answer(prompt: Prompt) -> Reply:
            build_index(own_corpus, force=True)  # a new version goes live while the model writes
            return Reply(faithful_prose(prompt))

        model.script = switch_then_answer
        answer = library.ask(EQUALITY, asker=Asker("ann", "admin", "api"))
    assert library.index.version != used
    assert library.audit.read()[-1].index_version == used
    # Row 12: a model answer shows no empty "How the advice was reached (1 steps) 1. write_prose" block.
    assert not answer.refused and [t["step"] for t in answer.trace] == ["write_prose"]
    assert "How this was decided" not in answer_html(answer, 1, latest=True)
    assert "Steps:" not in answer_as_text(answer) and "write_prose" not in answer_as_text(answer)


# ---- row 9: credentials in URLs ---------------------------------------------------------------------

def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("protocol", ["ollama", "openai"])
def test_url_credentials_never_reach_a_log_or_an_error(protocol, caplog):
    with ScriptedServer(protocol) as model:
        model.script = lambda prompt: Reply(status=500)
        with_credentials = model.url.replace("http://", "http://cga:s3cret-pw@")
        settings = dataclasses.replace(Settings.from_env({}), llm=protocol, llm_model="scripted",
                                       llm_base_url=with_credentials, llm_timeout=60)
        with caplog.at_level("WARNING"), pytest.raises(LLMError) as failed:
            "".join(stream_reply(settings, build_messages(EQUALITY, [])))
    assert caplog.records and model.url in caplog.text
    assert "s3cret-pw" not in caplog.text and "s3cret-pw" not in failed.value.reason

    port = closed_port()
    down = dataclasses.replace(settings, llm_base_url=f"http://cga:s3cret-pw@127.0.0.1:{port}/v1")
    with caplog.at_level("WARNING"), pytest.raises(LLMError) as failed:
        "".join(stream_reply(down, build_messages(EQUALITY, [])))
    assert failed.value.reason == f"could not be reached at http://127.0.0.1:{port}/v1"
    assert "s3cret-pw" not in caplog.text


def test_chroma_url_credentials_never_reach_an_error():
    with pytest.raises(ChromaUnreachable) as unreachable:
        chroma_client(Settings.from_env({"CGA_CHROMA_URL": f"http://cga:s3cret-pw@127.0.0.1:{closed_port()}"}))
    with pytest.raises(ValueError) as malformed:
        Settings.from_env({"CGA_CHROMA_URL": "http://cga:s3cret-pw@chroma.internal"})
    for error in (unreachable.value, malformed.value):
        assert "s3cret-pw" not in str(error) and "cga:" not in str(error)


# ---- row 10: upload quota and private files ---------------------------------------------------------

def test_non_admin_uploads_have_a_quota(clients):
    half = b"x" * (QUOTA_MB * 1024 * 1024 * 6 // 10)
    upload(clients["sam"], "first.txt", half)
    refused = clients["sam"].post("/gradio_api/upload", files={"files": ("second.txt", half + b"y", "text/plain")})
    assert refused.status_code == 413 and f"over {QUOTA_MB} MB" in refused.json()["detail"]
    upload(clients["ann"], "large.txt", half * 2)  # an administrator adds documents: no quota


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_uploads_exports_and_data_files_are_private(page, clients, corpus):
    ask, export = page.triggered_by("cga-ask"), page.triggered_by("cga-export")
    session = new_session()
    call(clients["sam"], ask, [EQUALITY, "auto", "", [], None], session)
    exported = Path(call(clients["sam"], export, [None], session)["output"]["data"][0]["value"]["path"])
    uploaded = Path(upload(clients["sam"], "mine.txt", b"Section 149 of the Equality Act 2010.\n"))
    for path in (exported, uploaded):  # Gradio's copies, as served to the page
        assert (mode(path), mode(path.parent)) == (0o600, 0o700), path
    for name in ("audit.jsonl", "feedback.sqlite"):
        assert mode(corpus.data_dir / name) == 0o600, name


def test_ingest_writes_private_files_under_a_permissive_umask(own_corpus):
    done = subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", "--force", "--quiet"],
                          env=env_for(own_corpus),
                          cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600, umask=0)
    assert done.returncode == 0, done.stderr
    version = IndexLocation(own_corpus.data_dir).current()
    assert mode(version) == 0o700
    for name in ("passages.jsonl", "documents.json", "chroma/chroma.sqlite3"):
        assert mode(version / name) == 0o600, name


# ---- row 11: a killed build's leftovers -------------------------------------------------------------

def test_an_ingest_with_nothing_to_do_still_removes_a_killed_builds_version(template, tmp_path):
    settings = test_crash_safe.copy_of(template, tmp_path)
    manifest = settings.sources.read_text()
    driver = test_crash_safe.start_driver(settings, "written", tmp_path / "driver.log")
    test_crash_safe.wait_for(driver, "written", tmp_path / "driver.log")
    test_crash_safe.kill(driver)
    versions = IndexLocation(settings.data_dir).versions
    assert any(not (v / "complete").exists() for v in versions.iterdir())
    # Back to the documents already indexed: the next ingest has nothing to build.
    settings.sources.write_text(manifest.split('[[document]]\nid = "kpi-notes"')[0])
    done = run_cga("ingest", env=env_for(settings, CGA_SIGNPOSTS=str(tmp_path / "none")))  # built without them
    assert done.returncode == 0 and "index up to date" in done.stdout, done.stdout + done.stderr
    assert all((v / "complete").exists() for v in versions.iterdir())


# ---- row 12: what is said without sign-in, and to whom ----------------------------------------------

def test_health_gives_counts_only_with_sign_in(server, corpus):
    library = Library(corpus)
    assert httpx.get(f"{server}/api/health").json() == {"status": "ok", "index_version": library.index.version}
    for role, name in NAMES.items():
        access = ACCESS_BY_ROLE[role]
        stats = library.stats(access)
        health = httpx.get(f"{server}/api/health", auth=(name, f"{name} password")).json()
        assert health == {"status": "ok", "index_version": library.index.version, "passages": stats["passages"],
                          "documents": sum(d["access"] in access for d in stats["documents"])}
    with client_from("127.0.40.1", server) as wrong:
        assert wrong.get("/api/health", auth=("pat", "wrong")).status_code == 401


def test_the_index_tab_and_api_schema_say_nothing_above_the_role(page, clients, server):
    shown = call(clients["pat"], page.triggered_by("cga-index-refresh"), [], new_session())["output"]["data"][0]
    assert "above your access level" not in shown and "not listed" not in shown
    assert "MOPAC CR" not in shown and "MOPAC PH" not in shown and "PCD 9999" in shown
    for path in ("/openapi.json", "/docs", "/gradio_api/openapi.json"):
        assert httpx.get(f"{server}{path}").status_code in (401, 404), path


def test_feedback_csv_neutralises_formulas_behind_invisible_or_full_width_characters(tmp_path):
    answer = Answer(question="q", resolved_question="q", regime={}, text="t", statements=[], citations=[],
                    refused=True)
    hostile = ["=1+1", "\u200b=HYPERLINK(\"http://x\")", "\ufeff+1", "\u2060@A1", "\uff1dSUM(A1)", "\uff0b1",
               "\uff0d1", "\uff20A1", "\ufe66x", "-1"]
    store = FeedbackStore(tmp_path / "feedback.sqlite")
    for comment in [*hostile, "Helpful = yes", "fine"]:
        store.add(Feedback.on(answer, True, comment))
    rows = list(csv.DictReader(io.StringIO(store.to_csv())))
    assert [r["comment"] for r in rows] == ["'" + c for c in hostile] + ["Helpful = yes", "fine"]


# ---- the page itself, through the new checks --------------------------------------------------------

@pytest.mark.browser
def test_a_signed_in_user_checks_and_exports_a_paper_they_upload(browser, server, tmp_path):
    paper = tmp_path / "draft.txt"
    paper.write_text("PCD 9998 Draft\n\n1.1 Section 149 of the Equality Act 2010 applies to this decision.\n",
                     encoding="utf-8")
    with opened(browser, server, ready="input[type=password]", expected=("status of 401",)) as tab:
        tab.locator("input[type=text]").first.fill("sam")
        tab.locator("input[type=password]").fill("sam password")
        tab.keyboard.press("Enter")
        tab.wait_for_selector("#cga-question textarea")
        tab.get_by_role("tab", name="Check a paper").click()
        tab.set_input_files("#cga-check-upload input[type=file]", str(paper))
        tab.locator("#cga-check-upload").get_by_text("draft.txt").wait_for()
        tab.click("#cga-check-file")
        tab.wait_for_selector("#cga-check-status .cga-status", timeout=60_000)
        assert "draft.txt: 1 references" in tab.inner_text("#cga-check-status")
        tab.click("#cga-check-export")
        link = tab.locator("#cga-check-export-file a").first
        link.wait_for(timeout=30_000)
        with tab.expect_download() as download:
            link.click()
        assert "Section 149" in Path(download.value.path()).read_text(encoding="utf-8")
