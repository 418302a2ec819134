"""A synthetic MOPAC decisions archive (PCD and DMPCD papers), for measuring the assistant at scale.

Each paper has the structure of the published decisions (PCD 1429, the papers under
evals/references/): a title line with its reference, date signed and decision maker, an executive
summary, the recommendations, the nine numbered sections and, in about a third, a Part 2. Services,
suppliers, values, dates, durations and procurement routes vary from paper to paper, and the legal
comments cite the statute the way real papers do (regulation 72, section 41, the public sector
equality duty): the archive should tempt retrieval away from the statute as a real one would.

Paper i depends only on (seed, i), so a larger archive starts with the papers of a smaller one and
their embeddings are reused from the cache. Every paper opens with a line saying it is synthetic;
the parser skips it, as it skips a web page's masthead.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path

from ingest.document import DocumentInfo

SEED = 14
FOLDER = "synthetic"
MASTHEAD = "Synthetic decision paper for benchmarking (evals/synthetic_archive.py); not a MOPAC decision."
# Where the Procurement Act 2023 takes over (SI 2024/716 reg. 5): papers signed from then cite it.
ACT_COMMENCED = date(2025, 2, 24)
FIRST_DAY, LAST_DAY = date(2017, 1, 9), date(2026, 3, 27)
FIRST_PCD = 2001  # above the published numbers, so no synthetic reference names a real paper


@dataclass(frozen=True)
class Service:
    name: str  # as a title: "Custody Healthcare Services"
    what: str  # as a phrase: "healthcare professionals in the MPS custody suites"
    need: str  # why MOPAC buys it
    measure: str  # what the provider reports, with {n} for a figure
    kind: str  # services, goods or works
    light_touch: bool
    low: int  # annual value range, pounds
    high: int


SERVICES = (
    Service("Victim and Witness Support Services", "emotional and practical support for victims and witnesses of "
            "crime across London", "the Victims' Code of Practice entitles every victim to an assessment of needs",
            "{n} victims referred and {p}% contacted within two working days", "services", True, 900_000, 9_000_000),
    Service("Custody Healthcare Services", "healthcare professionals in the MPS custody suites",
            "every detained person must have access to a healthcare professional while in custody",
            "{n} clinical assessments with {p}% completed within the target time", "services", True, 2_000_000,
            14_000_000),
    Service("Interpreting and Translation Services", "face-to-face, telephone and video interpreting for police "
            "interviews and victim contact", "investigations stall when officers cannot speak with victims, "
            "witnesses and suspects in their own language", "{n} bookings with {p}% filled first time", "services",
            False, 400_000, 3_500_000),
    Service("Cleaning Services", "cleaning of police stations, custody suites and patrol bases",
            "custody suites must meet the hygiene standards set by the inspectorate",
            "{n} sites cleaned to specification with {p}% of audits passed", "services", False, 600_000, 6_000_000),
    Service("Fleet Vehicle Supply", "the supply of marked and unmarked response vehicles",
            "the vehicle replacement programme retires cars older than seven years",
            "{n} vehicles delivered with {p}% on the agreed date", "goods", False, 1_500_000, 18_000_000),
    Service("Fleet Maintenance and Repair", "servicing, repair and recovery of the MPS fleet",
            "vehicle availability for emergency response must not fall below target",
            "{n} vehicles serviced with {p}% returned within 48 hours", "services", False, 800_000, 7_000_000),
    Service("Digital Evidence Management System", "a cloud system to store, share and disclose digital evidence",
            "officers spend hours copying body-worn video to disc for the Crown Prosecution Service",
            "{n} evidence packages shared with {p}% availability", "services", False, 500_000, 6_000_000),
    Service("Case Management System", "a case management system for commissioned victim services",
            "providers hold referrals in separate systems that cannot share information",
            "{n} cases recorded with {p}% of referrals matched", "services", False, 150_000, 1_200_000),
    Service("Estates Refurbishment Works", "the refurbishment of police buildings, including new front counters "
            "and custody cells", "several buildings are in poor condition and no longer fit for operational use",
            "{n} square metres refurbished with {p}% of milestones met", "works", False, 1_000_000, 25_000_000),
    Service("Facilities Management", "hard and soft facilities management across the estate",
            "the current contracts expire and cover the estate in three separate lots",
            "{n} reactive jobs completed with {p}% within the response time", "services", False, 2_000_000,
            20_000_000),
    Service("Violence Reduction Programme", "youth outreach in A&E departments and custody suites for young "
            "people affected by violence", "young people admitted to hospital with knife injuries are at high "
            "risk of further harm", "{n} young people engaged with {p}% completing the programme", "services", True,
            300_000, 3_000_000),
    Service("Domestic Abuse Perpetrator Programme", "behaviour change work with perpetrators of domestic abuse",
            "most repeat victimisation is driven by a small number of perpetrators",
            "{n} perpetrators assessed with {p}% completing the intervention", "services", True, 250_000, 2_500_000),
    Service("Independent Sexual Violence Advocacy", "independent sexual violence advisers supporting survivors "
            "through the criminal justice process", "survivors supported by an adviser are more likely to stay "
            "with the prosecution", "{n} survivors supported with {p}% remaining engaged to trial", "services", True,
            500_000, 4_000_000),
    Service("Digital Forensic Services", "the extraction and analysis of data from mobile phones and computers",
            "the backlog of devices awaiting examination delays charging decisions",
            "{n} devices examined with {p}% within the agreed turnaround", "services", False, 700_000, 8_000_000),
    Service("Body-Worn Video Cameras", "the supply and support of body-worn video cameras and docking stations",
            "the existing cameras reach the end of their supported life", "{n} cameras supplied with {p}% uptime",
            "goods", False, 1_000_000, 10_000_000),
    Service("Security Guarding Services", "manned guarding and reception services at police buildings",
            "buildings open to the public need controlled entry at all times",
            "{n} guarding hours delivered with {p}% of shifts filled", "services", False, 400_000, 4_000_000),
    Service("Catering Services", "catering at the training centres and operational sites",
            "officers on long shifts and recruits in training need access to hot food",
            "{n} meals served with {p}% customer satisfaction", "services", False, 200_000, 2_000_000),
    Service("Research and Evaluation", "independent evaluation of commissioned services",
            "the Police and Crime Plan commits MOPAC to publishing what works",
            "{n} interviews completed with {p}% of milestones met", "services", False, 60_000, 600_000),
    Service("Drug Testing on Arrest", "testing of arrested people for specified Class A drugs",
            "testing identifies people whose offending is linked to drug use and refers them to treatment",
            "{n} tests carried out with {p}% positive results referred", "services", True, 300_000, 2_500_000),
    Service("Electronic Monitoring Services", "GPS tags for people released from prison after knife crime",
            "location monitoring supports the management of offenders in the community",
            "{n} tags fitted with {p}% of alerts responded to within an hour", "services", False, 400_000, 3_000_000),
    Service("Uniform and Protective Equipment", "the supply of uniform, body armour and protective equipment",
            "officers must have body armour that meets the current ballistic standard",
            "{n} items issued with {p}% delivered to stores on time", "goods", False, 900_000, 12_000_000),
    Service("Energy Supply", "electricity and gas for the MPS estate", "the current energy contract ends and "
            "wholesale prices remain volatile", "{n} MWh supplied with {p}% from renewable sources", "goods", False,
            5_000_000, 40_000_000),
    Service("Hate Crime Advocacy Service", "casework and advocacy for victims of hate crime",
            "victims of hate crime report lower satisfaction with the police response",
            "{n} victims supported with {p}% reporting improved confidence", "services", True, 150_000, 1_200_000),
    Service("Independent Custody Visiting Scheme", "training and support of volunteer custody visitors",
            "the 2011 Act requires MOPAC to run an independent custody visiting scheme",
            "{n} visits made with {p}% of suites visited each month", "services", True, 50_000, 400_000),
)

# Fictional providers, by service: a custody healthcare contract goes to a health provider.
SUPPLIERS = {
    "Victim and Witness Support Services": ("Lighthouse Victim Care", "Riverside Advocacy Trust",
                                            "Thameside Support Partnership", "St Anne's Advocacy Service"),
    "Custody Healthcare Services": ("Northgate Health Solutions", "Capital Care Services Ltd",
                                    "Medway Forensic Medical Ltd"),
    "Interpreting and Translation Services": ("LinguaServe UK Ltd", "Babel Bridge Language Services",
                                              "Wordhouse Interpreting Ltd"),
    "Cleaning Services": ("Brightwater Facilities Group", "Clearview Cleaning Ltd", "Sterling Hygiene Services"),
    "Fleet Vehicle Supply": ("Meridian Fleet Services", "Westway Mobility Ltd", "Crownline Vehicles plc"),
    "Fleet Maintenance and Repair": ("Meridian Fleet Services", "Axle Fleet Care Ltd", "Westway Mobility Ltd"),
    "Digital Evidence Management System": ("Evidence Works Ltd", "Halcyon Digital Ltd", "Pillar Systems Ltd"),
    "Case Management System": ("Pillar Systems Ltd", "Casefile Software Ltd", "Halcyon Digital Ltd"),
    "Estates Refurbishment Works": ("Arden Estates Contractors", "Keystone Build Ltd", "Carrick Construction plc"),
    "Facilities Management": ("Brightwater Facilities Group", "Harbour FM Services", "Civic Estates Partnership"),
    "Violence Reduction Programme": ("Southbank Youth Trust", "Oakfield Community Interest Company",
                                     "Street Doctors London"),
    "Domestic Abuse Perpetrator Programme": ("Turning Point Change Programmes", "Beacon Recovery Services",
                                             "Safe Homes Partnership"),
    "Independent Sexual Violence Advocacy": ("Riverside Advocacy Trust", "Rape Crisis Network London",
                                             "Lighthouse Victim Care"),
    "Digital Forensic Services": ("Kestrel Forensics Ltd", "Cellular Evidence Labs", "Evidence Works Ltd"),
    "Body-Worn Video Cameras": ("Sentinel Video Systems", "Halcyon Digital Ltd", "Optica Devices Ltd"),
    "Security Guarding Services": ("Sentinel Guarding Ltd", "Portcullis Security Ltd", "Harbour FM Services"),
    "Catering Services": ("Harbour Catering plc", "Fresh Plate Contract Catering", "Brightwater Facilities Group"),
    "Research and Evaluation": ("Civic Research Partnership", "Foundry Analytics Ltd", "Institute for Urban Safety"),
    "Drug Testing on Arrest": ("Beacon Recovery Services", "Northgate Health Solutions", "Clearpath Testing Ltd"),
    "Electronic Monitoring Services": ("Tracewell Monitoring Ltd", "Pillar Systems Ltd", "Sentinel Video Systems"),
    "Uniform and Protective Equipment": ("Apex Body Armour Ltd", "Uniformity Supplies Ltd", "Guardline PPE Ltd"),
    "Energy Supply": ("Greenline Energy Ltd", "Capital Power Supply plc", "Thames Renewables Ltd"),
    "Hate Crime Advocacy Service": ("St Anne's Advocacy Service", "Community Alliance Against Hate",
                                    "Thameside Support Partnership"),
    "Independent Custody Visiting Scheme": ("Civic Research Partnership", "Volunteer Centres London",
                                            "Oakfield Community Interest Company"),
}
DECISION_MAKERS = {
    "DMPC": "Deputy Mayor for Policing and Crime",
    "CEO": "Chief Executive Officer, MOPAC",
    "CFO": "Chief Finance Officer and Director of Corporate Services",
    "DCP": "Director of Commissioning and Partnerships",
}
FUNDS = ("MOPAC's commissioning budget", "the Ministry of Justice victims grant", ("the Home Office Serious "
         "Violence Fund"), "the MPS capital programme", "the MPS revenue budget", "MOPAC's budget resilience reserve",
         "the Violence Reduction Unit budget", "the Mayor's Violence Against Women and Girls fund")
BOROUGHS = ("Barking and Dagenham", "Brent", "Croydon", "Ealing", "Enfield", "Hackney", "Haringey", "Lambeth",
            "Lewisham", "Newham", "Southwark", "Tower Hamlets", "Waltham Forest", "Westminster")
FRAMEWORKS = ("Crown Commercial Service framework RM6187", "Crown Commercial Service framework RM6100",
              "the ESPO framework 664", "the Yorkshire Purchasing Organisation framework 1010",
              "the Blue Light Commercial framework for vehicles", "the NHS Shared Business Services framework")
PROTECTED = ("age, disability, gender reassignment, marriage and civil partnership, pregnancy and maternity, race, "
             "religion or belief, sex and sexual orientation")
# PCR 2015 thresholds (services and goods, light touch services, works) as they stood from each date.
THRESHOLDS = ((date(2016, 1, 1), 164_176, 589_148, 4_104_394), (date(2018, 1, 1), 181_302, 615_278, 4_551_413),
              (date(2020, 1, 1), 189_330, 663_540, 4_733_252), (date(2022, 1, 1), 213_477, 663_540, 5_336_937),
              (date(2024, 1, 1), 214_904, 663_540, 5_372_609))


@dataclass(frozen=True)
class Paper:
    reference: str
    doc_id: str
    title: str
    signed: date | None  # None: the paper leaves "Date signed" blank, as PCD 1429 does
    decision_by: str
    summary: tuple[str, ...]
    lead_in: str
    recommendations: tuple[str, ...]
    sections: tuple[tuple[str, tuple[str, ...]], ...]  # (title, paragraphs); one unnumbered paragraph: "Not applicable"
    part_two: tuple[str, ...] = field(default=())
    item_style: str = "1."

    @property
    def file(self) -> str:
        return f"{FOLDER}/{self.doc_id}.txt"

    @property
    def passages(self) -> int:
        """How many passages the decision parser reads from it: one per summary paragraph,
        recommendation and section paragraph."""
        return (len(self.summary) + len(self.recommendations) + sum(len(p) for _, p in self.sections)
                + len(self.part_two))

    def text(self) -> str:
        signed = _day(self.signed) if self.signed else ""
        lines = [MASTHEAD, "", f"{self.reference} {self.title}", "", f"Date signed: {signed}",
                 f"Decision by: {self.decision_by}", "", "Executive Summary:"]
        for paragraph in self.summary:
            lines += [paragraph, ""]
        lines.append(self.lead_in)
        lines += [f"{_item_marker(self.item_style, n)} {item}" for n, item in enumerate(self.recommendations, 1)]
        for number, (title, paragraphs) in enumerate(self.sections, 1):
            lines += ["", f"{number}. {title}"]
            if paragraphs == ("Not applicable",):
                lines.append("Not applicable")
            else:
                lines += [f"{number}.{n}. {p}" for n, p in enumerate(paragraphs, 1)]
        if self.part_two:
            lines += ["", "PART 2 – CONFIDENTIAL FACTS AND ADVICE"]
            lines += [f"{n}. {p}" for n, p in enumerate(self.part_two, 1)]
        return "\n".join(lines) + "\n"

    def document(self) -> DocumentInfo:
        return DocumentInfo(doc_id=self.doc_id, title=f"{self.reference} {self.title}", short=self.reference,
                            kind="decision", version_date=self.signed.isoformat() if self.signed else "",
                            licence="synthetic", file=self.file)


def _item_marker(style: str, n: int) -> str:
    return {"1.": f"{n}.", "a)": f"{'abcdefgh'[n - 1]})", "•": "•"}[style]


def _day(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def money(value: float) -> str:
    return f"£{value:,.0f}"


def _round(value: float) -> int:
    """Budgets are round figures: three significant figures."""
    step = 10 ** max(0, len(str(int(value))) - 3)
    return int(round(value / step) * step)


class _Facts:
    """Everything one paper says, drawn once so that its sections agree with each other."""

    def __init__(self, rng: random.Random, i: int) -> None:
        self.rng = rng
        self.service = rng.choice(SERVICES)
        self.supplier, self.incumbent, self.runner_up = rng.sample(SUPPLIERS[self.service.name], 3)
        self.boroughs = rng.sample(BOROUGHS, rng.randint(2, 4))
        self.signed_on = FIRST_DAY + timedelta(days=rng.randrange((LAST_DAY - FIRST_DAY).days))
        self.act = self.signed_on >= ACT_COMMENCED
        self.years = rng.choice((1, 2, 3, 3, 4, 5))
        self.extension = rng.choice((0, 1, 2))
        self.annual = _round(rng.uniform(self.service.low, self.service.high))
        self.value = _round(self.annual * (self.years + self.extension))
        self.start = date(self.signed_on.year + (self.signed_on.month > 6), rng.choice((1, 4, 7, 10)), 1)
        self.end = date(self.start.year + self.years, self.start.month, 1) - timedelta(days=1)
        self.fund = rng.choice(FUNDS)
        self.bidders = rng.randint(2, 9)
        # Grants fund the voluntary sector's work with victims and offenders, never goods or works.
        self.route = rng.choice(("open", "open", "direct", "framework", "extension", "grant")
                                if self.service.light_touch else ("open", "open", "direct", "framework", "extension")
                                if self.service.kind == "services" else ("open", "framework", "extension"))
        self.maker = "DMPC" if self.value >= 500_000 else rng.choice(("CEO", "CFO", "DCP"))
        self.threshold = next(t for t in reversed(THRESHOLDS) if t[0] <= self.signed_on)
        pcd = i % 2 == 0 or self.maker == "DMPC" and i % 3 == 0
        self.reference = (f"PCD {FIRST_PCD + i}" if pcd else f"DMPCD {self.signed_on.year}/{100 + i}")

    def figure(self) -> str:
        return self.service.measure.format(n=f"{self.rng.randint(120, 48_000):,}", p=self.rng.randint(71, 99))

    def period(self) -> str:
        extension = {0: "", 1: " with an option to extend for one further year",
                     2: " with options to extend for up to two further years"}[self.extension]
        return f"{self.years} year{'s' * (self.years > 1)} from {_day(self.start)}{extension}"


_ROUTE_TITLE = {"open": "Contract Award", "direct": "Direct Award", "framework": "Call-off Contract",
                "extension": "Contract Extension", "grant": "Grant Funding"}
_ROUTE_VERB = {"open": "award a contract after competition", "direct": "award a contract directly",
               "framework": "call off from a framework", "extension": "extend the current contract",
               "grant": "fund the work by grant"}


def make_paper(seed: int, i: int) -> Paper:
    """Paper i of the archive made with this seed: the same paper every time."""
    rng = random.Random(f"{seed}:{i}")
    f = _Facts(rng, i)
    title = f"{f.service.name}{rng.choice((' –', ':'))} {_ROUTE_TITLE[f.route]}"
    if rng.random() < 0.3:
        title = f"{title} {f.start.year}–{f.end.year % 100:02d}"
    sections = (
        ("Introduction and background", _introduction(f)),
        ("Issues for consideration", _issues(f)),
        ("Financial Comments", _financial(f)),
        ("Legal Comments", _legal(f)),
        ("Commercial Issues", _commercial(f)),
        ("Public Health Approach", _public_health(f)),
        ("GDPR and Data Privacy", _privacy(f)),
        ("Equality Comments", _equality(f)),
        ("Background/supporting papers", _background(f)),
    )
    maker = DECISION_MAKERS[f.maker]
    return Paper(
        reference=f.reference, doc_id=f.reference.lower().replace(" ", "-").replace("/", "-"), title=title,
        signed=None if rng.random() < 0.08 else f.signed_on, decision_by=maker, summary=_summary(f),
        lead_in=f"The {maker.split(',')[0]} is recommended to:", recommendations=_recommendations(f),
        sections=sections, part_two=_part_two(f) if rng.random() < 0.35 else (),
        item_style=rng.choice(("1.", "1.", "a)", "•")))


def _pick(rng: random.Random, pool: list[str], low: int, high: int, join: bool = True) -> tuple[str, ...]:
    """Between low and high of the pool's sentences, in the pool's order (papers argue in order); with
    `join`, some neighbours share a paragraph, as real paragraphs run to two or three sentences."""
    chosen = [pool[n] for n in sorted(rng.sample(range(len(pool)), min(len(pool), rng.randint(low, high))))]
    paragraphs: list[str] = []
    for sentence in chosen:
        if join and paragraphs and rng.random() < 0.4:
            paragraphs[-1] += " " + sentence
        else:
            paragraphs.append(sentence)
    return tuple(paragraphs)


def _summary(f: _Facts) -> tuple[str, ...]:
    s = f.service
    pool = [
        (f"MOPAC commissions {s.what}. The current arrangements with {f.incumbent} end on "
        f"{_day(f.start - timedelta(days=1))}, and {s.need}."),
        (f"In {f.signed_on.year - 1} the service recorded {f.figure()}, across London and in particular in "
        f"{' and '.join(f.boroughs[:2])}."),
        {"open": f"This decision seeks approval to award a contract to {f.supplier} following an open competition, "
                 f"for {f.period()}, at a total value of up to {money(f.value)}.",
         "direct": f"This decision seeks approval to award a contract directly to {f.supplier}, without competition, "
                   f"for {f.period()}, at a total value of up to {money(f.value)}.",
         "framework": f"This decision seeks approval to call off a contract from {f.rng.choice(FRAMEWORKS)} with "
                      f"{f.supplier}, for {f.period()}, at a value of up to {money(f.value)}.",
         "extension": f"This decision seeks approval to extend the contract with {f.incumbent} by {f.years} "
                      f"year{'s' * (f.years > 1)} at a cost of up to {money(f.value)}.",
         "grant": f"This decision seeks approval to award grant funding of up to {money(f.value)} to "
                  f"{f.supplier} for {f.period()}."}[f.route],
        f"The funding will come from {f.fund}.",
    ]
    return _pick(f.rng, pool, 2, 4)


def _recommendations(f: _Facts) -> tuple[str, ...]:
    counterpart = f.incumbent if f.route == "extension" else f.supplier
    pool = [
        f"approve the {_ROUTE_TITLE[f.route].lower()} for {f.service.what} to {counterpart}, for {f.period()};",
        f"approve expenditure of up to {money(f.value)} over the life of the contract, funded from {f.fund};",
        f"delegate authority to the {DECISION_MAKERS['DCP']} to agree the final terms;",
        f"note the performance of the current service, which recorded {f.figure()};",
        (f"approve a contingency of {money(_round(f.value * f.rng.choice((0.05, 0.1, 0.15))))} to be drawn only "
        "with the agreement of the Chief Finance Officer;"),
    ]
    items = list(_pick(f.rng, pool, 2, 5, join=False))
    items[-1] = items[-1].rstrip(";") + "."
    if len(items) > 1:
        items[-2] += " and"
    return tuple(items)


def _introduction(f: _Facts) -> tuple[str, ...]:
    s = f.service
    pool = [
        (f"The Police and Crime Plan sets out the Mayor's priorities for policing in London. {s.need[0].upper()}"
        f"{s.need[1:]}."),
        (f"MOPAC has commissioned {s.what} since {f.signed_on.year - f.rng.randint(3, 9)}. The current provider is "
        f"{f.incumbent}."),
        (f"Demand has risen by {f.rng.randint(4, 38)}% since {f.signed_on.year - 3}, with the greatest growth in "
        f"{f.boroughs[0]} and {f.boroughs[-1]}."),
        f"In the last full year the service recorded {f.figure()}.",
        (f"An independent review in {f.signed_on.year - 1} recommended {f.rng.choice(('a single pan-London model', 'closer joint working with the MPS', 'a stronger focus on repeat users', 'clearer performance measures'))}, "
        "which the new arrangements adopt."),
        (f"The MPS, the {f.rng.choice(('NHS', 'London boroughs', 'Probation Service', 'Crown Prosecution Service'))} "
        "and service users were consulted on the future model between "
        f"{f.signed_on - timedelta(days=300):%B %Y} and {f.signed_on - timedelta(days=120):%B %Y}."),
        (f"The service operates in {len(f.boroughs) + f.rng.randint(5, 20)} boroughs and is delivered from "
        f"{f.rng.randint(2, 12)} hubs."),
    ]
    return _pick(f.rng, pool, 3, 7)


def _issues(f: _Facts) -> tuple[str, ...]:
    route = {
        "open": f"An open procedure was run. {f.bidders} bids were received and evaluated on quality "
                f"({f.rng.choice((60, 65, 70))}%) and price. {f.supplier} scored highest overall.",
        "direct": f"Only {f.supplier} holds the accreditation needed to deliver the service from the start date, "
                  "and a competition could not be completed in time without a gap in provision.",
        "framework": f"A further competition was run among the suppliers on the framework. {f.bidders} responses "
                     f"were received and {f.supplier} offered the most economically advantageous tender.",
        "extension": f"The contract with {f.incumbent} allows extension. Performance has been good and a new "
                     "competition is planned once the service model has been reviewed.",
        "grant": f"{f.supplier} is the only organisation delivering this work at scale in "
                 f"{' and '.join(f.boroughs[:2])}, and a grant gives it the flexibility to co-design the service.",
    }[f.route]
    pool = [
        route,
        f"The evaluation panel included officers from MOPAC, the MPS and {f.rng.choice(('a victims panel', 'the NHS', 'two London boroughs', 'the Violence Reduction Unit'))}.",
        (f"The new contract introduces key performance indicators on {f.rng.choice(('response times', 'user satisfaction', 'referral outcomes', 'availability'))} "
        f"and {f.rng.choice(('social value', 'carbon reduction', 'London Living Wage', 'apprenticeships'))}, reported "
        "quarterly to the contract management board."),
        (f"Mobilisation will take {f.rng.randint(6, 16)} weeks. A transition plan has been agreed with "
        f"{f.incumbent} so that users see no break in service."),
        (f"The risk of {f.rng.choice(('TUPE transfer of staff', 'delay in mobilisation', 'a rise in demand', 'supplier failure'))} "
        "has been assessed and mitigations are set out in the risk register."),
        f"The service will be delivered to {f.rng.choice(('all 32 boroughs', 'the four Basic Command Units', 'the custody suites in the North Area', 'victims referred by the MPS'))}.",
        (f"Options considered were to do nothing, to deliver the service in-house, and to {_ROUTE_VERB[f.route]} as "
        "proposed; the last offers the best value."),
        f"The decision supports the Police and Crime Plan outcome of {f.rng.choice(('better support for victims', 'reducing violence', 'a trusted police service', 'safer neighbourhoods'))}.",
    ]
    return _pick(f.rng, pool, 3, 8)


def _financial(f: _Facts) -> tuple[str, ...]:
    years = f"{f.start.year}/{(f.start.year + 1) % 100:02d}"
    pool = [
        f"The total cost is up to {money(f.value)}, an annual cost of around {money(f.annual)}.",
        f"The cost will be met from {f.fund}, within the budget for {years} and future years.",
        (f"The price is {f.rng.randint(2, 14)}% {f.rng.choice(('lower', 'higher'))} than the current contract, "
        f"reflecting {f.rng.choice(('inflation and the London Living Wage', 'a wider scope', 'efficiencies offered by the supplier', 'lower volumes'))}."),
        "Payments will be made monthly in arrears against the agreed performance measures.",
        f"Any extension will be subject to the availability of funding in the {f.end.year}/{(f.end.year + 1) % 100:02d} budget.",
    ]
    return _pick(f.rng, pool, 2, 5)


def _legal(f: _Facts) -> tuple[str, ...]:
    low, light, works = f.threshold[1:]
    threshold = works if f.service.kind == "works" else light if f.service.light_touch else low
    powers = ("MOPAC's general powers are set out in the Police Reform and Social Responsibility Act 2011 (the 2011 "
              "Act). Under Schedule 3, paragraph 7 MOPAC may do anything calculated to facilitate, or conducive or "
              "incidental to, the exercise of its functions, including entering into contracts.")
    delegation = (f"Paragraph {f.rng.choice(('4.8', '4.13'))} of the MOPAC Scheme of Consent and Delegation provides "
                  "that the Deputy Mayor for Policing and Crime approves all requests to go out to tender, and all "
                  "awards, of £500,000 or above."
                  if f.maker == "DMPC" else
                  f"The {DECISION_MAKERS[f.maker].split(',')[0]} may approve expenditure below £500,000 under "
                  "the MOPAC Scheme of Consent and Delegation.")
    if f.route == "grant":
        regime = ("Section 9 of the 2011 Act allows MOPAC to make crime and disorder reduction grants on the "
                  "conditions it thinks appropriate. A grant is not a public contract, so the procurement rules "
                  "do not apply, but MOPAC's Contract Regulations require a grant agreement.")
    elif f.act:
        regime = {
            "open": "MOPAC is a contracting authority under the Procurement Act 2023 (the Act). The contract was "
                    "awarded under section 19 following a competitive tendering procedure, and an assessment "
                    "summary was sent to each supplier under section 50.",
            "direct": "Section 41 of the Procurement Act 2023 allows a direct award where a direct award "
                      "justification in Schedule 5 applies; a transparency notice will be published before the "
                      "contract is entered into.",
            "framework": "The call-off is a frameworks award under section 45 of the Procurement Act 2023 and "
                         "follows the competitive selection process set out in the framework.",
            "extension": "The extension is a modification permitted under section 74 and Schedule 8 of the "
                         "Procurement Act 2023, as it was provided for in the contract.",
        }[f.route]
    else:
        regime = {
            "open": f"MOPAC is a contracting authority under the Public Contracts Regulations 2015 (the Regulations). "
                    f"Contracts for {f.service.kind} valued at {money(threshold)} or above must be procured in "
                    "accordance with the Regulations; an open procedure under regulation 27 was used.",
            "direct": "Regulation 32(2)(b) of the Public Contracts Regulations 2015 allows the negotiated procedure "
                      "without prior publication where, for technical reasons, only one provider can supply.",
            "framework": "Regulation 33 of the Public Contracts Regulations 2015 allows call-offs from a framework "
                         "agreement; this call-off follows the framework's further competition process.",
            "extension": "The extension is a modification permitted by regulation 72(1)(a) of the Public Contracts "
                         "Regulations 2015, as the option was set out in the original procurement documents.",
        }[f.route]
    pool = [powers, delegation, regime]
    if f.service.light_touch and f.route != "grant":
        pool.append("The services are light touch services, listed in Schedule 3 to the Regulations and procured "
                    "under regulations 74 to 76." if not f.act else
                    "The services are light touch services under the Procurement Act 2023 and the Procurement "
                    "Regulations 2024, which allows a procedure suited to the needs of service users.")
    if f.route in ("open", "framework"):
        pool.append("A standstill period of eight working days will be observed before the contract is entered "
                    "into, in accordance with section 51 of the Act." if f.act else
                    "A standstill period of ten days will be observed before the contract is concluded, in "
                    "accordance with regulation 87 of the Regulations.")
    pool.append("TfL Legal has been consulted and is satisfied that the recommendations are within MOPAC's powers.")
    return _pick(f.rng, pool, 2, 5)


def _commercial(f: _Facts) -> tuple[str, ...]:
    pool = [
        (f"The contract will be on MOPAC's standard terms for {f.service.kind}, with a break clause on "
        f"{f.rng.choice(('three', 'six'))} months' notice."),
        (f"Social value commitments include {f.rng.randint(2, 25)} apprenticeships and payment of the London "
        "Living Wage to all staff working on the contract."),
        (f"The supplier's financial standing was checked through {f.rng.choice(('Dun & Bradstreet', 'Creditsafe', 'its published accounts'))} "
        "and found acceptable."),
        (f"The contract will be managed by the {f.rng.choice(('Victims Commissioning team', 'Commercial Services team', 'Estates team', 'Violence Reduction Unit'))}, "
        "with quarterly performance reviews."),
        "The decision has been reviewed by MOPAC's Procurement, Grants and Contracts Oversight Board.",
    ]
    return _pick(f.rng, pool, 1, 5)


def _public_health(f: _Facts) -> tuple[str, ...]:
    if f.service.kind != "services" or f.rng.random() < 0.4:
        return ("Not applicable",)
    return _pick(f.rng, [
        (f"The service takes a public health approach to {f.rng.choice(('violence', 'victimisation', 'reoffending', 'drug-related harm'))}, "
        "treating it as preventable and addressing its causes."),
        "Data from the service will be shared with the Violence Reduction Unit to target prevention work.",
    ], 1, 2)


def _privacy(f: _Facts) -> tuple[str, ...]:
    pool = [
        ("The provider will process personal data on behalf of MOPAC, and a data processing agreement will form "
        "part of the contract in line with UK GDPR."),
        "A Data Protection Impact Assessment has been completed and reviewed by MOPAC's Data Protection Officer.",
        (f"Special category data about {f.rng.choice(('victims', 'detained persons', 'young people', 'service users'))} "
        "will be processed, and access will be limited to staff who need it."),
    ]
    if f.service.kind != "services":
        return ("The contract does not involve the processing of personal data.",)
    return _pick(f.rng, pool, 1, 3)


def _equality(f: _Facts) -> tuple[str, ...]:
    pool = [
        ("MOPAC is required to comply with the public sector equality duty in section 149(1) of the Equality Act "
        "2010, which requires it to have due regard to the need to eliminate discrimination, advance equality of "
        "opportunity and foster good relations."),
        f"The protected characteristics are: {PROTECTED}.",
        (f"An equality impact assessment found that {f.rng.choice(('the service is used disproportionately by women', 'Black young men are over-represented among users', 'older victims are under-represented', 'disabled users need accessible premises'))}, "
        "and the specification responds to this."),
        f"The provider must offer the service in {f.rng.choice(('community languages', 'accessible formats', 'Easy Read', 'British Sign Language'))} on request.",
    ]
    return _pick(f.rng, pool, 2, 3)


def _background(f: _Facts) -> tuple[str, ...]:
    if f.rng.random() < 0.5:
        return ("Not applicable",)
    return _pick(f.rng, [
        f"Appendix 1 – {f.service.name} specification.",
        "Appendix 2 – Evaluation report.",
        "Appendix 3 – Equality impact assessment.",
    ], 1, 3, join=False)


def _part_two(f: _Facts) -> tuple[str, ...]:
    scores = sorted((f.rng.randint(52, 91) for _ in range(min(f.bidders, 3))), reverse=True)
    return _pick(f.rng, [
        (f"{f.supplier} bid {money(_round(f.value * f.rng.uniform(0.82, 0.99)))}; {f.runner_up} bid "
        f"{money(_round(f.value * f.rng.uniform(0.9, 1.2)))}."),
        f"The evaluation scores were {', '.join(map(str, scores))} out of 100.",
        "Legal advice on the risk of challenge from the unsuccessful bidders is that it is low.",
        f"The incumbent's staff costs, including pensions, are estimated at {money(_round(f.annual * 0.7))} a year.",
    ], 2, 4, join=False)


def archive(passages: int, seed: int = SEED) -> list[Paper]:
    """The first papers of the archive, enough to give at least this many passages (none for 0)."""
    papers: list[Paper] = []
    total = 0
    while total < passages:
        papers.append(make_paper(seed, len(papers)))
        total += papers[-1].passages
    return papers


def write_archive(folder: Path, papers: list[Paper]) -> list[DocumentInfo]:
    """Write each paper as `folder/synthetic/<doc id>.txt` (unchanged files are left alone, so their
    modification times stay) and return their manifest entries."""
    (folder / FOLDER).mkdir(parents=True, exist_ok=True)
    documents = []
    for paper in papers:
        path = folder / paper.file
        data = paper.text().encode("utf-8")
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)
        documents.append(replace(paper.document(), sha256=hashlib.sha256(data).hexdigest()))
    return documents
