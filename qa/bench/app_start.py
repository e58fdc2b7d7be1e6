"""Time to ready of the chat app: start `python app.py` several times on one data dir and time each start.

A start is ready when the page answers HTTP 200 after the app printed "ready" (index prepared, model
warmed). The first start on an empty data dir indexes the seed; the later ones reuse the index.
Usage: python -m qa.bench.app_start [--data-dir DIR] [--starts 4] [--port 7871]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app.py"


def time_start(data_dir: Path, port: int) -> tuple[float, bool]:
    """Start the app once and return (seconds until the page is served and ready, whether the index was reused)."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, str(APP), "--data-dir", str(data_dir), "--port", str(port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        reused = False
        for line in process.stdout:
            reused = reused or line.startswith("reused the index")
            if line.startswith("ready in"):
                break
        else:
            raise SystemExit(f"the app exited with code {process.wait()}")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=30) as response:
            response.read()
        return time.perf_counter() - started, reused
    finally:
        process.terminate()
        process.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    """Print the time to ready of each start and the median over the starts that reused the index; return 0."""
    parser = argparse.ArgumentParser(prog="python -m qa.bench.app_start", description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path(".qa"))
    parser.add_argument("--starts", type=int, default=4)
    parser.add_argument("--port", type=int, default=7871)
    args = parser.parse_args(argv)
    reused_times = []
    for number in range(1, args.starts + 1):
        seconds, reused = time_start(args.data_dir, args.port)
        print(f"start {number}: ready in {seconds:.1f} s ({'index reused' if reused else 'indexed'})", flush=True)
        if reused:
            reused_times.append(seconds)
    if reused_times:
        print(f"median time to ready, index reused: {statistics.median(reused_times):.1f} s over {len(reused_times)} starts")
    return 0


if __name__ == "__main__":
    sys.exit(main())
