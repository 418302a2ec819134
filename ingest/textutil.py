"""Text as the index and the quote checks see it: whitespace folded, words tokenised."""

from __future__ import annotations

import re

_TOKEN = re.compile(r"[a-z0-9]+(?:[.,][0-9]+)*")
# Function words only: words such as "may", "must", "not" carry legal meaning and stay.
_STOPWORDS = frozenset(
    "a an and are as at be by for from has have in into is it its of on or that the their there these "
    "this those to was were what which who whom will with i we you our your do does did can how".split()
)


def normalise_space(text: str) -> str:
    """Whitespace-normalised text: the form in which quotes are compared with passages."""
    return " ".join(text.replace("\u00a0", " ").split())


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens with plural 's' folded, numbers and money amounts kept whole."""
    tokens = []
    for tok in _TOKEN.findall(text.lower().replace("£", " ")):
        tok = tok.rstrip(".,")
        if tok in _STOPWORDS or not tok:
            continue
        if len(tok) > 4 and tok.endswith("s") and not tok.endswith("ss") and not tok[0].isdigit():
            tok = tok[:-1]
        tokens.append(tok)
    return tokens
