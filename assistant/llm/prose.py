"""Optional LLM answers: the quoted passages rewritten as fluent prose, then checked in code.

With `CGA_LLM=openai` (any OpenAI-compatible chat-completions server) or `CGA_LLM=ollama`, the
`write_prose` step of the answer pipeline hands the passages of the quoted answer to the model,
streams its reply and passes it through `assistant.llm.grounding`. Sentences the checker cannot tie to
a passage are removed and named in a "removed: …" notice. When the model fails (unreachable,
timeout, 401, 429, 5xx, an unreadable or empty reply) or nothing survives the check, the quoted
(extractive) answer stands, with a short notice saying why. Nothing waits longer than
`CGA_LLM_TIMEOUT` for the model, and failures are logged without the API key.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Generator, Iterator, Sequence
from dataclasses import replace
from typing import Any

from assistant.answering.compose import LEAD_WORDS, best_quote
from assistant.answering.records import Answer, Citation, Statement, VerificationError
from assistant.answering.verify import verify
from assistant.calibration import support_threshold
from assistant.llm.client import LLMError, build_messages, stream_reply
from assistant.llm.grounding import Checker, SentenceCheck, renumber_markers
from ingest.passage import Passage

log = logging.getLogger(__name__)

_NOT_ANSWERED = re.compile(r"\W*not\s+answered\W*", re.I)


def checked_prose(library: Any, base: Answer, passages: list[Passage], regime_line: str,
                  retrieved: Sequence[Passage] = ()) -> Generator[str, None, Answer]:
    """Yield the model's draft as it grows (the whole draft each time); return the checked Answer.

    `base` is the quoted answer over the same passages: its question, regime and route are kept, and
    it is what the user gets, with a notice, when the model fails or none of its sentences survive.
    `retrieved`: the other passages found for the question, against which the prose's periods and sums
    are checked too (a statute retrieved but not quoted still outranks a paper that was).
    """
    settings = library.settings
    draft = ""
    try:
        for piece in stream_reply(settings, build_messages(base.resolved_question, passages)):
            if piece:
                draft += piece
                yield draft
    except LLMError as exc:
        return _fallback(base, f"The language model {exc.reason}; the passages are quoted instead.")
    if not draft.strip():
        log.warning("LLM %s model %r returned an empty reply", settings.llm, settings.llm_model)
        return _fallback(base, "The language model returned an empty reply; the passages are quoted instead.")
    if _NOT_ANSWERED.fullmatch(draft):
        return _fallback(base, "The language model found that these passages do not answer the question; "
                               "the closest passages are quoted for you to check.")
    checker = Checker(library.embeddings, library.finder, support_threshold())
    checks = checker.check(draft, passages, retrieved)
    trace = {"step": "write_prose", "backend": settings.llm, "model": settings.llm_model,
             "threshold": checker.threshold, "sentences": [c.to_dict() for c in checks]}
    notices = [c.notice for c in checks if not c.kept]
    notices += [f"{p.citation} contains text addressed to an AI model; it was treated as quoted data and never "
                "counted as support." for p in passages if p.addressed_to_model]
    kept = [c for c in checks if c.kept]
    if not kept:
        answer = _fallback(base, *notices, "None of the language model's sentences could be tied to the passages; "
                                           "the passages are quoted instead.")
    else:
        answer = _prose_answer(base, kept, passages, regime_line,
                               [f"Written by the language model ({settings.llm_model}) from the numbered passages "
                                "and checked against them in code; the quotes under Sources are verbatim.", *notices])
        try:
            verify(answer)
        except VerificationError as exc:  # never expected; a defect here must not cost the user an answer
            log.error("LLM prose failed verification: %s", exc)
            answer = _fallback(base, "The language model's answer failed the citation check; "
                                     "the passages are quoted instead.")
    answer.trace.append(trace)
    return answer


def _fallback(base: Answer, *notices: str) -> Answer:
    return replace(base, notices=[*base.notices, *notices], trace=list(base.trace))


def _prose_answer(base: Answer, kept: list[SentenceCheck], passages: list[Passage], regime_line: str,
                  notices: list[str]) -> Answer:
    """Sources renumbered in order of first citation; each gets a verbatim quote matching the prose citing it."""
    order = list(dict.fromkeys(n for c in kept for n in c.cited))
    number = {old: new for new, old in enumerate(order, start=1)}
    paragraphs: dict[int, list[str]] = {}
    for c in kept:
        paragraphs.setdefault(c.paragraph, []).append(renumber_markers(c.sentence, number))
    prose = "\n\n".join(" ".join(sentences) for sentences in paragraphs.values())
    citations: list[Citation] = []
    statements: list[Statement] = []
    for old in order:
        passage = passages[old - 1]
        quote = best_quote(passage, " ".join(c.claim for c in kept if old in c.cited))
        citation = Citation.of(number[old], passage)
        citation.quotes.append(quote)
        citations.append(citation)
        statements.append(Statement(quote=quote, n=number[old], lead=f"{passage.citation}:"))
    return replace(base, text="\n\n".join(part for part in (prose, regime_line) if part), statements=statements,
                   citations=citations, lead=_opening(paragraphs), notices=[*base.notices, *notices],
                   trace=list(base.trace))


def _opening(paragraphs: dict[int, list[str]]) -> str:
    """The checked prose's first sentences, as many as fit the lead."""
    lead: list[str] = []
    for sentence in next(iter(paragraphs.values()), []):
        if len(" ".join([*lead, sentence]).split()) > LEAD_WORDS:
            break
        lead.append(sentence)
    return " ".join(lead)


def rewrite_as_prose(library: Any, ctx: Any) -> Iterator[str]:
    """The pipeline's `write_prose` step when an LLM is configured: draft pieces out, checked answer into ctx."""
    # A quote may be cited to a subsection that is not itself a hit (see `Retriever.most_specific`).
    hits = {h.passage.passage_id: h.passage for h in ctx.result.hits}
    passages = [hits.get(c.passage_id) or library.index.by_id[c.passage_id] for c in ctx.answer.citations]
    ctx.answer = yield from checked_prose(library, ctx.answer, passages, ctx.regime_line,
                                          [h.passage for h in ctx.result.hits])
