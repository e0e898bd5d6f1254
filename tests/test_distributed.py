"""Runs that change their number of processes, and a rank that dies: the example ``vectors`` modality
through the real command, torchrun and gloo."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from vaekit.testing_distributed import assert_close, command, environment, train, train_losses

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


def test_the_collective_timeout_is_read_from_its_variable(monkeypatch):
    from vaekit import VaekitError, distributed

    monkeypatch.delenv("VAEKIT_COLLECTIVE_TIMEOUT", raising=False)
    assert distributed.collective_timeout() == 300
    for text, seconds in (("90", 90), ("30s", 30), ("10m", 600)):
        monkeypatch.setenv("VAEKIT_COLLECTIVE_TIMEOUT", text)
        assert distributed.collective_timeout() == seconds
    for text in ("soon", "0", "-5s"):
        monkeypatch.setenv("VAEKIT_COLLECTIVE_TIMEOUT", text)
        with pytest.raises(VaekitError, match=f"VAEKIT_COLLECTIVE_TIMEOUT='{text}': write a time above zero"):
            distributed.collective_timeout()


def _ranks(cache: Path) -> dict[int, int]:
    """``{rank: pid}`` of the torchrun workers started with ``VAEKIT_CACHE=cache`` (this test's)."""
    found = {}
    for proc in Path("/proc").iterdir():
        try:
            environ = dict(e.split("=", 1) for e in (proc / "environ").read_text().split("\0") if "=" in e)
        except (OSError, ValueError):
            continue
        if environ.get("VAEKIT_CACHE") == str(cache) and "LOCAL_RANK" in environ:
            found[int(environ["RANK"])] = int(proc.name)
    return found


def _gone(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _wait(condition, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="finds the ranks through /proc")
@pytest.mark.parametrize("sig, victim", [(signal.SIGKILL, 1), (signal.SIGKILL, 0), (signal.SIGSTOP, 1)],
                         ids=["kill-rank-1", "kill-rank-0", "hang-rank-1"])
def test_a_rank_that_dies_or_hangs_stops_the_other_and_the_run_resumes_on_one(tmp_path, sig, victim):
    """SIGKILL one rank of two mid-run (rank 1; rank 0, the writer), or stop rank 1 (SIGSTOP, a hang):
    the other stops within the collective timeout (VAEKIT_COLLECTIVE_TIMEOUT, 10 s here; a dead rank is
    mostly noticed at once) with one line naming what happened, torchrun exits non-zero, and the run
    resumes on one process."""
    run = tmp_path / "run"
    proc = subprocess.Popen(command(*VECTORS, "--set", "train.eval_every=20", "--steps", 10**6, "--out", run, nproc=2),
                            env=_env(tmp_path, VAEKIT_COLLECTIVE_TIMEOUT="10s"), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        _wait(lambda: (run / "last.safetensors").exists() or proc.poll() is not None, 120)
        ranks = _ranks(tmp_path / "cache")
        assert sorted(ranks) == [0, 1], f"ranks found: {ranks}"
        os.kill(ranks[victim], sig)
        start = time.monotonic()
        _wait(lambda: _gone(ranks[1 - victim]), 60)
        took = time.monotonic() - start
        if sig == signal.SIGSTOP:
            os.kill(ranks[victim], signal.SIGCONT)  # it goes on, finds the other gone and stops too
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert took < 25, f"the other rank took {took:.1f} s to stop"  # torchrun's own SIGKILL comes at 30 s
    assert proc.returncode != 0
    lines = [line for line in err.splitlines() if line.startswith(f"Error: rank {1 - victim} stopped: ")]
    assert len(lines) == 1, err[-3000:]
    assert lines[0].startswith(f"Error: rank {1 - victim} stopped: lost contact with another process of this "
                               "2-process run (")
    assert lines[0].endswith(f"--resume continues from the last checkpoint, {run / 'last.safetensors'}")
    assert f"[rank{1 - victim}]: Traceback" not in err  # the line, not a stack trace

    from vaekit import checkpoint

    _, meta = checkpoint.read_checkpoint(run / "last.safetensors")
    saved = meta["state"]["step"]
    assert saved >= 20
    train("--resume", "--steps", saved + 20, "--out", run, env=_env(tmp_path))
    steps = list(train_losses(run))  # no step logged twice
    assert steps[-1] == saved + 20 and saved in steps
    assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp")]
