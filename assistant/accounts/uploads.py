"""Adding documents through the UI or `cga add`: check them, store them, list them in uploads.toml,
rebuild the index (only new passages are embedded); `cga remove` takes one out again.

The file is refused before it is read whole when it is over the size limit, and parsed before it
is listed, so a bad file gets the parser's own message and never reaches the manifest. If the
index build still fails for it, its entry and copies are removed again: uploads.toml only ever
lists documents that are in the index.
"""

from __future__ import annotations

import re
import shutil
import threading
import tomllib
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path, PurePosixPath

from assistant.config import Settings
from assistant.library import (
    ChromaUnreachable,
    all_documents,
    chroma_client,
    embeddings_for,
    uploads_manifest,
)
from ingest.amendments import read_amending
from ingest.corpus import ManifestError, cached_path, file_sha256, load_manifest
from ingest.document import ACCESS_LEVELS, KINDS, DocumentInfo, IngestError
from ingest.figures import first_date
from ingest.parse import SUPPORTED, check_size, parse_document
from ingest.parsers.decisions import paper_details
from ingest.parsers.legislation import front_matter
from ingest.parsers.plain import decode_text
from ingest.passage import Passage
from ingest.pipeline import IngestLocked, IngestReport, run_ingest

UPLOAD_FOLDER = "uploads"  # under the corpus cache, as the manifest's `file` field names it
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# One upload at a time in this process; run_ingest's file lock covers other processes.
_LOCK = threading.Lock()

Progress = Callable[[float, str], None]


class UploadError(Exception):
    """An upload that was refused; the message names the file and the reason."""


class AlreadyListed(UploadError):
    """The file's content is already in the library: adding it again changes nothing."""

    def __init__(self, message: str, doc: DocumentInfo) -> None:
        super().__init__(message)
        self.doc = doc


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
    if doc.source_url:  # legislation read from its front matter: deep links to legislation.gov.uk are built from it
        fields["source_url"] = doc.source_url
    if doc.regime:
        fields["regime"] = doc.regime
    if doc.amends:  # an amending instrument: ingest reads its substitutions with the text they amend
        fields["in_force"] = doc.in_force
    entry = "".join(f"{k} = {_toml_string(v)}\n" for k, v in fields.items())
    if doc.amends:
        entry += f"amends = [{', '.join(map(_toml_string, doc.amends))}]\n"
    return "\n[[document]]\n" + entry


@dataclass(frozen=True)
class Fields:
    """What the person adding a document says about it. Blanks are read from the document where it
    says (a decision paper's reference, title and date signed; legislation's front matter)."""

    title: str = ""
    kind: str = ""  # blank: decision for a file that reads as a decision paper with a reference, else guidance
    short: str = ""
    version_date: str = ""
    access: str = "public"
    # Legislation only: the documents it amends and the day its amendments take effect, when its text
    # does not say (or says wrongly).
    amends: tuple[str, ...] = ()
    in_force: str = ""


def _check_fields(name: str, fields: Fields) -> None:
    if fields.kind and fields.kind not in KINDS:
        raise UploadError(f"{name}: field 'kind' is {fields.kind!r}; expected one of {', '.join(KINDS)}")
    if fields.access not in ACCESS_LEVELS:
        raise UploadError(f"{name}: field 'access' is {fields.access!r}; expected one of {', '.join(ACCESS_LEVELS)}")
    for label, value in (("version date", fields.version_date), ("in force", fields.in_force)):
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                raise UploadError(f"{name}: field '{label}' is {value!r}; expected YYYY-MM-DD") from None


def _unique(candidate: str, taken: set[str]) -> str:
    stem, dot, suffix = candidate.rpartition(".")
    if not dot:
        stem, suffix = candidate, ""
    n, out = 1, candidate
    while out.lower() in taken:
        n += 1
        out = f"{stem}-{n}.{suffix}" if suffix else f"{stem}-{n}"
    return out


def _checked_name(settings: Settings, source: Path, name: str) -> str:
    """The file's safe stored name, refusing it by size and type before anything reads it."""
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
    return safe


@dataclass(frozen=True)
class Candidate:
    """A document read and described, ready to be listed."""

    doc: DocumentInfo
    source: Path
    passages: int
    decision_by: str = ""
    amended: tuple[str, ...] = ()  # the short names of the documents it amends


def _new_document(settings: Settings, documents: list[DocumentInfo], source: Path, name: str, fields: Fields,
                  fallback_title: str = "") -> Candidate:
    """Read one file as the next document of the library; AlreadyListed when its content already is."""
    safe = _checked_name(settings, source, name)
    _check_fields(name, fields)
    sha = file_sha256(source)
    same = [d for d in documents if d.sha256 == sha]
    if same:
        raise AlreadyListed(f"{name}: same content as {same[0].file} (“{same[0].title}”), already in the library",
                            same[0])
    safe = _unique(safe, {PurePosixPath(d.file).name.lower() for d in documents if d.file.startswith(f"{UPLOAD_FOLDER}/")})
    taken_ids = {d.doc_id for d in documents}
    data = source.read_bytes()
    draft = DocumentInfo(doc_id=_unique(f"upload-{PurePosixPath(safe).stem.lower()}", taken_ids),
                         title=fields.title or fallback_title or safe, short=fields.short, kind=fields.kind or "guidance",
                         version_date=fields.version_date, licence="uploaded", file=f"{UPLOAD_FOLDER}/{safe}",
                         sha256=sha, access=fields.access)
    # The PDF reader tells decision papers by their layout whatever the kind, so only text is tried as one.
    guess = not fields.kind and PurePosixPath(safe).suffix != ".pdf"
    try:
        passages = _decision_passages(settings, data, draft) if guess else []
        passages = passages or parse_document(data, draft, settings.read_options)
    except IngestError as exc:
        raise UploadError(f"{name}: {exc.reason}") from None
    except Exception as exc:  # a parser bug on one strange file is its refusal, as in `cga ingest`
        raise UploadError(f"{name}: could not be parsed ({type(exc).__name__}: {exc})") from exc
    paper = paper_details(passages)
    if draft.kind == "legislation":
        found = _legislation_fields(data, draft, taken_ids)
    else:
        found = _decision_fields(paper) if paper.get("reference") and fields.kind in ("", "decision") else {}
    # What the person typed wins; then what the document says; the title is required of one of them.
    given = {"title": fields.title, "short": fields.short, "kind": fields.kind, "version_date": fields.version_date}
    values = {"title": fallback_title, **_filled(found), **_filled(given)}
    if not values["title"].strip():
        raise UploadError(f"{name}: field 'title' is empty; give the document's title")
    doc = replace(draft, **values)
    if doc.kind == "legislation":
        doc = _amending(name, doc, passages, documents, fields)
    shorts = {d.doc_id: d.short for d in documents}
    return Candidate(replace(doc, short=doc.short or doc.title[:40]), source, len(passages), paper.get("decision by", ""),
                     tuple(shorts[i] for i in doc.amends))


def _amending(name: str, doc: DocumentInfo, passages: list[Passage], documents: list[DocumentInfo],
              fields: Fields) -> DocumentInfo:
    """Legislation with the documents held that it amends and the day it takes effect, as given or else
    as its text says, and the regime of what it amends (so a PCR 2015 amendment stays out of Act
    answers); unchanged when it amends nothing held."""
    held = {d.doc_id: d for d in documents}
    if unknown := [i for i in fields.amends if i not in held]:
        raise UploadError(f"{name}: field 'amends' names {', '.join(unknown)}, not in the library "
                          "(`cga stats` lists the documents)")
    read = read_amending(passages, documents)
    amends = fields.amends or read.amends
    if not amends:
        return doc
    in_force = fields.in_force or read.in_force
    if not in_force:
        stated = (f"comes into force on several dates ({', '.join(read.in_force_dates)})" if read.in_force_dates
                  else "states no date it comes into force")
        raise UploadError(f"{name}: amends {', '.join(held[i].short for i in amends)} but {stated}; give the day "
                          "its amendments take effect (cga add --in-force YYYY-MM-DD)")
    regimes = {held[i].regime for i in amends}
    regime = doc.regime or (regimes.pop() if len(regimes) == 1 else "")
    return replace(doc, amends=amends, in_force=in_force, regime=regime)


def _decision_passages(settings: Settings, data: bytes, draft: DocumentInfo) -> list[Passage]:
    """The passages of a file given no kind, when it reads as a decision paper with a reference
    ("PCD 1429 …"): a folder of papers needs no --kind. Empty for anything else."""
    try:
        passages = parse_document(data, replace(draft, kind="decision"), settings.read_options)
    except IngestError:  # not a decision paper; read as guidance, which reports its own errors
        return []
    return passages if paper_details(passages).get("reference") else []


def _filled(values: dict[str, str]) -> dict[str, str]:
    return {k: v for k, v in values.items() if v}


def _decision_fields(paper: dict[str, str]) -> dict[str, str]:
    """A decision paper's reference ("PCD 1429") as its short name, its title and the day it was signed."""
    signed = first_date(paper.get("date signed", ""))
    return {"kind": "decision", "short": paper["reference"], "title": paper.get("title", ""),
            "version_date": signed.day.isoformat() if signed and not signed.month_only else ""}


def _legislation_fields(data: bytes, draft: DocumentInfo, taken_ids: set[str]) -> dict[str, str]:
    """Title, id, version date and source from a legislation.gov.uk-style file's front matter. The id
    ("ukpga-2010-15") is kept because it tells sections of an Act from regulations of an instrument."""
    if PurePosixPath(draft.file).suffix not in (".md", ".markdown"):
        return {}
    meta = front_matter(decode_text(data, draft.file))
    title, identifier = meta.get("title", ""), meta.get("identifier", "")
    found = {"title": title, "source_url": meta.get("source", ""), "short": _legislation_short(title, identifier),
             "version_date": _iso_or_blank(meta.get("last_updated", ""))}
    if identifier and _UNSAFE.search(identifier) is None:
        found["doc_id"] = _unique(identifier, taken_ids)
    return found


def _legislation_short(title: str, identifier: str) -> str:
    """"Equality Act 2010" → "EA 2010"; an instrument with a bracketed title → "SI 2023/1117"."""
    words = title.removeprefix("The ").split()
    if words and "(" not in title and re.fullmatch(r"\d{4}", words[-1]):
        return "".join(w[0] for w in words[:-1] if w[0].isupper()) + f" {words[-1]}"
    kind, _, rest = identifier.partition("-")
    year, _, number = rest.partition("-")
    return f"SI {year}/{number}" if kind == "uksi" and number else ""


def _iso_or_blank(value: str) -> str:
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        return ""


def add_upload(settings: Settings, source: Path, original_name: str, *, title: str, kind: str,
               short: str = "", version_date: str = "", access: str = "public",
               progress: Progress = lambda fraction, stage: None) -> UploadResult:
    """Store, list and index one uploaded file; raise UploadError with a clear message when it is refused."""
    name = original_name or source.name
    fields = Fields(title=title.strip(), kind=kind, short=short.strip(), version_date=version_date.strip(),
                    access=access)
    with _LOCK:
        progress(0.05, "checking the document")
        candidate = _new_document(settings, all_documents(settings), source, name, fields)
        try:
            report, refused = _list_and_index(settings, [candidate], progress)
        except _INDEX_FAILURES as exc:
            raise UploadError(f"{name}: {exc}") from exc
        if refused:
            raise UploadError(f"{name}: {refused[candidate.doc.doc_id]}")
        progress(1.0, "done")
        return UploadResult(doc_id=candidate.doc.doc_id, file=candidate.doc.file, passages=candidate.passages,
                            version=report.version, summary=report.summary())


@dataclass(frozen=True)
class AddOutcome:
    """What `cga add` did with one file: "added", "unchanged" (already listed) or "failed"."""

    path: Path
    status: str
    reason: str = ""
    doc: DocumentInfo | None = None
    candidate: Candidate | None = None


def add_files(settings: Settings, sources: list[Path], fields: Fields) -> tuple[list[AddOutcome], IngestReport | None]:
    """Add many files in one index build (the operator's `cga add`, with no upload quota): each is read
    first, so a bad one is named and left out while the rest are listed. The report is None when
    nothing new was listed; UploadError when the index could not be built at all (nothing is listed)."""
    with _LOCK:
        documents = all_documents(settings)
        outcomes: list[AddOutcome] = []
        for source in sources:
            try:
                candidate = _new_document(settings, documents, source, str(source), fields,
                                          fallback_title=_title_from_name(source))
            except AlreadyListed as exc:
                outcomes.append(AddOutcome(source, "unchanged", doc=exc.doc))
            except UploadError as exc:
                outcomes.append(AddOutcome(source, "failed", str(exc).removeprefix(f"{source}: ")))
            except OSError as exc:  # missing, unreadable: the same words `cga ingest` uses
                outcomes.append(AddOutcome(source, "failed", f"cannot be read ({exc.strerror or exc})"))
            else:
                documents.append(candidate.doc)
                outcomes.append(AddOutcome(source, "added", doc=candidate.doc, candidate=candidate))
        added = [o.candidate for o in outcomes if o.candidate is not None]
        if not added:
            return outcomes, None
        try:
            report, refused = _list_and_index(settings, added, lambda fraction, stage: None)
        except _INDEX_FAILURES as exc:
            raise UploadError(str(exc)) from exc
        return [AddOutcome(o.path, "failed", refused[o.candidate.doc.doc_id])
                if o.candidate and o.candidate.doc.doc_id in refused else o for o in outcomes], report


def _title_from_name(path: Path) -> str:
    """"scheme_of-delegation.pdf" → "scheme of delegation": a title for a file whose text gives none."""
    return " ".join(re.split(r"[-_\s]+", path.stem)).strip()


def remove_upload(settings: Settings, doc_id: str) -> tuple[DocumentInfo, IngestReport]:
    """Take a document added locally out of uploads.toml and the index; shipped documents are refused."""
    with _LOCK:
        if any(d.doc_id == doc_id for d in load_manifest(settings.sources)):
            raise UploadError(f"{doc_id} is part of the shipped corpus ({settings.sources}), not added locally; "
                              "remove its entry there and run `cga ingest`")
        manifest = uploads_manifest(settings)
        doc = next((d for d in (load_manifest(manifest) if manifest.exists() else []) if d.doc_id == doc_id), None)
        if doc is None:
            raise UploadError(f"no document {doc_id!r} was added locally; `cga stats` lists the documents")
        before = manifest.read_text(encoding="utf-8")
        _write_without(manifest, before, {doc_id})
        try:
            report = _reindex(settings, lambda fraction, stage: None)
        except _INDEX_FAILURES as exc:
            _restore(manifest, before)
            raise UploadError(f"{doc_id}: {exc}") from exc
        _unlink_copies(settings, doc)
        return doc, report


_INDEX_FAILURES = (IngestLocked, ChromaUnreachable, ManifestError, OSError)


def _list_and_index(settings: Settings, added: list[Candidate], progress: Progress) -> tuple[IngestReport, dict[str, str]]:
    """Store and list the documents, and build the index with them → (report, {doc_id: reason} for any
    the build refused, taken out again). On an _INDEX_FAILURES error nothing is left behind and it
    is raised: uploads.toml only ever lists documents that are in the index."""
    manifest = uploads_manifest(settings)
    before = manifest.read_text(encoding="utf-8") if manifest.exists() else None
    try:
        progress(0.15, "storing the file")
        for candidate in added:
            for target in _copies(settings, candidate.doc):
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(candidate.source, target)
        manifest.parent.mkdir(parents=True, exist_ok=True)
        manifest.write_text((before or _MANIFEST_HEAD) + "".join(manifest_entry(c.doc) for c in added), encoding="utf-8")
        load_manifest(manifest)
        progress(0.25, f"indexing {sum(c.passages for c in added)} new passage(s) with the rest of the library")
        report = _reindex(settings, progress)
    except _INDEX_FAILURES:
        _restore(manifest, before)
        for candidate in added:
            _unlink_copies(settings, candidate.doc)
        raise
    refused = {c.doc.doc_id: error.split(": ", 1)[1] for c in added for error in report.errors
               if error.startswith(f"{c.doc.file}:")}
    if refused:
        _write_without(manifest, manifest.read_text(encoding="utf-8"), set(refused))
        for candidate in added:
            if candidate.doc.doc_id in refused:
                _unlink_copies(settings, candidate.doc)
    return report, refused


def _reindex(settings: Settings, progress: Progress) -> IngestReport:
    """A new index version of the whole library; only passages not in the embedding cache are embedded."""
    return run_ingest(all_documents(settings), settings.corpus_cache, settings.data_dir, embeddings_for(settings),
                      progress=False, client=chroma_client(settings), options=settings.read_options,
                      signposts_dir=settings.signposts_dir,
                      checkpoint=lambda stage: progress(_STAGES.get(stage, 0.5), _STAGE_TEXT.get(stage, stage)))


def _copies(settings: Settings, doc: DocumentInfo) -> tuple[Path, Path]:
    """Where an added file is kept: the data dir's uploads/ folder, and the corpus cache the index reads."""
    return settings.uploads_dir / PurePosixPath(doc.file).name, cached_path(settings.corpus_cache, doc)


def _unlink_copies(settings: Settings, doc: DocumentInfo) -> None:
    for copy in _copies(settings, doc):
        copy.unlink(missing_ok=True)


_MANIFEST_HEAD = ("# Documents added through the UI or `cga add` (same schema as corpus/sources.toml). Files are\n"
                  "# under the corpus cache's uploads/ folder, with a copy in the data dir's uploads/ folder.\n")
_STAGES = {"parsed": 0.5, "embedded": 0.75, "written": 0.95}
_STAGE_TEXT = {"parsed": "embedding new passages", "embedded": "writing the new index version",
               "written": "switching to the new index"}
_ENTRY_START = re.compile(r"^(?=\[\[document\]\]\s*$)", re.M)


def _write_without(manifest: Path, text: str, doc_ids: set[str]) -> None:
    """Rewrite the manifest without these documents' entries, keeping the others as written (an
    entry edited by hand keeps its fields); with no entry left the file goes, as an empty manifest
    is an error."""
    head, *entries = _ENTRY_START.split(text)
    kept = [e for e in entries if tomllib.loads(e)["document"][0]["id"] not in doc_ids]
    if kept:
        manifest.write_text(head + "".join(kept), encoding="utf-8")
    else:
        manifest.unlink()


def _restore(manifest: Path, before: str | None) -> None:
    if before is None:
        manifest.unlink(missing_ok=True)
    else:
        manifest.write_text(before, encoding="utf-8")
