"""Precision and recall of the paper checker's claim support verdicts: `python -m evals.bench_support`.

Each item of evals/support/dev.jsonl and test.jsonl (split from claims.jsonl by evals/split.py) is
a sentence a paper might write about a provision, written from the corpus text, with the provision
it cites and a label: supported, or wrong in a realistic way (wrong actor, may/must swapped, a
missing condition, a wrong period, figure, date or list, a superseded figure) and so "partly
supported" or "not supported". The sentence is checked as a one-sentence paper, the reference to the
item's provision is picked out, and its `support` read. A claim is flagged when its support is "not
supported" or "partly supported"; precision and recall of flagging the wrong claims are printed for
each split.

    python -m evals.bench_support [--split dev|test] [--misses] [--calibrate]

`--misses` lists the wrong decisions of the splits shown (for dev while tuning; test is frozen:
read its misses only once the work is done). `--calibrate` chooses the similarity floor and bar and
the share of a condition a claim must state on dev only (see `calibrate`), and writes them into
assistant/calibration.json.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import sys
from dataclasses import dataclass
from datetime import date
from itertools import product
from pathlib import Path
from typing import Any

from assistant.calibration import CALIBRATION, CLAIM_SUPPORT_KEYS
from assistant.papercheck.checker import RESOLVED, PaperChecker, ReferenceCheck
from assistant.papercheck.support import FLAGGED, SUPPORTED, SupportJudge, Thresholds
from ingest.document import ACCESS_LEVELS
from ingest.passage import Provision

HERE = Path(__file__).with_name("support")
SPLITS = {"dev": HERE / "dev.jsonl", "test": HERE / "test.jsonl"}
# The law the claims are read against: the day the set was written (after PA 2023 came into force).
DAY = date(2026, 12, 4)
FLOORS = [round(0.2 + 0.05 * i, 2) for i in range(7)]
SHARES = (0.34, 0.5, 0.67)
UNRELATED_SHARE = 0.05  # of claims set against a passage they do not cite, those the bar may call supported
SEED = 1429


@dataclass(frozen=True)
class Item:
    id: str
    claim: str
    doc: str
    provision: str
    label: str
    error: str = ""

    @property
    def wrong(self) -> bool:
        return self.label != SUPPORTED


@dataclass(frozen=True)
class Outcome:
    item: Item
    support: str
    reason: str
    similarity: float

    @property
    def flagged(self) -> bool:
        return self.support in FLAGGED


def load(path: Path) -> list[Item]:
    return [Item(**json.loads(line)) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def _cites(ref: ReferenceCheck, item: Item, library: Any) -> bool:
    """The reference is to the item's provision: the same one, or (for a paper's paragraph, cited
    "paragraph 4.2") the passage holding it; "" is the document named as a whole."""
    if ref.doc_id != item.doc or ref.verdict != RESOLVED:
        return False
    if not item.provision:
        return ref.provision is None
    if ref.provision is not None and Provision.parse(ref.provision) == Provision.parse(item.provision):
        return True
    return ref.provision is None and any(library.index.by_id[c.passage_id].provision == item.provision
                                         for c in ref.cited)


def judge(checker: PaperChecker, item: Item) -> Outcome:
    report = checker.check_text(item.claim, f"{item.id}.txt", day=DAY)
    found = [r for r in report.references if _cites(r, item, checker.library)]
    if len(found) != 1:
        return Outcome(item, "unresolved", f"{len(found)} references to {item.doc} {item.provision}", 0.0)
    ref = found[0]
    similarity = max((c.similarity for c in ref.compared if c.statement), default=0.0)
    return Outcome(item, ref.support, ref.support_reason, similarity)


def scores(outcomes: list[Outcome]) -> tuple[float, float, int, int, int]:
    """(precision, recall, true positives, flagged, wrong) of flagging the wrong claims."""
    tp = sum(o.flagged and o.item.wrong for o in outcomes)
    flagged = sum(o.flagged for o in outcomes)
    wrong = sum(o.item.wrong for o in outcomes)
    return (tp / flagged if flagged else 0.0), (tp / wrong if wrong else 0.0), tp, flagged, wrong


def report(name: str, outcomes: list[Outcome], misses: bool) -> None:
    precision, recall, tp, flagged, wrong = scores(outcomes)
    verdicts = {v: sum(o.support == v for o in outcomes) for v in dict.fromkeys(o.support for o in outcomes)}
    print(f"{name}: {len(outcomes)} claims, {wrong} wrong; flagged {flagged}, of them {tp} wrong: "
          f"precision {precision:.3f}, recall {recall:.3f}  ({', '.join(f'{n} {v}' for v, n in verdicts.items())})")
    if misses:
        for o in outcomes:
            if o.flagged != o.item.wrong:
                kind = "missed" if o.item.wrong else "false flag"
                print(f"  {kind} {o.item.id} [{o.item.label}{'; ' + o.item.error if o.item.error else ''}] "
                      f"{o.support} ({o.similarity:.2f}): {o.item.claim}\n      {o.reason}")


def _f1(outcomes: list[Outcome]) -> float:
    precision, recall, *_ = scores(outcomes)
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def unrelated_similarities(library: Any, items: list[Item]) -> list[float]:
    """Each claim's best similarity to a passage it does not cite: a section, regulation or
    paragraph of another document, drawn with a fixed seed."""
    rng = random.Random(SEED)
    judge_ = SupportJudge(library.snapshot(), ACCESS_LEVELS, DAY, "")
    sections = [p for p in library.index.passages if p.kind == "legislation" and not p.parent_id]
    found = []
    for item in items:
        other = rng.choice(sections)
        while other.doc_id == item.doc:
            other = rng.choice(sections)
        found.append(judge_.closeness(item.claim, other))
    return found


def calibrate(library: Any, items: list[Item]) -> Thresholds:
    """The floor and condition share that flag dev's wrong claims best (F1), from the middle of the
    range that does so equally well rather than its edge; and the bar: the lowest similarity that
    at most UNRELATED_SHARE of the claims reach against a passage they do not cite, so that a
    provision is called supporting a claim on similarity alone only when it is about the same thing."""
    unrelated = sorted(unrelated_similarities(library, items))
    allowed = math.floor(len(unrelated) * UNRELATED_SHARE)
    bar = math.floor(unrelated[-allowed - 1] * 100 + 1) / 100 if allowed < len(unrelated) else 1.0
    f1s: dict[tuple[float, float], float] = {}
    for floor, share in product((f for f in FLOORS if f < bar), SHARES):
        checker = PaperChecker(library, thresholds=Thresholds(floor, bar, share))
        f1s[floor, share] = _f1([judge(checker, item) for item in items])
        print(f"floor {floor:.2f} share {share:.2f}: F1 {f1s[floor, share]:.3f}", file=sys.stderr)
    top = max(f1s.values())
    floors = sorted({f for (f, _), v in f1s.items() if v == top})
    floor = floors[len(floors) // 2]
    shares = sorted(s for (f, s), v in f1s.items() if v == top and f == floor)
    print(f"bar {bar:.2f}: reached by {sum(u >= bar for u in unrelated)}/{len(unrelated)} unrelated pairs",
          file=sys.stderr)
    return Thresholds(floor, bar, shares[len(shares) // 2])


def write(thresholds: Thresholds, items: int) -> None:
    data = json.loads(CALIBRATION.read_text()) if CALIBRATION.exists() else {}
    data.update(zip(CLAIM_SUPPORT_KEYS, (thresholds.floor, thresholds.bar, thresholds.condition_share), strict=True))
    data["claim_support_calibrated_on"] = f"evals/support/dev.jsonl ({items} claims)"
    CALIBRATION.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def main(argv: list[str] | None = None) -> int:
    from assistant.config import Settings
    from assistant.library import open_library

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", choices=sorted(SPLITS), action="append",
                        help="a split to report (repeatable); default: dev and test")
    parser.add_argument("--misses", action="store_true", help="list the wrong decisions")
    parser.add_argument("--calibrate", action="store_true", help="calibrate on dev and write calibration.json")
    args = parser.parse_args(argv)

    library = open_library(Settings.from_env())
    if args.calibrate:
        dev = load(SPLITS["dev"])
        thresholds = calibrate(library, dev)
        write(thresholds, len(dev))
        print(f"calibrated on dev: floor {thresholds.floor}, bar {thresholds.bar}, "
              f"condition share {thresholds.condition_share} → {CALIBRATION}")
    checker = PaperChecker(library)
    for name in args.split or sorted(SPLITS):
        report(name, [judge(checker, item) for item in load(SPLITS[name])], args.misses)
    return 0


if __name__ == "__main__":
    sys.exit(main())
