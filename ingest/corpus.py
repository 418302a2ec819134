"""The manifest of sources (corpus/sources.toml) and syncing the documents into a local cache.

Documents are never committed: they are copied from a mirror folder or downloaded from their
public source, and every copy is checked against the sha256 in the manifest.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import tempfile
import tomllib
import urllib.request
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath

from ingest.document import ACCESS_LEVELS, KINDS, PASSWORD_ENV_PREFIX, DocumentInfo

REQUIRED = ("id", "title", "short", "kind", "file")


class ManifestError(Exception):
    """The manifest itself is wrong: the message names the file, the entry and the field."""


@dataclass(frozen=True)
class SyncResult:
    doc_id: str
    status: str  # "ok", "copied", "downloaded", "error"
    detail: str = ""


def load_manifest(path: Path) -> list[DocumentInfo]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ManifestError(f"{path}: manifest not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(f"{path}: not valid TOML ({exc})") from exc
    docs: list[DocumentInfo] = []
    seen: set[str] = set()
    for i, entry in enumerate(data.get("document", []), start=1):
        where = f"{path}: document #{i} ({entry.get('id', 'no id')})"
        for key in REQUIRED:
            if not str(entry.get(key, "")).strip():
                raise ManifestError(f"{where}: field '{key}' is missing or empty")
        if entry["kind"] not in KINDS:
            raise ManifestError(f"{where}: field 'kind' is {entry['kind']!r}; expected one of {', '.join(KINDS)}")
        access = entry.get("access", "public")
        if access not in ACCESS_LEVELS:
            raise ManifestError(f"{where}: field 'access' is {access!r}; expected one of {', '.join(ACCESS_LEVELS)}")
        _check_file(where, str(entry["file"]))
        _check_password_env(where, entry)
        if entry["id"] in seen:
            raise ManifestError(f"{where}: id {entry['id']!r} is listed twice")
        seen.add(entry["id"])
        fields = {"version_date": "", **{k: v for k, v in entry.items() if k != "id"}}
        unknown = set(fields) - set(DocumentInfo.__dataclass_fields__)
        if unknown:
            raise ManifestError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
        docs.append(DocumentInfo.from_dict({"doc_id": entry["id"], **fields}))
    if not docs:
        raise ManifestError(f"{path}: no [[document]] entries")
    return docs


def _check_file(where: str, file: str) -> None:
    """`file` is read under the corpus cache and mirror; it must not name anything outside them."""
    # Windows parsing reads both / and \\ as separators and sees drives, so it catches every spelling.
    path = PureWindowsPath(file)
    if path.anchor:
        raise ManifestError(f"{where}: field 'file' is {file!r}, an absolute path; "
                            "give the path under the corpus folder")
    if ".." in path.parts:
        raise ManifestError(f"{where}: field 'file' is {file!r}; '..' would leave the corpus folder")


def _check_password_env(where: str, entry: dict) -> None:
    name = entry.get("password_env")
    if name is None:
        return
    if not re.fullmatch(re.escape(PASSWORD_ENV_PREFIX) + r"[A-Z0-9_]+", str(name)):
        raise ManifestError(f"{where}: field 'password_env' is {name!r}; expected the name of an environment "
                            f"variable starting {PASSWORD_ENV_PREFIX}, e.g. {PASSWORD_ENV_PREFIX}SCHEME")
    if not str(entry["file"]).lower().endswith(".pdf"):
        raise ManifestError(f"{where}: field 'password_env' is only for encrypted PDF files")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def cached_path(cache_dir: Path, doc: DocumentInfo) -> Path:
    return cache_dir / doc.file


def sync(docs: list[DocumentInfo], cache_dir: Path, mirror: Path | None, timeout: float = 30.0) -> list[SyncResult]:
    """Bring every document into the cache, verified. One result per document; never raises for one file."""
    results = []
    for doc in docs:
        target = cached_path(cache_dir, doc)
        if target.exists() and (not doc.sha256 or file_sha256(target) == doc.sha256):
            results.append(SyncResult(doc.doc_id, "ok"))
            continue
        try:
            results.append(_fetch(doc, target, mirror, timeout))
        except (OSError, ValueError) as exc:
            results.append(SyncResult(doc.doc_id, "error", f"{doc.file}: {exc}"))
    return results


def _fetch(doc: DocumentInfo, target: Path, mirror: Path | None, timeout: float) -> SyncResult:
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so an interrupted sync never leaves a partial document.
    with tempfile.NamedTemporaryFile(dir=target.parent, delete=False, suffix=".part") as tmp:
        tmp_path = Path(tmp.name)
    try:
        if mirror is not None:
            source = mirror / doc.file
            if not source.exists():
                raise FileNotFoundError(f"not in the mirror folder {mirror}")
            shutil.copyfile(source, tmp_path)
            how = "copied"
        elif doc.download_url:
            with urllib.request.urlopen(doc.download_url, timeout=timeout) as response, tmp_path.open("wb") as out:
                shutil.copyfileobj(response, out)
            how = "downloaded"
        else:
            raise ValueError("no mirror folder and no download_url in the manifest")
        actual = file_sha256(tmp_path)
        if doc.sha256 and actual != doc.sha256:
            raise ValueError(f"sha256 mismatch: manifest says {doc.sha256[:12]}…, {how} file is {actual[:12]}…")
        tmp_path.replace(target)
        return SyncResult(doc.doc_id, how)
    finally:
        tmp_path.unlink(missing_ok=True)
