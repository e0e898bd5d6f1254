"""A trained run opened for use: the verbs of the command line as Python methods. The CLI only parses
options, calls these and prints.

    p = vaekit.load("runs/melody")
    steps = p.interpolate("a.mid", "b.mid", steps=8, out="mix.mid", wav="mix.wav")
    p.written  # [PosixPath('mix.wav'), PosixPath('mix.mid')]
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaekit import checkpoint, evaluation, plugins, runs
from vaekit.batches import fetch
from vaekit.config import Config
from vaekit.devices import pick_device
from vaekit.errors import VaekitError
from vaekit.files import atomic_file
from vaekit.modality import Modality
from vaekit.model import VAE
from vaekit.runs import RunDir


class Pipeline:
    def __init__(self, run: RunDir, config: Config, modality: Modality, model: VAE):
        self.run, self.config, self.modality, self.model = run, config, modality, model
        #: The files the last generate, interpolate or reconstruct wrote, in the order written.
        self.written: list[Path] = []

    @property
    def run_dir(self) -> Path:
        return self.run.path

    @classmethod
    def open(cls, run_dir: str | Path, device: str = "cpu", weights: str = "best") -> Pipeline:
        """Load config and weights, ``best`` (``last`` where no best was saved yet) or ``last``;
        never unpickles."""
        run = RunDir(run_dir)
        config = run.read_config()
        try:
            modality = plugins.get_modality(config["modality"])
        except VaekitError as e:
            raise VaekitError(f"{run.file(runs.CONFIG)}: {e}") from None
        if config.get("preset") not in modality.presets():
            raise VaekitError(f"{run.file(runs.CONFIG)}: preset {config.get('preset')!r} does not exist "
                              f"in the installed {modality.name} plugin")
        try:
            model = modality.build_model(config)
        except (KeyError, TypeError, ValueError) as e:
            raise VaekitError(f"{run.file(runs.CONFIG)}: cannot build the model ({type(e).__name__}: {e})") from None
        best = run.file(runs.BEST)
        checkpoint.load_model_weights(best if weights == "best" and best.exists() else run.file(runs.LAST), model)
        model.to(pick_device(device)).eval()
        return cls(run, config, modality, model)

    # inputs ---------------------------------------------------------------------------------

    def read(self, path: str | Path, index: int = 0) -> torch.Tensor:
        """Item ``index`` of a user file, saying so when the file holds several."""
        path = Path(path)
        if not path.exists():
            raise VaekitError(f"{path}: no such file")
        if self.modality.file_types and path.suffix.lower() not in self.modality.file_types:
            raise VaekitError(f"{path}: the {self.modality.name} modality reads {', '.join(self.modality.file_types)}")
        items = self.modality.read(path, self.config)
        if not 0 <= index < len(items):
            raise VaekitError(f"{path}: holds {len(items)} item(s); index {index} is out of range")
        if len(items) > 1:
            print(f"{path}: holds {len(items)} items; using number {index} (--index picks another)", file=sys.stderr)
        return items[index]

    def _write_extras(self, x: torch.Tensor, png: str | Path | None, wav: str | Path | None) -> None:
        """Start a verb's outputs with its audio and picture of ``x``, before the main outputs, so that a
        missing synthesizer stops the verb cleanly with nothing written."""
        self.written = []
        if wav is not None:
            self.modality.write_audio(x, Path(wav), self.config)
            self.written.append(Path(wav))
        if png is not None:
            self.modality.render(x, Path(png), self.config)
            self.written.append(Path(png))

    # verbs: each writes its outputs where asked (out: the modality's layout; png: a picture; wav: audio)
    # and lists the files in ``self.written``

    def generate(self, n: int = 8, temperature: float = 1.0, seed: int = 0, out: str | Path | None = None,
                 png: str | Path | None = None, wav: str | Path | None = None) -> torch.Tensor:
        """``n`` samples from the prior; the same seed gives the same samples."""
        generator = torch.Generator().manual_seed(seed)
        torch.manual_seed(seed)
        x = self.model.sample(n, temperature, generator=generator).cpu()
        self._write_extras(x, png, wav)
        if out is not None:
            self.written += self.modality.write_samples(x, Path(out), self.config)
        return x

    def interpolate(self, a: str | Path, b: str | Path, steps: int = 8, method: str = "slerp",
                    index_a: int = 0, index_b: int = 0, out: str | Path | None = None,
                    png: str | Path | None = None, wav: str | Path | None = None) -> torch.Tensor:
        """Decoded steps from ``a`` to ``b``, endpoints included (their reconstructions)."""
        xa, xb = self.read(a, index_a), self.read(b, index_b)
        try:
            x = self.model.interpolate(xa, xb, steps, method).cpu()
        except ValueError as e:
            raise VaekitError(str(e)) from None
        self._write_extras(x, png, wav)
        if out is not None:
            self.written += self.modality.write_interpolation(x, Path(out), self.config)
        return x

    def reconstruct(self, paths: list[str | Path], index: int = 0, out: str | Path | None = None,
                    png: str | Path | None = None, wav: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and their reconstructions (decoded from the posterior mean); ``png`` and ``wav`` show
        the reconstructions."""
        inputs = torch.stack([self.read(p, index) for p in paths])
        mu, _ = self.model.encode(inputs)
        outputs = self.model.decode(mu).cpu()
        self._write_extras(outputs, png, wav)
        if out is not None:
            names = [Path(p).stem for p in paths]
            self.written += self.modality.write_reconstructions(inputs, outputs, names, Path(out), self.config)
        return inputs, outputs

    def encode(self, paths: list[str | Path] | None = None, data: str | None = None, index: int = 0,
               out: str | Path | None = None) -> dict[str, np.ndarray]:
        """Posterior means (``z``) and log-variances of files, or of a dataset's validation split
        (with ``labels`` where the dataset has them)."""
        result: dict[str, np.ndarray] = {}
        if data is not None:
            _, val = self.modality.load_dataset(data, copy.deepcopy(self.config))
            mus, logvars, labels = [], [], []
            for start in range(0, len(val), 256):
                parts = fetch(val, torch.arange(start, min(start + 256, len(val))))
                mu, logvar = self.model.encode(parts[0])
                mus.append(mu.cpu())
                logvars.append(logvar.cpu())
                if len(parts) > 2:
                    labels.append(parts[2])
            result["z"], result["logvar"] = torch.cat(mus).numpy(), torch.cat(logvars).numpy()
            if labels:
                result["labels"] = torch.cat(labels).numpy()
        else:
            inputs = torch.stack([self.read(p, index) for p in paths or []])
            mu, logvar = self.model.encode(inputs)
            result = {"z": mu.cpu().numpy(), "logvar": logvar.cpu().numpy(),
                      "names": np.array([str(p) for p in paths or []])}
        if out is not None:
            with atomic_file(out) as f:
                np.savez(f, **result)
        return result

    def evaluate(self, data: str | None = None, k: int = 100, max_items: int | None = None) -> dict[str, Any]:
        """ELBO, importance-weighted NLL (k samples) and the modality's metrics on held-out data:
        the run's own validation split unless ``data`` names another source."""
        config = copy.deepcopy(self.config)
        _, val = self.modality.load_dataset(data or config["data"]["source"], config)
        return evaluation.evaluate(self.model, self.modality, val, k=k, max_items=max_items,
                                   batch_size=min(64, self.config["train"]["batch_size"]))
