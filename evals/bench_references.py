"""Precision and recall of the reference finder on the hand-labelled papers in evals/references/.

    python -m evals.bench_references [--dir DIR] [--json]

Every legal reference in a paper is marked where it stands, `[[words as written|LABEL; LABEL]]`,
one LABEL per provision the words name: `PROVISION@DOC` in the notation of `ingest.passage`
("s.41@ukpga-2023-54", "Sch.5 para 13@ukpga-2023-54"), with the provision left out for an
instrument named alone ("@uksi-2015-102"). DOC is a manifest id, `outside` for an instrument the
corpus lacks, or `unresolved` for words that do not say which instrument they mean. Everything
not marked (money, dates, list numbers, "procurement regulations") must not be found.

A found reference is correct when it overlaps a marked one with the same provision and document;
each marked label is matched at most once. The finder reads each paper without a default document,
as the paper checker does.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ingest.document import DocumentInfo
from ingest.passage import Provision
from ingest.references import Reference, ReferenceFinder

DEFAULT_DIR = Path(__file__).with_name("references")
_MARK = re.compile(r"\[\[(?P<words>[^\[\]|]+)\|(?P<labels>[^\[\]]*)\]\]")
_SPECIAL_DOCS = ("outside", "unresolved")


class LabelError(ValueError):
    pass


@dataclass(frozen=True)
class Label:
    start: int
    end: int
    words: str
    provision: str
    doc: str


@dataclass
class Paper:
    name: str
    text: str
    labels: list[Label]


@dataclass
class BenchResult:
    papers: int
    labelled: int
    found: int
    correct: int
    misses: list[str] = field(default_factory=list)  # labelled, not found
    wrong: list[str] = field(default_factory=list)  # found, not labelled

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0

    @property
    def recall(self) -> float:
        return self.correct / self.labelled if self.labelled else 1.0

    def to_dict(self) -> dict:
        return {**asdict(self), "precision": round(self.precision, 4), "recall": round(self.recall, 4)}


def read_paper(path: Path) -> Paper:
    """The paper's plain text and its labels; raises LabelError naming the file and line."""
    marked = path.read_text(encoding="utf-8")
    parts: list[str] = []
    labels: list[Label] = []
    pos = length = 0
    for m in _MARK.finditer(marked):
        parts.append(marked[pos:m.start()])
        length += m.start() - pos
        words = m["words"]
        line = marked.count("\n", 0, m.start()) + 1
        for spec in filter(None, (s.strip() for s in m["labels"].split(";"))):
            labels.append(_label(spec, words, length, f"{path.name}:{line}"))
        if not m["labels"].strip():
            raise LabelError(f"{path.name}:{line}: [[{words}|…]] has no label")
        parts.append(words)
        length += len(words)
        pos = m.end()
    parts.append(marked[pos:])
    text = "".join(parts)
    if "[[" in text or "]]" in text:
        line = marked.count("\n", 0, marked.find("[[" if "[[" in text else "]]")) + 1
        raise LabelError(f"{path.name}: an unclosed or malformed [[…]] mark near line {line}")
    return Paper(path.name, text, labels)


def _label(spec: str, words: str, start: int, where: str) -> Label:
    provision, at, doc = spec.partition("@")
    if not at or not doc:
        raise LabelError(f"{where}: label {spec!r} is not PROVISION@DOC")
    if provision:
        try:
            provision = str(Provision.parse(provision))
        except ValueError as exc:
            raise LabelError(f"{where}: {exc}") from exc
    return Label(start, start + len(words), words, provision, doc)


def _key(ref: Reference) -> tuple[str, str]:
    doc = ref.doc_id or ("outside" if ref.resolution == "outside-corpus" else "unresolved")
    return ("" if ref.provision is None else str(ref.provision), doc)


def _show(provision: str, doc: str) -> str:
    return f"{provision}@{doc}" if provision else f"@{doc}"


def score(papers: list[Paper], finder: ReferenceFinder) -> BenchResult:
    result = BenchResult(papers=len(papers), labelled=0, found=0, correct=0)
    for paper in papers:
        refs = finder.find(paper.text)
        result.labelled += len(paper.labels)
        result.found += len(refs)
        unmatched = list(paper.labels)
        for ref in refs:
            key = _key(ref)
            match = next((lab for lab in unmatched if lab.start < ref.end and ref.start < lab.end
                          and (lab.provision, lab.doc) == key), None)
            if match is None:
                result.wrong.append(f"{paper.name}: found {_show(*key)} in “{' '.join(ref.text.split())}”")
            else:
                unmatched.remove(match)
                result.correct += 1
        result.misses += [f"{paper.name}: missed {_show(lab.provision, lab.doc)} in “{lab.words}”" for lab in unmatched]
    return result


def run(directory: Path = DEFAULT_DIR, documents: list[DocumentInfo] | None = None) -> BenchResult:
    if documents is None:
        from assistant.config import Settings
        from ingest.corpus import load_manifest

        documents = load_manifest(Settings.from_env().sources)
    paths = sorted(directory.glob("*.txt"))
    if not paths:
        raise LabelError(f"{directory}: no labelled papers (*.txt)")
    papers = [read_paper(p) for p in paths]
    known = {d.doc_id for d in documents}
    for paper in papers:
        for label in paper.labels:
            if label.doc not in known and label.doc not in _SPECIAL_DOCS:
                raise LabelError(f"{paper.name}: label document {label.doc!r} is not in the manifest")
    return score(papers, ReferenceFinder(documents))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench_references", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="folder of labelled papers")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        result = run(args.dir)
    except LabelError as exc:
        print(f"bench_references: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(result.to_dict(), indent=1, ensure_ascii=False))
        return 0
    print(f"{result.papers} papers, {result.labelled} labelled references, {result.found} found, "
          f"{result.correct} correct")
    print(f"precision {result.precision:.3f}  recall {result.recall:.3f}")
    for line in result.misses + result.wrong:
        print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
