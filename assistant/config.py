"""Every CGA_* setting, read once from the environment. Nothing else reads os.environ."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ingest.document import PASSWORD_ENV_PREFIX
from ingest.parse import MEGABYTE, ReadOptions

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Offline by construction: no model hub, no analytics, no telemetry, whatever the caller forgot.
for _key, _value in {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "GRADIO_ANALYTICS_ENABLED": "False",
    "ANONYMIZED_TELEMETRY": "False",
    "TOKENIZERS_PARALLELISM": "false",
}.items():
    os.environ.setdefault(_key, _value)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    sources: Path
    corpus_mirror: Path | None
    corpus_cache: Path
    model_path: Path | None
    chroma_url: str
    users_file: Path | None
    max_upload_bytes: int
    audit_retention_days: int
    llm: str
    llm_model: str
    llm_base_url: str
    llm_api_key: str
    llm_timeout: float
    signposts_dir: Path | None = None  # practitioners' words for each provision (ingest/signposts.py)
    delegation_file: Path | None = None  # extra advisor rows, in the format of assistant/advisor/delegation.toml
    max_pdf_pages: int = ReadOptions.max_pdf_pages
    signin_failures: int = 5  # wrong passwords in a row, per name and per address, before sign-in backs off
    signin_backoff_seconds: float = 30.0  # the first wait; it doubles with each further failure, up to an hour
    upload_quota_bytes: int = 100 * MEGABYTE  # what a non-administrator's uploads may hold on the server at once
    # Encrypted PDFs' passwords, by the variable a manifest entry's `password_env` names.
    pdf_passwords: dict[str, str] = field(default_factory=dict, repr=False, hash=False, compare=False)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("CGA_DATA_DIR", PROJECT_ROOT / "data")).resolve()
        mirror = env.get("CGA_CORPUS_MIRROR")
        default_mirror = PROJECT_ROOT.parent / "shared" / "corpus"
        if mirror is None and default_mirror.is_dir():
            mirror = str(default_mirror)
        llm = env.get("CGA_LLM", "none").strip().lower() or "none"
        if llm not in ("none", "openai", "ollama"):
            raise ValueError(f"CGA_LLM is {llm!r}; expected none, openai or ollama")
        return cls(
            data_dir=data_dir,
            sources=Path(env.get("CGA_SOURCES", PROJECT_ROOT / "corpus" / "sources.toml")),
            corpus_mirror=Path(mirror) if mirror else None,
            corpus_cache=data_dir / "corpus",
            model_path=Path(env["CGA_MODEL_PATH"]) if env.get("CGA_MODEL_PATH") else None,
            chroma_url=_chroma_url(env.get("CGA_CHROMA_URL", "")),
            users_file=Path(env["CGA_USERS_FILE"]) if env.get("CGA_USERS_FILE") else None,
            max_upload_bytes=int(_positive(env, "CGA_MAX_UPLOAD_MB", 25) * MEGABYTE),
            audit_retention_days=_retention_days(env.get("CGA_AUDIT_RETENTION_DAYS", "365")),
            llm=llm,
            llm_model=env.get("CGA_LLM_MODEL", ""),
            llm_base_url=env.get("CGA_LLM_BASE_URL", ""),
            llm_api_key=env.get("CGA_LLM_API_KEY", ""),
            llm_timeout=float(env.get("CGA_LLM_TIMEOUT", "30")),
            signposts_dir=Path(env.get("CGA_SIGNPOSTS", PROJECT_ROOT / "corpus" / "signposts")),
            delegation_file=Path(env["CGA_DELEGATION_FILE"]) if env.get("CGA_DELEGATION_FILE") else None,
            max_pdf_pages=int(_positive(env, "CGA_MAX_PDF_PAGES", ReadOptions.max_pdf_pages)),
            signin_failures=int(_positive(env, "CGA_SIGNIN_FAILURES", cls.signin_failures)),
            signin_backoff_seconds=_positive(env, "CGA_SIGNIN_BACKOFF", cls.signin_backoff_seconds),
            upload_quota_bytes=int(_positive(env, "CGA_UPLOAD_QUOTA_MB", cls.upload_quota_bytes / MEGABYTE) * MEGABYTE),
            pdf_passwords={k: v for k, v in env.items() if k.startswith(PASSWORD_ENV_PREFIX)},
        )

    @property
    def read_options(self) -> ReadOptions:
        """The limits and PDF passwords every document is read with, by ingest and by uploads."""
        return ReadOptions(self.max_upload_bytes, self.max_pdf_pages, self.pdf_passwords)

    @property
    def audit_log(self) -> Path:
        return self.data_dir / "audit.jsonl"

    @property
    def embedding_cache(self) -> Path:
        return self.data_dir / "embeddings.sqlite"

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / "uploads"


_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#]*@")


def without_credentials(text: str) -> str:
    """`text` with the user:password part of every URL in it removed: for logs and error messages."""
    return _URL_CREDENTIALS.sub(r"\1", text)


def _chroma_url(value: str) -> str:
    """Empty for the embedded store, else the http(s)://host:port address of a Chroma server."""
    value = value.strip().rstrip("/")
    if not value:
        return ""
    parts = urlsplit(value)
    try:
        port = parts.port
    except ValueError:  # not a number, or out of range
        port = None
    if parts.scheme not in ("http", "https") or not parts.hostname or port is None or parts.path or parts.query:
        raise ValueError(f"CGA_CHROMA_URL is {without_credentials(value)!r}; expected http://HOST:PORT (or https://), "
                         "e.g. http://127.0.0.1:8000")
    return value


def _retention_days(value: str) -> int:
    try:
        days = int(value.strip())
    except ValueError:
        days = -1
    if days < 0:
        raise ValueError(f"CGA_AUDIT_RETENTION_DAYS is {value!r}; expected a whole number of days "
                         "(0 keeps the audit log forever)")
    return days


def _positive(env: dict[str, str], name: str, default: float) -> float:
    value = env.get(name, "").strip()
    if not value:
        return default
    try:
        number = float(value)
    except ValueError:
        number = 0
    if not number > 0:
        raise ValueError(f"{name} is {value!r}; expected a number above 0")
    return number
