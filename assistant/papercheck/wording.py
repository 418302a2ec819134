"""Quoted words and money amounts in a citing sentence, compared with the cited provision's text.

A quote is found when it is in the text once whitespace, quote styles, dashes and case are
normalised, or when its words are there in order and only punctuation or item labels ("(a)")
differ; an ellipsis or an [editorial insertion] splits it into runs found in order. A quote that
defines a term ("the Regulations") is not checked. A figure is found when the same amount in the
same currency is in the text ("£1.2 million" is "£1,200,000").
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from decimal import Decimal

from ingest.figures import money_in
from ingest.textutil import normalise_space

_QUOTED = re.compile(r"“(?P<curly>[^“”]{1,1500})”|\"(?P<straight>[^\"]{1,1500})\"")
_DEFINITION_BEFORE = re.compile(r"\(\s*(?:(?:the|hereafter|hereinafter)\s+)*(?:(?:referred\s+to\s+as|called)\s+)?$",
                                re.I)
_FRAGMENT_BREAK = re.compile(r"\.\.\.|…|\[[^\]]*\]")
_TOKEN = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")
_LABEL = re.compile(r"\d+[A-Z]{0,2}|[a-z]{1,3}|[A-Z]{1,2}")
_QUOTE_STYLES = str.maketrans({**dict.fromkeys("“”„‟″", '"'), **dict.fromkeys("‘’‚‛′", "'"),
                               **dict.fromkeys("—–‑", "-"), "\u00a0": " "})


@dataclass(frozen=True)
class Wording:
    kind: str
    text: str
    start: int  # offset in the paper
    # A figure's sum as read in its sentence: "£3" in "£3-4 million" is ("GBP", 3000000), which its
    # words alone would not say.
    amount: tuple[str, Decimal] | None = None


def quotes(sentence: str, offset: int) -> list[Wording]:
    """Words in double quotes, “curly” or "straight", that do not define a term."""
    found = []
    for m in _QUOTED.finditer(sentence):
        words = m["curly"] if m["curly"] is not None else m["straight"]
        defines = _DEFINITION_BEFORE.search(sentence, 0, m.start()) and sentence[m.end():].lstrip().startswith(")")
        if not defines and _TOKEN.search(words):
            found.append(Wording("quote", normalise_space(words), offset + m.start()))
    return found


def figures(sentence: str, offset: int) -> list[Wording]:
    """Sums of money in a currency (ingest.figures reads them), each with its amount."""
    return [Wording("figure", normalise_space(m.text), offset + m.span[0], (m.currency, m.amount))
            for m in money_in(sentence)]


def _plain(text: str) -> str:
    return normalise_space(text.translate(_QUOTE_STYLES)).casefold()


def _tokens(text: str) -> list[tuple[str, int, int]]:
    """Words with their offsets, without the labels of numbered items: "(a)", "(2)", "(iv)"."""
    out = []
    for m in _TOKEN.finditer(text):
        label = m.start() > 0 and text[m.start() - 1] == "(" and text[m.end():m.end() + 1] == ")"
        if not (label and _LABEL.fullmatch(m.group())):
            out.append((m.group().casefold().replace("’", "'"), m.start(), m.end()))
    return out


def _fragments(quote: str) -> list[str]:
    """A quote's runs of words between ellipses and editorial [insertions]."""
    return [f for f in (part.strip(" .,;:") for part in _FRAGMENT_BREAK.split(quote)) if _TOKEN.search(f)]


def _in_order(needles: list[list[str]], haystack: list[str]) -> bool:
    pos = 0
    for needle in needles:
        at = next((i for i in range(pos, len(haystack) - len(needle) + 1)
                   if haystack[i:i + len(needle)] == needle), None)
        if at is None:
            return False
        pos = at + len(needle)
    return True


def quote_in(quote: str, text: str) -> str | None:
    """"verbatim" when the quote is in the text once whitespace, quote styles and case are
    normalised; "words" when only its words are (punctuation or item labels differ); else None."""
    fragments = _fragments(quote)
    if not fragments:
        return None
    plain_text = _plain(text)
    pos = 0
    for fragment in fragments:
        pos = plain_text.find(_plain(fragment), pos)
        if pos < 0:
            break
    else:
        return "verbatim"
    words = [t for t, _, _ in _tokens(text)]
    return "words" if _in_order([[t for t, _, _ in _tokens(f)] for f in fragments], words) else None


def closest_wording(quote: str, text: str) -> tuple[str, list[str], int] | None:
    """The stretch of `text` most like the quote, how the quote differs from it, and how many of
    the quote's words it shares in order."""
    theirs = _tokens(text)
    ours = [t for f in _fragments(quote) for t, _, _ in _tokens(f)]
    words = [t for t, _, _ in theirs]
    if not ours or not words:
        return None
    match = difflib.SequenceMatcher(None, words, ours, autojunk=False).find_longest_match(0, len(words), 0, len(ours))
    if match.size < 3:
        return None
    # Look a little either side of where the quote would lie, then keep the stretch between the
    # first and last words it shares with the quote.
    slack = max(3, len(ours) // 4)
    lo = max(0, match.a - match.b - slack)
    hi = min(len(words), match.a + len(ours) - match.b + slack)
    near = difflib.SequenceMatcher(None, words[lo:hi], ours, autojunk=False)
    blocks = [b for b in near.get_matching_blocks() if b.size]
    # The text's words facing the quote's unmatched first and last words belong in the stretch too.
    head, tail = blocks[0].b, len(ours) - blocks[-1].b - blocks[-1].size
    lo, hi = max(0, lo + blocks[0].a - head), min(len(words), lo + blocks[-1].a + blocks[-1].size + tail)
    window = words[lo:hi]
    differences: list[str] = []
    matcher = difflib.SequenceMatcher(None, window, ours, autojunk=False)
    ops = matcher.get_opcodes()
    for op, a1, a2, b1, b2 in ops:
        if op == "replace":
            differences.append(f"“{' '.join(ours[b1:b2])}” where the text has “{' '.join(window[a1:a2])}”")
        elif op == "insert":
            differences.append(f"“{' '.join(ours[b1:b2])}” is not in the text")
        elif op == "delete":
            differences.append(f"the text also has “{' '.join(window[a1:a2])}”")
    shared = sum(block.size for block in matcher.get_matching_blocks())
    return normalise_space(text[theirs[lo][1]:theirs[hi - 1][2]]), list(dict.fromkeys(differences)), shared




def appears(item: Wording, text: str) -> str | None:
    """"verbatim" or "words" when the quote or figure is in the text (see `quote_in`), else None."""
    if item.kind == "quote":
        return quote_in(item.text, text)
    found = {(m.currency, m.amount) for m in money_in(text)}
    return "verbatim" if item.amount is not None and item.amount in found else None
