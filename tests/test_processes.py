"""Training as whole processes: Ctrl-C saves and exits 0; torchrun with 2 processes follows the
single-process loss curve; a distributed run resumes on one process."""

import json
import os
import signal
import subprocess
import sys
import time

import pytest

TRAIN = [sys.executable, "-m", "vaekit", "train", "-m", "vectors", "--set", "data.items=800", "--set",
         "train.log_every=10", "--no-progress"]


def _env(tmp_path):
    return {**os.environ, "VAEKIT_LOAD_PLUGINS": "vectors", "VAEKIT_CACHE": str(tmp_path / "cache")}


def _train_losses(run):
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    return [r["loss"] for r in rows if r["split"] == "train"], rows


def _wait_for(path, timeout=60):
    deadline = time.time() + timeout
    while not path.exists() and time.time() < deadline:
        time.sleep(0.1)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_ctrl_c_and_sigterm_save_last_and_exit_0(tmp_path, sig):
    run = tmp_path / "run"
    proc = subprocess.Popen([*TRAIN, "--steps", "1000000", "--out", str(run)], env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(run / "metrics.jsonl")
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "interrupted: saved step" in err
    from vaekit import checkpoint

    _, meta = checkpoint.read_checkpoint(run / "last.safetensors")
    assert meta["state"]["step"] >= 10
    resumed = subprocess.run([*TRAIN, "--resume", "--out", str(run), "--steps", str(meta["state"]["step"] + 5)],
                             env=_env(tmp_path), capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr


def test_two_processes_follow_the_single_process_curve_and_resume_on_one(tmp_path):
    pytest.importorskip("torch.distributed")
    one, two = tmp_path / "one", tmp_path / "two"
    subprocess.run([*TRAIN, "--steps", "100", "--out", str(one)], env=_env(tmp_path), check=True, capture_output=True)
    result = subprocess.run([*TRAIN, "--nproc", "2", "--steps", "100", "--out", str(two)], env=_env(tmp_path),
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]
    a, _ = _train_losses(one)
    b, rows = _train_losses(two)
    assert len(a) == len(b) == 10
    # the same global batches in the same order; only the reparameterisation noise differs
    assert max(abs(x - y) / abs(x) for x, y in zip(a, b)) < 0.1
    assert a[-1] < a[0] - 5 and b[-1] < b[0] - 5
    assert len([r for r in rows if r["step"] == 100 and r["split"] == "train"]) == 1  # rank 0 alone writes
    before = (two / "metrics.jsonl").read_text()
    subprocess.run([*TRAIN, "--resume", "--out", str(two), "--steps", "120"], env=_env(tmp_path), check=True,
                   capture_output=True)
    assert (two / "metrics.jsonl").read_text().startswith(before)  # the 2-process rows kept, then 110 and 120
    resumed, rows = _train_losses(two)
    assert [r["step"] for r in rows if r["split"] == "train"] == list(range(10, 121, 10)) and rows[-1]["step"] == 120
    assert max(resumed[-2:]) < 1.1 * b[-1]  # one process goes on from the weights two left, not from scratch


@pytest.mark.parametrize("delay", [0.5, 1.5, 3.0])
def test_sigkill_at_any_moment_leaves_a_resumable_run(tmp_path, delay):
    from vaekit import checkpoint

    run = tmp_path / "run"
    proc = subprocess.Popen([*TRAIN, "--steps", "1000000", "--set", "train.checkpoint_seconds=0.2", "--out", str(run)],
                            env=_env(tmp_path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _wait_for(run / "config.json")
    time.sleep(delay)
    proc.kill()
    proc.wait()
    if not (run / "last.safetensors").exists():  # killed before the first checkpoint: start again
        return
    _, meta = checkpoint.read_checkpoint(run / "last.safetensors")
    saved = meta["state"]["step"]
    target = saved + 20
    resumed = subprocess.run([*TRAIN, "--resume", "--out", str(run), "--steps", str(target)], env=_env(tmp_path),
                             capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr  # the dead process's lock did not stay behind
    steps = [json.loads(line)["step"] for line in (run / "metrics.jsonl").read_text().splitlines()
             if json.loads(line)["split"] == "train"]
    assert steps == sorted(set(steps)) and steps[-1] == target  # no step logged twice after the resume
    assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp")]  # temp files of the killed writer swept


def test_a_run_killed_five_times_finishes_with_resume_alone(tmp_path):
    """The first kill lands while the data loads (before any checkpoint), the others at random moments;
    each time ``--resume`` alone goes on, and the finished run logs every row once."""
    import numpy as np

    table = tmp_path / "table.csv"
    np.savetxt(table, np.random.default_rng(0).normal(size=(60000, 8)), delimiter=",", fmt="%.5f")
    run = tmp_path / "run"
    first = [*TRAIN, "--data", str(table), "--steps", "300", "--set", "train.checkpoint_seconds=0.2", "--out", str(run)]
    resume = [*TRAIN, "--resume", "--out", str(run)]
    delays = np.random.default_rng(1).uniform(0.3, 3.0, size=4)
    for n, delay in enumerate([None, *delays]):
        proc = subprocess.Popen(first if n == 0 else resume, env=_env(tmp_path),
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if delay is None:
            _wait_for(run / "config.json")
            assert not (run / "metrics.jsonl").exists()  # still loading the data
        else:
            time.sleep(delay)
        proc.kill()
        _, err = proc.communicate()
        if n == 0:
            assert not (run / "last.safetensors").exists()
    done = subprocess.run(resume, env=_env(tmp_path), capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    keys = [(r["step"], r["split"]) for r in rows]
    assert len(keys) == len(set(keys)) and keys == sorted(keys, key=lambda k: k[0])
    assert (300, "train") in keys and (300, "val") in keys


def test_resume_of_a_run_that_never_reached_a_checkpoint_starts_it_again(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    config = subprocess.run([*TRAIN, "--steps", "20", "--out", str(tmp_path / "ref")], env=_env(tmp_path),
                            capture_output=True, text=True)
    assert config.returncode == 0, config.stderr
    (run / "config.json").write_text((tmp_path / "ref" / "config.json").read_text())  # as a kill leaves it
    again = subprocess.run([*TRAIN, "--out", str(run)], env=_env(tmp_path), capture_output=True, text=True)
    assert again.returncode == 2 and "stopped before its first checkpoint; --resume starts it again" in again.stderr
    resumed = subprocess.run([*TRAIN, "--resume", "--out", str(run)], env=_env(tmp_path), capture_output=True,
                             text=True)
    assert resumed.returncode == 0, resumed.stderr
    assert "starting again from step 0 with its saved config" in resumed.stderr
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 20
