"""Training speed of a melody preset with bf16 autocast on and off, back to back on one machine:

    python benchmarks/bf16_speed.py --preset mel_2bar --time-limit 3m

Two ``vaekit train`` runs of the preset on ``folk`` (seed 0, same time limit), one with
``model.bf16=true`` and one with ``model.bf16=false`` (what ``auto`` picks on a CPU without AMX). Each
run's speed is the median of its logged windows/s, the first log (warm-up) left out. On a CPU without
AMX or AVX512-BF16, ``true`` only emulates bf16: the pair shows what forcing it costs there. Writes
``benchmarks/results/bf16_speed_PRESET.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from shipped import RESULTS, cpu

import vaekit
from vaekit import runs


def speed(preset: str, bf16: str, time_limit: str, out: Path) -> dict[str, float]:
    vaekit.train("midi", preset, "folk", time_limit=time_limit, out=out, seed=0, progress=False,
                 overrides=[f"model.bf16={bf16}"])
    rows = [r for r in runs.RunDir(out).read_metrics() if "examples_per_s" in r][1:]
    return {"windows_per_s": round(statistics.median(r["examples_per_s"] for r in rows)), "steps": rows[-1]["step"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="mel_2bar")
    parser.add_argument("--time-limit", default="3m")
    args = parser.parse_args()
    result = {"preset": args.preset, "cpu": cpu(), "time_limit": args.time_limit}
    with tempfile.TemporaryDirectory() as tmp:
        for bf16 in ("false", "true"):
            result[f"bf16_{bf16}"] = speed(args.preset, bf16, args.time_limit, Path(tmp) / bf16)
    off, on = result["bf16_false"]["windows_per_s"], result["bf16_true"]["windows_per_s"]
    lines = [f"# bf16 autocast on and off: {args.preset}", "",
             f"{result['cpu']}; {args.time_limit} each, back to back.", "",
             "| model.bf16 | windows/s (median) | steps |", "| --- | ---: | ---: |",
             f"| false | {off} | {result['bf16_false']['steps']} |",
             f"| true | {on} | {result['bf16_true']['steps']} |", "",
             f"bf16 on: {on / off:.2f}x the speed of bf16 off."]
    (RESULTS / f"bf16_speed_{args.preset}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"bf16_speed_{args.preset}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
