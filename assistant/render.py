"""Answers as plain text and Markdown: for the terminal, the copy button and the exported record."""

from __future__ import annotations

from assistant.answer import Answer, Citation


def _source_line(c: Citation) -> str:
    path = " › ".join(c.heading_path)
    link = f" <{c.source_url}>" if c.source_url else ""
    return f"[{c.n}] {c.citation} — {path} (text as at {c.version_date}){link}"


def answer_as_text(answer: Answer) -> str:
    lines = []
    if answer.carried_over:
        lines += [answer.carried_over, ""]
    lines.append(answer.text)
    if answer.notices:
        lines += [""] + [f"Note: {n}" for n in answer.notices]
    if answer.citations:
        lines += ["", "Sources:"] + [_source_line(c) for c in answer.citations]
    if answer.related:
        lines += ["", "Possibly related:"] + [_source_line(c) for c in answer.related]
    return "\n".join(lines)
