"""GPU check (not a test): on a CUDA machine, the training throughput of both plugins with and without
bf16 autocast, and the loss of the same weights on the same held-out batch on the GPU beside the CPU.
Writes benchmarks/results/gpu.json and gpu.md. Run through ``bash benchmarks/gpu.sh`` (about 3 minutes
on one GPU); ``--device cpu`` runs the same code here, to check the script itself.

Throughput comes from the real trainer (``vaekit.training.train``), median of its logged windows after
the first. Agreement: z = the posterior mean, the decoder in eval mode (no scheduled sampling), the
sum of log p(x|z) over the batch; tolerances are relative, 1% in fp32 (cuDNN convolutions use TF32)
and 3% under bf16.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

from vaekit import plugins
from vaekit.batches import fetch
from vaekit.config import build
from vaekit.training import train

RESULTS = Path(__file__).parent / "results"
TOLERANCE = {False: 0.01, True: 0.03}

# (plugin, preset, dataset, overrides): small slices of the built-in data, so the check starts in seconds.
CASES = [
    ("midi", "mel_2bar", "folk", ["data.limit_tunes=1500"]),
    ("midi", "mel_16bar", "folk", ["data.limit_tunes=600"]),
    ("image", "conv", "shapes", ["data.size=32", "data.count=4000"]),
    ("image", "resnet", "shapes", ["data.size=64", "data.count=2000"]),
]


def set_bf16(model: torch.nn.Module, bf16: bool) -> None:
    for module in model.modules():
        if hasattr(module, "bf16"):
            module.bf16 = bf16


@torch.no_grad()
def log_px(model: torch.nn.Module, batch: tuple[torch.Tensor, ...]) -> float:
    x_in, x_target = batch[0], batch[1]
    mu, _ = model.encoder(x_in)
    logits = model.decoder(mu, x_target)
    return model.decoder.log_prob(logits, x_target).sum().item()


def agreement(plugin: str, preset: str, source: str, overrides: list[str], device: str) -> dict:
    """log p(x|z=mu) of one held-out batch: CPU fp32 beside the device in fp32 and in bf16."""
    modality = plugins.get_modality(plugin)
    config = build(modality, preset, source, None, overrides)
    handler = modality.handler(config)
    _, val = handler.load_dataset(source, config)
    torch.manual_seed(0)
    model = handler.build_model(config).eval()
    batch = fetch(val, torch.arange(min(64, len(val))))
    set_bf16(model, False)
    reference = log_px(model, batch)
    on_device = copy.deepcopy(model).to(device)
    batch = tuple(t.to(device) for t in batch)
    result = {"cpu_fp32": reference}
    for bf16 in (False, True):
        set_bf16(on_device, bf16)
        value = log_px(on_device, batch)
        gap = abs(value - reference) / abs(reference)
        result[f"{device}_{'bf16' if bf16 else 'fp32'}"] = value
        result[f"gap_{'bf16' if bf16 else 'fp32'}"] = gap
        result[f"ok_{'bf16' if bf16 else 'fp32'}"] = gap <= TOLERANCE[bf16]
    return result


def throughput(plugin: str, preset: str, source: str, overrides: list[str], device: str, bf16: bool,
               steps: int) -> dict:
    modality = plugins.get_modality(plugin)
    settings = [f"model.bf16={json.dumps(bf16)}", f"train.steps={steps}", "train.log_every=10",
                "train.eval_every=100000", "train.time_limit=null", "train.epochs=null"]
    config = build(modality, preset, source, None, overrides + settings)
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        train(modality, config, Path(tmp) / "run", device=device, force=True, progress=False)
        seconds = time.perf_counter() - started
        rows = [json.loads(line) for line in (Path(tmp) / "run" / "metrics.jsonl").read_text().splitlines()]
    rates = [r["examples_per_s"] for r in rows if r["split"] == "train"][1:]  # the first holds warm-up
    return {"examples_per_s": statistics.median(rates), "windows": len(rates), "seconds": seconds,
            "final_loss": [r["loss"] for r in rows if r["split"] == "train"][-1]}


def markdown(result: dict) -> str:
    lines = [f"# GPU check: {result['device_name']}", "",
             f"torch {result['torch']}; {result['steps']} training steps a case (median of logged windows of 10 "
             "steps, the first left out). Agreement: sum of log p(x|z=mu) over 64 held-out items, relative gap "
             "to the CPU in fp32.", "",
             "| preset | data | fp32 items/s | bf16 items/s | bf16 speed-up | fp32 gap to CPU | bf16 gap to CPU |",
             "| --- | --- | ---: | ---: | ---: | ---: | ---: |"]
    for case in result["cases"]:
        fp32, bf16, agree = case["fp32"], case["bf16"], case["agreement"]
        lines.append(
            f"| `{case['preset']}` | {case['data']} | {fp32['examples_per_s']:,.0f} | {bf16['examples_per_s']:,.0f} "
            f"| {bf16['examples_per_s'] / fp32['examples_per_s']:.2f}x "
            f"| {100 * agree['gap_fp32']:.3f}% {'ok' if agree['ok_fp32'] else 'FAIL'} "
            f"| {100 * agree['gap_bf16']:.3f}% {'ok' if agree['ok_bf16'] else 'FAIL'} |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--tag", default="gpu")
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        raise SystemExit("benchmarks/gpu.py: this torch sees no CUDA device (torch.cuda.is_available() is False)")
    name = torch.cuda.get_device_name(args.device) if args.device.startswith("cuda") else args.device
    result = {"device_name": name, "torch": torch.__version__, "steps": args.steps, "cases": []}
    for plugin, preset, source, overrides in CASES:
        case = {"preset": preset, "data": source, "overrides": overrides,
                "agreement": agreement(plugin, preset, source, overrides, args.device)}
        for bf16 in (False, True):
            case["bf16" if bf16 else "fp32"] = throughput(plugin, preset, source, overrides, args.device, bf16,
                                                          args.steps)
        result["cases"].append(case)
        print(json.dumps(case), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.tag}.json").write_text(json.dumps(result, indent=2) + "\n")
    (RESULTS / f"{args.tag}.md").write_text(markdown(result))
    print(markdown(result))
    failed = [c["preset"] for c in result["cases"] if not (c["agreement"]["ok_fp32"] and c["agreement"]["ok_bf16"])]
    if failed:
        raise SystemExit(f"benchmarks/gpu.py: GPU results differ from the CPU beyond tolerance for {failed}")


if __name__ == "__main__":
    main()
