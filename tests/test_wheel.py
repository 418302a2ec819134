"""The wheel carries everything the code reads, and an installed copy answers a question.

Built with pip from this checkout, installed into a folder of its own, and run from elsewhere, so
the repository's own files cannot stand in for what the wheel forgot.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from assistant.config import PROJECT_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                    "-w", str(out), str(PROJECT_ROOT)], check=True, capture_output=True, timeout=300)
    [built] = out.glob("*.whl")
    return built


def test_every_data_file_of_the_packages_is_in_the_wheel(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", "assistant", "ingest"], cwd=PROJECT_ROOT, capture_output=True,
                             text=True, check=True).stdout.split()
    data = [f for f in tracked if not f.endswith(".py")]
    assert data, "expected data files (rules, glossary, calibration, stylesheet)"
    assert [f for f in data if f not in names] == []


def test_the_installed_wheel_answers_from_an_index(wheel: Path, index_settings, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target),
                    str(wheel)], check=True, capture_output=True, timeout=300)
    env = {**os.environ, "PYTHONPATH": str(target), "CGA_DATA_DIR": str(index_settings.data_dir),
           "CGA_SOURCES": str(index_settings.sources)}
    script = ("import assistant, sys; print(assistant.__file__); from assistant.cli import main; "
              "sys.argv = ['cga', 'ask', 'How long is the standstill period under the Procurement Act?']; main()")
    run = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr
    first, _, answer = run.stdout.partition("\n")
    assert first.startswith(str(target))
    assert "eight working days" in answer
