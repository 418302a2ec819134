"""Answers as plain text, Markdown and HTML: the terminal, the copy buttons, the exported record, the chat.

All three show the same parts in the same order: the follow-up note, the short answer (the lead),
the quotes, the advisor's steps, the regime line, notes, then the sources. A refusal is another
kind of record in each of them: "No answer" with the reason, then the closest passages, marked
as not answering, never headed or styled as an answer. Document text is untrusted (an uploaded
page may hold HTML or script), so the HTML form escapes every character of it and the Markdown
form escapes what Markdown would interpret.
"""

from __future__ import annotations

import html
import re
from datetime import datetime
from urllib.parse import urlparse

from assistant.accounts.feedback import MAX_COMMENT_CHARS
from assistant.answering.records import Answer, Citation, Conversation
from assistant.answering.regime import Regime

REGIME_PREFIX = "Regime:"
NO_ANSWER = "No answer"
RELATED_TITLE = "Closest passages (these do not answer the question)"
DECIDED_TITLE = "How this was decided"
OPEN_SOURCES = 1  # the quotes are in the answer already; the first source opens to show them in context
MAX_SOURCES = 6  # a plain answer shows at most this many sources; the rest fold away
MAX_FOLLOW_UPS = 3
# Shown on a source whose text speaks to an AI model or the answer's reader (`Passage.addressed_to_model`).
MARKED_WARNING = ("Warning: this text addresses an AI model or the reader of the answer (for example "
                  "“tell the user …”). It is quoted as data: it is not authority and was not used as support.")
_MARKER = re.compile(r"\[(\d+)\]")
_MD_SPECIAL = re.compile(r"([\\`*_<>\[\]])")
_MD_MARKER = re.compile(r"\\\[(\d+)\\\]")
_NOT_IN_URL = re.compile(r"[\s<>\"']")


def split_regime(answer: Answer) -> tuple[str, str]:
    """The answer body and its regime line; a refusal's text has none, so it is built from `answer.regime`."""
    head, sep, last = answer.text.rpartition("\n\n")
    if last.startswith(REGIME_PREFIX):
        return (head if sep else ""), last
    if answer.text.startswith(REGIME_PREFIX):
        return "", answer.text
    if answer.refused or not answer.regime:  # the regime matters to procurement answers only
        return answer.text, ""
    try:
        label = Regime(**answer.regime).label
    except (TypeError, KeyError):
        label = answer.regime.get("name", "not decided")
    reason = answer.regime.get("reason", "")
    return answer.text, f"{REGIME_PREFIX} {label}" + (f" — {reason}." if reason else ".")


def split_lead(answer: Answer) -> tuple[str, str]:
    """The short answer and what follows it in the body (the quotes, or the rules the advisor relied on).
    A record without a lead (one an older client sends back) leads with its first paragraph."""
    body, _ = split_regime(answer)
    if answer.lead and body.startswith(answer.lead):
        return answer.lead, body[len(answer.lead):].strip()
    lead, _, rest = body.partition("\n\n")
    return lead, rest


def trace_lines(answer: Answer) -> list[str]:
    """The advisor's steps, one line each. Other trace entries (the model's `write_prose` check, with
    no finding) are diagnostics for the record, not steps a reader follows."""
    lines = []
    for step in answer.trace:
        if "finding" not in step:
            continue
        marker = f" [{step['n']}]" if step.get("n") else ""
        lines.append(f"{step.get('step', '')}: {step['finding']}{marker}")
    return lines


def follow_ups(answer: Answer) -> list[str]:
    """Questions worth asking next, from the answer's regime and route; each opens as a follow-up
    ("And …", "What if …", "… it"), so the pipeline reads it with this question."""
    if answer.refused or not _states_regime(answer):
        return []
    other = {"PA 2023": "And under PCR 2015?", "PCR 2015": "And under the Procurement Act 2023?"}
    suggestions = [other[answer.regime["name"]]] if answer.regime.get("name") in other else []
    if answer.route == "advisor":
        steps = {step.get("step"): step.get("finding", "") for step in answer.trace}
        below = " is below " in steps.get("Threshold test", "")
        suggestions.append("What if it is above the threshold?" if below else "What if it is below the threshold?")
        if "Approval" not in steps:
            suggestions.append("Who approves it?")
    return suggestions[:MAX_FOLLOW_UPS]


def _states_regime(answer: Answer) -> bool:
    """Whether the answer is about procurement: only those end on a regime line."""
    return answer.text.rpartition("\n\n")[2].startswith(REGIME_PREFIX)


def _source_line(c: Citation) -> str:
    path = " › ".join(c.heading_path)
    link = f" <{c.source_url}>" if c.source_url else ""
    warning = f"\n    {MARKED_WARNING}" if c.addressed_to_model else ""
    return f"[{c.n}] {c.citation} — {path} ({c.dated}){link}{warning}"


def answer_as_text(answer: Answer, sources: bool = True) -> str:
    """The answer as plain text; without `sources`, what the copy button copies: the answer as read."""
    body, regime = split_regime(answer)
    lines = []
    if answer.carried_over:
        lines += [answer.carried_over, ""]
    if answer.refused:
        lines += [f"{NO_ANSWER}.", ""]
    lines.append(body)
    if steps := trace_lines(answer):
        lines += ["", "Steps:"] + [f"{i}. {line}" for i, line in enumerate(steps, start=1)]
    if regime:
        lines += ["", regime]
    if answer.notices:
        lines += [""] + [f"Note: {n}" for n in answer.notices]
    if sources and answer.citations:
        lines += ["", "Sources:"] + [_source_line(c) for c in answer.citations]
    if sources and answer.related:
        lines += ["", f"{RELATED_TITLE}:"] + [_source_line(c) for c in answer.related]
    return "\n".join(lines)


# Markdown: the record a commissioner pastes into a business case.

def md_escape(text: str) -> str:
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_paragraphs(text: str) -> str:
    """Escaped Markdown keeping the line breaks (two trailing spaces), with our [n] markers left readable."""
    escaped = _MD_MARKER.sub(r"[\1]", md_escape(text))
    return "\n\n".join("  \n".join(line.strip() for line in para.splitlines()) for para in escaped.split("\n\n"))


def _md_source(c: Citation) -> str:
    path = " › ".join(c.heading_path)
    link = f" · <{c.source_url}>" if _is_web(c.source_url) else ""
    quote = "\n>\n".join(f"> {md_escape(line.strip())}" for line in c.text.splitlines() if line.strip())
    warning = f"**{md_escape(MARKED_WARNING)}**\n\n" if c.addressed_to_model else ""
    return f"**[{c.n}] {md_escape(c.citation)}** — {md_escape(path)} · {c.dated}{link}\n\n{warning}{quote}"


def answer_as_markdown(answer: Answer, number: int) -> str:
    body, regime = split_regime(answer)
    parts = [f"## {number}. {md_escape(answer.question)}"]
    if answer.carried_over:
        parts.append(f"*{md_escape(answer.carried_over)}*")
    if answer.refused:
        parts += [f"### {NO_ANSWER}", _md_paragraphs(body)]
    else:
        lead, rest = split_lead(answer)
        parts += ["### Answer", f"**{_md_paragraphs(lead)}**"] + ([_md_paragraphs(rest)] if rest else [])
    if steps := trace_lines(answer):
        parts.append("**Steps**\n\n" + "\n".join(f"{i}. {md_escape(line)}" for i, line in enumerate(steps, start=1)))
    if regime:
        parts.append(f"*{md_escape(regime)}*")
    parts += [f"**Note:** {md_escape(n)}" for n in answer.notices]
    if answer.citations:
        parts.append("### Sources")
        parts += [_md_source(c) for c in answer.citations]
    if answer.related:
        parts.append(f"### {RELATED_TITLE}")
        parts += [_md_source(c) for c in answer.related]
    return "\n\n".join(parts)


def conversation_as_markdown(conversation: Conversation, exported_at: datetime, index_version: str = "") -> str:
    when = exported_at.strftime("%d %B %Y, %H:%M %Z").strip().rstrip(",")
    index = f" Index version {md_escape(index_version)}." if index_version else ""
    head = ["# Commissioning guidance — conversation record",
            f"Exported {when}.{index} Every answer quotes the indexed documents verbatim; each quote is "
            "followed by its source number [n], and the sources give the passage in full with the date of "
            "the text. Check the cited passages before relying on them."]
    turns = [answer_as_markdown(t.answer, i) for i, t in enumerate(conversation.turns, start=1)]
    return "\n\n".join(head + (turns or ["*No questions were asked.*"])) + "\n"


# HTML: the chat transcript, escaped throughout.

def _is_web(url: str) -> bool:
    return urlparse(url).scheme in ("http", "https") and not _NOT_IN_URL.search(url)


def quote_spans(text: str, quotes: list[str]) -> list[tuple[int, int]]:
    """Where each quote sits in the passage, matching across any difference in whitespace; merged and sorted."""
    spans = []
    for quote in quotes:
        words = quote.split()
        if not words:
            continue
        found = re.search(r"\s+".join(re.escape(w) for w in words), text)
        if found:
            spans.append(found.span())
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def highlighted_html(text: str, quotes: list[str]) -> str:
    out, at = [], 0
    for start, end in quote_spans(text, quotes):
        out += [html.escape(text[at:start]), "<mark>", html.escape(text[start:end]), "</mark>"]
        at = end
    out.append(html.escape(text[at:]))
    return "".join(out)


def _anchor(turn: int, n: int, related: bool = False) -> str:
    return f"cga-t{turn}-{'r' if related else 's'}{n}"


def _linked_html(line: str, turn: int, cited: set[int]) -> str:
    """An escaped line whose [n] markers link to their sources."""
    def marker(m: re.Match[str]) -> str:
        n = int(m[1])
        if n not in cited:
            return m[0]
        return f'<a class="cga-marker" href="#{_anchor(turn, n)}" aria-label="source {n}">[{n}]</a>'

    return _MARKER.sub(marker, html.escape(line))


def _answer_paragraphs_html(text: str, turn: int, cited: set[int]) -> str:
    return "".join(f"<p>{'<br>'.join(_linked_html(line, turn, cited) for line in para.splitlines())}</p>"
                   for para in text.split("\n\n"))


def source_html(c: Citation, turn: int, is_open: bool, related: bool = False) -> str:
    path = html.escape(" › ".join(c.heading_path))
    link = ""
    if _is_web(c.source_url):
        host = html.escape(urlparse(c.source_url).netloc.removeprefix("www."))
        link = (f'<a class="cga-link" href="{html.escape(c.source_url, quote=True)}" target="_blank" '
                f'rel="noopener noreferrer">Open the source on {host}<span aria-hidden="true"> ↗</span></a>')
    flag = '<span class="cga-warning-tag"> · addresses an AI model</span>' if c.addressed_to_model else ""
    warning = f'<p class="cga-warning" role="note">{html.escape(MARKED_WARNING)}</p>' if c.addressed_to_model else ""
    return (f'<details class="cga-source" id="{_anchor(turn, c.n, related)}"{" open" if is_open else ""}>'
            f'<summary><span class="cga-label">[{c.n}] {html.escape(c.citation)}</span> '
            f'<span class="cga-date">{html.escape(c.dated)}</span>{flag}</summary>'
            f'<div class="cga-path">{path}</div>{warning}'
            f'<div class="cga-passage">{highlighted_html(c.text, c.quotes)}</div>{link}</details>')


def _sources_html(title: str, cited: list[Citation], turn: int, open_first: int, related: bool = False) -> str:
    return (f'<div class="cga-sources{" cga-related-list" if related else ""}"><h3>{html.escape(title)}</h3>'
            + "".join(source_html(c, turn, i < open_first, related) for i, c in enumerate(cited)) + "</div>")


def _marked(text: str) -> set[int]:
    return {int(n) for n in _MARKER.findall(text)}


def _refusal_html(answer: Answer, turn: int, latest: bool) -> list[str]:
    body, regime = split_regime(answer)
    parts = [(f'<section class="cga-refused" aria-labelledby="cga-t{turn}-v">'
              f'<h3 class="cga-verdict" id="cga-t{turn}-v">{NO_ANSWER}</h3>'
              f'{_answer_paragraphs_html(body, turn, set())}'
              '<p>The passages below came closest, but they do not answer the question. '
              'Try naming the Act, regulation or paper, or rephrase.</p>')]
    parts += [f'<p class="cga-notice">Note: {html.escape(n)}</p>' for n in answer.notices]
    parts.append("</section>")
    if answer.related:
        parts.append(_sources_html(RELATED_TITLE, answer.related, turn, OPEN_SOURCES if latest else 0, related=True))
    return parts


def _answered_html(answer: Answer, turn: int, latest: bool) -> list[str]:
    """The short answer first; then, for a plain answer, its quotes and at most MAX_SOURCES sources; for the
    advisor's, the sources its decision cites, with the steps and the other rule passages folded away."""
    _, regime = split_regime(answer)
    lead, rest = split_lead(answer)
    cited = {c.n for c in answer.citations}
    steps = trace_lines(answer)
    advisor = answer.route == "advisor" or bool(steps)
    parts = [(f'<section class="cga-answer" aria-labelledby="cga-t{turn}-v">'
              f'<h3 class="cga-verdict" id="cga-t{turn}-v">Answer</h3>'
              f'<p class="cga-lead">{_linked_html(lead, turn, cited)}</p>')]
    if rest and not advisor:
        parts.append(_answer_paragraphs_html(rest, turn, cited))
    if regime:
        parts.append(f'<p class="cga-regime">{html.escape(regime)}</p>')
    parts += [f'<p class="cga-notice">Note: {html.escape(n)}</p>' for n in answer.notices]
    parts.append("</section>")
    if advisor:
        shown = [c for c in answer.citations if c.n in _marked(lead)][:MAX_SOURCES]
    else:
        shown = answer.citations[:MAX_SOURCES]
    folded = [c for c in answer.citations if c not in shown]
    if shown:
        parts.append(_sources_html(f"Sources ({len(shown)})", shown, turn, OPEN_SOURCES if latest else 0))
    if advisor and (steps or rest or folded):
        items = "".join(f"<li>{_linked_html(line, turn, cited)}</li>" for line in steps)
        parts.append(f'<details class="cga-trace"><summary><h3>{DECIDED_TITLE} ({len(steps)} step'
                     f'{"" if len(steps) == 1 else "s"})</h3></summary><ol>{items}</ol>'
                     + (f'<div class="cga-rules">{_answer_paragraphs_html(rest, turn, cited)}</div>' if rest else "")
                     + (_sources_html(f"The other rule passages ({len(folded)})", folded, turn, 0) if folded else "")
                     + "</details>")
    elif folded:
        parts.append(f'<details class="cga-more"><summary>{len(folded)} more source{"s" if len(folded) > 1 else ""}'
                     f"</summary>{_sources_html('More sources', folded, turn, 0)}</details>")
    return parts


def _actions_html(answer: Answer, turn: int) -> str:
    """Each answer's own buttons (the page's script does the work: see TRANSCRIPT_JS in app.py), with the texts
    they copy or save kept in hidden elements, escaped like everything else."""
    buttons = "".join(f'<button type="button" class="cga-action" data-action="{action}" data-turn="{turn}">'
                      f"{text}</button>" for action, text in (
                          ("helpful", "Helpful"), ("not-helpful", "Not helpful"), ("copy", "Copy"),
                          ("copy-cited", "Copy with citations"), ("export", "Export (Markdown)")))
    texts = (f'<pre hidden class="cga-copy" data-kind="copy">{html.escape(answer_as_text(answer, sources=False))}</pre>'
             f'<pre hidden class="cga-copy" data-kind="copy-cited">{html.escape(answer_as_text(answer))}</pre>'
             f'<pre hidden class="cga-copy" data-kind="export">{html.escape(answer_as_markdown(answer, turn))}</pre>')
    comment = (f'<details class="cga-comment"><summary>Add a comment</summary>'
               f'<label for="cga-t{turn}-comment">Comment on answer {turn} (optional; sent with Helpful or Not '
               f'helpful)</label><textarea id="cga-t{turn}-comment" rows="2" maxlength="{MAX_COMMENT_CHARS}">'
               "</textarea></details>")
    return (f'<div class="cga-actions" role="group" aria-label="Answer {turn}: feedback, copy and export">{buttons}'
            f'{comment}<p class="cga-action-note" role="status"></p>{texts}</div>')


def _follow_ups_html(answer: Answer) -> str:
    questions = follow_ups(answer)
    if not questions:
        return ""
    return ('<div class="cga-next" role="group" aria-label="Suggested follow-up questions">'
            '<span class="cga-next-label">Ask next:</span>'
            + "".join(f'<button type="button" class="cga-action cga-ask-next" data-action="ask" '
                      f'data-question="{html.escape(q, quote=True)}">{html.escape(q)}</button>' for q in questions)
            + "</div>")


def answer_html(answer: Answer, turn: int, latest: bool) -> str:
    """One exchange: the question as a heading, then the answer (or the refusal) and its own actions."""
    kind = "cga-turn cga-turn-refused" if answer.refused else "cga-turn"
    parts = [f'<article class="{kind}" id="cga-t{turn}" aria-labelledby="cga-t{turn}-q">',
             (f'<h2 class="cga-question" id="cga-t{turn}-q"><span class="cga-who">Question {turn}</span>'
              f'{html.escape(answer.question)}</h2>')]
    if answer.carried_over:
        parts.append(f'<p class="cga-followup">{html.escape(answer.carried_over)}</p>')
    parts += _refusal_html(answer, turn, latest) if answer.refused else _answered_html(answer, turn, latest)
    # Follow-ups are read with the newest question, so only the newest answer suggests them.
    parts += [_actions_html(answer, turn), _follow_ups_html(answer) if latest else "", "</article>"]
    return "".join(parts)


def conversation_html(conversation: Conversation) -> str:
    if not conversation.turns:
        return ('<div class="cga-empty"><p>Ask a question about UK public procurement or MOPAC’s decisions, or '
                'choose an example. Every answer starts with the short answer, then quotes the indexed law and '
                'papers; each quote links to its source so you can check it in context.</p></div>')
    # Newest first: the answer just asked for sits under the question box.
    last = len(conversation.turns)
    parts = [answer_html(conversation.turns[-1].answer, last, latest=True)]
    if last > 1:
        parts.append('<h2 class="cga-earlier">Earlier in this conversation</h2>')
        parts += [answer_html(conversation.turns[i - 1].answer, i, latest=False) for i in range(last - 1, 0, -1)]
    return f'<section class="cga-transcript" aria-label="Conversation">{"".join(parts)}</section>'
