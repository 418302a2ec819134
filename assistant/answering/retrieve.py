"""Hybrid retrieval: explicit references first, then dense and BM25 candidates fused, in lanes.

Legislation and the organisation's own documents are ranked in separate lanes and both get
places, so statute is not crowded out by papers that echo the user's wording. Filters (kind,
document, access level, regime) apply identically to Chroma (`where`) and to BM25 (a mask).
Access is a property of each passage, not only of its document: a public decision paper's Part 2
is restricted, so every way into the results (search, named references, rule passages, whole
sections standing in for their subsections) checks the passage's own level.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.definitions import Definitions
from assistant.glossary import expand_query
from assistant.regime import ACT, BOTH, PCR
from ingest.document import ACCESS_LEVELS, DocumentInfo
from ingest.passage import Passage, Provision, ProvisionLookup, normalise_space
from ingest.references import ReferenceFinder
from ingest.store import Index

ORGANISATION_KINDS = ("decision", "guidance", "internal-rules")
RRF_K = 60
WEIGHTS = {"dense": 1.0, "bm25": 1.0}
GUARANTEED = 3
CANDIDATES = 60
ORGANISATION_SLOTS = 2
PAPER_SLOTS = 5  # a question naming a paper ("in PCD 1429 …") gets that paper's best passages first
MODES = ("dense", "bm25", "hybrid", "hybrid+lanes")


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


class Retriever:
    def __init__(self, index: Index, embeddings: Embeddings, finder: ReferenceFinder) -> None:
        self.index = index
        self.embeddings = embeddings
        self.finder = finder
        self.documents: dict[str, DocumentInfo] = {d.doc_id: d for d in index.documents}
        self.definitions = Definitions(index.passages)
        self._provisions = ProvisionLookup(index.passages)
        self._children: dict[str, list[Passage]] = {}
        for p in index.passages:
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
        expanded = expand_query(query)
        vector = self.embeddings.embed_query(query)
        timings["embed"] = (time.perf_counter() - t0) * 1000

        t1 = time.perf_counter()
        dense = self.index.dense(vector, CANDIDATES, self._where(doc_ids, filters)) if mode != "bm25" else []
        allowed = set(doc_ids)
        mask = self.index.mask(lambda p: p.doc_id in allowed and p.access in filters.access)
        lexical = self.index.lexical(expanded, CANDIDATES, mask) if mode != "dense" else []
        timings["search"] = (time.perf_counter() - t1) * 1000

        fused: dict[str, float] = {}
        how: dict[str, list[str]] = {}
        for name, ranking in (("dense", dense), ("bm25", lexical)):
            for rank, (pid, _score) in enumerate(ranking):
                fused[pid] = fused.get(pid, 0.0) + WEIGHTS[name] / (RRF_K + rank + 1)
                how.setdefault(pid, []).append(name)
        fused, how = self._sections(fused, how)
        ranked = sorted(fused, key=fused.get, reverse=True)
        if mode in ("hybrid", "hybrid+lanes") and GUARANTEED:
            ranked = self._guarantee(ranked, [dense, lexical], k)
        if mode == "hybrid+lanes":
            ranked = self._lanes(ranked, k)

        referenced, named_papers, refs = self.referenced(query, doc_ids, default_doc, filters.access)
        if mode == "hybrid+lanes":
            from_papers = [pid for pid in ranked if self.index.by_id[pid].doc_id in named_papers][:PAPER_SLOTS]
            ranked = _first(from_papers, ranked)
            pinned_ids = [pid for pid in pinned if pid in self.index.by_id and self.index.by_id[pid].doc_id in allowed]
            defining = [p.passage_id for p in self.defining(query, filters)][:2]
            ids = [p.passage_id for p in referenced] + pinned_ids + defining
            ranked = _first(ids, ranked)
            for pid in ids:
                how.setdefault(pid, []).insert(0, "rule" if pid in pinned_ids else "definition" if pid in defining else "reference")
                fused.setdefault(pid, 1.0)

        # Rule passages are pinned by id and whole sections stand in for their subsections: neither
        # went through the filters, so a passage above the reader's access is dropped here.
        top = [pid for pid in ranked if self.index.by_id[pid].access in filters.access][:k]
        hits = [Hit(self.index.by_id[pid], fused[pid], tuple(how[pid])) for pid in top]
        similarity = {pid: s for pid, s in dense}
        best = max((similarity.get(h.passage.passage_id, 0.0) for h in hits), default=0.0)
        timings["total"] = (time.perf_counter() - t0) * 1000
        return SearchResult(hits, refs, best, timings)

    def _sections(self, fused: dict[str, float], how: dict[str, list[str]]) -> tuple[dict[str, float], dict[str, list[str]]]:
        """Rank a section once: its subsections' evidence goes to its whole-section passage."""
        grouped: dict[str, float] = {}
        grouped_how: dict[str, list[str]] = {}
        for pid, score in fused.items():
            group = self.index.by_id[pid].parent_id or pid
            grouped[group] = max(grouped.get(group, 0.0), score)
            grouped_how.setdefault(group, [])
            grouped_how[group] += [h for h in how.get(pid, []) if h not in grouped_how[group]]
        return grouped, grouped_how

    def defining(self, question: str, filters: SearchFilters) -> list[Passage]:
        """Interpretation provisions for the defined terms a question hinges on, within the filters."""
        allowed = set(self.allowed_docs(filters))
        return [self.index.by_id[pid] for pid in self.definitions.ranking(question)
                if self.index.by_id[pid].doc_id in allowed and self.index.by_id[pid].access in filters.access]

    def most_specific(self, passage: Passage, quote: str) -> Passage:
        """The subsection passage holding a quote taken from a whole-section passage."""
        needle = normalise_space(quote)
        for child in self._children.get(passage.passage_id, ()):
            if needle in normalise_space(child.text):
                return child
        return passage

    def _guarantee(self, ranked: list[str], rankings: list[list[tuple[str, float]]], k: int) -> list[str]:
        """Each retriever's own best few stay in the top k, whatever the other one thinks of them.

        Reciprocal-rank fusion favours passages both retrievers rank middling over a passage one
        of them ranks first; in legal questions that first place is often the answer.
        """
        best: list[str] = []
        for ranking in rankings:
            groups = list(dict.fromkeys(self.index.by_id[pid].parent_id or pid for pid, _ in ranking))
            best += [g for g in groups[:GUARANTEED] if g not in best]
        top = ranked[:k]
        missing = [g for g in best if g not in top]
        if not missing:
            return ranked
        keep = [pid for pid in top if pid in best] + [pid for pid in top if pid not in best]
        top = _merge(keep[: k - len(missing)], missing, ranked)
        return top + [pid for pid in ranked if pid not in set(top)]

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


def _first(ids: list[str], ranked: list[str]) -> list[str]:
    """`ids` in their order, then the rest of the ranking without them."""
    ids = list(dict.fromkeys(ids))
    return ids + [pid for pid in ranked if pid not in set(ids)]


def _merge(first: list[str], second: list[str], order: list[str]) -> list[str]:
    """Union of two lists kept in the fused order."""
    position = {pid: i for i, pid in enumerate(order)}
    return sorted(dict.fromkeys(first + second), key=lambda pid: position.get(pid, len(order)))
