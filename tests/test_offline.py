"""Ingest and answer with every outbound socket refused (loopback allowed): nothing reaches out."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.small_corpus import make_small_corpus

GUARD = r'''
import json, socket, sys
attempts = []
def _loopback(address):
    host = address[0] if isinstance(address, tuple) else str(address)
    return host in ("127.0.0.1", "::1", "localhost") or host.startswith("127.")
def _guard(original):
    def connect(self, address, *args):
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            attempts.append(repr(address))
            raise OSError("outbound network blocked by test")
        return original(self, address, *args)
    return connect
socket.socket.connect = _guard(socket.socket.connect)
socket.socket.connect_ex = _guard(socket.socket.connect_ex)
_getaddrinfo = socket.getaddrinfo
def getaddrinfo(host, *args, **kwargs):
    if host and not _loopback((host,)):
        attempts.append(f"dns:{host}")
        raise socket.gaierror("name resolution blocked by test")
    return _getaddrinfo(host, *args, **kwargs)
socket.getaddrinfo = getaddrinfo
from assistant.cli import main
codes = [main(["ingest", "--quiet"]), main(["search", "public sector equality duty"]),
         main(["ask", "What must MOPAC have due regard to under the Equality Act?"])]
print("RESULT " + json.dumps({"codes": codes, "attempts": attempts}))
'''


def test_ingest_search_and_ask_make_no_outbound_connection(tmp_path: Path):
    settings = make_small_corpus(tmp_path)
    from ingest.corpus import load_manifest, sync

    sync(load_manifest(settings.sources), settings.corpus_cache, settings.corpus_mirror)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_", "GRADIO_", "ANONYMIZED"))}
    env.update({"CGA_DATA_DIR": str(settings.data_dir), "CGA_SOURCES": str(settings.sources),
                "CGA_CORPUS_MIRROR": str(settings.corpus_mirror)})
    run = subprocess.run([sys.executable, "-c", GUARD], env=env, capture_output=True, text=True, timeout=600,
                         cwd=Path(__file__).resolve().parent.parent)
    result_line = [line for line in run.stdout.splitlines() if line.startswith("RESULT ")]
    assert result_line, run.stdout[-2000:] + run.stderr[-2000:]
    result = json.loads(result_line[0][len("RESULT "):])
    assert result["attempts"] == []
    assert result["codes"] == [0, 0, 0]
    assert "EA 2010 s.149" in run.stdout


# Each builds indexes or runs servers of its own: left out of `make test-fast`.
pytestmark = pytest.mark.slow
