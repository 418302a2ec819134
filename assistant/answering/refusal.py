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
    r"unfair dismissal|pensions?|income tax|corporation tax|stamp duty|national insurance|IR35|"
    r"employment status|PAYE)\b", re.I)
_BUYING = re.compile(r"\b(procur\w*|contract\w*|tender\w*|supplier\w*|bid\w*|award\w*|framework\w*|"
                     r"threshold\w*|commission(?:ing|ed)|purchas\w*|buy\w*)\b", re.I)


def about_elsewhere(question: str, passages: list[str]) -> bool:
    """Pay, employment or tax is what the question turns on: it says nothing of buying, or it does
    but no passage found for it speaks of the pay, employment or tax matter it names."""
    if not (m := _ELSEWHERE.search(question)):
        return False
    return not _BUYING.search(question) or not any(m[0].lower() in p.lower() for p in passages)


# Questions the indexed texts cannot answer whatever is retrieved, each with the reason given to the
# reader: what courts decided, other jurisdictions' own rules, and live facts (who holds a post now,
# what a company charges, a body's budget for a year).
_COURT = r"(?:courts?|tribunals?|judges?|CJEU|Court of Justice|High Court|Court of Appeal|Supreme Court)"
# What a court did (past tense, or asked with "did"/"has"), not what the Act lets a court do.
_CASE_LAW = re.compile(
    rf"\b{_COURT}\b[^?.]{{0,80}}?\b(?:held|ruled|decided|found|judged)\b|"
    rf"\b(?:did|has|have) (?:the |a |any )?{_COURT}\b[^?.]{{0,40}}?"
    r"\b(?:rule|decide|hold|find|say|said|allow\w*)\b|\bcase[- ]law\b|\bwhat was the case\b|"
    r"\b(?:judges|judgments?|precedents?|leading (?:case|authority)|(?:recent|reported|decided) cases?)\b|"
    r"\bcases? (?:went|have gone|has gone|where (?:the )?courts?)\b|"
    r"\b[A-Z][A-Za-z]+ v\.? [A-Z][A-Za-z]+\b|\[\d{4}\] (?:EWHC|EWCA|UKSC|UKHL)")
# Another jurisdiction's own rules: "Scottish thresholds", "Northern Ireland's own procurement
# guidance", "Germany's rules". Its name alone is not enough: the Act itself provides for devolved
# Scottish, Welsh and Northern Ireland authorities.
_JURISDICTION = (r"(?:Republic of Ireland|Ireland|Irish|Scotland|Scottish|Northern Ireland|Wales|Welsh Government|"
                 r"EU member states?|European Union|EU|Germany|German|France|French|United States|US|American|"
                 r"federal|Australia|Australian|Canada|Canadian)")
_RULE_WORDS = (r"(?:law|laws|rules|regulations|legislation|guidance|policy|policies|procurement policy notes?|"
               r"PPNs?|thresholds?|procedures?|directives?)")
_ELSEWHERE_LAW = re.compile(
    rf"\b{_JURISDICTION}(?:'s?)? (?:own )?(?:public )?(?:procurement )?(?:\w+ )?{_RULE_WORDS}\b|"
    rf"\b{_RULE_WORDS} (?:in|of|for) (?:the )?(?:Republic of Ireland|Germany|France|the (?:US|United States)|"
    r"Australia|Canada|EU member states?)\b|\(Scotland\)", re.I)
_LIVE_FACTS = re.compile(
    r"\bwho (?:is|are) (?:the )?(?:current|present|new)\b|\bwho currently\b|\bcurrently (?:holds?|in post)\b|"
    r"\bwho (?:is|are|chairs|leads|heads|runs|holds|sits on)\b[^?.]{0,60}\b(?:at the moment|right now|now|currently|"
    r"today|at present|these days)\b|"
    r"\bbudget\b[^?.]{0,50}\b(?:this|next|last|current) (?:financial |fiscal )?year\b|"
    r"\bhow (?:many|much)\b[^?.]{0,60}\b(?:has|have|did)(?! to\b) (?:\w+ ){1,3}?(?:awarded|let|signed|spent|paid|"
    r"published|received|procured|bought|excluded|debarred)\b|"
    r"\b(?:latest|current|today'?s|this (?:month|year)'?s)\b[^?.]{0,30}\b(?:CPI|RPI|inflation|interest rates?|"
    r"exchange rates?|base rate|living wage|market rates?|prices?)\b|"
    r"\bhow much does [A-Z]\w+ (?:charge|cost|pay)\b|\b(?:charges?|costs?|rates?) (?:per hour|per day|an hour)\b"
    r"[^?.]{0,40}\b(?:now|currently|at the moment|today)\b|\b(?:total )?budget for (?:20\d\d|this year|next year)|"
    r"\b(?:today'?s|current) (?:inflation|interest|exchange) rates?\b", re.I)
# Another body's own rules or guidance: "Westminster City Council's contract standing orders", "the
# Crown Commercial Service's buyer guidance", "PPN 06/20". Refused unless a held document is it.
_OTHER_BODIES_RULES = re.compile(
    r"\b(?:\w+ (?:City |Borough |County )?Council|another (?:force|authority|council))'?s? (?:contract )?"
    r"(?:standing orders|financial regulations|contract (?:procedure )?rules|scheme of delegation)\b|"
    r"\bScheme of (?:Delegation|Consent)(?: and (?:Delegation|Consent))?\b|"
    r"\b(?:the )?(?:[A-Z][\w&]*(?: (?:of )?[A-Z][\w&]*)*)'s? (?:own )?(?:\w+ ){0,2}?"
    r"(?:guidance|playbook|handbook|manual|standing orders|financial regulations|procurement policy notes?)\b|"
    r"\b(?:the )?(?:Cabinet Office|Crown Commercial Service|CCS|Government Commercial Function|Home Office|"
    r"National Audit Office|HM Treasury|Treasury) (?:\w+ ){0,2}?(?:guidance|playbook|notes?|handbook|rules)\b|"
    r"\b(?:PPN|Procurement Policy Note) ?\d{1,2}/\d{2}\b|\bSourcing Playbook\b")
# Words that name an instrument or this organisation, not another body: "the Act's guidance".
_HELD_OWNERS = re.compile(r"^(?:the )?(?:Act|Regulations?|Order|Protocol|Schedule|Part|Minister|MOPAC|Mayor|"
                          r"Deputy Mayor|PCD|Secretary of State)\b", re.I)


def other_bodies_rules(question: str, documents: list) -> str:
    """The first mention of another body's rules or guidance that no held document is."""
    for m in _OTHER_BODIES_RULES.finditer(question):
        named = m[0].lower()
        if _HELD_OWNERS.match(m[0]):
            continue
        if not any(named in f"{d.title} {d.short} {' '.join(d.aliases)}".lower() for d in documents):
            return m[0]
    return ""


def beyond_any_document(question: str) -> str:
    """A reason to refuse that the question's words give, whatever is indexed: it asks what courts
    decided, another jurisdiction's own rules, or live facts."""
    if _CASE_LAW.search(question):
        return "it asks what a court decided; case law is not among the indexed documents"
    if _ELSEWHERE_LAW.search(question):
        return "it asks about another jurisdiction's own rules; the indexed law is the law of England (and the UK-wide Acts)"
    if _LIVE_FACTS.search(question):
        return "it asks for current facts or figures (who holds a post, prices, budgets); the indexed documents do not hold them"
    return ""


def refusal_reason(question: str, result: SearchResult, index: Index | None = None,
                   floors: tuple[float, float] | None = None) -> str:
    """Why the indexed documents cannot answer the question, or "" when they may. `floors`: the
    similarity floors (see `assistant.calibration`), given only when calibrating them."""
    documents = index.documents if index is not None else []
    if not result.hits:
        return "nothing in the indexed documents matches the question"
    if any("reference" in h.how for h in result.hits):
        return ""
    if names := outside_corpus(result, question):
        if not any(r.doc_id for r in result.references):
            return f"it asks about {', '.join(names)}, which is not among the indexed documents"
    if reason := beyond_any_document(question):
        return reason
    if named := other_bodies_rules(question, documents):
        return f"it asks about {named}, which is not among the indexed documents"
    if index is not None and (names := unknown_names(question, index)):
        return f"it turns on {', '.join(names)}, which the indexed documents never mention"
    if about_elsewhere(question, [h.passage.text for h in result.hits]):
        return "it turns on pay, employment or tax, whose rules are not among the indexed documents"
    low, out_of_domain = floors or refusal_floors()
    if result.best_similarity < low or (not in_domain(question) and result.best_similarity < out_of_domain):
        return "no indexed passage is close enough to the question"
    return ""


# A proper name inside a sentence: a person, company, place or case ("Mitie", "Teckal", "Dublin").
# Acronyms (CCTV, KPI, DPS) are left out: practitioners use many the statute spells out in words.
_NAME = re.compile(r"(?<![.?!:]\s)(?<!^)\b[A-Z][a-z]{2,}(?:[ -][A-Z][a-z]{2,})*\b")
# The law a question is asked under ("under UK GDPR", "under TUPE"): acronyms count here, since it
# names the instrument the answer would have to come from.
# Capitalised without being names: a question's dates ("signed last Monday", "in March").
_CALENDAR = frozenset(("monday tuesday wednesday thursday friday saturday sunday january february march april may "
                       "june july august september october november december christmas easter").split())
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
    return list(dict.fromkeys(n for n in names if not set(tokenize(n)) <= known | _CALENDAR))


# An Act named as the law of an offence ("convicted of an offence under the Fraud Act 2006") is a fact
# of the case, not the law asked about: the exclusion grounds name offences by the Acts creating them.
_OFFENCE_BEFORE = re.compile(r"\b(?:offen[cs]es?|convict\w*|guilty|prosecuted|charged)\b[^.?!;]{0,40}$", re.I)


def outside_corpus(result: SearchResult, question: str = "") -> list[str]:
    """Instruments the question asks about that are not indexed ("PCD 1430", "the Data Protection Act 2018")."""
    return list(dict.fromkeys(r.instrument for r in result.references
                              if r.resolution == "outside-corpus" and r.instrument
                              and not _OFFENCE_BEFORE.search(question[:r.start])))
