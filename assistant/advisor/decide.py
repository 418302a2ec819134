"""From facts to a decision: regime, threshold, coverage, procedures, duties and approval.

Each step of the decision rests on a rule's `Source` (or on none, when it states a fact or an
assumption). Pure: no index, no I/O; the engine turns the result into a cited Answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from assistant.advisor.facts import Facts
from assistant.advisor.rules import (
    ApprovalRow,
    RuleSet,
    Source,
    StepRule,
    ThresholdRow,
    pounds,
)
from assistant.answering.regime import ACT, Regime


@dataclass
class Step:
    phase: str
    step: str
    finding: str
    source: Source | None = None


@dataclass
class Advice:
    facts: Facts
    regime: Regime
    coverage: str  # "public" (at or above threshold), "below", "unknown" (cannot compare) or "unvalued"
    threshold: int | None
    approvers: list[str]
    verdict: list[Step]
    steps: list[Step]
    questions: list[str] = field(default_factory=list)


@dataclass
class _Situation:
    """The facts as the rules see them, assumptions filled in."""

    attrs: dict[str, Any]
    organisation: str
    steps: list[Step]
    questions: list[str]


@dataclass(frozen=True)
class AmendedThreshold:
    """A PCR 2015 reg.5(1) threshold as substituted by an amending instrument we hold."""

    place: str  # the sub-paragraph: "a" works, "b" central government, "c" sub-central
    amount: Decimal
    words: str  # the figure as written ("£5,372,609")
    in_force: str
    by_citation: str
    source: Source


def decide(facts: Facts, regime: Regime, rules: RuleSet, pcr_thresholds: Sequence[AmendedThreshold] = ()) -> Advice:
    situation = _situation(facts, regime, rules)
    steps, questions = situation.steps, situation.questions
    by_id = {s.id: s for s in rules.steps}

    def source_of(rule_id: str) -> Source | None:
        return by_id[rule_id].source if rule_id in by_id else None

    def rule_steps(phase: str) -> None:
        for rule in rules.steps:
            if rule.phase == phase and rule.organisation in ("", situation.organisation):
                if step := _apply(rule, situation.attrs):
                    steps.append(step)

    regime_source = source_of("regime-commencement" if regime.name == ACT else "regime-saving")
    steps.append(Step("regime", "Regime", f"{regime.label}: {regime.reason}"))
    rule_steps("regime")
    rule_steps("authority")
    steps.extend(_service_steps(facts, regime, rules, source_of))
    rule_steps("service")
    rule_steps("valuation")
    row, threshold_steps = _threshold(regime, rules, situation.attrs)
    steps.extend(threshold_steps)
    rule_steps("threshold")
    coverage, coverage_step = _coverage(facts, regime, row, source_of)
    situation.attrs["coverage"] = coverage
    if coverage_step:
        steps.append(coverage_step)
    if coverage == "unvalued":
        questions.append("What is the estimated value of the contract (the most it could pay, options included)?")
    rule_steps("coverage")
    rule_steps("procedures")
    rule_steps("duties")
    approvals = [a for a in rules.approvals if a.organisation == situation.organisation]
    steps.extend(_approval_steps(facts.value, situation.organisation, approvals))
    rule_steps("approval")
    verdict = _verdict(facts, regime, coverage, row, situation, approvals, regime_source, pcr_thresholds)
    return Advice(facts, regime, coverage, row.amount if row else None,
                  [a.approver for a in approvals if facts.value is not None and a.covers(facts.value)],
                  verdict, steps, questions)


def _situation(facts: Facts, regime: Regime, rules: RuleSet) -> _Situation:
    """Fill what the question left out, saying so in a 'facts' step each time."""
    steps: list[Step] = []
    questions: list[str] = []

    def fact(label: str, finding: str) -> None:
        steps.append(Step("facts", label, finding))

    if facts.value is not None:
        fact("Value", f"{pounds(facts.value)} (“{facts.value_text}”)")
        counts = "including VAT" if regime.name == ACT else "net of VAT"
        fact("VAT", {"inc": "stated as including VAT", "exc": "stated as excluding VAT"}.get(
            facts.vat or "", f"not stated: the figure is taken as the regime counts it ({counts})"))
    elif facts.value_unknown:
        fact("Value", "the question says the value cannot be estimated")
    else:
        fact("Value", "not stated")
    works = facts.kind == "works"
    light_touch = bool(facts.light_touch)
    if facts.service:
        fact("Contract", f"services; “{facts.service_words}” read as {facts.service}, a light touch service "
                         "(assumed from the words: confirm the CPV code of the requirement)")
    elif light_touch:
        fact("Contract", "light touch services (as stated)")
    elif facts.kind == "services":
        fact("Contract", "services not identified as light touch services (assumed: if they are, the light "
                         "touch threshold applies instead)")
    elif facts.kind:
        fact("Contract", facts.kind)
    else:
        fact("Contract", "not stated: assumed goods or services, not works")
    if facts.authority and not facts.authority_inferred:
        authority = facts.authority
        fact("Authority", f"{authority} (“{facts.authority_text}”)")
    elif facts.authority:
        authority = facts.authority
        fact("Authority", f"assuming a sub-central authority: “{facts.authority_text}” — MOPAC and police bodies "
                          "are not central government authorities")
    else:
        authority = "sub-central"
        fact("Authority", "not stated: assuming a sub-central authority — MOPAC is one")
    if facts.start:
        fact("Start", f"{facts.start} ({facts.start_text})")
    else:
        fact("Start", regime.reason if regime.reason.startswith("no start date") else f"not stated; {regime.reason}")
    special = [name for name, flag in (("utilities", facts.utilities), ("defence and security", facts.defence),
                                       ("concession", facts.concession)) if flag]
    fact("Special regimes", f"{' and '.join(special)} contract (as stated)" if special
         else "not a utilities, defence and security or concession contract (assumed: none is mentioned)")
    organisation = facts.organisation
    named = rules.aliases()
    if organisation:
        fact("Organisation", f"{organisation} (named in the question)")
    elif len(named) == 1:
        organisation = next(iter(named))
        fact("Organisation", f"{organisation} (assumed: the organisation whose delegation rows are loaded)")
    elif named:
        fact("Organisation", "not identified")
        questions.append(f"Which organisation is buying ({', '.join(named)})?")
    attrs = {"regime": regime.name, "works": works, "light_touch": light_touch, "framework": facts.framework,
             "utilities": facts.utilities, "defence": facts.defence, "concession": facts.concession,
             "authority": authority, "vat": facts.vat or "unstated", "value_unknown": facts.value_unknown,
             "value": facts.value}
    return _Situation(attrs, organisation, steps, questions)


def _apply(rule: StepRule, attrs: dict[str, Any]) -> Step | None:
    applies, provisos = rule.when.check(attrs)
    if not applies:
        return None
    finding = rule.finding
    if provisos:
        condition = provisos[0] + "".join(f", and {p[0].lower()}{p[1:]}" for p in provisos[1:])
        finding = f"{condition}: {finding}"
    return Step(rule.phase, rule.step, finding, rule.source)


def _service_steps(facts: Facts, regime: Regime, rules: RuleSet, source_of) -> list[Step]:
    if facts.service:
        term = next((t for t in rules.light_touch if t.service == facts.service), None)
        if term is None:
            return []
        schedule = "PR 2024 Sch.1" if regime.name == ACT else "PCR 2015 Sch.3"
        finding = f"“{facts.service_words}”: the nearest entry in {schedule} is quoted; confirm the CPV code"
        return [Step("service", "Light touch", f"{finding} of the requirement",
                     term.act if regime.name == ACT else term.pcr)]
    if facts.kind == "services" and not facts.light_touch:
        rule_id = "act-light-touch-list" if regime.name == ACT else "pcr-light-touch"
        return [Step("service", "Light touch", "not identified as light touch services, so the general threshold "
                                               "is used; services listed here would take the light touch threshold",
                     source_of(rule_id))]
    return []


def _threshold(regime: Regime, rules: RuleSet, attrs: dict[str, Any]) -> tuple[ThresholdRow | None, list[Step]]:
    """The row of PA 2023 Sch.1 para 1(1) that describes the contract, applying each row's "not within"."""
    if regime.name != ACT:
        return None, []
    by_row = {t.row: t for t in rules.thresholds}
    applies: dict[int, bool] = {}

    def row_applies(number: int) -> bool:
        # A row applies when it describes the contract and none of the rows it is "not within" applies.
        if number not in applies:
            t = by_row[number]
            applies[number] = t.when.holds(attrs) and not any(row_applies(x) for x in t.excludes if x in by_row)
        return applies[number]

    chosen = [t for t in rules.thresholds if row_applies(t.row)]
    if len(chosen) == 1:
        row = chosen[0]
        return row, [Step("threshold", "Threshold", f"row {row.row} of the table — {row.label}: {pounds(row.amount)}",
                          row.source)]
    if not chosen:
        return None, [Step("threshold", "Threshold", "the documents available give no threshold row for this contract")]
    listed = "; ".join(f"row {t.row} ({pounds(t.amount)})" for t in chosen)
    return None, [Step("threshold", "Threshold", f"the table describes this contract in more than one row — "
                                                 f"{listed} — and its text does not say which prevails",
                       chosen[0].source)]


def _coverage(facts: Facts, regime: Regime, row: ThresholdRow | None, source_of) -> tuple[str, Step | None]:
    """Is the contract at or above its threshold? "unknown" when the documents cannot settle it."""
    value = facts.value
    if regime.name != ACT:
        if value is None and not facts.value_unknown:
            return "unvalued", None
        step = Step("coverage", "Threshold test", "the indexed documents give no PCR 2015 threshold figure to compare "
                                                  "with, so what follows is set out for both outcomes")
        if facts.vat == "inc":
            step = Step("coverage", "Threshold test", "PCR 2015 counts the value net of VAT: compare the value "
                                                      "without VAT once the threshold figure is known",
                        source_of("pcr-valuation"))
        return "unknown", step
    if row is None:
        return ("unvalued" if value is None and not facts.value_unknown else "unknown"), None
    threshold = pounds(row.amount)
    if facts.value_unknown:
        return "public", Step("coverage", "Threshold test", f"the value cannot be estimated, so it is treated as "
                                                            f"more than the {threshold} threshold",
                              source_of("act-valuation-unknown"))
    if value is None:
        return "unvalued", Step("coverage", "Threshold test",
                                f"give the estimated value to compare it with {threshold}")
    if facts.vat == "exc" and value < row.amount:
        return "unknown", Step("coverage", "Threshold test",
                               f"{pounds(value)} excludes VAT but the Act counts VAT: the contract is a public "
                               f"contract if {pounds(value)} plus VAT is {threshold} or more",
                               source_of("act-valuation-vat"))
    if value >= row.amount:
        how = "equals" if value == row.amount else "is above"
        return "public", Step("coverage", "Threshold test", f"{pounds(value)} {how} the {threshold} threshold "
                                                            "(a public contract needs a value not less than it)",
                              row.source)
    return "below", Step("coverage", "Threshold test", f"{pounds(value)} is below the {threshold} threshold "
                                                       f"(by {pounds(row.amount - value)})", row.source)


def _approval_steps(value: int | None, organisation: str, rows: list[ApprovalRow]) -> list[Step]:
    if not rows:
        who = f" at {organisation}" if organisation else ""
        return [Step("approval", "Approval", f"the documents available do not say who{who} approves going to tender")]
    covering = [a for a in rows if value is not None and a.covers(value)]
    steps = []
    for a in covering or rows:
        said = f"{a.approver} approves requests to {a.action} for contracts of {a.band}"
        if value is None:
            finding = said
        elif covering:
            finding = f"for {pounds(value)}, {said}"
        else:
            finding = f"no {organisation} row covers {pounds(value)}; the documents available say only that {said}"
        steps.append(Step("approval", "Approval", f"{finding} ({a.note})" if a.note else finding, a.source))
    return steps


def _pcr_threshold(facts: Facts, situation: _Situation, thresholds: Sequence[AmendedThreshold]
                   ) -> AmendedThreshold | None:
    """The reg.5(1) sub-paragraph describing the contract: works, else central or sub-central supply
    and services (light touch services keep the Directive's figure, which no instrument we hold sets)."""
    if situation.attrs["light_touch"]:
        return None
    place = "a" if situation.attrs["works"] else "b" if facts.authority == "central" else "c"
    return next((t for t in thresholds if t.place == place), None)


def _verdict(facts: Facts, regime: Regime, coverage: str, row: ThresholdRow | None, situation: _Situation,
             approvals: list[ApprovalRow], regime_source: Source | None,
             pcr_thresholds: Sequence[AmendedThreshold] = ()) -> list[Step]:
    def say(text: str, source: Source | None = None) -> None:
        verdict.append(Step("verdict", "Verdict", text, source))

    verdict: list[Step] = []
    say(f"{regime.label} applies ({regime.reason}).", regime_source)
    value = pounds(facts.value) if facts.value is not None else ""
    special = situation.attrs["utilities"] or situation.attrs["concession"]
    if regime.name == ACT and row is not None:
        where = f"the {pounds(row.amount)} threshold in row {row.row} of PA 2023 Sch.1 para 1(1) (“{row.label}”)"
        if coverage == "public" and facts.value_unknown:
            say(f"The value cannot be estimated, so the contract is treated as above {where}: it is a public "
                "contract, awarded by an open or competitive flexible procedure, a justified direct award or under "
                "a framework.", row.source)
        elif coverage == "public":
            say(f"{value} is at or above {where}: it is a public contract, awarded by an open or competitive flexible "
                "procedure, a justified direct award or under a framework.", row.source)
        elif coverage == "below":
            duties = ("Part 6 does not apply to a utilities or concession contract" if special
                      else "the Part 6 duties for regulated below-threshold contracts apply")
            say(f"{value} is below {where}: it is a below-threshold contract, not a public contract, so the Act "
                f"prescribes no award procedure; {duties}.", row.source)
        elif coverage == "unknown":
            say(f"{value} excludes VAT, which the Act counts: compare the VAT-inclusive value with {where}; both "
                "outcomes are set out below.", row.source)
        else:
            say(f"The threshold is {where}; give the estimated value to decide whether it is a public contract.",
                row.source)
    elif regime.name == ACT:
        say("The documents available do not settle which threshold applies.")
    elif amended := _pcr_threshold(facts, situation, pcr_thresholds):
        where = (f"the {amended.words} threshold of PCR 2015 reg.5(1)({amended.place}), as substituted from "
                 f"{amended.in_force} by {amended.by_citation}")
        if facts.value is None:
            say(f"The threshold is {where}; give the estimated value to compare it.", amended.source)
        else:
            side = "at or above" if facts.value >= amended.amount else "below"
            say(f"{value} is {side} {where}.", amended.source)
    elif value:
        say(f"PCR 2015 sets its thresholds by reference to the Public Contracts Directive and the indexed text "
            f"gives no sterling figure, so the indexed documents do not settle whether {value} is above the "
            "threshold; the procedures for both outcomes are set out below.")
    else:
        say("PCR 2015 sets its thresholds by reference to the Public Contracts Directive and the indexed text "
            "gives no sterling figure; give the estimated value and the threshold in force at the start date.")
    covering = [a for a in approvals if facts.value is not None and a.covers(facts.value)]
    for a in covering:
        say(f"At {a.organisation}, {a.approver} approves requests to {a.action} for contracts of {a.band}.", a.source)
    if situation.organisation and facts.value is not None and not covering:
        say(f"The documents available do not say who at {situation.organisation} approves going to tender "
            f"for {value}.")
    return verdict
