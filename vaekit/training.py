"""The training loop: Adam with exponential learning-rate decay and a floor, gradient clipping,
validation, best and last checkpoints, metrics.jsonl, exact resume, and DDP under torchrun."""

from __future__ import annotations

import logging
import math
import shutil
import signal
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import torch

from vaekit import checkpoint, distributed, evaluation, objective, prior, runs
from vaekit.batches import fetch
from vaekit.config import Config, merge, parse_duration
from vaekit.devices import pick_device
from vaekit.errors import VaekitError
from vaekit.modality import Modality, handler_of
from vaekit.runs import RunDir

log = logging.getLogger(__name__)


class BatchOrder:
    """Which examples make up global step ``s``: a fresh permutation per epoch, seeded by
    ``(seed, epoch)``, so any step's batch can be recomputed on resume without saved state."""

    def __init__(self, n: int, batch_size: int, seed: int):
        self.n, self.batch_size, self.seed = n, batch_size, seed
        self.steps_per_epoch = max(1, n // batch_size)
        self._epoch, self._perm = -1, torch.empty(0, dtype=torch.long)

    def __call__(self, step: int) -> torch.Tensor:
        epoch, i = divmod(step, self.steps_per_epoch)
        if epoch != self._epoch:
            g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
            self._epoch, self._perm = epoch, torch.randperm(self.n, generator=g)
        return self._perm[i * self.batch_size:(i + 1) * self.batch_size]


def learning_rate(step: int, train: dict[str, Any]) -> float:
    """MusicVAE's decay: ``(lr - lr_min) * decay**step + lr_min``."""
    return (train["lr"] - train["lr_min"]) * train["lr_decay"] ** step + train["lr_min"]


class _StopRequest:
    """SIGINT/SIGTERM set a flag that the loop checks between steps, so a checkpoint is never
    written from a half-finished optimizer step. A second Ctrl-C interrupts at once."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, frame: Any) -> None:
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True

    def __enter__(self) -> _StopRequest:
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread
                pass
        return self

    def __exit__(self, *exc: Any) -> None:
        for sig, handler in self._previous.items():
            # under torchrun, leaving by an error: the SIGTERM torchrun sends the survivors must not cut off the message
            stopping = exc[0] is not None and sig == signal.SIGTERM and distributed.active()
            signal.signal(sig, signal.SIG_IGN if stopping else handler)


def adam(params: Iterable[torch.nn.Parameter], lr: float) -> torch.optim.Adam:
    """Adam, fused into one kernel over all tensors where this torch has it for the device (CPU from
    torch 2.4, CUDA): on pythae's 17M-parameter image nets the unfused step was a tenth of a step."""
    params = list(params)
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except RuntimeError:  # no fused kernel for this device in this torch
        return torch.optim.Adam(params, lr=lr)


class Trainer:
    """One training run. ``train()`` below is the entry point."""

    def __init__(self, modality: Modality, config: Config, run: RunDir, device: torch.device, progress: bool):
        self.modality, self.config, self.run, self.device = modality, config, run, device
        self.handler = handler_of(modality, config)
        self.rank, self.world_size = distributed.world()
        self.is_main = self.rank == 0
        self.progress = progress and self.is_main
        t = config["train"]
        torch.manual_seed(t["seed"])
        data = self.handler.load_dataset(config["data"]["source"], config)
        self.train_ds, self.val_ds = data
        config.update(merge(config, data.learned))  # what the data fixed, so that the saved run rebuilds this model
        if len(self.train_ds) == 0 or len(self.val_ds) == 0:
            raise VaekitError(f"{config['data']['source']}: the dataset has an empty train or validation split")
        self.model = self.handler.build_model(config).to(device)
        self.optimizer = adam(self.model.parameters(), t["lr"])
        batch = min(t["batch_size"], len(self.train_ds))
        if batch % self.world_size:
            raise VaekitError(f"train.batch_size {batch} does not split evenly over {self.world_size} processes")
        self.order = BatchOrder(len(self.train_ds), batch, t["seed"])
        self.time_limit = parse_duration(t["time_limit"])
        if self.stop_step() is None and self.time_limit is None:
            raise VaekitError("no stopping rule: give --steps, --epochs or --time-limit (or set train.steps)")
        self.step, self.best, self.seconds = 0, -math.inf, 0.0
        self.validated_at = -1  # the last step whose validation is logged
        # The first step (1-based; 0: none) whose loss or gradient norm was not finite, and those two
        # values, kept on the device so that a step needs no host sync; see check_finite.
        self.first_bad = torch.zeros((), dtype=torch.long, device=device)
        self.bad_values = torch.zeros(2, device=device)
        self.ddp = None
        if distributed.active():
            from torch.nn.parallel import DistributedDataParallel

            self.ddp = DistributedDataParallel(self.model, device_ids=[device.index] if device.type == "cuda" else None)

    def stop_step(self) -> int | None:
        t = self.config["train"]
        if t["steps"] is not None:
            return int(t["steps"])
        if t["epochs"] is not None:
            return int(t["epochs"]) * self.order.steps_per_epoch
        return None

    def beta(self, step: int) -> float:
        loss = self.config["loss"]
        return objective.beta_at(step, loss["beta_schedule"], loss["beta"], loss["beta_warmup_steps"],
                                 loss["beta_rate"], loss["beta_cycle_steps"])

    def batch(self, step: int) -> tuple[torch.Tensor, ...]:
        idx = self.order(step)
        if self.world_size > 1:
            idx = idx[self.rank::self.world_size]
        return tuple(t.to(self.device, non_blocking=True) for t in fetch(self.train_ds, idx))

    def train_step(self, step: int) -> objective.Loss:
        t, loss_cfg = self.config["train"], self.config["loss"]
        model = self.ddp or self.model
        model.train()
        self.model.decoder.set_step(step)
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(step, t)
        x_in, x_target = self.batch(step)[:2]
        out = model(x_in, x_target)
        loss = objective.elbo(out.log_px, out.kl, self.beta(step), loss_cfg["free_bits"], loss_cfg["free_bits_per_dim"])
        self.optimizer.zero_grad(set_to_none=True)
        loss.loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), t["grad_clip"] or math.inf)
        first = (self.first_bad == 0) & ~(torch.isfinite(loss.loss) & torch.isfinite(norm))
        self.first_bad = torch.where(first, step + 1, self.first_bad)
        self.bad_values = torch.where(first, torch.stack([loss.loss.detach(), norm]).float(), self.bad_values)
        self.optimizer.step()
        return loss

    def check_finite(self) -> None:
        """Raise for a non-finite loss or gradient seen since the start. Called before anything is
        logged, validated or saved, so a checkpoint never holds weights that a bad step touched."""
        step = int(self.first_bad)
        if not step:
            return
        loss, norm = self.bad_values.tolist()
        if not math.isfinite(loss):
            raise VaekitError(
                f"training stopped at step {step}: the loss is {loss} (try a lower train.lr or train.grad_clip); "
                f"{self.run.path / runs.LAST} keeps the last good state"
            )
        raise VaekitError(
            f"training stopped at step {step}: the gradient norm is {norm} (exploding gradients; try a lower "
            f"train.lr); {self.run.path / runs.LAST} keeps the last good state"
        )

    def validate(self) -> dict[str, float]:
        """Loss parts and the modality's metrics on the first ``eval_batches`` validation batches,
        under a fixed RNG so that validating never changes what training draws next."""
        t = self.config["train"]
        batch = min(t["batch_size"], len(self.val_ds))
        with torch.random.fork_rng(devices=[self.device] if self.device.type == "cuda" else []):
            values = evaluation.evaluate(self.model, self.handler, self.val_ds, k=0, batch_size=batch,
                                         max_items=batch * t["eval_batches"], seed=t["seed"] + 1)
        return {key: value for key, value in values.items() if key not in ("items", "k")}

    def save_last(self) -> None:
        self.check_finite()
        if self.is_main:
            state = {"step": self.step, "best": self.best, "seconds": self.seconds}
            self._save(self.run.file(runs.LAST), self.optimizer, state)

    def _save(self, path: Path, optimizer: torch.optim.Optimizer | None = None, state: dict | None = None) -> None:
        try:
            checkpoint.save_checkpoint(path, self.model, optimizer, state)
        except OSError as e:
            raise VaekitError(f"{path}: could not write the checkpoint at step {self.step} ({e.strerror or e}); "
                              "the previous checkpoint is intact") from None

    def fit_prior(self) -> None:
        """Write the Gaussian mixture that the best weights' codes of the training items fill (``vaekit.prior``)."""
        model = self.handler.build_model(self.config)
        best = self.run.file(runs.BEST)
        checkpoint.load_model_weights(best if best.exists() else self.run.file(runs.LAST), model)
        log.info(f"fitting the sampling prior to the codes of {min(len(self.train_ds), prior.ITEMS)} training items "
                 f"(a few minutes for a large model; {self.run.path / prior.FILE})")
        prior.save_prior(self.run.path, prior.fit_dataset(model.to(self.device).eval(), self.train_ds))

    def resume(self) -> None:
        state = checkpoint.load_training_state(self.run.file(runs.LAST), self.model, self.optimizer)
        # runs saved before train.best_metric existed hold "best_elbo"
        self.step, self.best, self.seconds = state["step"], state.get("best", state.get("best_elbo")), state["seconds"]
        if self.is_main:
            self.run.truncate_metrics(self.step)
        # a run killed after its last step's validation must not log that validation twice
        self.validated_at = max((r["step"] for r in self.run.read_metrics() if r.get("split") == "val"), default=-1)

    def fit(self) -> None:
        t = self.config["train"]
        stop_step, time_limit = self.stop_step(), self.time_limit
        from tqdm.auto import tqdm

        bar = tqdm(total=stop_step, initial=self.step, disable=not self.progress, unit="step", dynamic_ncols=True)
        started, before = time.perf_counter(), self.seconds
        last_save = started
        window_start, window_loss, window_steps = started, torch.zeros(3, device=self.device), 0
        with _StopRequest() as stop:
            while True:
                elapsed = before + time.perf_counter() - started  # a resumed run counts its earlier time
                done = (stop_step is not None and self.step >= stop_step) or (
                    time_limit is not None and elapsed >= time_limit)
                if distributed.any_rank(done or stop.requested):
                    break
                step_start = time.perf_counter()
                loss = self.train_step(self.step)
                self.step += 1
                self.seconds += time.perf_counter() - step_start
                window_loss += torch.stack([loss.loss.detach(), loss.recon.detach(), loss.kl.detach()])
                window_steps += 1
                bar.update(1)
                if self.step % t["log_every"] == 0:
                    self.log_train(window_loss / window_steps, window_steps, time.perf_counter() - window_start, bar)
                    window_start, window_loss, window_steps = time.perf_counter(), torch.zeros_like(window_loss), 0
                if self.step % t["eval_every"] == 0:
                    self.log_validation()
                    self.validated_at = self.step
                    self.save_last()
                    last_save = time.perf_counter()
                elif time.perf_counter() - last_save >= t["checkpoint_seconds"]:
                    self.save_last()
                    last_save = time.perf_counter()
            interrupted = stop.requested
        if window_steps:
            self.log_train(window_loss / window_steps, window_steps, time.perf_counter() - window_start, bar)
        if self.validated_at != self.step and self.step > 0 and not interrupted:
            self.log_validation()
        self.save_last()
        bar.close()
        if interrupted and self.is_main:
            log.warning(f"interrupted: saved step {self.step} to {self.run.file(runs.LAST)}; --resume continues")

    def log_train(self, mean: torch.Tensor, steps: int, seconds: float, bar: Any) -> None:
        self.check_finite()
        mean = distributed.mean(mean)
        loss, recon, kl = mean.tolist()
        examples = steps * self.order.batch_size
        row = {"step": self.step, "split": "train", "loss": loss, "recon": recon, "kl": kl,
               "beta": self.beta(self.step - 1), "lr": self.optimizer.param_groups[0]["lr"],
               "examples_per_s": examples / max(seconds, 1e-9), "seconds": round(self.seconds, 3)}
        if self.is_main:
            self.run.append_metrics(row)
            bar.set_postfix(loss=f"{loss:.3f}", kl=f"{kl:.2f}")

    def log_validation(self) -> None:
        self.check_finite()
        values = self.validate()
        row = {"step": self.step, "split": "val", **values, "seconds": round(self.seconds, 3)}
        if self.is_main:
            self.run.append_metrics(row)
            value = best_value(values, self.config)
            if value > self.best:
                self.best = value
                self._save(self.run.file(runs.BEST))


def best_value(values: dict[str, float], config: Config) -> float:
    """The validation value that ``train.best_metric`` names (higher is better)."""
    name = config["train"]["best_metric"]
    if name not in values:
        raise VaekitError(f"train.best_metric {name!r} is not a validation value of this run; "
                          f"choose one of {', '.join(sorted(values))}")
    return values[name]


def package_versions(modality: Modality) -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": sys.version.split()[0]}
    for name in ("vaekit", "torch", "numpy", f"vaekit-{modality.name}"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            continue
    return out


def train(modality: Modality, config: Config, run_dir: str | Path, *, resume: bool = False,
          init_from: str | Path | None = None, device: str = "cpu", force: bool = False,
          progress: bool = True) -> Path:
    """Train (or continue) a run; return its directory. Raises ``VaekitError`` for bad input,
    an occupied run directory, or a non-finite loss (the last good checkpoint is kept)."""
    run = RunDir(run_dir)
    created = not run.path.exists()
    dev = pick_device(device)
    distributed.setup(dev)
    is_main = distributed.world()[0] == 0
    try:
        restart = resume and not run.file(runs.LAST).exists()  # killed before its first checkpoint
        if is_main:
            run.lock()
            if run.exists() and not (resume or force):
                if run.file(runs.LAST).exists():
                    raise VaekitError(f"{run.path} already holds a run; --resume continues it, --force overwrites it")
                raise VaekitError(f"{run.path} holds a run that stopped before its first checkpoint; --resume "
                                  "starts it again from step 0 with its saved config, --force overwrites it")
            if (force and not resume) or restart:
                for name in (runs.BEST, runs.LAST, runs.METRICS, prior.FILE):
                    run.file(name).unlink(missing_ok=True)
            if restart:
                log.info(f"{run.path}: no checkpoint to resume from (stopped before its first one); "
                         "starting again from step 0 with its saved config")
            run.write_config(config)  # before loading data, so that a run killed while loading can resume
        trainer = Trainer(modality, config, run, dev, progress)
        if resume and not restart:
            trainer.resume()
        elif init_from is not None:
            checkpoint.load_model_weights(RunDir(init_from).file(runs.BEST), trainer.model)
        if is_main:
            config["versions"] = package_versions(modality)
            run.write_config(config)
        trainer.fit()
        if is_main:
            trainer.fit_prior()
    except BaseException as e:
        if created and is_main and not run.file(runs.LAST).exists():  # nothing worth keeping: leave no trace
            run.unlock()
            shutil.rmtree(run.path, ignore_errors=True)
        if lost := distributed.lost_peer(e):
            raise VaekitError(f"rank {distributed.world()[0]} stopped: {lost}; --resume continues from the last "
                              f"checkpoint, {run.path / runs.LAST}") from None
        raise
    finally:
        run.unlock()
        distributed.teardown()
    return run.path
