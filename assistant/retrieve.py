"""Hybrid retrieval: explicit references first, then dense and BM25 candidates fused, in lanes.

Legislation and the organisation's own documents are ranked in separate lanes and both get
places, so statute is not crowded out by papers that echo the user's wording. Filters (kind,
document, access level, regime) apply identically to Chroma (`where`) and to BM25 (a mask).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.embeddings import Embeddings

from assistant.glossary import expand_query
from assistant.regime import ACT, BOTH, PCR
from ingest.document import ACCESS_LEVELS, DocumentInfo
from ingest.passage import Passage, Provision
from ingest.references import ReferenceFinder
from ingest.store import Index

ORGANISATION_KINDS = ("decision", "guidance", "internal-rules")
RRF_K = 60
CANDIDATES = 60
ORGANISATION_SLOTS = 2
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
        self._by_provision: dict[tuple[str, Provision], list[Passage]] = {}
        for p in index.passages:
            self._by_provision.setdefault((p.doc_id, p.provision_ref), []).append(p)

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

    def referenced(self, query: str, doc_ids: Sequence[str], default_doc: str | None) -> tuple[list[Passage], list[Any]]:
        """Passages a question names outright ("reg 72(1)(b)", "s.41", "PCD 1429")."""
        refs = self.finder.find(query)
        found: list[Passage] = []
        allowed = set(doc_ids)
        for ref in refs:
            doc_id = ref.doc_id or (default_doc if ref.provision is not None and ref.resolution == "unresolved" else None)
            if doc_id is None or doc_id not in allowed:
                continue
            if ref.provision is None:
                continue
            found.extend(self.provision_passages(doc_id, ref.provision))
        return list(dict.fromkeys(found)), refs

    def provision_passages(self, doc_id: str, provision: Provision) -> list[Passage]:
        """Every passage of a document lying inside, or containing, a provision."""
        exact = self._by_provision.get((doc_id, provision))
        if exact:
            return list(exact)
        return [p for (d, prov), ps in self._by_provision.items() if d == doc_id and prov.overlaps(provision)
                for p in ps]

    # ---- search -------------------------------------------------------------------------------

    def search(self, query: str, k: int = 10, filters: SearchFilters = SearchFilters(),
               mode: str = "hybrid+lanes", default_doc: str | None = None) -> list[Hit]:
        return self.retrieve(query, k, filters, mode, default_doc).hits

    def retrieve(self, query: str, k: int = 10, filters: SearchFilters = SearchFilters(),
                 mode: str = "hybrid+lanes", default_doc: str | None = None) -> SearchResult:
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
                fused[pid] = fused.get(pid, 0.0) + 1.0 / (RRF_K + rank + 1)
                how.setdefault(pid, []).append(name)
        ranked = sorted(fused, key=fused.get, reverse=True)
        if mode == "hybrid+lanes":
            ranked = self._lanes(ranked, k)

        referenced, refs = self.referenced(query, doc_ids, default_doc)
        if mode == "hybrid+lanes" and referenced:
            ids = [p.passage_id for p in referenced]
            ranked = ids + [pid for pid in ranked if pid not in set(ids)]
            for pid in ids:
                how.setdefault(pid, []).insert(0, "reference")
                fused.setdefault(pid, 1.0)

        top = ranked[:k]
        hits = [Hit(self.index.by_id[pid], fused[pid], tuple(how[pid])) for pid in top]
        similarity = {pid: s for pid, s in dense}
        best = max((similarity.get(h.passage.passage_id, 0.0) for h in hits), default=0.0)
        timings["total"] = (time.perf_counter() - t0) * 1000
        return SearchResult(hits, refs, best, timings)

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


def _merge(first: list[str], second: list[str], order: list[str]) -> list[str]:
    """Union of two lists kept in the fused order."""
    position = {pid: i for i, pid in enumerate(order)}
    return sorted(dict.fromkeys(first + second), key=lambda pid: position.get(pid, len(order)))
