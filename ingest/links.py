"""Links from the organisation's own papers to the passages they cite, made once at ingest.

PCD 1429 says "Section 3(6) of the 2011 Act provides …"; its Legal Comments ¶1 passage keeps the
passage id of PRSRA 2011 s.3(6) in `Passage.references`, so a source panel can open what the
paper cites. A paper is read as one text in passage order, so a short title it defines in one
paragraph ("the 2011 Act") still names the instrument in the next.

Only a reference naming an instrument in the corpus and a provision indexed in it becomes a link:
an instrument named alone, a provision that is not indexed, a reference that cannot be pinned
down ("paragraph 3" with no schedule) and a paper's references to itself link nowhere.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import replace

from ingest.document import DocumentInfo
from ingest.passage import Passage, ProvisionLookup
from ingest.references import ReferenceFinder

LINKED_KINDS = ("decision", "guidance", "internal-rules")
_GAP = "\n\n"


def link_references(passages: Sequence[Passage], documents: Iterable[DocumentInfo]) -> list[Passage]:
    """The passages, those of the organisation's papers with the ids of the passages they cite."""
    documents = list(documents)
    papers = {d.doc_id for d in documents if d.kind in LINKED_KINDS}
    if not any(p.doc_id in papers for p in passages):
        return list(passages)
    finder = ReferenceFinder(documents)
    lookup = ProvisionLookup(passages)
    by_paper: dict[str, list[int]] = {}
    for i, p in enumerate(passages):
        if p.doc_id in papers:
            by_paper.setdefault(p.doc_id, []).append(i)
    linked = list(passages)
    for doc_id, positions in by_paper.items():
        cited = _cited(finder, lookup, doc_id, [passages[i] for i in positions])
        for i, targets in zip(positions, cited):
            if targets:
                linked[i] = replace(passages[i], references=tuple(dict.fromkeys((*passages[i].references, *targets))))
    return linked


def _cited(finder: ReferenceFinder, lookup: ProvisionLookup, doc_id: str,
           paper: list[Passage]) -> list[list[str]]:
    """For each passage of one paper, the ids of the passages its references resolve to."""
    starts = []
    offset = 0
    for p in paper:
        starts.append(offset)
        offset += len(p.text) + len(_GAP)
    cited: list[list[str]] = [[] for _ in paper]
    for ref in finder.find(_GAP.join(p.text for p in paper)):
        if ref.provision is None or ref.doc_id is None or ref.doc_id == doc_id:
            continue
        targets = lookup.passages(ref.doc_id, ref.provision)
        cited[bisect_right(starts, ref.start) - 1].extend(t.passage_id for t in targets)
    return cited
