"""A small real corpus (Equality Act extract and PCD 1429) in a temp mirror, with its own manifest."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

from assistant.config import PROJECT_ROOT, Settings

MIRROR = PROJECT_ROOT.parent / "shared" / "corpus"


def corpus_file(relative: str) -> Path:
    return MIRROR / relative

FILES = {
    "ukpga-2010-15": ("legislation/ukpga-2010-15.md", "Equality Act 2010", "EA 2010", "legislation", "2024-07-01"),
    "pcd-1429": ("decisions/pcd-1429.txt", "PCD 1429 MOPAC Delivery & Victim Services Recommissioning Support",
                 "PCD 1429", "decision", ""),
}


def manifest_entry(doc_id: str, file: str, title: str, short: str, kind: str, version_date: str, sha256: str,
                   download_url: str = "") -> str:
    return (f'[[document]]\nid = "{doc_id}"\ntitle = "{title}"\nshort = "{short}"\nkind = "{kind}"\n'
            f'version_date = "{version_date}"\nfile = "{file}"\nsha256 = "{sha256}"\n'
            f'download_url = "{download_url}"\naccess = "public"\n\n')


def make_small_corpus(root: Path, download_base: str = "") -> Settings:
    """Copy the two documents into root/mirror, write root/sources.toml, return settings for root/data."""
    mirror = root / "mirror"
    entries = []
    for doc_id, (file, title, short, kind, version_date) in FILES.items():
        target = mirror / file
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(MIRROR / file, target)
        sha = hashlib.sha256(target.read_bytes()).hexdigest()
        url = f"{download_base}/{file}" if download_base else ""
        entries.append(manifest_entry(doc_id, file, title, short, kind, version_date, sha, url))
    (root / "sources.toml").write_text("".join(entries))
    return Settings.from_env({**os.environ, "CGA_DATA_DIR": str(root / "data"), "CGA_SOURCES": str(root / "sources.toml"),
                              "CGA_CORPUS_MIRROR": str(mirror)})
