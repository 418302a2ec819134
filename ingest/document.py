"""What the manifest says about one document, and the error every parser raises on bad input."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

KINDS = ("legislation", "decision", "guidance", "internal-rules")
ACCESS_LEVELS = ("public", "internal", "restricted")
# A manifest names the variable holding an encrypted PDF's password; only these may be named, so a
# manifest cannot point a document at any other secret in the environment.
PASSWORD_ENV_PREFIX = "CGA_PDF_PASSWORD_"


class IngestError(Exception):
    """A document that cannot be ingested. The message is one line naming the file and the reason."""

    def __init__(self, file: str, reason: str) -> None:
        super().__init__(f"{file}: {reason}")
        self.file = file
        self.reason = reason


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    title: str
    short: str
    kind: str
    version_date: str
    source_url: str = ""
    download_url: str = ""
    licence: str = ""
    file: str = ""
    sha256: str = ""
    access: str = "public"
    regime: str = ""
    aliases: tuple[str, ...] = field(default=())
    # Titles the source file lost, from the official text: {"1": "Threshold amounts", …}
    schedule_titles: tuple[tuple[str, str], ...] = field(default=())
    password_env: str = ""  # for an encrypted PDF: the CGA_PDF_PASSWORD_* variable holding its password
    # An amending instrument: the documents whose text it changes, and the day its changes take effect.
    amends: tuple[str, ...] = field(default=())
    in_force: str = ""

    @property
    def body_unit(self) -> str:
        """How the numbered provisions of its body are cited: sections of an Act, articles of an
        Order, regulations of other instruments."""
        if self.doc_id.startswith(("ukpga", "asp", "anaw", "nia")):
            return "s"
        return "art" if re.search(r"\bOrder\b", self.title) else "reg"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DocumentInfo:
        data = dict(data)
        data["aliases"] = tuple(data.get("aliases") or ())
        data["amends"] = tuple(data.get("amends") or ())
        titles = data.get("schedule_titles") or ()
        data["schedule_titles"] = tuple((str(k), str(v)) for k, v in (titles.items() if isinstance(titles, dict) else titles))
        return cls(**data)
