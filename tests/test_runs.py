"""Run directories are data: nothing in them can execute code, and bad ones get one clear line."""

import json
import pickle
from pathlib import Path

import pytest
import torch

from vaekit import checkpoint, files, runs
from vaekit.config import build
from vaekit.errors import VaekitError
from vaekit.pipeline import Pipeline
from vaekit.training import train


class Payload:
    """Unpickling this writes a marker file: proof that code ran."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "code ran"))


@pytest.fixture
def run(vectors, tmp_path):
    config = build(vectors, overrides=["data.items=200", "train.steps=3"])
    return train(vectors, config, tmp_path / "run", progress=False)


def test_a_pickle_payload_in_place_of_the_weights_is_refused_and_never_runs(run, tmp_path):
    marker = tmp_path / "pwned"
    torch.save({"x": Payload(marker)}, run / runs.BEST)  # a .pt file that runs code when unpickled
    with pytest.raises(VaekitError, match="not a valid safetensors checkpoint"):
        Pipeline.open(run)
    assert not marker.exists()
    pickle.loads(pickle.dumps(Payload(marker)))  # the payload is live: plain unpickling runs it
    assert marker.read_text() == "code ran"


def test_weights_that_do_not_match_the_config(run):
    config = json.loads((run / runs.CONFIG).read_text())
    config["model"]["hidden"] = 32
    (run / runs.CONFIG).write_text(json.dumps(config))
    with pytest.raises(VaekitError, match=r"model.safetensors: weights do not match the config .*shape"):
        Pipeline.open(run)


def test_missing_plugin_and_preset_are_named(run, isolated_plugins):
    config = json.loads((run / runs.CONFIG).read_text())
    (run / runs.CONFIG).write_text(json.dumps({**config, "preset": "gone"}))
    with pytest.raises(VaekitError, match="config.json: preset 'gone' does not exist"):
        Pipeline.open(run)
    (run / runs.CONFIG).write_text(json.dumps({**config, "modality": "theremin"}))
    with pytest.raises(VaekitError, match="config.json: modality 'theremin' is not installed"):
        Pipeline.open(run)


def test_missing_weights_are_named(run):
    (run / runs.BEST).unlink()
    (run / runs.LAST).unlink()
    with pytest.raises(VaekitError, match="last.safetensors: missing weights file"):
        Pipeline.open(run)


def test_a_failing_write_leaves_the_previous_file_intact(tmp_path, monkeypatch):
    path = tmp_path / "f.json"
    files.atomic_write_json(path, {"v": 1})

    def disk_full(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with pytest.raises(OSError):
        files.atomic_write_json(path, {"v": 2})
    assert json.loads(path.read_text()) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["f.json"]


def test_one_writer_per_run_directory(tmp_path):
    first, second = runs.RunDir(tmp_path), runs.RunDir(tmp_path)
    first.lock()
    with pytest.raises(VaekitError, match="another vaekit process is training"):
        second.lock()
    first.unlock()
    second.lock()
    second.unlock()


def test_checkpoint_round_trip_keeps_optimizer_and_rng(tmp_path):
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.Adam(model.parameters())
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    checkpoint.save_checkpoint(tmp_path / "c.safetensors", model, opt, {"step": 1})
    expected = torch.rand(3)
    model2 = torch.nn.Linear(3, 2)
    opt2 = torch.optim.Adam(model2.parameters())
    assert checkpoint.load_training_state(tmp_path / "c.safetensors", model2, opt2) == {"step": 1}
    assert torch.equal(torch.rand(3), expected)
    assert torch.equal(model2.weight, model.weight)
    for a, b in zip(opt.state_dict()["state"].values(), opt2.state_dict()["state"].values()):
        assert torch.equal(a["exp_avg"], b["exp_avg"])


def test_compressed_weights_are_a_quarter_of_the_size_and_load_close_to_the_originals(tmp_path):
    from safetensors.torch import load_file, save_file

    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(256, 128), torch.nn.Linear(128, 3))
    checkpoint.save_checkpoint(tmp_path / "full.safetensors", model)
    small = checkpoint.compress(load_file(tmp_path / "full.safetensors"))
    assert small["model.0.weight"].dtype == torch.int8  # 256 x 128: large enough to be int8
    assert small["model.1.weight"].dtype == torch.float16  # 3 x 128: too small to be worth it
    save_file(small, tmp_path / "small.safetensors")
    full, compressed = (tmp_path / "full.safetensors").stat().st_size, (tmp_path / "small.safetensors").stat().st_size
    assert compressed < 0.3 * full
    loaded = torch.nn.Sequential(torch.nn.Linear(256, 128), torch.nn.Linear(128, 3))
    checkpoint.load_model_weights(tmp_path / "small.safetensors", loaded)
    for (name, a), b in zip(model.state_dict().items(), loaded.state_dict().values()):
        assert b.dtype == torch.float32
        assert (a - b).abs().max() <= a.abs().max() / 254 + 1e-3, name  # half a step of 127 per row, at most
    x = torch.randn(16, 256)
    assert torch.allclose(model(x), loaded(x), atol=0.02)


def test_compressed_weights_missing_their_matrix_are_named(tmp_path):
    from safetensors.torch import save_file

    save_file({"scale.0.weight": torch.ones(3, dtype=torch.float16)}, tmp_path / "bad.safetensors")
    with pytest.raises(VaekitError, match="bad.safetensors: not a valid safetensors checkpoint"):
        checkpoint.read_checkpoint(tmp_path / "bad.safetensors")
