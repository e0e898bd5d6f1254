"""Training the composer (``composer_model.py``) on sequences of 2-bar codes (made by
``benchmarks/shipping/composer_codes.py``): random crops of up to ``max_len`` windows of whole tunes and songs,
half from a melody's first window and half from an even window (so that 4-bar phrases keep their
place), each melody drawn in proportion to its cropped length; known positions drawn as none, a
prefix, a prefix and a suffix, or scattered; an exponential moving average of the weights is what is
kept, at its best held-out loss."""

from __future__ import annotations

import copy
import logging
import math
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from vaekit_midi.composer_model import Composer, ComposerConfig, save

log = logging.getLogger(__name__)


@dataclass
class Sequences:
    """Melodies as windows: values ``(W, C)`` float16 (``Composer.to_values``), melody ``m`` is rows
    ``offsets[m]:offsets[m + 1]``."""

    values: torch.Tensor
    offsets: np.ndarray

    @property
    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


def standardise(model: Composer, codes: np.ndarray, rest: np.ndarray) -> None:
    """Set the model's mean and spread to those of the codes of the playing windows."""
    playing = torch.from_numpy(codes[~rest].astype(np.float32))
    model.mean.copy_(playing.mean(0))
    model.std.copy_(playing.std(0).clamp_min(1e-3))


def sequences(model: Composer, codes: np.ndarray, rest: np.ndarray, offsets: np.ndarray,
              melodies: np.ndarray) -> Sequences:
    """The ``melodies`` (indices) of arrays as ``composer_codes.npz`` holds them."""
    rows = np.concatenate([np.arange(offsets[m], offsets[m + 1]) for m in melodies])
    values = model.to_values(torch.from_numpy(codes[rows].astype(np.float32)), torch.from_numpy(rest[rows]))
    lengths = offsets[melodies + 1] - offsets[melodies]
    return Sequences(values.half(), np.concatenate([[0], np.cumsum(lengths)]))


def known_mask(length: int, rng: np.random.Generator) -> np.ndarray:
    """Which of ``length`` positions a training sequence is given: none (40%), a prefix (20%), a prefix
    and a suffix (20%) or each with probability 1/2 (20%); never all."""
    mask = np.zeros(length, dtype=bool)
    kind = rng.random()
    if length < 2 or kind < 0.4:
        return mask
    if kind < 0.6:
        mask[: rng.integers(1, length)] = True
    elif kind < 0.8:
        a = rng.integers(0, length)
        b = rng.integers(a + 1, length + 1)
        mask[:a], mask[b:] = True, True
    else:
        mask = rng.random(length) < 0.5
    if mask.all():
        mask[rng.integers(length)] = False
    return mask


def batch(data: Sequences, size: int, max_len: int, rng: np.random.Generator,
          first: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """``size`` crops ``(B, L, C)`` (L: the longest crop, at most ``max_len``), their known masks and
    their padding; ``first``: the first ``size`` melodies from their start, with nothing known
    (held-out scoring)."""
    lengths = data.lengths
    if first:
        melodies = np.unique(np.linspace(0, len(lengths) - 1, size).round().astype(np.int64))
    else:
        weight = np.minimum(lengths, max_len).astype(np.float64)
        melodies = rng.choice(len(lengths), size, p=weight / weight.sum())
    crop = np.minimum(lengths[melodies], max_len)
    room = lengths[melodies] - crop
    start = np.where(first | (rng.random(len(melodies)) < 0.5), 0,
                     (rng.random(len(melodies)) * (room // 2 + 1)).astype(np.int64) * 2)
    start = np.minimum(start, room)
    positions = np.arange(crop.max())
    padding = positions[None] >= crop[:, None]
    rows = data.offsets[melodies, None] + start[:, None] + np.where(padding, 0, positions[None])
    mask = np.zeros(padding.shape, dtype=bool)
    if not first:
        for i, length in enumerate(crop):
            mask[i, :length] = known_mask(int(length), rng)
    return data.values[torch.from_numpy(rows)].float(), torch.from_numpy(mask), torch.from_numpy(padding)


def train(model: Composer, train_data: Sequences, held_out: Sequences, out: Path, time_limit: float,
          max_steps: int = 0, batch_size: int = 64, lr: float = 5e-4, ema: float = 0.999, eval_every: int = 250,
          seed: int = 0) -> dict:
    """Train ``model`` until ``time_limit`` seconds or ``max_steps`` (0: no cap) pass; save the moving
    average of its weights at its best held-out loss into ``out`` (``composer_model.save``) and return
    what happened: steps, minutes, best step and loss."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    averaged = copy.deepcopy(model).eval()
    optimiser = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = 200
    held = batch(held_out, 256, model.config.max_len, rng, first=True)
    best = {"loss": math.inf, "step": 0}
    started, step, running = time.perf_counter(), 0, []
    while True:
        elapsed = time.perf_counter() - started
        done = elapsed >= time_limit or (max_steps and step >= max_steps)
        if step and (step % eval_every == 0 or done):
            loss = held_out_loss(averaged, *held)
            log.info("step %d, %.1f min: training loss %.4f, held-out loss (averaged weights) %.4f",
                     step, elapsed / 60, float(np.mean(running[-eval_every:])), loss)
            if loss < best["loss"]:
                best = {"loss": loss, "step": step}
                save(averaged, out)
        if done:
            break
        for group in optimiser.param_groups:
            group["lr"] = lr * min(1.0, (step + 1) / warmup)
        x0, mask, padding = batch(train_data, batch_size, model.config.max_len, rng)
        loss = model.loss(x0, mask, padding)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimiser.step()
        with torch.no_grad():
            decay = min(ema, (1 + step) / (10 + step))
            for kept, current in zip(averaged.parameters(), model.parameters()):
                kept.lerp_(current, 1 - decay)
        running.append(loss.item())
        step += 1
    return {"steps": step, "minutes": round((time.perf_counter() - started) / 60, 1),
            "best_step": best["step"], "held_out_loss": round(best["loss"], 4)}


@torch.no_grad()
def held_out_loss(model: Composer, x0: torch.Tensor, mask: torch.Tensor, padding: torch.Tensor) -> float:
    """The loss on held-out melodies, the same noise and steps each time."""
    generator = torch.Generator().manual_seed(0)
    return float(np.mean([float(model.loss(x0, mask, padding, generator)) for _ in range(4)]))


def new_model(config: ComposerConfig, codes: np.ndarray, rest: np.ndarray) -> Composer:
    model = Composer(config)
    standardise(model, codes, rest)
    return model
