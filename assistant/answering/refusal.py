"""Is a question about what this assistant covers: public procurement, commissioning, policing bodies?

A question without any of these words is outside the corpus unless its best passage is a very
close match; one with them still needs a passage that is close enough. Both similarity floors
are calibrated on the eval set (evals/calibrate.py), not guessed.
"""

from __future__ import annotations

import re

from assistant.answering.retrieve import SearchResult
from assistant.calibration import refusal_floors
from ingest.store import Index
from ingest.textutil import tokenize

_DOMAIN = re.compile(
    r"\b(procur\w*|contract\w*|tender\w*|supplier\w*|bid\w*|award\w*|framework\w*|threshold\w*|"
    r"commission\w*|direct award|light[- ]touch|standstill|dynamic (?:market|purchasing)|notices?|"
    r"exclu\w+|debar\w*|modif\w*|variation|novat\w*|valu\w+|estimat\w*|lots?|evaluat\w*|"
    r"regulations?|reg\.?|sections?|s\.\s?\d+|schedule|sch\.?|paragraph|para\.?|act|PCR|PA ?2023|"
    r"MOPAC|PCD|DMPC|deputy mayor|mayor'?s office|police|policing|crime|victim\w*|"
    r"delegat\w*|approv\w*|sign[- ]off|budget|fund\w*|reserve|equality|due regard|public sector|"
    r"contracting authorit\w*|public (?:body|authority|contract)|services?|goods|works|"
    r"KPIs?|payment|invoice|terminat\w*|conflicts?|remed\w*|challenge|suspension|criteri\w*|weighting\w*|"
    r"provider\w*|supported employment|exclusive rights|intellectual property|"
    r"transparency|assessment summary|market engagement|SMEs?|mutual|reserved|utilit\w+|concession\w*)\b",
    re.I,
)


def in_domain(question: str) -> bool:
    return bool(_DOMAIN.search(question))


# Subjects next to the corpus that it never covers: staff pay and employment rights, and tax.
# A question about them that says nothing of buying anything is outside what we can answer.
_ELSEWHERE = re.compile(
    r"\b(salar(?:y|ies)|wages?|minimum wage|sick pay|annual leave|holiday entitlement|redundan\w*|"
    r"unfair dismissal|pensions?|income tax|corporation tax|stamp duty|national insurance)\b", re.I)
_BUYING = re.compile(r"\b(procur\w*|contract\w*|tender\w*|supplier\w*|bid\w*|award\w*|framework\w*|"
                     r"threshold\w*|commission(?:ing|ed)|purchas\w*|buy\w*)\b", re.I)


def about_elsewhere(question: str) -> bool:
    return bool(_ELSEWHERE.search(question)) and not _BUYING.search(question)


# Questions the indexed texts cannot answer whatever is retrieved, each with the reason given to the
# reader: what courts decided, other jurisdictions' own rules, and live facts (who holds a post now,
# what a company charges, a body's budget for a year).
_CASE_LAW = re.compile(
    r"\b(?:court|tribunal|judge|CJEU|Court of Justice|High Court|Court of Appeal|Supreme Court)\b[^?.]{0,80}?"
    r"\b(?:held|hold|rul\w*|decid\w*|found|judg\w*)\b|\bcase[- ]law\b|\bwhat was the case\b|"
    r"\b[A-Z][A-Za-z]+ v\.? [A-Z][A-Za-z]+\b|\[\d{4}\] (?:EWHC|EWCA|UKSC|UKHL)")
_ELSEWHERE_LAW = re.compile(
    r"\b(?:Republic of Ireland|Irish (?:law|rules|regulations|thresholds?)|Scottish (?:law|rules|regulations|"
    r"procurement|thresholds?)|\(Scotland\)|Northern Ireland'?s? (?:own )?(?:procurement )?(?:policy|rules|law|"
    r"PPN)|Welsh (?:procurement )?(?:policy|rules)|EU member states?'? (?:law|rules))", re.I)
_LIVE_FACTS = re.compile(
    r"\bwho (?:is|are) (?:the )?(?:current|present|new)\b|\bwho currently\b|\bcurrently (?:holds?|in post)\b|"
    r"\bhow much does [A-Z]\w+ (?:charge|cost|pay)\b|\b(?:charges?|costs?|rates?) (?:per hour|per day|an hour)\b"
    r"[^?.]{0,40}\b(?:now|currently|at the moment|today)\b|\b(?:total )?budget for (?:20\d\d|this year|next year)|"
    r"\b(?:today'?s|current) (?:inflation|interest|exchange) rates?\b", re.I)
_OTHER_BODIES_RULES = re.compile(
    r"\b(?:\w+ (?:City |Borough |County )?Council|another (?:force|authority|council))'?s? (?:contract )?"
    r"(?:standing orders|financial regulations|contract (?:procedure )?rules|scheme of delegation)\b|"
    r"\bScheme of (?:Delegation|Consent)(?: and (?:Delegation|Consent))?\b", re.I)


def refusal_reason(question: str, result: SearchResult, index: Index | None = None,
                   floors: tuple[float, float] | None = None) -> str:
    """Why the indexed documents cannot answer the question, or "" when they may. `floors`: the
    similarity floors (see `assistant.calibration`), given only when calibrating them."""
    documents = index.documents if index is not None else []
    if not result.hits:
        return "nothing in the indexed documents matches the question"
    if any("reference" in h.how for h in result.hits):
        return ""
    if names := outside_corpus(result):
        if not any(r.doc_id for r in result.references):
            return f"it asks about {', '.join(names)}, which is not among the indexed documents"
    if _CASE_LAW.search(question):
        return "it asks what a court decided; case law is not among the indexed documents"
    if _ELSEWHERE_LAW.search(question):
        return "it asks about another jurisdiction's own rules; the indexed law is the law of England (and the UK-wide Acts)"
    if _LIVE_FACTS.search(question):
        return "it asks for current facts or figures (who holds a post, prices, budgets); the indexed documents do not hold them"
    if (m := _OTHER_BODIES_RULES.search(question)) and not any(m[0].lower() in f"{d.title} {' '.join(d.aliases)}".lower()
                                                                 for d in documents):
        return f"it asks about {m[0]}, which is not among the indexed documents"
    if index is not None and (names := unknown_names(question, index)):
        return f"it turns on {', '.join(names)}, which the indexed documents never mention"
    if about_elsewhere(question):
        return "it asks about pay, employment or tax, not about buying; those rules are not among the indexed documents"
    low, out_of_domain = floors or refusal_floors()
    if result.best_similarity < low or (not in_domain(question) and result.best_similarity < out_of_domain):
        return "no indexed passage is close enough to the question"
    return ""


# A proper name inside a sentence: a person, company, place or case ("Mitie", "Teckal", "Dublin").
# Acronyms (CCTV, KPI, DPS) are left out: practitioners use many the statute spells out in words.
_NAME = re.compile(r"(?<![.?!:]\s)(?<!^)\b[A-Z][a-z]{2,}(?:[ -][A-Z][a-z]{2,})*\b")
# The law a question is asked under ("under UK GDPR", "under TUPE"): acronyms count here, since it
# names the instrument the answer would have to come from.
_UNDER = re.compile(r"\b(?i:under) (?:(?i:the) )?((?:UK )?[A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)*)")
_VOCABULARY: dict[str, frozenset[str]] = {}


def unknown_names(question: str, index: Index) -> list[str]:
    """Proper names in the question that no indexed passage or document title mentions: a question
    turning on something the documents never name cannot be answered from them."""
    if index.version not in _VOCABULARY:
        words: set[str] = set()
        for p in index.passages:
            words.update(tokenize(p.text))
        for d in index.documents:
            words.update(tokenize(" ".join([d.title, d.short, *d.aliases])))
        _VOCABULARY.clear()  # one index version at a time: a switch replaces it
        _VOCABULARY[index.version] = frozenset(words)
    known = _VOCABULARY[index.version]
    names = [m[0] for m in _NAME.finditer(question)] + [m[1] for m in _UNDER.finditer(question)]
    return list(dict.fromkeys(n for n in names if not set(tokenize(n)) <= known))


def outside_corpus(result: SearchResult) -> list[str]:
    """Instruments the question names that are not indexed ("PCD 1430", "the Data Protection Act 2018")."""
    return list(dict.fromkeys(r.instrument for r in result.references if r.resolution == "outside-corpus" and r.instrument))
