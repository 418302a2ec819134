"""The JSON HTTP API, served beside the chat UI: POST /api/ask, GET /api/health, GET /api/documents.

Requests are checked field by field and every refusal says which field and why; every text in a
request, down to the passages of an answer record sent back as conversation, is bounded in size,
nesting and Unicode before anything reads it. When a users file is configured, every route but
/api/health needs HTTP Basic auth with the same users (and the same backoff) as the UI, the user's
role decides which documents are searched and listed, and /api/health gives counts only to a
signed-in user.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from assistant.accounts.audit import LOCAL_USER, Asker
from assistant.accounts.signin import SignIn, SignInRefused
from assistant.accounts.users import ACCESS_BY_ROLE, User
from assistant.answering.records import Conversation
from ingest.document import KINDS

MAX_QUESTION_CHARS = 2000
MAX_BODY_BYTES = 2 * 1024 * 1024  # a conversation of several answers with their passages fits easily
# Every other text in a request (an earlier question as resolved, a cited passage in an answer record)
# is at most this: well above the passages ingest writes (a whole section stops at 20,000 characters),
# and little to read or to answer with.
MAX_TEXT_CHARS = 50_000
# An answer record sent back inside a conversation nests about ten deep.
MAX_JSON_DEPTH = 20
_SURROGATE = re.compile("[\ud800-\udfff]")
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
    check_unicode(value, "question")
    question = value.strip()
    if not question:
        raise BadRequest("question: is empty", "question")
    if len(question) > MAX_QUESTION_CHARS:
        raise BadRequest(f"question: {len(question)} characters; at most {MAX_QUESTION_CHARS}", "question")
    return question


def check_unicode(text: str, where: str) -> None:
    """A lone surrogate (JSON's "\\ud800") is not a character: nothing downstream can read or store it."""
    bad = _SURROGATE.search(text)
    if bad:
        raise BadRequest(f"{where}: not valid Unicode (a lone surrogate at character {bad.start() + 1})",
                         _field(where), status=400)


def check_texts(data: Any) -> None:
    """Every string and key in the request: valid Unicode, at most MAX_TEXT_CHARS (the question at most
    MAX_QUESTION_CHARS), nested at most MAX_JSON_DEPTH deep. Walked without recursion."""
    stack: list[tuple[Any, str, int]] = [(data, "", 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise BadRequest(f"{where}: nested more than {MAX_JSON_DEPTH} deep", _field(where), status=400)
        if isinstance(value, str):
            _check_text(value, where)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(key, f"{where} (a key)" if where else "a key")
                stack.append((item, f"{where}.{key}" if where else key, depth + 1))
        elif isinstance(value, list):
            stack.extend((item, f"{where}[{i}]", depth + 1) for i, item in enumerate(value))


def _check_text(text: str, where: str) -> None:
    check_unicode(text, where)
    limit = MAX_QUESTION_CHARS if where == "question" else MAX_TEXT_CHARS
    if len(text) > limit:
        raise BadRequest(f"{where}: {len(text)} characters; at most {limit}", _field(where))


def _field(where: str) -> str:
    """The top-level field a place in the request belongs to: "conversation.turns[0].question" → "conversation"."""
    return re.split(r"[.\[ ]", where, maxsplit=1)[0] if where and not where.startswith("a key") else ""


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
    except RecursionError:
        raise BadRequest(f"the request body is nested more than {MAX_JSON_DEPTH} deep", status=400) from None
    check_texts(data)
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


class TooManyFailures(BadRequest):
    def __init__(self, refused: SignInRefused) -> None:
        super().__init__(str(refused), status=429)
        self.retry_after = refused.retry_after


def basic_credentials(header: str | None) -> tuple[str, str]:
    """(name, password) from an HTTP Basic Authorization header."""
    if not header or not header.lower().startswith("basic "):
        raise BadRequest("sign-in required: send HTTP Basic auth with a user from the users file", status=401)
    try:
        name, _, password = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise BadRequest("the Authorization header is not valid HTTP Basic auth", status=401) from None
    return name, password


async def basic_auth_user(signin: SignIn, header: str | None, address: str) -> User:
    name, password = basic_credentials(header)
    try:
        user = await signin.check_async(name, password, address, "api")
    except SignInRefused as exc:
        raise TooManyFailures(exc) from None
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


def api_router(library: Any, signin: SignIn | None) -> APIRouter:
    """`signin`: None when there is no users file (everyone is the single local user)."""
    router = APIRouter(prefix="/api")

    async def asker_for(request: Request) -> Asker:
        if signin is None:
            return Asker(LOCAL_USER, "admin", "api")
        address = request.client.host if request.client else ""
        user = await basic_auth_user(signin, request.headers.get("authorization"), address)
        return Asker(user.name, user.role, "api")

    async def access_for(request: Request) -> tuple[str, ...]:
        return ACCESS_BY_ROLE[(await asker_for(request)).role]

    def refused(exc: BadRequest) -> JSONResponse:
        response = exc.response()
        if exc.status == 401:
            response.headers["WWW-Authenticate"] = 'Basic realm="cga", charset="UTF-8"'
        if isinstance(exc, TooManyFailures):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @router.post("/ask")
    async def ask(request: Request) -> JSONResponse:
        try:
            asker = await asker_for(request)
            req = parse_ask(await _read_body(request))
        except BadRequest as exc:
            return refused(exc)
        answer = await run_in_threadpool(library.ask, req.question, conversation=req.conversation, as_at=req.as_at,
                                         regime=req.regime, kinds=req.kinds, access=ACCESS_BY_ROLE[asker.role],
                                         asker=asker)
        return JSONResponse(answer.to_dict())

    @router.get("/health")
    async def health(request: Request) -> Any:
        """Status and index version for anyone (a load balancer's probe); the counts, at the user's own
        access, only with sign-in: they would say how much is restricted."""
        if signin is not None and "authorization" not in request.headers:
            return {"status": "ok", "index_version": (await run_in_threadpool(library.snapshot)).index.version}
        try:
            access = await access_for(request)
        except BadRequest as exc:
            return refused(exc)
        stats = await run_in_threadpool(library.stats, access)
        return {"status": "ok", "index_version": stats["version"],
                "documents": sum(d["access"] in access for d in stats["documents"]), "passages": stats["passages"]}

    @router.get("/documents")
    async def documents(request: Request) -> Any:
        try:
            access = await access_for(request)
        except BadRequest as exc:
            return refused(exc)
        stats = await run_in_threadpool(library.stats, access)
        return {"documents": [d for d in stats["documents"] if d["access"] in access]}

    return router
