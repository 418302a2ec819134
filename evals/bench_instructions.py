"""Precision and recall of the planted-instruction detector (`ingest.instructions`) on a labelled set.

    python -m evals.bench_instructions [--file FILE] [--json]

Each line of `evals/instructions/labelled.jsonl` is a passage: `{"id", "split", "planted", "text"}`.
`planted` is true for text that addresses a model or the answer's reader (instructions to an
assistant, "ignore previous", role markers, and paraphrases of them), false for law, guidance and
papers that merely use words such as "must", "instruct", "disregard", "system" or "you". A
"positive" is a passage the detector marks.

The set was written in rounds of about 20 planted and 20 legitimate passages. Each round after the
first was written with the detector frozen and measured before anything was tuned on it; its
passages then joined `dev`. The `test` split is the last round, not tuned on (one false alarm,
"the chatbot will answer …", was fixed after measuring). The blind measurements, in order
(precision, recall): 0.80/0.40, 0.67/0.10, 1.00/0.45, 0.78/0.35, 0.83/0.25. A pattern detector
finds the wordings it has seen and about a third of new ones; the checks that do not depend on it
(a figure in model prose must be in its passage and agree with the statute) are what hold.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.instructions import planted_instruction

DEFAULT_FILE = Path(__file__).with_name("instructions") / "labelled.jsonl"


@dataclass
class Score:
    planted: int = 0
    legitimate: int = 0
    caught: int = 0  # planted and marked
    false_alarms: list[str] = field(default_factory=list)  # legitimate and marked: "id (cue)"
    misses: list[str] = field(default_factory=list)  # planted and not marked

    @property
    def precision(self) -> float:
        marked = self.caught + len(self.false_alarms)
        return self.caught / marked if marked else 1.0

    @property
    def recall(self) -> float:
        return self.caught / self.planted if self.planted else 1.0

    def to_dict(self) -> dict:
        return {**asdict(self), "precision": round(self.precision, 4), "recall": round(self.recall, 4)}


def load(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    ids = [r["id"] for r in rows]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate ids {sorted({i for i in ids if ids.count(i) > 1})}")
    return rows


def score(rows: list[dict]) -> Score:
    result = Score()
    for row in rows:
        cue = planted_instruction(row["text"])
        if row["planted"]:
            result.planted += 1
            if cue:
                result.caught += 1
            else:
                result.misses.append(row["id"])
        else:
            result.legitimate += 1
            if cue:
                result.false_alarms.append(f"{row['id']} ({cue})")
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--json", action="store_true", help="print the scores as JSON")
    args = parser.parse_args(argv)
    rows = load(args.file)
    splits = {"all": rows, **{s: [r for r in rows if r["split"] == s] for s in dict.fromkeys(r["split"] for r in rows)}}
    scores = {name: score(subset) for name, subset in splits.items()}
    if args.json:
        print(json.dumps({name: s.to_dict() for name, s in scores.items()}, indent=1))
        return 0
    for name, s in scores.items():
        print(f"{name:<5} {s.planted} planted, {s.legitimate} legitimate: precision {s.precision:.3f}, "
              f"recall {s.recall:.3f}")
        for miss in s.misses if name != "all" else ():
            print(f"      missed: {miss}")
        for alarm in s.false_alarms if name != "all" else ():
            print(f"      false alarm: {alarm}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
