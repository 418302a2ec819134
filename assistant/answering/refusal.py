"""Is a question about what this assistant covers: public procurement, commissioning, policing bodies?

A question without any of these words is outside the corpus unless its best passage is a very
close match; one with them still needs a passage that is close enough. Both similarity floors
are calibrated on the eval set (evals/calibrate.py), not guessed.
"""

from __future__ import annotations

import re

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
