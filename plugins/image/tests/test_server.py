"""vaekit serve with the real image plugin: PNGs in and out, the latent map's plane, hostile uploads
(through FastAPI's test client)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

pytest.importorskip("fastapi")

import vaekit  # noqa: E402
from vaekit.testing import installed_plugins, studio_client  # noqa: E402

SMALL = ["model.widths=[8, 8]", "model.hidden=16", "train.batch_size=32", "train.eval_every=5"]


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    """Two tiny digit runs: ``flat`` with a 2-D latent (conv2d), ``deep`` with a 4-D one (conv)."""
    tmp = tmp_path_factory.mktemp("server")
    with installed_plugins(tmp / "cache"):
        vaekit.train("image", "conv2d", "digits", overrides=SMALL, steps=5, out=tmp / "runs" / "flat", progress=False)
        vaekit.train("image", "conv", "digits", overrides=[*SMALL, "model.latent_dim=4", "model.blocks=0"], steps=5,
                     out=tmp / "runs" / "deep", progress=False)
        with studio_client([], tmp / "runs") as c:
            yield c


def png(pixels) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.asarray(pixels, dtype=np.uint8)).save(out, format="PNG")
    return out.getvalue()


A = ("a.png", png(np.tril(np.full((28, 28), 255))))  # an MNIST-sized picture, resized to the run's 8x8
B = ("b.png", png(np.eye(8) * 255))


def test_models_and_their_page(client):
    models = {m["name"]: m for m in client.get("/api/models").json()}
    assert {"deep", "flat"} <= set(models) and models["flat"]["latent_dim"] == 2  # beside any shipped models
    assert models["deep"]["page"] == "/web/image/" and models["deep"]["attributes"] == []
    assert "<script" in client.get("/web/image/").text


def test_interpolate_reconstruct_generate(client):
    items = client.post("/api/interpolate", data={"model": "deep", "steps": 4}, files={"a": A, "b": B}).json()["items"]
    assert len(items) == 4 and np.array(items[0]["values"]).shape == (1, 8, 8)
    strip = client.post("/api/interpolate", data={"model": "deep", "steps": 4}, files={"a": A, "b": B},
                        params={"format": "png"})
    assert Image.open(io.BytesIO(strip.content)).size[0] > Image.open(io.BytesIO(strip.content)).size[1]
    step = client.post("/api/interpolate", data={"model": "deep", "steps": 4}, files={"a": A, "b": B},
                       params={"format": "png", "item": 3})
    assert Image.open(io.BytesIO(step.content)).size == (8, 8)
    recon = client.post("/api/reconstruct", data={"model": "flat"}, files=[("files", A)]).json()["items"]
    assert np.array(recon[0]["input"]).shape == (1, 8, 8)
    grid = client.post("/api/generate", data={"model": "flat", "count": 4, "temperature": 0.5},
                       params={"format": "png"})
    assert grid.status_code == 200 and grid.content.startswith(b"\x89PNG")


def test_the_latent_maps_plane(client):
    flat = client.get("/api/models/flat/plane").json()
    assert flat["axes"] == [[1.0, 0.0], [0.0, 1.0]]
    deep = client.get("/api/models/deep/plane").json()
    axes = np.array(deep["axes"])
    assert axes.shape == (2, 4) and np.allclose(axes @ axes.T, np.eye(2), atol=1e-6)
    assert len(deep["origin"]) == 4 and all(e > 0 for e in deep["extent"])
    corners = [np.array(deep["origin"]) + s * deep["extent"][0] * axes[0] for s in (-1, 1)]
    decoded = client.post("/api/decode", json={"model": "deep", "z": [c.tolist() for c in corners]}).json()["items"]
    assert decoded[0]["values"] != decoded[1]["values"]


@pytest.mark.parametrize("upload, says", [
    (("noise.png", bytes(range(256)) * 4), "noise.png: "),
    (("empty.png", b""), "empty.png: empty file"),
    (("pickle.npy", b"\x93NUMPY\x01\x00v\x00{'descr': '|O', 'fortran_order': False, 'shape': (1,), }"), "pickle.npy: "),
])  # fmt: skip
def test_bad_uploads_are_one_line(client, upload, says):
    response = client.post("/api/reconstruct", data={"model": "flat"}, files=[("files", upload)])
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith(says) and "\n" not in response.json()["detail"]
    assert client.post("/api/reconstruct", data={"model": "flat"}, files=[("files", A)]).status_code == 200
