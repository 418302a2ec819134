"""What a sentence of law, or a paper's sentence about one, says: who must or may do what, on what
condition, for how long, and what it lists.

Plain patterns, no model, read the same way on both sides so that the support check
(`assistant.papercheck.support`) can name what differs: "the paper says the supplier must; the
provision puts it on the contracting authority". Money, numbers, periods and dates are read by
`ingest.figures`, not here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.llm.grounding import content_terms
from ingest.passage import label_level
from ingest.textutil import normalise_space, tokenize

# ---- obligation and its strength -------------------------------------------------------------------

MUST, MUST_NOT, MAY, NEED_NOT = "must", "must not", "may", "need not"
# An obligation and a prohibition both bind ("may not enter before the standstill ends" is "must
# wait"); a permission and a dispensation both leave it to the actor. Papers swap across that line.
BINDING = frozenset({MUST, MUST_NOT})

# Alternatives are tried in order at each place, so "may not" is read before "may" and "is not
# required to" before "required".
_MODAL = re.compile(
    r"\b(?:(?P<must_not>must not|may not|shall not|cannot|can not|(?:is|are) not (?:permitted|allowed) to|"
    r"(?:is|are) prohibited|prohibits?|forbids?|bars?|barred|none of the following may|no person may)"
    r"|(?P<need_not>need not|(?:does|do) not have to|(?:is|are) not (?:required|obliged) to)"
    r"|(?P<must>must|shall|requires?|required to|obliges?|obliged to|(?:has|have) a duty|duty to|(?:has|have) to)"
    r"|(?P<may>may|can|allows?|allowed to|permits?|permitted to|entitles?|entitled to|enables?|lets|"
    r"powers? to|discretion to|(?:is|are) able to))\b", re.I)
_STRENGTHS = {"must_not": MUST_NOT, "need_not": NEED_NOT, "must": MUST, "may": MAY}
# Verbs whose actor follows them: "requires the supplier to publish", "allows MOPAC to appoint".
_ACTOR_AFTER = re.compile(r"^(?:requires?|obliges?|allows?|permits?|entitles?|enables?|lets|prohibits?|forbids?|"
                          r"bars?)$", re.I)


@dataclass(frozen=True)
class Modal:
    strength: str  # MUST, MUST_NOT, MAY or NEED_NOT
    words: str
    start: int
    end: int


def modals(text: str) -> list[Modal]:
    """Every word of obligation, prohibition or permission in the text, in order."""
    return [Modal(_STRENGTHS[next(k for k, v in m.groupdict().items() if v)], m[0], m.start(), m.end())
            for m in _MODAL.finditer(text)]


def binding(strength: str) -> bool:
    """An obligation or a prohibition, rather than leaving it to the actor."""
    return strength in BINDING


# ---- actors -------------------------------------------------------------------------------------------

CONTRACTING_AUTHORITY = "a contracting authority"
PUBLIC_AUTHORITY = "a public authority"
MOPAC = "the Mayor's Office for Policing and Crime"
PCC = "a police and crime commissioner"
LOCAL_POLICING_BODY = "an elected local policing body"
# Longer names first: "Deputy Mayor" before "Mayor", "police and crime commissioner" before
# "commissioner", "appropriate authority" (a Minister) before "the authority".
_ACTORS: tuple[tuple[str, str], ...] = (
    ("the Deputy Mayor for Policing and Crime", r"deputy mayor(?: for policing and crime)?|DMPC"),
    (MOPAC, r"mayor['’]s office (?:for|of) policing(?: and)? crime|MOPAC['’]?s?|the office"),
    ("the Mayor of London", r"mayor of london|the mayor(?!['’]s)"),
    (PCC, r"police(?:, fire)? and crime commissioners?|PCCs?"),
    ("the Commissioner of Police of the Metropolis", r"commissioner of police of the metropolis|the commissioner"),
    ("a chief constable", r"chief constables?|chief officers? of police"),
    ("a police and crime panel", r"police and crime panels?"),
    (LOCAL_POLICING_BODY, r"elected local policing bod(?:y|ies)"),
    ("a Minister of the Crown", r"ministers? of the crown|secretary of state|(?:the )?welsh ministers|minister|"
                                r"appropriate authorit(?:y|ies)|cabinet office"),
    ("the court", r"the court|high court"),
    ("a Director", r"director(?: of [A-Z][\w&]*(?: (?:and|of) [A-Z][\w&]*)*)?"),
    (PUBLIC_AUTHORITY, r"public authorit(?:y|ies)"),
    (CONTRACTING_AUTHORITY, r"(?:sub-central |central government )?contracting authorit(?:y|ies)|"
                            r"contracting entit(?:y|ies)|the authority"),
    ("a supplier", r"(?:excluded |excludable |successful )?suppliers?|economic operators?|tenderers?|"
                   r"(?:sub-?)?contractors?|bidders?"),
)
_ACTOR = re.compile("|".join(rf"(?P<a{i}>\b(?:{pattern})\b)" for i, (_, pattern) in enumerate(_ACTORS)), re.I)
# A body a provision names in general terms, and the particular bodies a paper may put in its place:
# "MOPAC must have due regard" applies s.149's "a public authority must".
_INSTANCES: dict[str, frozenset[str]] = {
    MOPAC: frozenset({CONTRACTING_AUTHORITY, PUBLIC_AUTHORITY, LOCAL_POLICING_BODY}),
    PCC: frozenset({CONTRACTING_AUTHORITY, PUBLIC_AUTHORITY, LOCAL_POLICING_BODY}),
    CONTRACTING_AUTHORITY: frozenset({PUBLIC_AUTHORITY}),
    PUBLIC_AUTHORITY: frozenset({CONTRACTING_AUTHORITY}),
}


@dataclass(frozen=True)
class Actor:
    name: str
    start: int
    end: int


def actors(text: str) -> list[Actor]:
    return [Actor(_ACTORS[int(m.lastgroup[1:])][0], m.start(), m.end()) for m in _ACTOR.finditer(text)
            if m.lastgroup is not None]


def may_stand_for(paper_actor: str, provision_actor: str) -> bool:
    """The paper's actor is the provision's, or a particular body of the kind the provision names."""
    return paper_actor == provision_actor or provision_actor in _INSTANCES.get(paper_actor, frozenset())


# How far after "requires"/"allows" its object may start: "requires the contracting authority to …".
ACTOR_REACH = 40


def duty_holder(text: str) -> tuple[Actor, Modal] | None:
    """Who the first obligation or permission of the text falls on, and the words that say so:
    the actor after "requires"/"allows", else the nearest actor before the modal verb."""
    found = actors(text)
    for modal in modals(text):
        if _ACTOR_AFTER.match(modal.words):
            after = next((a for a in found if modal.end <= a.start <= modal.end + ACTOR_REACH), None)
            if after is not None:
                return after, modal
        before = [a for a in found if a.end <= modal.start and ";" not in text[a.end:modal.start]]
        if before:
            return before[-1], modal
    return None


# ---- conditions ---------------------------------------------------------------------------------------

# "is to be read as if" deems, it does not condition.
_CONDITION = re.compile(r"\b(?:only if|(?<!as )if|where|unless|provided that|in ?so ?far as)\b", re.I)
_CLAUSE_END = re.compile(r"[,;—:]|$", re.M)
_SENTENCE_END = re.compile(r"[;.]|$", re.M)
# The label of a numbered item starting a line: "(2)", "(b)", "(iv)", "(A)".
ITEM_LABEL = re.compile(r"^\s*\(([0-9]+[A-Z]*|[a-z]{1,4}|[A-Z]{1,2})\)\s*")
_ENDS_AND = re.compile(r"(?:,|;)?\s*and\s*$", re.I)
# Interpretation clauses, not conditions of a rule: "except where the context otherwise requires".
_BOILERPLATE = re.compile(r"\bcontext otherwise requires|^(?:relevant|applicable|appropriate|practicable)$", re.I)
MIN_CONDITION_TERMS = 2  # fewer distinctive words ("if later", "where relevant") carry no condition


@dataclass(frozen=True)
class Condition:
    """A condition of a provision's rule: its words, and the alternatives any one of which meets it
    ("if— (a) …, or (b) …"); a single alternative when all of it must hold."""

    words: str
    alternatives: tuple[frozenset[str], ...]  # each alternative's distinctive content terms


def item_lines(lines: list[str], at: int) -> list[str]:
    """The items following line `at`, at the level of the first of them, each with the lines
    nested in it."""
    items: list[str] = []
    level: int | None = None
    previous = None
    for line in lines[at + 1:]:
        m = ITEM_LABEL.match(line)
        this = label_level(m[1], previous) if m else 0  # an unlabelled line ("age;") is an item of its own
        previous = m[1] if m and this == 2 else previous
        level = this if level is None else level
        if this == level:
            items.append(line)
        elif this < level:
            break
        else:
            items[-1] += " " + line
    return items


def conditions(unit: str) -> list[Condition]:
    """The conditions a unit attaches to its rule: each "if"/"where"/"unless"/"only if" clause, or
    the items such a clause introduces. A condition's terms are those the rest of the unit does not
    use, so "If a supplier does not satisfy a condition of participation, the authority may exclude
    the supplier" conditions on {satisfy, condition}, not on "supplier"."""
    lines = [line.strip() for line in unit.splitlines() if line.strip()]
    found: list[tuple[str, list[str]]] = []
    spans: list[str] = []
    for i, line in enumerate(lines):
        # Clauses of one line are alternatives: "(b) where the economic operator is bankrupt …,
        # where its assets are being administered by a liquidator …, where …".
        on_line: list[tuple[str, list[str]]] = []
        for m in _CONDITION.finditer(line):
            end = _CLAUSE_END.search(line, m.end())
            assert end is not None
            if not line[m.end():end.start()].strip() and line[end.start():end.end()] == ",":
                # "where, for reasons of extreme urgency …, the time limits … cannot be complied with"
                end = _SENTENCE_END.search(line, end.end())
                assert end is not None
            clause = line[m.end():end.start()].strip(" ,")
            if _BOILERPLATE.search(clause):
                continue
            introduces = line[end.start():].strip() in ("—", ":", ":—")
            # The items after "if—" or "only if it is satisfied that—" are the condition; after a
            # fronted "Where the 2015 Regulations continue to apply—" they are the rule.
            fronted = not ITEM_LABEL.sub("", line[:m.start()]).strip()
            of_condition = not clause or "following" in clause or not fronted
            items = item_lines(lines, i) if introduces and of_condition else []
            if items:
                either = len(items) > 1 and not _ENDS_AND.search(items[-2])
                alternatives = [f"{clause} {ITEM_LABEL.sub('', item)}" for item in items] if either else \
                    [" ".join([clause, *(ITEM_LABEL.sub("", item) for item in items)])]
                found.append((clause + " " + " ".join(items), alternatives))
                spans += [clause, *items]
            elif clause:
                on_line.append((clause, [clause]))
                spans.append(clause)
        if on_line:
            found.append(("; ".join(w for w, _ in on_line), [a for _, alts in on_line for a in alts]))
    rest = unit
    for span in filter(None, spans):
        rest = rest.replace(span, " ")
    rule_terms = content_terms(rest)
    out = []
    for words, alternatives in found:
        terms = tuple(frozenset(content_terms(a) - rule_terms) for a in alternatives)
        if all(len(t) >= MIN_CONDITION_TERMS for t in terms):
            out.append(Condition(normalise_space(words), terms))
    return out


def covers(statement: str, condition: Condition, share: float) -> bool:
    """Whether the statement states the condition: at least `share` of the distinctive terms of one
    of its alternatives."""
    terms = content_terms(statement)
    return any(len(alt & terms) >= share * len(alt) for alt in condition.alternatives)


# Words that state a rule as holding always; a paper using one the provision does not use states it
# more widely than the provision does when the provision is conditional or has exceptions.
_UNIVERSAL = re.compile(r"\b(?:every|any|all|always|whenever|without exception|in all cases|in every case|never|"
                        r"regardless|whatever)\b", re.I)


def universal_words(text: str) -> set[str]:
    return {m[0].lower() for m in _UNIVERSAL.finditer(text)}


# ---- lists --------------------------------------------------------------------------------------------

MAX_ITEM_TERMS = 6  # a listed item is a short phrase; a longer run of words is a clause, not an item
MIN_ITEMS = 3
HEAD_TERMS = 3
_CHUNK = re.compile(r"\s*[,;]\s*")
_LIST_CUE = re.compile(r"(?::|\b(?:are|is|as|include|includes|including|namely|of|to|where|if|that)\b)\s+", re.I)
_AND_OR = re.compile(r"\s(?:and|or|and/or)\s", re.I)
_LEADING_JOIN = re.compile(r"^(?:and|or|and/or)\s+", re.I)
_PARENTHESES = re.compile(r"\([^)]*\)")
_ITEM_END = re.compile(r"[,;.]?\s*(?:and|or)?\s*$", re.I)
# Words that say a list is not the whole of it.
_NOT_EXHAUSTIVE = re.compile(r"\b(?:include|includes|including|such as|among|for example|e\.g\.|in particular)\b",
                             re.I)


def _terms(item: str) -> list[str]:
    return tokenize(_PARENTHESES.sub(" ", item))


def enumeration(text: str) -> list[str]:
    """The items a sentence enumerates ("age, disability, …, sex and sexual orientation"), or []
    when it enumerates fewer than three short items."""
    chunks = [c for c in _CHUNK.split(text.strip().rstrip(".")) if c]
    last = max((i for i, c in enumerate(chunks) if _AND_OR.search(f" {c} ")), default=-1)
    if last < 1:
        return []
    first = last - 1
    # Walk back over short items; the chunk with a cue inside it ("… the importance of delivering
    # value for money") leads the list. An item may itself begin with one ("to be sufficiently clear").
    while first > 0 and len(_terms(chunks[first])) <= MAX_ITEM_TERMS and not _LIST_CUE.search(chunks[first], 1):
        first -= 1
    cues = [m for m in _LIST_CUE.finditer(chunks[first]) if m.start() > 0]
    lead_item = chunks[first][cues[-1].end():] if cues else chunks[first]
    tail = _LEADING_JOIN.sub("", chunks[last])
    split = _AND_OR.split(tail, maxsplit=1)
    items = [lead_item, *chunks[first + 1:last], *split]
    items = [normalise_space(_LEADING_JOIN.sub("", i)) for i in items if _terms(i)]
    middle_short = all(len(_terms(i)) <= MAX_ITEM_TERMS for i in items[1:-1])
    return items if len(items) >= MIN_ITEMS and middle_short else []


def exhaustive(text: str) -> bool:
    return not _NOT_EXHAUSTIVE.search(text)


def listed_items(unit: str) -> list[str]:
    """The items a provision's unit lists after its lead-in ("(7) The relevant protected
    characteristics are—" then "age;" …), top level only, without labels or joining words."""
    lines = [line.strip() for line in unit.splitlines() if line.strip()]
    if len(lines) < 3 or not lines[0].endswith(("—", ":")):
        return []
    items = [ITEM_LABEL.sub("", item) for item in item_lines(lines, 0)]
    return [normalise_space(_ITEM_END.sub("", i)) for i in items if i]


def split_joined(item: str, provision_items: list[str]) -> list[str]:
    """An item of the paper's enumeration that matches no provision item, split at its "and"/"or"
    when each part matches one: "sharing information and acting" is two items run together."""
    if any(same_item(item, p) for p in provision_items):
        return [item]
    parts = [p for p in _AND_OR.split(f" {item} ") if _terms(p)]
    if len(parts) > 1 and all(any(same_item(part, p) for p in provision_items) for part in parts):
        return [normalise_space(p) for p in parts]
    return [item]


def same_item(paper: str, provision: str) -> bool:
    """One item read as the other: the paper's first words are all in it, it is all in the paper's
    words, or they share at least half their words."""
    ours, theirs = set(_terms(paper)), set(_terms(provision))
    if not ours or not theirs:
        return False
    head = set(_terms(paper)[:HEAD_TERMS])
    return head <= theirs or theirs <= ours or len(ours & theirs) * 2 >= len(ours | theirs)
