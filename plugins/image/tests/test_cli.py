"""The CLI verbs end to end through click's CliRunner, with the installed image plugin only."""

import json

import numpy as np
from PIL import Image


def _size(path):
    with Image.open(path) as image:
        return image.size


def test_train_then_every_verb(vaekit, tmp_path):
    vaekit("train", "-m", "image", "-p", "conv2d", "--steps", 30, "--out", "run", "--no-progress")
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["data"]["size"] == 8 and config["data"]["label_names"][:2] == ["0", "1"]
    vaekit("generate", "run", "-n", 9, "--out", "gen")
    assert _size("gen/grid.png") == (3 * 34 + 2, 3 * 34 + 2) and _size("gen/sample_008.png") == (8, 8)
    vaekit("datasets", "export", "digits", "--n", 2, "--out", "ex")
    a, b = "ex/digits_000.png", "ex/digits_001.png"
    vaekit("interpolate", "run", a, b, "--steps", 5, "--out", "strip.png")
    assert _size("strip.png") == (5 * 34 + 2, 36)
    vaekit("interpolate", "run", a, b, "--steps", 4, "--out", "anim.gif")
    with Image.open("anim.gif") as gif:
        assert gif.n_frames == 4
    vaekit("interpolate", "run", a, b, "--steps", 3, "--out", "frames")
    assert sorted(p.name for p in (tmp_path / "frames").iterdir()) == ["step_00.png", "step_01.png", "step_02.png"]
    vaekit("reconstruct", "run", a, b, "--out", "rec")
    assert _size("rec/digits_000_recon.png") == (8, 8) and _size("rec/digits_001_pair.png") == (2 * 34 + 2, 36)
    vaekit("encode", "run", a, b, "--out", "z.npz")
    assert np.load("z.npz")["z"].shape == (2, 2)
    result = json.loads(vaekit("evaluate", "run", "--json"))
    assert {"elbo", "nll_iw", "psnr", "bce"} <= result.keys()
    vaekit("plot", "manifold", "run", "--out", "manifold.png", "-n", 6)
    vaekit("plot", "latent", "run", "--out", "latent.png")
    vaekit("plot", "curves", "run", "--out", "curves.png")
    for name in ("manifold.png", "latent.png", "curves.png"):
        assert _size(name)[0] >= 500


def test_user_folder_superres_and_pca_manifold(vaekit, tmp_path):
    rng = np.random.default_rng(0)
    for label in ("x", "y"):
        for i in range(12):
            a = (rng.random((20, 20, 3)) * 255).astype(np.uint8)
            (tmp_path / "pics" / label).mkdir(parents=True, exist_ok=True)
            Image.fromarray(a).save(tmp_path / "pics" / label / f"{i}.png")
    (tmp_path / "pics" / "x" / "junk.jpg").write_bytes(b"not a jpeg")
    out = vaekit("train", "-m", "image", "--data", "pics", "--set", "task=superres", "--set", "data.size=16",
                 "--set", "model.likelihood=gaussian", "--steps", 4, "--out", "run", "--no-progress")
    assert "skipped 1 of 25 files" in out and "psnr_baseline" in out
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert (config["data"]["size"], config["data"]["channels"]) == (16, 3)
    vaekit("plot", "manifold", "run", "--out", "m.png", "-n", 4)
    vaekit("plot", "latent", "run", "--out", "l.png")
    vaekit("generate", "run", "-n", 2, "--out", "gen")
    assert Image.open("gen/sample_000.png").mode == "RGB"


def test_bad_input_is_one_line_and_status_2(vaekit, tmp_path):
    (tmp_path / "empty").mkdir()
    out = vaekit("train", "-m", "image", "--data", "empty", "--steps", 1, "--out", "r1", code=2)
    assert "no usable image" in out and len(out.strip().splitlines()) == 1
    out = vaekit("train", "-m", "image", "--set", "task=paint", "--steps", 1, "--out", "r2", code=2)
    assert "task='paint'" in out
    out = vaekit("train", "-m", "image", "--data", "nowhere", "--steps", 1, "--out", "r3", code=2)
    assert "neither a built-in" in out
    out = vaekit("plot", "curves", "empty", "--out", "c.png", code=2)
    assert "metrics.jsonl" in out
