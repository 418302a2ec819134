"""Money, numbers and dates as procurement texts write them (ingest/figures.py), as tables of real spellings."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ingest.figures import (
    dates_in,
    dates_written,
    first_date,
    first_money,
    money_in,
    numbers_in,
    periods_in,
)

GBP, EUR, USD = "GBP", "EUR", "USD"

MONEY = [
    ("£1.2m", [(GBP, "1200000")]),
    ("£1.2 m", [(GBP, "1200000")]),
    ("£1.2mn", [(GBP, "1200000")]),
    ("£1.2 million", [(GBP, "1200000")]),
    ("£1.2million", [(GBP, "1200000")]),
    ("£500k", [(GBP, "500000")]),
    ("£500K", [(GBP, "500000")]),
    ("£5bn", [(GBP, "5000000000")]),
    ("£5mn", [(GBP, "5000000")]),
    ("£5M", [(GBP, "5000000")]),
    ("5 million pounds", [(GBP, "5000000")]),
    ("750,000 pounds", [(GBP, "750000")]),
    ("£2m pounds sterling", [(GBP, "2000000")]),
    ("five hundred thousand pounds", [(GBP, "500000")]),
    ("half a million pounds", [(GBP, "500000")]),
    ("one million pounds", [(GBP, "1000000")]),
    ("a million pounds", [(GBP, "1000000")]),
    ("twenty thousand pounds", [(GBP, "20000")]),
    ("two and a half million pounds", [(GBP, "2500000")]),
    ("a quarter of a million pounds", [(GBP, "250000")]),
    ("one hundred and fifty thousand pounds", [(GBP, "150000")]),
    ("three quarters of a million euros", [(EUR, "750000")]),
    ("five million euros", [(EUR, "5000000")]),
    ("a five-million-pound contract", [(GBP, "5000000")]),
    ("£2.5 million", [(GBP, "2500000")]),
    ("GBP 2.5 million", [(GBP, "2500000")]),
    ("GBP 2,500,000", [(GBP, "2500000")]),
    ("GBP2.5m", [(GBP, "2500000")]),
    ("2.5m GBP", [(GBP, "2500000")]),
    ("€200,000", [(EUR, "200000")]),
    ("EUR 200,000", [(EUR, "200000")]),
    ("200,000 euros", [(EUR, "200000")]),
    ("209,000 EUR", [(EUR, "209000")]),
    ("$10,000", [(USD, "10000")]),
    ("US$5m", [(USD, "5000000")]),
    ("£5,336,937", [(GBP, "5336937")]),
    ("£5,336,937.00", [(GBP, "5336937")]),
    ("a contract value of £181,302.", [(GBP, "181302")]),
    ("£207,720 (inc. VAT)", [(GBP, "207720")]),
    ("£ 12,000", [(GBP, "12000")]),
    ("£1,000,000.50", [(GBP, "1000000.5")]),
    ("£0.5m", [(GBP, "500000")]),
    ("£30,000 per annum", [(GBP, "30000")]),
    ("(£5,336,937)", [(GBP, "5336937")]),
    ("c.£4.35m over three years", [(GBP, "4350000")]),
    ("£12k-£15k", [(GBP, "12000"), (GBP, "15000")]),
    ("£3 million and £4 million", [(GBP, "3000000"), (GBP, "4000000")]),
    ("between £50,000 - £75,000 in 2023 – 2024", [(GBP, "50000"), (GBP, "75000")]),
    ("£3-4 million", [(GBP, "3000000"), (GBP, "4000000")]),
    ("£12-15k", [(GBP, "12000"), (GBP, "15000")]),
    ("£500-£1m", [(GBP, "500"), (GBP, "1000000")]),
    ("£5 million, £207,720 and eight working days", [(GBP, "5000000"), (GBP, "207720")]),
    ("worth £2m (EUR 2.3m)", [(GBP, "2000000"), (EUR, "2300000")]),
]

NOT_MONEY = ["30 days", "regulation 5", "2,000 pages", "s.51", "reg. 72(1)(b)", "SI 2024/716",
             "starting 24 February 2025 for 5 months, 3 years", "eight working days", "one of the following",
             "a 1.2m high fence", "section 5m", "Lot 3", "50%", ""]


@pytest.mark.parametrize("text,expected", MONEY)
def test_money_spellings(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(m.currency, m.amount) for m in money_in(text)] == [(c, Decimal(a)) for c, a in expected]


@pytest.mark.parametrize("text", NOT_MONEY)
def test_numbers_that_are_not_money(text: str) -> None:
    assert money_in(text) == []


def test_every_spelling_of_five_million_pounds_is_the_same_sum() -> None:
    spellings = ["£5mn", "£5m", "£5 million", "£5,000,000", "£5,000,000.00", "GBP 5m", "5 million pounds",
                 "five million pounds", "5,000,000 GBP"]
    assert {(m.currency, m.amount) for s in spellings for m in money_in(s)} == {(GBP, Decimal(5_000_000))}


def test_amounts_are_exact_decimals() -> None:
    amount = first_money("£8.2m and £0.01").amount  # 8.2 * 1e6 in float is 8199999.999999999
    assert isinstance(amount, Decimal) and amount == 8_200_000 and str(amount) == "8200000"
    assert money_in("£8.2m and £0.01")[1].amount == Decimal("0.01")


def test_money_keeps_the_words_as_written_and_where() -> None:
    text = "a value of £207,720 (inc. VAT), or £3-4 million"
    assert [(m.text, m.span, text[m.span[0]:m.span[1]]) for m in money_in(text)] == [
        ("£207,720", (11, 19), "£207,720"), ("£3", (35, 37), "£3"), ("4 million", (38, 47), "4 million")]
    assert first_money("no sums here") is None


@pytest.mark.parametrize("text,expected", [
    ("1.2m of goods", [(GBP, "1200000")]),
    ("a 500k contract", [(GBP, "500000")]),
    ("about half a million", [(GBP, "500000")]),
    ("two million over 3 years", [(GBP, "2000000")]),
    ("5 thousand", [(GBP, "5000")]),
    ("£500,000", [(GBP, "500000")]),
    ("EUR 200,000", [(EUR, "200000")]),
    ("2,000 pages", []),
    ("starting 24 February 2025 for 5 months, 3 years", []),
    ("an eight-week contract", []),
    ("a week", []),
])
def test_a_bare_scaled_amount_takes_the_assumed_currency(text: str, expected: list[tuple[str, str]]) -> None:
    assert [(m.currency, m.amount) for m in money_in(text, assume_currency=GBP)] == [
        (c, Decimal(a)) for c, a in expected]


@pytest.mark.parametrize("text,within_words,expected", [
    ("£5 million, £207,720 and eight working days (50%)", False, {"5000000", "207720", "8", "50"}),
    ("£5,000,000", False, {"5000000"}),
    ("one of the following", False, set()),
    ("£5mn", False, {"5000000"}),
    ("5 million pounds", False, {"5000000"}),
    ("a value of 5m", False, {"5000000"}),
    ("five hundred thousand pounds", False, {"500000"}),
    ("half a million", False, {"500000"}),
    ("twenty-one days or thirty", False, {"21", "30"}),
    ("one hundred and five", False, {"105"}),
    ("€200,000 or 200,000 euros", False, {"200000"}),
    ("£1,000,000.50", False, {"1000000.5"}),
    ("1.50 and 0.10", False, {"1.5", "0.1"}),
    ("lots 3,4 and 5", False, {"3", "4", "5"}),
    ("regulation 5 and s.51", False, {"5"}),
    ("s.51 and A5", True, {"51", "5"}),
    ("2,000 pages", False, {"2000"}),
    ("", False, set()),
])
def test_numbers_are_written_plainly(text: str, within_words: bool, expected: set[str]) -> None:
    assert numbers_in(text, within_words) == expected


@pytest.mark.parametrize("text,expected", [
    ("24 February 2025", "2025-02-24"),
    ("24th February 2025", "2025-02-24"),
    ("on the 24th of February, 2025", "2025-02-24"),
    ("1 January 2024", "2024-01-01"),
    ("1st April 2025", "2025-04-01"),
    ("Tuesday 4 March 2025", "2025-03-04"),
    ("24 Feb 2025", "2025-02-24"),
    ("24 Feb. 2025", "2025-02-24"),
    ("February 24, 2025", "2025-02-24"),
    ("2025-01-15", "2025-01-15"),
    ("15/01/2025", "2025-01-15"),
    ("03/04/2025", "2025-04-03"),
    ("January 2025", "2025-01"),
    ("in Sept 2024", "2024-09"),
    ("mid-January 2025", "2025-01"),
    ("the end of March 2025", "2025-03"),
    ("31 February 2025", None),
    ("15/13/2025", None),
    ("May we extend the contract by 2 months?", None),
    ("a 3 year contract from next month", None),
    ("regulation 2024/716", None),
])
def test_first_written_date(text: str, expected: str | None) -> None:
    found = first_date(text)
    assert (found.iso if found else None) == expected


def test_dates_are_read_in_order_with_the_words_as_written() -> None:
    text = "runs from 1 April 2025 (advertised 2025-01-15) to March 2028"
    assert [(d.day, d.month_only, d.text) for d in dates_written(text)] == [
        (date(2025, 4, 1), False, "1 April 2025"), (date(2025, 1, 15), False, "2025-01-15"),
        (date(2028, 3, 1), True, "March 2028")]


@pytest.mark.parametrize("text,dates,rest", [
    ("from 24 February 2025 for 5 months", {"2025-02-24"}, "from                  for 5 months"),
    ("by January 2025 or 2025-03-01", {"2025-01", "2025-03-01"}, "by              or           "),
    ("15/01/2025", {"2025-01-15"}, "          "),
    ("eight working days", set(), "eight working days"),
])
def test_dates_in_blanks_what_it_reads(text: str, dates: set[str], rest: str) -> None:
    assert dates_in(text) == (dates, rest)


@pytest.mark.parametrize("text,expected", [
    ("the period of eight working days beginning with", [("8", "day", True, "eight working days")]),
    ("within 30 days of the award", [("30", "day", False, "30 days")]),
    ("The standstill period is 1 day.", [("1", "day", False, "1 day")]),
    ("one calendar day, then 5 business days", [("1", "day", False, "one calendar day"),
                                                 ("5", "day", True, "5 business days")]),
    ("twenty-eight days or twenty eight days", [("28", "day", False, "twenty-eight days"),
                                                ("28", "day", False, "twenty eight days")]),
    ("a 5-year contract extended by 12 months", [("5", "year", False, "5-year"), ("12", "month", False, "12 months")]),
    ("the 10th day after publication", [("10", "day", False, "10th day")]),
    ("24 hours", [("24", "hour", False, "24 hours")]),
    # A day on which something happens is not a period; nor are section numbers or sums.
    ("beginning with a day on which s.51 days £5 days", []),
])
def test_periods_are_a_count_and_a_unit(text: str, expected: list[tuple[str, str, bool, str]]) -> None:
    assert [(str(p.count), p.unit, p.working, p.text) for p in periods_in(text)] == expected


def test_hostile_lengths_are_read_without_trouble() -> None:
    assert first_money("£" + "9" * 5000).amount == Decimal("9" * 5000)
    assert money_in("one " * 5000 + "week") == []
    assert numbers_in("twenty " * 5000) == {"20"}
    assert len(periods_in("twenty " * 5000 + "days")) == 1
