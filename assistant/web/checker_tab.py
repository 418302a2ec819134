"""The "Check a paper" tab: every legal reference in a decision paper, with the cited text beside it.

A lawyer uploads a draft (PDF, HTML or text) or picks an indexed decision; the references appear in
a table; choosing one shows the citing sentence and the cited provision side by side, with the
checks on quoted words and figures; the whole report exports as Markdown. Paper and statute text
is always escaped, so nothing in a paper can run in the page. Handlers are methods of
`CheckerTab`, plain functions of their inputs, so tests call them directly.
"""

from __future__ import annotations

import html
import tempfile
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import gradio as gr

from assistant.papercheck.checker import (
    AMBIGUOUS,
    DOES_NOT_EXIST,
    FOUND,
    NOT_FOUND,
    NOT_IN_CORPUS,
    CheckError,
    PaperChecker,
    PaperReport,
    ReferenceCheck,
    report_markdown,
)
from assistant.papercheck.paper import READABLE
from assistant.web.guard import NotYourUpload
from ingest.document import ACCESS_LEVELS, IngestError

HEADERS = ["#", "Page", "Reference", "Verdict", "Cited provision", "Text as at", "Flags"]
_VERDICT_CLASS = {DOES_NOT_EXIST: "bad", AMBIGUOUS: "bad", NOT_IN_CORPUS: "unknown"}
_CHECK_MARK = {FOUND: "✓", NOT_FOUND: "✗"}
Access = Sequence[str] | Callable[[gr.Request | None], Sequence[str]]
# Turns the file a file input was given into the path to read, or raises NotYourUpload.
Received = Callable[[str, gr.Request | None], Path]


def _local_file(file: str, request: gr.Request | None) -> Path:
    """The tab on its own (a local run, one user): any file Gradio accepted. The chat app passes
    `ChatApp.received`, which accepts only the user's own uploads."""
    return Path(file)


def _status(message: str, kind: str = "error") -> str:
    return (f'<p class="cga-status cga-status-{kind}" role="{"alert" if kind == "error" else "status"}">'
            f"{html.escape(message)}</p>")


def _link(url: str, text: str) -> str:
    if not url.startswith(("https://", "http://")):
        return ""
    return (f'<a class="cga-link" href="{html.escape(url, quote=True)}" target="_blank" rel="noopener">'
            f"{html.escape(text)}</a>")


def _marked(sentence: str, mark: tuple[int, int]) -> str:
    a, b = mark
    return f"{html.escape(sentence[:a])}<mark>{html.escape(sentence[a:b])}</mark>{html.escape(sentence[b:])}"


class CheckerTab:
    def __init__(self, library: Any, access: Access = ACCESS_LEVELS, received: Received = _local_file) -> None:
        self.library = library
        self.checker = PaperChecker(library)
        self._access = access
        self.received = received

    def access(self, request: gr.Request | None) -> tuple[str, ...]:
        return tuple(self._access(request) if callable(self._access) else self._access)

    def documents(self, request: gr.Request | None = None) -> dict[str, Any]:
        """The indexed decision papers the user may see, for the picker."""
        visible = self.access(request)
        choices = [(f"{d.short}: {d.title}" if d.title != d.short else d.short, d.doc_id)
                   for d in self.library.index.documents if d.kind == "decision" and d.access in visible]
        return gr.update(choices=choices, value=None)

    # -- checking --

    def check_upload(self, file: str | None, request: gr.Request | None = None) -> tuple[Any, ...]:
        """→ report, table, status, reference picker, detail, export file."""
        if not file:
            return self._failed("Choose a file to check first.")
        try:
            report = self.checker.check_file(self.received(file, request), self.access(request))
        except (CheckError, IngestError, NotYourUpload) as exc:
            return self._failed(f"Not checked. {exc}")
        return self._shown(report)

    def check_indexed(self, doc_id: str | None, request: gr.Request | None = None) -> tuple[Any, ...]:
        if not doc_id:
            return self._failed("Pick an indexed decision paper first.")
        try:
            report = self.checker.check_document(doc_id, self.access(request))
        except CheckError as exc:
            return self._failed(f"Not checked. {exc}")
        return self._shown(report)

    @staticmethod
    def _failed(message: str) -> tuple[Any, ...]:
        return (None, [], _status(message), gr.update(choices=[], value=None, interactive=False), "",
                gr.update(value=None, visible=False))

    def _shown(self, report: PaperReport) -> tuple[Any, ...]:
        choices = [(f"{r.n}. {r.text[:70]}{'…' if len(r.text) > 70 else ''}: {r.verdict}", r.n)
                   for r in report.references]
        first = report.flagged[0].n if report.flagged else (1 if choices else None)
        kind = "error" if report.flagged else "ok"
        return (report, table_rows(report), _status(f"{report.source}: {report.summary()}.", kind),
                gr.update(choices=choices, value=first, interactive=bool(choices)), self.detail(report, first),
                gr.update(value=None, visible=False))

    # -- one reference --

    @staticmethod
    def selected(report: PaperReport | None, event: gr.SelectData) -> Any:
        """The reference number of the table row clicked."""
        if report is None or not report.references or event.index is None:
            return gr.update()
        row = event.index[0] if isinstance(event.index, (list, tuple)) else event.index
        return report.references[row].n if 0 <= row < len(report.references) else gr.update()

    @staticmethod
    def detail(report: PaperReport | None, n: int | None) -> str:
        ref = next((r for r in report.references if r.n == n), None) if report and n else None
        return reference_html(ref) if ref is not None else ""

    def export(self, report: PaperReport | None) -> tuple[Any, str]:
        if report is None:
            return gr.update(value=None, visible=False), _status("Check a paper first: there is nothing to export.")
        folder = Path(tempfile.mkdtemp(prefix="cga-check-"))
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in Path(report.source).stem)[:60] or "paper"
        path = folder / f"reference-check-{stem}-{datetime.now():%Y-%m-%d-%H%M}.md"
        path.write_text(report_markdown(report), encoding="utf-8")
        return gr.update(value=str(path), visible=True), _status(
            f"Exported the check of {report.source}: {len(report.references)} references.", "ok")


def table_rows(report: PaperReport) -> list[list[Any]]:
    rows = []
    for r in report.references:
        flags = r.flags
        first = flags[0] if flags else ""
        shown = (f"{len(flags)}: {first[:90]}{'…' if len(first) > 90 else ''}") if flags else ""
        rows.append([r.n, r.page or "", r.text, r.verdict, r.label or r.instrument or "", r.version_date, shown])
    return rows


def reference_html(ref: ReferenceCheck) -> str:
    """The citing sentence and the cited provision side by side, every piece of text escaped."""
    verdict_class = _VERDICT_CLASS.get(ref.verdict, "ok")
    page = f", page {ref.page}" if ref.page else ""
    checks = "".join(
        f'<li class="cga-check-{"bad" if c.status == NOT_FOUND else "ok" if c.status == FOUND else "none"}">'
        f'{_CHECK_MARK.get(c.status, "·")} {html.escape(c.kind)} “{html.escape(c.text)}”: '
        f"{html.escape(c.message)}</li>"
        for c in ref.checks)
    left = (f'<h3>Reference {ref.n}{html.escape(page)}: <span class="cga-verdict-{verdict_class}">'
            f"{html.escape(ref.verdict)}</span></h3>"
            f'<div class="cga-passage">{_marked(ref.sentence, ref.sentence_mark)}</div>'
            f"<p>{html.escape(ref.label or ref.instrument or ref.text)}: {html.escape(ref.reason)}.</p>"
            + (f'<ul class="cga-checks">{checks}</ul>' if checks else "")
            + (f"<p>Candidates: {html.escape(', '.join(ref.candidates))}</p>" if ref.candidates else ""))
    if ref.cited:
        blocks = "".join(
            f'<p class="cga-label">{html.escape(c.citation)}'
            f'<span class="cga-date">text as at {html.escape(c.version_date)}</span></p>'
            f'<p class="cga-path">{html.escape(" › ".join(c.heading_path))}</p>'
            f'<div class="cga-passage">{html.escape(c.excerpt or c.text)}</div>'
            + (f'<details><summary>The whole passage</summary><div class="cga-passage">{html.escape(c.text)}</div>'
               "</details>" if c.excerpt else "")
            + _link(c.source_url, "Open on the source site")
            for c in ref.cited)
        right = f"<h3>{html.escape(ref.label)}</h3>{blocks}"
    elif ref.label:
        date = f" (text as at {html.escape(ref.version_date)})" if ref.version_date else ""
        right = (f"<h3>{html.escape(ref.label)}{date}</h3><p>No single passage: {html.escape(ref.reason)}.</p>"
                 + _link(ref.source_url, "Open on the source site"))
    else:
        right = "<h3>Cited provision</h3><p>Nothing in the index to show.</p>"
    return (f'<div class="cga-check-detail" style="display:flex;flex-wrap:wrap;gap:1rem">'
            f'<section style="flex:1 1 22rem;min-width:0" aria-label="Citing sentence">{left}</section>'
            f'<section style="flex:1 1 22rem;min-width:0" aria-label="Cited provision">{right}</section></div>'
            + _claim_html(ref))


def _claim_html(ref: ReferenceCheck) -> str:
    """Does the provision say what the paper claims? Each statement of the paper beside the words it
    was compared with, then the passages a finding rests on (a superseding figure, an exception)."""
    rows = "".join(
        f"<tr><td>{html.escape(c.statement)}</td><td><strong>{html.escape(c.citation)}</strong>: "
        f"{html.escape(c.words)}</td><td>{html.escape(c.verdict)}</td></tr>"
        for c in ref.compared if c.statement)
    rests = "".join(f"<li><strong>{html.escape(c.citation)}</strong> ({html.escape(c.finding)}): "
                    f"{html.escape(c.words)}</li>" for c in ref.compared if not c.statement)
    return (f'<section class="cga-claim" aria-label="Claim"><h3>Claim: {html.escape(ref.support)}</h3>'
            f"<p>{html.escape(ref.support_reason)}</p>"
            + (f"<table><thead><tr><th>The paper says</th><th>The provision says</th><th>Verdict</th></tr></thead>"
               f"<tbody>{rows}</tbody></table>" if rows else "")
            + (f"<p>It rests on:</p><ul>{rests}</ul>" if rests else "") + "</section>")


def build_checker_tab(library: Any, access: Access = ACCESS_LEVELS, received: Received = _local_file) -> None:
    """The tab's contents, inside an enclosing gr.Blocks / gr.Tab. `access`: the levels the reader may
    see, or a function of the request giving them (for signed-in users); `received`: see `Received`."""
    tab = CheckerTab(library, access, received)
    private = {"api_visibility": "private"}
    report = gr.State(None)
    gr.HTML("<p>Finds every legal reference in a paper and shows the cited provision beside the sentence that "
            "cites it: whether it exists in the indexed text, whether quoted words and money amounts appear "
            "in it, and whether the provision says what the paper claims (supported, partly supported, not "
            "supported, cannot tell). References to documents outside the index are listed, never guessed.</p>")
    with gr.Row(equal_height=False):
        with gr.Column(scale=1, min_width=280):
            upload = gr.File(label="Paper to check (PDF, HTML or text)", file_types=list(READABLE), type="filepath",
                             elem_id="cga-check-upload")
            check_upload = gr.Button("Check the uploaded paper", variant="primary", elem_id="cga-check-file")
        with gr.Column(scale=1, min_width=280):
            indexed = gr.Dropdown(label="…or an indexed decision paper", choices=[], elem_id="cga-check-doc")
            check_indexed = gr.Button("Check the indexed paper", elem_id="cga-check-indexed")
    status = gr.HTML(elem_id="cga-check-status")
    table = gr.Dataframe(headers=HEADERS, value=[], datatype=["number", "str", "str", "str", "str", "str", "str"],
                         type="array", interactive=False, wrap=True, label="References (select one to see it)",
                         column_widths=["5%", "6%", "25%", "12%", "18%", "10%", "24%"], elem_id="cga-check-table")
    picker = gr.Dropdown(label="Reference", choices=[], interactive=False, elem_id="cga-check-picker")
    detail = gr.HTML(elem_id="cga-check-detail")
    with gr.Row():
        export = gr.Button("Export the report as Markdown", elem_id="cga-check-export")
    export_file = gr.File(label="Reference check (Markdown)", visible=False, interactive=False,
                          elem_id="cga-check-export-file")

    shown = [report, table, status, picker, detail, export_file]
    check_upload.click(tab.check_upload, upload, shown, concurrency_limit=2, **private)
    check_indexed.click(tab.check_indexed, indexed, shown, concurrency_limit=2, **private)
    table.select(tab.selected, report, picker, **private)
    picker.change(tab.detail, [report, picker], detail, **private)
    export.click(tab.export, report, [export_file, status], **private)
    gr.on(None, tab.documents, None, indexed, **private)
