"""The JSON HTTP API, served beside the chat UI: POST /api/ask, GET /api/health, GET /api/documents.

Requests are checked field by field and every refusal says which field and why. When a users
file is configured, every route but /api/health needs HTTP Basic auth with the same users as the
UI, and the user's role decides which documents are searched and listed.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from assistant.audit import LOCAL_USER, Asker
from assistant.chat import Conversation
from assistant.users import ACCESS_BY_ROLE, User, Users
from ingest.document import KINDS

MAX_QUESTION_CHARS = 2000
MAX_BODY_BYTES = 2 * 1024 * 1024  # a conversation of several answers with their passages fits easily
REGIMES = ("auto", "PA 2023", "PCR 2015")
ASK_FIELDS = ("question", "as_at", "regime", "kinds", "conversation")


class BadRequest(Exception):
    def __init__(self, message: str, field: str = "", status: int = 422) -> None:
        super().__init__(message)
        self.message, self.field, self.status = message, field, status

    def response(self) -> JSONResponse:
        body = {"error": self.message} | ({"field": self.field} if self.field else {})
        return JSONResponse(body, status_code=self.status)


@dataclass
class AskRequest:
    question: str
    as_at: str | None = None
    regime: str = "auto"
    kinds: tuple[str, ...] = ()
    conversation: Conversation | None = None


def check_question(value: Any) -> str:
    if not isinstance(value, str):
        raise BadRequest(f"question: expected a string, got {type(value).__name__}", "question")
    question = value.strip()
    if not question:
        raise BadRequest("question: is empty", "question")
    if len(question) > MAX_QUESTION_CHARS:
        raise BadRequest(f"question: {len(question)} characters; at most {MAX_QUESTION_CHARS}", "question")
    return question


def check_as_at(value: Any) -> str | None:
    """The procurement start date as YYYY-MM-DD, or None when not given."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise BadRequest(f"as_at: expected a date string YYYY-MM-DD, got {type(value).__name__}", "as_at")
    try:
        return date.fromisoformat(value.strip()).isoformat()
    except ValueError:
        raise BadRequest(f"as_at: {value!r} is not a date; expected YYYY-MM-DD, e.g. 2025-03-01", "as_at") from None


def check_regime(value: Any) -> str:
    if value is None:
        return "auto"
    if value not in REGIMES:
        raise BadRequest(f"regime: {value!r}; expected one of {', '.join(REGIMES)}", "regime")
    return value


def check_kinds(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(k, str) for k in value):
        raise BadRequest("kinds: expected a list of document kinds", "kinds")
    unknown = [k for k in value if k not in KINDS]
    if unknown:
        raise BadRequest(f"kinds: unknown kind(s) {', '.join(map(repr, unknown))}; expected {', '.join(KINDS)}",
                         "kinds")
    return tuple(value)


def check_conversation(value: Any) -> Conversation | None:
    if value is None:
        return None
    if not isinstance(value, dict) or not isinstance(value.get("turns"), list):
        raise BadRequest('conversation: expected {"turns": [{"question": ..., "answer": {...}}, ...]}',
                         "conversation")
    try:
        return Conversation.from_dict(value)
    except (KeyError, TypeError, AttributeError) as exc:
        raise BadRequest(f"conversation: a turn is not a question with its answer record ({exc})",
                         "conversation") from None


def parse_ask(body: bytes) -> AskRequest:
    try:
        data = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the request body is not valid JSON ({exc})", status=400) from None
    if not isinstance(data, dict):
        raise BadRequest(f"the request body must be a JSON object with a 'question', got {type(data).__name__}",
                         status=400)
    unknown = sorted(set(data) - set(ASK_FIELDS))
    if unknown:
        raise BadRequest(f"unknown field(s) {', '.join(unknown)}; expected {', '.join(ASK_FIELDS)}", unknown[0])
    if "question" not in data:
        raise BadRequest("question: is required", "question")
    return AskRequest(question=check_question(data["question"]), as_at=check_as_at(data.get("as_at")),
                      regime=check_regime(data.get("regime")), kinds=check_kinds(data.get("kinds")),
                      conversation=check_conversation(data.get("conversation")))


def basic_auth_user(users: Users, header: str | None) -> User:
    if not header or not header.lower().startswith("basic "):
        raise BadRequest("sign-in required: send HTTP Basic auth with a user from the users file", status=401)
    try:
        name, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise BadRequest("the Authorization header is not valid HTTP Basic auth", status=401) from None
    user = users.authenticate(name, password)
    if user is None:
        raise BadRequest("unknown user or wrong password", status=401)
    return user


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BadRequest(f"the request body is {int(declared)} bytes; at most {MAX_BODY_BYTES}", status=413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BadRequest(f"the request body is over {MAX_BODY_BYTES} bytes", status=413)
        chunks.append(chunk)
    return b"".join(chunks)


def api_router(library: Any, users: Users | None) -> APIRouter:
    router = APIRouter(prefix="/api")

    def asker_for(request: Request) -> Asker:
        if users is None:
            return Asker(LOCAL_USER, "admin", "api")
        user = basic_auth_user(users, request.headers.get("authorization"))
        return Asker(user.name, user.role, "api")

    def access_for(request: Request) -> tuple[str, ...]:
        return ACCESS_BY_ROLE[asker_for(request).role]

    def refused(exc: BadRequest) -> JSONResponse:
        response = exc.response()
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="cga", charset="UTF-8"'
        return response

    @router.post("/ask")
    async def ask(request: Request) -> JSONResponse:
        try:
            asker = await run_in_threadpool(asker_for, request)
            req = parse_ask(await _read_body(request))
        except BadRequest as exc:
            return refused(exc)
        answer = await run_in_threadpool(library.ask, req.question, conversation=req.conversation, as_at=req.as_at,
                                         regime=req.regime, kinds=req.kinds, access=ACCESS_BY_ROLE[asker.role],
                                         asker=asker)
        return JSONResponse(answer.to_dict())

    @router.get("/health")
    def health() -> dict[str, Any]:
        index = library.index
        return {"status": "ok", "index_version": index.version, "documents": len(index.documents),
                "passages": len(index.passages)}

    @router.get("/documents")
    def documents(request: Request) -> Any:
        try:
            access = access_for(request)
        except BadRequest as exc:
            return refused(exc)
        return {"documents": [d for d in library.stats(access)["documents"] if d["access"] in access]}

    return router
