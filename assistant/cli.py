"""The `cga` command: corpus sync, ingest, search, stats, ask, eval, serve and friends."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.config import Settings

if TYPE_CHECKING:
    from assistant.accounts.uploads import AddOutcome


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        sys.exit(f"cga: {exc}")


def _manifest(settings: Settings):
    from assistant.library import all_documents
    from ingest.corpus import ManifestError

    try:
        return all_documents(settings)
    except ManifestError as exc:
        sys.exit(f"cga: {exc}")


def cmd_corpus_sync(args: argparse.Namespace) -> int:
    from ingest.corpus import load_manifest, sync

    settings = _settings()
    from ingest.corpus import ManifestError

    try:
        docs = load_manifest(settings.sources)
    except ManifestError as exc:
        sys.exit(f"cga: {exc}")
    mirror = Path(args.mirror) if args.mirror else settings.corpus_mirror
    results = sync(docs, settings.corpus_cache, mirror)
    for r in results:
        if r.status == "error":
            print(f"error   {r.doc_id}: {r.detail}", file=sys.stderr)
        elif args.verbose or r.status != "ok":
            print(f"{r.status:<8}{r.doc_id}")
    failed = sum(r.status == "error" for r in results)
    source = f"mirror {mirror}" if mirror else "public download URLs"
    print(f"corpus: {len(results) - failed}/{len(results)} documents in {settings.corpus_cache} (from {source})")
    return 1 if failed else 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.library import ChromaUnreachable, chroma_client, embeddings_for
    from ingest.pipeline import IngestLocked, run_ingest

    settings = _settings()
    docs = _manifest(settings)
    try:
        report = run_ingest(docs, settings.corpus_cache, settings.data_dir, embeddings_for(settings),
                            force=args.force, progress=not args.quiet, client=chroma_client(settings),
                            options=settings.read_options, signposts_dir=settings.signposts_dir)
    except ChromaUnreachable as exc:
        print(f"cga ingest: {exc}", file=sys.stderr)
        return 2
    except IngestLocked as exc:
        print(f"cga ingest: {exc}", file=sys.stderr)
        return 2
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    print(json.dumps(report.to_dict(), indent=1) if args.json else report.summary())
    return 1 if report.errors else 0


def cmd_add(args: argparse.Namespace) -> int:
    from assistant.accounts.uploads import Fields, UploadError, add_files
    from ingest.corpus import ManifestError

    files = _files_to_add(args.paths)
    for flag, given in (("--title", args.title), ("--amends", args.amends), ("--in-force", args.in_force)):
        if given and len(files) > 1:
            sys.exit(f"cga add: {flag} is for one document, and {len(files)} files were given")
    if (args.amends or args.in_force) and args.kind != "legislation":
        sys.exit("cga add: --amends and --in-force are for an amending instrument, added with --kind legislation")
    fields = Fields(title=args.title or "", kind=args.kind or "", version_date=args.date or "", access=args.access,
                    amends=tuple(args.amends or ()), in_force=args.in_force or "")
    try:
        outcomes, report = add_files(_settings(), files, fields)
    except (UploadError, ManifestError) as exc:
        print(f"cga add: {exc}; nothing was added", file=sys.stderr)
        return 2
    for outcome in outcomes:
        print(_outcome_line(outcome))
    if report is not None:
        print(f"index {report.version}: {report.summary()}")
    return 1 if any(o.status == "failed" for o in outcomes) else 0


def _files_to_add(paths: list[str]) -> list[Path]:
    """Each file named, and every supported file under each folder named (hidden ones skipped)."""
    from ingest.parse import SUPPORTED

    files: list[Path] = []
    for name in paths:
        path = Path(name)
        if not path.is_dir():
            files.append(path)  # a missing or unsupported file is reported as failed, not skipped
            continue
        files += sorted(f for f in path.rglob("*") if f.is_file() and f.suffix.lower() in SUPPORTED
                        and not any(part.startswith(".") for part in f.relative_to(path).parts))
    return files


def _outcome_line(outcome: AddOutcome) -> str:
    if outcome.status == "failed":
        return f"failed     {outcome.path}: {outcome.reason}"
    doc = outcome.doc
    assert doc is not None  # added and unchanged files name their document
    if outcome.candidate is None:
        return f"unchanged  {outcome.path} (already in the library as {doc.doc_id})"
    by = f", decision by {outcome.candidate.decision_by}" if outcome.candidate.decision_by else ""
    amends = ""
    if doc.kind == "legislation":
        amends = (f"; amends {', '.join(outcome.candidate.amended)} from {doc.in_force}" if doc.amends
                  else "; amends nothing in the library, so added as ordinary legislation")
    return (f"added      {outcome.path} → {doc.doc_id}: {doc.short} “{doc.title}” ({doc.kind}, {doc.access}, "
            f"{doc.version_date or 'date not stated'}{by}, {outcome.candidate.passages} passages){amends}")


def cmd_remove(args: argparse.Namespace) -> int:
    from assistant.accounts.uploads import UploadError, remove_upload
    from ingest.corpus import ManifestError

    try:
        doc, report = remove_upload(_settings(), args.doc_id)
    except (UploadError, ManifestError) as exc:
        print(f"cga remove: {exc}", file=sys.stderr)
        return 1
    print(f"removed    {doc.doc_id} ({doc.file}, “{doc.title}”)")
    print(f"index {report.version}: {report.summary()}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    from assistant.answering.regime import BOTH, named_regime
    from assistant.answering.retrieve import SearchFilters
    from assistant.library import open_library

    library = open_library(_settings())
    named = named_regime(args.query)  # search keeps to a regime only when the query names one
    filters = SearchFilters(kinds=tuple(args.kind or ()), doc_ids=tuple(args.doc or ()),
                            regime=named.name if named else BOTH)
    hits = library.retriever.search(args.query, k=args.k, filters=filters)
    if args.json:
        print(json.dumps([h.to_dict() for h in hits], indent=1, ensure_ascii=False))
        return 0
    for rank, hit in enumerate(hits, start=1):
        p = hit.passage
        first = " ".join(p.text.split())[:160]
        print(f"{rank:>2}. {p.citation:<28} {hit.score:6.3f}  {first}")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    from assistant.library import open_library

    library = open_library(_settings())
    print(json.dumps(library.stats(), indent=1) if args.json else library.stats_text())
    return 0


def cmd_tune(args: argparse.Namespace) -> int:
    from assistant.library import open_library
    from ingest.embed import bundled_model_path
    from ingest.tune import training_pairs, tune

    settings = _settings()
    out = Path(args.out)
    if out.exists() and any(out.iterdir()):
        print(f"cga tune: {out} is not empty; name a new folder", file=sys.stderr)
        return 2
    base = settings.model_path or bundled_model_path()
    pairs = training_pairs(open_library(settings).index)

    def progress(step: int, steps: int, loss: float) -> None:
        if not args.quiet:
            print(f"\rtune       step {step}/{steps}, loss {loss:.3f}", end="", file=sys.stderr, flush=True)

    try:
        report = tune(pairs, base, out, progress)
    except ValueError as exc:
        print(f"cga tune: {exc}", file=sys.stderr)
        return 2
    print(f"\n{report.pairs} pairs, {report.steps} steps, {report.seconds:.0f} s ({report.cpu_seconds:.0f} CPU s), "
          f"final loss {report.final_loss:.3f}: written to {out}\n"
          f"Use it with CGA_MODEL_PATH={out}, then `cga ingest` and `python -m evals.calibrate`.")
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    import getpass

    from assistant.accounts.audit import Asker
    from assistant.answering.records import Conversation
    from assistant.library import open_library
    from assistant.web.render import answer_as_text

    library = open_library(_settings())
    conversation = Conversation()
    # Whoever can run cga on the data directory can read all of it: the operator asks as admin.
    answer = library.ask(args.question, conversation=conversation, as_at=args.as_at, regime=args.regime,
                         asker=Asker(getpass.getuser(), "admin", "cli"))
    print(json.dumps(answer.to_dict(), indent=1, ensure_ascii=False) if args.json else answer_as_text(answer))
    return 0


def cmd_advise(args: argparse.Namespace) -> int:
    from assistant.advisor.engine import advise_from_options
    from assistant.advisor.rules import RulesError
    from assistant.library import open_library
    from assistant.web.render import answer_as_text

    library = open_library(_settings())
    try:
        answer = advise_from_options(library, value=args.value, category=args.category, authority=args.authority,
                                     start=args.start, light_touch=args.light_touch, vat=args.vat,
                                     framework=args.framework, utilities=args.utilities, defence=args.defence,
                                     concession=args.concession, organisation=args.organisation)
    except (RulesError, ValueError) as exc:
        print(f"cga advise: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(answer.to_dict(), indent=1, ensure_ascii=False) if args.json else answer_as_text(answer))
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    from evals.harness import main as eval_main

    return eval_main(args.set, args.json_out, floors=args.check_floors)


def cmd_check(args: argparse.Namespace) -> int:
    from assistant.library import open_library
    from assistant.papercheck.checker import CheckError, PaperChecker, report_markdown
    from ingest.document import IngestError

    checker = PaperChecker(open_library(_settings()))
    target = Path(args.paper)
    try:
        report = checker.check_file(target) if target.exists() else checker.check_document(args.paper)
    except (CheckError, IngestError) as exc:
        hint = "" if target.exists() else " (nor a file)"
        print(f"cga check: {exc}{hint}", file=sys.stderr)
        return 2
    print(json.dumps(report.to_dict(), indent=1, ensure_ascii=False) if args.json else report_markdown(report))
    return 1 if report.flagged else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from assistant.web.app import serve

    serve(_settings(), host=args.host, port=args.port)
    return 0


def cmd_feedback_export(args: argparse.Namespace) -> int:
    from assistant.accounts.feedback import FeedbackStore, feedback_path

    path = feedback_path(_settings().data_dir)
    if not path.exists():
        sys.exit(f"cga: no feedback yet ({path} does not exist)")
    store = FeedbackStore(path)
    text, count = store.to_csv(), len(store.all())
    if args.out:
        Path(args.out).write_text(text, encoding="utf-8", newline="")
        print(f"{count} feedback record(s) written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def cmd_users_add(args: argparse.Namespace) -> int:
    import getpass

    from assistant.accounts.users import UsersFileError, add_user

    settings = _settings()
    path = Path(args.file) if args.file else settings.users_file
    if path is None:
        sys.exit("cga users add: no users file; set CGA_USERS_FILE or pass --file")
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass(f"Password for {args.name}: ")
        if password != getpass.getpass("Again: "):
            sys.exit("cga users add: the passwords differ")
    try:
        user = add_user(path, args.name, args.role, password)
    except UsersFileError as exc:
        sys.exit(f"cga users add: {exc}")
    print(f"{user.name} ({user.role}) saved in {path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cga", description="Commissioning guidance assistant")
    sub = parser.add_subparsers(dest="command", required=True)

    corpus = sub.add_parser("corpus", help="the documents listed in corpus/sources.toml")
    corpus_sub = corpus.add_subparsers(dest="corpus_command", required=True)
    sync = corpus_sub.add_parser("sync", help="copy or download every listed document, checking sha256")
    sync.add_argument("--mirror", help="mirror folder (default: CGA_CORPUS_MIRROR or ../shared/corpus)")
    sync.add_argument("-v", "--verbose", action="store_true")
    sync.set_defaults(func=cmd_corpus_sync)

    ingest = sub.add_parser("ingest", help="build the index from the synced corpus (only if anything changed)",
                            description="Exit status: 0 when every listed document is indexed, 1 when any was "
                                        "refused (each named on stderr with the reason; the rest are indexed), 2 "
                                        "when another ingest is running on the data directory or the Chroma "
                                        "server cannot be reached.")
    ingest.add_argument("--force", action="store_true", help="rebuild even if nothing changed")
    ingest.add_argument("-q", "--quiet", action="store_true", help="no progress bars")
    ingest.add_argument("--json", action="store_true", help="print the report as JSON")
    ingest.set_defaults(func=cmd_ingest)

    add_docs = sub.add_parser("add", help="add your own documents (files or folders) to the index",
                         description="Lists each file in DATA_DIR/uploads.toml (as the Index tab's upload does) and "
                                     "indexes it; content already in the library is left unchanged. Blank fields are "
                                     "read from the document: a decision paper's reference, title and date signed, "
                                     "legislation's front matter. Exit status: 0 when every file is added or "
                                     "unchanged, 1 when any failed (each named with the reason; the rest are added), "
                                     "2 when the index could not be built (another ingest running, Chroma unreachable).")
    add_docs.add_argument("paths", nargs="+", metavar="PATH", help="a file, or a folder searched for every supported type")
    add_docs.add_argument("--kind", choices=["decision", "guidance", "internal-rules", "legislation"],
                     help="default: decision for a paper with a reference (PCD 1429, DMPC 2024/12), else guidance")
    add_docs.add_argument("--access", choices=["public", "internal", "restricted"], default="public")
    add_docs.add_argument("--title", help="the document's title (one file only)")
    add_docs.add_argument("--date", help="version date, YYYY-MM-DD (default: the date signed or last updated, if stated)")
    add_docs.add_argument("--amends", action="append", metavar="DOC_ID",
                          help="legislation: a document it amends (default: those its text names as amended)")
    add_docs.add_argument("--in-force", dest="in_force", metavar="YYYY-MM-DD",
                          help="legislation: the day its amendments take effect (default: the date it says it "
                               "comes into force)")
    add_docs.set_defaults(func=cmd_add)

    remove = sub.add_parser("remove", help="take a document added with cga add or the Index tab out of the index")
    remove.add_argument("doc_id", metavar="DOC_ID")
    remove.set_defaults(func=cmd_remove)

    search = sub.add_parser("search", help="ranked passages for a query")
    search.add_argument("query")
    search.add_argument("--k", type=int, default=10)
    search.add_argument("--kind", action="append", help="legislation, decision, guidance or internal-rules")
    search.add_argument("--doc", action="append", help="document id, e.g. ukpga-2023-54")
    search.add_argument("--json", action="store_true")
    search.set_defaults(func=cmd_search)

    tune = sub.add_parser("tune", help="fine-tune the embedding model on the index's signposts, into a new folder")
    tune.add_argument("--out", required=True, help="a new folder for the tuned model")
    tune.add_argument("--quiet", action="store_true")
    tune.set_defaults(func=cmd_tune)

    stats = sub.add_parser("stats", help="documents, passages, index size, model, version dates")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=cmd_stats)

    ask = sub.add_parser("ask", help="a cited answer to a question")
    ask.add_argument("question")
    ask.add_argument("--as-at", dest="as_at", help="date the procurement started (YYYY-MM-DD)")
    ask.add_argument("--regime", choices=["auto", "PA 2023", "PCR 2015"], default="auto")
    ask.add_argument("--json", action="store_true")
    ask.set_defaults(func=cmd_ask)

    advise = sub.add_parser("advise", help="regime, threshold, procedures and approver for a purchase, with the trace")
    advise.add_argument("--value", help="estimated value in pounds, e.g. 500000, £500,000 or 1.2m")
    advise.add_argument("--category", choices=["goods", "services", "works"])
    advise.add_argument("--authority", choices=["central", "sub-central"])
    advise.add_argument("--start", help="date the procurement starts (YYYY-MM-DD); decides the regime")
    advise.add_argument("--light-touch", dest="light_touch", action="store_true", help="light touch services")
    advise.add_argument("--vat", choices=["inc", "exc"], help="whether --value includes VAT")
    advise.add_argument("--framework", action="store_true")
    advise.add_argument("--utilities", action="store_true")
    advise.add_argument("--defence", action="store_true", help="a defence and security contract")
    advise.add_argument("--concession", action="store_true")
    advise.add_argument("--organisation", default="", help="whose delegation rows apply, e.g. MOPAC")
    advise.add_argument("--json", action="store_true")
    advise.set_defaults(func=cmd_advise)

    ev = sub.add_parser("eval", help="retrieval and answer metrics on a question set")
    ev.add_argument("--set", default=None, help="JSONL question set (default evals/questions.jsonl)")
    ev.add_argument("--json-out", dest="json_out", default=None)
    ev.add_argument("--check-floors", action="store_true", help="exit non-zero below the floors in evals/floors.json")
    ev.set_defaults(func=cmd_eval)

    check = sub.add_parser("check", help="resolve and verify every legal reference in a paper",
                           description="Exit status: 0 when every reference holds up, 1 when any is flagged, "
                                       "2 when the paper cannot be read.")
    check.add_argument("paper", metavar="PATH_OR_DOC_ID", help="a PDF, HTML or text file, or an indexed document id")
    check.add_argument("--json", action="store_true")
    check.set_defaults(func=cmd_check)

    serve = sub.add_parser("serve", help="the chat UI and JSON API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7860)
    serve.set_defaults(func=cmd_serve)

    feedback = sub.add_parser("feedback", help="feedback people gave on answers")
    feedback_sub = feedback.add_subparsers(dest="feedback_command", required=True)
    export = feedback_sub.add_parser("export", help="all feedback as CSV")
    export.add_argument("--out", help="CSV file to write (default: standard output)")
    export.set_defaults(func=cmd_feedback_export)

    users = sub.add_parser("users", help="who may sign in (CGA_USERS_FILE)")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    add = users_sub.add_parser("add", help="add a user, or reset one's role and password")
    add.add_argument("name")
    add.add_argument("--role", choices=["admin", "staff", "public"], required=True)
    add.add_argument("--password-stdin", action="store_true", help="read the password from the first line of stdin")
    add.add_argument("--file", help="users file (default: CGA_USERS_FILE); .json for JSON, otherwise TOML")
    add.set_defaults(func=cmd_users_add)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Whatever cga writes (index versions, the audit log, feedback, uploads, exports, Gradio's copies of
    # files) is for its owner only, 0600 in 0700 folders, however permissive the caller's umask.
    os.umask(0o077)
    args = build_parser().parse_args(argv)
    return args.func(args) or 0


if __name__ == "__main__":
    sys.exit(main())
