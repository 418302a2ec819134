"""The answer path: a short pipeline of small steps over one context object.

resolve follow-up → decide regime → route → retrieve → compose → verify. Any step may stop the
run with a reasoned outcome (a refusal); the sequence is visible in `STEPS`.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.answer import REFUSAL, Answer, Citation, compose_extractive, verify
from assistant.regime import BOTH, Regime, decide_regime
from assistant.retrieve import SearchFilters, SearchResult
from ingest.document import ACCESS_LEVELS

CALIBRATION = Path(__file__).with_name("calibration.json")
RELATED = 3
ANSWER_PASSAGES = 4
_FOLLOW_UP = re.compile(
    r"^(and|what about|how about|what if|same for|also|but|then|so)\b|\b(that|this|it|they|them|those|these|such)\b",
    re.I)


def refusal_threshold() -> float:
    """Best dense similarity below which a question is treated as outside the corpus (see evals/calibrate.py)."""
    try:
        return float(json.loads(CALIBRATION.read_text())["refusal_similarity"])
    except (FileNotFoundError, KeyError, ValueError):
        return 0.3


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
    ctx.result = library.retriever.retrieve(ctx.resolved_question, k=10, filters=filters, default_doc=default_doc)


def compose(library: Any, ctx: Context) -> None:
    assert ctx.result is not None and ctx.regime is not None
    hits = ctx.result.hits
    explicit = [h for h in hits if "reference" in h.how]
    regime_line = _regime_line(ctx.regime, [h.passage for h in hits[:ANSWER_PASSAGES]])
    if ctx.route == "advisor":
        from assistant.advisor.engine import advise_from_question

        ctx.answer = advise_from_question(library, ctx)
        if ctx.answer is not None:
            return
    if not hits or (not explicit and ctx.result.best_similarity < refusal_threshold()):
        related = [Citation.of(i, h.passage) for i, h in enumerate(hits[:RELATED], start=1)]
        ctx.answer = Answer(question=ctx.question, resolved_question=ctx.resolved_question,
                            regime=ctx.regime.to_dict(), text=REFUSAL, statements=[], citations=[],
                            refused=True, related=related, route="refuse", carried_over=ctx.carried_over)
        return
    chosen = explicit or [h for h in hits[:ANSWER_PASSAGES]]
    text, statements, citations = compose_extractive(ctx.resolved_question, [h.passage for h in chosen], regime_line)
    ctx.answer = Answer(question=ctx.question, resolved_question=ctx.resolved_question, regime=ctx.regime.to_dict(),
                        text=text, statements=statements, citations=citations, refused=False,
                        route=ctx.route, carried_over=ctx.carried_over)


def check(library: Any, ctx: Context) -> None:
    assert ctx.answer is not None
    verify(ctx.answer)


STEPS: tuple[Callable[[Any, Context], None], ...] = (resolve_follow_up, choose_regime, route, retrieve, compose, check)


def _regime_line(regime: Regime, passages: list[Any]) -> str:
    dates = sorted({f"{p.doc_short} as at {p.version_date or 'undated'}" for p in passages})
    return f"Regime: {regime.label} — {regime.reason}. Texts: {'; '.join(dates)}."


def run_pipeline(library: Any, question: str, conversation: Conversation | None = None,
                 as_at: str | None = None, regime: str = "auto", kinds: tuple[str, ...] = (),
                 access: tuple[str, ...] = ACCESS_LEVELS) -> Context:
    """Run every step; the context keeps what each produced (the evals read the retrieval from it)."""
    conversation = conversation if conversation is not None else Conversation()
    ctx = Context(question=question.strip(), conversation=conversation, setting_regime=regime or "auto",
                  as_at=as_at or None, kinds=tuple(kinds), access=tuple(access))
    for step in STEPS:
        started = time.perf_counter()
        step(library, ctx)
        ctx.timings_ms[step.__name__] = round((time.perf_counter() - started) * 1000, 1)
    assert ctx.answer is not None
    ctx.answer.timings_ms = ctx.timings_ms
    conversation.turns.append(Turn(ctx.question, ctx.resolved_question, ctx.answer))
    return ctx


def answer_question(library: Any, question: str, **kwargs: Any) -> Answer:
    answer = run_pipeline(library, question, **kwargs).answer
    assert answer is not None
    return answer


__all__ = ["answer_question", "Conversation", "BOTH", "STEPS"]
