"""`python -m evals.bench_load`: many people asking at once through the JSON API of `cga serve`.

Starts the real `cga serve` on a free loopback port over a built index (./data, or --data-dir),
then simulated users, one thread each, ask the eval set's questions back to back through
`POST /api/ask`, all starting together. Prints requests, errors, latency percentiles and
throughput. Goal on the project's two-core machine: no errors and p95 ≤ 2 s with 50 users asking
20 questions each. Only 127.0.0.1 is contacted; every request has a timeout. Not a timed test.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from assistant.config import PROJECT_ROOT, Settings
from evals.harness import DEFAULT_SET, Item, load_items

GOAL_P95_SECONDS = 2.0
HOST = "127.0.0.1"


@dataclass
class Outcome:
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, error: str = "") -> None:
        with self.lock:
            self.latencies.append(seconds)
            if error:
                self.errors.append(error)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def post_json(url: str, body: dict, timeout: float) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, {"error": exc.read().decode("utf-8", "replace")[:300]}


def start_server(data_dir: Path, port: int, log: Path, wait: float,
                 env: dict[str, str] | None = None) -> subprocess.Popen:
    """`cga serve` on the index in data_dir, once /api/health answers; `env` adds settings (CGA_CHROMA_URL)."""
    env = {k: v for k, v in os.environ.items() if k != "CGA_USERS_FILE"} | {"CGA_DATA_DIR": str(data_dir)} | (env or {})
    process = subprocess.Popen([sys.executable, "-m", "assistant.cli", "serve", "--host", HOST, "--port", str(port)],
                               cwd=PROJECT_ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"bench_load: cga serve exited {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"http://{HOST}:{port}/api/health", timeout=5) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.5)
    stop(process)
    raise SystemExit(f"bench_load: cga serve did not answer /api/health within {wait:g} s:\n{log.read_text()[-3000:]}")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=20)


def user(number: int, items: list[Item], asks: int, url: str, timeout: float, start: threading.Barrier,
         outcome: Outcome, distinct: bool) -> None:
    start.wait()
    for turn in range(asks):
        request = number * asks + turn
        item = items[request % len(items)]
        question = f"{item.question} (request {request})" if distinct else item.question
        body = {"question": question} | ({"as_at": item.as_at} if item.as_at else {})
        began = time.perf_counter()
        try:
            status, answer = post_json(url, body, timeout)
            error = "" if status == 200 and "text" in answer else f"HTTP {status}: {answer.get('error', answer)}"
        except OSError as exc:  # refused, reset or timed out
            error = f"{type(exc).__name__}: {exc}"
        outcome.add(time.perf_counter() - began, error)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Settings.from_env().data_dir,
                        help="a data directory with a built index (default: CGA_DATA_DIR or ./data)")
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--questions", type=int, default=20, help="questions each user asks")
    parser.add_argument("--set", type=Path, default=DEFAULT_SET, help="question set (JSONL)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds before a request counts as failed")
    parser.add_argument("--distinct", action="store_true",
                        help="number every request's question, so no two are alike and none is answered from the "
                             "server's memory of a question's vector")
    args = parser.parse_args()

    items = load_items(args.set)
    port = free_port()
    log = Path(tempfile.mkstemp(prefix="cga-bench-load-", suffix=".log")[1])
    server = start_server(args.data_dir, port, log, wait=180)
    url = f"http://{HOST}:{port}/api/ask"
    try:
        # One question first, so the model and index are warm before the clock starts.
        post_json(url, {"question": items[0].question}, args.timeout)
        outcome = Outcome()
        start = threading.Barrier(args.users + 1)
        threads = [threading.Thread(target=user, args=(n, items, args.questions, url, args.timeout, start, outcome,
                                                       args.distinct)) for n in range(args.users)]
        for thread in threads:
            thread.start()
        start.wait()
        began = time.perf_counter()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - began
    finally:
        stop(server)

    lat = outcome.latencies
    total = args.users * args.questions
    distinct = total if args.distinct else len({items[i % len(items)].question for i in range(total)})
    p95 = percentile(lat, 0.95)
    print(f"{args.users} users × {args.questions} questions ({distinct} distinct) against cga serve on "
          f"{args.data_dir}, port {port}")
    print(f"requests {len(lat)}, errors {len(outcome.errors)}, wall {wall:.1f} s, throughput {len(lat) / wall:.1f}/s")
    print(f"latency  p50 {percentile(lat, 0.5):.2f} s, p95 {p95:.2f} s, p99 {percentile(lat, 0.99):.2f} s, "
          f"mean {statistics.fmean(lat):.2f} s, max {max(lat):.2f} s")
    for error in sorted(set(outcome.errors))[:5]:
        print(f"  error ({outcome.errors.count(error)}×): {error}")
    met = not outcome.errors and p95 <= GOAL_P95_SECONDS
    print(f"goal (no errors, p95 ≤ {GOAL_P95_SECONDS:g} s): {'met' if met else 'NOT met'}; server log {log}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
