"""Loading the built-in ``folk`` data (not a test) as a training run meets it (``load_dataset``: read the
shipped tokens, cut and deduplicate the windows, split by tune), each a fresh process: first on an
empty cache (a fresh machine), then again, median of several.

    python benchmarks/folk_load.py [--repeat 5] [--limit-tunes 0] [--cache DIR]

The tokens ship in the plugin (``vaekit_midi/data/folk.npz``), so nothing is parsed either time;
``benchmarks/shipping/folk_tokens.py`` is what parses the ABC. ``--cache`` times loads with a given cache folder
only. Writes benchmarks/results/folk_load.json and .md.
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

LOAD = """
import sys, time
started = time.perf_counter()
from vaekit import plugins
from vaekit.config import build
midi = plugins.get_modality("midi")
config = build(midi, "mel_2bar", "folk", None, [f"data.limit_tunes={sys.argv[1]}"])
train, val = midi.handler(config).load_dataset("folk", config)
print(time.perf_counter() - started, len(train), len(val))
"""


def load(cache: Path, limit: int) -> tuple[float, int, int]:
    """One fresh process: (seconds from its first import to the datasets, train windows, val windows)."""
    env = {**os.environ, "VAEKIT_CACHE": str(cache)}
    done = subprocess.run([sys.executable, "-c", LOAD, str(limit)], env=env, check=True, capture_output=True,
                          text=True)
    seconds, n_train, n_val = done.stdout.split()
    return float(seconds), int(n_train), int(n_val)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--limit-tunes", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=None, help="a cache folder that already holds the data")
    args = parser.parse_args()
    result = {"limit_tunes": args.limit_tunes, "cpus": os.cpu_count(), "load_before": os.getloadavg()[0]}
    with tempfile.TemporaryDirectory() as tmp:
        cache = args.cache or Path(tmp)
        if args.cache is None:
            started = time.perf_counter()
            _, n_train, n_val = load(cache, args.limit_tunes)
            result["first_load_s"] = time.perf_counter() - started
        times = []
        for _ in range(args.repeat):
            seconds, n_train, n_val = load(cache, args.limit_tunes)
            times.append(seconds)
    result |= {"cached_load_s": {"median": statistics.median(times), "min": min(times), "max": max(times),
                                 "runs": len(times)},
               "train_windows": n_train, "val_windows": n_val, "load_after": os.getloadavg()[0]}
    lines = ["# Loading the built-in folk data", "",
             f"{n_train:,} training and {n_val:,} held-out 2-bar windows "
             f"({'all tunes' if not args.limit_tunes else f'{args.limit_tunes} tunes'}); {os.cpu_count()} CPUs, "
             f"load average {result['load_before']:.1f} before.", "",
             "| step | seconds |", "| --- | ---: |"]
    if "first_load_s" in result:
        lines.append(f"| first load, empty cache, a fresh process (nothing parsed) | {result['first_load_s']:.2f} |")
    c = result["cached_load_s"]
    lines.append(f"| load again, a fresh process: imports, tokens, windows, split (median of {c['runs']}; "
                 f"min {c['min']:.2f}, max {c['max']:.2f}) | {c['median']:.2f} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "folk_load.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / "folk_load.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
