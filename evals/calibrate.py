"""Calibrate the refusal floors on a question set: `python -m evals.calibrate [--set FILE]`.

A question is refused when its best passage's similarity is below `refusal_similarity`, or when it
has none of the domain's words (assistant/answering/refusal.py) and is below
`refusal_similarity_out_of_domain`. Questions refused for a stated reason (case law, another
jurisdiction, an instrument not held …) are refused whatever the floors. The pair chosen makes the
most right decisions on the sets (answer the answerable, refuse the rest); ties go to the lower
floors, which refuse less. By default it calibrates on our regression set and the practitioner dev
split, never on the frozen test split. Writes assistant/calibration.json, keeping its other keys.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from assistant.answering.context import Context
from assistant.answering.pipeline import choose_regime, resolve_follow_up, retrieve, run_pipeline
from assistant.answering.records import Conversation
from assistant.answering.refusal import in_domain, refusal_reason
from assistant.calibration import CALIBRATION
from assistant.config import Settings
from assistant.library import open_library
from evals.harness import DEFAULT_SET, PRACTITIONER_DEV, load_items


def observations(library, items) -> list[tuple[float, bool, bool, bool]]:
    """(best similarity, in domain, refused for a stated reason, should refuse) for each item, from the
    same retrieval the answers use."""
    rows = []
    for item in items:
        conversation = Conversation()
        for earlier in item.context:
            run_pipeline(library, earlier, conversation=conversation, as_at=item.as_at)
        ctx = Context(question=item.question, conversation=conversation, as_at=item.as_at)
        for step in (resolve_follow_up, choose_regime, retrieve):
            step(library, ctx)
        by_rule = bool(refusal_reason(ctx.resolved_question, ctx.result, library.index, floors=(0.0, 0.0)))
        rows.append((ctx.result.best_similarity, in_domain(ctx.resolved_question), by_rule, item.refuse))
    return rows


def best_floors(rows: list[tuple[float, bool, bool, bool]]) -> tuple[float, float, int]:
    grid = [round(0.2 + 0.01 * i, 2) for i in range(41)]
    best = (0.0, 0.0, -1)
    for low in grid:
        for high in (g for g in grid if g >= low):
            right = sum((by_rule or sim < low or (not domain and sim < high)) == refuse
                        for sim, domain, by_rule, refuse in rows)
            if right > best[2]:
                best = (low, high, right)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", nargs="+", default=[str(DEFAULT_SET), str(PRACTITIONER_DEV)])
    args = parser.parse_args()
    items = [item for name in args.set for item in load_items(Path(name))]
    rows = observations(open_library(Settings.from_env()), items)
    low, high, right = best_floors(rows)
    data = json.loads(CALIBRATION.read_text()) if CALIBRATION.exists() else {}
    data.update({"refusal_similarity": low, "refusal_similarity_out_of_domain": high,
                 "refusal_calibrated_on": f"{' + '.join(Path(n).name for n in args.set)} "
                                          f"({len(rows)} items, {right} decided right)"})
    CALIBRATION.write_text(json.dumps(data, indent=1) + "\n")
    print(f"refusal_similarity={low} refusal_similarity_out_of_domain={high}: {right}/{len(rows)} right")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
