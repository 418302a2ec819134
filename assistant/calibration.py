"""Figures calibrated on the eval set, read from calibration.json beside this file.

The refusal floors come from `python -m evals.calibrate`, the support threshold for model prose from
`python -m evals.calibrate_support`, the paper checker's claim thresholds from
`python -m evals.bench_support --calibrate`; nothing here is guessed.
"""

from __future__ import annotations

import json
from pathlib import Path

CALIBRATION = Path(__file__).with_name("calibration.json")


def refusal_floors() -> tuple[float, float]:
    """Similarity floors below which a question is outside the corpus (see evals/calibrate.py):
    one for every question, a higher one for questions with none of the domain's words."""
    try:
        data = json.loads(CALIBRATION.read_text())
        return float(data["refusal_similarity"]), float(data["refusal_similarity_out_of_domain"])
    except (FileNotFoundError, KeyError, ValueError) as exc:
        raise RuntimeError(f"{CALIBRATION}: refusal floors missing; run `python -m evals.calibrate`") from exc


DEFAULT_SUPPORT_THRESHOLD = 0.5


def support_threshold() -> float:
    """The calibrated support threshold (see evals/calibrate_support.py)."""
    try:
        return float(json.loads(CALIBRATION.read_text())["support_threshold"])
    except (FileNotFoundError, KeyError, ValueError):
        return DEFAULT_SUPPORT_THRESHOLD


CLAIM_SUPPORT_KEYS = ("claim_similarity_floor", "claim_similarity_bar", "claim_condition_share")
# Used only until `python -m evals.bench_support --calibrate` has written the calibrated values.
DEFAULT_CLAIM_SUPPORT = (0.3, 0.6, 0.5)


def claim_support_thresholds() -> tuple[float, float, float]:
    """The paper checker's (similarity floor, similarity bar, condition share), calibrated on
    evals/support/dev.jsonl (see assistant/papercheck/support.py)."""
    try:
        data = json.loads(CALIBRATION.read_text())
        floor, bar, share = (float(data[key]) for key in CLAIM_SUPPORT_KEYS)
        return floor, bar, share
    except (FileNotFoundError, KeyError, ValueError):
        return DEFAULT_CLAIM_SUPPORT
