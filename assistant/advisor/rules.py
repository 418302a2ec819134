"""The advisor's rules as data: the statutory rules (rules.toml) and organisations' own rows
(delegation.toml, plus the file named by CGA_DELEGATION_FILE), loaded and checked field by field.

Every rule carries a `Source`: the passage it rests on and the exact words it relies on. A rule
file that is malformed is refused with a message naming the file, the entry and the field.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from assistant.answering.regime import ACT, PCR

RULES_FILE = Path(__file__).with_name("rules.toml")
DELEGATION_FILE = Path(__file__).with_name("delegation.toml")

# The order in which the decision trace is told (after the facts read from the question).
PHASES = ("regime", "authority", "service", "valuation", "threshold", "coverage", "procedures",
          "duties", "approval")
COVERAGE = ("public", "below")
_CHOICES: dict[str, tuple[str, ...]] = {
    "regime": (ACT, PCR),
    "coverage": COVERAGE,
    "authority": ("central", "sub-central"),
    "vat": ("inc", "exc", "unstated"),
}
_FLAGS = ("works", "light_touch", "framework", "utilities", "defence", "concession", "value_unknown")


class RulesError(ValueError):
    """A rule file that cannot be used; the message names the file, the entry and the field."""


def pounds(amount: int) -> str:
    return f"£{amount:,}"


@dataclass(frozen=True)
class Source:
    passage_id: str
    quote: str


@dataclass(frozen=True)
class Condition:
    """What must hold for a rule to apply; keys and values as documented in rules.toml."""

    terms: tuple[tuple[str, Any], ...] = ()

    def check(self, facts: Mapping[str, Any]) -> tuple[bool, tuple[str, ...]]:
        """(applies, provisos): a proviso is a fact the rule needs that is not known, said as "If ..."."""
        provisos = []
        for key, expected in self.terms:
            actual = facts.get("value" if key == "min_value" else key)
            if key == "min_value":
                if actual is None:
                    provisos.append(f"If the estimated value is at least {pounds(expected)}")
                elif actual < expected:
                    return False, ()
            elif key == "coverage":
                if actual in COVERAGE:
                    if actual not in expected:
                        return False, ()
                elif actual == "unknown":
                    if len(expected) == 1:
                        provisos.append("If at or above the threshold" if expected[0] == "public"
                                        else "If below the threshold")
                else:
                    return False, ()
            elif isinstance(expected, tuple):
                if actual not in expected:
                    return False, ()
            elif actual != expected:
                return False, ()
        return True, tuple(provisos)

    def holds(self, facts: Mapping[str, Any]) -> bool:
        applies, provisos = self.check(facts)
        return applies and not provisos


@dataclass(frozen=True)
class ThresholdRow:
    row: int
    label: str
    amount: int
    when: Condition
    excludes: tuple[int, ...]
    source: Source


@dataclass(frozen=True)
class LightTouchTerm:
    words: tuple[str, ...]
    service: str
    act: Source
    pcr: Source


@dataclass(frozen=True)
class StepRule:
    id: str
    phase: str
    step: str
    finding: str
    when: Condition
    source: Source
    organisation: str = ""


@dataclass(frozen=True)
class ApprovalRow:
    organisation: str
    action: str
    min_value: int
    max_value: int | None
    approver: str
    source: Source
    note: str = ""

    def covers(self, value: int) -> bool:
        return value >= self.min_value and (self.max_value is None or value < self.max_value)

    @property
    def band(self) -> str:
        if self.max_value is None:
            return f"{pounds(self.min_value)} or above"
        return f"{pounds(self.min_value)} up to (not including) {pounds(self.max_value)}"


@dataclass(frozen=True)
class RuleSet:
    thresholds: tuple[ThresholdRow, ...]
    light_touch: tuple[LightTouchTerm, ...]
    steps: tuple[StepRule, ...]
    approvals: tuple[ApprovalRow, ...]
    organisations: tuple[tuple[str, tuple[str, ...]], ...] = field(default=())

    def sources(self) -> list[tuple[str, Source]]:
        """Every (rule label, source) pair, for checking each against the index."""
        out: list[tuple[str, Source]] = [(f"threshold row {t.row}", t.source) for t in self.thresholds]
        for term in self.light_touch:
            out += [(f"light touch '{term.service}' (Act)", term.act),
                    (f"light touch '{term.service}' (PCR)", term.pcr)]
        out += [(f"step '{s.id}'", s.source) for s in self.steps]
        out += [(f"approval {a.organisation} {a.band}", a.source) for a in self.approvals]
        return out

    def usable(self, ok: Callable[[str], bool]) -> RuleSet:
        """Only the rules whose passage passes `ok` (present in the index and open to the user)."""
        return replace(
            self,
            thresholds=tuple(t for t in self.thresholds if ok(t.source.passage_id)),
            light_touch=tuple(t for t in self.light_touch if ok(t.act.passage_id) and ok(t.pcr.passage_id)),
            steps=tuple(s for s in self.steps if ok(s.source.passage_id)),
            approvals=tuple(a for a in self.approvals if ok(a.source.passage_id)),
        )

    def aliases(self) -> dict[str, tuple[str, ...]]:
        names = {a.organisation for a in self.approvals} | {s.organisation for s in self.steps if s.organisation}
        table = dict(self.organisations)
        return {name: tuple(dict.fromkeys((name, *table.get(name, ())))) for name in sorted(names)}


class _Reader:
    """Field access that reports the file, the entry and the field on any bad value."""

    def __init__(self, path: Path, entry: str, data: Any) -> None:
        self.path, self.entry = path, entry
        if not isinstance(data, dict):
            self.fail("", "must be a table")
        self.data = data

    def fail(self, key: str, reason: str) -> None:
        where = f"{self.entry}.{key}" if key else self.entry
        raise RulesError(f"{self.path}: {where} {reason}")

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str) or not value.strip():
            self.fail(key, "must be a non-empty string")
        return value.strip()

    def amount(self, key: str, required: bool = True) -> int | None:
        value = self.data.get(key)
        if value is None and not required:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            self.fail(key, f"must be a whole number of pounds, got {value!r}")
        return value

    def source(self, data: Any = None, key: str = "") -> Source:
        reader = self if data is None else _Reader(self.path, f"{self.entry}.{key}", data)
        return Source(reader.text("passage_id"), " ".join(reader.text("quote").split()))

    def condition(self, key: str = "when") -> Condition:
        when = self.data.get(key, {})
        if not isinstance(when, dict):
            self.fail(key, "must be a table of conditions")
        terms: list[tuple[str, Any]] = []
        for name, value in when.items():
            if name in _FLAGS:
                if not isinstance(value, bool):
                    self.fail(f"{key}.{name}", f"must be true or false, got {value!r}")
                terms.append((name, value))
            elif name in _CHOICES:
                values = value if isinstance(value, list) else [value]
                bad = [v for v in values if v not in _CHOICES[name]]
                if bad or not values:
                    self.fail(f"{key}.{name}",
                              f"must be one of {list(_CHOICES[name])} (or a list of them), got {value!r}")
                terms.append((name, tuple(values)))
            elif name == "min_value":
                if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                    self.fail(f"{key}.{name}", f"must be a whole number of pounds, got {value!r}")
                terms.append((name, value))
            else:
                known = sorted([*_FLAGS, *_CHOICES, "min_value"])
                self.fail(f"{key}.{name}", f"is not a known condition (known: {known})")
        return Condition(tuple(terms))


def _entries(path: Path, data: dict[str, Any], key: str) -> list[_Reader]:
    items = data.get(key, [])
    if not isinstance(items, list):
        raise RulesError(f"{path}: {key} must be an array of tables ([[{key}]])")
    return [_Reader(path, f"{key}[{i}]", item) for i, item in enumerate(items)]


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError as exc:
        raise RulesError(f"{path}: file not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path}: not valid TOML ({exc})") from exc


def _step(r: _Reader, organisation: str = "") -> StepRule:
    phase = r.text("phase")
    if phase not in PHASES:
        r.fail("phase", f"must be one of {list(PHASES)}, got {phase!r}")
    return StepRule(r.text("id", default=f"{r.path.name}:{r.entry}"), phase, r.text("step"), r.text("finding"),
                    r.condition(), r.source(), organisation)


def _statutory(path: Path) -> RuleSet:
    data = _read_toml(path)
    thresholds = []
    for r in _entries(path, data, "threshold"):
        excludes = r.data.get("excludes", [])
        if not isinstance(excludes, list) or not all(isinstance(n, int) for n in excludes):
            r.fail("excludes", "must be a list of row numbers")
        thresholds.append(ThresholdRow(r.amount("row"), r.text("label"), r.amount("amount"), r.condition(),
                                       tuple(excludes), r.source()))
    _check_exclusions(path, thresholds)
    terms = []
    for r in _entries(path, data, "light_touch"):
        words = r.data.get("words")
        if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
            r.fail("words", "must be a non-empty list of strings")
        terms.append(LightTouchTerm(tuple(w.strip().lower() for w in words), r.text("service"),
                                    r.source(r.data.get("act"), "act"), r.source(r.data.get("pcr"), "pcr")))
    steps = tuple(_step(r) for r in _entries(path, data, "step"))
    _unique_ids(path, steps)
    return RuleSet(tuple(thresholds), tuple(terms), steps, ())


def _check_exclusions(path: Path, thresholds: list[ThresholdRow]) -> None:
    """Every excluded row exists, and no row is (through others) "not within" itself."""
    excludes = {t.row: set(t.excludes) for t in thresholds}
    for row, others in excludes.items():
        if unknown := others - excludes.keys():
            raise RulesError(f"{path}: threshold row {row} excludes rows {sorted(unknown)}, which are not in the table")
    for row in excludes:
        seen, todo = set(), list(excludes[row])
        while todo:
            other = todo.pop()
            if other == row:
                raise RulesError(f"{path}: threshold row {row} is, through its exclusions, not within itself")
            if other not in seen:
                seen.add(other)
                todo.extend(excludes[other])


def _organisational(path: Path) -> RuleSet:
    data = _read_toml(path)
    organisations = data.get("organisations", {})
    if not isinstance(organisations, dict):
        raise RulesError(f"{path}: organisations must be a table of [organisations.NAME] entries")
    aliases = []
    for name, entry in organisations.items():
        r = _Reader(path, f"organisations.{name}", entry)
        names = r.data.get("aliases", [])
        if not isinstance(names, list) or not all(isinstance(a, str) and a.strip() for a in names):
            r.fail("aliases", "must be a list of names")
        aliases.append((name, tuple(a.strip() for a in names)))
    approvals = []
    for r in _entries(path, data, "approval"):
        low, high = r.amount("min_value"), r.amount("max_value", required=False)
        assert low is not None
        if high is not None and high <= low:
            r.fail("max_value", f"must be more than min_value ({low}), got {high}")
        approvals.append(ApprovalRow(r.text("organisation"), r.text("action"), low, high, r.text("approver"),
                                     r.source(), r.data.get("note", "").strip()))
    steps = tuple(_step(r, r.text("organisation")) for r in _entries(path, data, "step"))
    return RuleSet((), (), steps, tuple(approvals), tuple(aliases))


def _unique_ids(path: Path, steps: tuple[StepRule, ...]) -> None:
    seen: set[str] = set()
    for s in steps:
        if s.id in seen:
            raise RulesError(f"{path}: step id {s.id!r} is used twice")
        seen.add(s.id)


def _merge(base: RuleSet, extra: RuleSet) -> RuleSet:
    return RuleSet(base.thresholds + extra.thresholds, base.light_touch + extra.light_touch, base.steps + extra.steps,
                   base.approvals + extra.approvals, base.organisations + extra.organisations)


@lru_cache(maxsize=8)
def _load(files: tuple[tuple[Path, int], ...]) -> RuleSet:
    (rules_path, _), *organisation_files = files
    rules = _statutory(rules_path)
    for path, _ in organisation_files:
        rules = _merge(rules, _organisational(path))
        _unique_ids(path, rules.steps)
    return rules


def load_rules(delegation_file: Path | None = None, rules_file: Path = RULES_FILE,
               organisation_file: Path = DELEGATION_FILE) -> RuleSet:
    """The statutory rules, the shipped organisation rows and, if given, the extra delegation file.

    Reloaded when any of the files changes on disk.
    """
    paths = [rules_file, organisation_file] + ([delegation_file] if delegation_file else [])
    stamped = []
    for path in paths:
        try:
            stamped.append((path.resolve(), path.stat().st_mtime_ns))
        except FileNotFoundError as exc:
            raise RulesError(f"{path}: file not found") from exc
    return _load(tuple(stamped))
