"""The audit log: who asked what, which passages and documents the answer cited, and failed sign-ins.

One JSON object per line in DATA_DIR/audit.jsonl, appended by every ask path (chat UI, JSON API,
`cga ask`), and by every failed sign-in (a line with an "event"; see `assistant.accounts.signin`).
Lines older than the retention period (CGA_AUDIT_RETENTION_DAYS; 0 keeps them all) are pruned
when a line is written, at most once a day. Several server processes may share the data directory,
so appending and pruning happen under one file lock, and pruning rewrites the file beside itself
and renames it into place.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from assistant.answering.records import Answer

VIA = ("ui", "api", "cli")
LOCAL_USER = "local user"  # who asks when no users file is configured (full access)


@dataclass(frozen=True)
class Asker:
    """Who asked, and through which door: a signed-in user, the single local user, or the CLI's operator."""

    user: str
    role: str
    via: str

    def __post_init__(self) -> None:
        if self.via not in VIA:
            raise ValueError(f"via is {self.via!r}; expected one of {', '.join(VIA)}")


@dataclass(frozen=True)
class AuditRecord:
    time: str  # ISO 8601, UTC
    user: str
    role: str
    via: str
    question: str
    refused: bool
    route: str
    passage_ids: list[str]  # the passages the answer cites
    doc_ids: list[str]
    related_ids: list[str] = field(default_factory=list)  # the closest passages shown with a refusal
    index_version: str = ""

    @classmethod
    def of(cls, answer: Answer, asker: Asker, when: datetime, index_version: str) -> AuditRecord:
        cited = [c.passage_id for c in answer.citations]
        return cls(time=when.astimezone(timezone.utc).isoformat(timespec="seconds"), user=asker.user,
                   role=asker.role, via=asker.via, question=answer.question, refused=answer.refused,
                   route=answer.route, passage_ids=cited,
                   doc_ids=list(dict.fromkeys(c.doc_id for c in answer.citations)),
                   related_ids=[c.passage_id for c in answer.related], index_version=index_version)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> AuditRecord:
        return cls(**data)


SIGN_IN_EVENTS = ("sign-in failed", "sign-in backoff")  # a wrong password; one that starts or lengthens a wait


@dataclass(frozen=True)
class SignInRecord:
    time: str  # ISO 8601, UTC
    event: str
    user: str  # the name tried, known or not
    address: str
    via: str
    failures: int  # wrong passwords in a row for this name or address, whichever is more
    retry_after: int  # seconds until the next attempt is heard (0: no wait)

    def __post_init__(self) -> None:
        if self.event not in SIGN_IN_EVENTS:
            raise ValueError(f"event is {self.event!r}; expected one of {', '.join(SIGN_IN_EVENTS)}")


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class AuditLog:
    def __init__(self, path: Path, retention_days: int, clock: Callable[[], datetime] = _utc_now) -> None:
        self.path = path
        self.retention_days = retention_days
        self.clock = clock
        self._lock_path = path.with_name(path.name + ".lock")
        self._marker = path.with_name(path.name + ".pruned")  # the day of the last pruning

    def record(self, answer: Answer, asker: Asker, index_version: str = "") -> AuditRecord:
        now = self.clock()
        entry = AuditRecord.of(answer, asker, now, index_version)
        self._append(entry.to_dict(), now)
        return entry

    def record_sign_in(self, event: str, user: str, address: str, via: str, failures: int,
                       retry_after: int) -> SignInRecord:
        now = self.clock()
        entry = SignInRecord(now.astimezone(timezone.utc).isoformat(timespec="seconds"), event, user, address, via,
                             failures, retry_after)
        self._append(asdict(entry), now)
        return entry

    def read(self) -> list[AuditRecord]:
        """The answers' lines (sign-in lines are left out)."""
        if not self.path.exists():
            return []
        with self.path.open(encoding="utf-8") as fh:
            lines = [json.loads(line) for line in fh if line.strip()]
        return [AuditRecord.from_dict(line) for line in lines if "event" not in line]

    def _append(self, data: dict[str, Any], now: datetime) -> None:
        line = json.dumps(data, ensure_ascii=False) + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked():
            self._prune_if_due(now)
            with self.path.open("a", encoding="utf-8") as fh:
                fh.write(line)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _prune_if_due(self, now: datetime) -> None:
        today = now.astimezone(timezone.utc).date().isoformat()
        if self.retention_days == 0 or not self.path.exists() or self._last_pruned() == today:
            return
        cutoff = now - timedelta(days=self.retention_days)
        with self.path.open(encoding="utf-8") as fh:
            kept = [line for line in fh if line.strip() and not _older(line, cutoff)]
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.writelines(kept)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.path)
        self._marker.write_text(today)

    def _last_pruned(self) -> str:
        try:
            return self._marker.read_text().strip()
        except FileNotFoundError:
            return ""


def _older(line: str, cutoff: datetime) -> bool:
    """True for a line written before the cutoff; a line that cannot be read is kept, never dropped."""
    try:
        return datetime.fromisoformat(json.loads(line)["time"]) < cutoff
    except (ValueError, KeyError, TypeError):
        return False
