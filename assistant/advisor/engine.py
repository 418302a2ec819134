"""Placeholder until the rules engine lands: nothing is routed to the advisor yet."""

from __future__ import annotations

from typing import Any


def wants_advice(question: str) -> bool:
    return False


def advise_from_question(library: Any, ctx: Any) -> Any:
    return None
