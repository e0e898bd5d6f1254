"""Whole-process latency (not a test): ``vaekit --help``, ``vaekit interpolate`` with each shipped melody
model between two pop melodies, and ``vaekit generate -n 64`` with the shipped image models, each the
median of several runs, as a user meets them after installing the plugins.

    python benchmarks/latency.py [--repeat 7]

Writes benchmarks/results/latency.json and latency.md. Goals: --help under 0.3 s (issue 6),
``vaekit interpolate NAME a.mid b.mid`` under 2 s (issue 15), generate -n 64 under 3 s (issue 6).
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

from shipped import cpu

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
    shipped = json.loads(subprocess.run([sys.executable, "-m", "vaekit", "models", "--json"], env=env, check=True,
                                        capture_output=True, text=True).stdout)
    results = {"vaekit --help": median_of(args.repeat, "--help", env=env)}
    for model in shipped:
        name = model["name"]
        if model["modality"] == "midi":  # two held-out pop melodies as long as the model's windows
            tunes = tmp / f"tunes-{name}"
            vaekit("datasets", "export", "pop", "--n", "2", "--preset", model["preset"], "--out", str(tunes), env=env)
            a, b = sorted(tunes.glob("*.mid"))[:2]
            results[f"vaekit interpolate {name} a.mid b.mid --steps 8"] = median_of(
                args.repeat, "interpolate", name, str(a), str(b), "--steps", "8", "--out", str(tmp / "mix.mid"),
                env=env)
        elif model["modality"] == "image":
            results[f"vaekit generate {name} -n 64"] = median_of(
                args.repeat, "generate", name, "-n", "64", "--out", str(tmp / name), env=env)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latency.json").write_text(json.dumps(results, indent=2) + "\n")
    lines = ["# Whole-process latency", "", f"{cpu()}; median of {args.repeat} runs each; load average before "
             f"{os.getloadavg()[0]:.1f}.", "", "| command | median s | min s | max s |", "| --- | --- | --- | --- |"]
    for name, r in results.items():
        lines.append(f"| `{name}` | {r['median_s']:.2f} | {r['min_s']:.2f} | {r['max_s']:.2f} |")
    (RESULTS / "latency.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
