"""Which procurement regime governs a question: PCR 2015 or the Procurement Act 2023.

SI 2024/716 reg. 2(2) brings the Act into force on 24 February 2025, and reg. 5 keeps PCR 2015
applying to procurements begun before then. A question's own words (a date, a named regime) win
over the settings; with neither, the Act applies and the answer says that it assumed so.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date

COMMENCEMENT = date(2025, 2, 24)
ACT = "PA 2023"
PCR = "PCR 2015"
BOTH = "both"
# The provisions the regime rule rests on: SI 2024/716 reg. 2 (commencement) and reg. 5 (PCR 2015 saved).
RULE_PASSAGES = ("uksi-2024-716/reg-2", "uksi-2024-716/reg-5/1", "uksi-2024-716/reg-5/3", "uksi-2024-716/reg-5/4")

_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), start=1)}
_ISO_DATE = re.compile(r"\b(20\d\d)-(\d\d)-(\d\d)\b")
_TEXT_DATE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)? (" + "|".join(_MONTHS) + r") (20\d\d)\b", re.I)
_MONTH_YEAR = re.compile(r"\b(" + "|".join(_MONTHS) + r") (20\d\d)\b", re.I)
_NAMES_PCR = re.compile(r"\b(PCR(?: ?2015)?|Public Contracts Regulations(?: 2015)?|2015 Regulations|"
                        r"OJEU|old regime|previous regime|light[- ]touch regime)\b", re.I)
_NAMES_ACT = re.compile(r"\b(Procurement Act(?: 2023)?|PA ?2023|PA23|2023 Act|the Act|Procurement Regulations 2024|"
                        r"new regime|competitive flexible)\b", re.I)
_ASKS_REGIME = re.compile(
    r"\b(which (?:rules|regime|law|legislation)|what rules apply|(?:PCR|2015 Regulations|old rules).{0,40}(?:or|versus|vs\.?) "
    r"(?:the )?(?:new |Procurement )?(?:Act|regime|rules)|(?:go|went|goes) live|came into force|come into force|"
    r"commencement|transitional|saving provisions?|still (?:apply|applies|follow|use|run)|continue to apply|"
    r"24(?:th)? February 2025)\b", re.I)
_STARTED = re.compile(r"\b(start|started|starting|begun|began|commenc\w*|launch\w*|advertis\w*|publish\w*|issued?)\b", re.I)


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


def dates_in(text: str) -> list[date]:
    found = []
    for y, m, d in _ISO_DATE.findall(text):
        found.append(date(int(y), int(m), int(d)))
    for d, month, y in _TEXT_DATE.findall(text):
        found.append(date(int(y), _MONTHS[month.lower()], int(d)))
    if not found:
        for month, y in _MONTH_YEAR.findall(text):
            found.append(date(int(y), _MONTHS[month.lower()], 1))
    return found


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


def decide_regime(question: str, setting: str = "auto", as_at: str | None = None) -> Regime:
    named = named_regime(question)
    if named is not None:
        return named
    days = dates_in(question) if _STARTED.search(question) else []
    if days:
        day = days[0]
        name = regime_for_date(day)
        return Regime(name, f"the procurement starts on {day.isoformat()}, "
                            f"{'before' if name == PCR else 'on or after'} 24 February 2025", day.isoformat())
    if setting in (ACT, PCR):
        return Regime(setting, f"the regime was set to {setting}")
    if as_at:
        day = date.fromisoformat(as_at)
        name = regime_for_date(day)
        return Regime(name, f"the procurement started on {day.isoformat()}, "
                            f"{'before' if name == PCR else 'on or after'} 24 February 2025", day.isoformat())
    return Regime(ACT, "no start date given: assuming a procurement started on or after 24 February 2025")
