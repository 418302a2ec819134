"""Textual amendments read out of an amending instrument, so they can be read with the text they amend.

Our PCR 2015 text is as at 2019; SI 2021/1221 and SI 2023/1117 later replaced its threshold figures
("In regulation 5 …, in paragraph (1)— (a) in sub-paragraph (a), for “£4,733,252” substitute
“£5,336,937”"). A manifest entry with `amends` and `in_force` marks such an instrument; every
substitution it makes in a document it names becomes an `Amendment`, citing the passage that holds
its words. Answers then give the figure in force on the date that matters, with both citations.
`read_amending` reads `amends` and `in_force` from an instrument's own text, for one added with `cga add`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from ingest.document import DocumentInfo
from ingest.figures import first_date
from ingest.passage import Passage, Provision
from ingest.textutil import normalise_space

_AMENDED = re.compile(r"\bThe (.+?) (?:are|is) amended as follows")
# The heading over an instrument's amendments: "Amendments to the Public Contracts Regulations 2015",
# "Part 4 — Amendment of the Procurement Act 2023".
_AMENDMENTS_HEADING = re.compile(r"\bAmendments? (?:of|to) (?:the )?(.+?)[.:]?$", re.IGNORECASE)
_IN_FORCE = re.compile(r"\bcomes? into force on (?:the )?", re.IGNORECASE)
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
    names = _names(documents)
    by_doc: dict[str, list[Passage]] = {}
    for p in passages:
        by_doc.setdefault(p.doc_id, []).append(p)
    found: list[Amendment] = []
    for doc in documents:
        if not doc.amends or not doc.in_force:
            continue
        mine = by_doc.get(doc.doc_id, [])
        for section in (p for p in mine if not p.parent_id and not p.provision_ref.sub):
            found += _substitutions(section, mine, doc, names)
    return found


def _substitutions(section: Passage, passages: list[Passage], doc: DocumentInfo,
                   names: dict[str, str]) -> list[Amendment]:
    target: str | None = None
    unit: Provision | None = None
    found = []
    for line in section.text.splitlines():
        if m := _AMENDED.search(line):
            named = names.get(_bare(m[1]))
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


def _names(documents: Iterable[DocumentInfo]) -> dict[str, str]:
    """How an amending instrument may name each piece of legislation held → its id: the title, and the
    aliases that name it on their own ("PCR 2015"). "The 2015 Regulations" or "the Act" are left out:
    in another instrument they name whatever that instrument defined them as."""
    names = {}
    for doc in (d for d in documents if d.kind == "legislation"):
        names.update({_bare(a): doc.doc_id for a in doc.aliases
                      if a[-1:].isdigit() and not a.lower().startswith("the ")})
        names[_bare(doc.title)] = doc.doc_id
    return names


@dataclass(frozen=True)
class Amending:
    """What an instrument's text says of itself: the documents held that it amends, and when."""

    amends: tuple[str, ...]  # ids of the held documents it names as amended, in the order it names them
    in_force_dates: tuple[str, ...]  # every ISO date it says it (or part of it) comes into force on

    @property
    def in_force(self) -> str:
        """The day its amendments take effect; blank when it states none, or several (which amendment
        takes effect on which day is not read, and a figure applied too early is a wrong answer)."""
        return self.in_force_dates[0] if len(self.in_force_dates) == 1 else ""


def read_amending(passages: Iterable[Passage], documents: Iterable[DocumentInfo]) -> Amending:
    """Which of `documents` an instrument amends, from its "The Public Contracts Regulations 2015 are
    amended as follows" lines and "Amendments to the …" cross-headings, and the date it says it comes
    into force ("… and come into force on 1st January 2022")."""
    names = _names(documents)
    amends: dict[str, None] = {}
    dates: dict[str, None] = {}
    for p in passages:
        named = [m[1] for line in p.text.splitlines() if (m := _AMENDED.search(line))]
        named += [m[1] for heading in p.heading_path if (m := _AMENDMENTS_HEADING.search(heading.strip()))]
        amends.update((names[_bare(n)], None) for n in named if _bare(n) in names)
        for m in _IN_FORCE.finditer(p.text):
            # Only a date the words lead straight into: "on the day after …, 1st May" is not a commencement date.
            day = first_date(p.text[m.end():m.end() + 40])
            if day is not None and day.span[0] == 0 and not day.month_only:
                dates[day.iso] = None
    return Amending(tuple(amends), tuple(dates))


def in_force_on(amendments: Iterable[Amendment], doc_id: str, provision: Provision, day: str) -> list[Amendment]:
    """The substitutions in force on `day` within (or around) a provision, the latest for each place."""
    latest: dict[str, Amendment] = {}
    for a in sorted(amendments, key=lambda a: a.in_force):
        if a.doc_id == doc_id and a.in_force <= day and Provision.parse(a.provision).overlaps(provision):
            latest[a.provision] = a
    return list(latest.values())
