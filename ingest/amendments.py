"""Textual amendments read out of an amending instrument, so they can be read with the text they amend.

Our PCR 2015 text is as at 2019; SI 2021/1221 and SI 2023/1117 later replaced its threshold figures
("In regulation 5 …, in paragraph (1)— (a) in sub-paragraph (a), for “£4,733,252” substitute
“£5,336,937”"). A manifest entry with `amends` and `in_force` marks such an instrument; every
substitution it makes in a document it names becomes an `Amendment`, citing the passage that holds
its words. Answers then give the figure in force on the date that matters, with both citations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from ingest.document import DocumentInfo
from ingest.passage import Passage, Provision
from ingest.textutil import normalise_space

_AMENDED = re.compile(r"\bThe (.+?) (?:are|is) amended as follows")
_UNIT = re.compile(r"\bIn (regulation|section|article|paragraph) (\d+[A-Z]*)\b")
_PARAGRAPH = re.compile(r"\bin (?:paragraph|subsection) \((\w+)\)")
_SUB_PARAGRAPH = re.compile(r"\bin sub-paragraph \((\w+)\)")
_SUBSTITUTE = re.compile(r"\bfor “([^”]+)” substitute “([^”]+)”")
_WORDS = {"regulation": "reg", "section": "s", "article": "art"}


@dataclass(frozen=True)
class Amendment:
    doc_id: str  # the document amended
    provision: str  # where, in our notation: "reg.5(1)(a)"
    old: str
    new: str
    in_force: str  # ISO date the substitution takes effect
    by_doc: str
    by_passage: str  # the passage holding the amending words
    by_citation: str
    words: str  # the amending words as they stand in that passage

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Amendment:
        return cls(**data)


def find_amendments(passages: Iterable[Passage], documents: Iterable[DocumentInfo]) -> list[Amendment]:
    """Every substitution the amending instruments among `documents` make in the documents they name."""
    documents = list(documents)
    titles = {_bare(d.title): d.doc_id for d in documents}
    by_doc: dict[str, list[Passage]] = {}
    for p in passages:
        by_doc.setdefault(p.doc_id, []).append(p)
    found: list[Amendment] = []
    for doc in documents:
        if not doc.amends or not doc.in_force:
            continue
        mine = by_doc.get(doc.doc_id, [])
        for section in (p for p in mine if not p.parent_id and not p.provision_ref.sub):
            found += _substitutions(section, mine, doc, titles)
    return found


def _substitutions(section: Passage, passages: list[Passage], doc: DocumentInfo,
                   titles: dict[str, str]) -> list[Amendment]:
    target: str | None = None
    unit: Provision | None = None
    found = []
    for line in section.text.splitlines():
        if m := _AMENDED.search(line):
            named = titles.get(_bare(m[1]))
            target = named if named in doc.amends else None
            unit = None
        if target is None:
            continue
        if m := _UNIT.search(line):
            unit = Provision("", _WORDS.get(m[1], "reg"), m[2])
        if unit is None:
            continue
        if m := _PARAGRAPH.search(line):
            unit = Provision(unit.scope, unit.unit, unit.number, (m[1],))
        where = unit
        if m := _SUB_PARAGRAPH.search(line):
            where = unit.child(m[1]) if len(unit.sub) == 1 else unit
        for old, new in _SUBSTITUTE.findall(line):
            holder, words = _holder(line, passages, section)
            found.append(Amendment(target, str(where), old, new, doc.in_force, doc.doc_id, holder.passage_id,
                                   holder.citation, words))
    return found


def _holder(line: str, passages: list[Passage], section: Passage) -> tuple[Passage, str]:
    """The most specific passage of the section whose text holds the line, and the line's words."""
    needle = normalise_space(re.sub(r"^\(\w+\)\s*", "", line.strip()))
    inside = [p for p in passages if p.provision_ref.overlaps(section.provision_ref) and needle in normalise_space(p.text)]
    return max(inside, key=lambda p: len(p.provision_ref.sub), default=section), needle


def _bare(title: str) -> str:
    return re.sub(r"^the\s+", "", normalise_space(title), flags=re.I).lower()


def in_force_on(amendments: Iterable[Amendment], doc_id: str, provision: Provision, day: str) -> list[Amendment]:
    """The substitutions in force on `day` within (or around) a provision, the latest for each place."""
    latest: dict[str, Amendment] = {}
    for a in sorted(amendments, key=lambda a: a.in_force):
        if a.doc_id == doc_id and a.in_force <= day and Provision.parse(a.provision).overlaps(provision):
            latest[a.provision] = a
    return list(latest.values())
