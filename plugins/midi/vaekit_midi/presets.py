"""The MIDI presets: MusicVAE's 2-bar and 16-bar melody models, sized for a laptop CPU.

MusicVAE's own sizes (cat-mel_2bar_small: encoder 512, decoder 2x256, z 256) train at a few hundred
windows a second on 2 CPU cores; these defaults train at about 2,000 (2-bar) with bf16 where the CPU
has AMX. MusicVAE's larger sizes are one ``--set`` away, e.g. ``--set model.decoder_hidden=1024``.
"""

from __future__ import annotations

from typing import Any

_DATA = {
    "steps_per_bar": 16,
    "hop_bars": 1,
    "transpose": 5,
    "limit_tunes": 0,
    "collections": ["essenFolksong", "oneills1850", "ryansMammoth", "airdsAirs", "miscFolk"],
}

_MODEL = {
    "variational": True,
    "embed": 32,
    "encoder_layers": 1,
    "conductor_hidden": 256,
    "conductor_layers": 1,
    "dropout": 0.0,
    "bf16": "auto",  # true | false | "auto": bf16 autocast where the hardware has fast bf16 (AMX, CUDA)
}

_TRAIN = {"lr": 1e-3, "lr_decay": 0.9999, "lr_min": 1e-5, "grad_clip": 1.0}

PRESETS: dict[str, dict[str, Any]] = {
    "mel_2bar": {
        "data": {**_DATA, "steps": 32},
        "model": {
            **_MODEL,
            "decoder": "flat",
            "latent_dim": 128,
            "encoder_hidden": 128,
            "decoder_hidden": 384,
            "decoder_layers": 1,
            "sampling_rate": 200.0,
        },
        "loss": {"beta_schedule": "musicvae", "beta": 0.2, "beta_rate": 0.999, "free_bits": 0.0},
        "train": {**_TRAIN, "batch_size": 512, "eval_every": 250, "time_limit": "15m"},
    },
    "mel_16bar": {
        "data": {**_DATA, "steps": 256},
        "model": {
            **_MODEL,
            "decoder": "hierarchical",
            "latent_dim": 256,
            "encoder_hidden": 256,
            "decoder_hidden": 256,
            "decoder_layers": 1,
            "sampling_rate": 0.0,
        },
        "loss": {"beta_schedule": "musicvae", "beta": 0.2, "beta_rate": 0.999, "free_bits": 128.0},
        "train": {**_TRAIN, "batch_size": 128, "eval_every": 250, "time_limit": "1h"},
    },
}

# MusicVAE's 2-bar drum model (cat-drums_2bar_small: 9 drum classes, 512 tokens a step, free bits 48),
# sized like mel_2bar. There is no built-in drum data: train with --data on a folder of drum MIDI.
PRESETS["drums_2bar"] = {
    "data": {"kind": "drums", "steps": 32, "steps_per_bar": 16, "hop_bars": 1, "limit_tunes": 0},
    "model": {
        **_MODEL,
        "decoder": "flat",
        "latent_dim": 128,
        "encoder_hidden": 128,
        "decoder_hidden": 384,
        "decoder_layers": 1,
        "sampling_rate": 300.0,
    },
    "loss": {"beta_schedule": "musicvae", "beta": 0.2, "beta_rate": 0.999, "free_bits": 48.0},
    "train": {**_TRAIN, "batch_size": 256, "eval_every": 250, "eval_batches": 8, "time_limit": "15m"},
}
