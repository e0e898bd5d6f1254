"""The composer: a diffusion model over sequences of up to 32 codes of a 2-bar melody model (64 bars),
after Mittal, Engel, Hawthorne and Simon, "Symbolic Music Generation with Diffusion Models" (ISMIR
2021), who diffused sequences of 32 MusicVAE 2-bar codes.

Each position is one 2-bar window: its code, standardised per dimension with the training codes'
mean and spread, and a rest flag (+1: a rest window, -1: a playing one; a rest's code is 0). A
Transformer encoder sees every position of the noisy sequence and predicts its velocity ``v`` (DDPM's
cosine schedule with Salimans and Ho's v-prediction: predicting the noise, as Mittal et al. did, made
a briefly trained model's early clean estimates so far off that its samples left the codes' range);
sampling takes fewer, evenly spaced steps (DDIM, ``eta`` 1: as stochastic as DDPM).

Continuing and infilling are one thing: some positions are *known*. The network sees the known
positions' clean values and a mask beside the noisy sequence (trained with random prefixes, prefixes
and suffixes, scattered positions, or none known), and the known positions are held at their values
at every step, so they come out exactly as given.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn

from vaekit import VaekitError

CONFIG = "composer.json"
WEIGHTS = "composer.safetensors"


@dataclass
class ComposerConfig:
    latent_dim: int = 128
    max_len: int = 32
    width: int = 256
    layers: int = 4
    heads: int = 4
    diffusion_steps: int = 1000
    #: the 2-bar model whose codes these are (a shipped model's name or a run directory)
    codes_of: str = "mel_2bar"

    @property
    def channels(self) -> int:
        return self.latent_dim + 1


def cosine_alpha_bar(steps: int) -> torch.Tensor:
    """``alpha_bar(t)`` for t = 1..steps (Nichol and Dhariwal's cosine schedule), float64."""
    t = torch.arange(steps + 1, dtype=torch.float64) / steps
    f = torch.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2
    return (f[1:] / f[0]).clamp(1e-5, 0.9999)


class Composer(nn.Module):
    def __init__(self, config: ComposerConfig):
        super().__init__()
        self.config = c = config
        self.inputs = nn.Linear(2 * c.channels + 1, c.width)
        self.position = nn.Parameter(torch.randn(c.max_len, c.width) * 0.02)
        self.time = nn.Sequential(nn.Linear(c.width, c.width), nn.SiLU(), nn.Linear(c.width, c.width))
        layer = nn.TransformerEncoderLayer(c.width, c.heads, 4 * c.width, dropout=0.0, activation="gelu",
                                           batch_first=True, norm_first=True)
        self.body = nn.TransformerEncoder(layer, c.layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(c.width)
        self.out = nn.Linear(c.width, c.channels)
        self.register_buffer("alpha_bar", cosine_alpha_bar(c.diffusion_steps).float())
        self.register_buffer("mean", torch.zeros(c.latent_dim))
        self.register_buffer("std", torch.ones(c.latent_dim))

    def _time_features(self, t: torch.Tensor) -> torch.Tensor:
        half = self.config.width // 2
        freqs = torch.exp(-math.log(10000) * torch.arange(half, device=t.device) / half)
        angles = t.float()[:, None] * freqs[None]
        return self.time(torch.cat([angles.sin(), angles.cos()], -1))

    def forward(self, x_t: torch.Tensor, t: torch.Tensor, known: torch.Tensor, mask: torch.Tensor,
                padding: torch.Tensor | None = None) -> torch.Tensor:
        """The predicted velocity ``(B, L, C)`` of noisy sequences ``x_t`` at steps ``t`` ``(B,)``, given
        the known positions' clean values ``known`` where ``mask`` ``(B, L)`` holds; ``padding``
        ``(B, L)``: positions past a sequence's end."""
        m = mask.unsqueeze(-1).float()
        h = self.inputs(torch.cat([x_t, known * m, m], -1))
        h = h + self.position[: x_t.shape[1]] + self._time_features(t)[:, None]
        h = self.body(h, src_key_padding_mask=padding)
        return self.out(self.norm(h))

    # codes <-> the diffused values -------------------------------------------------------------

    def to_values(self, codes: torch.Tensor, rest: torch.Tensor) -> torch.Tensor:
        """Codes ``(..., D)`` and rest flags ``(...)`` as standardised values ``(..., D + 1)``."""
        z = (codes.float() - self.mean) / self.std
        z = torch.where(rest.unsqueeze(-1), torch.zeros_like(z), z)
        return torch.cat([z, rest.float().unsqueeze(-1) * 2 - 1], -1)

    def from_values(self, values: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return values[..., :-1] * self.std + self.mean, values[..., -1] > 0

    # training and sampling ----------------------------------------------------------------------

    def loss(self, x0: torch.Tensor, mask: torch.Tensor, padding: torch.Tensor,
             generator: torch.Generator | None = None) -> torch.Tensor:
        """Mean squared error of the predicted velocity over the unknown positions that are not padding."""
        b = x0.shape[0]
        t = torch.randint(0, self.config.diffusion_steps, (b,), generator=generator, device=x0.device)
        noise = torch.randn(x0.shape, generator=generator, device=x0.device)
        a = self.alpha_bar[t].view(b, 1, 1)
        x_t = a.sqrt() * x0 + (1 - a).sqrt() * noise
        x_t = torch.where(mask.unsqueeze(-1), x0, x_t)
        velocity = a.sqrt() * noise - (1 - a).sqrt() * x0
        error = (self(x_t, t, x0, mask, padding) - velocity).pow(2).mean(-1)
        weight = (~mask & ~padding).float()
        return (error * weight).sum() / weight.sum().clamp_min(1)

    @torch.no_grad()
    def sample(self, length: int, n: int, generator: torch.Generator, known: torch.Tensor | None = None,
               mask: torch.Tensor | None = None, steps: int = 100, eta: float = 1.0, repeat: float = 0.0,
               tie_at: float = 0.5, temperature: float = 1.0, start: torch.Tensor | None = None,
               strength: float = 1.0, tie_from: int = 0) -> torch.Tensor:
        """``n`` sequences ``(n, length, C)`` of values, ``known`` ``(n, length, C)`` held where ``mask``
        ``(n, length)`` holds; DDIM over ``steps`` evenly spaced steps of the schedule; ``temperature``
        scales the starting noise and the noise added at each step (below 1: nearer the likeliest songs).

        ``repeat``: the share of generated playing windows made to repeat an earlier window exactly.
        At ``tie_at`` of the way through the steps, those whose clean estimate lies nearest an earlier
        window's are tied to it (``ties``) and move with it from then on, while the rest of the song
        is still denoised around them; a tie points at ``tie_from`` or later.

        ``start`` ``(n, length, C)``: values to vary rather than draw anew (SDEdit, Meng et al. 2022):
        they are noised to ``strength`` (0..1) of the way along the schedule and denoised from there,
        over that share of the steps; ``strength`` 1 forgets them."""
        if not 1 <= length <= self.config.max_len:
            raise VaekitError(f"the composer writes 1 to {self.config.max_len} windows, not {length}")
        c = self.config.channels
        if known is None or mask is None:
            known, mask = torch.zeros(n, length, c), torch.zeros(n, length, dtype=torch.bool)
        x = torch.randn((n, length, c), generator=generator) * temperature
        held = mask.unsqueeze(-1)
        last = self.config.diffusion_steps - 1
        first = round(strength * last)
        times = torch.linspace(first, 0, max(1, min(round(strength * steps), first + 1))).round().long()
        if start is not None:
            a = self.alpha_bar[first]
            x = a.sqrt() * start + (1 - a).sqrt() * x
        tied = torch.arange(length).expand(n, length)
        for i, t in enumerate(times.tolist()):
            x = _follow(torch.where(held, known, x), tied)
            a = self.alpha_bar[t]
            a_prev = self.alpha_bar[times[i + 1]] if i + 1 < len(times) else torch.tensor(1.0)
            v = self(x, torch.full((n,), t), known, mask)
            x0 = (a.sqrt() * x - (1 - a).sqrt() * v).clamp(-8, 8)
            if repeat and i == int(tie_at * len(times)):
                tied = ties(x0, mask, repeat, tie_from)
                x0 = _follow(x0, tied)
            eps = (x - a.sqrt() * x0) / (1 - a).sqrt()
            sigma = eta * ((1 - a_prev) / (1 - a) * (1 - a / a_prev)).clamp_min(0).sqrt()
            x = a_prev.sqrt() * x0 + (1 - a_prev - sigma**2).clamp_min(0).sqrt() * eps
            if i + 1 < len(times):
                x = x + sigma * temperature * torch.randn(x.shape, generator=generator)
        return _follow(torch.where(held, known, x), tied)


def ties(values: torch.Tensor, mask: torch.Tensor, share: float, tie_from: int = 0) -> torch.Tensor:
    """For each position of ``values`` ``(n, L, C)``, the earlier position it repeats, or itself: of the
    playing positions not in ``mask``, the ``share`` nearest to an earlier playing position from
    ``tie_from`` on (by the distance of their codes) repeat it, or what it repeats."""
    n, length, _ = values.shape
    tied = torch.arange(length).repeat(n, 1)
    playing = values[..., -1] < 0
    distance = torch.cdist(values[..., :-1], values[..., :-1])
    earlier = torch.ones(length, length, dtype=torch.bool).tril(-1)  # [j, i]: i before j
    earlier[:, :tie_from] = False
    distance = distance.masked_fill(~(earlier & playing[:, None, :]), float("inf"))
    nearest, source = distance.min(-1)
    free = playing & ~mask & nearest.isfinite()
    for b in range(n):
        candidates = free[b].nonzero().flatten()
        chosen = candidates[nearest[b, candidates].argsort()[: round(share * int(playing[b].sum()))]]
        for j in sorted(chosen.tolist()):
            tied[b, j] = tied[b, source[b, j]]
    return tied


def _follow(values: torch.Tensor, tied: torch.Tensor) -> torch.Tensor:
    """``values`` with each position replaced by the one it is tied to."""
    return values.gather(1, tied.unsqueeze(-1).expand(-1, -1, values.shape[-1]))


def save(model: Composer, folder: Path, card: dict | None = None) -> None:
    """``composer.json`` (the config, and ``card``: what it trained on and its figures) and the weights
    as float16 safetensors, beside each other in ``folder``."""
    from safetensors.torch import save

    from vaekit.files import atomic_write, atomic_write_json

    state = {k: (v if k in ("alpha_bar", "mean", "std") else v.half()).contiguous()
             for k, v in model.state_dict().items()}
    atomic_write(folder / WEIGHTS, save(state))
    atomic_write_json(folder / CONFIG, {"config": asdict(model.config), **(card or {})})


def load(folder: Path) -> tuple[Composer, dict]:
    """The composer in ``folder`` (float32, eval mode) and its card; one line naming the folder where
    it holds none."""
    from safetensors.torch import load_file

    folder = Path(folder)
    try:
        card = json.loads((folder / CONFIG).read_text())
        model = Composer(ComposerConfig(**card["config"]))
        state = {k: v.float() for k, v in load_file(folder / WEIGHTS).items()}
        model.load_state_dict(state)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as e:
        raise VaekitError(f"{folder}: not a composer ({CONFIG} and {WEIGHTS}: {type(e).__name__}: {e})") from None
    return model.eval(), card
