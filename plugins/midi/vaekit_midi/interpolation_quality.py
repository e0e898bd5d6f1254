"""How good a melody model's interpolations are, after MusicVAE's study (Roberts et al., 2018, 5.3):
over pairs of held-out windows A and B,

- smoothness: the Hamming distance of each step to A and to B against the mixing weight; a path is
  monotone when the distance to A never falls and the distance to B never rises by more than
  ``SLACK`` tokens from step to step;
- naturalness: the mean log-likelihood per token of each step under a note language model trained on
  the training windows alone, independent of the VAE: a trigram model of tokens with add-k smoothing;

for interpolation in latent space (slerp between the posterior means, decoded greedily), in data
space (each step switches a growing share of the positions, in a fixed random order per pair, from A's
token to B's), and for real held-out windows (the ceiling of naturalness)."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from vaekit_midi.tokens import NUM_CLASSES

SLACK = 2
ADD_K = 0.1
START = NUM_CLASSES  # the token before the first two of a window


class TrigramModel:
    """P(token | two tokens before), counted over windows ``(N, T)``, smoothed by adding ``ADD_K``."""

    def __init__(self, windows: np.ndarray):
        a, b, c = self.contexts(np.asarray(windows, dtype=np.int64))
        shape = (NUM_CLASSES + 1, NUM_CLASSES + 1, NUM_CLASSES)
        counts = np.bincount(np.ravel_multi_index((a.ravel(), b.ravel(), c.ravel()), shape),
                             minlength=int(np.prod(shape))).reshape(shape).astype(np.float64)
        self.log_p = np.log((counts + ADD_K) / (counts + ADD_K).sum(-1, keepdims=True))
        self.windows = len(windows)

    @staticmethod
    def contexts(windows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        padded = np.concatenate([np.full((len(windows), 2), START), windows], 1)
        return padded[:, :-2], padded[:, 1:-1], padded[:, 2:]

    def log_likelihood(self, windows: np.ndarray) -> np.ndarray:
        """Mean log-probability per token of each window ``(N, T)``, in nats."""
        a, b, c = self.contexts(np.asarray(windows, dtype=np.int64))
        return self.log_p[a, b, c].mean(1)


def data_space(a: np.ndarray, b: np.ndarray, alphas: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Steps ``(S, T)``: at weight alpha, the first alpha of the positions (in a random order) take B's token."""
    rank = rng.permutation(len(a))
    return np.stack([np.where(rank < round(alpha * len(a)), b, a) for alpha in alphas])


def monotone(steps: np.ndarray, a: np.ndarray, b: np.ndarray) -> bool:
    to_a, to_b = (steps != a).sum(1), (steps != b).sum(1)
    return bool((np.diff(to_a) >= -SLACK).all() and (np.diff(to_b) <= SLACK).all())


class InterpolationQuality(dict):
    """The figures of :func:`interpolation_quality`, as a report that prints itself for ``vaekit evaluate``."""

    def to_dict(self) -> dict[str, Any]:
        return dict(self)

    def __str__(self) -> str:
        return "\n".join(
            f"{kind}-space interpolations of {self['pairs']} pairs: {self[kind]['monotone']:.0%} monotone, naturalness "
            f"{self[kind]['naturalness_mean']:.3f} nats a token (real windows: {self['real']['naturalness_mean']:.3f})"
            for kind in ("latent", "data"))


def interpolation_quality(model: Any, held_out: np.ndarray, train: np.ndarray, pairs: int = 100, steps: int = 9,
                          seed: int = 0) -> InterpolationQuality:
    """Smoothness and naturalness of ``pairs`` interpolations of ``steps`` steps (endpoints included)."""
    rng = np.random.default_rng(seed)
    lm = TrigramModel(train)
    alphas = np.linspace(0, 1, steps)
    chosen = rng.choice(len(held_out), size=(min(pairs, len(held_out) // 2), 2), replace=False)
    paths: dict[str, list[np.ndarray]] = {"latent": [], "data": []}
    with torch.no_grad():
        for i, j in chosen:
            a, b = held_out[i], held_out[j]
            x = torch.from_numpy(np.stack([a, b]).astype(np.int64)).to(model.device)
            paths["latent"].append(model.interpolate(x[0], x[1], steps).cpu().numpy())
            paths["data"].append(data_space(a, b, alphas, rng))
    language_model = f"token trigrams, add-{ADD_K} smoothing, {lm.windows} training windows"
    out = InterpolationQuality({"pairs": len(chosen), "steps": steps, "alphas": alphas.round(3).tolist(),
                                "language_model": language_model})
    for name, found in paths.items():
        found_a = np.stack(found)  # (P, S, T)
        ends = held_out[chosen]  # (P, 2, T)
        out[name] = {
            "monotone": round(float(np.mean([monotone(p, e[0], e[1]) for p, e in zip(found_a, ends)])), 4),
            "hamming_to_a": (found_a != ends[:, None, 0]).sum(-1).mean(0).round(2).tolist(),
            "hamming_to_b": (found_a != ends[:, None, 1]).sum(-1).mean(0).round(2).tolist(),
            "naturalness": np.stack([lm.log_likelihood(p) for p in found_a]).mean(0).round(4).tolist(),
        }
        out[name]["naturalness_mean"] = round(float(np.mean(out[name]["naturalness"])), 4)
    out["real"] = {"naturalness_mean": round(float(lm.log_likelihood(held_out).mean()), 4)}
    return out
