"""Signposts: the situations a provision governs, in the words practitioners use.

Users ask "once the losing bidders are told, when can we sign?", not "what is the standstill
period"; the gap between the two is vocabulary, not model size. Each instrument has a file
`corpus/signposts/<doc_id>.toml` written from the provision text, section by section:

    doc = "ukpga-2023-54"
    [[signpost]]
    provision = "s.51"
    situations = ["wait before signing the contract after telling bidders who won", ...]

They are indexed beside the passages as a field of their own (see `ingest.store`) and lead search
to the provision's passage. They are never shown or quoted: they are our words, not law.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ingest.passage import Passage, Provision, ProvisionLookup


class SignpostError(Exception):
    """A signposts file that cannot be read; the message names the file and the field."""


@dataclass(frozen=True)
class Signpost:
    doc_id: str
    provision: str
    situations: tuple[str, ...]
    passage_ids: tuple[str, ...] = ()  # the passages it leads to, once resolved against an index

    @property
    def text(self) -> str:
        """What keyword and embedding search see: the situations, one per line."""
        return "\n".join(self.situations)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Signpost:
        return cls(data["doc_id"], data["provision"], tuple(data["situations"]), tuple(data.get("passage_ids", ())))


def load_signposts(folder: Path | None) -> list[Signpost]:
    """Every signpost in the folder's TOML files; none when there is no folder."""
    if folder is None or not folder.is_dir():
        return []
    found: list[Signpost] = []
    for path in sorted(folder.glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise SignpostError(f"{path}: not valid TOML ({exc})") from None
        doc_id = data.get("doc")
        if not isinstance(doc_id, str) or not doc_id:
            raise SignpostError(f"{path}: field 'doc' is missing or empty")
        for i, entry in enumerate(data.get("signpost", []), start=1):
            where = f"{path}: signpost #{i}"
            try:
                provision = str(Provision.parse(str(entry.get("provision", ""))))
            except ValueError as exc:
                raise SignpostError(f"{where}: field 'provision': {exc}") from None
            situations = entry.get("situations")
            if not isinstance(situations, list) or not situations or not all(isinstance(s, str) and s.strip()
                                                                              for s in situations):
                raise SignpostError(f"{where} ({provision}): field 'situations' must be a list of non-empty strings")
            found.append(Signpost(doc_id, provision, tuple(s.strip() for s in situations)))
    return found


def signposts_hash(folder: Path | None) -> str:
    """Changes whenever a signposts file changes, so the index is rebuilt with the new words."""
    digest = hashlib.sha256()
    if folder is not None and folder.is_dir():
        for path in sorted(folder.glob("*.toml")):
            digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def resolve(signposts: list[Signpost], passages: list[Passage]) -> tuple[list[Signpost], list[Signpost]]:
    """(resolved, unresolved): each signpost with the passages of its provision, preferring the
    whole-section passage to its subsections, since search ranks a section once."""
    lookup = ProvisionLookup(passages)
    resolved, unresolved = [], []
    for signpost in signposts:
        provision = Provision.parse(signpost.provision)
        candidates = lookup.passages(signpost.doc_id, provision)
        exact = [p for p in candidates if p.provision_ref == provision]
        chosen = [p for p in exact if not p.parent_id] or exact or [p for p in candidates if not p.parent_id]
        if chosen:
            resolved.append(Signpost(signpost.doc_id, signpost.provision, signpost.situations,
                                     tuple(p.passage_id for p in chosen)))
        else:
            unresolved.append(signpost)
    return resolved, unresolved
