"""Feedback on answers (helpful or not, with an optional comment), kept in SQLite in the data dir.

Each record keeps the question, the answer text and the cited passages as they were shown, so a
reviewer can judge the feedback without re-running the question against a later index.
"""

from __future__ import annotations

import csv
import io
import json
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from assistant.answering.records import Answer

MAX_COMMENT_CHARS = 2000
CSV_COLUMNS = ("id", "created", "user", "helpful", "comment", "question", "answer", "citations", "refused",
               "route", "index_version")


def feedback_path(data_dir: Path) -> Path:
    return data_dir / "feedback.sqlite"


@dataclass
class Feedback:
    helpful: bool
    question: str
    answer: str
    citations: list[dict[str, str]]
    comment: str = ""
    user: str = ""
    refused: bool = False
    route: str = ""
    index_version: str = ""
    created: str = field(default_factory=lambda: time.strftime("%Y-%m-%dT%H:%M:%S"))
    id: int | None = None

    @classmethod
    def on(cls, answer: Answer, helpful: bool, comment: str = "", user: str = "", index_version: str = "") -> Feedback:
        comment = comment.strip()
        if len(comment) > MAX_COMMENT_CHARS:
            raise ValueError(f"comment: {len(comment)} characters; at most {MAX_COMMENT_CHARS}")
        cited = answer.citations or answer.related
        citations = [{"n": str(c.n), "citation": c.citation, "passage_id": c.passage_id,
                      "version_date": c.version_date} for c in cited]
        return cls(helpful=helpful, question=answer.question, answer=answer.text, citations=citations,
                   comment=comment, user=user, refused=answer.refused, route=answer.route,
                   index_version=index_version)

    def csv_row(self) -> dict[str, Any]:
        row = {"id": self.id, "created": self.created, "user": self.user,
                "helpful": "yes" if self.helpful else "no", "comment": self.comment, "question": self.question,
                "answer": self.answer,
                "citations": "; ".join(f"[{c['n']}] {c['citation']} (as at {c['version_date']})"
                                       for c in self.citations),
                "refused": "yes" if self.refused else "no", "route": self.route,
                "index_version": self.index_version}
        return {k: _inert_cell(v) for k, v in row.items()}


_FORMULA_START = ("=", "+", "-", "@")


def _inert_cell(value: Any) -> Any:
    """A cell a spreadsheet will not run as a formula: comments are typed by anyone who can reach the UI."""
    if isinstance(value, str) and _formula_like(value):
        return "'" + value
    return value


def _formula_like(text: str) -> bool:
    """Starts with = + - @ (or a tab or carriage return), also behind invisible characters (U+200B, a
    byte-order mark, spaces) or in another form that NFKC folds to them (full-width ＝＋－＠, small ﹦)."""
    if text.startswith(("\t", "\r")):
        return True
    visible = next((c for c in text if not (c.isspace() or unicodedata.category(c) in ("Cf", "Cc", "Zs"))), "")
    return unicodedata.normalize("NFKC", visible).startswith(_FORMULA_START)


class FeedbackStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._db = sqlite3.connect(path, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL, "
                "user TEXT NOT NULL, helpful INTEGER NOT NULL, comment TEXT NOT NULL, question TEXT NOT NULL, "
                "answer TEXT NOT NULL, citations TEXT NOT NULL, refused INTEGER NOT NULL, route TEXT NOT NULL, "
                "index_version TEXT NOT NULL)")

    def add(self, item: Feedback) -> Feedback:
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO feedback (created, user, helpful, comment, question, answer, citations, refused, route, "
                "index_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (item.created, item.user, int(item.helpful), item.comment, item.question, item.answer,
                 json.dumps(item.citations, ensure_ascii=False), int(item.refused), item.route, item.index_version))
        item.id = cursor.lastrowid
        return item

    def all(self) -> list[Feedback]:
        with self._lock:
            rows = self._db.execute(
                "SELECT id, created, user, helpful, comment, question, answer, citations, refused, route, "
                "index_version FROM feedback ORDER BY id").fetchall()
        return [Feedback(id=r[0], created=r[1], user=r[2], helpful=bool(r[3]), comment=r[4], question=r[5],
                         answer=r[6], citations=json.loads(r[7]), refused=bool(r[8]), route=r[9],
                         index_version=r[10]) for r in rows]

    def to_csv(self) -> str:
        out = io.StringIO()
        writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for item in self.all():
            writer.writerow(item.csv_row())
        return out.getvalue()

    def close(self) -> None:
        self._db.close()
