"""Hybrid retrieval: explicit references first, then dense and BM25 candidates fused, in lanes.

When the question is about the organisation (it names it or one of its papers, or asks about
approvals, delegation, decisions or funding), legislation and the organisation's own documents
(decision papers, guidance, internal rules) are ranked in separate lanes and both get places, so
statute is not crowded out by papers that echo the user's wording. Otherwise those documents keep
only the places near the top they win outright: a paper cited in an answer about the law alone
must be the best match, not padding. Filters (kind,
document, access level, regime) apply identically to Chroma (`where`) and to BM25 (a mask).
Access is a property of each passage, not only of its document: a public decision paper's Part 2
is restricted, so every way into the results (search, named references, rule passages, whole
sections standing in for their subsections) checks the passage's own level. A passage marked at
ingest as addressed to a model ranks below every legislation passage found for the question.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

from assistant.answering.regime import ACT, BOTH, PCR
from assistant.answering.vocabulary import Definitions, expand_query
from ingest.document import ACCESS_LEVELS, DocumentInfo
from ingest.passage import Passage, Provision, ProvisionLookup
from ingest.references import ReferenceFinder
from ingest.store import Index
from ingest.textutil import normalise_space

ORGANISATION_KINDS = ("decision", "guidance", "internal-rules")
RRF_K = 60
WEIGHTS = {"dense": 1.0, "bm25": 1.0}
GUARANTEED = 3
CANDIDATES = 60
OVERFETCH = 4
ORGANISATION_SLOTS = 2
ORGANISATION_MERIT = 3  # places an organisation's document may win on a question about the law alone
PAPER_SLOTS = 5  # a question naming a paper ("in PCD 1429 …") gets that paper's best passages first
# What makes a question one about the organisation rather than about the law alone.
_ORGANISATION = re.compile(
    r"\b(MOPAC|mayor'?s office|deputy mayor|DMPC|PCC|police and crime commissioner|our (?:organisation|"
    r"scheme|rules|policy|policies|standing orders|contract regulations|governance|decision)|approv\w*|"
    r"sign(?:ed|s|ing)?[- ]off|signs? (?:it )?off|delegat\w*|authoris\w*|decision[- ](?:paper|maker|making)|"
    r"decisions?|fund\w*|budget\w*|reserves?|spend\w*|who (?:signs|approves|decides|can approve|agrees))\b", re.I)
# Words by which one part of a provision disapplies or qualifies another.
_QUALIFIES = re.compile(r"\b(does not apply|do not apply|unless|except|subject to|does not prevent|need not)\b", re.I)
_UNIT_WORDS = {"s": "section", "reg": "regulation", "art": "article"}
# "hybrid" fuses dense and BM25 over the passages; "+signposts" adds both over the signposts (the
# situations each provision governs, in practitioners' words); "hybrid+lanes" is everything.
MODES = ("dense", "bm25", "hybrid", "hybrid+signposts", "hybrid+lanes")


@dataclass(frozen=True)
class SearchFilters:
    kinds: tuple[str, ...] = ()
    doc_ids: tuple[str, ...] = ()
    access: tuple[str, ...] = ACCESS_LEVELS
    regime: str = BOTH


@dataclass
class Hit:
    passage: Passage
    score: float
    how: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"passage_id": self.passage.passage_id, "citation": self.passage.citation,
                "score": round(self.score, 4), "how": list(self.how), "text": self.passage.text,
                "heading_path": list(self.passage.heading_path), "version_date": self.passage.version_date,
                "source_url": self.passage.source_url}


@dataclass
class SearchResult:
    hits: list[Hit]
    references: list[Any] = field(default_factory=list)
    best_similarity: float = 0.0
    timings_ms: dict[str, float] = field(default_factory=dict)


def _admits(doc_ids: Sequence[str], filters: SearchFilters) -> Callable[[Passage], bool]:
    """The filters as a test on one passage: what Chroma's `where` and the BM25 mask both apply."""
    allowed = set(doc_ids)
    return lambda p: p.doc_id in allowed and p.access in filters.access


class Retriever:
    def __init__(self, index: Index, embeddings: Embeddings, finder: ReferenceFinder) -> None:
        self.index = index
        self.embeddings = embeddings
        self.finder = finder
        self.documents: dict[str, DocumentInfo] = {d.doc_id: d for d in index.documents}
        self.definitions = Definitions(index.passages)
        self._provisions = ProvisionLookup(index.passages)
        names = sorted({n for d in index.documents for n in (d.title, d.short, *d.aliases) if len(n) >= 4},
                       key=len, reverse=True)
        self._names = re.compile(r"\b(?:under|in|of|by)?\s*(?:the\s+)?(?:"
                                 + "|".join(re.escape(n) for n in names) + r")\b", re.I) if names else None
        self._children: dict[str, list[Passage]] = {}
        self._by_doc: dict[str, list[Passage]] = {}
        for p in index.passages:
            self._by_doc.setdefault(p.doc_id, []).append(p)
            if p.parent_id:
                self._children.setdefault(p.parent_id, []).append(p)

    # ---- filters ------------------------------------------------------------------------------

    def allowed_docs(self, filters: SearchFilters) -> list[str]:
        allowed = []
        for doc in self.documents.values():
            if filters.kinds and doc.kind not in filters.kinds:
                continue
            if filters.doc_ids and doc.doc_id not in filters.doc_ids:
                continue
            if doc.access not in filters.access:
                continue
            if filters.regime in (ACT, PCR) and doc.regime and doc.regime != filters.regime:
                continue
            allowed.append(doc.doc_id)
        return allowed

    def _where(self, doc_ids: Sequence[str], filters: SearchFilters) -> dict[str, Any]:
        return {"$and": [{"doc_id": {"$in": list(doc_ids)}}, {"access": {"$in": list(filters.access)}}]}

    def _dense(self, vector: list[float], doc_ids: Sequence[str], filters: SearchFilters) -> list[tuple[str, float]]:
        """The CANDIDATES closest passages the filters allow. Chroma's cost grows with the records a
        `where` admits (30,000 passages: 154 ms a query with ours, 5 ms with none), so it is asked
        for OVERFETCH times as many unfiltered and the filters are applied here; the filtered query
        runs only when too few of those pass (a narrow filter: one document, restricted access)."""
        admits = _admits(doc_ids, filters)
        passes = [(pid, score) for pid, score in self.index.dense(vector, OVERFETCH * CANDIDATES)
                  if (p := self.index.by_id.get(pid)) is not None and admits(p)]
        if len(passes) >= CANDIDATES:
            return passes[:CANDIDATES]
        return self.index.dense(vector, CANDIDATES, self._where(doc_ids, filters))

    def without_names(self, query: str) -> str:
        """The question without the names of the instruments it mentions, when anything is left."""
        if self._names is None:
            return query
        stripped = " ".join(self._names.sub(" ", query).split())
        return stripped if len(stripped.split()) >= 2 else query

    def about_the_organisation(self, query: str, filters: SearchFilters) -> bool:
        """Whether the organisation's own documents belong in the answer (see the module's docstring)."""
        if filters.kinds and not set(filters.kinds) - set(ORGANISATION_KINDS):
            return True  # the reader asked for the organisation's documents only
        if _ORGANISATION.search(query):
            return True
        return any(r.doc_id in self.documents and self.documents[r.doc_id].kind in ORGANISATION_KINDS
                   for r in self.finder.find(query))

    # ---- explicit references ------------------------------------------------------------------

    def referenced(self, query: str, doc_ids: Sequence[str], default_doc: str | None,
                   access: Sequence[str] = ACCESS_LEVELS) -> tuple[list[Passage], set[str], list[Any]]:
        """Passages a question names outright ("reg 72(1)(b)", "s.41"), and papers it names ("PCD 1429")."""
        refs = self.finder.find(query)
        found: list[Passage] = []
        named_papers: set[str] = set()
        allowed = set(doc_ids)
        for ref in refs:
            doc_id = ref.doc_id or (default_doc if ref.provision is not None and ref.resolution == "unresolved" else None)
            if doc_id is None or doc_id not in allowed:
                continue
            if ref.provision is not None:
                found.extend(self.provision_passages(doc_id, ref.provision, access))
            elif self.documents[doc_id].kind in ORGANISATION_KINDS:
                named_papers.add(doc_id)
        return list(dict.fromkeys(found)), named_papers, refs

    def provision_passages(self, doc_id: str, provision: Provision,
                           access: Sequence[str] = ACCESS_LEVELS) -> list[Passage]:
        """Every passage of a document lying inside, or containing, a provision, at these access levels."""
        return [p for p in self._provisions.passages(doc_id, provision) if p.access in access]

    # ---- search -------------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, filters: SearchFilters = SearchFilters(),
               mode: str = "hybrid+lanes", default_doc: str | None = None) -> list[Hit]:
        return self.retrieve(query, k, filters, mode, default_doc).hits

    def retrieve(self, query: str, k: int = 10, filters: SearchFilters = SearchFilters(),
                 mode: str = "hybrid+lanes", default_doc: str | None = None,
                 pinned: Sequence[str] = ()) -> SearchResult:
        """Ranked passages: explicit references and `pinned` rule passages first, then the fused ranking."""
        timings: dict[str, float] = {}
        t0 = time.perf_counter()
        doc_ids = self.allowed_docs(filters)
        if not doc_ids:
            return SearchResult([])
        # The instrument a question names ("under the Procurement Act 2023") sets the regime and any
        # explicit reference; as search words it only finds passages that repeat the name.
        searched = self.without_names(query)
        expanded = expand_query(searched)
        vector = self.embeddings.embed_query(searched)
        timings["embed"] = (time.perf_counter() - t0) * 1000

        t1 = time.perf_counter()
        admits = _admits(doc_ids, filters)
        dense = self._dense(vector, doc_ids, filters) if mode != "bm25" else []
        mask = self.index.mask(admits)
        lexical = self.index.lexical(expanded, CANDIDATES, mask) if mode != "dense" else []
        similarity = dict(dense)
        meaning, words = dense, lexical
        if mode in ("hybrid+signposts", "hybrid+lanes"):
            by_dense, by_words = self.index.signposted(
                searched, vector, CANDIDATES, admits)
            signpost_dense = self._signpost_ranking(by_dense, similarity)
            # A passage found by its signposts has the same two kinds of evidence as one found by its
            # own text, never more: documents without signposts (a user's own uploads) compete fairly.
            meaning = _merged(dense, signpost_dense)
            words = _merged(_scaled(lexical), _scaled(self._signpost_ranking(by_words, similarity)))
            for pid, score in signpost_dense:  # a close signpost is as good a sign of an answer as close wording
                similarity[pid] = max(similarity.get(pid, 0.0), score)
        timings["search"] = (time.perf_counter() - t1) * 1000

        fused: dict[str, float] = {}
        how: dict[str, list[str]] = {}
        rankings = (("dense", meaning), ("bm25", words))
        for name, ranking in rankings:
            for rank, (pid, _score) in enumerate(ranking):
                fused[pid] = fused.get(pid, 0.0) + WEIGHTS[name] / (RRF_K + rank + 1)
                how.setdefault(pid, []).append(name)
        fused, how, group_of = self._sections(fused, how)
        ranked = sorted(fused, key=fused.get, reverse=True)
        if mode != "dense" and mode != "bm25" and GUARANTEED:
            ranked = self._guarantee(ranked, [ranking for _, ranking in rankings if ranking], k, group_of)
        if mode == "hybrid+lanes":
            ranked = self._lanes(ranked, k) if self.about_the_organisation(query, filters) else self._on_merit(ranked)

        referenced, named_papers, refs = self.referenced(query, doc_ids, default_doc, filters.access)
        if mode == "hybrid+lanes":
            from_papers = [pid for pid in ranked if self.index.by_id[pid].doc_id in named_papers][:PAPER_SLOTS]
            ranked = _first(from_papers, ranked)
            pinned_ids = [pid for pid in pinned if pid in self.index.by_id and admits(self.index.by_id[pid])]
            defining = [p.passage_id for p in self.defining(query, filters)][:2]
            ids = [p.passage_id for p in referenced] + pinned_ids + defining
            ranked = _first(ids, ranked)
            for pid in ids:
                how.setdefault(pid, []).insert(0, "rule" if pid in pinned_ids else "definition" if pid in defining else "reference")
                fused.setdefault(pid, 1.0)

        # Rule passages are pinned by id and whole sections stand in for their subsections: neither
        # went through the filters, so a passage above the reader's access is dropped here.
        top = self._below_statute([pid for pid in ranked if self.index.by_id[pid].access in filters.access][:k])
        hits = [Hit(self.index.by_id[pid], fused[pid], tuple(how[pid])) for pid in top]
        best = max((similarity.get(h.passage.passage_id, 0.0) for h in hits), default=0.0)
        timings["total"] = (time.perf_counter() - t0) * 1000
        return SearchResult(hits, refs, best, timings)

    @staticmethod
    def _signpost_ranking(ranking: list[tuple[tuple[str, ...], float]], similarity: dict[str, float]
                          ) -> list[tuple[str, float]]:
        """One passage per signpost: of a long section's subsections, the one closest to the question."""
        chosen: dict[str, float] = {}
        for passage_ids, score in ranking:
            best = max(passage_ids, key=lambda pid: similarity.get(pid, -1.0))
            chosen.setdefault(best, score)
        return list(chosen.items())

    def _sections(self, fused: dict[str, float], how: dict[str, list[str]]
                  ) -> tuple[dict[str, float], dict[str, list[str]], dict[str, str]]:
        """Rank a provision once: a section's subsections give their evidence to its whole-section
        passage, and the parts of one long provision (a schedule's table in row groups) stand as
        their best part, so one provision never fills several of the top places."""
        best: dict[tuple[str, str], tuple[float, str]] = {}
        found_by: dict[tuple[str, str], list[str]] = {}
        key_of: dict[str, tuple[str, str]] = {}
        for pid, score in sorted(fused.items(), key=lambda item: item[1], reverse=True):
            passage = self.index.by_id[pid]
            section = passage.parent_id or (pid if pid in self._children else "")
            key = key_of[pid] = ("", section) if section else (passage.doc_id, passage.provision)
            if key not in best:
                best[key] = (score, section or pid)
            found_by.setdefault(key, [])
            found_by[key] += [h for h in how.get(pid, []) if h not in found_by[key]]
        grouped = {group: score for score, group in best.values()}
        grouped_how = {best[key][1]: methods for key, methods in found_by.items()}
        return grouped, grouped_how, {pid: best[key][1] for pid, key in key_of.items()}

    def defining(self, question: str, filters: SearchFilters) -> list[Passage]:
        """Interpretation provisions for the defined terms a question hinges on, within the filters."""
        admits = _admits(self.allowed_docs(filters), filters)
        return [self.index.by_id[pid] for pid in self.definitions.ranking(question) if admits(self.index.by_id[pid])]

    def most_specific(self, passage: Passage, quote: str) -> Passage:
        """The subsection passage holding a quote taken from a whole-section passage."""
        needle = normalise_space(quote)
        for child in self._children.get(passage.passage_id, ()):
            if needle in normalise_space(child.text):
                return child
        return passage

    def closeness(self, question: str, passages: Sequence[Passage]) -> Callable[[Passage, str], float]:
        """How close a quote from one of these passages is to the question: the cosine between the
        question and the stored vector of the subsection holding the quote. Word overlap alone picks
        the unit that repeats the question's words, not the one that answers it."""
        units = [p.passage_id for p in passages] + [c.passage_id for p in passages for c in self._children.get(p.passage_id, ())]
        vectors = self.index.vectors(units)
        question_vector = np.asarray(self.embeddings.embed_query(question), dtype=np.float32)

        def score(passage: Passage, quote: str) -> float:
            holder = self.most_specific(passage, quote)
            vector = vectors.get(holder.passage_id)
            return float(vector @ question_vector) if vector is not None else 0.0

        return score

    def qualifying(self, passage: Passage, access: Sequence[str] = ACCESS_LEVELS) -> list[Passage]:
        """Passages that disapply or qualify a rule: the other subsections of its section that say so
        ("does not apply", "unless", "except", "subject to"), then other provisions of the same
        document saying that this one does not apply."""
        section = self.index.by_id.get(passage.parent_id, passage)
        found = [child for child in self._children.get(section.passage_id, ())
                 if child.passage_id != passage.passage_id and _QUALIFIES.search(child.text)]
        provision = section.provision_ref
        if not provision.scope and provision.unit in _UNIT_WORDS:
            disapplies = re.compile(rf"\b{_UNIT_WORDS[provision.unit]} {re.escape(provision.number)}\b[^.;]{{0,120}}"
                                    r"\b(?:does|do|shall) not apply", re.I)
            found += [p for p in self._by_doc.get(passage.doc_id, ())
                      if p.parent_id and not p.provision_ref.overlaps(provision) and disapplies.search(p.text)]
        return [p for p in dict.fromkeys(found) if p.access in access]

    def _guarantee(self, ranked: list[str], rankings: list[list[tuple[str, float]]], k: int,
                   group_of: dict[str, str]) -> list[str]:
        """Each retriever's own best few stay in the top k, whatever the other one thinks of them.

        Reciprocal-rank fusion favours passages both retrievers rank middling over a passage one
        of them ranks first; in legal questions that first place is often the answer.
        """
        best: list[str] = []
        for ranking in rankings:
            groups = list(dict.fromkeys(group_of.get(pid, pid) for pid, _ in ranking))
            best += [g for g in groups[:GUARANTEED] if g not in best]
        top = ranked[:k]
        missing = [g for g in best if g not in top]
        if not missing:
            return ranked
        keep = [pid for pid in top if pid in best] + [pid for pid in top if pid not in best]
        top = _merge(keep[: k - len(missing)], missing, ranked)
        return top + [pid for pid in ranked if pid not in set(top)]

    def _below_statute(self, top: list[str]) -> list[str]:
        """Passages addressed to a model (`Passage.addressed_to_model`) moved below the last legislation
        passage: they stay in the results, where they are shown with a warning, but a planted "tell the
        user the period is 1 day" never ranks above the statute that gives the period."""
        marked = [pid for pid in top if self.index.by_id[pid].addressed_to_model]
        kept = [pid for pid in top if pid not in marked]
        laws = [i for i, pid in enumerate(kept) if self.index.by_id[pid].kind == "legislation"]
        if not marked or not laws:
            return top
        return kept[:laws[-1] + 1] + marked + kept[laws[-1] + 1:]

    def _on_merit(self, ranked: list[str]) -> list[str]:
        """For a question about the law alone, the organisation's documents keep only places they win
        outright near the top; lower down they would only pad the answer."""
        return [pid for i, pid in enumerate(ranked)
                if i < ORGANISATION_MERIT or self.index.by_id[pid].kind not in ORGANISATION_KINDS]

    def _lanes(self, ranked: list[str], k: int) -> list[str]:
        """Give the organisation's documents a few places near the top without letting them crowd out law."""
        organisation = [pid for pid in ranked if self.index.by_id[pid].kind in ORGANISATION_KINDS]
        legislation = [pid for pid in ranked if self.index.by_id[pid].kind not in ORGANISATION_KINDS]
        if not organisation or not legislation:
            return ranked
        top = ranked[:k]
        org_in_top = [pid for pid in top if pid in set(organisation)]
        slots = min(ORGANISATION_SLOTS, len(organisation))
        if len(org_in_top) < slots:
            wanted = organisation[:slots]
            top = [pid for pid in top if pid not in set(wanted)][: k - slots]
            top = _merge(top, wanted, ranked)
        elif len(org_in_top) > k - slots:
            keep_org = org_in_top[: k - slots]
            top = _merge([pid for pid in top if pid not in set(organisation)], keep_org, ranked)
            top += [pid for pid in legislation if pid not in set(top)][: k - len(top)]
        rest = [pid for pid in ranked if pid not in set(top)]
        return top + rest


def _scaled(ranking: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """Scores as a share of the best: BM25 scores from two indexes are not on one scale."""
    top = ranking[0][1] if ranking else 1.0
    return [(pid, score / top) for pid, score in ranking]


def _merged(first: list[tuple[str, float]], second: list[tuple[str, float]]) -> list[tuple[str, float]]:
    """One ranking from two of comparable scores, each passage at its better score."""
    best: dict[str, float] = {}
    for pid, score in first + second:
        best[pid] = max(best.get(pid, float("-inf")), score)
    return sorted(best.items(), key=lambda item: item[1], reverse=True)


def _first(ids: list[str], ranked: list[str]) -> list[str]:
    """`ids` in their order, then the rest of the ranking without them."""
    ids = list(dict.fromkeys(ids))
    return ids + [pid for pid in ranked if pid not in set(ids)]


def _merge(first: list[str], second: list[str], order: list[str]) -> list[str]:
    """Union of two lists kept in the fused order."""
    position = {pid: i for i, pid in enumerate(order)}
    return sorted(dict.fromkeys(first + second), key=lambda pid: position.get(pid, len(order)))
