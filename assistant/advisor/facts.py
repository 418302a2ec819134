"""The facts a route question states: value, VAT, kind of contract, light touch service, authority,
start date, organisation and special-regime flags. Plain patterns, no model.

A fact the question does not state stays None here; the decision fills it with an explicit,
displayed assumption (or asks for it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal

from assistant.advisor.rules import RuleSet
from ingest.figures import first_date, first_money

_VALUE_UNKNOWN = re.compile(
    r"\b(?:can(?:not|'t|’t)|unable to|don(?:'|’)?t know how to)\s+(?:put a value on|estimate|value)\b"
    r"|\bvalue (?:is )?(?:unknown|not known)\b|\bunknown value\b", re.I)
_INC_VAT = re.compile(r"\b(?:inc(?:l(?:uding|usive of)?)?\.?|including|inclusive of|with|gross of)\s+VAT\b"
                      r"|\bVAT[- ]inclusive\b|\bgross\b", re.I)
_EXC_VAT = re.compile(r"(?:\b(?:exc(?:l(?:uding|usive of)?)?\.?|excluding|exclusive of|ex\.?|net of|plus|before)|\+)"
                      r"\s*-?\s*VAT\b|\bVAT[- ]exclusive\b|\bnet\b", re.I)
_LIGHT_TOUCH = re.compile(r"\blight[- ]touch\b", re.I)
_WORKS = re.compile(r"\b(?:works|construction|refurbish\w*|fit[- ]out|demolition|civil engineering)\b", re.I)
_GOODS = re.compile(r"\b(?:goods|supplies|equipment|vehicles?|laptops?|hardware|furniture|uniforms?|products?)\b",
                    re.I)
_SERVICES = re.compile(r"\b(?:services?|consultan\w+|support|advice|counselling)\b", re.I)
_SUB_CENTRAL = re.compile(r"\bsub-?\s?central(?: government)?(?: authority| contracting authority)?\b"
                          r"|\bnot (?:a |an )?central(?: government)?(?: department| authority)?\b", re.I)
_CENTRAL = re.compile(r"\bcentral government\b|\bgovernment department\b|\bcentral authority\b|\bministry\b", re.I)
_SUB_CENTRAL_BODY = re.compile(r"\b(?:MOPAC|police|policing|PCC|local authorit(?:y|ies)|council|NHS trust|"
                               r"fire and rescue authority|Mayor(?:'|’)s Office)\b", re.I)
_FRAMEWORK = re.compile(r"\bframework\b", re.I)
_UTILITIES = re.compile(r"\butilit(?:y|ies)\b", re.I)
_DEFENCE = re.compile(r"\b(?:defence|military|armed forces)\b", re.I)
_CONCESSION = re.compile(r"\bconcessions?\b", re.I)
_MONTH_NAMES = "january february march april may june july august september october november december".split()
_IN_MONTH = re.compile(r"\b(?:in|from|by|during)\s+(" + "|".join(_MONTH_NAMES) + r")\b(?!\s+\d)", re.I)
_RELATIVE = re.compile(r"\b(next month|this month|last month|next week|this week|next year|last year|today|"
                       r"immediately|straight away|in (\d+|a|two|three|six) (weeks?|months?))\b", re.I)
_COUNT = {"a": 1, "two": 2, "three": 3, "six": 6}


@dataclass
class Facts:
    value: Decimal | None = None  # in pounds, exact as written
    value_text: str = ""
    value_unknown: bool = False
    value_not_pounds: str = ""  # a sum the question gives in another currency ("€200,000"): not used as the value
    vat: str | None = None  # "inc" or "exc" when the question says
    kind: str | None = None  # "goods", "services" or "works"
    light_touch: bool | None = None
    service: str = ""  # the light touch service the question's words point to
    service_words: str = ""
    authority: str | None = None  # "central" or "sub-central"
    authority_text: str = ""
    authority_inferred: bool = False  # read from a body's name (e.g. "MOPAC") rather than stated
    start: str | None = None  # ISO date the procurement starts
    start_text: str = ""
    organisation: str = ""
    framework: bool = False
    utilities: bool = False
    defence: bool = False
    concession: bool = False

    def filled_from(self, earlier: Facts) -> Facts:
        """These facts, with what they leave unsaid taken from an earlier question (a follow-up's context).

        Facts that belong together (a value and its words, a kind and its light touch service) move as one.
        """
        groups = (("value", "value_text", "value_unknown", "value_not_pounds"), ("vat",),
                  ("kind", "light_touch", "service", "service_words"),
                  ("authority", "authority_text", "authority_inferred"), ("start", "start_text"), ("organisation",))
        filled = replace(self)
        for group in groups:
            if not any(getattr(self, name) for name in group):
                for name in group:
                    setattr(filled, name, getattr(earlier, name))
        for flag in ("framework", "utilities", "defence", "concession"):
            setattr(filled, flag, getattr(self, flag) or getattr(earlier, flag))
        return filled


def money(text: str) -> tuple[Decimal, str] | None:
    """The first sum of money in the text, in pounds, and the words it was written in; a bare
    "1.2m" or "half a million" is taken as pounds. None when there is no sum, or when the first is
    in another currency: €200,000 is not £200,000, and converting it is not ours to do."""
    found = first_money(text, assume_currency="GBP")
    if found is None or found.currency != "GBP":
        return None
    amount = found.amount  # exact: pence shown to two places ("£1,000,000.50"), the value unchanged
    return (amount.quantize(Decimal("0.01")) if amount.as_tuple().exponent == -1 else amount), found.text.strip()


def start_date(text: str, today: date) -> tuple[date, str] | None:
    """The procurement's start date: a written date, or a relative one ("next month") read from today."""
    if written := first_date(text):
        return written.day, "as written"
    if m := _RELATIVE.search(text):
        phrase = m[1].lower()
        first = today.replace(day=1)
        if phrase == "next month":
            day = (first + timedelta(days=32)).replace(day=1)
        elif phrase == "last month":
            day = (first - timedelta(days=1)).replace(day=1)
        elif phrase == "next week":
            day = today + timedelta(days=7)
        elif phrase == "next year":
            day = date(today.year + 1, 1, 1)
        elif phrase == "last year":
            day = date(today.year - 1, 1, 1)
        elif m[2]:
            count = int(m[2]) if m[2].isdigit() else _COUNT[m[2].lower()]
            day = today + timedelta(days=count * (7 if m[3].lower().startswith("week") else 30))
        else:
            day = today
        return day, f"“{m[1]}”, read from {today.isoformat()}"
    if m := _IN_MONTH.search(text):
        month = _MONTH_NAMES.index(m[1].lower()) + 1
        year = today.year if month >= today.month else today.year + 1
        return date(year, month, 1), f"“{m[1]}”, taken as the next {m[1].title()}"
    return None


def _light_touch(text: str, rules: RuleSet) -> tuple[str, str] | None:
    """The rules' light touch service whose words appear earliest in the text."""
    lowered = text.lower()
    best: tuple[int, str, str] | None = None
    for term in rules.light_touch:
        for words in term.words:
            if (m := re.search(rf"\b{re.escape(words)}\b", lowered)) and (best is None or m.start() < best[0]):
                best = (m.start(), term.service, text[m.start():m.end()])
    return (best[1], best[2]) if best else None


def _organisation(text: str, rules: RuleSet) -> str:
    for name, aliases in rules.aliases().items():
        if any(re.search(rf"\b{re.escape(a)}\b", text, re.I) for a in aliases):
            return name
    return ""


def extract_facts(question: str, rules: RuleSet, today: date) -> Facts:
    facts = Facts()
    if found := money(question):
        facts.value, facts.value_text = found
    elif (other := first_money(question, assume_currency="GBP")) is not None:
        facts.value_not_pounds = other.text.strip()
    facts.value_unknown = facts.value is None and bool(_VALUE_UNKNOWN.search(question))
    if _EXC_VAT.search(question):
        facts.vat = "exc"
    elif _INC_VAT.search(question):
        facts.vat = "inc"
    if service := _light_touch(question, rules):
        facts.light_touch, (facts.service, facts.service_words) = True, service
    elif _LIGHT_TOUCH.search(question):
        facts.light_touch = True
    if facts.light_touch:
        facts.kind = "services"
    elif _WORKS.search(question):
        facts.kind = "works"
    elif _SERVICES.search(question):
        facts.kind = "services"
    elif _GOODS.search(question):
        facts.kind = "goods"
    if m := _SUB_CENTRAL.search(question):
        facts.authority, facts.authority_text = "sub-central", m[0]
    elif m := _CENTRAL.search(question):
        facts.authority, facts.authority_text = "central", m[0]
    elif m := _SUB_CENTRAL_BODY.search(question):
        facts.authority, facts.authority_text, facts.authority_inferred = "sub-central", m[0], True
    if found_start := start_date(question, today):
        facts.start, facts.start_text = found_start[0].isoformat(), found_start[1]
    facts.organisation = _organisation(question, rules)
    facts.framework = bool(_FRAMEWORK.search(question))
    facts.utilities = bool(_UTILITIES.search(question))
    facts.defence = bool(_DEFENCE.search(question))
    facts.concession = bool(_CONCESSION.search(question))
    return facts


def facts_from_options(value: str | None = None, category: str | None = None, authority: str | None = None,
                       start: str | None = None, light_touch: bool = False, vat: str | None = None,
                       framework: bool = False, utilities: bool = False, defence: bool = False,
                       concession: bool = False, organisation: str = "", known_organisations: tuple[str, ...] = ()
                       ) -> Facts:
    """Facts given as options (`cga advise`), each checked, with the option named in any error."""
    facts = Facts(framework=framework, utilities=utilities, defence=defence, concession=concession)
    if value is not None:
        found = money(f"£{value.strip().lstrip('£')}")
        if found is None:
            raise ValueError(f"--value must be an amount in pounds such as 500000, £500,000 or 1.2m, got {value!r}")
        facts.value, facts.value_text = found[0], value
    if category is not None:
        if category not in ("goods", "services", "works"):
            raise ValueError(f"--category must be goods, services or works, got {category!r}")
        facts.kind = category
    if light_touch:
        if facts.kind not in (None, "services"):
            raise ValueError("--light-touch applies to services; drop it or use --category services")
        facts.kind, facts.light_touch = "services", True
    if authority is not None:
        if authority not in ("central", "sub-central"):
            raise ValueError(f"--authority must be central or sub-central, got {authority!r}")
        facts.authority, facts.authority_text = authority, f"--authority {authority}"
    if start is not None:
        try:
            facts.start = date.fromisoformat(start).isoformat()
        except ValueError as exc:
            raise ValueError(f"--start must be a date written YYYY-MM-DD, got {start!r}") from exc
        facts.start_text = "as given"
    if vat is not None:
        if vat not in ("inc", "exc"):
            raise ValueError(f"--vat must be inc or exc, got {vat!r}")
        facts.vat = vat
    if organisation:
        if organisation not in known_organisations:
            known = ", ".join(known_organisations) or "none loaded"
            raise ValueError(f"--organisation must be one with delegation rows ({known}), got {organisation!r}")
        facts.organisation = organisation
    return facts
