"""Every output file opens and has the size it should."""

import json

import pytest
import torch
from PIL import Image
from vaekit_image import outputs, plots


def _size(path):
    with Image.open(path) as image:
        return image.size, image.mode


def test_grid_and_samples(tmp_path):
    x = torch.rand(10, 1, 8, 8)
    paths = outputs.write_samples(x, tmp_path / "gen")
    assert len(paths) == 11 and paths[0].name == "grid.png"
    tile = 8 * outputs.tile_scale(8) + outputs.PAD
    assert _size(paths[0]) == ((4 * tile + outputs.PAD, 3 * tile + outputs.PAD), "L")  # 4 columns, 3 rows
    assert _size(paths[1]) == ((8, 8), "L")
    colour = outputs.write_samples(torch.rand(4, 3, 40, 40), tmp_path / "rgb")
    assert _size(colour[0]) == ((2 * 42 + 2, 2 * 42 + 2), "RGB") and _size(colour[1]) == ((40, 40), "RGB")


def test_written_image_round_trips(modality, config_of, tmp_path):
    x = torch.rand(1, 12, 12)
    modality.write(x, tmp_path / "one.png", config_of("conv"))
    back = modality.read(tmp_path / "one.png", config_of("conv", data__size=12, data__channels=1))
    assert torch.allclose(back[0], x, atol=1 / 255)


def test_reconstructions_side_by_side(tmp_path):
    paths = outputs.write_reconstructions(torch.rand(2, 1, 28, 28), torch.rand(2, 1, 28, 28), ["a", "b"], tmp_path)
    assert [p.name for p in paths] == ["a_recon.png", "a_pair.png", "b_recon.png", "b_pair.png"]
    assert _size(paths[0])[0] == (28, 28)
    s = 28 * outputs.tile_scale(28)
    assert _size(paths[1])[0] == (2 * s + 3 * outputs.PAD, s + 2 * outputs.PAD)


def test_interpolation_strip_gif_and_frames(tmp_path):
    x = torch.rand(6, 1, 16, 16)
    (strip,) = outputs.write_interpolation(x, tmp_path / "strip.png")
    s = 16 * outputs.tile_scale(16)
    assert _size(strip)[0] == (6 * (s + outputs.PAD) + outputs.PAD, s + 2 * outputs.PAD)
    (gif,) = outputs.write_interpolation(x, tmp_path / "anim.gif")
    with Image.open(gif) as image:
        assert image.format == "GIF" and image.n_frames == 6
    frames = outputs.write_interpolation(x, tmp_path / "frames")
    assert [p.name for p in frames] == [f"step_{i:02d}.png" for i in range(6)]
    assert not list(tmp_path.rglob(".*tmp*"))


@pytest.fixture
def small_model(modality, config_of):
    def make(latent):
        config = config_of("conv2d", data__size=8, data__channels=1, model__latent_dim=latent)
        return modality.build_model(config).eval()

    return make


def test_manifold_2d_and_pca(small_model, tmp_path):
    path = plots.manifold(small_model(2), tmp_path / "m2.png", n=5)
    assert _size(path)[0] == (800, 800)
    with pytest.raises(ValueError, match="needs images"):
        plots.manifold(small_model(6), tmp_path / "m6.png", n=5)
    path = plots.manifold(small_model(6), tmp_path / "m6.png", n=5, images=torch.rand(20, 1, 8, 8))
    assert _size(path)[0] == (800, 800)


def test_latent_scatter(small_model, tmp_path):
    images, labels = torch.rand(30, 1, 8, 8), torch.arange(30) % 3
    path = plots.latent_scatter(small_model(2), images, tmp_path / "l.png", labels, ["a", "b", "c"])
    assert _size(path)[0] == (700, 600)
    assert plots.latent_scatter(small_model(5), images, tmp_path / "n.png").exists()


def test_curves(tmp_path):
    rows = [{"step": s, "split": "train", "loss": 10.0 - s, "recon": 9.0, "kl": 1.0, "lr": 1e-3} for s in (1, 2, 3)]
    rows += [{"step": 3, "split": "val", "elbo": -7.0, "kl": 1.0, "psnr": 14.0, "psnr_baseline": 10.0}]
    (tmp_path / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in rows))
    path = plots.curves(tmp_path / "metrics.jsonl", tmp_path / "c.png")
    assert _size(path)[0] == (1500, 400)
    (tmp_path / "empty.jsonl").write_text("")
    with pytest.raises(ValueError, match="no loss"):
        plots.curves(tmp_path / "empty.jsonl", tmp_path / "d.png")
