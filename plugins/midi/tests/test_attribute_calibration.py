"""Calibrated attribute vectors: amount 1 is one standard deviation of the attribute, amount 0 is the
reconstruction, the shipped vectors move real melodies the way asked, and files made before
calibration still load."""

from __future__ import annotations

import copy
import logging

import pytest
import torch
from click.testing import CliRunner
from vaekit_midi import attributes as attrs

from vaekit.cli import cli
from vaekit.pipeline import Pipeline


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


class NotesAlongZ0:
    """A stand-in model: 8 + 4 * z[0] notes (clamped to 0..16) on even steps of a 2-bar window, so density
    (notes a bar) is 4 + 2 * z[0] until it saturates."""

    def eval(self):
        return self

    def decode(self, z: torch.Tensor, temperature: float = 0.0) -> torch.Tensor:
        counts = (8 + torch.round(4 * z[:, 0])).clamp(0, 16).long()
        x = torch.zeros(len(z), 32, dtype=torch.long)
        for i, c in enumerate(counts.tolist()):
            x[i, torch.arange(c) * 2] = 45
        return x


def test_calibration_scales_a_vector_to_one_standard_deviation():
    mu = torch.zeros(10, 2)
    raw = {"density": torch.tensor([1.0, 0.0]), "range": torch.tensor([0.0, 1.0])}
    sd = {name: 1.0 for name in attrs.attributes(torch.zeros(1, 32))} | {"density": 4.0}
    scaled, calibration = attrs.calibrate(NotesAlongZ0(), mu, raw, sd)
    # density moves 2 a bar per raw unit, so 1 s.d. (4) takes 2 raw units on either side
    assert calibration["density"]["scale"] == pytest.approx(2.0)
    assert calibration["density"]["raw_up"] == pytest.approx(2.0)
    assert calibration["density"]["raw_down"] == pytest.approx(2.0)
    assert torch.allclose(scaled["density"], torch.tensor([2.0, 0.0]))
    # z[1] changes nothing: the largest raw amount tried, and a reach that says so
    assert calibration["range"]["raw_up"] is None and calibration["range"]["raw_down"] is None
    assert calibration["range"]["scale"] == attrs.GRID[-1] and calibration["range"]["reach"] == [0.0, 0.0]


@pytest.fixture(scope="module")
def shipped():
    p = Pipeline.open("mel_2bar")
    vectors, info = attrs.load(p.run_dir)
    _, val = p.handler.load_dataset("pop", copy.deepcopy(p.config))
    windows = val.windows[-24:].long()  # held out, from the half the calibration did not use
    return p, vectors, info, windows, attrs.encode_means(p.model, windows)


def test_the_shipped_vectors_are_calibrated(shipped):
    _, vectors, info, _, _ = shipped
    assert info["units"] == "sd" and info["method"] == "regression"
    assert sorted(info["calibration"]) == sorted(vectors)
    assert all(c["sd"] > 0 and c["scale"] > 0 for c in info["calibration"].values())


def test_amount_zero_is_the_reconstruction(shipped, tmp_path, write_midi):
    p = shipped[0]
    tune = write_midi(tmp_path / "tune.mid", [[(i * 240, i * 240 + 200, 60 + (i * 5) % 12) for i in range(16)]])
    reconstruction, moved = p.transform(tune, "density", 0.0)
    assert torch.equal(reconstruction, moved)


@pytest.mark.parametrize("name", ["density", "range", "syncopation_8th"])
def test_calibrated_amounts_move_an_attribute_monotonically(shipped, name):
    """On real held-out windows the mean rises step by step over amounts -2..2, and amount 1 lands
    within a factor of two of one standard deviation."""
    p, vectors, info, _, mu = shipped
    sd = {n: c["sd"] for n, c in info["calibration"].items()}
    change = attrs.response(p.model, mu, vectors[name], [-2, -1, 0, 1, 2], sd)[name].tolist()
    assert all(a < b for a, b in zip(change, change[1:])), change
    assert 0.5 < change[3] < 2.0 and -2.0 < change[1] < -0.3, change


def test_one_sided_vectors_move_the_way_asked(shipped):
    """Where the calibration reached 1 s.d. on one side only, that side moves the right way."""
    p, vectors, info, _, mu = shipped
    sd = {n: c["sd"] for n, c in info["calibration"].items()}
    for name, c in info["calibration"].items():
        if c["raw_up"] is not None:
            assert attrs.response(p.model, mu, vectors[name], [1.0], sd)[name].item() > 0.3, name
        if c["raw_down"] is not None:
            assert attrs.response(p.model, mu, vectors[name], [-1.0], sd)[name].item() < -0.3, name


def test_transform_says_when_a_direction_was_never_reached(shipped, tmp_path, write_midi):
    """mel_2bar's interval vector raises the interval by 1 s.d. but never lowered it that far."""
    _, _, info, _, _ = shipped
    assert info["calibration"]["interval"]["raw_down"] is None and info["calibration"]["interval"]["raw_up"]
    tune = write_midi(tmp_path / "tune.mid", [[(i * 240, i * 240 + 200, 60 + (i * 5) % 12) for i in range(16)]])
    for amount, noted in (("-1", True), ("1", False)):
        result = CliRunner().invoke(cli, ["transform", "mel_2bar", str(tune), "-a", "interval", "--amount", amount,
                                          "--out", str(tmp_path / "out.mid")])
        assert result.exit_code == 0, result.output
        assert ("never lowered it by 1 s.d." in result.output) == noted, result.output


def test_an_uncalibrated_file_still_loads_and_says_so_once(tmp_path, caplog):
    old = {"density": torch.ones(4)}
    attrs.save(tmp_path, old, {"source": "folk", "windows": 10, "quantile": 0.25, "method": "difference",
                               "stats": {}})
    with caplog.at_level(logging.WARNING, logger="vaekit_midi.attributes"):
        vectors, info = attrs.load(tmp_path)
        attrs.load(tmp_path)
    assert torch.equal(vectors["density"], old["density"]) and "units" not in info
    said = [r.getMessage() for r in caplog.records if "uncalibrated" in r.getMessage()]
    assert len(said) == 1 and "multiplies the raw vector" in said[0]
