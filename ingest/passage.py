"""The unit of retrieval and citation, and the one provision notation.

A provision is written the same way everywhere (labels, eval gold, rules, retrieval):
  body of an Act      "s.51(3)"          body of an SI       "reg.72(1)(b)"
  schedule paragraph  "Sch.5 para 13"    whole schedule      "Sch.1"
  decision paragraph  "Legal Comments ¶2" (a section of a decision paper and its paragraph)
The citation label is the document's short name followed by the provision: "PA 2023 s.51(3)".
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ingest.instructions import planted_instruction

_ROMAN = re.compile(r"^(?=[ivxl]+$)m{0,3}(cm|cd|d?c{0,3})(xc|xl|l?x{0,3})(ix|iv|v?i{0,3})$")
_SUB = r"(?:\([0-9A-Za-z]+\))*"
_BODY_RE = re.compile(rf"^(?P<unit>s|reg|art|rule)\.\s?(?P<num>\d+[A-Z]*)(?P<sub>{_SUB})$")
_SCHED_RE = re.compile(
    rf"^Sch\.\s?(?P<sch>\d*[A-Z]*)(?:\s+para\s+(?P<num>\d+[A-Z]*|[A-Z]+\d+)(?P<sub>{_SUB}))?$"
)
_DECISION_RE = re.compile(r"^(?P<section>[^¶]+?)\s*¶\s*(?P<num>\d+)(?P<sub>(?:\.\d+)*)$")
_SUB_PART_RE = re.compile(r"\(([0-9A-Za-z]+)\)")


@dataclass(frozen=True, order=True)
class Provision:
    """A place in a document: where it sits (`scope`), the unit, its number and sub-path.

    scope is "" for the body of an instrument, "Sch.5" (or "Sch." for an unnumbered schedule)
    for a schedule, and the section title for a decision paper.
    """

    scope: str
    unit: str
    number: str
    sub: tuple[str, ...] = ()

    @classmethod
    def parse(cls, text: str) -> Provision:
        text = " ".join(text.replace("\u00a0", " ").split())
        if m := _BODY_RE.match(text):
            return cls("", m["unit"], m["num"], tuple(_SUB_PART_RE.findall(m["sub"])))
        if m := _SCHED_RE.match(text):
            scope = f"Sch.{m['sch']}"
            if m["num"] is None:
                return cls(scope, "sch", "", ())
            return cls(scope, "para", m["num"], tuple(_SUB_PART_RE.findall(m["sub"] or "")))
        if m := _DECISION_RE.match(text):
            sub = tuple(p for p in m["sub"].split(".") if p)
            return cls(m["section"].strip(), "¶", m["num"], sub)
        raise ValueError(f"not a provision in our notation: {text!r}")

    def __str__(self) -> str:
        if self.unit == "sch":
            return self.scope
        if self.unit == "¶":
            return f"{self.scope} ¶{'.'.join((self.number, *self.sub))}"
        subs = "".join(f"({p})" for p in self.sub)
        if self.scope:
            return f"{self.scope} para {self.number}{subs}"
        return f"{self.unit}.{self.number}{subs}"

    def child(self, part: str) -> Provision:
        return Provision(self.scope, self.unit, self.number, (*self.sub, part))

    def overlaps(self, other: Provision) -> bool:
        """True when one provision lies inside the other (or they are the same)."""
        if self.scope != other.scope:
            return False
        if self.unit == "sch" or other.unit == "sch":
            return True
        if (self.unit, self.number) != (other.unit, other.number):
            return False
        shorter = min(len(self.sub), len(other.sub))
        return self.sub[:shorter] == other.sub[:shorter]

    def slug(self) -> str:
        """Path segment for a stable passage id: "reg-72/1/b", "sch-5/para-13", "legal-comments/2"."""
        if self.unit == "¶":
            return "/".join((slugify(self.scope), self.number, *self.sub))
        head = f"sch-{self.scope[4:] or 'x'}" if self.scope else ""
        unit = "" if self.unit == "sch" else f"{self.unit}-{self.number}"
        return "/".join(p for p in (head, unit, *self.sub) if p)


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")




def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Passage:
    passage_id: str
    doc_id: str
    doc_short: str
    provision: str
    citation: str
    heading_path: tuple[str, ...]
    text: str
    kind: str
    access: str
    version_date: str
    source_url: str
    span: tuple[int, int]
    page: int | None = None
    notes: tuple[str, ...] = ()
    references: tuple[str, ...] = field(default=())
    parent_id: str = ""  # the whole-section passage this subsection also appears in, if any
    # Its text speaks to a language model or the answer's reader (`ingest.instructions`): a warning
    # when shown, never support for model prose, never above statute.
    addressed_to_model: bool = False

    @property
    def content_hash(self) -> str:
        return content_hash(self.embedding_text)

    @property
    def embedding_text(self) -> str:
        """What the model embeds: the label and headings give short subsections their context."""
        heading = " › ".join(self.heading_path)
        return f"{self.citation}. {heading}\n{self.text}" if heading else f"{self.citation}\n{self.text}"

    @property
    def provision_ref(self) -> Provision:
        return Provision.parse(self.provision)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Passage:
        data = dict(data)
        for key in ("heading_path", "span", "notes", "references"):
            data[key] = tuple(data.get(key) or ())
        passage = cls(**data)
        # An index written before passages were marked is marked as it is read, until it is rebuilt.
        return passage if "addressed_to_model" in data else passage.marked()

    def marked(self) -> Passage:
        """This passage, marked when its headings or text address a language model or the answer's reader."""
        cue = planted_instruction("\n".join([*self.heading_path, self.text]))
        return replace(self, addressed_to_model=bool(cue))


class ProvisionLookup:
    """Passages by document and provision: the provision's own, else those inside or around it."""

    def __init__(self, passages: Iterable[Passage]) -> None:
        self._by_doc: dict[str, dict[Provision, list[Passage]]] = {}
        for p in passages:
            self._by_doc.setdefault(p.doc_id, {}).setdefault(p.provision_ref, []).append(p)

    def passages(self, doc_id: str, provision: Provision) -> list[Passage]:
        provisions = self._by_doc.get(doc_id, {})
        if exact := provisions.get(provision):
            return list(exact)
        return [p for prov, ps in provisions.items() if prov.overlaps(provision) for p in ps]


def label_level(label: str, previous_letter: str | None) -> int:
    """1 for (1)/(1A), 2 for (a)/(aa), 3 for (i)/(iv), 4 for (A).

    "(i)" after "(h)" is a letter, not a roman numeral, and likewise (v) after (u), (x) after (w).
    """
    if label[0].isdigit():
        return 1
    if label.isupper():
        return 4
    if _ROMAN.match(label) and not (
        previous_letter and len(label) == 1 and ord(label) == ord(previous_letter[-1]) + 1
    ):
        return 3
    return 2

