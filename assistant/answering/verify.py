"""The check every answer passes, whoever composed it: quotes verbatim, markers and sources matched."""

from __future__ import annotations

import re

from assistant.answering.records import Answer, VerificationError
from ingest.textutil import normalise_space

_MARKER = re.compile(r"\[(\d+)\]")


def verify(answer: Answer) -> None:
    """Raise if any quote is not in its passage, any marker dangles, or any source is uncited."""
    by_n = {c.n: c for c in answer.citations}
    for s in answer.statements:
        if s.n not in by_n:
            raise VerificationError(f"statement cites [{s.n}], which is not a listed source")
        if normalise_space(s.quote) not in normalise_space(by_n[s.n].text):
            raise VerificationError(f"quote for [{s.n}] is not verbatim in {by_n[s.n].citation}")
    for quote, n in lead_quotes(answer.lead):
        cited = by_n.get(n)
        if cited is None or normalise_space(quote) not in normalise_space(cited.text):
            raise VerificationError(f"the lead's quote for [{n}] is not verbatim in its source")
    markers = {int(m) for m in _MARKER.findall(answer.text + " " + answer.lead)}
    if markers - set(by_n):
        raise VerificationError(f"answer text cites {sorted(markers - set(by_n))}, not listed")
    uncited = set(by_n) - markers - {s.n for s in answer.statements}
    if uncited:
        raise VerificationError(f"sources {sorted(uncited)} are listed but not cited")


def lead_quotes(lead: str) -> list[tuple[str, int]]:
    """(quote, n) for each quotation the lead cites: the outermost “…” before each [n] marker, so a
    quote that itself quotes a defined term (“The “standstill period” is …”) is checked whole."""
    found = []
    start = 0
    for marker in _MARKER.finditer(lead):
        segment = lead[start:marker.start()]
        start = marker.end()
        if "“" in segment and segment.rstrip().endswith("”"):
            found.append((segment[segment.index("“") + 1:segment.rstrip().rindex("”")], int(marker[1])))
    return found
