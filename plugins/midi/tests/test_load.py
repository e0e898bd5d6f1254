"""Load: the verbs users script in loops stay correct, deterministic and flat in memory.

Promises, against one small trained MIDI run:
- ``vaekit generate`` and ``vaekit interpolate`` called 200 times in a row in one process all succeed,
  and every call with the same seed writes byte-identical files;
- memory stays flat: after a warm-up, live Python objects grow by under 200 beyond what click's own
  CliRunner leaves per call (it keeps each call's stream wrappers), and the resident set by under 64 MiB;
- 4 processes calling both verbs at once all succeed and write the same bytes as the single process.

``pytest -m slow`` runs a soak: 2,000 calls in one process and 4 processes x 100 calls.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import subprocess
import sys
from pathlib import Path

import click
import numpy as np
import pytest
import torch
from click.testing import CliRunner

from vaekit import plugins
from vaekit.cli import cli
from vaekit.config import build

TRAIN = ["--set", "model.latent_dim=8", "--set", "model.embed=8", "--set", "model.encoder_hidden=16",
         "--set", "model.decoder_hidden=32", "--set", "model.bf16=false", "--set", "data.transpose=0",
         "--set", "data.val_fraction=0.3", "--set", "train.batch_size=16", "--set", "train.eval_every=20"]
OBJECT_GROWTH = 200
RSS_GROWTH_BYTES = 64 * 2**20


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A mel_2bar run (tiny sizes, 20 steps) trained on eight generated tunes, and two tunes to
    interpolate between."""
    root = tmp_path_factory.mktemp("load")
    env = pytest.MonkeyPatch()
    env.setenv("VAEKIT_CACHE", str(root / "cache"))
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny models on a shared machine: more threads only wait for each other
    songs = root / "songs"
    songs.mkdir()
    midi = plugins.get_modality("midi")
    config = build(midi, "mel_2bar")
    for i in range(8):
        melody = np.zeros(64, np.int8)
        melody[::4] = 30 + (np.arange(16) * (i + 2)) % 12 + i
        midi.handler(config).write(torch.from_numpy(melody), songs / f"tune{i}.mid", config)
    result = CliRunner().invoke(cli, ["train", "-m", "midi", "--data", str(songs), *TRAIN, "--steps", "20",
                                      "--out", str(root / "run"), "--no-progress"])
    assert result.exit_code == 0, result.output
    yield root / "run", songs / "tune0.mid", songs / "tune5.mid"
    torch.set_num_threads(threads)
    env.undo()


def digest(folder_or_file: Path) -> str:
    """SHA-256 over the names and bytes of every file written."""
    paths = sorted(folder_or_file.rglob("*")) if folder_or_file.is_dir() else [folder_or_file]
    h = hashlib.sha256()
    for p in paths:
        if p.is_file():
            h.update(p.name.encode() + p.read_bytes())
    return h.hexdigest()


def call_both(runner: CliRunner, run_dir: Path, a: Path, b: Path, out: Path) -> tuple[str, str]:
    """One ``generate`` (seed 7) and one ``interpolate``, each into a fresh output; their digests."""
    gen, mix = out / "gen", out / "mix.mid"
    result = runner.invoke(cli, ["generate", str(run_dir), "-n", "4", "--seed", "7", "--out", str(gen)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(cli, ["interpolate", str(run_dir), str(a), str(b), "--steps", "5", "--out", str(mix)])
    assert result.exit_code == 0, result.output
    digests = digest(gen), digest(mix)
    for p in gen.iterdir():
        p.unlink()
    mix.unlink()
    return digests


def rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def runner_residue(invokes: int) -> int:
    """Live objects that ``CliRunner`` itself leaves behind over ``invokes`` calls of a command that
    does nothing (click 8.5 keeps every call's stream wrappers alive), to subtract from ours."""

    @click.command()
    def noop() -> None:
        click.echo("ok")

    runner = CliRunner()
    runner.invoke(noop)
    gc.collect()
    before = len(gc.get_objects())
    for _ in range(invokes):
        runner.invoke(noop)
    gc.collect()
    return len(gc.get_objects()) - before


def calls_in_a_row(run, tmp_path, pairs: int) -> None:
    run_dir, a, b = run
    runner = CliRunner()
    first = call_both(runner, run_dir, a, b, tmp_path)
    for _ in range(4):  # warm-up: lazy imports, allocator pools
        assert call_both(runner, run_dir, a, b, tmp_path) == first
    gc.collect()
    objects, resident = len(gc.get_objects()), rss()
    for _ in range(pairs - 5):
        assert call_both(runner, run_dir, a, b, tmp_path) == first
    gc.collect()
    object_growth, resident_growth = len(gc.get_objects()) - objects, rss() - resident
    residue = runner_residue(2 * (pairs - 5))
    assert object_growth - residue < OBJECT_GROWTH, f"{object_growth} more live Python objects ({residue} CliRunner's)"
    assert resident_growth < RSS_GROWTH_BYTES, f"resident set grew by {resident_growth / 2**20:.1f} MiB"


def test_200_calls_in_a_row_are_identical_and_flat(run, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):  # pytest keeps every log record it captures: not the CLI's growth
        calls_in_a_row(run, tmp_path, pairs=100)  # 100 generate + 100 interpolate


@pytest.mark.slow
def test_soak_2000_calls(run, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        calls_in_a_row(run, tmp_path, pairs=1000)


WORKER = """
import sys
from pathlib import Path
from click.testing import CliRunner
sys.path.insert(0, {tests!r})
from test_load import call_both
run_dir, a, b, out, n = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5])
runner = CliRunner()
seen = {{call_both(runner, run_dir, a, b, out) for _ in range(n)}}
print(" ".join(sorted(seen).pop() if len(seen) == 1 else ["differ"] * 2))
"""


def processes_at_once(run, tmp_path, processes: int, calls: int) -> None:
    run_dir, a, b = run
    reference = call_both(CliRunner(), run_dir, a, b, tmp_path)
    script = WORKER.format(tests=str(Path(__file__).parent))
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    workers = []
    for i in range(processes):
        out = tmp_path / f"worker{i}"
        out.mkdir()
        workers.append(subprocess.Popen([sys.executable, "-c", script, str(run_dir), str(a), str(b), str(out),
                                         str(calls)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        env=env))
    for worker in workers:
        stdout, stderr = worker.communicate(timeout=600)
        assert worker.returncode == 0, stderr[-2000:]
        assert stdout.split() == list(reference), (stdout, stderr[-2000:])


def test_4_processes_at_once_write_the_same_bytes(run, tmp_path):
    processes_at_once(run, tmp_path, processes=4, calls=10)


@pytest.mark.slow
def test_soak_4_processes_x_100(run, tmp_path):
    processes_at_once(run, tmp_path, processes=4, calls=100)
