"""What the mounted Gradio app does not check for itself: whose session and whose files a request names.

Gradio takes a session hash from the request (to queue an event, stream its results, send heartbeats,
make a deep link) and trusts it, so anyone who learns a hash (it appears in URLs) could read that
session's state. And a file input accepts any file in Gradio's upload folder, which holds every
user's uploads. `GradioGuard`, an ASGI middleware in front of the mounted app, binds each session
hash to the first signed-in user who uses it and refuses it to anyone else, and records the files
each user uploads, refusing a non-administrator's upload that would go over their quota; the file
inputs' handlers then accept only the user's own uploads (`Uploads.owned`).
"""

from __future__ import annotations

import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from contextvars import ContextVar
from pathlib import Path
from urllib.parse import parse_qs

from starlette.requests import HTTPConnection
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

GRADIO_API = "/gradio_api/"
UPLOAD_ROUTE = GRADIO_API + "upload"
# The queue's JSON bodies carry a question or a comment and a few settings; anything much larger is not ours.
MAX_JSON_BODY = 1024 * 1024
# Who is asking, for Gradio's sign-in callable, which is given only the name and the password.
CLIENT_ADDRESS: ContextVar[str] = ContextVar("client_address", default="")


class NotYourUpload(Exception):
    """A file input named a file this user did not upload."""


class Uploads:
    """The files each user uploaded through Gradio's upload route that are still on disk (Gradio
    deletes them an hour or two after they arrive: `delete_cache` in assistant/web/app.py)."""

    def __init__(self) -> None:
        self._by_user: dict[str, set[str]] = {}
        self._lock = threading.Lock()

    def record(self, user: str, paths: list[str]) -> None:
        with self._lock:
            self._by_user.setdefault(user, set()).update(os.path.realpath(p) for p in paths)

    def held_bytes(self, user: str) -> int:
        """What the user's uploads take on the server now; files already deleted are forgotten."""
        with self._lock:
            sizes = {p: size for p in self._by_user.get(user, ()) if (size := _size(p)) is not None}
            self._by_user[user] = set(sizes)
            return sum(sizes.values())

    def owned(self, user: str, file: str) -> Path:
        """The path of a file this user uploaded; NotYourUpload for any other file on the server."""
        path = os.path.realpath(file)
        with self._lock:
            if path in self._by_user.get(user, set()):
                return Path(path)
        raise NotYourUpload(f"{Path(file).name}: not a file you uploaded; upload it again")


def _size(path: str) -> int | None:
    try:
        return os.stat(path).st_size
    except OSError:
        return None


class SessionOwners:
    """Which signed-in user each Gradio session hash belongs to: the first who used it.

    Kept for the most recently used `capacity` sessions. Gradio forgets a session's state beyond its
    own capacity, so with `capacity` above that a binding outlives the state it protects.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._owners: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, session: str, user: str) -> bool:
        """True when the session is this user's (now or from before), False when it is another user's."""
        with self._lock:
            owner = self._owners.setdefault(session, user)
            self._owners.move_to_end(session)
            if len(self._owners) > self.capacity:
                self._owners.popitem(last=False)
            return owner == user


class GradioGuard:
    """ASGI middleware for the app with Gradio mounted at "/".

    `user_of`: the signed-in user making a request (None before sign-in: Gradio refuses those itself).
    `sessions`: None when there is no sign-in (one local user owns every session).
    `quota_of`: the bytes a user's uploads may hold at once, None for no limit.
    """

    def __init__(self, app: ASGIApp, *, user_of: Callable[[HTTPConnection], str | None],
                 sessions: SessionOwners | None, uploads: Uploads, quota_of: Callable[[str], int | None]) -> None:
        self.app = app
        self.user_of = user_of
        self.sessions = sessions
        self.uploads = uploads
        self.quota_of = quota_of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        CLIENT_ADDRESS.set(client[0] if client else "")
        if not scope["path"].startswith(GRADIO_API):
            await self.app(scope, receive, send)
            return
        user = self.user_of(HTTPConnection(scope))
        if scope["path"] == UPLOAD_ROUTE and scope["method"] == "POST" and user is not None:
            await self._upload(user, scope, receive, send)
        elif self.sessions is None:
            await self.app(scope, receive, send)
        else:
            await self._in_own_session(user, scope, receive, send)

    async def _upload(self, user: str, scope: Scope, receive: Receive, send: Send) -> None:
        quota = self.quota_of(user)
        if quota is not None:
            refusal = self._over_quota(user, HTTPConnection(scope).headers.get("content-length", ""), quota)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        # The response is read below, so it must not come back compressed.
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        status, body = 0, bytearray()

        async def keep(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                body.extend(message.get("body", b""))
            await send(message)

        await self.app({**scope, "headers": headers}, receive, keep)
        if status == 200:
            self.uploads.record(user, [p for p in json.loads(bytes(body)) if isinstance(p, str)])

    def _over_quota(self, user: str, declared: str, quota: int) -> JSONResponse | None:
        if not declared.isdigit():
            return JSONResponse({"detail": "an upload must say its size (Content-Length)"}, status_code=411)
        held = self.uploads.held_bytes(user)
        if held + int(declared) <= quota:
            return None
        return JSONResponse({"detail": f"this upload ({int(declared) / 1048576:.1f} MB) would take your uploads on "
                                       f"the server over {quota / 1048576:.0f} MB (you hold {held / 1048576:.1f} MB); "
                                       "uploads are deleted an hour or two after they arrive"}, status_code=413)

    async def _in_own_session(self, user: str | None, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on if the session it names (if any) is this user's. Some of Gradio's routes that
        name a session (heartbeats, cancelling) do not ask for sign-in: here they do."""
        reads_body = scope["method"] == "POST" and scope["path"] != UPLOAD_ROUTE
        body: bytes | None = b""
        if reads_body:
            body = await _read_body(receive)
            if body is None:
                await JSONResponse({"detail": "the request body is too large"}, status_code=413)(scope, receive, send)
                return
        session = _session_named(scope, body)
        refusal = None
        if session and user is None:
            refusal = JSONResponse({"detail": "Not authenticated"}, status_code=401)
        elif session and not self.sessions.claim(session, user):
            refusal = JSONResponse({"detail": "this session belongs to another user; reload the page to start "
                                              "your own"}, status_code=403)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if not reads_body:
            await self.app(scope, receive, send)
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()  # after the body, only a disconnect can come
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body, or None when it is over MAX_JSON_BODY."""
    chunks, size = [], 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_JSON_BODY:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _session_named(scope: Scope, body: bytes) -> str:
    """The session hash a Gradio request names: in its path (heartbeats, media streams), its query (the
    event stream, deep links) or its JSON body (queue, cancel, predict)."""
    parts = scope["path"][len(GRADIO_API):].split("/")
    if parts[0] in ("heartbeat", "stream") and len(parts) >= 2 and scope["method"] == "GET":
        return parts[1]
    query = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("session_hash")
    if query:
        return query[0]
    try:
        data = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        return ""
    session = data.get("session_hash") if isinstance(data, dict) else None
    return session if isinstance(session, str) else ""
