"""Scripted language-model servers on loopback: real HTTP, real protocols, replies chosen by the test.

`ScriptedServer("openai")` speaks OpenAI chat completions (POST /v1/chat/completions, streamed as
server-sent events); `ScriptedServer("ollama")` speaks Ollama's POST /api/chat (streamed as JSON
lines). Each request is read into a `Prompt` (the question and the numbered passages the assistant
sent) and handed to `server.script`, which returns the `Reply` to send: text to stream, an HTTP
error, a raw body, a delay before answering or a pause between pieces.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PASSAGE = re.compile(r'<passage n="(\d+)" label="([^"]*)" version_date="([^"]*)">\n(.*?)\n</passage>', re.S)
_QUESTION = re.compile(r"^Question: (.*)$", re.M)
PATHS = {"openai": "/v1/chat/completions", "ollama": "/api/chat"}


@dataclass
class Prompt:
    """What the assistant asked: the request as sent, its headers, and the passages it numbered."""

    body: dict[str, Any]
    headers: dict[str, str]
    system: str
    user: str
    question: str
    passages: dict[int, tuple[str, str]] = field(default_factory=dict)  # n -> (label, text)

    def number(self, label: str) -> int:
        """The number the assistant gave the passage with this label."""
        for n, (passage_label, _text) in self.passages.items():
            if passage_label == label:
                return n
        raise LookupError(f"no passage labelled {label!r} in the prompt; got {[v[0] for v in self.passages.values()]}")


@dataclass
class Reply:
    text: str = ""
    status: int = 200
    raw: str | None = None  # sent as the body instead of a well-formed stream
    delay: float = 0.0  # seconds before the response starts
    pause: float = 0.0  # seconds between streamed pieces
    piece_chars: int = 12


Script = Callable[[Prompt], Reply]


def read_prompt(body: dict[str, Any], headers: dict[str, str]) -> Prompt:
    messages = body.get("messages", [])
    system = "\n".join(m["content"] for m in messages if m.get("role") == "system")
    user = "\n".join(m["content"] for m in messages if m.get("role") == "user")
    question = _QUESTION.search(user)
    passages = {int(m[1]): (m[2], m[4]) for m in _PASSAGE.finditer(user)}
    return Prompt(body, headers, system, user, question[1] if question else "", passages)


class ScriptedServer:
    def __init__(self, protocol: str) -> None:
        if protocol not in PATHS:
            raise ValueError(f"protocol {protocol!r}: expected one of {sorted(PATHS)}")
        self.protocol = protocol
        self.script: Script = lambda prompt: Reply("")
        self.prompts: list[Prompt] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The base URL a client is configured with (CGA_LLM_BASE_URL)."""
        root = f"http://127.0.0.1:{self._server.server_address[1]}"
        return f"{root}/v1" if self.protocol == "openai" else root

    def __enter__(self) -> ScriptedServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    # ---- the two wire formats ---------------------------------------------------------------

    def error_body(self, status: int) -> str:
        if self.protocol == "openai":
            return json.dumps({"error": {"message": f"scripted error {status}", "type": "server_error",
                                         "code": status}})
        return json.dumps({"error": f"scripted error {status}"})

    def content_type(self) -> str:
        return "text/event-stream" if self.protocol == "openai" else "application/x-ndjson"

    def frames(self, pieces: list[str]) -> list[str]:
        if self.protocol == "openai":
            def chunk(delta: dict[str, str], finish: str | None) -> str:
                data = {"id": "chatcmpl-scripted", "object": "chat.completion.chunk", "created": int(time.time()),
                        "model": "scripted", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
                return f"data: {json.dumps(data)}\n\n"

            return ([chunk({"role": "assistant", "content": ""}, None)]
                    + [chunk({"content": p}, None) for p in pieces]
                    + [chunk({}, "stop"), "data: [DONE]\n\n"])

        def line(content: str, done: bool) -> str:
            data: dict[str, Any] = {"model": "scripted", "created_at": "2026-01-01T00:00:00Z",
                                    "message": {"role": "assistant", "content": content}, "done": done}
            if done:
                data["done_reason"] = "stop"
            return json.dumps(data) + "\n"

        return [line(p, False) for p in pieces] + [line("", True)]


def _handler(server: ScriptedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            if self.path != PATHS[server.protocol]:
                self._send(404, "application/json", json.dumps({"error": f"no route {self.path}"}))
                return
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if not body.get("stream"):
                self._send(400, "application/json", json.dumps({"error": "this scripted server only streams"}))
                return
            prompt = read_prompt(body, {k.lower(): v for k, v in self.headers.items()})
            server.prompts.append(prompt)
            reply = server.script(prompt)
            time.sleep(reply.delay)
            try:
                if reply.status != 200:
                    self._send(reply.status, "application/json",
                               reply.raw if reply.raw is not None else server.error_body(reply.status))
                elif reply.raw is not None:
                    self._send(200, server.content_type(), reply.raw)
                else:
                    pieces = [reply.text[i:i + reply.piece_chars] for i in range(0, len(reply.text), reply.piece_chars)]
                    self.send_response(200)
                    self.send_header("Content-Type", server.content_type())
                    self.end_headers()
                    for frame in server.frames(pieces):
                        self.wfile.write(frame.encode())
                        self.wfile.flush()
                        time.sleep(reply.pause)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test): nothing left to send

        def _send(self, status: int, content_type: str, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    return Handler
