"""Serving under load: the running chat app's `/ask` answered by many clients at once, on loopback only.

Starts `python app.py` on 127.0.0.1 (a free port, the given data dir), asks the first `--questions`
seed gold questions serially `--serial-rounds` times (the reference answers and serial latency), then
from `--clients` concurrent clients, each asking every question once; then the same again while
`--burners` processes spin on the CPU. Prints per scenario: requests, errors, answers that differ from
the serial ones, p50 / p95 / max latency and throughput. Bounded: every request has a timeout and the
whole run a deadline. Needs gradio_client (the test extra).
Usage: python -m qa.bench.load [--data-dir .qa] [--clients 32] [--questions 10] [--threads N] [--burners 2]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from qa.evaluation import GOLD_SET
from qa.threads import THREADS_ENV

APP = Path(__file__).resolve().parents[2] / "app.py"
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Outcome:
    """One request: the question's index, seconds from send to answer, the answer JSON or the error."""

    question: int
    seconds: float
    answer: dict | None
    error: str | None


@dataclass(frozen=True)
class Scenario:
    """What one scenario measured."""

    name: str
    outcomes: tuple[Outcome, ...]
    wall_seconds: float


def free_port() -> int:
    """Return a TCP port free on the loopback interface."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def seed_questions(count: int) -> list[str]:
    """Return the first `count` questions of the seed gold set."""
    lines = GOLD_SET.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["question"] for line in lines[:count]]


@contextmanager
def running_app(data_dir: Path, port: int, threads: int | None, ready_timeout: float):
    """Start the app on loopback, wait until it prints "ready", yield its URL, and stop it."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if threads is not None:
        env[THREADS_ENV] = str(threads)
    process = subprocess.Popen(
        [sys.executable, str(APP), "--data-dir", str(data_dir), "--host", HOST, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    output = process.stdout
    assert output is not None  # stdout=PIPE
    timer = threading.Timer(ready_timeout, process.kill)
    timer.start()
    try:
        for line in output:
            if line.startswith("ready in"):
                break
        else:
            raise SystemExit(f"the app exited with code {process.wait()} before it was ready")
        timer.cancel()
        threading.Thread(target=lambda: [None for _ in output], daemon=True).start()
        yield f"http://{HOST}:{port}/"
    finally:
        timer.cancel()
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def busy_cores(count: int):
    """Keep `count` processes spinning on the CPU for the duration of the block."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def ask_all(url: str, questions: list[str], order: list[int], timeout: float) -> list[Outcome]:
    """Ask the questions in the given order from one client; return each request's outcome."""
    from gradio_client import Client

    client = Client(url, verbose=False)
    outcomes = []
    for index in order:
        started = time.perf_counter()
        try:
            job = client.submit(questions[index], [], api_name="/ask")
            outcomes.append(Outcome(index, 0, job.result(timeout=timeout), None))
        except Exception as error:  # any failure of a request is counted, whatever the client raised
            outcomes.append(Outcome(index, 0, None, f"{type(error).__name__}: {error}"[:200]))
        outcomes[-1] = Outcome(index, time.perf_counter() - started, outcomes[-1].answer, outcomes[-1].error)
    return outcomes


def run_serial(url: str, questions: list[str], rounds: int, timeout: float) -> Scenario:
    """Ask every question `rounds` times from one client."""
    started = time.perf_counter()
    outcomes = ask_all(url, questions, [i for _ in range(rounds) for i in range(len(questions))], timeout)
    return Scenario("serial", tuple(outcomes), time.perf_counter() - started)


def run_concurrent(url: str, questions: list[str], clients: int, timeout: float, name: str) -> Scenario:
    """Ask every question once from each of `clients` concurrent clients (each starting at a different question)."""
    count = len(questions)
    orders = [[(start + i) % count for i in range(count)] for start in range(clients)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        results = list(pool.map(lambda order: ask_all(url, questions, order, timeout), orders))
    return Scenario(name, tuple(o for outcomes in results for o in outcomes), time.perf_counter() - started)


def percentile(values: list[float], share: float) -> float:
    """Return the nearest-rank percentile of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))]


def table_row(scenario: Scenario, reference: dict[int, dict | None]) -> str:
    """Return a Markdown table row: requests, errors, differing answers, latency percentiles, throughput."""
    ok = [o for o in scenario.outcomes if o.error is None]
    differing = sum(1 for o in ok if o.answer != reference.get(o.question))
    seconds = [o.seconds * 1000 for o in ok] or [float("nan")]
    return (
        f"| {scenario.name} | {len(scenario.outcomes)} | {len(scenario.outcomes) - len(ok)} | {differing} | "
        f"{statistics.median(seconds):.0f} | {percentile(seconds, 0.95):.0f} | {max(seconds):.0f} | "
        f"{len(ok) / scenario.wall_seconds:.1f} |"
    )


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios against a fresh app process and print the table; return 1 on any error or differing answer."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", type=Path, default=Path(".qa"), help="the app's data dir (default ./.qa; indexed on first start)")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--questions", type=int, default=10)
    parser.add_argument("--serial-rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, help=f"set ${THREADS_ENV} for the app (default: its own policy)")
    parser.add_argument("--burners", type=int, default=os.cpu_count() or 2, help="CPU-spinning processes in the busy scenarios")
    parser.add_argument("--timeout", type=float, default=120, help="seconds one request may take")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 64 or not 1 <= args.questions <= 50:
        parser.error("keep the load bounded: 1-64 clients and 1-50 questions")
    questions = seed_questions(args.questions)
    with running_app(args.data_dir, free_port(), args.threads, ready_timeout=900) as url:
        scenarios = [run_serial(url, questions, args.serial_rounds, args.timeout)]
        scenarios.append(run_concurrent(url, questions, args.clients, args.timeout, f"{args.clients} clients"))
        with busy_cores(args.burners):
            busy_serial = run_serial(url, questions, args.serial_rounds, args.timeout)
            scenarios.append(Scenario(f"serial, {args.burners} busy cores", busy_serial.outcomes, busy_serial.wall_seconds))
            scenarios.append(
                run_concurrent(url, questions, args.clients, args.timeout, f"{args.clients} clients, {args.burners} busy cores")
            )
    reference = {o.question: o.answer for o in scenarios[0].outcomes if o.error is None}
    threads = args.threads if args.threads is not None else f"policy ({os.environ.get(THREADS_ENV) or 'default'})"
    print(f"app threads: {threads}; {args.questions} seed questions; {os.cpu_count()} cores")
    print("| scenario | requests | errors | answers differing from serial | p50 ms | p95 ms | max ms | answers/s |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for scenario in scenarios:
        print(table_row(scenario, reference))
    errors = [o.error for s in scenarios for o in s.outcomes if o.error]
    for error in sorted(set(errors))[:5]:
        print(f"error: {error}", file=sys.stderr)
    differing = sum(1 for s in scenarios for o in s.outcomes if o.error is None and o.answer != reference.get(o.question))
    return 1 if errors or differing else 0


if __name__ == "__main__":
    sys.exit(main())
