"""Image data as float arrays ``(N, C, H, W)`` in [0, 1]: the built-in ``digits`` and ``shapes``, and a
user's folder of PNG/JPEG/BMP/GIF files, MNIST-style IDX files (raw or .gz), or .npy/.npz arrays.

Nothing here unpickles: arrays load with ``allow_pickle=False``. Image headers are checked before any
pixel is decoded, so a decompression bomb is skipped as too large.
"""

from __future__ import annotations

import gzip
import logging
import math
import mmap
import stat
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from vaekit import SKIP_REASONS, VaekitError, too_large, walk

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
ARRAY_SUFFIXES = (".npy", ".npz")
MAX_PIXELS = 50_000_000  # per image, checked on the header before decoding
MAX_ARRAY_BYTES = 2**30  # declared size of an IDX file or of an array in an .npz file
MAX_FILE_BYTES = 2**30  # any one file, checked on its size before it is opened
SHAPE_NAMES = ["square", "ellipse", "triangle"]


@dataclass
class Images:
    x: np.ndarray  # (N, C, H, W) float32 in [0, 1]
    labels: np.ndarray | None = None  # (N,) int64 indices into label_names
    label_names: list[str] = field(default_factory=list)


# ---- built-in datasets -------------------------------------------------------------------------


def digits() -> Images:
    """scikit-learn's bundled 8x8 handwritten digits (BSD licence), scaled from 0..16 to [0, 1]."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = (bunch.images / 16.0).astype(np.float32)[:, None]
    return Images(x, bunch.target.astype(np.int64), [str(i) for i in range(10)])


def shapes(count: int, size: int, seed: int) -> Images:
    """Sprites of random shape (the label), scale, rotation, x and y, drawn with 2x2 supersampling for
    smooth edges; the same ``seed`` gives the same images."""
    import torch

    rng = np.random.default_rng(seed)
    shape = rng.integers(0, len(SHAPE_NAMES), count)
    scale = rng.choice(np.linspace(0.5, 1.0, 6), count)
    rotation = rng.uniform(0.0, 2 * np.pi, count)
    xy = rng.uniform(0.32, 0.68, (count, 2))
    sub = (torch.arange(2 * size) + 0.5) / (2 * size)  # subpixel centres in [0, 1]
    gy, gx = torch.meshgrid(sub, sub, indexing="ij")
    out = torch.empty(count, 1, size, size)
    for kind in range(len(SHAPE_NAMES)):
        for chunk in np.array_split(np.flatnonzero(shape == kind), max(1, (shape == kind).sum() // 256)):
            if len(chunk) == 0:
                continue
            radius = torch.from_numpy(0.22 * scale[chunk]).float().view(-1, 1, 1)
            angle = torch.from_numpy(rotation[chunk]).float().view(-1, 1, 1)
            cx, cy = (torch.from_numpy(xy[chunk, i]).float().view(-1, 1, 1) for i in (0, 1))
            dx, dy = gx - cx, gy - cy
            u = (torch.cos(angle) * dx + torch.sin(angle) * dy) / radius
            v = (torch.cos(angle) * dy - torch.sin(angle) * dx) / radius
            if kind == 0:
                inside = torch.maximum(u.abs(), v.abs()) <= 1
            elif kind == 1:
                inside = u**2 + (v / 0.6) ** 2 <= 1
            else:
                inside = (v >= -0.5) & (v <= 1 - math.sqrt(3) * u.abs())
            out[torch.from_numpy(chunk), 0] = inside.float().view(-1, size, 2, size, 2).mean((2, 4))
    return Images(out.numpy(), shape.astype(np.int64), list(SHAPE_NAMES))


# ---- conversion --------------------------------------------------------------------------------


def fit(x: np.ndarray, size: int, channels: int) -> np.ndarray:
    """Centre-crop to square, resize (antialiased bilinear) to ``size`` and convert to ``channels``."""
    import torch
    import torch.nn.functional as F

    h, w = x.shape[-2:]
    if h != w:
        side = min(h, w)
        top, left = (h - side) // 2, (w - side) // 2
        x = x[..., top:top + side, left:left + side]
    t = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float32))
    if t.shape[1] == 3 and channels == 1:
        t = (t * torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)).sum(1, keepdim=True)
    elif t.shape[1] == 1 and channels == 3:
        t = t.expand(-1, 3, -1, -1)
    if t.shape[-1] != size:
        t = F.interpolate(t, size=(size, size), mode="bilinear", antialias=True, align_corners=False).clamp(0, 1)
    return t.contiguous().numpy()


def array_images(a: np.ndarray, origin: Path) -> np.ndarray:
    """An array of images in any common layout, as ``(N, C, H, W)`` float32 in [0, 1].

    (H, W) is one grey image; (H, W, 3|4) one colour image; (N, H, W) grey images; (N, H, W, 1|3|4)
    or (N, 1|3, H, W) a batch. uint8 and values in 0..255 are divided by 255; alpha is dropped.
    """
    if a.dtype == bool:
        a = a.astype(np.float32)
    if not (np.issubdtype(a.dtype, np.integer) or np.issubdtype(a.dtype, np.floating)):
        raise VaekitError(f"{origin}: array of {a.dtype} is not an image")
    if a.ndim == 2:
        a = a[None, None]
    elif a.ndim == 3 and a.shape[-1] in (3, 4) and a.shape[0] > 4:
        a = a.transpose(2, 0, 1)[None]
    elif a.ndim == 3:
        a = a[:, None]
    elif a.ndim == 4 and a.shape[-1] in (1, 3, 4):
        a = a.transpose(0, 3, 1, 2)
    elif not (a.ndim == 4 and a.shape[1] in (1, 3)):
        raise VaekitError(f"{origin}: array of shape {a.shape} is not images (N, H, W[, C]) or (N, C, H, W)")
    a = a[:, :3] if a.shape[1] == 4 else a
    if a.size == 0 or min(a.shape[-2:]) < 2:
        raise VaekitError(f"{origin}: array of shape {a.shape} holds no image")
    x = a.astype(np.float32)
    if not np.isfinite(x).all():
        raise VaekitError(f"{origin}: array holds NaN or infinite values")
    low, high = float(x.min()), float(x.max())
    if a.dtype == np.uint8 or (high > 1.0 and low >= 0 and high <= 255):
        x /= 255.0
    elif low < 0 or high > 1.0:
        raise VaekitError(f"{origin}: pixel values span {low:g}..{high:g}; expected 0..1 or 0..255")
    return x


def read_array_file(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """Images and labels (or None) from a .npy or .npz file; .npz images under ``x``, ``images``,
    ``x_train``, ``data`` or ``arr_0``, labels under ``y``, ``labels``, ``y_train`` or ``targets``."""
    check_size(path)
    try:
        if path.suffix.lower() == ".npy":
            return array_images(np.load(path, allow_pickle=False), path), None
        with zipfile.ZipFile(path) as archive:  # a compressed member may expand far past the file
            declared = max((info.file_size for info in archive.infolist()), default=0)
        if declared > MAX_ARRAY_BYTES:
            raise VaekitError(f"{path}: array too large ({declared / 2**20:.0f} MiB uncompressed; the cap is "
                              f"{MAX_ARRAY_BYTES >> 20} MiB)")
        with np.load(path, allow_pickle=False) as loaded:
            names = list(loaded.keys())
            key = next((k for k in ("x", "images", "x_train", "data", "arr_0") if k in names), None)
            if key is None:
                found = ", ".join(names) or "nothing"
                raise VaekitError(f"{path}: no image array (looked for x, images, x_train, data, arr_0; found {found})")
            x = array_images(loaded[key], path)
            label_key = next((k for k in ("y", "labels", "y_train", "targets") if k in names), None)
            labels = loaded[label_key].reshape(-1) if label_key else None
    except VaekitError:
        raise
    except Exception as e:  # numpy and zipfile raise many types on corrupt files (TokenError, RuntimeError, ...)
        raise VaekitError(f"{path}: cannot read array ({type(e).__name__}: {e})") from None
    return x, labels if labels is not None and len(labels) == len(x) else None


_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path: Path) -> np.ndarray:
    """An IDX file (MNIST, Fashion-MNIST), raw or gzipped."""
    check_size(path)
    opener = gzip.open if path.suffix.lower() == ".gz" else open
    try:
        with opener(path, "rb") as f:
            head = f.read(4)
            if len(head) < 4 or head[:2] != b"\0\0" or head[2] not in _IDX_TYPES or head[3] == 0:
                raise VaekitError(f"{path}: not an IDX file (bad magic number)")
            dims = [int(d) for d in np.frombuffer(f.read(4 * head[3]), ">u4")]
            dtype = np.dtype(_IDX_TYPES[head[2]])
            count = math.prod(dims)
            # a zero among huge sizes is no data, and numpy refuses even to shape it
            if len(dims) != head[3] or count == 0 or count * dtype.itemsize > MAX_ARRAY_BYTES:
                raise VaekitError(f"{path}: IDX header declares an impossible shape {tuple(dims)}")
            body = f.read(count * dtype.itemsize)
    except (OSError, EOFError, ValueError) as e:
        raise VaekitError(f"{path}: cannot read IDX file ({e})") from None
    if len(body) != count * dtype.itemsize:
        raise VaekitError(f"{path}: IDX file is truncated ({len(body)} of {count * dtype.itemsize} bytes)")
    return np.frombuffer(body, dtype).reshape(dims)


def is_idx(path: Path) -> bool:
    name = path.name.lower()
    return "ubyte" in name or name.endswith((".idx", ".idx.gz"))


# ---- image files -------------------------------------------------------------------------------


def read_image(path: Path, size: int, channels: int) -> np.ndarray:
    """One image file as ``(C, size, size)`` float32: header checked, first frame, centre-cropped
    square, resized (bicubic), converted to grey or RGB."""
    from PIL import Image

    with _open(path) as image:
        try:
            image.seek(0)
            image = image.convert("RGB" if channels == 3 else "L")
        except (OSError, ValueError, SyntaxError, EOFError) as e:
            raise VaekitError(f"{path}: unreadable image ({e})") from None
    w, h = image.size
    side = min(w, h)
    box = ((w - side) // 2, (h - side) // 2, (w - side) // 2 + side, (h - side) // 2 + side)
    image = image.resize((size, size), Image.Resampling.BICUBIC, box=box, reducing_gap=2.0)
    a = np.asarray(image, np.float32) / 255.0
    return a[None] if a.ndim == 2 else a.transpose(2, 0, 1)


def _open(path: Path):
    """Open an image lazily (header only), refusing one too large to decode safely."""
    from PIL import Image, UnidentifiedImageError

    check_size(path)
    try:
        # through a read-only memory map: Pillow reads a chunk by its declared length, and from a file a
        # forged 4 GB length allocates 4 GB up front; a map hands back only the bytes there are
        with open(path, "rb") as f:
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(data)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise VaekitError(f"{path}: image too large (a decompression bomb?)") from None
    except (OSError, UnidentifiedImageError, ValueError, SyntaxError) as e:
        raise VaekitError(f"{path}: unreadable image ({e})") from None
    if image.width * image.height > MAX_PIXELS or min(image.size) < 1:
        image.close()
        raise VaekitError(f"{path}: image too large ({image.width}x{image.height} pixels; the cap is "
                          f"{MAX_PIXELS:,} pixels)")
    return image


def check_size(path: Path) -> None:
    """Refuse a file over ``MAX_FILE_BYTES`` on its size alone, and a FIFO or device (opening a FIFO
    blocks until something writes to it), before opening it."""
    try:
        refusal = too_large(path, MAX_FILE_BYTES)
        regular = path.is_dir() or stat.S_ISREG(path.stat().st_mode)
    except OSError as e:
        raise VaekitError(f"{path}: unreadable ({e.strerror})") from None
    if refusal:
        raise VaekitError(f"{refusal} (too large)")
    if not regular:
        raise VaekitError(f"{path}: unreadable (not a regular file: a FIFO, socket or device)")


def _header(path: Path) -> tuple[int, bool]:
    """The short side and greyness of an image, from its header."""
    with _open(path) as image:
        return min(image.size), is_grey(image)


def is_grey(image) -> bool:
    if image.mode == "P":
        rgb = (image.getpalette() or [])[:768]
        return all(rgb[i] == rgb[i + 1] == rgb[i + 2] for i in range(0, len(rgb) - 2, 3))
    return image.mode in ("1", "L", "LA", "I", "I;16", "F")


class Skipped:
    """Files a loader could not use, counted by reason, reported on one line of stderr."""

    def __init__(self) -> None:
        self.reasons: Counter[str] = Counter()

    def add(self, reason: str) -> None:
        self.reasons[reason] += 1

    def report(self, where: Path, total: int) -> None:
        if self.reasons:
            why = ", ".join(f"{n} {reason}" for reason, n in self.reasons.most_common())
            log.warning(f"vaekit image: skipped {sum(self.reasons.values())} of {total} files in {where} ({why})")


def _reason(error: VaekitError) -> str:
    text = str(error)
    return "too large" if "too large" in text else "bad array" if "array" in text else "unreadable"


def load_path(path: Path, size: int, channels: int) -> Images:
    """A file or folder of images (recursive; labels from subfolder names where every image has one).
    ``size`` or ``channels`` 0: the most common short side; grey unless some image has colour."""
    if not path.exists():
        raise VaekitError(f"{path}: no such file or folder")
    skipped = Skipped()
    files, unopened = [path], []
    if path.is_dir():  # links out of the folder or looping, FIFOs, empty and oversized files: skipped unopened
        files, unopened = walk(path, lambda p: is_idx(p) or p.suffix.lower() in IMAGE_SUFFIXES + ARRAY_SUFFIXES,
                               MAX_FILE_BYTES)
        for _, reason in unopened:
            too_large = f"over the {MAX_FILE_BYTES >> 20} MiB size cap"
            skipped.add(too_large if reason == "too_large" else SKIP_REASONS[reason])
    root = path if path.is_dir() else path.parent
    idx = [p for p in files if is_idx(p)]
    if idx:
        return _load_idx(root, idx, size, channels, skipped)
    usable = [p for p in files if p.suffix.lower() in IMAGE_SUFFIXES + ARRAY_SUFFIXES]
    if path.is_file() and not usable:
        raise VaekitError(f"{path}: not an image file (use {', '.join(IMAGE_SUFFIXES + ARRAY_SUFFIXES)} or IDX)")
    headers, arrays = [], []  # (path, short side, grey) and (path, images, labels)
    for p in usable:
        try:
            if p.suffix.lower() in ARRAY_SUFFIXES:
                arrays.append((p, *read_array_file(p)))
            else:
                headers.append((p, *_header(p)))
        except VaekitError as e:
            skipped.add(_reason(e))
    sides = [side for _, side, _ in headers] + [min(a.shape[-2:]) for _, a, _ in arrays]
    size = size or (Counter(sides).most_common(1)[0][0] if sides else 0)
    colour = any(not grey for _, _, grey in headers) or any(a.shape[1] == 3 for _, a, _ in arrays)
    channels = channels or (3 if colour else 1)
    xs, names = [], []
    for p, _, _ in headers:
        try:
            xs.append(read_image(p, size, channels)[None])
            names.append(_folder_label(p, root))
        except VaekitError as e:
            skipped.add(_reason(e))
    for _, a, labels in arrays:
        xs.append(fit(a, size, channels))
        names += [str(v) for v in labels] if labels is not None else [None] * len(a)
    skipped.report(path, len(usable) + len(unopened))
    if not xs:
        raise VaekitError(f"{path}: no usable image (looked for {', '.join(IMAGE_SUFFIXES + ARRAY_SUFFIXES)} and IDX "
                          f"files; {sum(skipped.reasons.values())} could not be read)")
    return _with_labels(np.concatenate(xs), names)


def _folder_label(path: Path, root: Path) -> str | None:
    parts = path.relative_to(root).parts
    return parts[0] if len(parts) > 1 else None


def _with_labels(x: np.ndarray, names: list[str | None]) -> Images:
    if not names or any(n is None for n in names):
        return Images(x)
    distinct = sorted(set(names), key=lambda n: (0, int(n), n) if n.lstrip("-").isdigit() else (1, 0, n))
    index = {n: i for i, n in enumerate(distinct)}
    return Images(x, np.array([index[n] for n in names], np.int64), distinct)


def _load_idx(root: Path, files: list[Path], size: int, channels: int, skipped: Skipped) -> Images:
    """IDX image files (3-D) with their label files (1-D, named with ``labels`` for ``images`` and
    ``idx1`` for ``idx3``); ``train`` files come before ``t10k`` ones."""
    unopened = sum(skipped.reasons.values())
    found = {}
    for p in sorted(files, key=lambda p: ("train" not in p.name.lower(), p.name)):
        try:
            found[p.name.lower()] = (p, read_idx(p))
        except VaekitError:
            skipped.add("unreadable IDX")
    xs, names = [], []
    for name, (p, a) in found.items():
        if a.ndim != 3:
            continue
        label_name = name.replace("images", "labels").replace("idx3", "idx1")
        labels = found.get(label_name, (None, None))[1]
        xs.append(fit(array_images(a, p), size or a.shape[-1], channels or 1))
        names += [str(v) for v in labels] if labels is not None and len(labels) == len(a) else [None] * len(a)
    skipped.report(root, len(files) + unopened)
    if not xs:
        raise VaekitError(f"{root}: no usable IDX image file (3-D IDX, e.g. t10k-images-idx3-ubyte.gz)")
    return _with_labels(np.concatenate(xs), names)
