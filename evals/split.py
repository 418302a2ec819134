"""Split a question set into dev and test with a fixed seed: `python -m evals.split SOURCE… --out DIR`.

Refusals and answerable questions are split separately, so both halves hold some of each. The
test half is frozen: tune on dev only, and never read test's per-item misses while tuning.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

SEED = 20261204
TEST_SHARE = 0.5


def split(lines: list[str], seed: int = SEED) -> tuple[list[str], list[str]]:
    items = sorted((json.loads(line) for line in lines if line.strip()), key=lambda item: item["id"])
    dev: list[dict] = []
    test: list[dict] = []
    for refuse in (False, True):
        group = [item for item in items if bool(item.get("refuse")) == refuse]
        random.Random(f"{seed}-{refuse}").shuffle(group)
        cut = round(len(group) * TEST_SHARE)
        test += group[:cut]
        dev += group[cut:]
    as_lines = lambda group: [json.dumps(item, ensure_ascii=False) for item in sorted(group, key=lambda i: i["id"])]
    return as_lines(dev), as_lines(test)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sources", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    lines = [line for path in args.sources for line in path.read_text(encoding="utf-8").splitlines()]
    dev, test = split(lines)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, group in (("dev", dev), ("test", test)):
        (args.out / f"{name}.jsonl").write_text("\n".join(group) + "\n", encoding="utf-8")
        print(f"{name}: {len(group)} questions")


if __name__ == "__main__":
    main()
