"""Sums of money, numbers and dates as UK procurement texts write them, read the same way everywhere.

The advisor reads a question's value and start date, the paper checker compares a paper's amounts
with the provision it cites, and the answer checker looks for each figure of a model's sentence in
the passages it cites. They all read figures here, so "£5mn", "£5,000,000" and "five million
pounds" are each (GBP, 5000000) to every one of them. Amounts are Decimals built from the digits
as written, never passed through float.

Money needs a currency: a sign or code before it ("£", "€", "$", "GBP 2.5 million") or a name
after it ("2.5m GBP", "200,000 euros", "five hundred thousand pounds"). "30 days" and "2,000 pages"
are not money. A caller that knows the currency a text means (the advisor: a UK question's bare
"1.2m" is pounds) can pass it, and a bare amount then counts when it carries a scale ("1.2m",
"500k", "half a million"), never when it is a plain number.

Periods are a count and a unit of time ("eight working days" is 8 working days, as "8 working days"
is), so a model's "1 day" can be set against a statute's "eight working days".

Written dates are read day first, as in the UK ("15/01/2025" is 15 January). Relative dates
("next month") are left to the caller, which knows what day it is.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

_T = TypeVar("_T")


def _leftmost(found: list[tuple[int, int, _T]]) -> list[_T]:
    """What was found, in order, where one reading overlaps another keeping the earlier (then the longer)."""
    kept: list[_T] = []
    end = -1
    for start, stop, item in sorted(found, key=lambda f: (f[0], -f[1])):
        if start >= end:
            kept.append(item)
            end = stop
    return kept


def blank_spans(text: str, spans: Sequence[tuple[int, int]]) -> str:
    """The text with these stretches blanked out, every other character where it was: a figure once
    read is not read again as a number, and offsets still hold."""
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def _tidy(value: Decimal) -> Decimal:
    """The same value without trailing zeros or an exponent, so str() reads as written: 1200000, not 1.2E+6."""
    whole = value.to_integral_value()
    return whole if value == whole else value.normalize()


# ---- spelled numbers -----------------------------------------------------------------------------

_UNITS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                     "fourteen fifteen sixteen seventeen eighteen nineteen".split())}
_TENS = {w: 10 * i for i, w in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split(), start=2)}
_LARGE = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_COUNT_WORD = (rf"(?:(?:{'|'.join(_TENS)})(?:[- ](?:{'|'.join(w for w, n in _UNITS.items() if 0 < n < 10)}))?"
               rf"|{'|'.join(_UNITS)})\b")
_SCALE_WORD = r"(?:hundred|thousand|million|billion)\b"
_BIG_SCALE_WORD = r"(?:thousand|million|billion)\b"
# "a", "half a", "a quarter of a" only count before a scale word: "a million", not "a week".
_SHARE_OF = rf"(?:half\s+an?|(?:(?:an?|one|three)\s+)?quarters?\s+of\s+an?|an?)\s+(?={_SCALE_WORD})"
_AFTER_SCALE = r"(?:(?<=hundred)|(?<=thousand)|(?<=million)|(?<=billion))"
# A count word is followed only by a scale word ("five hundred", not "twenty twenty"), and a count follows
# only a scale ("one million two hundred thousand"); "and" only where English puts it ("five hundred and
# twenty", "two and a half million").
_SPELLED = re.compile(rf"\b(?:{_SHARE_OF}{_SCALE_WORD}|{_COUNT_WORD})"
                      rf"(?:(?:\s+|-){_SCALE_WORD}"
                      rf"|{_AFTER_SCALE}(?:\s+|-)(?:and\s+)?{_COUNT_WORD}"
                      rf"|\s+and\s+(?:a\s+half|a\s+quarter|three\s+quarters)(?=\s+{_BIG_SCALE_WORD}))*", re.I)
_ENDS_BIG = re.compile(rf"{_BIG_SCALE_WORD}$", re.I)
_SHARES = ((re.compile(r"three\s+quarters\s+of\s+an?|and\s+three\s+quarters"), " 0.75 "),
           (re.compile(r"(?:(?:an?|one)\s+)?quarter\s+of\s+an?|and\s+a\s+quarter"), " 0.25 "),
           (re.compile(r"half\s+an?|and\s+a\s+half"), " 0.5 "))


def _spelled_value(words: str) -> Decimal:
    """The value of a spelled number `_SPELLED` found: "five hundred thousand" → 500000."""
    phrase = words.lower().replace("-", " ")
    for share, value in _SHARES:
        phrase = share.sub(value, phrase)
    total = group = Decimal(0)
    for word in phrase.split():
        if word in _UNITS:
            group += _UNITS[word]
        elif word in _TENS:
            group += _TENS[word]
        elif word in ("a", "an"):
            group += 1
        elif word == "hundred":
            group = (group or 1) * 100
        elif word in _LARGE:
            total += (group or 1) * _LARGE[word]
            group = Decimal(0)
        elif word != "and":
            group += Decimal(word)  # a share put in above
    return _tidy(total + group)


# ---- money ---------------------------------------------------------------------------------------

_CURRENCIES = {"£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "sterling": "GBP",
               "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
               "$": "USD", "us$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD"}
_SCALES = {"k": 1_000, "thousand": 1_000, "m": 1_000_000, "mn": 1_000_000, "million": 1_000_000,
           "bn": 1_000_000_000, "billion": 1_000_000_000}
_SIGN = r"£|€|US\$|\$|\b(?:GBP|EUR|USD)"
_NAME = r"(?:GBP|EUR|USD|pounds?(?:\s+sterling)?|sterling|euros?|dollars?)\b"
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_SCALE = r"(?:thousand|million|billion|mn|bn|k|m)\b"
# A sum's digits start a number: none starts inside "s.51" or "A5", or after a thousands comma.
_STARTS = r"(?<![\w.,])"
_RANGE_TO = r"\s?(?:-|–|—|to)\s?"

_SIGNED = re.compile(rf"(?P<cur>{_SIGN})\s?(?P<num>{_DIGITS})(?:\s?(?P<scale>{_SCALE}))?", re.I)
_NAMED = re.compile(rf"{_STARTS}(?P<num>{_DIGITS})(?:\s?(?P<scale>{_SCALE}))?\s?(?P<cur>{_NAME})", re.I)
_NAME_AFTER = re.compile(rf"(?:\s+|-)(?P<cur>{_NAME})", re.I)  # "five million pounds", "a million-pound deal"
# "£3-4 million" is £3 million to £4 million: the scale written once serves both ends.
_RANGE = re.compile(rf"(?P<cur>{_SIGN})\s?(?P<low>{_DIGITS}){_RANGE_TO}(?:{_SIGN})?\s?"
                    rf"(?P<num>{_DIGITS})\s?(?P<scale>{_SCALE})", re.I)
_BARE = re.compile(rf"{_STARTS}(?P<num>{_DIGITS})\s?(?P<scale>{_SCALE})", re.I)


@dataclass(frozen=True)
class Money:
    currency: str  # ISO 4217: "GBP", "EUR", "USD"
    amount: Decimal
    text: str  # the words as written
    span: tuple[int, int]


def _amount(number: str, scale: str | None) -> Decimal:
    value = Decimal(number.replace(",", ""))
    return _tidy(value * _SCALES[scale.lower()] if scale else value)


def _currency(written: str) -> str:
    return _CURRENCIES[written.lower().split()[0]]


def _money_at(text: str, m: re.Match[str], currency: str) -> Money:
    return Money(currency, _amount(m["num"], m["scale"]), text[m.start():m.end()], m.span())


def _spelled_money(text: str, assume_currency: str | None) -> list[tuple[int, int, list[Money]]]:
    """Spelled sums: "five hundred thousand pounds"; with an assumed currency, "half a million" too.

    Each spelled number is found once and then looked at, rather than matched with what follows it:
    a pattern that must fail at every word of a long run of number words takes time squared."""
    found: list[tuple[int, int, list[Money]]] = []
    for m in _SPELLED.finditer(text):
        if named := _NAME_AFTER.match(text, m.end()):
            currency, end = _currency(named["cur"]), named.end()
        elif assume_currency and _ENDS_BIG.search(m[0]):
            currency, end = assume_currency, m.end()
        else:
            continue
        found.append((m.start(), end, [Money(currency, _spelled_value(m[0]), text[m.start():end], (m.start(), end))]))
    return found


def _range(text: str, m: re.Match[str]) -> list[Money]:
    currency = _currency(m["cur"])
    high = Money(currency, _amount(m["num"], m["scale"]), text[m.start("num"):m.end()], (m.start("num"), m.end()))
    # "£500-£1m" is £500 to £1m; only a low end below the high end's number shares its scale.
    shared = m["scale"] if Decimal(m["low"].replace(",", "")) < Decimal(m["num"].replace(",", "")) else None
    low = Money(currency, _amount(m["low"], shared), text[m.start():m.end("low")], (m.start(), m.end("low")))
    return [low, high]


def money_in(text: str, assume_currency: str | None = None) -> list[Money]:
    """Every sum of money in the text, in order. With `assume_currency`, bare scaled amounts ("1.2m",
    "half a million") count too, in that currency."""
    found: list[tuple[int, int, list[Money]]] = [
        (m.start(), m.end(), _range(text, m)) for m in _RANGE.finditer(text)]
    found += [(m.start(), m.end(), [_money_at(text, m, _currency(m["cur"]))])
              for pattern in (_SIGNED, _NAMED) for m in pattern.finditer(text)]
    found += _spelled_money(text, assume_currency)
    if assume_currency:
        found += [(m.start(), m.end(), [_money_at(text, m, assume_currency)]) for m in _BARE.finditer(text)]
    return [money for group in _leftmost(found) for money in group]


def first_money(text: str, assume_currency: str | None = None) -> Money | None:
    return next(iter(money_in(text, assume_currency)), None)


# ---- numbers -------------------------------------------------------------------------------------

_NUMBER = re.compile(rf"(?<![\w.])(?:{_DIGITS})")
_NUMBER_ANYWHERE = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
# ISO 4217's code for "no currency": a grounding check compares amounts, whatever they are in.
_NO_CURRENCY = "XXX"


def _plain(value: Decimal) -> str:
    return format(_tidy(value), "f")


def numbers_in(text: str, within_words: bool = False) -> set[str]:
    """Money amounts, numbers, percentages and spelled numbers, each written plainly: "£5 million",
    "£5,000,000" and "5m" → "5000000"; "50%" → "50"; "eight" → "8".

    A lone "one" is left out: as a pronoun ("one of the following") it is rarely a figure.
    `within_words` also takes digits inside words ("s.51", "A5"): generous when reading what a
    passage holds, so a figure is not called missing for how the passage happens to write it.
    """
    amounts = money_in(text, assume_currency=_NO_CURRENCY)
    found = {_plain(money.amount) for money in amounts}
    rest = blank_spans(text, [money.span for money in amounts])
    digits = _NUMBER_ANYWHERE if within_words else _NUMBER
    found |= {_plain(Decimal(m[0].replace(",", ""))) for m in digits.finditer(rest)}
    found |= {_plain(_spelled_value(m[0])) for m in _SPELLED.finditer(rest) if m[0].lower() != "one"}
    return found


# ---- periods -------------------------------------------------------------------------------------

# A count then a unit of time: "eight working days", "30 days", "12 months", "twenty-eight days".
# A lone "a" is left out: "a day on which …" names a day, not a period of one.
_PERIOD = re.compile(rf"(?:(?<![\w.,£$€])(?P<digits>\d+)|(?P<words>{_SPELLED.pattern}))(?:st|nd|rd|th)?(?:\s+|-)"
                     r"(?:(?P<kind>working|business|calendar|clear)\s+)?(?P<unit>hour|day|week|month|year)s?\b", re.I)


@dataclass(frozen=True)
class Period:
    count: Decimal
    unit: str  # "hour", "day", "week", "month" or "year"
    working: bool  # working or business days, not calendar days
    text: str  # the words as written
    span: tuple[int, int]


def periods_in(text: str) -> list[Period]:
    """The periods of time written in the text, in order; "eight working days" is (8, "day", working)."""
    found = []
    for m in _PERIOD.finditer(text):
        count = Decimal(m["digits"]) if m["digits"] else _spelled_value(m["words"])
        found.append(Period(count, m["unit"].lower(), (m["kind"] or "").lower() in ("working", "business"),
                            m[0], m.span()))
    return found


# ---- dates ---------------------------------------------------------------------------------------

_MONTH_NAMES = "january february march april may june july august september october november december".split()
_MONTHS = {name[:3]: number for number, name in enumerate(_MONTH_NAMES, start=1)}
_MONTH = (r"(?P<month>" + "|".join([*_MONTH_NAMES, "sept", *(n[:3] for n in _MONTH_NAMES if n != "may")])
          + r")\b\.?")
_ORDINAL = r"(?:st|nd|rd|th)?"
_DATES = [re.compile(p, re.I) for p in (
    rf"\b(?P<day>\d{{1,2}}){_ORDINAL}(?:\s+of)?\s+{_MONTH},?\s+(?P<year>\d{{4}})\b",
    rf"\b{_MONTH}\s+(?P<day>\d{{1,2}}){_ORDINAL},?\s+(?P<year>\d{{4}})\b",
    r"\b(?P<year>\d{4})-(?P<number>\d{2})-(?P<day>\d{2})\b",
    r"\b(?P<day>\d{1,2})/(?P<number>\d{1,2})/(?P<year>\d{4})\b",
    rf"\b{_MONTH},?\s+(?P<year>\d{{4}})\b",
)]


@dataclass(frozen=True)
class WrittenDate:
    day: date  # the first of the month when only a month is written
    month_only: bool
    text: str  # the words as written
    span: tuple[int, int]

    @property
    def iso(self) -> str:
        """"YYYY-MM-DD", or "YYYY-MM" for a month."""
        return self.day.isoformat()[:7] if self.month_only else self.day.isoformat()


def _written_date(text: str, m: re.Match[str]) -> WrittenDate | None:
    month = int(m["number"]) if "number" in m.groupdict() else _MONTHS[m["month"][:3].lower()]
    month_only = "day" not in m.groupdict()
    try:
        day = date(int(m["year"]), month, 1 if month_only else int(m["day"]))
    except ValueError:  # "31 February 2025", "15/13/2025": not a date
        return None
    return WrittenDate(day, month_only, text[m.start():m.end()], m.span())


def dates_written(text: str) -> list[WrittenDate]:
    """The dates written in the text, in order: "24 February 2025", "24th of February 2025",
    "February 24, 2025", "2025-01-15", "15/01/2025" (day first) and months ("January 2025")."""
    found = [(m.start(), m.end(), m) for pattern in _DATES for m in pattern.finditer(text)]
    return [d for m in _leftmost(found) if (d := _written_date(text, m))]


def first_date(text: str) -> WrittenDate | None:
    return next(iter(dates_written(text)), None)


def dates_in(text: str) -> tuple[set[str], str]:
    """Dates as "YYYY-MM-DD" or "YYYY-MM", and the text with them blanked out (so their digits are
    not then read as numbers)."""
    written = dates_written(text)
    return {d.iso for d in written}, blank_spans(text, [d.span for d in written])
