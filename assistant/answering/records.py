"""What an answer is, as every way out (CLI, API, UI, export, audit) sees it: JSON-serialisable records."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from ingest.passage import Passage

REFUSAL = "The indexed documents do not answer this."


@dataclass
class Citation:
    n: int
    passage_id: str
    citation: str
    doc_id: str
    doc_short: str
    provision: str
    heading_path: list[str]
    version_date: str
    source_url: str
    text: str
    kind: str
    quotes: list[str] = field(default_factory=list)
    references: list[str] = field(default_factory=list)
    addressed_to_model: bool = False  # see `Passage.addressed_to_model`: shown with a warning

    @property
    def dated(self) -> str:
        """How the date of the text is shown: "text as at 2019-04-18", or "date not stated"."""
        return f"text as at {self.version_date}" if self.version_date[:4].isdigit() else "date not stated"

    @classmethod
    def of(cls, n: int, passage: Passage) -> Citation:
        return cls(n=n, passage_id=passage.passage_id, citation=passage.citation, doc_id=passage.doc_id,
                   doc_short=passage.doc_short, provision=passage.provision, heading_path=list(passage.heading_path),
                   version_date=passage.version_date or "date not stated", source_url=passage.source_url,
                   text=passage.text, kind=passage.kind, references=list(passage.references),
                   addressed_to_model=passage.addressed_to_model)


@dataclass
class Statement:
    quote: str
    n: int
    lead: str = ""

    def render(self) -> str:
        lead = f"{self.lead} " if self.lead else ""
        return f"{lead}“{self.quote}” [{self.n}]"


@dataclass
class Answer:
    question: str
    resolved_question: str
    regime: dict[str, str]
    text: str
    statements: list[Statement]
    citations: list[Citation]
    refused: bool
    related: list[Citation] = field(default_factory=list)  # a refusal's closest passages, which do not answer
    refusal_reason: str = ""
    lead: str = ""  # the short answer shown first: at most 70 words (120 for the advisor), with [n] markers
    notices: list[str] = field(default_factory=list)
    route: str = "answer"
    carried_over: str = ""
    trace: list[dict[str, Any]] = field(default_factory=list)
    timings_ms: dict[str, float] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        data = dict(data)
        data["statements"] = [Statement(**s) for s in data.get("statements", [])]
        data["citations"] = [Citation(**c) for c in data.get("citations", [])]
        data["related"] = [Citation(**c) for c in data.get("related", [])]
        return cls(**data)


class VerificationError(ValueError):
    pass


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
