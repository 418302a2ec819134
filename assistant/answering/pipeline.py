"""The answer path: a short pipeline of small steps over one context object.

resolve follow-up → decide regime → route (the advisor may answer and stop here) → retrieve →
refuse (stops when the documents do not answer) → compose → write prose (only with an LLM
configured) → verify. A step ends the run early with `ctx.stop(answer)`; the sequence is visible in
`STEPS`. A step may return an iterator of partial answer text, which `iter_pipeline` passes on to a
streaming caller. Every step reads one snapshot of the index (`Sources`), so a question never spans
two index versions.
"""

from __future__ import annotations

import re
import time
from datetime import date
from collections.abc import Callable, Iterator
from typing import Any

from assistant.advisor.engine import advise_from_question, wants_advice
from assistant.answering.compose import compose_extractive
from assistant.answering.currency import amending_passages, amendments_in_force, currency_notices
from assistant.answering.context import Context, Sources
from assistant.answering.records import REFUSAL, Answer, Citation, Conversation, Turn
from assistant.answering.refusal import beyond_any_document, outside_corpus, refusal_reason
from assistant.answering.regime import (
    RULE_PASSAGES,
    asks_which_regime,
    decide_regime,
    event_date,
    named_regime,
    regime_line,
)
from assistant.answering.retrieve import SearchFilters
from assistant.answering.verify import verify
from assistant.llm.prose import rewrite_as_prose
from ingest.document import ACCESS_LEVELS

RELATED = 3
ANSWER_PASSAGES = 4
_FOLLOW_UP_OPENING = re.compile(r"\s*(and|what about|how about|what if|same for|also|but|then|so|in that case)\b", re.I)
_FOLLOW_UP = re.compile(r"\b(that|this|it|they|them|those|these|such)\b", re.I)


def resolve_follow_up(library: Sources, ctx: Context) -> None:
    """A question that leans on the previous turn is read together with it: one opening with "and",
    "what about", "what if" …, or a short one pointing back ("does that apply to them?")."""
    last = ctx.conversation.last
    words = ctx.question.split()
    opens = _FOLLOW_UP_OPENING.match(ctx.question)
    if last is not None and (opens or (len(words) <= 10 and _FOLLOW_UP.search(ctx.question))):
        ctx.resolved_question = f"{ctx.question} ({last.resolved_question})"
        ctx.carried_over = f"Read as a follow-up to: “{last.resolved_question}”"
    else:
        ctx.resolved_question = ctx.question


def choose_regime(library: Sources, ctx: Context) -> None:
    """A follow-up that names a regime or dates the procurement ("And under PCR 2015?") decides it
    by its own words; otherwise the earlier question's facts carry over."""
    own_words = named_regime(ctx.question) is not None or event_date(ctx.question) is not None
    ctx.regime = decide_regime(ctx.question if own_words else ctx.resolved_question, ctx.setting_regime, ctx.as_at)


def route(library: Sources, ctx: Context) -> None:
    """A purchase to decide goes to the advisor, which needs no search; a question it cannot settle
    goes on as an ordinary question."""
    # A question no document could answer (case law, another jurisdiction's thresholds) is refused
    # by `refuse`, however much it sounds like a purchase to decide.
    if not wants_advice(ctx.resolved_question) or beyond_any_document(ctx.resolved_question):
        return
    ctx.route = "advisor"
    if (answer := advise_from_question(library, ctx)) is not None:
        ctx.stop(answer)


def retrieve(library: Sources, ctx: Context) -> None:
    assert ctx.regime is not None
    filters = SearchFilters(kinds=ctx.kinds, access=ctx.access, regime=ctx.regime.name)
    default_doc = {"PA 2023": "ukpga-2023-54", "PCR 2015": "uksi-2015-102"}.get(ctx.regime.name)
    pinned = RULE_PASSAGES if asks_which_regime(ctx.resolved_question) else ()
    ctx.result = library.retriever.retrieve(ctx.resolved_question, k=10, filters=filters, default_doc=default_doc,
                                            pinned=pinned)


def refuse(library: Sources, ctx: Context) -> None:
    """Stop with a refusal, its reason and the closest passages when the documents do not answer."""
    assert ctx.result is not None and ctx.regime is not None
    reason = refusal_reason(ctx.resolved_question, ctx.result, library.index)
    if not reason:
        return
    related = [Citation.of(i, h.passage) for i, h in enumerate(ctx.result.hits[:RELATED], start=1)]
    ctx.stop(Answer(question=ctx.question, resolved_question=ctx.resolved_question,
                    regime=ctx.regime.to_dict(), text=f"{REFUSAL} {reason[0].upper()}{reason[1:]}.", statements=[],
                    citations=[], refused=True, related=related, route="refuse", carried_over=ctx.carried_over,
                    refusal_reason=reason,
                    notices=[f"{name} is not among the indexed documents." for name in outside_corpus(ctx.result)]))


def compose(library: Sources, ctx: Context) -> None:
    assert ctx.result is not None and ctx.regime is not None
    explicit = [h for h in ctx.result.hits if "reference" in h.how]
    chosen = [h.passage for h in (explicit or ctx.result.hits[:ANSWER_PASSAGES])]
    filters = SearchFilters(kinds=ctx.kinds, access=ctx.access, regime=ctx.regime.name)
    definition = next((p for p in library.retriever.defining(ctx.resolved_question, filters) if p not in chosen), None)
    if definition is not None:  # the question hinges on a defined term: its definition is a source too
        chosen = chosen[:ANSWER_PASSAGES - 1] + [definition]
    day = ctx.regime.as_at or ctx.as_at or date.today().isoformat()
    amended = amendments_in_force(library.index, chosen, day)
    amending = [p for p in amending_passages(amended, library.index) if p not in chosen]
    chosen += amending
    # The regime matters to procurement questions only, not to policing governance or equality ones.
    procurement = asks_which_regime(ctx.resolved_question) or any(
        library.retriever.documents[p.doc_id].regime for p in chosen if p.doc_id in library.retriever.documents)
    ctx.regime_line = regime_line(ctx.regime, chosen) if procurement else ""
    asked = library.retriever.without_names(ctx.resolved_question)
    text, statements, citations, lead = compose_extractive(
        asked, chosen, ctx.regime_line, most_specific=library.retriever.most_specific,
        qualifying=lambda passage: library.retriever.qualifying(passage, ctx.access),
        closeness=library.retriever.closeness(asked, chosen), kept=amending)
    ctx.answer = Answer(question=ctx.question, resolved_question=ctx.resolved_question,
                        regime=ctx.regime.to_dict() if procurement else {},
                        text=text, statements=statements, citations=citations, refused=False,
                        route=ctx.route, carried_over=ctx.carried_over, lead=lead,
                        notices=currency_notices(citations, amended, library.index, day))


def check(library: Sources, ctx: Context) -> None:
    assert ctx.answer is not None
    verify(ctx.answer)


def write_prose(library: Sources, ctx: Context) -> Iterator[str] | None:
    """With CGA_LLM set, rewrite the quoted answer as checked prose; the quotes remain the fallback.

    Returns the model's growing draft (see `assistant.llm.prose`), or None when there is nothing to rewrite.
    """
    answer = ctx.answer
    if library.settings.llm == "none" or answer is None or answer.refused or answer.route == "advisor":
        return None
    return rewrite_as_prose(library, ctx)


STEPS: tuple[Callable[[Sources, Context], Iterator[str] | None], ...] = (
    resolve_follow_up, choose_regime, route, retrieve, refuse, compose, write_prose, check)


def iter_pipeline(library: Any, question: str, conversation: Conversation | None = None,
                  as_at: str | None = None, regime: str = "auto", kinds: tuple[str, ...] = (),
                  access: tuple[str, ...] = ACCESS_LEVELS) -> Iterator[str | Context]:
    """Run the steps until one stops the run, passing on any partial answer text a step streams; the
    last item is the context. `library` is a Library or one of its snapshots."""
    library = library.snapshot()
    conversation = conversation if conversation is not None else Conversation()
    ctx = Context(question=question.strip(), conversation=conversation, setting_regime=regime or "auto",
                  as_at=as_at or None, kinds=tuple(kinds), access=tuple(access))
    for step in STEPS:
        started = time.perf_counter()
        partial = step(library, ctx)
        if partial is not None:
            yield from partial
        ctx.timings_ms[step.__name__] = round((time.perf_counter() - started) * 1000, 1)
        if ctx.stopped:
            break
    assert ctx.answer is not None
    ctx.answer.timings_ms = ctx.timings_ms
    conversation.turns.append(Turn(ctx.question, ctx.resolved_question, ctx.answer))
    yield ctx


def run_pipeline(library: Any, question: str, **kwargs: Any) -> Context:
    """Run every step; the context keeps what each produced (the evals read the retrieval from it)."""
    *_, ctx = iter_pipeline(library, question, **kwargs)
    assert isinstance(ctx, Context)
    return ctx


def answer_question(library: Any, question: str, **kwargs: Any) -> Answer:
    answer = run_pipeline(library, question, **kwargs).answer
    assert answer is not None
    return answer


def stream_answer(library: Any, question: str, **kwargs: Any) -> Iterator[str | Answer]:
    """Answer a question for a streaming UI: draft text while the model writes, then the checked Answer.

    Items before the last are `str`, each the model's whole draft so far — unchecked, so show it as
    provisional and replace it. The last item is always the `Answer` (checked prose, or the quoted
    answer with a notice), which must replace the draft. Without an LLM configured, or when the
    question is refused or goes to the advisor, the Answer is the only item. `kwargs` are those of
    `Library.ask` (conversation, as_at, regime, kinds, access); the turn is added to the conversation.
    """
    for item in iter_pipeline(library, question, **kwargs):
        yield item.answer if isinstance(item, Context) else item
