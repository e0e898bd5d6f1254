"""Every loader on small files written here, corrupt and hostile ones included."""

import copy
import gzip
import struct

import numpy as np
import pytest
import torch
from PIL import Image
from vaekit_image import data

import vaekit
from vaekit.errors import VaekitError


def _png(path, size=(10, 12), mode="L", value=128):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new(mode, size, value if mode in ("L", "P", "1") else (value, 0, 255, 255)[: len(mode)]).save(path)
    return path


def _idx(path, array):
    head = struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    raw = head + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(raw) if path.suffix == ".gz" else raw)
    return path


def test_digits_scaled_with_labels():
    images = data.digits()
    assert images.x.shape == (1797, 1, 8, 8) and images.x.min() == 0 and images.x.max() == 1
    assert images.labels.shape == (1797,) and set(images.labels.tolist()) == set(range(10))


def test_shapes_deterministic():
    a, b, c = data.shapes(50, 32, 1), data.shapes(50, 32, 1), data.shapes(50, 32, 2)
    assert np.array_equal(a.x, b.x) and not np.array_equal(a.x, c.x)
    assert a.x.shape == (50, 1, 32, 32)
    assert (a.x.reshape(50, -1).max(1) == 1).all()  # every sprite drawn, inside the frame
    assert (a.x[:, 0, 0, :] == 0).all() and (a.x[:, 0, :, -1] == 0).all()
    big = data.shapes(4, 64, 0)
    assert big.x.shape == (4, 1, 64, 64)


def test_folder_recursive_labels_resized_and_corrupt_skipped(tmp_path, capsys):
    root = tmp_path / "pics"
    _png(root / "cats" / "a.png", (20, 30))
    _png(root / "cats" / "b.jpg", (16, 16), "RGB")
    _png(root / "dogs" / "deep" / "c.bmp", (16, 16))
    _png(root / "dogs" / "d.gif", (16, 16), "P")
    (root / "dogs" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    good = (root / "cats" / "a.png").read_bytes()
    (root / "cats" / "truncated.png").write_bytes(good[: len(good) // 2])
    (root / "notes.txt").write_text("ignored")
    images = data.load_path(root, 0, 0)
    assert images.x.shape == (4, 3, 16, 16)  # the most common side; colour because one image has it
    assert images.label_names == ["cats", "dogs"] and images.labels.tolist() == [0, 0, 1, 1]
    err = capsys.readouterr().err
    assert "skipped 2 of 6 files" in err and "unreadable" in err and err.count("\n") == 1
    grey = data.load_path(root, 8, 1)
    assert grey.x.shape == (4, 1, 8, 8)


def test_labels_only_when_every_image_has_one(tmp_path):
    _png(tmp_path / "top.png")
    _png(tmp_path / "sub" / "x.png")
    assert data.load_path(tmp_path, 8, 1).labels is None


def test_decompression_bomb_skipped_by_header(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data, "MAX_PIXELS", 100)
    _png(tmp_path / "big.png", (20, 20))
    _png(tmp_path / "small.png", (8, 8))
    images = data.load_path(tmp_path, 0, 0)
    assert len(images.x) == 1
    assert "1 too large" in capsys.readouterr().err


def test_folder_without_usable_images_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(VaekitError, match="no usable image"):
        data.load_path(tmp_path / "empty", 0, 0)
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "x.png").write_bytes(b"garbage")
    with pytest.raises(VaekitError, match="no usable image.*1 could not be read"):
        data.load_path(tmp_path / "bad", 0, 0)
    with pytest.raises(VaekitError, match="no such file"):
        data.load_path(tmp_path / "missing", 0, 0)


@pytest.mark.parametrize("gz", [False, True])
def test_idx_with_labels(tmp_path, gz):
    ext = ".gz" if gz else ""
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (6, 28, 28))
    test = rng.integers(0, 256, (4, 28, 28))
    _idx(tmp_path / f"t10k-images-idx3-ubyte{ext}", test)
    _idx(tmp_path / f"t10k-labels-idx1-ubyte{ext}", np.array([1, 2, 3, 4]))
    _idx(tmp_path / f"train-images-idx3-ubyte{ext}", train)
    _idx(tmp_path / f"train-labels-idx1-ubyte{ext}", np.array([0, 0, 1, 1, 2, 2]))
    images = data.load_path(tmp_path, 0, 0)
    assert images.x.shape == (10, 1, 28, 28)
    assert np.allclose(images.x[:6, 0], train / 255.0)  # train files first
    assert [images.label_names[i] for i in images.labels] == list("0011221234")


def test_idx_corrupt_and_truncated(tmp_path, capsys):
    _idx(tmp_path / "a-images-idx3-ubyte", np.zeros((3, 5, 5)))
    (tmp_path / "b-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + struct.pack(">III", 1000, 28, 28) + b"x")
    (tmp_path / "c-images-idx3-ubyte").write_bytes(b"nonsense")
    (tmp_path / "d-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + struct.pack(">III", 2**31, 2**31, 2**31))
    images = data.load_path(tmp_path, 0, 0)
    assert images.x.shape == (3, 1, 5, 5)
    assert "skipped 3 of 4 files" in capsys.readouterr().err
    with pytest.raises(VaekitError, match="truncated"):
        data.read_idx(tmp_path / "b-images-idx3-ubyte")
    with pytest.raises(VaekitError, match="impossible shape"):
        data.read_idx(tmp_path / "d-images-idx3-ubyte")
    # found by the reader fuzz: no data, but a shape numpy cannot even make
    (tmp_path / "e-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x03" + struct.pack(">III", 0, 2**31, 2**31))
    with pytest.raises(VaekitError, match="impossible shape"):
        data.read_idx(tmp_path / "e-images-idx3-ubyte")


@pytest.mark.parametrize("shape,expect", [
    ((5, 9, 9), (5, 1, 9, 9)),
    ((5, 9, 9, 3), (5, 3, 9, 9)),
    ((5, 9, 9, 4), (5, 3, 9, 9)),
    ((5, 3, 9, 9), (5, 3, 9, 9)),
    ((9, 9), (1, 1, 9, 9)),
    ((9, 9, 3), (1, 3, 9, 9)),
])
def test_array_layouts(tmp_path, shape, expect):
    np.save(tmp_path / "a.npy", np.random.default_rng(0).integers(0, 256, shape).astype(np.uint8))
    x, labels = data.read_array_file(tmp_path / "a.npy")
    assert x.shape == expect and x.max() <= 1 and labels is None


def test_npz_with_labels_and_bad_arrays(tmp_path):
    np.savez(tmp_path / "a.npz", images=np.random.rand(4, 6, 6).astype(np.float32), labels=np.array([3, 1, 3, 1]))
    images = data.load_path(tmp_path / "a.npz", 0, 0)
    assert images.x.shape == (4, 1, 6, 6) and images.label_names == ["1", "3"]
    np.save(tmp_path / "neg.npy", -np.ones((2, 4, 4)))
    with pytest.raises(VaekitError, match="pixel values"):
        data.read_array_file(tmp_path / "neg.npy")
    np.save(tmp_path / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(VaekitError, match="cannot read array"):  # never unpickled
        data.read_array_file(tmp_path / "obj.npy")
    np.savez(tmp_path / "none.npz", weights=np.zeros(3))
    with pytest.raises(VaekitError, match="no image array"):
        data.read_array_file(tmp_path / "none.npz")


def test_fit_crops_resizes_and_converts():
    x = np.random.rand(2, 3, 10, 14).astype(np.float32)
    out = data.fit(x, 5, 1)
    assert out.shape == (2, 1, 5, 5) and 0 <= out.min() and out.max() <= 1
    assert data.fit(out, 5, 3).shape == (2, 3, 5, 5)


def test_modality_split_and_what_the_images_fixed(modality, config_of, tmp_path):
    for i in range(10):
        _png(tmp_path / ("a" if i < 5 else "b") / f"{i}.png", (12, 12), value=i * 20)
    config = config_of("conv", data__val_fraction=0.2, data__split="tail")
    before = copy.deepcopy(config)
    data = modality.load_dataset(str(tmp_path), config)
    train, val = data
    assert (len(train), len(val)) == (8, 2)
    assert config == before  # the config given is never edited: what the data fixed comes back
    config = vaekit.merge(config, data.learned)
    assert config["data"]["size"] == 12 and config["data"]["channels"] == 1
    assert config["data"]["label_names"] == ["a", "b"]
    inputs, target, labels = val.get_batch(torch.arange(2))
    assert labels.tolist() == [1, 1] and torch.equal(inputs, target)
    assert abs(float(target[-1].mean()) - 180 / 255) < 1e-3  # tail split keeps file order
    with pytest.raises(VaekitError, match="neither a built-in"):
        modality.load_dataset("no-such-dataset", config_of("conv"))


def test_read_converts_to_the_run_size(modality, config_of, tmp_path):
    config = config_of("conv", data__size=8, data__channels=1)
    x = modality.read(_png(tmp_path / "big.png", (28, 28), "RGB"), config)
    assert x.shape == (1, 1, 8, 8)
    np.save(tmp_path / "many.npy", np.zeros((3, 16, 16), np.uint8))
    assert modality.read(tmp_path / "many.npy", config).shape == (3, 1, 8, 8)
    (tmp_path / "bad.png").write_bytes(b"nope")
    with pytest.raises(VaekitError, match="bad.png"):
        modality.read(tmp_path / "bad.png", config)
