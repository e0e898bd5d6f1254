"""Every verb end to end through click's CliRunner, against the in-process test modality."""

import json
import shutil

import numpy as np
import pytest
from click.testing import CliRunner

from vaekit.cli import cli

from .conftest import isolate, register_vectors


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(scope="module")
def shared_run(tmp_path_factory):
    """One short training run through the CLI, shared by the tests that only read it."""
    with pytest.MonkeyPatch.context() as mp:
        tmp = tmp_path_factory.mktemp("shared")
        isolate(mp, tmp / "cache")
        register_vectors()
        run = tmp / "run"
        result = CliRunner().invoke(cli, ["train", "-m", "vectors", "--set", "data.items=600", "--steps", "300",
                                          "--out", str(run), "--no-progress"])
        assert result.exit_code == 0, result.output
        assert f"run saved in {run}" in result.output
        yield run


@pytest.fixture
def trained(vectors, shared_run, tmp_path):
    """A private copy of the shared run, free to modify."""
    run = tmp_path / "run"
    shutil.copytree(shared_run, run)
    return run


def _ok(runner, args):
    result = runner.invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result.output


def test_train_writes_the_run_directory(trained):
    names = {p.name for p in trained.iterdir()}
    assert {"config.json", "model.safetensors", "last.safetensors", "metrics.jsonl"} <= names
    config = json.loads((trained / "config.json").read_text())
    assert config["modality"] == "vectors" and config["preset"] == "mlp"
    assert config["data"]["features"] == 32 and config["train"]["steps"] == 300
    assert "torch" in config["versions"]
    assert not [p for p in trained.iterdir() if p.name.endswith(".tmp")]


def test_generate_interpolate_reconstruct_encode(trained, runner, tmp_path):
    out = _ok(runner, ["generate", trained, "-n", "3", "--out", tmp_path / "gen"])
    assert "wrote 3 file(s)" in out
    assert np.loadtxt(tmp_path / "gen" / "sample_002.csv", delimiter=",").shape == (32,)
    a, b = tmp_path / "a.npy", tmp_path / "b.csv"
    np.save(a, np.sin(2 * np.pi * 2 * np.linspace(0, 1, 32) + 1)[None])
    np.savetxt(b, np.stack([np.cos(2 * np.pi * 1.5 * np.linspace(0, 1, 32))] * 2), delimiter=",")
    out = _ok(runner, ["interpolate", trained, a, b, "--steps", "5", "--out", tmp_path / "mix"])
    assert len(list((tmp_path / "mix").glob("step_*.csv"))) == 5
    assert "holds 2 items; using number 0" in out
    _ok(runner, ["reconstruct", trained, a, "--out", tmp_path / "rec"])
    rec = np.loadtxt(tmp_path / "rec" / "a_recon.csv", delimiter=",")
    assert np.abs(rec - np.load(a)[0]).mean() < 0.3
    _ok(runner, ["encode", trained, a, b, "--out", tmp_path / "z.npz"])
    z = np.load(tmp_path / "z.npz")
    assert z["z"].shape == (2, 3) and list(z["names"]) == [str(a), str(b)]
    _ok(runner, ["encode", trained, "--data", "waves", "--out", tmp_path / "zv.npz"])
    assert np.load(tmp_path / "zv.npz")["z"].shape[1] == 3


def test_the_same_seed_generates_the_same_output(trained, runner, tmp_path):
    for name in ("x", "y"):
        _ok(runner, ["generate", trained, "-n", "2", "--seed", "4", "--out", tmp_path / name])
    assert (tmp_path / "x" / "sample_001.csv").read_text() == (tmp_path / "y" / "sample_001.csv").read_text()


def test_evaluate_info_datasets_presets(trained, runner, tmp_path):
    result = json.loads(_ok(runner, ["evaluate", trained, "--json", "-k", "20"]))
    assert {"elbo", "nll_iw", "mse", "k"} <= set(result) and result["k"] == 20
    assert "steps trained: 300" in _ok(runner, ["info", trained])
    assert "waves" in _ok(runner, ["datasets"])
    assert "model.latent_dim = 3" in _ok(runner, ["presets", "-m", "vectors"])
    _ok(runner, ["datasets", "export", "waves", "--n", "2", "--out", tmp_path / "exp"])
    assert len(list((tmp_path / "exp").glob("*.csv"))) == 2


def test_resume_continues_to_the_total_step_count(trained, runner):
    _ok(runner, ["train", "--resume", "--out", trained, "--steps", "330", "--no-progress"])
    rows = [json.loads(line) for line in (trained / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == 330


def test_config_file_and_set(vectors, runner, tmp_path):
    toml = tmp_path / "c.toml"
    toml.write_text('modality = "vectors"\n[model]\nlatent_dim = 2\n[train]\nsteps = 5\n')
    _ok(runner, ["train", "--config", toml, "--set", "data.items=300", "--out", tmp_path / "r", "--no-progress"])
    assert json.loads((tmp_path / "r" / "config.json").read_text())["model"]["latent_dim"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "-m", "vectors", "--set", "model.latnt_dim=3"], "unknown config key 'model.latnt_dim'"),
        (["train", "-m", "vectors", "--set", "nonsense"], "expected key=value"),
        (["train", "-m", "pixels"], "modality 'pixels' is not installed"),
        (["train", "-m", "vectors", "--preset", "huge"], "unknown preset 'huge'"),
        (["train", "-m", "vectors", "--time-limit", "soon"], "cannot read time limit"),
    ],
)
def test_bad_training_input_exits_2(vectors, runner, tmp_path, args, message):
    result = runner.invoke(cli, [*args, "--out", str(tmp_path / "r"), "--no-progress"])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert not (tmp_path / "r" / "config.json").exists()


def test_missing_and_corrupt_runs_exit_2_naming_the_file(trained, runner, tmp_path):
    result = runner.invoke(cli, ["generate", str(tmp_path / "nope"), "--out", str(tmp_path / "g")])
    assert result.exit_code == 2 and "nope: no such run directory" in result.output
    (trained / "model.safetensors").write_bytes(b"\x00garbage")
    result = runner.invoke(cli, ["generate", str(trained), "--out", str(tmp_path / "g")])
    assert result.exit_code == 2 and "model.safetensors: not a valid safetensors checkpoint" in result.output
    (trained / "config.json").write_text("{not json")
    result = runner.invoke(cli, ["info", str(trained)])
    assert result.exit_code == 2 and "config.json: corrupt run config" in result.output


def test_bad_user_file_exits_2(trained, runner, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("1,2,x\n")
    result = runner.invoke(cli, ["reconstruct", str(trained), str(bad), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and f"{bad}: cannot read numbers" in result.output
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("1,2,3\n")
    result = runner.invoke(cli, ["reconstruct", str(trained), str(wrong), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "rows have 3 values, the run expects 32" in result.output
    result = runner.invoke(cli, ["reconstruct", str(trained), str(tmp_path / "gone.csv"), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "gone.csv: no such file" in result.output
    assert not (tmp_path / "o").exists()


def test_a_modality_without_audio_says_so_and_writes_nothing(trained, runner, tmp_path):
    args = ["generate", str(trained), "--out", str(tmp_path / "g"), "--wav", str(tmp_path / "g.wav")]
    result = runner.invoke(cli, args)
    assert result.exit_code == 2 and "the vectors modality writes no audio" in result.output
    assert not (tmp_path / "g").exists() and not (tmp_path / "g.wav").exists()


def test_weights_last_loads_the_latest_checkpoint(trained, runner, tmp_path):
    from safetensors.torch import save

    from vaekit import checkpoint, files

    tensors, _ = checkpoint.read_checkpoint(trained / "last.safetensors")
    key = next(k for k in tensors if k.startswith("model."))
    tensors[key] = tensors[key] + 100.0  # make last differ from best, visibly
    files.atomic_write(trained / "last.safetensors", save(tensors))
    best = json.loads(_ok(runner, ["evaluate", trained, "--json", "-k", "0"]))
    last = json.loads(_ok(runner, ["evaluate", trained, "--json", "-k", "0", "--weights", "last"]))
    assert last["elbo"] < best["elbo"] - 100


def test_models_prints_nested_card_figures():
    from vaekit.cli import _figures

    line = _figures({"acc_tf": 0.7261, "windows": 1935, "hit_f1": {"kick": 0.75849, "all": 0.7672}})
    assert line == "acc_tf 0.726, windows 1935, hit_f1 (kick 0.758, all 0.767)"
