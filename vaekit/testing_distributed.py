"""For tests, vaekit's own and a plugin's: run the real ``vaekit train`` command on one process and on
several (torchrun, gloo, one thread a process), and compare the loss curves they log.

    from vaekit.testing_distributed import follows_one_process

    def test_two_processes_follow_one(tmp_path):
        follows_one_process(tmp_path, "-m", "mine", "--steps", "40", "--set", "train.log_every=5",
                            "--set", "model.variational=false", tolerance=1e-4)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def command(*args: object, nproc: int = 1) -> list[str]:
    """``python -m vaekit train ARGS --no-progress [--nproc N]``."""
    return [sys.executable, "-m", "vaekit", "train", *map(str, args), "--no-progress",
            *(["--nproc", str(nproc)] if nproc > 1 else [])]


def environment(**extra: str) -> dict[str, str]:
    """This process's environment with one thread a process (small models, shared cores) and ``extra``."""
    return {**os.environ, "OMP_NUM_THREADS": "1", **extra}


def train(*args: object, nproc: int = 1, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run :func:`command` to the end; a failure is an ``AssertionError`` showing the end of its stderr."""
    result = subprocess.run(command(*args, nproc=nproc), env=env or environment(), capture_output=True, text=True)
    assert result.returncode == 0, f"vaekit train {' '.join(map(str, args))} exited {result.returncode}:\n" \
                                   f"{result.stderr[-3000:]}"
    return result


def train_losses(run: str | Path) -> dict[int, float]:
    """The train loss logged at each step of a run's ``metrics.jsonl``; a step logged twice fails."""
    rows = [json.loads(line) for line in (Path(run) / "metrics.jsonl").read_text().splitlines() if line.strip()]
    steps = [r["step"] for r in rows if r["split"] == "train"]
    assert steps == sorted(set(steps)), f"{run}: train steps logged out of order or twice: {steps}"
    return {r["step"]: r["loss"] for r in rows if r["split"] == "train"}


def assert_close(one: dict[int, float], two: dict[int, float], tolerance: float) -> None:
    """The same steps logged, and at each the losses differ by less than ``tolerance`` (relative)."""
    assert list(one) == list(two), f"steps differ: {list(one)} against {list(two)}"
    worst = max(abs(a - b) / abs(a) for a, b in zip(one.values(), two.values()))
    assert worst < tolerance, f"curves differ by {worst:.3g} (over {tolerance}):\n{list(one.values())}\n" \
                              f"{list(two.values())}"


def follows_one_process(tmp_path: Path, *args: object, tolerance: float, nproc: int = 2,
                        env: dict[str, str] | None = None) -> tuple[dict[int, float], dict[int, float]]:
    """Train ``args`` into ``tmp_path/one`` on one process, then into ``tmp_path/two`` on ``nproc``; assert
    that both curves fall and stay within ``tolerance`` (relative) of each other at every logged step.
    Both see the same global batches in the same order, so only each rank's random draws differ: with
    none (``model.variational=false`` and the modality's own draws off) the curves agree to float
    rounding and 1e-4 holds; with them on, 2 processes stay within 10% (too loose to notice
    gradients that are not averaged). Returns both curves."""
    curves = []
    for n, name in ((1, "one"), (nproc, "two")):
        train(*args, "--out", tmp_path / name, nproc=n, env=env)
        curves.append(train_losses(tmp_path / name))
    one, two = curves
    assert len(one) >= 2, f"log more often than every {list(one)} steps to compare curves"
    assert_close(one, two, tolerance)
    for curve in curves:
        assert curve[max(curve)] < curve[min(curve)], f"the loss did not fall: {list(curve.values())}"
    return one, two
