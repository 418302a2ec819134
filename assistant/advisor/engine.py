"""The advisor in the chat and the CLI: which questions it takes, and the decision turned into a
cited Answer — a short verdict, the decision trace with [n] markers, the quotes the rules rely on
and the regime line — that passes `assistant.answer.verify`.

Only rules whose passage is in the index and open to the asker are used, so a restricted paper's
delegation rows never reach a public user.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from assistant.advisor.decide import Advice, AmendedThreshold, Step, decide
from assistant.advisor.facts import Facts, extract_facts, facts_from_options, money
from assistant.advisor.rules import RuleSet, Source, load_rules
from assistant.answering.records import Answer, Citation, Statement
from assistant.answering.regime import (
    BOTH,
    PCR,
    Regime,
    decide_regime,
    regime_for_date,
    regime_line,
)
from assistant.answering.verify import verify
from ingest.amendments import in_force_on
from ingest.document import ACCESS_LEVELS
from ingest.figures import first_money
from ingest.passage import Passage, Provision

PCR_DOC = "uksi-2015-102"

# Questions asking for a decision about a purchase. Some ask it in so many words; others only when
# they also give the purchase's value (without one, "which regime" or "above threshold" is usually a
# question about the law, which the cited answer serves better).
_ROUTE = re.compile(
    r"\bwhich\s+(?:procurement\s+)?(?:procedures?|routes?)\b"
    r"|\bwhat\s+(?:procurement\s+)?(?:procedures?|routes?)\s+(?:can|could|should|must|do|are|is|apply)\b"
    r"|\b(?:procedures?|routes?)\s+(?:are\s+)?(?:open|available)\s+to\s+(?:us|me|them)\b"
    r"|\bwho\b[^?.]{0,40}?\b(?:approv\w*|sign\w*\s+off|sign-off|authori[sz]\w*)(?=[^?.]{0,60}"
    r"\b(?:contracts?|purchases?|buy\w*|spend\w*|procure\w*|tenders?|awards?|services|goods|works)\b|[^?.]{0,60}£)"
    r"|\b(?:what(?:'s|’s| is| was)|which is)\s+the\s+(?:[\w-]+\s+){0,3}?threshold\b|\bfrom\s+what\s+value\b"
    r"|\bthreshold\s+(?:amount\s+)?for\s+[\w\s'’()-]{0,60}?\b(?:contracts?|goods|services|works)\b"
    r"|\bhow\s+(?:big|large|much)\s+(?:does|do|must|should)\b.{0,60}\bbefore\b"
    r"|£\s?\d[\d,.]*\s*(?:k|m|million)?\s+(?:worth\s+)?of\s+[\w\s'’-]{0,40}?\b(?:services|goods|works)\b", re.I)
_WITH_VALUE = re.compile(
    r"\b(?:above|over|below|under|exceed\w*|meet|reach|hit)\s+(?:the\s+)?(?:relevant\s+)?threshold\b"
    r"|\bwhich\s+(?:regime|rules|law)\b|\bsign[- ]off\b|\bapprov\w*\b|\bauthori[sz]\w*\b"
    r"|\b(?:direct(?:ly)?[- ]award|award\s+(?:it\s+|this\s+|the\s+contract\s+)?direct(?:ly)?)\b"
    r"|\b(?:need|have)\s+to\s+(?:go\s+(?:out\s+)?to\s+)?tender\b", re.I)
# Questions about what a text or a paper says, even when they mention a threshold or a sum.
_LOOKUP = re.compile(r"\bwhat\s+does\s+.{0,80}\bsay\b|\bwhich\s+provision\b|\bverbatim\b|\bwording\b"
                     r"|\bdoes\s+it\s+state\b|\bsterling\s+figure\b|^\s*why\b|\bPCD\s?\d+", re.I)


def wants_advice(question: str) -> bool:
    """True for a decision about a purchase (route, threshold, direct award, approval), not a text lookup."""
    if _LOOKUP.search(question):
        return False
    return bool(_ROUTE.search(question)) or (money(question) is not None and bool(_WITH_VALUE.search(question)))


def usable_rules(library: Any, access: tuple[str, ...], kinds: tuple[str, ...] = ()) -> RuleSet:
    """The rules whose passages are in the current index, open at these access levels and, when
    the asker keeps to some kinds of document, of those kinds."""
    by_id = library.index.by_id

    def usable(passage_id: str) -> bool:
        passage = by_id.get(passage_id)
        return passage is not None and passage.access in access and (not kinds or passage.kind in kinds)

    return load_rules(library.settings.delegation_file).usable(usable)


def regime_for(facts: Facts, question: str = "", setting: str = "auto", as_at: str | None = None,
               today: date | None = None) -> Regime:
    """The start date the question gives decides (SI 2024/716); otherwise the usual regime choice."""
    if facts.start:
        regime = decide_regime("", "auto", facts.start)
        if facts.start_text not in ("as written", "as given"):
            regime = Regime(regime.name, f"{regime.reason} ({facts.start_text})", regime.as_at)
        return regime
    regime = decide_regime(question, setting, as_at)
    if regime.name == BOTH:
        day = today or date.today()
        return Regime(regime_for_date(day), f"the question names both regimes; assuming the procurement starts "
                                            f"today ({day.isoformat()})", day.isoformat())
    return regime


def advise_from_question(library: Any, ctx: Any) -> Answer | None:
    """The chat's advisor step: facts from the question, the rules, a cited Answer."""
    today = date.today()
    rules = usable_rules(library, ctx.access, ctx.kinds)
    facts = extract_facts(ctx.question, rules, today)
    if ctx.resolved_question != ctx.question:
        facts = facts.filled_from(extract_facts(ctx.resolved_question, rules, today))
    regime = regime_for(facts, ctx.resolved_question, ctx.setting_regime, ctx.as_at, today)
    return advise(library, facts, regime, rules, question=ctx.question, resolved_question=ctx.resolved_question,
                  carried_over=ctx.carried_over)


def advise_from_options(library: Any, **options: Any) -> Answer:
    """`cga advise`: the facts given as options (see facts.facts_from_options), decided and cited."""
    rules = usable_rules(library, ACCESS_LEVELS)
    facts = facts_from_options(known_organisations=tuple(rules.aliases()), **options)
    flags = [f"--{k.replace('_', '-')}" + ("" if v is True else f" {v}") for k, v in options.items()
             if v not in (None, False, "")]
    question = " ".join(["cga advise", *flags])
    return advise(library, facts, regime_for(facts), rules, question=question)


def pcr_thresholds(library: Any, regime: Regime) -> list[AmendedThreshold]:
    """PCR 2015's reg.5(1) figures in force on the regime's date, from the amending instruments held."""
    if regime.name != PCR or not regime.as_at:
        return []
    found = []
    for a in in_force_on(library.index.amendments, PCR_DOC, Provision.parse("reg.5(1)"), regime.as_at):
        money = first_money(a.new)
        if money is not None and a.by_passage in library.index.by_id:
            found.append(AmendedThreshold(Provision.parse(a.provision).sub[-1], money.amount, a.new, a.in_force,
                                          a.by_citation, Source(a.by_passage, a.words)))
    return found


def advise(library: Any, facts: Facts, regime: Regime, rules: RuleSet | None = None, question: str = "",
           resolved_question: str = "", carried_over: str = "",
           access: tuple[str, ...] = ACCESS_LEVELS) -> Answer:
    rules = rules if rules is not None else usable_rules(library, access)
    advice = decide(facts, regime, rules, pcr_thresholds(library, regime))
    return to_answer(advice, library.index.by_id, question, resolved_question or question, carried_over)


ADVICE_LEAD_WORDS = 120


def _decision(verdict: str) -> str:
    """The advisor's lead: its verdict (regime, threshold, route, approver), whole sentences up to
    ADVICE_LEAD_WORDS words."""
    lead: list[str] = []
    for sentence in re.split(r"(?<=[.])\s+(?=[A-Z£])", verdict):
        if len(" ".join([*lead, sentence]).split()) > ADVICE_LEAD_WORDS:
            break
        lead.append(sentence)
    return " ".join(lead)


def to_answer(advice: Advice, passages: Mapping[str, Passage], question: str, resolved_question: str,
              carried_over: str = "") -> Answer:
    citations: dict[str, Citation] = {}
    statements: list[Statement] = []

    def cite(source: Source | None) -> int | None:
        if source is None:
            return None
        citation = citations.get(source.passage_id)
        if citation is None:
            citation = Citation.of(len(citations) + 1, passages[source.passage_id])
            citations[source.passage_id] = citation
        if source.quote not in citation.quotes:
            citation.quotes.append(source.quote)
            statements.append(Statement(quote=source.quote, n=citation.n, lead=f"{citation.citation}:"))
        return citation.n

    def marked(step: Step) -> tuple[str, int | None]:
        n = cite(step.source)
        marker = f" [{n}]" if n is not None else ""
        text = step.finding
        return (f"{text[:-1]}{marker}." if text.endswith(".") else f"{text}{marker}"), n

    verdict = " ".join(marked(s)[0] for s in advice.verdict)
    trace = [{"step": step.step, "finding": step.finding, "n": marked(step)[1]} for step in advice.steps]
    # The trace is shown from `trace` by every renderer, so the text carries the verdict and the
    # words the rules rely on, not a second copy of the steps.
    parts = [verdict]
    if advice.questions:
        parts.append("To settle this: " + " ".join(advice.questions))
    parts += ["What the rules rely on:\n" + "\n".join(s.render() for s in statements),
              regime_line(advice.regime, [passages[pid] for pid in citations])]
    answer = Answer(question=question, resolved_question=resolved_question, regime=advice.regime.to_dict(),
                    text="\n\n".join(parts), statements=statements, citations=list(citations.values()),
                    refused=False, route="advisor", carried_over=carried_over, trace=trace,
                    lead=_decision(verdict))
    verify(answer)
    return answer
