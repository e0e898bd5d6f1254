"""Whether a melody model's reconstructions keep a melody's rests and repeated bars (issue 28: "rests
become held notes, four identical bars come back four different ways"): every held-out window of pop and
folk (their validation split, by song and tune), encoded to its posterior mean and decoded greedily.

- rests: of the steps where the input sounds no note, the share silent in the reconstruction, and of its
  bars that sound nothing (how many), the share still silent;
- repeats: of the input's bars that repeat an earlier bar of the window note for note, the share whose
  reconstruction repeats that same bar's reconstruction; and how many bars repeat in each;
- note F1 (onset, pitch and duration) for reference.

    python benchmarks/reconstruction_form.py [MODEL ...]   # shipped names or run folders; default mel_16bar

Writes benchmarks/results/reconstruction_form.{json,md} (one row per model and data, kept from earlier
calls for other models).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch
from shipped import RESULTS, cpu
from vaekit_midi.key_hold import repeated_from
from vaekit_midi.tokens import decode

import vaekit

FILE = RESULTS / "reconstruction_form.json"


def sounding(tokens: np.ndarray) -> np.ndarray:
    """Per step, whether a note sounds."""
    out = np.zeros(len(tokens), bool)
    for start, end, _ in decode(tokens):
        out[start:end] = True
    return out


def repeats(bars: np.ndarray) -> np.ndarray:
    """For each bar ``(B, 16)``, the earlier bar it repeats note for note (-1: none; silent bars apart)."""
    return np.where((bars >= 2).any(1), repeated_from(torch.from_numpy(bars)[None])[0], -1)


def measure(inputs: np.ndarray, outputs: np.ndarray, spb: int = 16) -> dict[str, float]:
    silent_in = silent_kept = bars_in = bars_kept = rep_in = rep_kept = rep_out = bars_total = 0
    for x, y in zip(inputs, outputs):
        sx, sy = sounding(x), sounding(y)
        silent_in += int((~sx).sum())
        silent_kept += int((~sx & ~sy).sum())
        quiet_x, quiet_y = (~sx).reshape(-1, spb).all(1), (~sy).reshape(-1, spb).all(1)
        bars_in += int(quiet_x.sum())
        bars_kept += int((quiet_x & quiet_y).sum())
        rx, ry = repeats(x.reshape(-1, spb)), repeats(y.reshape(-1, spb))
        yb = y.reshape(-1, spb)
        for j, i in enumerate(rx.tolist()):
            if i >= 0:
                rep_in += 1
                rep_kept += int((yb[j] == yb[i]).all())
        rep_out += int((ry >= 0).sum())
        bars_total += len(rx)
    return {"silent_steps_kept": silent_kept / max(silent_in, 1), "silent_bars": bars_in,
            "silent_bars_kept": bars_kept / bars_in if bars_in else None,
            "repeated_bars_kept": rep_kept / max(rep_in, 1), "bars_repeating_input": rep_in / bars_total,
            "bars_repeating_reconstruction": rep_out / bars_total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["mel_16bar"])
    args = parser.parse_args()
    torch.set_num_threads(1)
    report = json.loads(FILE.read_text()) if FILE.exists() else {"rows": {}}
    report["cpu"] = cpu()
    for name in args.models:
        p = vaekit.load(name)
        for data in ("pop", "folk"):
            _, val = p.handler.load_dataset(data, json.loads(json.dumps(p.config)))
            x = val.windows.long()
            with torch.no_grad():
                y = torch.cat([p.model.decode(p.model.encode(x[i:i + 256])[0], 0.0) for i in range(0, len(x), 256)])
            row = {k: v if v is None or isinstance(v, int) else round(v, 4)
                   for k, v in measure(x.numpy(), y.numpy()).items()}
            row["windows"] = len(x)
            report["rows"][f"{name} on held-out {data}"] = row
            print(name, data, row, flush=True)
    FILE.write_text(json.dumps(report, indent=2) + "\n")
    keys = ["silent_steps_kept", "silent_bars", "silent_bars_kept", "repeated_bars_kept", "bars_repeating_input",
            "bars_repeating_reconstruction", "windows"]
    lines = ["# Rests and repeated bars in reconstructions", "",
             f"CPU: {report['cpu']}; `benchmarks/reconstruction_form.py`; every held-out window, z = mu, greedy.", "",
             "| | " + " | ".join(keys) + " |", "|---|" + "---:|" * len(keys)]
    lines += [f"| {name} | " + " | ".join("-" if row.get(k) is None else str(row[k]) for k in keys) + " |"
              for name, row in report["rows"].items()]
    (RESULTS / "reconstruction_form.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
