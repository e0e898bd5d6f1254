"""The verbs of the command line as Python: ``train`` makes a run, and a trained run opened as a
``Pipeline`` has the others as methods. The CLI only parses options, calls these and prints.

    run_dir = vaekit.train("midi", preset="mel_2bar", time_limit="5m", out="runs/melody")
    p = vaekit.load(run_dir)
    steps = p.interpolate("a.mid", "b.mid", steps=8, out="mix.mid", wav="mix.wav")
    p.written  # [PosixPath('mix.wav'), PosixPath('mix.mid')]
"""

from __future__ import annotations

import copy
import logging
import math
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

from vaekit import capabilities, checkpoint, evaluation, plugins, prior, quality, runs, shipped, training
from vaekit.batches import fetch
from vaekit.capabilities import (
    HasAttributes,
    MeasuresFeatures,
    MeasuresInterpolations,
    MeasuresSamples,
    PlaysAudio,
    Renders,
    need,
)
from vaekit.config import Config, build, merge, migrate, read_toml
from vaekit.devices import pick_device
from vaekit.errors import VaekitError
from vaekit.files import atomic_file
from vaekit.modality import Modality, handler_of
from vaekit.model import VAE
from vaekit.runs import RunDir

log = logging.getLogger(__name__)


def train(modality: str | None = None, preset: str | None = None, data: str | None = None,
          config: str | Path | Config | None = None, overrides: Sequence[str] = (), *, steps: int | None = None,
          epochs: int | None = None, time_limit: str | float | None = None, out: str | Path | None = None,
          resume: bool = False, init_from: str | Path | None = None, force: bool = False, seed: int | None = None,
          device: str = "auto", progress: bool = True) -> Path:
    """Train a run and return its directory, as ``vaekit train`` does.

    A new run of ``modality`` (from ``preset``, a TOML file or a dict of config keys, ``key=value``
    ``overrides``, then ``data``); with ``resume``, the run in ``out`` continued from its last
    checkpoint; with ``init_from``, a new run that starts from that run's weights (and its config unless
    another ``preset`` is named). ``steps``, ``epochs`` and ``time_limit`` replace the preset's stopping
    rule and count the whole run. ``out`` defaults to ``runs/MODALITY-PRESET-TIME``.
    """
    options: Config = {}  # typed arguments, applied after --set
    if any(v is not None for v in (steps, epochs, time_limit)):  # a stopping option replaces the preset's rule
        options["train"] = {"steps": steps, "epochs": epochs, "time_limit": time_limit}
    if seed is not None:
        options.setdefault("train", {})["seed"] = seed
    file_config = read_toml(Path(config)) if isinstance(config, (str, Path)) else copy.deepcopy(config or {})
    modality = modality or file_config.pop("modality", None)
    preset = preset or file_config.pop("preset", None)
    if init_from is not None:
        init_from = shipped.resolve(init_from)
    if resume or init_from:
        if resume and out is None:
            raise VaekitError("--resume needs --out RUN_DIR, the run to continue")
        base_run = RunDir(out if resume else init_from)
        base = base_run.read_config()
        if modality and modality != base["modality"]:
            raise VaekitError(f"{base_run.path}: the run is of modality {base['modality']!r}, not {modality!r}")
        m = plugins.get_modality(base["modality"])
        migrate(base, m)
        keep = resume or not (preset and preset != base["preset"])  # another preset starts from its own config
        run_config = build(m, preset, data, file_config, overrides, options, base=base if keep else None)
    else:
        if not modality:
            raise VaekitError("name a modality with --modality (installed: "
                              f"{', '.join(sorted(plugins.modalities())) or 'none'})")
        m = plugins.get_modality(modality)
        run_config = build(m, preset, data, file_config, overrides, options)
    if out is None:
        out = Path("runs") / f"{run_config['modality']}-{run_config['preset']}-{time.strftime('%Y%m%d-%H%M%S')}"
    return training.train(m, run_config, out, resume=resume, init_from=init_from, device=device, force=force,
                          progress=progress)


def seeded(seed: int) -> torch.Generator:
    """A CPU generator seeded with ``seed`` (any integer torch takes: -2**63 .. 2**64 - 1)."""
    if not -(2**63) <= seed < 2**64:
        raise VaekitError(f"seed {seed} is out of range (-2**63 .. 2**64 - 1)")
    return torch.Generator().manual_seed(seed)


class Pipeline:
    def __init__(self, run: RunDir, config: Config, modality: Modality, model: VAE):
        self.run, self.config, self.modality, self.model = run, config, modality, model
        #: What reads, writes and measures this run's data (``Modality.handler``).
        self.handler = handler_of(modality, config)
        #: The files the last generate, interpolate or reconstruct wrote, in the order written.
        self.written: list[Path] = []

    @property
    def run_dir(self) -> Path:
        return self.run.path

    @classmethod
    def open(cls, run_dir: str | Path, device: str = "cpu", weights: str = "best", prior_file: bool = True) -> Pipeline:
        """Load config and weights, ``best`` (``last`` where no best was saved yet) or ``last``, and with
        the best weights the run's fitted prior (unless ``prior_file`` is False: to refit it); never
        unpickles."""
        run = RunDir(shipped.resolve(run_dir))
        config = run.read_config()
        try:
            modality = plugins.get_modality(config["modality"])
        except VaekitError as e:
            raise VaekitError(f"{run.file(runs.CONFIG)}: {e}") from None
        if config.get("preset") not in modality.presets():
            raise VaekitError(f"{run.file(runs.CONFIG)}: preset {config.get('preset')!r} does not exist "
                              f"in the installed {modality.name} plugin")
        migrate(config, modality)
        try:
            model = handler_of(modality, config).build_model(config)
        except (KeyError, TypeError, ValueError) as e:
            raise VaekitError(f"{run.file(runs.CONFIG)}: cannot build the model ({type(e).__name__}: {e})") from None
        best = run.file(runs.BEST)
        checkpoint.load_model_weights(best if weights == "best" and best.exists() else run.file(runs.LAST), model)
        model.prior = prior.load_prior(run.path) if weights == "best" and prior_file else None  # fitted to the best
        model.to(pick_device(device)).eval()
        return cls(run, config, modality, model)

    # inputs ---------------------------------------------------------------------------------

    def read_items(self, path: str | Path) -> torch.Tensor:
        """Every item of a user file, as the modality reads it; refused unless all its values are finite."""
        path = Path(path)
        if not path.exists():
            raise VaekitError(f"{path}: no such file")
        if self.modality.file_types and path.suffix.lower() not in self.modality.file_types:
            raise VaekitError(f"{path}: the {self.modality.name} modality reads {', '.join(self.modality.file_types)}")
        items = self.handler.read(path, self.config)
        if items.is_floating_point() and not torch.isfinite(items).all():
            raise VaekitError(f"{path}: holds values that are not finite numbers (NaN, infinity, or too large)")
        return items

    def read(self, path: str | Path, index: int = 0) -> torch.Tensor:
        """Item ``index`` of a user file, saying so when the file holds several."""
        path = Path(path)
        items = self.read_items(path)
        if not 0 <= index < len(items):
            raise VaekitError(f"{path}: holds {len(items)} item(s); index {index} is out of range")
        if len(items) > 1:
            log.info(f"{path}: holds {len(items)} items; using number {index} (--index picks another)")
        return items[index]

    def _write_extras(self, x: torch.Tensor, png: str | Path | None, wav: str | Path | None,
                      shown: torch.Tensor | None = None, labels: list[str] | None = None) -> None:
        """Start a verb's outputs with its audio of ``x`` and its picture (of ``shown``, else ``x``, a
        label a row), before the main outputs, so that a missing synthesizer stops the verb cleanly with
        nothing written."""
        self.written = []
        if wav is not None:
            need(self.handler, PlaysAudio, self.modality.name, "writes no audio").write_audio(x, Path(wav), self.config)
            self.written.append(Path(wav))
        if png is not None:
            need(self.handler, Renders, self.modality.name, "draws no pictures").render(
                x if shown is None else shown, Path(png), self.config, labels=labels)
            self.written.append(Path(png))

    def spread(self, spread: float | None = None) -> float:
        """``spread``, or where it is None the run's ``generate.spread``."""
        if spread is None:
            spread = self.config["generate"]["spread"]
        if not spread >= 0:
            raise VaekitError(f"spread {spread} is negative; 1 draws the prior as fitted, 0 its centres")
        return spread

    # verbs: each writes its outputs where asked (out: the modality's layout; png: a picture; wav: audio)
    # and lists the files in ``self.written``

    def generate(self, n: int = 8, temperature: float = 1.0, seed: int = 0, out: str | Path | None = None,
                 png: str | Path | None = None, wav: str | Path | None = None,
                 spread: float | None = None, generator: torch.Generator | None = None) -> torch.Tensor:
        """``n`` samples from the prior; the same seed gives the same samples. ``spread``: how far from
        the prior's centres z is drawn (``vaekit.prior.draw``), by default the run's ``generate.spread``.
        ``generator``: where the draws come from, by default one seeded with ``seed``."""
        spread = self.spread(spread)
        with capabilities.conditioned(self.handler, self.model, self.config, count=n, seed=seed):
            x = self.model.sample(n, temperature, generator=generator or seeded(seed), spread=spread).cpu()
        self._write_extras(x, png, wav, labels=[f"sample {i}" for i in range(n)])
        if out is not None:
            self.written += self.handler.write_samples(x, Path(out), self.config)
        return x

    def interpolate(self, a: str | Path, b: str | Path, steps: int = 8, method: str = "slerp",
                    index_a: int = 0, index_b: int = 0, out: str | Path | None = None,
                    png: str | Path | None = None, wav: str | Path | None = None) -> torch.Tensor:
        """Decoded steps from ``a`` to ``b``, endpoints included (their reconstructions). Where the
        modality reads each input as a span of parts (``capabilities.ReadsSpans``), each step is the whole
        span: part i goes from A's part i to B's, and a step's parts are joined end to end."""
        if capabilities.reads_span(self.handler, self.config):
            xa, xb, x = self._interpolate_spans(a, b, steps, method)
        else:
            xa, xb = self.read(a, index_a), self.read(b, index_b)
            x = self._steps(xa, xb, steps, method)
        # the picture puts the inputs as given above the steps, all on one scale, so that what moved shows
        labels = [f"A: {Path(a).name}", f"B: {Path(b).name}", *(f"step {i}" for i in range(len(x)))]
        self._write_extras(x, png, wav, torch.cat([torch.stack([xa, xb]).cpu(), x]), labels)
        if out is not None:
            self.written += self.handler.write_interpolation(x, Path(out), self.config)
        return x

    def _interpolate_spans(self, a: str | Path, b: str | Path, steps: int,
                           method: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """The spans read from ``a`` and ``b``, each joined into one item, and the steps between them."""
        parts_a, parts_b = self.read_items(a), self.read_items(b)
        if len(parts_a) != len(parts_b):
            raise VaekitError(f"{a} gives a span of {len(parts_a)} items and {b} one of {len(parts_b)}: interpolating "
                              f"spans goes from item i of A to item i of B, so both need as many")
        x = torch.cat([self._steps(pa, pb, steps, method) for pa, pb in zip(parts_a, parts_b)], 1)
        return torch.cat(list(parts_a)), torch.cat(list(parts_b)), x

    def _steps(self, xa: torch.Tensor, xb: torch.Tensor, steps: int, method: str) -> torch.Tensor:
        try:
            with capabilities.conditioned(self.handler, self.model, self.config, xa[None], count=steps):
                return self.model.interpolate(xa, xb, steps, method).cpu()
        except ValueError as e:
            raise VaekitError(str(e)) from None

    def reconstruct(self, paths: list[str | Path], index: int = 0, out: str | Path | None = None,
                    png: str | Path | None = None, wav: str | Path | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and their reconstructions (decoded from the posterior mean); ``png`` and ``wav`` show
        the reconstructions."""
        inputs = torch.stack([self.read(p, index) for p in paths])
        mu, _ = self.model.encode(inputs)
        with capabilities.conditioned(self.handler, self.model, self.config, inputs, count=len(inputs)):
            outputs = self.model.decode(mu).cpu()
        labels = [f"{Path(p).name}{kind}" for p in paths for kind in ("", " reconstructed")]
        shown = torch.stack([inputs.cpu(), outputs], 1).flatten(0, 1)  # each input above its reconstruction
        self._write_extras(outputs, png, wav, shown, labels)
        if out is not None:
            names = [Path(p).stem for p in paths]
            self.written += self.handler.write_reconstructions(inputs, outputs, names, Path(out), self.config)
        return inputs, outputs

    def decode(self, z: torch.Tensor | Sequence[Sequence[float]], temperature: float = 0.0, seed: int = 0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Outputs for latents ``z`` (rows of the model's latent size); temperature 0 is greedy (sequences)
        or the mean (pixels); ``generator``: where the draws come from, by default one seeded with ``seed``."""
        z = torch.as_tensor(z, dtype=torch.float32)
        if z.dim() != 2 or z.shape[1] != self.model.latent_dim or not torch.isfinite(z).all():
            raise VaekitError(f"z must be finite rows of {self.model.latent_dim} numbers")
        with capabilities.conditioned(self.handler, self.model, self.config, count=len(z), seed=seed):
            return self.model.decode(z, temperature, generator or seeded(seed)).cpu()

    def transform(self, path: str | Path | torch.Tensor, attribute: str, amount: float = 1.0, index: int = 0,
                  temperature: float = 0.0, seed: int = 0, generator: torch.Generator | None = None) -> torch.Tensor:
        """Item ``index`` of a file (or an item already read, a tensor) moved along one of the run's
        attribute vectors: two outputs, decoded from its posterior mean z and from z + ``amount`` * the
        vector (each draw from ``generator``, by default one seeded with ``seed``). Where the modality
        reads the file as a span of parts (``capabilities.ReadsSpans``), every part is moved, and each output
        is the whole file with the span's parts replaced (``ReadsSpans.put_back``)."""
        if not math.isfinite(amount):
            raise VaekitError(f"amount {amount} is not a finite number")
        has = isinstance(self.handler, HasAttributes)
        vectors = self.handler.attribute_vectors(self.run_dir, self.config) if has else {}
        if attribute not in vectors:
            raise VaekitError(f"{self.run_dir.name} has no attribute vector {attribute!r} "
                              f"(it has: {', '.join(sorted(vectors)) or 'none'})")
        generator = generator or seeded(seed)
        vector = vectors[attribute]
        if isinstance(path, torch.Tensor) or not capabilities.reads_span(self.handler, self.config):
            x = path if isinstance(path, torch.Tensor) else self.read(path, index)
            return self._moved(x[None], vector, amount, temperature, generator)[:, 0]
        outputs = self._moved(self.read_items(path), vector, amount, temperature, generator)
        return torch.stack([self.handler.put_back(parts, self.config) for parts in outputs])

    def _moved(self, x: torch.Tensor, vector: torch.Tensor, amount: float, temperature: float,
               generator: torch.Generator) -> torch.Tensor:
        """Items ``(K, ...)`` decoded from their posterior means and from those moved by ``amount`` *
        ``vector``: ``(2, K, ...)``."""
        mu, _ = self.model.encode(x)
        z = torch.cat([mu, mu + amount * vector.to(mu)])
        with capabilities.conditioned(self.handler, self.model, self.config, torch.cat([x, x]), count=len(z)):
            return self.model.decode(z, temperature, generator).cpu().unflatten(0, (2, len(x)))

    def apply(self, verb: str, path: str | Path, temperature: float = 0.0, seed: int = 0,
              generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One of the modality's file verbs for this run (``capabilities.HasFileVerbs``, such as the MIDI
        plugin's groove) on the file ``path``: the file as read and the verb's output, each ``(1, ...)``."""
        verbs = capabilities.file_verbs(self.handler, self.config)
        if verb not in verbs:
            raise VaekitError(f"{self.run_dir.name} has no verb {verb!r} "
                              f"(it has: {', '.join(sorted(verbs)) or 'none'})")
        path = Path(path)
        if not path.exists():
            raise VaekitError(f"{path}: no such file")
        if not math.isfinite(temperature) or temperature < 0:
            raise VaekitError(f"temperature {temperature} must be a finite number of 0 or more")
        return self.handler.apply(verb, self.model, path, self.config, temperature, generator or seeded(seed))

    def plane(self) -> dict[str, list]:
        """A 2-D plane of the latent space, for a latent map: for a 2-D model the latent itself; else the
        plane of the two main directions of the validation items' posterior means, through their mean.
        ``extent`` is three standard deviations along each axis."""
        if self.model.latent_dim == 2:
            return {"origin": [0.0, 0.0], "axes": [[1.0, 0.0], [0.0, 1.0]], "extent": [3.0, 3.0]}
        z = torch.from_numpy(self.encode(data=self.config["data"]["source"])["z"]).double()
        mean = z.mean(0)
        _, s, v = torch.linalg.svd(z - mean, full_matrices=False)
        std = s[:2] / max(1, len(z) - 1) ** 0.5
        return {"origin": mean.tolist(), "axes": v[:2].tolist(), "extent": (3 * std).tolist()}

    def examples(self, dataset: str, n: int, out: str | Path) -> list[Path]:
        """The first ``n`` held-out items of one of the modality's built-in datasets, written into folder
        ``out`` as ordinary files (what ``vaekit datasets export`` writes), to try the verbs on."""
        if dataset not in self.modality.datasets():
            raise VaekitError(f"{dataset!r}: the {self.modality.name} modality has the datasets "
                              f"{', '.join(sorted(self.modality.datasets()))}")
        self.written = self.handler.export_dataset(dataset, n, Path(out), self.config)
        return self.written

    def encode(self, paths: list[str | Path] | None = None, data: str | None = None, index: int = 0,
               out: str | Path | None = None) -> dict[str, np.ndarray]:
        """Posterior means (``z``) and log-variances of files, or of a dataset's validation split
        (with ``labels`` where the dataset has them)."""
        result: dict[str, np.ndarray] = {}
        if data is not None:
            val = self.handler.load_dataset(data, self.config).val
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

    def fit_prior(self, data: str | None = None) -> Path:
        """Fit the Gaussian mixture that ``generate`` draws from to the codes of the training items (of the
        run's data, or of ``data``) and write it into the run, as training does at its end (``vaekit.prior``)."""
        train = self.handler.load_dataset(data or self.config["data"]["source"], self.config).train
        path = prior.save_prior(self.run_dir, prior.fit_dataset(self.model, train))
        self.model.prior = prior.load_prior(self.run_dir)  # as stored, as every later load gets it
        return path

    def quality(self, n: int = 500, temperature: float = 1.0, data: str | None = None, seed: int = 0,
                png: str | Path | None = None, spread: float | None = None) -> quality.QualityReport:
        """How ``n`` samples at ``temperature`` compare with ``n`` held-out items (the run's validation
        split, or every item of ``data``): feature by feature where the handler has features (see
        ``vaekit.quality``), as a whole where it measures that (e.g. a Fréchet distance), and
        interpolations where it scores them. ``png``: the feature distance distributions, or without
        features the first 64 samples."""
        handler, name = self.handler, self.modality.name
        has_features, has_whole = isinstance(handler, MeasuresFeatures), isinstance(handler, MeasuresSamples)
        if not has_features and not has_whole:
            raise VaekitError(f"{self.run_dir.name}: the {name} modality measures no generation quality of this "
                              "run's data (neither features nor sample_quality)")
        spread = self.spread(spread)
        generated = self.generate(n, temperature, seed, spread=spread)
        generated_features = handler.features(generated, self.config) if has_features else {}  # first: it may refuse
        held_out = merge(self.config, {"data": {"val_fraction": 1.0}}) if data is not None else self.config
        val = handler.load_dataset(data or self.config["data"]["source"], held_out).val
        real = fetch(val, torch.arange(min(n, len(val))))[1]
        if len(real) < 2:
            source = data or self.config["data"]["source"]
            raise VaekitError(f"{source}: {len(real)} held-out item(s); need 2 to compare")
        generated = generated[: len(real)]
        report = quality.QualityReport(len(real), temperature, spread)
        if generated_features:
            reference, report.reference = handler.quality_reference(real, self.config)
            real_features = handler.features(reference, self.config)
            generated_features = {name: f[: len(real)] for name, f in generated_features.items()}
            if png is not None:
                quality.plot(real_features, generated_features, Path(png))
            report.features = quality.compare(real_features, generated_features)
        elif png is not None:
            need(handler, Renders, name, "draws no pictures").render(generated[:64], Path(png), self.config)
        try:
            train = handler.load_dataset(self.config["data"]["source"], self.config).train
        except VaekitError as e:  # the training data is not on this machine: nothing fitted on it, no floor
            train, report.skipped = None, f"the run's training data cannot be loaded ({e})"
        if has_whole:
            report.whole = handler.sample_quality(generated, val, train, self.config)
        if train is not None and isinstance(handler, MeasuresInterpolations):
            report.interpolation = handler.interpolation_quality(self.model, real, train, self.config)
        return report

    def evaluate(self, data: str | None = None, k: int = 100, max_items: int | None = None) -> dict[str, Any]:
        """ELBO, importance-weighted NLL (k samples) and the modality's metrics on held-out data: all of
        ``data`` where given (every item of it held out), else the run's own validation split."""
        config = merge(self.config, {"data": {"val_fraction": 1.0}}) if data is not None else self.config
        val = self.handler.load_dataset(data or config["data"]["source"], config).val
        return evaluation.evaluate(self.model, self.handler, val, k=k, max_items=max_items,
                                   batch_size=min(64, self.config["train"]["batch_size"]))
