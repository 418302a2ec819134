"""Is the text we quote the text in force on the date that matters?

Our copies are dated (PCR 2015 as at 2019). When an amending instrument we hold changes a quoted
provision on or before the date the question needs (the procurement's start, else today), its
amending words are quoted beside the old text and the answer says which figure replaced which.
When nothing we hold brings an old copy up to date, the answer says so instead of presenting
the old words as current.
"""

from __future__ import annotations

from datetime import date, timedelta

from assistant.answering.records import Citation
from ingest.amendments import Amendment, in_force_on
from ingest.passage import Passage
from ingest.store import Index

# A copy older than this before the date needed may have been amended since.
STALE_AFTER = timedelta(days=365)


def amendments_in_force(index: Index, passages: list[Passage], day: str) -> dict[str, list[Amendment]]:
    """For each passage, the amendments we hold that are in force on `day` within its provision."""
    found = {}
    for p in passages:
        if amendments := in_force_on(index.amendments, p.doc_id, p.provision_ref, day):
            found[p.passage_id] = amendments
    return found


def amending_passages(amended: dict[str, list[Amendment]], index: Index) -> list[Passage]:
    """The passages holding the amending words, once each, in the order of the passages they amend."""
    found = [index.by_id[a.by_passage] for amendments in amended.values() for a in amendments
             if a.by_passage in index.by_id]
    return list(dict.fromkeys(found))


def currency_notices(citations: list[Citation], amended: dict[str, list[Amendment]], index: Index, day: str) -> list[str]:
    """What the reader must know about the date of the texts quoted."""
    notices = []
    cited_amendments = [a for p in amended.values() for a in p]
    for a in cited_amendments:
        notices.append(f"{a.by_citation} amends {_short(index, a.doc_id)} {a.provision} from {a.in_force}: "
                       f"“{a.new}” replaces “{a.old}”.")
    needed = date.fromisoformat(day)
    stale = set()
    for c in citations:
        if c.kind != "legislation" or not c.version_date[:4].isdigit():
            continue
        covered = any(a.doc_id == c.doc_id for a in cited_amendments)
        if date.fromisoformat(c.version_date) + STALE_AFTER < needed and not covered and c.doc_short not in stale:
            stale.add(c.doc_short)
            notices.append(f"Our copy of {c.doc_short} is the text as at {c.version_date}; it may have been amended "
                           f"since, and the question needs the law on {day}.")
    return notices


def _short(index: Index, doc_id: str) -> str:
    return next((d.short for d in index.documents if d.doc_id == doc_id), doc_id)
