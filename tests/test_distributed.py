"""Runs that change their number of processes: the example ``vectors`` modality through the real
command, torchrun and gloo."""

import pytest

from vaekit.testing_distributed import assert_close, environment, train, train_losses

pytest.importorskip("torch.distributed")

# model.variational=false: no reparameterisation noise, so one process and two give the same curve to
# float rounding, and a resumed run must continue exactly as one that never stopped
VECTORS = ("-m", "vectors", "--set", "data.items=800", "--set", "train.log_every=10",
           "--set", "model.variational=false")


def _env(tmp_path, **extra):
    return environment(VAEKIT_LOAD_PLUGINS="vectors", VAEKIT_CACHE=str(tmp_path / "cache"), **extra)


def test_a_run_of_one_process_resumes_on_two(tmp_path):
    whole, run = tmp_path / "whole", tmp_path / "run"
    train(*VECTORS, "--steps", 100, "--out", whole, env=_env(tmp_path))
    train(*VECTORS, "--steps", 60, "--out", run, env=_env(tmp_path))
    before = (run / "metrics.jsonl").read_text()
    train("--resume", "--steps", 100, "--out", run, nproc=2, env=_env(tmp_path))
    after = (run / "metrics.jsonl").read_text()
    assert after.startswith(before)  # rows up to step 60 kept as they were
    assert list(train_losses(run)) == list(range(10, 101, 10))  # 70..100 added once each (rank 0 alone writes)
    assert_close(train_losses(whole), train_losses(run), 1e-4)  # weights, Adam state, lr and batch order carried
