"""A small mel_2bar trained on one process and on two (torchrun, gloo), through the real command."""

import random

from vaekit.testing_distributed import environment, follows_one_process

SMALL = [
    "--set", "model.encoder_hidden=16", "--set", "model.decoder_hidden=32", "--set", "model.latent_dim=8",
    "--set", "model.embed=8", "--set", "train.batch_size=16", "--set", "train.log_every=5",
]  # fmt: skip
# no random draws (reparameterisation, scheduled sampling, transposition): the two curves must then agree
# to float rounding, which a missing gradient average or a wrong share of the batch breaks (at 10%, with
# the draws on, the curves still passed with DistributedDataParallel switched off)
NO_DRAWS = ["--set", "model.variational=false", "--set", "model.sampling_rate=0", "--set", "data.transpose=0"]


def test_two_processes_follow_the_single_process_curve(tmp_path, write_midi):
    rng = random.Random(0)
    (tmp_path / "songs").mkdir()
    for t in range(8):  # 8 tunes of 10 bars: 72 two-bar windows
        notes, tick = [], 0
        while tick < 10 * 4 * 480:
            length = rng.choice([240, 480, 480, 960])
            notes.append((tick, tick + length - 60, rng.randrange(60, 76)))
            tick += length
        write_midi(tmp_path / "songs" / f"t{t}.mid", [notes])
    follows_one_process(tmp_path, "-m", "midi", "-p", "mel_2bar", "--data", tmp_path / "songs", *SMALL, *NO_DRAWS,
                        "--steps", 30, tolerance=1e-4,
                        env=environment(VAEKIT_LOAD_PLUGINS="midi", VAEKIT_CACHE=str(tmp_path / "cache")))
