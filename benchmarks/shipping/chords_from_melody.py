"""A run to start a chord model from: the shipped melody model's weights (``mel_2bar`` for
``mel_2bar_chords``, ``mel_16bar`` for ``mel_16bar_chords``) where the shapes agree, and in the two
LSTMs' input weights, which are wider by the chord features of each step, the melody model's columns
for the tokens (and z) with zeros for the chords, so that training starts from its melodies and learns
what the chords add:

    python benchmarks/shipping/chords_from_melody.py runs/mel_2bar_chords-start
    vaekit train --preset mel_2bar_chords --init-from runs/mel_2bar_chords-start -o runs/mel_2bar_chords
    python benchmarks/shipping/chords_from_melody.py runs/mel_16bar_chords-start --preset mel_16bar_chords

With ``--weights RUN`` (a chord model's run), that run's weights under the preset's config as it is now
(a run saved before a config key was added cannot take it with ``--set``).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from vaekit import checkpoint, plugins, shipped
from vaekit.config import build
from vaekit.modality import handler_of
from vaekit.runs import BEST, RunDir

#: The melody model each chord model starts from.
MELODY_MODEL = {"mel_2bar_chords": "mel_2bar", "mel_16bar_chords": "mel_16bar"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="the run folder to write")
    parser.add_argument("--preset", default="mel_2bar_chords", choices=sorted(MELODY_MODEL))
    parser.add_argument("--weights", type=Path, help="a run to take the weights of [the shipped melody model]")
    args = parser.parse_args()
    modality = plugins.get_modality("midi")
    config = build(modality, args.preset)
    model = handler_of(modality, config).build_model(config)
    melody_model = MELODY_MODEL[args.preset]
    source = RunDir(args.weights or shipped.resolve(melody_model)).file(BEST)
    tensors, _ = checkpoint.read_checkpoint(source)
    old = {k.removeprefix("model."): v for k, v in tensors.items() if k.startswith("model.")}
    state = model.state_dict()
    padded = []
    for key, value in state.items():
        have = old[key]
        if have.shape == value.shape:
            state[key] = have
        elif key.endswith(("weight_ih_l0", "weight_ih_l0_reverse")) and have.shape[0] == value.shape[0]:
            state[key] = torch.cat([have, have.new_zeros(value.shape[0], value.shape[1] - have.shape[1])], 1)
            padded.append(key)
        else:
            raise SystemExit(f"{key}: {tuple(have.shape)} in {melody_model}, {tuple(value.shape)} here")
    model.load_state_dict(state)
    run = RunDir(args.out)
    run.path.mkdir(parents=True, exist_ok=True)
    run.write_config(config)
    checkpoint.save_checkpoint(run.file(BEST), model)
    print(f"wrote {run.path}: {args.weights or melody_model}'s weights"
          + (f", chord columns zero in {', '.join(padded)}" if padded else ""))


if __name__ == "__main__":
    main()
