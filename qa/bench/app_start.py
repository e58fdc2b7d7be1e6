"""Start-up of the chat app: start `python app.py` several times on one data dir and time what a user meets.

For each start: seconds from process start until the port answers HTTP 200 (the starting page);
until the page shows a start-up stage (converting, loading, indexing n/N, … from the starting page's
`/qa-status`, or the app's own page, which shows it too); until the app's own page answers; and until
the first answer to a question asked through `/ask` as soon as the app's page is up (it waits for the
model and is then answered). Also the seconds of each start-up stage, as the app prints them. The
first start on an empty data dir converts the model and indexes the seed; later ones reuse the index.
Usage: python -m qa.bench.app_start [--data-dir DIR] [--starts 4] [--port 7871]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"
QUESTION = "獨山港區A3泊位的設計年綜合通過能力是多少？"
STARTING_HEADER = "X-QA-Starting"
STATUS_URL = "qa-status?lang=en"
STARTING_LINE = "Starting…"


@dataclass(frozen=True)
class StartTimes:
    """Seconds from process start to: any page on the port, a start-up stage shown, the app's page, the first answer;
    the answer, whether the index was reused, and the stages the app printed."""

    first_page_s: float
    progress_s: float
    app_page_s: float
    first_answer_s: float
    answer: str | None
    reused: bool
    stages: str


def _page(url: str) -> str | None:
    """Return 'starting' or 'app' for the page the URL serves now, None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return "starting" if response.headers.get(STARTING_HEADER) else "app"
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def _stage(url: str) -> str | None:
    """Return the start-up stage line the starting page shows now, None when it shows none (or the app has taken over)."""
    try:
        with urllib.request.urlopen(url + STATUS_URL, timeout=5) as response:
            line = response.read().decode("utf-8")
            return line if response.headers.get(STARTING_HEADER) and line != STARTING_LINE else None
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


def time_start(data_dir: Path, port: int, timeout: float = 600) -> StartTimes:
    """Start the app once and return its StartTimes; the process is stopped afterwards."""
    from gradio_client import Client

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    log = data_dir.parent / f"{data_dir.name}.app-start.log"
    url = f"http://127.0.0.1:{port}/"
    started = time.perf_counter()
    with log.open("w", encoding="utf-8") as output:
        process = subprocess.Popen(
            [sys.executable, str(APP), "--data-dir", str(data_dir), "--port", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            first_page = progress = app_page = None
            while app_page is None:
                if process.poll() is not None or time.perf_counter() - started > timeout:
                    raise SystemExit(f"the app did not serve its page (exit code {process.poll()}); see {log}")
                served = _page(url)
                now = time.perf_counter() - started
                if served and first_page is None:
                    first_page = now
                if served == "starting" and progress is None and _stage(url):
                    progress = time.perf_counter() - started
                if served == "app":
                    app_page = now
                    progress = now if progress is None else progress
                time.sleep(0.05)
            answer = Client(url, verbose=False).predict(QUESTION, [], api_name="/ask")
            first_answer = time.perf_counter() - started
            assert first_page is not None and progress is not None  # set no later than app_page
        finally:
            process.terminate()
            process.wait(timeout=30)
    printed = log.read_text(encoding="utf-8")
    stages = next((line.removeprefix("start-up stages: ") for line in printed.splitlines() if line.startswith("start-up stages: ")), "")
    return StartTimes(first_page, progress, app_page, first_answer, answer["answer"], "reused the index" in printed, stages)


def main(argv: list[str] | None = None) -> int:
    """Print each start's times and the medians over the starts that reused the index; return 0."""
    parser = argparse.ArgumentParser(prog="python -m qa.bench.app_start", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(".qa"))
    parser.add_argument("--starts", type=int, default=4)
    parser.add_argument("--port", type=int, default=7871)
    args = parser.parse_args(argv)
    load = os.getloadavg()
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    print("| start | index | page on the port (s) | stage shown (s) | app page (s) | first answer (s) | answer | stages behind the page |")
    print("|---|---|---|---|---|---|---|---|")
    reused = []
    for number in range(1, args.starts + 1):
        times = time_start(args.data_dir, args.port)
        print(
            f"| {number} | {'reused' if times.reused else 'built'} | {times.first_page_s:.1f} | {times.progress_s:.1f} | "
            f"{times.app_page_s:.1f} | "
            f"{times.first_answer_s:.1f} | {times.answer} | {times.stages} |",
            flush=True,
        )
        if times.reused:
            reused.append(times)
    if reused:
        median = lambda values: statistics.median(values)  # noqa: E731
        print(
            f"median over {len(reused)} starts reusing the index: page {median([t.first_page_s for t in reused]):.1f} s, "
            f"stage shown {median([t.progress_s for t in reused]):.1f} s, "
            f"app page {median([t.app_page_s for t in reused]):.1f} s, first answer {median([t.first_answer_s for t in reused]):.1f} s"
        )
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
