"""Adding a document through the UI: check it, store it, list it in uploads.toml, rebuild the index.

The file is refused before it is read whole when it is over the size limit, and parsed before it
is listed, so a bad file gets the parser's own message and never reaches the manifest. If the
index build still fails for it, its entry and copies are removed again: uploads.toml only ever
lists documents that are in the index.
"""

from __future__ import annotations

import re
import shutil
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path, PurePosixPath

from assistant.config import Settings
from assistant.library import (
    all_documents,
    chroma_client,
    embeddings_for,
    uploads_manifest,
)
from ingest.corpus import ManifestError, cached_path, file_sha256, load_manifest
from ingest.document import ACCESS_LEVELS, KINDS, DocumentInfo, IngestError
from ingest.parse import SUPPORTED, check_size, parse_document
from ingest.pipeline import IngestLocked, run_ingest

UPLOAD_FOLDER = "uploads"  # under the corpus cache, as the manifest's `file` field names it
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# One upload at a time in this process; run_ingest's file lock covers other processes.
_LOCK = threading.Lock()

Progress = Callable[[float, str], None]


class UploadError(Exception):
    """An upload that was refused; the message names the file and the reason."""


@dataclass(frozen=True)
class UploadResult:
    doc_id: str
    file: str
    passages: int
    version: str
    summary: str


def safe_file_name(name: str) -> str:
    """A plain ASCII file name with no folders: "../Scheme of Délégation (v2).PDF" → "Scheme-of-Delegation-v2.pdf"."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = unicodedata.normalize("NFKD", base).encode("ascii", "ignore").decode("ascii")
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = _UNSAFE.sub("-", stem).strip("-._") or "upload"
    suffix = _UNSAFE.sub("", suffix).lower()
    return f"{stem[:80]}.{suffix}" if suffix else stem[:80]


def _toml_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if (c >= " " and c != "\x7f") or c == "\t" else f"\\u{ord(c):04x}"
                         for c in escaped) + '"'


def manifest_entry(doc: DocumentInfo) -> str:
    """The uploads.toml entry for an uploaded document, in the schema of corpus/sources.toml."""
    fields = {"id": doc.doc_id, "title": doc.title, "short": doc.short, "kind": doc.kind,
              "version_date": doc.version_date, "licence": doc.licence, "file": doc.file, "sha256": doc.sha256,
              "access": doc.access}
    return "\n[[document]]\n" + "".join(f"{k} = {_toml_string(v)}\n" for k, v in fields.items())


def _check_fields(name: str, title: str, kind: str, version_date: str, access: str) -> None:
    if not title.strip():
        raise UploadError(f"{name}: field 'title' is empty; give the document's title")
    if kind not in KINDS:
        raise UploadError(f"{name}: field 'kind' is {kind!r}; expected one of {', '.join(KINDS)}")
    if access not in ACCESS_LEVELS:
        raise UploadError(f"{name}: field 'access' is {access!r}; expected one of {', '.join(ACCESS_LEVELS)}")
    if version_date:
        try:
            date.fromisoformat(version_date)
        except ValueError:
            raise UploadError(f"{name}: field 'version date' is {version_date!r}; expected YYYY-MM-DD") from None


def _unique(candidate: str, taken: set[str]) -> str:
    stem, dot, suffix = candidate.rpartition(".")
    if not dot:
        stem, suffix = candidate, ""
    n, out = 1, candidate
    while out.lower() in taken:
        n += 1
        out = f"{stem}-{n}.{suffix}" if suffix else f"{stem}-{n}"
    return out


def add_upload(settings: Settings, source: Path, original_name: str, *, title: str, kind: str,
               short: str = "", version_date: str = "", access: str = "public",
               progress: Progress = lambda fraction, stage: None) -> UploadResult:
    """Store, list and index one uploaded file; raise UploadError with a clear message when it is refused."""
    name = original_name or source.name
    try:
        size = check_size(source, name, settings.max_upload_bytes)
    except IngestError as exc:
        raise UploadError(str(exc)) from None
    if size == 0:
        raise UploadError(f"{name}: the file is empty")
    safe = safe_file_name(name)
    suffix = PurePosixPath(safe).suffix
    if suffix not in SUPPORTED:
        raise UploadError(f"{name}: unsupported file type {suffix or '(none)'}; expected one of {', '.join(SUPPORTED)}")
    title, short, version_date = title.strip(), short.strip(), version_date.strip()
    _check_fields(name, title, kind, version_date, access)

    with _LOCK:
        progress(0.05, "checking the document")
        documents = all_documents(settings)
        taken_files = {d.file.lower() for d in documents}
        safe = _unique(safe, {PurePosixPath(f).name for f in taken_files if f.startswith(f"{UPLOAD_FOLDER}/")})
        doc_id = _unique(f"upload-{PurePosixPath(safe).stem.lower()}", {d.doc_id for d in documents})
        doc = DocumentInfo(doc_id=doc_id, title=title, short=short or title[:40], kind=kind,
                           version_date=version_date, licence="uploaded", file=f"{UPLOAD_FOLDER}/{safe}",
                           sha256=file_sha256(source), access=access)
        same = [d for d in documents if d.sha256 == doc.sha256]
        if same:
            raise UploadError(f"{name}: same content as {same[0].file} (“{same[0].title}”), already in the library")
        try:
            passages = parse_document(source.read_bytes(), doc, settings.read_options)
        except IngestError as exc:
            raise UploadError(f"{name}: {exc.reason}") from None

        manifest = uploads_manifest(settings)
        before = manifest.read_text(encoding="utf-8") if manifest.exists() else None
        stored = settings.uploads_dir / safe
        cached = cached_path(settings.corpus_cache, doc)
        try:
            progress(0.15, "storing the file")
            for target in (stored, cached):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
            manifest.parent.mkdir(parents=True, exist_ok=True)
            manifest.write_text((before or _MANIFEST_HEAD) + manifest_entry(doc), encoding="utf-8")
            load_manifest(manifest)
            progress(0.25, f"indexing {len(passages)} new passage(s) with the rest of the library")
            report = run_ingest(all_documents(settings), settings.corpus_cache, settings.data_dir,
                                embeddings_for(settings), progress=False, client=chroma_client(settings),
                                options=settings.read_options, signposts_dir=settings.signposts_dir,
                                checkpoint=lambda stage: progress(_STAGES.get(stage, 0.5), _STAGE_TEXT.get(stage, stage)))
            failed = [e for e in report.errors if e.startswith(f"{doc.file}:")]
            if failed:
                raise UploadError(f"{name}: {failed[0].split(': ', 1)[1]}")
        except (UploadError, IngestLocked, ManifestError, OSError) as exc:
            _restore(manifest, before)
            stored.unlink(missing_ok=True)
            cached.unlink(missing_ok=True)
            if isinstance(exc, UploadError):
                raise
            raise UploadError(f"{name}: {exc}") from exc
        progress(1.0, "done")
        return UploadResult(doc_id=doc.doc_id, file=doc.file, passages=len(passages), version=report.version,
                            summary=report.summary())


_MANIFEST_HEAD = ("# Documents added through the UI (same schema as corpus/sources.toml). Files are under\n"
                  "# the corpus cache's uploads/ folder, with a copy in the data dir's uploads/ folder.\n")
_STAGES = {"parsed": 0.5, "embedded": 0.75, "written": 0.95}
_STAGE_TEXT = {"parsed": "embedding new passages", "embedded": "writing the new index version",
               "written": "switching to the new index"}


def _restore(manifest: Path, before: str | None) -> None:
    if before is None:
        manifest.unlink(missing_ok=True)
    else:
        manifest.write_text(before, encoding="utf-8")
