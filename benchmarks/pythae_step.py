"""One training step of pythae's MNIST conv nets (17.2M parameters), timed and optionally profiled,
with each of vaekit's speed-ups switched on or off: the numbers behind "Images at pythae's
architecture" in benchmarks/README.md. Needs pythae (run it with the benchmark venv's Python):

    /work/bench-venv/bin/python benchmarks/pythae_step.py --bf16 --lower --fused --profile
"""

from __future__ import annotations

import argparse
import time

import torch
from image_mnist import pythae_nets, wrap_pythae
from lowering import lower_convolutions

from vaekit import objective


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--batch", type=int, default=100)
    p.add_argument("--steps", type=int, default=12)
    p.add_argument("--bf16", action="store_true", help="bf16 autocast")
    p.add_argument("--lower", action="store_true", help="few-pixel convolutions as one matmul")
    p.add_argument("--fused", action="store_true", help="fused Adam")
    p.add_argument("--channels-last", action="store_true")
    p.add_argument("--profile", action="store_true", help="then profile 3 steps, by layer shape")
    args = p.parse_args()
    torch.manual_seed(0)
    _, enc, dec = pythae_nets(16)
    model = wrap_pythae(enc, dec, logits=True, bf16=args.bf16)  # as image_mnist.py trains them
    if args.lower:
        lower_convolutions(model)
    if args.channels_last:
        model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=args.fused)
    x = torch.bernoulli(torch.rand(args.batch, 1, 28, 28) * 0.3)
    x_in = x.contiguous(memory_format=torch.channels_last) if args.channels_last else x

    def step() -> None:
        out = model(x_in, x)
        optimizer.zero_grad(set_to_none=True)
        objective.elbo(out.log_px, out.kl).loss.backward()
        optimizer.step()

    for _ in range(3):
        step()
    started = time.perf_counter()
    for _ in range(args.steps):
        step()
    print(f"{args.steps * args.batch / (time.perf_counter() - started):.0f} images/s")
    if args.profile:
        from torch.profiler import profile

        with profile(record_shapes=True) as prof:
            for _ in range(3):
                step()
        print(prof.key_averages(group_by_input_shape=True).table(sort_by="self_cpu_time_total", row_limit=15,
                                                                  max_name_column_width=30, max_shapes_column_width=80))


if __name__ == "__main__":
    main()
