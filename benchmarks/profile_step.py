"""Where a training step's time goes (not a test): torch.profiler over a few steps of the real trainer's
``train_step``, after warm-up, printing the operators by self CPU time. The profiles quoted in
benchmarks/README.md come from this script.

    python benchmarks/profile_step.py --modality midi --preset mel_2bar --set data.limit_tunes=1500
    python benchmarks/profile_step.py --modality image --preset conv --data digits
"""

from __future__ import annotations

import argparse
import tempfile
import time

from torch.profiler import ProfilerActivity, profile

from vaekit import plugins
from vaekit.config import build
from vaekit.devices import pick_device
from vaekit.runs import RunDir
from vaekit.training import Trainer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--modality", default="midi")
    parser.add_argument("--preset", default=None)
    parser.add_argument("--data", default=None)
    parser.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--warmup", type=int, default=30, help="steps before profiling")
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--rows", type=int, default=15)
    args = parser.parse_args()

    modality = plugins.get_modality(args.modality)
    config = build(modality, args.preset, args.data, None, [*args.overrides, "train.steps=1000000"])
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(modality, config, RunDir(tmp), pick_device(args.device), progress=False)
        # the step the profile starts at matters for decoders whose work changes with the step
        for step in range(args.warmup):
            trainer.train_step(step)
        started = time.perf_counter()
        with profile(activities=[ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if args.device == "cuda" else [])) \
                as prof:
            for step in range(args.warmup, args.warmup + args.steps):
                trainer.train_step(step)
        seconds = time.perf_counter() - started
    batch = config["train"]["batch_size"]
    print(f"{args.modality} {config['preset']}: {args.steps} steps of batch {batch} in {seconds:.2f} s under the "
          f"profiler ({args.steps * batch / seconds:,.0f} items/s; the profiler adds overhead)")
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=args.rows))


if __name__ == "__main__":
    main()
