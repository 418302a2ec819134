"""Calibrate the grounding checker's support threshold on the eval set.

For each answerable item, the gold passages among the top retrieved ones give two kinds of positive
pair, each sentence paired with its gold passage:
- "restated": each sentence (quotable unit) of the gold passage as an answer restates it — leading
  "(2)" dropped, cut to its first clause, introduced with "Under <label>,";
- "answer": the question's own words followed by the shortest span of the gold passage holding one
  of the item's expected facts — the way a model answers in the asker's terms, the hardest case.
Negative pairs pair the same sentences with an unrelated passage (one from another document, drawn
with a fixed seed). The threshold is the highest value that keeps at least 95 % of the positives of
each kind; the share of negatives it rejects is reported, as is the share of "hard" negatives (the
same sentence against a retrieved passage that is not gold) — the latter only for information, since
a sibling subsection may well support the sentence.

    python -m evals.calibrate_support [--set FILE] [--keep 0.95] [--dry-run]

Writes "support_threshold" into assistant/calibration.json, keeping any other keys.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
from pathlib import Path
from typing import Any

from assistant.answering.compose import units
from assistant.answering.pipeline import run_pipeline
from assistant.calibration import CALIBRATION
from assistant.llm.grounding import Checker, spans
from evals.harness import DEFAULT_SET, gold_rank, load_items
from ingest.passage import Passage

TOP = 10
MAX_WORDS = 30
SEED = 1429
_ENUMERATOR = re.compile(r"^\(?[0-9a-z]{1,4}\)\s*|^\d+\s*\|\s*")
_CLAUSE_END = re.compile(r"[;:—]\s|\.\s")


def restate(label: str, unit: str) -> str:
    """A sentence of a passage as an answer would restate it: no enumerator, one clause, attributed."""
    text = _ENUMERATOR.sub("", " ".join(unit.split()))
    if m := _CLAUSE_END.search(text):
        text = text[:m.start()]
    words = text.split()[:MAX_WORDS]
    if not words:
        return ""
    words[0] = words[0][0].lower() + words[0][1:] if not words[0][:2].isupper() else words[0]
    return f"Under {label}, {' '.join(words).rstrip(',;:')}."


def answer_in_question_terms(question: str, passage: Passage, fact: str) -> str:
    """The question's last sentence, then the shortest span of the passage holding the fact."""
    holding = [s for s in spans(passage.text) if fact.lower() in " ".join(s.split()).lower()]
    if not holding:
        return ""
    asked = question.rstrip("?").split("? ")[-1]
    return f"{asked}: {' '.join(min(holding, key=len).split())}."


Pair = tuple[str, Passage]


def pairs(library: Any, items: list[Any]) -> tuple[dict[str, list[Pair]], list[Pair], list[Pair]]:
    """Positive pairs by kind, and the negative and hard-negative pairs made from the same sentences."""
    rng = random.Random(SEED)
    everything = library.index.passages
    positives: dict[str, list[Pair]] = {"restated": [], "answer": []}
    negatives: list[Pair] = []
    hard: list[Pair] = []
    for done, item in enumerate(items, start=1):
        if done % 25 == 0:
            print(f"retrieved {done}/{len(items)}", file=sys.stderr)
        if item.refuse or not item.gold:
            continue
        ctx = run_pipeline(library, item.question, as_at=item.as_at)
        if ctx.result is None:  # the advisor answered before any search: no passages to pair
            continue
        top = [h.passage for h in ctx.result.hits[:TOP]]
        gold = [p for p in top if any(gold_rank(g, [p]) for g in item.gold)]
        others = [p for p in top if p not in gold]
        for passage in gold:
            made = [("restated", restate(passage.citation, unit)) for unit in units(passage.text)]
            made += [("answer", answer_in_question_terms(item.question, passage, fact)) for fact in item.facts]
            for kind, sentence in made:
                if len(sentence.split()) < 6:
                    continue
                positives[kind].append((sentence, passage))
                unrelated = rng.choice(everything)
                while unrelated.doc_id == passage.doc_id:
                    unrelated = rng.choice(everything)
                negatives.append((sentence, unrelated))
                if others:
                    hard.append((sentence, rng.choice(others)))
    return positives, negatives, hard


def threshold_keeping(scores: list[float], keep: float) -> float:
    """The highest two-decimal threshold t with at least `keep` of the scores ≥ t."""
    ordered = sorted(scores)
    allowed_below = math.floor(len(ordered) * (1 - keep))
    return math.floor(ordered[allowed_below] * 100) / 100


def main(argv: list[str] | None = None) -> int:
    from assistant.config import Settings
    from assistant.library import open_library

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", default=str(DEFAULT_SET))
    parser.add_argument("--keep", type=float, default=0.95)
    parser.add_argument("--dry-run", action="store_true", help="report without writing calibration.json")
    args = parser.parse_args(argv)

    library = open_library(Settings.from_env())
    positives, negatives, hard = pairs(library, load_items(Path(args.set)))
    if not all(positives.values()):
        print(f"calibrate_support: too few gold passages retrieved for {args.set} to make both kinds of positive",
              file=sys.stderr)
        return 2
    checker = Checker(library.embeddings, library.finder, threshold=0.0)
    groups = {**positives, "negative": negatives, "hard negative": hard}
    sentences = list(dict.fromkeys(s for group in positives.values() for s, _ in group))
    vector = dict(zip(sentences, checker.claim_vectors(sentences)))
    scored = {name: [checker.score(s, p, vector[s]) for s, p in group] for name, group in groups.items()}
    threshold = min(threshold_keeping(scored[kind], args.keep) for kind in positives)
    for name, scores in scored.items():
        kept = sum(s >= threshold for s in scores) / (len(scores) or 1)
        ordered = sorted(scores) or [0.0]
        print(f"{name:<14} n={len(scores):<5} kept {kept:6.1%}  "
              f"p5={ordered[len(ordered) // 20]:.3f} median={ordered[len(ordered) // 2]:.3f} "
              f"p95={ordered[min(len(ordered) - 1, len(ordered) * 19 // 20)]:.3f}")
    print(f"support_threshold = {threshold}")
    if not args.dry_run:
        data = json.loads(CALIBRATION.read_text()) if CALIBRATION.exists() else {}
        data["support_threshold"] = threshold
        CALIBRATION.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
        print(f"written to {CALIBRATION}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
