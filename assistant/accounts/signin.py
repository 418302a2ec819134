"""Signing in, for the chat and the JSON API alike: the password check, and backoff after repeated failures.

After `failures_allowed` wrong passwords in a row for one name, or from one address, that name or
address must wait `backoff_seconds` before its next attempt is heard, and the wait doubles with
each further failure, up to an hour. A waiting attempt is refused before any password is checked,
so guessing costs the server nothing; names that do not exist back off like real ones, so backoff
does not tell which names exist either. A success clears the name's count but not the address's,
so one valid account cannot reset an address between guesses at others. Each failed password is a
line in the audit log. Counts are forgotten after an hour without failures, and kept in memory
only: a restart forgets them.

From an event loop, `check_async` runs the scrypt on a small pool of its own, so a flood of
sign-ins neither stalls the loop nor takes the worker threads every other request needs.
"""

from __future__ import annotations

import asyncio
import math
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from assistant.accounts.audit import AuditLog
from assistant.accounts.users import User, Users

MAX_WAIT_SECONDS = 3600.0
# scrypt takes a core for tens of milliseconds (and 16 MB): half the cores check passwords, the rest serve.
CHECKS_AT_ONCE = max(1, (os.cpu_count() or 2) // 2)
# Names and addresses tracked at once: a flood of made-up names cannot grow this without bound.
MAX_TRACKED = 50_000


class SignInRefused(Exception):
    """Too many failed attempts for this name or from this address: try again after `retry_after` seconds."""

    def __init__(self, retry_after: float) -> None:
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"too many failed sign-ins for this name or from this address; "
                         f"try again in {self.retry_after} s")


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0  # time.monotonic() of the latest failure


class SignIn:
    def __init__(self, users: Users, audit: AuditLog, failures_allowed: int, backoff_seconds: float) -> None:
        self.users = users
        self.audit = audit
        self.failures_allowed = failures_allowed
        self.backoff_seconds = backoff_seconds
        self._failures: dict[tuple[str, str], _Failures] = {}
        self._lock = threading.Lock()
        self._checks = ThreadPoolExecutor(CHECKS_AT_ONCE, thread_name_prefix="sign-in")

    async def check_async(self, name: str, password: str, address: str, via: str) -> User | None:
        """`check`, awaited: refused at once while backing off, else checked on the sign-in pool."""
        self._refuse_while_waiting(name, address)
        return await asyncio.get_running_loop().run_in_executor(self._checks, self.check, name, password, address,
                                                                via)

    def check(self, name: str, password: str, address: str, via: str) -> User | None:
        """The user when the password is right, None when it is wrong; SignInRefused while backing off."""
        keys = self._refuse_while_waiting(name, address)
        user = self.users.authenticate(name, password)
        with self._lock:
            if user is not None:
                self._failures.pop(("name", name), None)
                return user
            count, wait = self._failed(keys)
        self.audit.record_sign_in("sign-in backoff" if wait > 0 else "sign-in failed", name, address, via, count,
                                  math.ceil(wait))
        return None

    def _refuse_while_waiting(self, name: str, address: str) -> tuple[tuple[str, str], ...]:
        """The name's and the address's keys; SignInRefused if either must still wait."""
        keys = (("name", name), ("address", address))
        with self._lock:
            wait = max(self._wait(key) for key in keys)
        if wait > 0:
            raise SignInRefused(wait)
        return keys

    def _wait(self, key: tuple[str, str]) -> float:
        """Seconds until `key` may try again (0: now)."""
        failures = self._failures.get(key)
        if failures is None or failures.count < self.failures_allowed:
            return 0.0
        wait = min(MAX_WAIT_SECONDS, self.backoff_seconds * 2 ** (failures.count - self.failures_allowed))
        return max(0.0, failures.last + wait - time.monotonic())

    def _failed(self, keys: tuple[tuple[str, str], ...]) -> tuple[int, float]:
        """Count a failure for each key → (the higher count, the wait it now imposes)."""
        now = time.monotonic()
        if len(self._failures) >= MAX_TRACKED:
            self._forget(now)
        for key in keys:
            failures = self._failures.setdefault(key, _Failures())
            if now - failures.last > MAX_WAIT_SECONDS:
                failures.count = 0  # an hour without failures: start again
            failures.count += 1
            failures.last = now
        return max(self._failures[key].count for key in keys), max(self._wait(key) for key in keys)

    def _forget(self, now: float) -> None:
        """Drop counts idle for an hour; if that is not enough, the older half."""
        stale = [key for key, f in self._failures.items() if now - f.last > MAX_WAIT_SECONDS]
        for key in stale:
            del self._failures[key]
        if len(self._failures) >= MAX_TRACKED:
            oldest = sorted(self._failures, key=lambda key: self._failures[key].last)[: len(self._failures) // 2]
            for key in oldest:
                del self._failures[key]
