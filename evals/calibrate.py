"""Calibrate the refusal floors on a question set: `python -m evals.calibrate [--set FILE]`.

A question is refused when its best passage's similarity is below `refusal_similarity`, or when it
has none of the domain's words (assistant/scope.py) and is below `refusal_similarity_out_of_domain`.
The pair chosen makes the most right decisions on the set (answer the answerable, refuse the rest);
ties go to the lower floors, which refuse less. Writes assistant/calibration.json, keeping its other keys.
"""

from __future__ import annotations

import argparse
import json

from assistant.chat import CALIBRATION, Context, Conversation, choose_regime, resolve_follow_up, retrieve
from assistant.config import Settings
from assistant.library import open_library
from assistant.scope import in_domain
from evals.harness import DEFAULT_SET, load_items


def observations(library, items) -> list[tuple[float, bool, bool]]:
    """(best similarity, in domain, should refuse) for each item, from the same retrieval the answers use."""
    rows = []
    for item in items:
        ctx = Context(question=item.question, conversation=Conversation(), as_at=item.as_at)
        for step in (resolve_follow_up, choose_regime, retrieve):
            step(library, ctx)
        rows.append((ctx.result.best_similarity, in_domain(item.question), item.refuse))
    return rows


def best_floors(rows: list[tuple[float, bool, bool]]) -> tuple[float, float, int]:
    grid = [round(0.2 + 0.01 * i, 2) for i in range(41)]
    best = (0.0, 0.0, -1)
    for low in grid:
        for high in (g for g in grid if g >= low):
            right = sum((sim < low or (not domain and sim < high)) == refuse for sim, domain, refuse in rows)
            if right > best[2]:
                best = (low, high, right)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=str(DEFAULT_SET))
    args = parser.parse_args()
    items = load_items(__import__("pathlib").Path(args.set))
    rows = observations(open_library(Settings.from_env()), items)
    low, high, right = best_floors(rows)
    data = json.loads(CALIBRATION.read_text()) if CALIBRATION.exists() else {}
    data.update({"refusal_similarity": low, "refusal_similarity_out_of_domain": high,
                 "refusal_calibrated_on": f"{args.set} ({len(rows)} items, {right} decided right)"})
    CALIBRATION.write_text(json.dumps(data, indent=1) + "\n")
    print(f"refusal_similarity={low} refusal_similarity_out_of_domain={high}: {right}/{len(rows)} right")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
