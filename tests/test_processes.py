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


def test_ctrl_c_saves_last_and_exits_0(tmp_path):
    run = tmp_path / "run"
    proc = subprocess.Popen([*TRAIN, "--steps", "1000000", "--out", str(run)], env=_env(tmp_path),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not (run / "metrics.jsonl").exists() and time.time() < deadline:
        time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
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
    subprocess.run([*TRAIN, "--resume", "--out", str(two), "--steps", "120"], env=_env(tmp_path), check=True,
                   capture_output=True)
    assert _train_losses(two)[1][-1]["step"] == 120
