"""Melody attributes, attribute vectors, and the ``attributes`` / ``transform`` verbs on a small folk slice."""

from __future__ import annotations

import pretty_midi
import pytest
import torch
from click.testing import CliRunner
from vaekit_midi import attributes as attrs
from vaekit_midi.commands import ATTRIBUTES

from vaekit.cli import cli
from vaekit.errors import VaekitError

SMALL = [
    "--set", "model.encoder_hidden=16", "--set", "model.decoder_hidden=32", "--set", "model.latent_dim=8",
    "--set", "model.embed=8", "--set", "train.batch_size=16", "--set", "train.eval_every=2",
    "--set", "data.limit_tunes=25",
]  # fmt: skip


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """Small models run far faster on one thread, above all when other processes hold the cores."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def window(notes: list[tuple[int, int]], steps: int = 32) -> torch.Tensor:
    """Tokens with note-ons of (step, MIDI pitch)."""
    x = torch.zeros(steps, dtype=torch.long)
    for step, pitch in notes:
        x[step] = pitch - 19
    return x


def test_attributes_of_known_windows():
    a = window([(0, 60), (4, 62), (8, 64), (13, 67), (18, 66)])  # C D E G F#, one 16th and one 8th off-beat
    a[14] = 1  # a note-off changes nothing
    b = window([(2, 61)])
    empty = torch.zeros(32, dtype=torch.long)
    got = attrs.attributes(torch.stack([a, b, empty]))
    assert tuple(got) == ATTRIBUTES
    expected = {
        "density": [2.5, 0.5, 0.0],
        "interval": [(2 + 2 + 3 + 1) / 4, 0.0, 0.0],
        "syncopation_16th": [1 / 5, 0.0, 0.0],
        "syncopation_8th": [1 / 5, 1.0, 0.0],
        "in_scale": [1.0, 1.0, 0.0],  # G major holds C D E G F#
        "range": [7.0, 0.0, 0.0],
    }
    for name, values in expected.items():
        assert got[name].tolist() == pytest.approx(values), name
    chromatic = window([(i * 2, 60 + i) for i in range(12)])
    assert attrs.attributes(chromatic)["in_scale"].item() == pytest.approx(7 / 12)


def test_attributes_ignore_transposition():
    g = torch.Generator().manual_seed(0)
    x = torch.where(torch.rand(64, 32, generator=g) < 0.3, torch.randint(30, 60, (64, 32), generator=g), 0)
    before = attrs.attributes(x)
    after = attrs.attributes(torch.where(x >= 2, x + 7, x))
    for name in before:
        assert torch.allclose(before[name], after[name]), name


def test_vector_points_from_low_to_high():
    g = torch.Generator().manual_seed(1)
    n = 400
    counts = torch.randint(1, 16, (n,), generator=g)
    windows = torch.zeros(n, 32, dtype=torch.long)
    for i, c in enumerate(counts.tolist()):
        windows[i, torch.arange(c) * 2] = 45
    z = torch.randn(n, 4, generator=g) * 0.1
    z[:, 0] += counts.float()  # dimension 0 encodes density
    vectors, stats = attrs.attribute_vectors(z, windows)
    v = vectors["density"]
    assert v[0] > 5 and v[1:].abs().max() < 0.1
    assert stats["density"]["high"] > stats["density"]["low"]


def test_regression_vectors_separate_attributes_that_go_together():
    """Density in z[0], 16th syncopation in z[1], the two correlated in the data: the difference vector
    of density also moves z[1]; the regression vector moves z[0] alone, by the same amount."""
    g = torch.Generator().manual_seed(2)
    n = 600
    counts = torch.randint(2, 13, (n,), generator=g)
    windows = torch.zeros(n, 32, dtype=torch.long)
    sync = []
    for i, c in enumerate(counts.tolist()):
        s = max(c - 8, min(c, c // 2 + int(torch.randint(0, 3, (1,), generator=g))))  # off-beat 16ths
        windows[i, torch.arange(c - s) * 4] = 45  # on the beat
        windows[i, torch.arange(s) * 2 + 1] = 45
        sync.append(s / c)
    z = torch.randn(n, 4, generator=g) * 0.1
    z[:, 0] += counts.float()
    z[:, 1] += 10 * torch.tensor(sync)
    difference, _ = attrs.attribute_vectors(z, windows, method="difference")
    regression, _ = attrs.attribute_vectors(z, windows, method="regression")
    assert difference["density"][1].abs() > 1.0  # carries syncopation along
    assert regression["density"][1:].abs().max() < 0.05
    assert float(regression["density"][0]) == pytest.approx(float(difference["density"][0]), rel=0.02)
    assert regression["syncopation_16th"][0].abs() < 0.05 and regression["syncopation_16th"][1] > 4
    with pytest.raises(VaekitError, match="unknown attribute method 'pca'"):
        attrs.attribute_vectors(z, windows, method="pca")


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("attributes")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VAEKIT_CACHE", str(tmp_path / "cache"))
        mp.delenv("VAEKIT_LOAD_PLUGINS", raising=False)
        result = CliRunner().invoke(cli, ["train", "--modality", "midi", "--steps", "2", "--no-progress",
                                          "--out", str(tmp_path / "run"), *SMALL])
        assert result.exit_code == 0, result.output
        yield tmp_path / "run"


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def test_attributes_then_transform(run, tmp_path, write_midi):
    tune = write_midi(tmp_path / "tune.mid", [[(i * 240, i * 240 + 200, 60 + (i * 5) % 12) for i in range(16)]])
    result = invoke("transform", run, tune, "--attribute", "density", "--out", tmp_path / "x.mid")
    assert result.exit_code == 2
    assert "no attribute vectors in this run yet" in result.output

    result = invoke("attributes", run, "--max-items", "300")
    assert result.exit_code == 0, result.output
    vectors, info = attrs.load(run)
    assert sorted(vectors) == sorted(ATTRIBUTES)
    assert all(v.shape == (8,) and torch.isfinite(v).all() for v in vectors.values())
    assert info["source"] == "folk" and 0 < info["windows"] <= 300
    assert info["stats"]["density"]["high"] > info["stats"]["density"]["low"] and info["method"] == "difference"
    assert info["units"] == "sd" and sorted(info["calibration"]) == sorted(ATTRIBUTES)
    assert "amount 1 = 1 s.d." in result.output

    out = tmp_path / "out" / "dense.mid"
    result = invoke("transform", run, tune, "--attribute", "density", "--amount", "1.5", "--out", out,
                    "--png", tmp_path / "dense.png")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "dense.png").stat().st_size > 0
    assert "density: input 8.000" in result.output
    assert pretty_midi.PrettyMIDI(str(out)).get_end_time() <= 32 * 0.125  # 2 bars at 120 bpm

    result = invoke("attributes", run, "--max-items", "300", "--method", "regression")
    assert result.exit_code == 0 and "regression vectors" in result.output, result.output
    assert attrs.load(run)[1]["method"] == "regression"

    result = invoke("transform", run, tune, "--attribute", "loudness", "--out", out)
    assert result.exit_code == 2 and "loudness" in result.output
