"""What the scripts that make and measure shipped models share: the CPU they ran on, the held-out
figures of a melody model, and putting a trained run into a plugin's ``models/NAME/`` folder (config,
best weights, extra files, and a card of its figures)."""

from __future__ import annotations

import json
import platform
import shutil
from pathlib import Path
from typing import Any

import torch

from vaekit import runs

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
FIGURES = ("acc_tf", "acc_sampled", "note_f1")


def cpu() -> str:
    """The CPU's name, torch's threads, and whether bf16 autocast is on here (AMX)."""
    name = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                 if line.startswith("model name")), platform.processor())
    amx = bool(getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)())
    return f"{name}, {torch.get_num_threads()} threads, AMX/bf16 {'yes' if amx else 'no'}"


def chorales(folder: Path, first: int = 0, count: int = 100) -> Path:
    """Bach chorales ``first`` to ``first + count`` of music21's corpus, copied into ``folder``: melodies
    (four voices each) that no shipped model trained on."""
    import music21

    folder.mkdir(parents=True, exist_ok=True)
    for path in sorted((Path(music21.__file__).parent / "corpus" / "bach").glob("bwv*.mxl"))[first:first + count]:
        shutil.copy(path, folder / path.name)
    return folder


def melody_figures(p: Any, chorale_dir: Path, max_items: int | None = None) -> dict[str, dict[str, float]]:
    """acc_tf / acc_sampled / note F1 (z = mu, greedy) and the windows scored: on the held-out folk tunes
    and pop songs (their validation split; at most ``max_items`` windows each), and on every window of
    the chorales in ``chorale_dir``."""
    from vaekit import evaluation

    found = {}
    for name in ("folk", "pop"):
        _, val = p.handler.load_dataset(name, json.loads(json.dumps(p.config)))
        found[name] = evaluation.evaluate(p.model, p.handler, val, k=0, batch_size=256, max_items=max_items)
    found["bach_chorales"] = p.evaluate(str(chorale_dir), k=0)
    return {name: {**{f: round(v[f], 4) for f in FIGURES}, "windows": v["items"]} for name, v in found.items()}


def package(run: Path, folder: Path, card: dict[str, Any], extra: tuple[str, ...] = (), half: bool = False,
            compress: bool = False, data: dict[str, Any] | None = None) -> None:
    """Copy ``run``'s config and best weights (as float16 with ``half``, half the size; with ``compress``,
    large matrices as int8 and the rest float16, a quarter of it: see ``vaekit.checkpoint.compress``;
    both load into float32 models) and ``extra`` files into ``folder`` beside ``card.json``; ``data``
    replaces config keys under data (its source is what ``vaekit evaluate NAME`` scores without --data)."""
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file

    from vaekit.checkpoint import compress as compressed

    folder.mkdir(parents=True, exist_ok=True)
    config = json.loads((run / runs.CONFIG).read_text())
    config["data"].update(data or {})
    (folder / runs.CONFIG).write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    tensors = load_file(run / runs.BEST)
    if compress:
        tensors = compressed(tensors)
    elif half:
        tensors = {k: v.half() if v.is_floating_point() else v for k, v in tensors.items()}
    with safe_open(str(run / runs.BEST), "pt") as f:
        metadata = f.metadata()
    save_file(tensors, folder / runs.BEST, metadata=metadata)
    (folder / runs.BEST).chmod(0o644)  # safetensors writes 0600; a package's files are readable by all
    for name in extra:
        shutil.copy(run / name, folder / name)
    (folder / "card.json").write_text(json.dumps(card, indent=2) + "\n")


def write_result(name: str, result: dict[str, Any]) -> None:
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"shipped_{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
