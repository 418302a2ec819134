"""Which procurement regime governs a question: PCR 2015 or the Procurement Act 2023.

SI 2024/716 reg. 2(2) brings the Act into force on 24 February 2025, and reg. 5 keeps PCR 2015
applying to procurements begun before then. A question's own words (a date, a named regime) win
over the settings; with neither, the Act applies and the answer says that it assumed so.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from ingest.figures import first_date

COMMENCEMENT = date(2025, 2, 24)
ACT = "PA 2023"
PCR = "PCR 2015"
BOTH = "both"
# The provisions the regime rule rests on: SI 2024/716 reg. 2 (commencement) and reg. 5 (PCR 2015 saved).
RULE_PASSAGES = ("uksi-2024-716/reg-2", "uksi-2024-716/reg-5/1", "uksi-2024-716/reg-5/3", "uksi-2024-716/reg-5/4")

_NAMES_PCR = re.compile(r"\b(PCR(?: ?2015)?|Public Contracts Regulations(?: 2015)?|2015 Regulations|"
                        r"OJEU|old regime|previous regime|light[- ]touch regime)\b", re.I)
_NAMES_ACT = re.compile(r"\b(Procurement Act(?: 2023)?|PA ?2023|PA23|2023 Act|the Act|Procurement Regulations 2024|"
                        r"new regime|competitive flexible)\b", re.I)
_ASKS_REGIME = re.compile(
    r"\b(which (?:rules|regime|law|legislation)|what rules apply|(?:PCR|2015 Regulations|old rules).{0,40}(?:or|versus|vs\.?) "
    r"(?:the )?(?:new |Procurement )?(?:Act|regime|rules)|(?:go|went|goes) live|came into force|come into force|"
    r"commencement|transitional|saving provisions?|still (?:apply|applies|follow|use|run)|continue to apply|"
    r"24(?:th)? February 2025)\b", re.I)
# The procurement's own events: when it started, was advertised, or its contract was let.
_EVENT = re.compile(
    r"\b(start(?:ed|ing)?|begun|began|commenc\w*|launch\w*|advertis\w*|publish\w*|issued?|posted|went out|"
    r"let(?!\s+(?:us|me|them|you|it)\b)|awarded|signed|entered into|set up|put in place|procured|tendered|bought)\b", re.I)
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")


@dataclass(frozen=True)
class Regime:
    name: str  # ACT, PCR or BOTH
    reason: str
    as_at: str = ""

    def to_dict(self) -> dict[str, str]:
        return asdict(self)

    @property
    def label(self) -> str:
        return {ACT: "Procurement Act 2023", PCR: "Public Contracts Regulations 2015",
                BOTH: "Procurement Act 2023 and Public Contracts Regulations 2015"}[self.name]


def asks_which_regime(question: str) -> bool:
    """Questions about which regime governs, or about the switch-over itself."""
    return bool(_ASKS_REGIME.search(question))


def regime_for_date(day: date) -> str:
    return PCR if day < COMMENCEMENT else ACT


def named_regime(text: str) -> Regime | None:
    """The regime a text names ("under PCR 2015", "the Act", "the light touch regime"), if any."""
    names_pcr = bool(_NAMES_PCR.search(text))
    names_act = bool(_NAMES_ACT.search(text))
    if names_pcr and names_act:
        return Regime(BOTH, "the question names both regimes")
    if names_pcr:
        return Regime(PCR, "the question names the Public Contracts Regulations 2015")
    if names_act:
        return Regime(ACT, "the question names the Procurement Act 2023")
    return None


def event_date(question: str) -> tuple[date, str] | None:
    """The date of the procurement's own events the question gives ("awarded in 2021", "we published
    the notice on 17 February 2025", "started in January 2025"), with the words that gave it.

    A contract let or a procurement begun before 24 February 2025 stays under PCR 2015, changes to
    it included (SI 2024/716 reg. 5), so these dates decide the regime.
    """
    for event in _EVENT.finditer(question):
        window = question[max(0, event.start() - 40):event.end() + 90]
        written = first_date(window)
        if written is not None:
            return written.day, f"{event[0]} … {written.text}"
        if year := _YEAR.search(window):
            # A year alone: its first day, except the year of the switch, which it cannot place.
            if int(year[0]) != COMMENCEMENT.year:
                return date(int(year[0]), 1, 1), f"{event[0]} … {year[0]}"
    return None


def decide_regime(question: str, setting: str = "auto", as_at: str | None = None) -> Regime:
    """The regime from the facts: a date of the procurement's events in the question first, then a
    regime it names, the setting, the date field, and last the Act."""
    named = named_regime(question)
    event = event_date(question)
    if event is not None:
        day, words = event
        name = regime_for_date(day)
        reason = (f"the question dates the procurement (“{words}”): {day.isoformat()} is "
                  f"{'before' if name == PCR else 'on or after'} 24 February 2025 (SI 2024/716)")
        if named is not None and named.name not in (name, BOTH):
            reason += f"; it also names the {named.label}, but the date decides"
        if as_at and regime_for_date(date.fromisoformat(as_at)) != name:
            reason += f"; the date field says {as_at}, but the question's own date wins"
        return Regime(name, reason, day.isoformat())
    # A regime named or set still takes the date field as its start date: the figures in force
    # (PCR 2015's thresholds as amended) are those of that day.
    if named is not None:
        if as_at and named.name != BOTH and not named.as_at:
            return Regime(named.name, f"{named.reason}; the procurement started on {as_at}", as_at)
        return named
    if setting in (ACT, PCR):
        return Regime(setting, f"the regime was set to {setting}", as_at or "")
    if as_at:
        day = date.fromisoformat(as_at)
        name = regime_for_date(day)
        return Regime(name, f"the procurement started on {day.isoformat()}, "
                            f"{'before' if name == PCR else 'on or after'} 24 February 2025", day.isoformat())
    return Regime(ACT, "no start date given: assuming a procurement started on or after 24 February 2025")


def regime_line(regime: Regime, passages: list[Any]) -> str:
    """The closing line of every answer: the regime, why, and the date of each text quoted."""
    dates = sorted({f"{p.doc_short} as at {p.version_date}" if p.version_date else f"{p.doc_short} (date not stated)"
                    for p in passages})
    return f"Regime: {regime.label} — {regime.reason}. Texts: {'; '.join(dates)}."
