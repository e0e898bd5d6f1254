"""Whole-process latency (not a test): ``vaekit --help``, ``vaekit interpolate`` on a mel_2bar run and
``vaekit generate -n 64`` on an image run, each the median of several runs, as a user would meet them.
Trains tiny runs of the real default presets first (latency depends on model size, not quality).

    python benchmarks/latency.py [--repeat 7]

Writes benchmarks/results/latency.json and latency.md. Goals (issue 6): --help under 0.3 s,
interpolate under 3 s, generate -n 64 under 3 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


def vaekit(*args: str, env: dict[str, str]) -> float:
    """Seconds one ``vaekit`` process takes, start to exit."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "vaekit", *args], env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def median_of(repeat: int, *args: str, env: dict[str, str]) -> dict[str, float]:
    times = [vaekit(*args, env=env) for _ in range(repeat)]
    return {"median_s": statistics.median(times), "min_s": min(times), "max_s": max(times), "runs": repeat}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="vaekit-latency-"))
    env = {**os.environ, "VAEKIT_CACHE": os.environ.get("VAEKIT_CACHE", str(tmp / "cache"))}
    quiet = ["--no-progress", "--force"]
    vaekit("train", "-m", "midi", "--set", "data.limit_tunes=200", "--steps", "2", "--out", str(tmp / "mel"), *quiet,
           env=env)
    vaekit("datasets", "export", "folk", "--n", "2", "--set", "data.limit_tunes=200", "--out", str(tmp / "tunes"),
           env=env)
    vaekit("train", "-m", "image", "--data", "digits", "--steps", "2", "--out", str(tmp / "img"), *quiet, env=env)
    a, b = sorted((tmp / "tunes").glob("*.mid"))[:2]
    results = {
        "vaekit --help": median_of(args.repeat, "--help", env=env),
        "vaekit interpolate (mel_2bar, 8 steps, one .mid)": median_of(
            args.repeat, "interpolate", str(tmp / "mel"), str(a), str(b), "--steps", "8", "--out", str(tmp / "mix.mid"),
            env=env),
        "vaekit generate -n 64 (image conv, digits)": median_of(
            args.repeat, "generate", str(tmp / "img"), "-n", "64", "--out", str(tmp / "gen"), env=env),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latency.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["# Whole-process latency", "", f"Median of {args.repeat} runs each; load average before "
             f"{os.getloadavg()[0]:.1f}.", "", "| command | median s | min s | max s |", "| --- | --- | --- | --- |"]
    for name, r in results.items():
        lines.append(f"| `{name}` | {r['median_s']:.2f} | {r['min_s']:.2f} | {r['max_s']:.2f} |")
    (RESULTS / "latency.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
