"""The state one question carries through the answer pipeline's steps, and what the steps read.

It lives apart from the pipeline because the advisor and LLM steps read it too, and the pipeline
imports them: imports run one way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from assistant.answering.records import Answer, Conversation
from assistant.answering.regime import Regime
from assistant.answering.retrieve import Retriever, SearchResult
from assistant.answering.verify import verify
from assistant.config import Settings
from ingest.document import ACCESS_LEVELS
from ingest.references import ReferenceFinder
from ingest.store import Index


class Sources(Protocol):
    """What the steps need: one index version and the parts built on it, fixed for the whole question."""

    settings: Settings
    index: Index
    retriever: Retriever
    finder: ReferenceFinder
    embeddings: Any


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
    stopped: bool = False
    timings_ms: dict[str, float] = field(default_factory=dict)

    def stop(self, answer: Answer) -> None:
        """End the run with this answer (a refusal, the advisor's decision); it is verified here, as
        the steps it skips would have."""
        verify(answer)
        self.answer = answer
        self.stopped = True
