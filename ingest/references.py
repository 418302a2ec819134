"""Finds the legal references in free text and says which document and provision each one names.

Used on questions, decision papers and legislation alike. Provisions are always expressed in the
one notation of `ingest.passage.Provision`. The instrument is resolved from words next to the
provision, from a short title the text defines for itself ("the Police Reform and Social
Responsibility Act 2011 (the 2011 Act)"), from the manifest's aliases, or from the reference before.

Choices callers rely on:
- `resolution` is "explicit" for a document's title, its citation name (`short`) or its SI number;
  "alias" for any other manifest alias or a short title the text defines; "context" when inherited
  from an earlier reference or from `default_doc`; "outside-corpus" for an instrument the manifest
  lacks, whether named there or inherited; "unresolved" when no instrument can be determined, in
  which case doc_id is None (never a guess).
- `provision` is None when only an instrument is named, and also when the words name a place the
  notation cannot hold or the context cannot pin down: "paragraph 4.13" of a scheme, a bare
  "paragraph 3" with no schedule before it, "subsection (2)" with no section before it.
- Parts and Chapters are not provisions in the notation and are not returned; the instrument in
  "Part 6 of the Procurement Act 2023" still comes back as an instrument-only reference.
- A provision named without an instrument inherits the instrument of the reference before it when
  that instrument's kind fits (no regulation of an Act); failing that, the instrument the same
  section, regulation or schedule was last cited with ("section 41" after "Section 41 of the 2023
  Act"). Decision papers, other non-legislative documents and instruments known only by an
  "of the …" phrase ("the MOPAC Scheme of Delegation") are never inherited: a paper's title
  "PCD 1587" does not make its "section 41" a section of the paper.
- `default_doc` is the document the text belongs to. It only ever sets doc_id, with resolution
  "context": for a reference with no instrument to inherit, and for "this Act", "these
  Regulations" and "section 1 above". Without it those stay unresolved.
- A range yields every number when it spans at most ten ("ss.41-43"), else its two ends. All the
  References read from one phrase ("sections 41 and 43 of the Procurement Act 2023") carry that
  whole phrase as their text and span.
- `instrument` is the name as written, without a leading "the" unless the name needs it ("the 2011
  Act"); for a short title the text defines, it is the name that was defined ("Police Reform and
  Social Responsibility Act 2011").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from ingest.document import DocumentInfo
from ingest.passage import Provision
from ingest.textutil import normalise_space

RESOLUTIONS = ("explicit", "alias", "context", "unresolved", "outside-corpus")


@dataclass(frozen=True)
class Reference:
    text: str
    start: int
    end: int
    provision: Provision | None
    doc_id: str | None
    instrument: str | None
    resolution: str

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "start": self.start, "end": self.end,
                "provision": None if self.provision is None else str(self.provision),
                "doc_id": self.doc_id, "instrument": self.instrument, "resolution": self.resolution}


# ---- provision words --------------------------------------------------------------------------

# Sub-parts as legislation numbers them: (3), (3A), (a), (aa), (iv). Longer bracketed words are prose.
_SUB = r"\((?:\d+[A-Z]{0,2}|[a-z]{1,2}|[ivxl]{1,6})\)"
_SUBS = rf"(?:\s?{_SUB})*"
# Years are never section or schedule numbers in practice; refusing them keeps "Regulations 2015"
# and "2016/679" out. A decimal ("4.13") is a scheme's or a paper's numbering, kept to report it.
_NUMBER = r"(?!(?:19|20)\d\d\b)\d+[A-Z]{0,3}(?:\.\d+)*"
_ITEM = rf"(?:{_NUMBER}{_SUBS}|{_SUB}{_SUBS})"
_RANGE_SEP = r"-|–|—|\bto\b"
_LIST_SEP = r",\s*(?:(?:and|or)\b)?|\band\b|\bor\b|&"
_HEADS = {
    "subsection": r"sub-?sections?",
    "sub-paragraph": r"sub-?paragraphs?|sub-?paras?\.?",
    "schedule": r"schedules?|schs?\.?",
    "paragraph": r"paragraphs?|paras?\.?",
    "regulation": r"regulations?|regs?\.?",
    "article": r"articles?|arts?\.",
    "section": r"sections?|ss?\.?",
}
_ATOM = re.compile(
    r"(?<![\w.’'])(?i:" + "|".join(f"(?P<{h.replace('-', '_')}>{p})" for h, p in _HEADS.items()) + ")"
    + rf"\s*(?P<items>{_ITEM}(?:\s*(?:{_RANGE_SEP}|{_LIST_SEP})\s*{_ITEM})*)(?![\w/])"
)
_ITEM_RE = re.compile(rf"(?P<number>{_NUMBER})?(?P<subs>{_SUBS})")
_SEP_RE = re.compile(rf"\s*(?:(?P<range>{_RANGE_SEP})|{_LIST_SEP})\s*")
_SUB_TEXT = re.compile(r"\(([0-9A-Za-z]+)\)")
_BODY_UNITS = {"section": "s", "regulation": "reg", "article": "art"}
_RELATIVE = ("subsection", "paragraph", "sub-paragraph")
# How far below its base each word reaches: in an Act "paragraph (a)" sits under a subsection,
# in an SI "paragraph (1)" is the first level of a regulation, in a schedule "sub-paragraph" is.
_LEVEL = {
    ("subsection", "s"): 0, ("paragraph", "s"): 1, ("sub-paragraph", "s"): 2,
    ("paragraph", "reg"): 0, ("sub-paragraph", "reg"): 1,
    ("paragraph", "art"): 0, ("sub-paragraph", "art"): 1,
    ("sub-paragraph", "para"): 0, ("paragraph", "para"): 1,
}

_SCHEDULE_GAP = re.compile(r"\s*,?\s*")
_OF_GAP = re.compile(r"\s+(?:of|to|in)\s+")
_SUB_OF_GAP = re.compile(r"\s+of\s+")
_LIST_GAP = re.compile(r"\s*,\s*(?:(?:and|or)\s+)?|\s+(?:and|or)\s+")

# ---- instrument words -------------------------------------------------------------------------

_THE = re.compile(r"^the\s+", re.IGNORECASE)
_CAP_WORD = r"(?:[A-Z][\w’'&-]*|\([A-Z][^()\n]{0,80}\))"
_CONNECTOR = r"(?:of\s+the|of|and|for|to|in|on|with|&)"
# A title ends in its kind and year. Inside it, a comma ("Local Democracy, Economic Development and
# Construction Act 2009") or a year before a bracket ("Procurement Act 2023 (Consequential and
# Other Amendments) Regulations 2025") still belong to the name.
_TITLED = re.compile(
    rf"(?<![\w’'])(?:[Tt]he\s+)?{_CAP_WORD}(?:,?\s+(?:{_CONNECTOR}\s+)*(?:{_CAP_WORD}|\d{{4}}(?=\s+\()))"
    r"{0,12}\s+(?:Act|Regulations|Order|Rules|Measure)\s+\d{4}\b"
)
_YEAR_TITLED = re.compile(r"\b[Tt]he\s+\d{4}\s+(?:Act|Regulations|Order|Rules)\b")
_SI = re.compile(r"\bS\.?\s?I\.?\s+(?:No\.?\s+)?(?P<year>\d{4})/(?P<number>\d+)\b")
_PCD = re.compile(r"\bPCD\s?(?P<number>\d+)\b")
_EU = re.compile(
    r"\b(?:(?:Council|Commission)\s+)?(?:Regulation|Directive|Decision)\s+"
    r"(?:\((?:EU|EC|EEC|Euratom)\)\s+(?:No\.?\s*)?\d+/\d+(?:/(?:EU|EC|EEC))?|\d{2,4}/\d+/(?:EU|EC|EEC))"
)
_SELF = re.compile(r"\b(?:this\s+(?:Act|Order)|these\s+(?:Regulations|Rules))\b")
_DEFINITION = re.compile(
    r"\s*\(\s*(?:(?:hereafter|hereinafter)\s+(?:referred\s+to\s+as\s+|called\s+)?)?"
    r"(?:(?P<the>[Tt]he\s+)?[\"“‘'](?P<quoted>[^\"”’'()\n]{1,40})[\"”’']"
    r"|(?P<plain>the\s+[\w ]{1,40}?|[A-Z][A-Z0-9]{1,9}(?:\s\d{2,4})?))\s*\)"
)
# An instrument the manifest does not know, named after a provision: "of the MOPAC Scheme of
# Delegation and Consent". Structural words would make "section 5 of Part 3" an instrument.
_STRUCTURE = r"(?:Part|Chapter|Schedule|Section|Regulation|Article|Paragraph|Annex|Appendix)\b"
_OF_PHRASE = re.compile(
    rf"\s+(?:of|to)\s+(?:the\s+)?(?P<name>(?!{_STRUCTURE}){_CAP_WORD}"
    rf"(?:\s+(?:(?:{_CONNECTOR}|the)\s+)*{_CAP_WORD}){{0,12}}(?:\s+\d{{4}})?)"
)
_KIND_UNITS = {"Act": "s", "Regulations": "reg", "Rules": "rule", "Order": "art", "Directive": "art",
               "Regulation": "art", "Decision": "art", "Treaty": "art", "TFEU": "art"}
_KIND_WORD = re.compile(r"\b(" + "|".join(_KIND_UNITS) + r")\b")
_AFTER_WORD = re.compile(r"\s+(?:of|to|in|under)\s+")
_ADJACENT = re.compile(r"\s*,?\s*")
_ABOVE = re.compile(r"\s+(?:above|below)\b")


@dataclass(frozen=True)
class _Target:
    """An instrument a reference resolves to: in the corpus (doc_id) or outside it (doc_id None).
    `inheritable`: whether a later bare provision may take this instrument from context."""

    doc_id: str | None
    instrument: str | None
    inheritable: bool = True


@dataclass(frozen=True)
class _Mention:
    """An instrument named in the text. target None is the text's own document ("this Act")."""

    start: int
    end: int
    target: _Target | None
    resolution: str


@dataclass(frozen=True)
class _Definition:
    """A short title the text gives an instrument, in force from `end` onwards."""

    term: str
    start: int
    end: int
    target: _Target


@dataclass(frozen=True)
class _Item:
    """One provision as written. `need` says what context must supply: "schedule" for a bare
    numbered paragraph, or a relative word ("subsection") whose sub-parts hang off the last provision."""

    provision: Provision | None = None
    need: str = ""
    number: str = ""
    subs: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Group:
    start: int
    end: int
    head: str
    items: tuple[_Item, ...]


@dataclass(frozen=True)
class _Phrase:
    """Provisions read together, with the instrument attached to them if any."""

    start: int
    end: int
    items: tuple[_Item, ...]
    named: _Mention | None = None


class ReferenceFinder:
    """Knows the manifest's documents by title, citation name and alias; reads references from text."""

    def __init__(self, documents: Iterable[DocumentInfo]) -> None:
        self._documents = {d.doc_id: d for d in documents}
        # key → (doc_id, resolution, whether "the" belongs to the name as in "the 2011 Act")
        self._names: dict[str, tuple[str, str, bool]] = {}
        self._spellings: list[str] = []
        for doc in self._documents.values():
            self._register(doc)
        self._known = _names_regex(self._spellings)

    def find(self, text: str, default_doc: str | None = None) -> list[Reference]:
        """Every reference in `text`, in order. `default_doc` is the document the text belongs to."""
        mentions = self._mentions(text)
        groups = _provision_groups(text, mentions)
        groups = _joined(groups, text, _join_schedule)
        groups = _joined(groups, text, _join_relative)
        default = None
        if default_doc is not None:
            doc = self._documents.get(default_doc)
            default = _Target(default_doc, doc.short if doc else None)
        return _Reading(text, mentions, default).read(_chains(groups, text))

    def find_first(self, text: str, default_doc: str | None = None) -> Reference | None:
        refs = self.find(text, default_doc)
        return refs[0] if refs else None

    def _register(self, doc: DocumentInfo) -> None:
        explicit = {_key(doc.title), _key(doc.short)}
        for name in (doc.title, doc.short, *doc.aliases):
            key = _key(name)
            known = self._names.get(key)
            if known and known[0] != doc.doc_id:
                # The manifest is ours: an alias naming two documents is a mistake to fix there.
                raise ValueError(f"alias {name!r} names both {known[0]} and {doc.doc_id}")
            # SI titles begin "The" by convention; a short title like "the 2011 Act" needs its "the".
            keeps_the = bool(known and known[2]) or (name != doc.title and _THE.match(name) is not None)
            self._names[key] = (doc.doc_id, "explicit" if key in explicit else "alias", keeps_the)
            self._spellings.append(name)

    # ---- instruments named in the text ------------------------------------------------------

    def _mentions(self, text: str) -> list[_Mention]:
        mentions = self._scan(text, [])
        definitions = [d for m in mentions if (d := _definition(text, m))]
        if not definitions:
            return mentions
        mentions = self._scan(text, definitions)
        return [m for m in mentions if not any(d.start <= m.start and m.end <= d.end for d in definitions)]

    def _scan(self, text: str, definitions: list[_Definition]) -> list[_Mention]:
        pattern = self._known
        if definitions:
            pattern = _names_regex([*self._spellings, *(d.term for d in definitions)])
        known = [m for match in pattern.finditer(text) if (m := self._named(match, definitions))]
        generic = list(self._generic(text))
        # A known name wins over a longer shape around it ("See Equality Act 2010") unless the shape
        # carries on past it: "Procurement Act 2023 (Consequential …) Regulations 2025" is another SI.
        kept = [k for k in known if not any(g.start <= k.start and g.end > k.end for g in generic)]
        for m in generic:
            if not any(m.start < k.end and k.start < m.end for k in kept):
                kept.append(m)
        return sorted(kept, key=lambda m: m.start)

    def _named(self, match: re.Match[str], definitions: list[_Definition]) -> _Mention | None:
        key = _key(match.group())
        defined = [d for d in definitions if _key(d.term) == key and d.end <= match.start()]
        if defined:
            target = defined[-1].target
            return _Mention(match.start(), match.end(), target, "alias" if target.doc_id else "outside-corpus")
        if key in self._names:
            doc_id, resolution, keeps_the = self._names[key]
            name = normalise_space(match.group()) if keeps_the else key
            return _Mention(match.start(), match.end(), _Target(doc_id, name, self._legislation(doc_id)), resolution)
        return None  # a defined term used before its definition

    def _legislation(self, doc_id: str) -> bool:
        return self._documents[doc_id].kind == "legislation"

    def _generic(self, text: str) -> Iterable[_Mention]:
        """Instruments recognised by their shape rather than by the manifest."""
        for m in _TITLED.finditer(text):
            key = _key(m.group())
            doc_id, resolution, _ = self._names.get(key, (None, "outside-corpus", False))
            yield _Mention(m.start(), m.end(), _Target(doc_id, key, doc_id is None or self._legislation(doc_id)),
                           resolution)
        # Names the manifest knows win in _scan, so a "the 2006 Regulations" reaching here is not in it.
        for m in _YEAR_TITLED.finditer(text):
            yield _Mention(m.start(), m.end(), _Target(None, normalise_space(m.group())), "outside-corpus")
        for regex, id_format, inheritable in ((_SI, "uksi-{year}-{number}", True), (_PCD, "pcd-{number}", False)):
            for m in regex.finditer(text):
                doc_id = id_format.format(**m.groupdict())
                name = normalise_space(m.group())
                if doc_id in self._documents:
                    yield _Mention(m.start(), m.end(), _Target(doc_id, name, inheritable), "explicit")
                else:
                    yield _Mention(m.start(), m.end(), _Target(None, name, inheritable), "outside-corpus")
        for m in _EU.finditer(text):
            yield _Mention(m.start(), m.end(), _Target(None, normalise_space(m.group())), "outside-corpus")
        for m in _SELF.finditer(text):
            yield _Mention(m.start(), m.end(), None, "context")


def _key(name: str) -> str:
    return _THE.sub("", normalise_space(name))


def _names_regex(names: Iterable[str]) -> re.Pattern[str]:
    """Names as whole words, any spacing, longest first; "the" is optional unless part of the name."""
    alternatives = []
    for name in sorted(set(names), key=len, reverse=True):
        words = name.split()
        if words[0].lower() == "the":
            alternatives.append(r"[Tt]he\s+" + r"\s+".join(map(re.escape, words[1:])))
        else:
            alternatives.append(r"(?:[Tt]he\s+)?" + r"\s+".join(map(re.escape, words)))
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")


def _definition(text: str, mention: _Mention) -> _Definition | None:
    if mention.target is None:
        return None
    m = _DEFINITION.match(text, mention.end)
    if not m:
        return None
    term = m["plain"] or (m["the"] or "") + m["quoted"]
    return _Definition(normalise_space(term), m.start(), m.end(), mention.target)


# ---- provisions written in the text -----------------------------------------------------------

def _provision_groups(text: str, mentions: list[_Mention]) -> list[_Group]:
    groups = []
    for m in _ATOM.finditer(text):
        if any(m.start() < k.end and k.start < m.end() for k in mentions):
            continue  # words inside an instrument's name, like "Regulation (EU)"
        head = next(h for h in _HEADS if m.group(h.replace("-", "_")))
        items = tuple(item for number, subs in _read_items(m["items"]) if (item := _item(head, number, subs)))
        if items:
            groups.append(_Group(m.start(), m.end(), head, items))
    return groups


def _read_items(items: str) -> list[tuple[str | None, tuple[str, ...]]]:
    """'41-43' → 41, 42, 43; '51(3) and (4)' → 51(3), 51(4); '(2) and (3)' stay sub-parts only."""
    out: list[tuple[str | None, tuple[str, ...]]] = []
    pos, in_range = 0, False
    while pos < len(items):
        m = _ITEM_RE.match(items, pos)
        assert m is not None  # _ATOM matched these items
        number, subs = m["number"], tuple(_SUB_TEXT.findall(m["subs"]))
        if number is None and out:  # "(4)" after "51(3)" is a sibling: 51(4)
            before, before_subs = out[-1]
            number, subs = before, before_subs[: max(0, len(before_subs) - len(subs))] + subs
        out.extend(_range_rest(out[-1], (number, subs)) if in_range else [(number, subs)])
        if m.end() == len(items):
            break
        sep = _SEP_RE.match(items, m.end())
        assert sep is not None  # _ATOM matched a separator between items
        pos, in_range = sep.end(), sep["range"] is not None
    return out


def _range_rest(first: tuple[str | None, tuple[str, ...]],
                last: tuple[str | None, tuple[str, ...]]) -> list[tuple[str | None, tuple[str, ...]]]:
    """The numbers after `first` up to `last`: all of them for a short plain range, else just `last`."""
    (a, a_subs), (b, b_subs) = first, last
    if a and b and a.isdigit() and b.isdigit() and not a_subs and not b_subs and 0 < int(b) - int(a) < 10:
        return [(str(n), ()) for n in range(int(a) + 1, int(b) + 1)]
    return [last]


def _item(head: str, number: str | None, subs: tuple[str, ...]) -> _Item | None:
    if head in ("subsection", "sub-paragraph"):
        return _Item(need=head, subs=((number,) if number else ()) + subs)
    if number is None:
        return _Item(need="paragraph", subs=subs) if head == "paragraph" else None
    if "." in number:
        return _Item()
    if head == "schedule":
        return _Item(Provision(f"Sch.{number}", "sch", "", ()))
    if head == "paragraph":
        return _Item(need="schedule", number=number, subs=subs)
    return _Item(Provision("", _BODY_UNITS[head], number, subs))


def _joined(groups: list[_Group], text: str, join: Callable[[_Group, _Group, str], _Group | None]) -> list[_Group]:
    out: list[_Group] = []
    for group in groups:
        out.append(group)
        while len(out) > 1 and (both := join(out[-2], out[-1], text[out[-2].end:out[-1].start])):
            out[-2:] = [both]
    return out


def _join_schedule(a: _Group, b: _Group, gap: str) -> _Group | None:
    """'Schedule 5, paragraph 13' and 'paragraph 13 of Schedule 5' name one provision."""
    if a.head == "schedule" and b.head == "paragraph" and _SCHEDULE_GAP.fullmatch(gap):
        schedule, paragraphs = a, b
    elif a.head == "paragraph" and b.head == "schedule" and _OF_GAP.fullmatch(gap):
        schedule, paragraphs = b, a
    else:
        return None
    if len(schedule.items) != 1 or schedule.items[0].provision is None:
        return None
    scope = schedule.items[0].provision.scope
    items = tuple(replace(i, provision=Provision(scope, "para", i.number, i.subs), need="")
                  if i.need == "schedule" else i for i in paragraphs.items)
    return _Group(a.start, b.end, "paragraph", items)


def _join_relative(a: _Group, b: _Group, gap: str) -> _Group | None:
    """'subsection (3) of section 51' is s.51(3); 'paragraph (3) of regulation 72' is reg.72(3)."""
    if not all(i.need in _RELATIVE for i in a.items) or not _SUB_OF_GAP.fullmatch(gap):
        return None
    if len(b.items) != 1 or b.items[0].need or b.items[0].provision is None:
        return None
    base = b.items[0].provision
    return _Group(a.start, b.end, b.head, tuple(_Item(_relative(base, i.need, i.subs)) for i in a.items))


def _relative(base: Provision, need: str, subs: tuple[str, ...]) -> Provision | None:
    level = _LEVEL.get((need, base.unit))
    if level is None or len(base.sub) < level:
        return None
    return Provision(base.scope, base.unit, base.number, (*base.sub[:level], *subs))


def _chains(groups: list[_Group], text: str) -> list[list[_Group]]:
    """'section 41 and section 43 of …': groups joined by a list share the instrument after them."""
    chains: list[list[_Group]] = []
    for group in groups:
        if chains and _LIST_GAP.fullmatch(text[chains[-1][-1].end:group.start]):
            chains[-1].append(group)
        else:
            chains.append([group])
    return chains


def _body_unit(target: _Target) -> str | None:
    """What an instrument's body is divided into, so carry-over never puts a regulation in an Act
    or in a Directive. Documents of other kinds, and bare SI numbers (Regulations or Orders), are
    not checked."""
    if target.doc_id is not None:
        return "s" if target.doc_id.startswith("ukpga") else "reg" if target.doc_id.startswith("uksi") else None
    kinds = _KIND_WORD.findall(target.instrument or "")
    return _KIND_UNITS[kinds[-1]] if kinds else None  # the last word: "… Act 2023 (…) Regulations 2025"


def _fits(items: tuple[_Item, ...], target: _Target) -> bool:
    unit = _body_unit(target)
    return unit is None or all(i.provision is None or i.provision.scope or i.provision.unit == unit
                               for i in items)


# ---- reading in order -------------------------------------------------------------------------

class _Reading:
    """One pass over a text in order, carrying what the last reference established."""

    def __init__(self, text: str, mentions: list[_Mention], default: _Target | None) -> None:
        self.text = text
        self.mentions = mentions
        self.default = default
        self.claimed: set[_Mention] = set()
        self.target: _Target | None = None
        self.last: Provision | None = None
        self.schedule: str | None = None
        self.cited: dict[Provision, _Target] = {}  # section, regulation or schedule → instrument last cited with

    def read(self, chains: list[list[_Group]]) -> list[Reference]:
        phrases: list[_Phrase | _Mention] = [self._phrase(chain) for chain in chains]
        events = phrases + [m for m in self.mentions if m not in self.claimed]
        refs: list[Reference] = []
        for event in sorted(events, key=lambda e: e.start):
            refs.extend(self._read_phrase(event) if isinstance(event, _Phrase) else self._read_mention(event))
        return refs

    def _phrase(self, chain: list[_Group]) -> _Phrase:
        start, end = chain[0].start, chain[-1].end
        items = tuple(i for g in chain for i in g.items)
        named = self._after(end, _AFTER_WORD) or self._before(start) or self._after(end, _ADJACENT)
        if named is None:
            named = self._self_reference(end) or self._unknown_after(end)
        if named is None:
            return _Phrase(start, end, items)
        self.claimed.add(named)
        return _Phrase(min(start, named.start), max(end, named.end), items, named)

    def _after(self, end: int, gap: re.Pattern[str]) -> _Mention | None:
        following = next((m for m in self.mentions if m.start >= end), None)
        if following and following not in self.claimed and gap.fullmatch(self.text[end:following.start]):
            return following
        return None

    def _before(self, start: int) -> _Mention | None:
        preceding = [m for m in self.mentions if m.end <= start]
        if not preceding or preceding[-1] in self.claimed:
            return None
        return preceding[-1] if _ADJACENT.fullmatch(self.text[preceding[-1].end:start]) else None

    def _self_reference(self, end: int) -> _Mention | None:
        """'section 1 above' points into the text's own document, whatever was discussed before."""
        m = _ABOVE.match(self.text, end)
        return _Mention(m.start(), m.end(), None, "context") if m else None

    def _unknown_after(self, end: int) -> _Mention | None:
        m = _OF_PHRASE.match(self.text, end)
        if m is None:
            return None
        return _Mention(m.start("name"), m.end(), _Target(None, normalise_space(m["name"]), False), "outside-corpus")

    def _read_mention(self, mention: _Mention) -> list[Reference]:
        if mention.target is None:
            return []  # "this Act" on its own says nothing a caller needs
        self._enter(mention.target)
        return [Reference(self.text[mention.start:mention.end], mention.start, mention.end, None,
                          mention.target.doc_id, mention.target.instrument, mention.resolution)]

    def _read_phrase(self, phrase: _Phrase) -> list[Reference]:
        text = self.text[phrase.start:phrase.end]

        def reference(provision: Provision | None, target: _Target | None, resolution: str) -> Reference:
            return Reference(text, phrase.start, phrase.end, provision,
                             target.doc_id if target else None, target.instrument if target else None, resolution)

        named = phrase.named
        if named is not None and named.target is None:
            # The text's own document: nothing to inherit from what was discussed, nothing to pass on.
            resolution = "context" if self.default else "unresolved"
            return [reference(_complete(i, None, None), self.default, resolution) for i in phrase.items]
        if named is not None:
            self._enter(named.target)
            target, resolution = named.target, named.resolution
        else:
            target = self._inherit(phrase.items)
            resolution = "unresolved" if target is None else "context" if target.doc_id else "outside-corpus"
        refs = []
        for item in phrase.items:
            provision = _complete(item, self.last, self.schedule)
            if provision is None and named is None:
                refs.append(reference(None, None, "unresolved"))  # ambiguous: not guessed
            else:
                refs.append(reference(provision, target, resolution))
            self._note(provision)
            if provision is not None and target is not None and target.inheritable:
                self.cited[enclosing_unit(provision)] = target
        return refs

    def _inherit(self, items: tuple[_Item, ...]) -> _Target | None:
        current = self.target if self.target is not None and self.target.inheritable else None
        named = [i.provision for i in items if i.provision is not None]
        before = self.cited.get(enclosing_unit(named[0])) if named else None
        for target in (current, before, self.default):
            if target is not None and _fits(items, target):
                self._enter(target)
                return target
        self._enter(None)
        return None

    def _enter(self, target: _Target | None) -> None:
        if target != self.target:
            self.target, self.last, self.schedule = target, None, None

    def _note(self, provision: Provision | None) -> None:
        if provision is not None:
            self.last, self.schedule = provision, provision.scope or None


def enclosing_unit(provision: Provision) -> Provision:
    """The section, regulation or whole schedule a provision of an instrument belongs to."""
    if provision.scope:
        return Provision(provision.scope, "sch", "")
    return Provision("", provision.unit, provision.number)


def _complete(item: _Item, last: Provision | None, schedule: str | None) -> Provision | None:
    if item.need == "schedule":
        return Provision(schedule, "para", item.number, item.subs) if schedule else None
    if item.need:
        return _relative(last, item.need, item.subs) if last else None
    return item.provision
