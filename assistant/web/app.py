"""The chat a commissioner, a new member of staff and a lawyer all use, and the server that runs it.

`cga serve` runs one FastAPI app on one port: the JSON API under /api (assistant/web/api.py) and the
Gradio UI at /. Handlers are methods of `ChatApp`, plain functions of their inputs, so tests call
them directly; `build_blocks` only wires them to components. Nothing here reaches the network:
the theme uses system fonts and analytics are off. What the mounted Gradio app does not check for
itself (whose session, whose uploads) is checked in front of it by `assistant.web.guard`.
"""

from __future__ import annotations

import html
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr
from starlette.requests import HTTPConnection
from starlette.routing import Mount

from assistant.accounts.audit import LOCAL_USER, Asker
from assistant.accounts.feedback import Feedback, FeedbackStore, feedback_path
from assistant.accounts.signin import SignIn, SignInRefused
from assistant.accounts.uploads import UploadError, add_upload
from assistant.accounts.users import ACCESS_BY_ROLE, Users
from assistant.answering.records import Answer, Conversation
from assistant.config import Settings
from assistant.library import Library
from assistant.web.api import BadRequest, api_router, check_as_at, check_question
from assistant.web.checker_tab import build_checker_tab
from assistant.web.guard import (
    CLIENT_ADDRESS,
    GradioGuard,
    NotYourUpload,
    SessionOwners,
    Uploads,
)
from assistant.web.render import conversation_as_markdown, conversation_html
from ingest.document import ACCESS_LEVELS, KINDS
from ingest.parse import SUPPORTED

STATIC = Path(__file__).with_name("static")
REGIME_CHOICES = [("Decide from the question and date", "auto"), ("Procurement Act 2023", "PA 2023"),
                  ("Public Contracts Regulations 2015", "PCR 2015")]
# For commissioners (regime, route, standstill), new staff (who approves) and lawyers (a provision).
EXAMPLES = [
    "What is the mandatory standstill period under the Procurement Act 2023?",
    "We want to buy £500k of victim support services starting 1 June 2026: which route, and who approves?",
    "Which regime applies to a procurement started on 1 March 2025?",
    "Who approves requests to go out to tender for contracts of £500,000 or above?",
    "What does PCR 2015 reg.72 say about modifying a contract during its term?",
]
# System fonts only (a Google font would reach out). Secondary text one step darker than the
# theme's, so labels and hints keep WCAG AA contrast (slate-600 on white is 7.5:1).
THEME = gr.themes.Default(
    primary_hue="blue", neutral_hue="slate",
    font=["system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"],
    font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
).set(body_text_color_subdued="*neutral_600", body_text_color_subdued_dark="*neutral_300",
      block_title_text_color="*neutral_700", input_placeholder_color="*neutral_500")
ASK_CONCURRENCY = 4
# A long passage scrolls inside its box: bring the quoted words into view each time the transcript
# changes. A new exchange is scrolled into view (on a phone the question box and the examples fill the
# screen), with its question at the top so the short answer is the first thing read. Following an [n]
# marker opens its source and anything folding it away. Each answer's buttons: feedback goes to the
# server (trigger → ChatApp.answer_feedback); copy and export stay in the page, from the texts the
# answer carries; a suggested follow-up is asked as if typed.
TRANSCRIPT_JS = """
const turns = () => element.querySelectorAll('.cga-turn').length;
let seen = turns();
const show = () => element.querySelectorAll('.cga-passage').forEach((box) => {
  const mark = box.querySelector('mark');
  if (mark) box.scrollTop = Math.max(0, mark.offsetTop - 24);
});
const reveal = () => {
  const now = turns();
  const question = now > seen && element.querySelector('.cga-turn .cga-question');
  seen = now;
  if (!question) return;
  const lead = element.querySelector('.cga-turn .cga-verdict + p') || question;
  if (question.getBoundingClientRect().top < 0 || lead.getBoundingClientRect().bottom > window.innerHeight) {
    question.scrollIntoView({block: 'start'});
  }
};
const note = (turn, message) => { turn.querySelector('.cga-action-note').textContent = message; };
const copy = async (text) => {
  if (navigator.clipboard && window.isSecureContext) return navigator.clipboard.writeText(text);
  const box = document.createElement('textarea');  // plain http on another host: the older way
  box.value = text;
  document.body.appendChild(box);
  box.select();
  const done = document.execCommand('copy');
  box.remove();
  if (!done) throw new Error('copy refused');
};
const save = (text, name) => {
  const link = document.createElement('a');
  link.href = URL.createObjectURL(new Blob([text], {type: 'text/markdown'}));
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
};
const ask = (question) => {
  const box = document.querySelector('#cga-question textarea');
  box.value = question;
  box.dispatchEvent(new Event('input', {bubbles: true}));
  document.querySelector('#cga-ask').click();
};
element.addEventListener('click', async (event) => {
  const link = event.target.closest('a.cga-marker');
  const source = link && element.querySelector(link.getAttribute('href'));
  for (let fold = source; fold; fold = fold.parentElement.closest('details')) fold.open = true;
  const button = event.target.closest('button[data-action]');
  if (!button) return;
  const action = button.dataset.action;
  if (action === 'ask') return ask(button.dataset.question);
  const turn = button.closest('.cga-turn');
  if (action === 'helpful' || action === 'not-helpful') {
    note(turn, 'Saving…');
    const comment = turn.querySelector('.cga-comment textarea');
    return trigger('click', {action, turn: Number(button.dataset.turn), comment: comment ? comment.value : ''});
  }
  const text = turn.querySelector(`pre.cga-copy[data-kind="${action}"]`).textContent;
  if (action === 'export') {
    save(text, `answer-${button.dataset.turn}.md`);
    return note(turn, 'Saved as Markdown, with every cited passage.');
  }
  try {
    await copy(text);
    note(turn, action === 'copy' ? 'Answer copied.' : 'Answer copied with its sources.');
  } catch (error) {
    note(turn, 'Could not copy here: use Export instead.');
  }
});
watch('value', () => { show(); reveal(); });
show();
"""
# The server's word on an answer's feedback arrives here, hidden, and is moved under that answer.
NOTE_JS = """
watch('value', () => {
  const message = element.querySelector('[data-turn]');
  const turn = message && document.querySelector(`#cga-t${message.dataset.turn}`);
  if (!turn) return;
  turn.querySelector('.cga-action-note').textContent = message.textContent;
  const comment = turn.querySelector('.cga-comment textarea');
  if (comment && message.dataset.saved === 'yes') comment.value = '';
});
"""


@dataclass(frozen=True)
class Viewer:
    """Who is using the page: a signed-in user, or the single local user when sign-in is off."""

    name: str
    role: str
    signed_in: bool

    @property
    def access(self) -> tuple[str, ...]:
        return ACCESS_BY_ROLE[self.role]


def _status(message: str, kind: str = "error") -> str:
    return f'<p class="cga-status cga-status-{kind}" role="{"alert" if kind == "error" else "status"}">' \
           f"{html.escape(message)}</p>"


def _announcement(answer: Answer) -> str:
    """Tells a screen reader the answer has arrived, without re-reading the whole transcript."""
    if answer.refused:
        message = "No answer: the indexed documents do not answer this. Closest passages are listed."
    else:
        message = f"Answer ready, with {len(answer.citations)} source(s)."
    return f'<p class="sr-only" role="status">{html.escape(message)}</p>'


class ChatApp:
    def __init__(self, settings: Settings, library: Library, users: Users | None = None) -> None:
        self.settings = settings
        self.library = library
        self.users = users
        self.feedback = FeedbackStore(feedback_path(settings.data_dir))
        # Exports live as long as the server; Gradio serves its own copies (cleared by delete_cache).
        self._exports = tempfile.TemporaryDirectory(prefix="cga-exports-")
        self.uploads = Uploads()  # filled by the guard in front of Gradio's upload route

    def viewer(self, request: gr.Request | None) -> Viewer:
        if self.users is None:
            return Viewer(LOCAL_USER, "admin", signed_in=False)
        name = getattr(request, "username", None) if request is not None else None
        user = self.users.by_name.get(name or "")
        if user is None:
            # Gradio's login guards every route; only a request that went around it gets here.
            raise gr.Error("You are not signed in as a known user; sign in again.")
        return Viewer(user.name, user.role, signed_in=True)

    def received(self, file: str, request: gr.Request | None) -> Path:
        """The file a file input was given, if this user uploaded it: never any other file on the server."""
        return self.uploads.owned(self.viewer(request).name, file)

    def upload_quota(self, name: str) -> int | None:
        """What a user's uploads may hold on the server at once: administrators add documents, others only
        check papers."""
        if self.users is None:
            return None  # the single local user is an administrator
        user = self.users.by_name.get(name)
        return None if user is not None and user.role == "admin" else self.settings.upload_quota_bytes

    # Ask tab

    def ask(self, question: str, regime: str, as_at: str, kinds: list[str], conversation: Conversation,
            request: gr.Request | None = None) -> tuple[Any, ...]:
        """→ transcript, conversation, question box, status."""
        try:
            question = check_question(question)
            as_at_day = check_as_at(as_at)
        except BadRequest as exc:
            message = exc.message.replace("as_at:", "Procurement start date:").replace("question:", "Question:")
            return gr.update(), conversation, gr.update(), _status(message)
        viewer = self.viewer(request)
        answer = self.library.ask(question, conversation=conversation, as_at=as_at_day, regime=regime or "auto",
                                  kinds=tuple(kinds or ()), access=viewer.access,
                                  asker=Asker(viewer.name, viewer.role, "ui"))
        return conversation_html(conversation), conversation, "", _announcement(answer)

    def new_conversation(self) -> tuple[Any, ...]:
        """→ transcript, conversation, question box, status, export file, export status."""
        fresh = Conversation()
        return conversation_html(fresh), fresh, "", "", gr.update(value=None, visible=False), ""

    def export(self, conversation: Conversation) -> tuple[Any, str]:
        """Write the conversation as Markdown → (file for download, status)."""
        if not conversation.turns:
            return gr.update(value=None, visible=False), _status("Ask a question first: there is nothing to export.")
        now = datetime.now().astimezone()
        folder = Path(tempfile.mkdtemp(dir=self._exports.name))
        path = folder / f"conversation-{now:%Y-%m-%d-%H%M}.md"
        path.write_text(conversation_as_markdown(conversation, now, self.library.index.version), encoding="utf-8")
        return gr.update(value=str(path), visible=True), _status(
            f"Exported {len(conversation.turns)} question(s) and answers with their sources.", "ok")

    def send_feedback(self, conversation: Conversation, number: int | None, helpful: bool, comment: str,
                      request: gr.Request | None = None) -> tuple[str, bool]:
        """Record feedback on one answer → (status, whether it was stored)."""
        if not number or not 1 <= number <= len(conversation.turns):
            return _status("Ask a question first, then say whether the answer helped."), False
        viewer = self.viewer(request)
        try:
            item = Feedback.on(conversation.turns[number - 1].answer, helpful, comment or "",
                               user=viewer.name if viewer.signed_in else "", index_version=self.library.index.version)
        except ValueError as exc:
            return _status(f"Comment not saved: {exc}"), False
        self.feedback.add(item)
        verdict = "helpful" if helpful else "not helpful"
        return _status(f"Thank you: answer {number} recorded as {verdict}.", "ok"), True

    def answer_feedback(self, conversation: Conversation, event: gr.EventData,
                        request: gr.Request | None = None) -> str:
        """Helpful / Not helpful pressed under an answer → a note the page moves under that answer. The event's
        data comes from the page, so it is checked like any other input."""
        data = event._data if isinstance(event._data, dict) else {}
        action, number, comment = data.get("action"), data.get("turn"), data.get("comment", "")
        if action not in ("helpful", "not-helpful") or type(number) is not int or not isinstance(comment, str):
            return _status("That feedback could not be read; reload the page and try again.")
        status, saved = self.send_feedback(conversation, number, action == "helpful", comment, request)
        # A fresh `data-at` each time, so pressing the same button twice still changes the value the page watches.
        return (f'<div data-turn="{number}" data-saved="{"yes" if saved else "no"}" '
                f'data-at="{time.monotonic_ns()}">{status}</div>')

    # Index tab

    def whoami_html(self, request: gr.Request | None = None) -> str:
        viewer = self.viewer(request)
        levels = ", ".join(viewer.access)
        if not viewer.signed_in:
            return ('<details class="cga-badge"><summary>Sign-in is off · local administrator</summary><p>No users '
                    'file (CGA_USERS_FILE) is configured, so you are the single local user with administrator '
                    'rights: every document is searched, including internal and restricted ones, and you can add '
                    'documents on the Index tab.</p></details>')
        return (f'<p class="cga-badge">Signed in as <strong>{html.escape(viewer.name)}</strong> '
                f'({html.escape(viewer.role)}): answers draw on {html.escape(levels)} documents. '
                '<a href="/logout">Sign out</a></p>')

    def index_html(self, request: gr.Request | None = None) -> str:
        viewer = self.viewer(request)
        stats = self.library.stats(viewer.access)
        docs = [d for d in stats["documents"] if d["access"] in viewer.access]
        rows = "".join(
            f"<tr><td>{html.escape(d['short'])}</td><td>{html.escape(d['title'])}</td><td>{html.escape(d['kind'])}</td>"
            f"<td>{html.escape(d['version_date'])}</td><td>{html.escape(d['access'])}</td>"
            f'<td class="cga-num">{d["passages"]:,}</td></tr>' for d in docs)
        return (f'<p>{len(docs)} documents, {sum(d["passages"] for d in docs):,} passages. Index version '
                f'{html.escape(stats["version"])}, built {html.escape(str(stats["built"]))}, embedding model '
                f'{html.escape(str(stats["model"]))}.</p>'
                '<table class="cga-table"><caption>Documents the assistant answers from</caption><thead><tr>'
                '<th scope="col">Cited as</th><th scope="col">Title</th><th scope="col">Kind</th>'
                '<th scope="col">Text as at</th><th scope="col">Access</th><th scope="col">Passages</th>'
                f"</tr></thead><tbody>{rows}</tbody></table>")

    def can_upload(self, request: gr.Request | None = None) -> dict[str, Any]:
        return gr.update(visible=self.viewer(request).role == "admin")

    def upload(self, file: str | None, title: str, short: str, kind: str, version_date: str, access: str,
               request: gr.Request | None = None, progress: Any = None) -> tuple[str, str]:
        """Add an uploaded document to the index → (status, index table)."""
        if self.viewer(request).role != "admin":
            return _status("Only administrators can add documents."), gr.update()
        if not file:
            return _status("Choose a file to add first."), gr.update()
        try:
            path = self.received(file, request)
        except NotYourUpload as exc:
            return _status(f"Not added. {exc}"), gr.update()

        def report(fraction: float, stage: str) -> None:
            if progress is not None:
                progress(fraction, desc=stage)

        try:
            result = add_upload(self.settings, path, path.name, title=title or "", kind=kind, short=short or "",
                                version_date=version_date or "", access=access, progress=report)
        except UploadError as exc:
            return _status(f"Not added. {exc}"), gr.update()
        self.library.refresh()
        return (_status(f"Added {path.name} as {result.doc_id}: {result.passages} passages, now searchable "
                        f"(index {result.version}).", "ok"), self.index_html(request))


def build_blocks(app: ChatApp) -> gr.Blocks:
    private = {"api_visibility": "private"}
    # Uploaded and exported files are personal records: Gradio's copies go after an hour.
    with gr.Blocks(title="Commissioning guidance assistant", analytics_enabled=False,
                   delete_cache=(3600, 3600)) as demo:
        conversation = gr.State(Conversation())
        with gr.Row(elem_classes="cga-top"):
            gr.HTML('<header class="cga-header"><h1>Commissioning guidance assistant</h1>'
                    '<p>Answers on UK public procurement from the Procurement Act 2023, the Public Contracts '
                    'Regulations 2015, related law and MOPAC decisions, quoting each passage so you can check it. '
                    'It is not legal advice.</p></header>')
            whoami = gr.HTML(elem_id="cga-whoami")
        with gr.Tabs():
            with gr.Tab("Ask", id="ask"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3, min_width=360):
                        question = gr.Textbox(label="Your question", lines=1, max_lines=5, max_length=2000, autofocus=True,
                                              info="Press Enter to ask, or choose an example below.",
                                              placeholder="e.g. What is the standstill period before a contract "
                                                          "can be entered into?",
                                              elem_id="cga-question")
                        with gr.Row():
                            ask_button = gr.Button("Ask", variant="primary", elem_id="cga-ask", scale=2)
                            new_button = gr.Button("New conversation", elem_id="cga-new", scale=1)
                        # Above the fold: one click asks the example.
                        with gr.Accordion("Example questions", open=True, elem_id="cga-examples"):
                            examples = [(gr.Button(text, size="sm", elem_classes="cga-example"), text)
                                        for text in EXAMPLES]
                        status = gr.HTML(elem_id="cga-status")
                        transcript = gr.HTML(conversation_html(Conversation()), elem_id="cga-transcript",
                                             js_on_load=TRANSCRIPT_JS)
                        answer_note = gr.HTML(elem_id="cga-answer-note", visible="hidden", js_on_load=NOTE_JS)
                    with gr.Column(scale=2, min_width=300):
                        with gr.Accordion("Options", open=True):
                            regime = gr.Radio(REGIME_CHOICES, value="auto", label="Regime",
                                              info="Which procurement law to answer under", elem_id="cga-regime")
                            as_at = gr.Textbox(label="Procurement started on (optional)", placeholder="YYYY-MM-DD",
                                               info="Before 24 February 2025 the 2015 Regulations apply",
                                               max_lines=1, elem_id="cga-as-at")
                            kinds = gr.CheckboxGroup(list(KINDS), label="Search only these kinds of document",
                                                     info="None ticked: all kinds", elem_id="cga-kinds")
                        with gr.Accordion("Keep a record", open=True, elem_id="cga-record"):
                            gr.HTML('<p class="cga-hint">Each answer has its own buttons: helpful or not, copy, '
                                    'copy with citations and export. Here, the whole conversation:</p>')
                            export_button = gr.Button("Export conversation as Markdown", elem_id="cga-export")
                            export_status = gr.HTML(elem_id="cga-export-status")
                            export_file = gr.File(label="Conversation record (Markdown)", visible=False,
                                                  interactive=False, elem_id="cga-export-file")
            with gr.Tab("Index", id="index"):
                index_table = gr.HTML(elem_id="cga-index")
                with gr.Row():
                    refresh_button = gr.Button("Refresh", size="sm", scale=0, min_width=120, elem_id="cga-index-refresh")
                with gr.Group(visible=False) as upload_group:
                    gr.HTML(f"<h2>Add a document</h2><p>PDF, HTML, text or Markdown, up to "
                            f"{app.settings.max_upload_bytes / 1048576:.0f} MB. It is stored in the data folder, "
                            "listed in uploads.toml and indexed with the rest; it is searchable as soon as the "
                            "progress bar finishes.</p>")
                    upload_file = gr.File(label="Document", file_types=list(SUPPORTED), elem_id="cga-upload")
                    with gr.Row():
                        upload_title = gr.Textbox(label="Title", elem_id="cga-upload-title")
                        upload_short = gr.Textbox(label="Cited as (short name)", placeholder="e.g. MOPAC SoD 2024",
                                                  elem_id="cga-upload-short")
                    with gr.Row():
                        upload_kind = gr.Dropdown(list(KINDS), value="guidance", label="Kind")
                        upload_date = gr.Textbox(label="Text as at (YYYY-MM-DD, optional)")
                        upload_access = gr.Dropdown(list(ACCESS_LEVELS), value="internal", label="Who may read it")
                    upload_button = gr.Button("Add to the index", variant="primary", elem_id="cga-upload-button")
                upload_status = gr.HTML(elem_id="cga-upload-status")
            with gr.Tab("Check a paper", id="check"):
                build_checker_tab(app.library, lambda request: app.viewer(request).access, app.received)

        gr.HTML('<footer class="cga-footer"><a href="/api/health">JSON API</a> (<code>/api/ask</code>, '
                '<code>/api/documents</code>; see the README) · Feedback is stored on this server.</footer>')

        inputs = [question, regime, as_at, kinds, conversation]
        asked = [transcript, conversation, question, status]
        for trigger in (ask_button.click, question.submit):
            trigger(app.ask, inputs, asked, concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask", **private)
        for example, text in examples:
            example.click(lambda text=text: text, None, question, **private).then(
                app.ask, inputs, asked, concurrency_limit=ASK_CONCURRENCY, concurrency_id="ask", **private)
        new_button.click(app.new_conversation, None, asked + [export_file, export_status], **private)
        transcript.click(app.answer_feedback, conversation, answer_note, **private)
        export_button.click(app.export, conversation, [export_file, export_status], **private)
        refresh_button.click(app.index_html, None, index_table, **private)
        upload_button.click(_upload_with_progress(app),
                            [upload_file, upload_title, upload_short, upload_kind, upload_date, upload_access],
                            [upload_status, index_table], concurrency_limit=1, **private)
        demo.load(app.whoami_html, None, whoami, **private)
        demo.load(app.index_html, None, index_table, **private)
        demo.load(app.can_upload, None, upload_group, **private)
    return demo


def _upload_with_progress(app: ChatApp):
    # Gradio finds the progress tracker by a default value of gr.Progress() in the signature.
    def upload(file: str | None, title: str, short: str, kind: str, version_date: str, access: str,
               request: gr.Request, progress: gr.Progress = gr.Progress()) -> tuple[str, str]:
        return app.upload(file, title, short, kind, version_date, access, request, progress)

    return upload


def build_app(settings: Settings, library: Library | None = None):
    """The FastAPI app serving the JSON API at /api and the chat UI at /."""
    from fastapi import FastAPI

    library = library or Library(settings)
    users = Users.load(settings.users_file) if settings.users_file else None
    signin = SignIn(users, library.audit, settings.signin_failures, settings.signin_backoff_seconds) if users else None
    chat = ChatApp(settings, library, users)
    api = FastAPI(title="Commissioning guidance assistant API", docs_url=None, redoc_url=None, openapi_url=None)
    api.include_router(api_router(library, signin))
    demo = build_blocks(chat).queue(default_concurrency_limit=ASK_CONCURRENCY)
    gr.mount_gradio_app(
        api, demo, path="/", auth=_login(signin) if signin else None,
        auth_message=("<strong>Commissioning guidance assistant</strong><br>Sign in with the name and password "
                      "your administrator gave you.") if users else None,
        theme=THEME, css=(STATIC / "cga.css").read_text(encoding="utf-8"), footer_links=[], run_history=False,
        max_file_size=settings.max_upload_bytes, show_error=True, ssr_mode=False, mcp_server=False,
        allowed_paths=[], app_kwargs={"openapi_url": None},  # Gradio's own app would publish /openapi.json
    )
    # Gradio checks that a file a function receives came from its upload folder only once `has_launched`
    # is set (gradio/processing_utils.py `_check_allowed`), which `launch()` does and mounting does not.
    demo.has_launched = True
    [gradio_app] = [route.app for route in api.routes if isinstance(route, Mount)]
    api.add_middleware(GradioGuard, user_of=_gradio_user(gradio_app, users), uploads=chat.uploads,
                       sessions=SessionOwners(2 * demo.state_session_capacity) if users else None,
                       quota_of=chat.upload_quota)
    return api


def _login(signin: SignIn) -> Callable[[str, str], Awaitable[bool]]:
    """Gradio's sign-in check, with backoff by name and by the caller's address. Async, so Gradio awaits it
    and the scrypt runs off the event loop instead of stalling every other request."""
    from fastapi import HTTPException

    async def login(name: str, password: str) -> bool:
        try:
            user = await signin.check_async(name, password, CLIENT_ADDRESS.get(), "ui")
        except SignInRefused as exc:
            raise HTTPException(429, detail=str(exc).capitalize() + ".",
                                headers={"Retry-After": str(exc.retry_after)}) from None
        return user is not None

    return login


def _gradio_user(gradio_app: Any, users: Users | None) -> Callable[[HTTPConnection], str | None]:
    """Who signed in to Gradio, read as Gradio reads it (routes.py `get_current_user`): its session
    cookie names a token it issued at sign-in. Without a users file, everyone is the local user."""
    cookies = (f"access-token-{gradio_app.cookie_id}", f"access-token-unsecure-{gradio_app.cookie_id}")

    def user_of(connection: HTTPConnection) -> str | None:
        if users is None:
            return LOCAL_USER
        token = next((connection.cookies[c] for c in cookies if c in connection.cookies), None)
        return gradio_app.tokens.get(token)

    return user_of


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    import uvicorn

    from assistant.accounts.users import UsersFileError
    from assistant.library import open_library

    try:
        app = build_app(settings, open_library(settings))
    except UsersFileError as exc:
        raise SystemExit(f"cga serve: {exc}") from None
    print(f"cga: serving the chat on http://{host}:{port}/ and the JSON API on http://{host}:{port}/api/")
    uvicorn.run(app, host=host, port=port, log_level="warning")
