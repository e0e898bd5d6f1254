"""The built-in folk corpus on a small slice: parse once, load from the cache, split by tune; the shipped
tokens are what the parser gives."""

from __future__ import annotations

import time

import numpy as np
import pytest
import torch
from vaekit_midi import corpus as corpus_module
from vaekit_midi.dataset import WindowDataset, split_items
from vaekit_midi.folk import load_folk, parse_folk, tunes
from vaekit_midi.kinds import KINDS
from vaekit_midi.melody_lines import usable

from vaekit import VaekitError

SLICE = 100  # Essen tunes: enough to run the process pool, a few seconds to parse


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    path = tmp_path_factory.mktemp("cache")
    mp.setenv("VAEKIT_CACHE", str(path))
    yield path
    mp.undo()


@pytest.fixture(scope="module")
def built(cache):
    started = time.perf_counter()
    corpus = parse_folk(["essenFolksong"], SLICE)
    return corpus, time.perf_counter() - started


def config(**data):
    base = {"steps": 32, "steps_per_bar": 16, "hop_bars": 1, "transpose": 5, "val_fraction": 0.2}
    base.update(collections=["essenFolksong"], limit_tunes=SLICE, **data)
    return {"data": base}


def test_first_build_parses_and_caches(built, cache):
    corpus, _ = built
    assert len(corpus.names) == SLICE
    assert corpus.names[0] == "essenFolksong/altdeu10.abc#1"
    assert (corpus.reasons == 0).sum() > SLICE // 2
    assert set(corpus.reason_counts()) <= {"no_meter", "off_grid", "no_notes", "unreadable"}
    files = list((cache / "midi").glob("folk-v*.npz"))
    assert len(files) == 1
    with np.load(files[0], allow_pickle=False) as data:  # plain arrays, no pickles
        assert set(data.files) == {"names", "reasons", "tokens", "offsets", "bars", "owner"}


def test_second_load_comes_from_the_cache(built, monkeypatch):
    corpus, _ = built

    def no_parsing(*args):
        raise AssertionError("parsed again instead of reading the cache")

    monkeypatch.setattr(corpus_module, "parallel_map", no_parsing)
    started = time.perf_counter()
    again = parse_folk(["essenFolksong"], SLICE)
    assert time.perf_counter() - started < 3
    for field in ("names", "reasons", "tokens", "offsets", "bars", "owner"):
        np.testing.assert_array_equal(getattr(again, field), getattr(corpus, field))


def test_cache_is_keyed_by_version_collections_and_limit(monkeypatch):
    keys = {
        corpus_module.cache_key("folk", {"collections": ["a"], "limit": 10}),
        corpus_module.cache_key("folk", {"collections": ["a"], "limit": 20}),
        corpus_module.cache_key("folk", {"collections": ["b"], "limit": 10}),
    }
    monkeypatch.setattr(corpus_module, "FORMAT_VERSION", corpus_module.FORMAT_VERSION + 1)
    keys.add(corpus_module.cache_key("folk", {"collections": ["a"], "limit": 10}))
    assert len(keys) == 4


def test_damaged_cache_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("VAEKIT_CACHE", str(tmp_path))
    first = parse_folk(["miscFolk"], 6)
    (path,) = (tmp_path / "midi").glob("folk-*.npz")
    path.write_bytes(b"not an npz file")
    again = parse_folk(["miscFolk"], 6)
    np.testing.assert_array_equal(again.tokens, first.tokens)


def test_shipped_tokens_are_what_the_parser_gives(built):
    corpus, _ = built
    shipped = load_folk(["essenFolksong"], SLICE)
    for field in ("names", "reasons", "tokens", "offsets", "bars", "owner"):
        np.testing.assert_array_equal(getattr(shipped, field), getattr(corpus, field))


def test_windows_for_both_presets(built):
    corpus, _ = built
    short, owner, _ = corpus.windows(32, keep=usable)
    long, _, skipped = corpus.windows(256, keep=usable)
    assert len(short) > 10 * SLICE > len(long) > 0
    assert short.dtype == np.int8 and short.max() < 90 and short.min() >= 0
    assert np.all(np.diff(owner) >= 0)
    assert skipped["too_short"] > 0  # some tunes are shorter than 16 bars


def test_unknown_collection():
    with pytest.raises(VaekitError, match="unknown collection 'nope'"):
        tunes(["nope"])


def test_split_is_by_tune_and_stable(built):
    corpus, _ = built
    w, owner, _ = corpus.windows(32, keep=usable)
    has = np.zeros(len(corpus.names), bool)
    has[owner] = True
    val = split_items(corpus.names, has, 0.2)
    assert 0.05 < val[has].mean() < 0.4
    np.testing.assert_array_equal(split_items(corpus.names, has, 0.2), val)
    # a tune's side does not depend on which other tunes are loaded
    half = split_items(corpus.names[:50], has[:50], 0.2)
    np.testing.assert_array_equal(half, val[:50])
    train_tunes, val_tunes = set(owner[~val[owner]]), set(owner[val[owner]])
    assert train_tunes and val_tunes and not train_tunes & val_tunes


def test_load_dataset_builds_deduplicated_splits(built):
    train, val = KINDS["melody"].load_dataset("folk", config())
    corpus, _ = built
    w, owner, _ = corpus.windows(32, keep=usable)
    has = np.zeros(len(corpus.names), bool)
    has[owner] = True
    in_val = split_items(corpus.names, has, 0.2)[owner]
    assert len(train) == len(np.unique(w[~in_val], axis=0))
    assert len(val) == len(np.unique(w[in_val], axis=0))
    x, y = train[0]
    assert x.dtype == torch.int64 and x.shape == (32,) and torch.equal(x, y)
    long_train, _ = KINDS["melody"].load_dataset("folk", config(steps=256))
    assert long_train.windows.shape[1] == 256


def test_get_batch_transposes_within_range():
    window = np.zeros((3, 32), np.int8)
    window[:, 0] = [60 - 19, 106 - 19, 23 - 19]  # middle C; near the top (room for +2); near the bottom (-2)
    window[:, 8] = 1
    ds = WindowDataset(np.repeat(window, 200, axis=0), transpose=5)
    torch.manual_seed(0)
    x, y = ds.get_batch(torch.arange(len(ds)))
    assert torch.equal(x, y)
    shift = (x[:, 0] - torch.as_tensor(ds.windows[:, 0]).long()).view(3, 200)
    assert shift[0].min() == -5 and shift[0].max() == 5
    assert shift[1].min() == -5 and shift[1].max() == 2
    assert shift[2].min() == -2 and shift[2].max() == 5
    assert torch.all(x[:, 8] == 1) and torch.all(x[:, 1:8] == 0)  # no-event and note-off stay
    torch.manual_seed(0)
    again, _ = ds.get_batch(torch.arange(len(ds)))
    assert torch.equal(again, x)  # torch's global RNG
    plain = WindowDataset(window, transpose=0)
    assert torch.equal(plain.get_batch(torch.arange(3))[0], torch.as_tensor(window).long())
