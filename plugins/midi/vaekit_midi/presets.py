"""The MIDI presets: MusicVAE's 2-bar and 16-bar melody models, sized for a laptop CPU.

MusicVAE's own sizes (cat-mel_2bar_small: encoder 512, decoder 2x256, z 256) train slowly on 2 CPU
cores. ``mel_2bar`` is a BiLSTM-128 encoder that reads four tokens (a beat) a step and a one-layer
LSTM-256 decoder: the encoder's shorter recurrence is faster and learns as much per step (the timings
and the comparison with a wider decoder are in benchmarks/README.md). In a short budget the number of
updates is what counts, so batch 256 and lr 2e-3 (not 512 and 1e-3); 48 free bits let z carry some
information before the KL term bites. Scheduled sampling hands over from teacher forcing over the
first few thousand steps, which raises greedy (sampled) accuracy. ``mel_16bar`` keeps MusicVAE's 256
free bits and reads each bar with its own short LSTM (``model.encoder: hierarchical``): one LSTM over
all 256 steps learned slowly. Larger sizes are one ``--set`` away, e.g.
``--set model.decoder_hidden=1024``."""

from __future__ import annotations

from typing import Any

from vaekit_midi.folk import COLLECTIONS

_DATA = {
    "steps_per_bar": 16,
    "hop_bars": 1,
    "transpose": 5,
    "limit_tunes": 0,
    "collections": list(COLLECTIONS),
    "tempo": 120,  # of the MIDI files the run writes, in quarter notes a minute
    "program": 0,  # their General MIDI instrument (0: acoustic grand piano)
    # fine-tuning on a few tunes without forgetting: built-in data (e.g. folk+pop) whose training windows
    # make up replay_share of the training windows, beside the tunes of --data
    "replay": "",
    "replay_share": 0.5,
}

_MODEL = {
    "variational": True,
    "embed": 32,
    "encoder": "flat",  # flat | hierarchical (a BiLSTM per bar, then a linear layer over the bars' summaries)
    "encoder_layers": 1,
    "encoder_stride": 1,  # tokens the encoder's LSTM reads a step (their embeddings side by side)
    "conductor_hidden": 256,
    "conductor_layers": 1,
    "dropout": 0.0,
    "bf16": "auto",  # true | false | "auto": bf16 autocast in training where the hardware has fast bf16 (AMX, CUDA)
}

# The best checkpoint is the one with the highest greedy (sampled) accuracy: with free bits the ELBO
# at beta 1 peaks early, while reconstructions keep improving as z carries more.
_TRAIN = {"lr": 2e-3, "lr_decay": 0.9999, "lr_min": 1e-5, "grad_clip": 1.0, "best_metric": "acc_sampled"}

PRESETS: dict[str, dict[str, Any]] = {
    "mel_2bar": {
        "data": {**_DATA, "steps": 32},
        "model": {
            **_MODEL,
            "decoder": "flat",
            "latent_dim": 128,
            "encoder_hidden": 128,
            "encoder_stride": 4,
            "decoder_hidden": 256,
            "decoder_layers": 1,
            "sampling_rate": 300.0,
        },
        "loss": {"beta_schedule": "musicvae", "beta": 0.2, "beta_rate": 0.999, "free_bits": 48.0},
        "train": {**_TRAIN, "batch_size": 256, "eval_every": 500, "eval_batches": 8, "time_limit": "15m"},
        # z nearer the prior's centres (vaekit.prior.draw), as the shipped model measured best at T=0.5
        # (benchmarks/results/quality_mel_2bar.md)
        "generate": {"spread": 0.7},
    },
    "mel_16bar": {
        "data": {**_DATA, "steps": 256},
        "model": {
            **_MODEL,
            "encoder": "hierarchical",
            "decoder": "hierarchical",
            "latent_dim": 256,
            "encoder_hidden": 128,
            "decoder_hidden": 256,
            "decoder_layers": 1,
            "sampling_rate": 300.0,
        },
        "loss": {"beta_schedule": "musicvae", "beta": 0.2, "beta_rate": 0.999, "free_bits": 256.0},
        "train": {**_TRAIN, "batch_size": 128, "eval_every": 250, "eval_batches": 4, "time_limit": "2h"},
        # nearer still, its z carrying more: the spread whose samples' distinct pitches came nearest real
        # windows' (benchmarks/results/quality_mel_16bar.md, T=0.5), at the price of fewer leaps
        "generate": {"spread": 0.55},
    },
}

# MusicVAE's chord-conditioned melody model (cat-mel_2bar_med_chords), sized as mel_2bar, on POP909's
# melodies over their annotated chords (every quality POP909 uses, not only four triads): the encoder and
# the decoder read each step's chord beside its token, so z need not hold the harmony; --chords names the
# chords to decode over.
PRESETS["mel_2bar_chords"] = {
    # the encoder reads notes and chords in each chord's frame (chord_relative): z cannot hold the key or
    # the roots, the decoder reads them from the chords; transpose_apart (a share of each batch whose
    # inputs and targets are transposed apart) is the earlier way to the same end
    "data": {**_DATA, "kind": "chord_melody", "source": "pop_chords", "steps": 32, "transpose_apart": 0.0},
    "model": {**PRESETS["mel_2bar"]["model"], "chord_relative": True},
    "loss": {**PRESETS["mel_2bar"]["loss"]},
    "train": {**PRESETS["mel_2bar"]["train"], "time_limit": "35m"},
    "generate": {"spread": 0.7},
}

# The 16-bar melody model over chords, as mel_16bar but reading every step's chord (encoder in the chords'
# frame, as mel_2bar_chords'), on 16-bar windows of the same POP909 melodies and chords.
PRESETS["mel_16bar_chords"] = {
    "data": {**PRESETS["mel_2bar_chords"]["data"], "steps": 256},
    "model": {**PRESETS["mel_16bar"]["model"], "chord_relative": True},
    "loss": {**PRESETS["mel_16bar"]["loss"]},
    "train": {**PRESETS["mel_16bar"]["train"]},
    "generate": {"spread": 0.55},
}

# MusicVAE's 2-bar drum model (cat-drums_2bar_small: 9 drum classes, 512 tokens a step), sized like mel_2bar
# but with its earlier 384-wide decoder, on the built-in Groove MIDI Dataset. Its 16,000 training beats are
# few: with MusicVAE's 48 free bits and unchanged windows it learned them by heart. 256 free bits let z carry
# a whole beat, and augmented training windows (drum_augment.py: the chance that each hit is dropped, that
# the closed hi-hat and ride parts swap, that the second half is another window's) make it read beats
# through z rather than recall them. Mixed halves also teach it beats whose two bars do not belong
# together, which its samples then play, and swapped cymbals more ride: the shipped weights had them only
# for a while (benchmarks/shipping/shipped_drums.py); from scratch these settings are untried.
PRESETS["drums_2bar"] = {
    "data": {"kind": "drums", "source": "groove", "steps": 32, "steps_per_bar": 16, "hop_bars": 1, "limit_tunes": 0,
             "drop_hits": 0.1, "swap_hats": 0.0, "mix_halves": 0.0},
    "model": {
        **_MODEL,
        "decoder": "flat",
        "latent_dim": 128,
        "encoder_hidden": 128,
        "decoder_hidden": 384,
        "decoder_layers": 1,
        "sampling_rate": 300.0,
    },
    "loss": {"beta_schedule": "musicvae", "beta": 0.2, "beta_rate": 0.999, "free_bits": 256.0},
    "train": {**_TRAIN, "batch_size": 256, "eval_every": 250, "eval_batches": 8, "time_limit": "15m"},
}

# MusicVAE's 16-bar trio model (hierdec-trio_16bar: melody, bass and drums; one encoder, one conductor
# feeding three bar decoders), smaller for a CPU. There is no built-in trio data: train with --data on
# multi-track MIDI files (a melody of program 0-31, a bass of program 32-39, drums).
PRESETS["trio_16bar"] = {
    "data": {"kind": "trio", "steps": 256, "steps_per_bar": 16, "hop_bars": 1, "limit_tunes": 0},
    "model": {
        **_MODEL,
        "decoder": "hierarchical",
        "latent_dim": 256,
        "encoder_hidden": 256,
        "decoder_hidden": 256,
        "decoder_layers": 1,
        "sampling_rate": 0.0,
    },
    "loss": {"beta_schedule": "musicvae", "beta": 0.2, "beta_rate": 0.999, "free_bits": 256.0},
    "train": {**_TRAIN, "batch_size": 64, "eval_every": 250, "eval_batches": 4, "time_limit": "2h"},
}

# GrooVAE (Gillick et al. 2019; magenta's groovae_2bar_humanize and _tap_fixed_velocity): per step and drum
# class a hit, a velocity and an offset, on the built-in Groove MIDI Dataset. One model for both tasks:
# each training window is a score to humanise or a tapped rhythm to drumify, the task a row of its input.
# Smaller than the paper's (encoder 512, decoder 2x256, z 256) to train on a CPU. Velocities and offsets
# are Gaussians of spread model.sigma; the decoder reads only the hits of the step before (model.feedback,
# see groove_model.py); the best checkpoint has the best validation ELBO.
PRESETS["groove_2bar"] = {
    "data": {"kind": "groove", "source": "groove", "steps": 32, "steps_per_bar": 16, "hop_bars": 1,
             "limit_tunes": 0, "tasks": ["humanize", "tap"], "tempo": 120},
    "model": {"variational": True, "latent_dim": 128, "encoder_hidden": 128, "decoder_hidden": 256,
              "decoder_layers": 1, "sigma": 0.1, "feedback": "hits", "bf16": "auto"},
    "loss": {"beta_schedule": "musicvae", "beta": 0.2, "beta_rate": 0.999, "free_bits": 48.0},
    "train": {**_TRAIN, "best_metric": "elbo", "batch_size": 256, "eval_every": 250, "eval_batches": 8,
              "time_limit": "15m"},
}

# A PianoTree-like VAE (Wang et al., ISMIR 2020) of 2-bar piano textures on the built-in pop_piano data
# (POP909's accompaniment): each step's notes by a note GRU, the steps by a time GRU (piano_model.py).
# Much smaller than PianoTree's (z 512, decoder GRUs 1024 and 512) to train on a CPU, where the time GRUs
# are most of a step's cost; the best checkpoint has the best note F1 of greedy reconstructions.
PRESETS["piano_2bar"] = {
    "data": {"kind": "piano", "source": "pop_piano", "steps": 32, "steps_per_bar": 16, "hop_bars": 1,
             "limit_tunes": 0, "tempo": 100},
    "model": {"variational": True, "latent_dim": 128, "note_hidden": 128, "encoder_hidden": 128,
              "decoder_hidden": 256},
    "loss": {"beta_schedule": "musicvae", "beta": 0.2, "beta_rate": 0.999, "free_bits": 48.0},
    "train": {**_TRAIN, "best_metric": "note_f1", "batch_size": 64, "eval_every": 250, "eval_batches": 8,
              "time_limit": "30m"},
}
