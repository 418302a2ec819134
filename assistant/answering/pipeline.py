"""The answer path: a short pipeline of small steps over one context object.

resolve follow-up → decide regime → route → retrieve → compose → write prose (only with an LLM
configured) → verify. Any step may stop the run with a reasoned outcome (a refusal); the sequence is
visible in `STEPS`. A step may return an iterator of partial answer text, which `iter_pipeline`
passes on to a streaming caller.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.answer import REFUSAL, Answer, Citation, compose_extractive, verify
from assistant.regime import BOTH, RULE_PASSAGES, Regime, asks_which_regime, decide_regime
from assistant.retrieve import SearchFilters, SearchResult
from assistant.scope import about_elsewhere, in_domain
from ingest.document import ACCESS_LEVELS

CALIBRATION = Path(__file__).with_name("calibration.json")
RELATED = 3
ANSWER_PASSAGES = 4
_FOLLOW_UP = re.compile(
    r"^(and|what about|how about|what if|same for|also|but|then|so)\b|\b(that|this|it|they|them|those|these|such)\b",
    re.I)


def refusal_floors() -> tuple[float, float]:
    """Similarity floors below which a question is outside the corpus (see evals/calibrate.py):
    one for every question, a higher one for questions with none of the domain's words."""
    try:
        data = json.loads(CALIBRATION.read_text())
        return float(data["refusal_similarity"]), float(data["refusal_similarity_out_of_domain"])
    except (FileNotFoundError, KeyError, ValueError) as exc:
        raise RuntimeError(f"{CALIBRATION}: refusal floors missing; run `python -m evals.calibrate`") from exc


def should_refuse(question: str, result: SearchResult) -> bool:
    if not result.hits:
        return True
    if any("reference" in h.how for h in result.hits):
        return False
    if outside_corpus(result) and not any(r.doc_id for r in result.references):
        return True
    if about_elsewhere(question):
        return True
    low, out_of_domain = refusal_floors()
    return result.best_similarity < low or (not in_domain(question) and result.best_similarity < out_of_domain)


@dataclass
class Turn:
    question: str
    resolved_question: str
    answer: Answer


@dataclass
class Conversation:
    turns: list[Turn] = field(default_factory=list)

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    def to_dict(self) -> dict[str, Any]:
        return {"turns": [{"question": t.question, "resolved_question": t.resolved_question,
                           "answer": t.answer.to_dict()} for t in self.turns]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Conversation:
        return cls([Turn(t["question"], t.get("resolved_question", t["question"]), Answer.from_dict(t["answer"]))
                    for t in data.get("turns", [])])


@dataclass
class Context:
    question: str
    conversation: Conversation
    setting_regime: str = "auto"
    as_at: str | None = None
    kinds: tuple[str, ...] = ()
    access: tuple[str, ...] = ACCESS_LEVELS
    resolved_question: str = ""
    carried_over: str = ""
    regime: Regime | None = None
    route: str = "answer"
    result: SearchResult | None = None
    answer: Answer | None = None
    regime_line: str = ""
    timings_ms: dict[str, float] = field(default_factory=dict)


def resolve_follow_up(library: Any, ctx: Context) -> None:
    """A short question that leans on the previous turn is read together with it."""
    last = ctx.conversation.last
    words = ctx.question.split()
    if last is not None and len(words) <= 10 and _FOLLOW_UP.search(ctx.question):
        ctx.resolved_question = f"{ctx.question} ({last.resolved_question})"
        ctx.carried_over = f"Read as a follow-up to: “{last.resolved_question}”"
    else:
        ctx.resolved_question = ctx.question


def choose_regime(library: Any, ctx: Context) -> None:
    ctx.regime = decide_regime(ctx.resolved_question, ctx.setting_regime, ctx.as_at)


def route(library: Any, ctx: Context) -> None:
    from assistant.advisor.engine import wants_advice

    ctx.route = "advisor" if wants_advice(ctx.resolved_question) else "answer"


def retrieve(library: Any, ctx: Context) -> None:
    assert ctx.regime is not None
    filters = SearchFilters(kinds=ctx.kinds, access=ctx.access, regime=ctx.regime.name)
    default_doc = {"PA 2023": "ukpga-2023-54", "PCR 2015": "uksi-2015-102"}.get(ctx.regime.name)
    pinned = RULE_PASSAGES if asks_which_regime(ctx.resolved_question) else ()
    ctx.result = library.retriever.retrieve(ctx.resolved_question, k=10, filters=filters, default_doc=default_doc,
                                            pinned=pinned)


def outside_corpus(result: SearchResult) -> list[str]:
    """Instruments the question names that are not indexed ("PCD 1430", "the Data Protection Act 2018")."""
    return list(dict.fromkeys(r.instrument for r in result.references if r.resolution == "outside-corpus" and r.instrument))


def compose(library: Any, ctx: Context) -> None:
    assert ctx.result is not None and ctx.regime is not None
    hits = ctx.result.hits
    explicit = [h for h in hits if "reference" in h.how]
    if ctx.route == "advisor":
        from assistant.advisor.engine import advise_from_question

        ctx.answer = advise_from_question(library, ctx)
        if ctx.answer is not None:
            return
    if should_refuse(ctx.resolved_question, ctx.result):
        related = [Citation.of(i, h.passage) for i, h in enumerate(hits[:RELATED], start=1)]
        ctx.answer = Answer(question=ctx.question, resolved_question=ctx.resolved_question,
                            regime=ctx.regime.to_dict(), text=REFUSAL, statements=[], citations=[],
                            refused=True, related=related, route="refuse", carried_over=ctx.carried_over,
                            notices=[f"{name} is not among the indexed documents." for name in outside_corpus(ctx.result)])
        return
    chosen = [h.passage for h in (explicit or hits[:ANSWER_PASSAGES])]
    filters = SearchFilters(kinds=ctx.kinds, access=ctx.access, regime=ctx.regime.name)
    definition = next((p for p in library.retriever.defining(ctx.resolved_question, filters) if p not in chosen), None)
    if definition is not None:  # the question hinges on a defined term: its definition is a source too
        chosen = chosen[:ANSWER_PASSAGES - 1] + [definition]
    ctx.regime_line = regime_line(ctx.regime, chosen)
    text, statements, citations = compose_extractive(ctx.resolved_question, chosen, ctx.regime_line,
                                                     most_specific=library.retriever.most_specific)
    ctx.answer = Answer(question=ctx.question, resolved_question=ctx.resolved_question, regime=ctx.regime.to_dict(),
                        text=text, statements=statements, citations=citations, refused=False,
                        route=ctx.route, carried_over=ctx.carried_over)


def check(library: Any, ctx: Context) -> None:
    assert ctx.answer is not None
    verify(ctx.answer)


def write_prose(library: Any, ctx: Context) -> Iterator[str] | None:
    """With CGA_LLM set, rewrite the quoted answer as checked prose; the quotes remain the fallback.

    Returns the model's growing draft (see `assistant.llm`), or None when there is nothing to rewrite.
    """
    answer = ctx.answer
    if library.settings.llm == "none" or answer is None or answer.refused or answer.route == "advisor":
        return None
    from assistant.llm import rewrite_as_prose

    return rewrite_as_prose(library, ctx)


STEPS: tuple[Callable[[Any, Context], Iterator[str] | None], ...] = (
    resolve_follow_up, choose_regime, route, retrieve, compose, write_prose, check)


def regime_line(regime: Regime, passages: list[Any]) -> str:
    """The closing line of every answer: the regime, why, and the date of each text quoted."""
    dates = sorted({f"{p.doc_short} as at {p.version_date or 'undated'}" for p in passages})
    return f"Regime: {regime.label} — {regime.reason}. Texts: {'; '.join(dates)}."


def iter_pipeline(library: Any, question: str, conversation: Conversation | None = None,
                  as_at: str | None = None, regime: str = "auto", kinds: tuple[str, ...] = (),
                  access: tuple[str, ...] = ACCESS_LEVELS) -> Iterator[str | Context]:
    """Run every step, passing on any partial answer text a step streams; the last item is the context."""
    conversation = conversation if conversation is not None else Conversation()
    ctx = Context(question=question.strip(), conversation=conversation, setting_regime=regime or "auto",
                  as_at=as_at or None, kinds=tuple(kinds), access=tuple(access))
    for step in STEPS:
        started = time.perf_counter()
        partial = step(library, ctx)
        if partial is not None:
            yield from partial
        ctx.timings_ms[step.__name__] = round((time.perf_counter() - started) * 1000, 1)
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


__all__ = ["answer_question", "Conversation", "BOTH", "STEPS"]
