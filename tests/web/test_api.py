"""The JSON API over real HTTP on a loopback port, with and without sign-in."""

from __future__ import annotations

import dataclasses
import json
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn

from assistant.accounts.users import add_user
from assistant.answering.records import Answer
from assistant.answering.verify import verify
from assistant.web.api import MAX_BODY_BYTES, MAX_QUESTION_CHARS
from assistant.web.app import build_app

STANDSTILL = "What is the mandatory standstill period under the Procurement Act 2023?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve_in_thread(app) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=15)


@pytest.fixture(scope="module")
def base(index_settings, library, tmp_path_factory) -> Iterator[str]:
    settings = dataclasses.replace(index_settings, data_dir=tmp_path_factory.mktemp("api-data"), users_file=None)
    yield from serve_in_thread(build_app(settings, library))


@pytest.fixture(scope="module")
def signed_in_base(index_settings, library, tmp_path_factory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("api-users")
    users = folder / "users.toml"
    add_user(users, "ann", "admin", "correct horse")
    add_user(users, "pat", "public", "battery staple")
    settings = dataclasses.replace(index_settings, data_dir=folder, users_file=users)
    yield from serve_in_thread(build_app(settings, library))


def ask(base: str, body, **kwargs) -> httpx.Response:
    content = body if isinstance(body, (bytes, str)) else json.dumps(body)
    return httpx.post(f"{base}/api/ask", content=content, headers={"content-type": "application/json"},
                      timeout=120, **kwargs)


def test_health_and_documents(base, library):
    health = httpx.get(f"{base}/api/health").json()
    assert health == {"status": "ok", "index_version": library.index.version,
                      "documents": len(library.index.documents), "passages": len(library.index.passages)}
    docs = httpx.get(f"{base}/api/documents").json()["documents"]
    assert {d["short"] for d in docs} >= {"PA 2023", "PCR 2015", "PCD 1429"}
    assert all({"doc_id", "kind", "version_date", "passages"} <= set(d) for d in docs)


def test_ask_returns_a_verified_answer_record(base):
    response = ask(base, {"question": STANDSTILL})
    assert response.status_code == 200, response.text
    answer = Answer.from_dict(response.json())
    verify(answer)
    assert not answer.refused and answer.question == STANDSTILL
    assert "[1]" in answer.text and answer.statements[0].quote in answer.text
    assert any(c.citation.startswith("PA 2023 s.51") for c in answer.citations)
    assert answer.regime["name"] == "PA 2023"


def test_ask_with_options_and_a_conversation(base):
    first = ask(base, {"question": "What is the standstill period?", "as_at": "2024-06-01", "regime": "auto",
                       "kinds": ["legislation"]}).json()
    assert first["regime"]["name"] == "PCR 2015" and first["regime"]["as_at"] == "2024-06-01"
    assert {c["kind"] for c in first["citations"]} == {"legislation"}
    conversation = {"turns": [{"question": first["question"], "answer": first}]}
    follow_up = ask(base, {"question": "And under the Procurement Act 2023?", "conversation": conversation})
    assert follow_up.status_code == 200, follow_up.text
    assert follow_up.json()["carried_over"] and follow_up.json()["regime"]["name"] == "PA 2023"


def test_out_of_scope_question_is_refused(base):
    answer = ask(base, {"question": "What is the capital of France?"}).json()
    assert answer["refused"] and answer["citations"] == [] and answer["related"]


@pytest.mark.parametrize(("body", "status", "field", "words"), [
    (b"{not json", 400, None, "not valid JSON"),
    (b"\xff\xfe", 400, None, "not valid JSON"),
    (b'["a list"]', 400, None, "JSON object"),
    ({}, 422, "question", "question: is required"),
    ({"as_at": "2024-01-01"}, 422, "question", "question: is required"),
    ({"question": ""}, 422, "question", "question: is empty"),
    ({"question": 42}, 422, "question", "expected a string"),
    ({"question": "x" * 100_000}, 422, "question", f"100000 characters; at most {MAX_QUESTION_CHARS}"),
    ({"question": "standstill", "foo": 1, "bar": 2}, 422, "bar", "unknown field(s) bar, foo"),
    ({"question": "standstill", "as_at": "1 March 2025"}, 422, "as_at", "YYYY-MM-DD"),
    ({"question": "standstill", "as_at": 20250301}, 422, "as_at", "expected a date string"),
    ({"question": "standstill", "regime": "EU"}, 422, "regime", "expected one of auto, PA 2023, PCR 2015"),
    ({"question": "standstill", "kinds": "legislation"}, 422, "kinds", "list of document kinds"),
    ({"question": "standstill", "kinds": ["statute"]}, 422, "kinds", "unknown kind(s) 'statute'"),
    ({"question": "standstill", "conversation": []}, 422, "conversation", "turns"),
    ({"question": "standstill", "conversation": {"turns": [{"question": "q"}]}}, 422, "conversation", "answer"),
])
def test_bad_requests_get_4xx_naming_the_field(base, body, status, field, words):
    response = ask(base, body)
    assert response.status_code == status, response.text
    error = response.json()
    assert words in error["error"]
    assert error.get("field") == field


def test_oversized_body_is_refused_before_it_is_parsed(base):
    response = ask(base, b'{"question": "' + b"x" * (MAX_BODY_BYTES + 10) + b'"}')
    assert response.status_code == 413 and "at most" in response.json()["error"]


def test_several_questions_at_once(base):
    questions = [STANDSTILL, "What does the public sector equality duty require?", "What does PA 2023 s.12 say?"]
    with ThreadPoolExecutor(len(questions)) as pool:
        responses = list(pool.map(lambda q: ask(base, {"question": q}), questions))
    assert [r.status_code for r in responses] == [200] * len(questions)
    assert [r.json()["question"] for r in responses] == questions


def test_api_requires_basic_auth_when_users_are_configured(signed_in_base):
    base = signed_in_base
    response = ask(base, {"question": STANDSTILL})
    assert response.status_code == 401 and response.headers["www-authenticate"].startswith("Basic")
    assert "sign-in required" in response.json()["error"]
    assert ask(base, {"question": STANDSTILL}, auth=("ann", "wrong")).status_code == 401
    assert ask(base, {"question": STANDSTILL}, auth=("nobody", "x")).status_code == 401
    bad_header = httpx.post(f"{base}/api/ask", content=b"{}", headers={"authorization": "Basic !!!"})
    assert bad_header.status_code == 401 and "not valid HTTP Basic" in bad_header.json()["error"]
    assert httpx.get(f"{base}/api/documents").status_code == 401

    response = ask(base, {"question": STANDSTILL}, auth=("pat", "battery staple"))
    assert response.status_code == 200 and not response.json()["refused"]
    docs = httpx.get(f"{base}/api/documents", auth=("pat", "battery staple")).json()["documents"]
    assert docs and {d["access"] for d in docs} == {"public"}
    # For monitoring; without sign-in it says nothing about documents.
    assert set(httpx.get(f"{base}/api/health").json()) == {"status", "index_version"}


def test_ui_requires_sign_in_when_users_are_configured(signed_in_base):
    with httpx.Client(base_url=signed_in_base) as client:
        assert client.get("/config").status_code == 401
        refused = client.post("/login", data={"username": "ann", "password": "wrong"})
        assert refused.status_code == 400
        assert client.post("/login", data={"username": "ann", "password": "correct horse"}).status_code == 200
        assert client.get("/config").status_code == 200


def test_ui_is_open_without_users(base):
    config = httpx.get(f"{base}/config")
    assert config.status_code == 200 and config.json()["title"] == "Commissioning guidance assistant"
