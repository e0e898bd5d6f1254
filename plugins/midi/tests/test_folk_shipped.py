"""The folk tunes ship as tokens (``data/folk.npz``): loading them parses nothing, imports no music21,
starts no process, and gives the very split by tune that the shipped models were measured on."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import zlib

import numpy as np
import pytest
from vaekit_midi import corpus as corpus_module
from vaekit_midi import folk
from vaekit_midi.corpus import Corpus
from vaekit_midi.kinds import KINDS
from vaekit_midi.presets import PRESETS

from vaekit import VaekitError

# (windows, crc32 of their bytes) of training and validation, as the ABC parser gave them before the
# tokens shipped (benchmarks/shipping/folk_tokens.py; commit message)
RECORDED = {
    "mel_2bar": ((126_743, 2276986732), (14_712, 1290742050)),
    "mel_16bar": ((40_269, 2091966133), (4_072, 4130313002)),
}


def signature(dataset) -> tuple[int, int]:
    windows = dataset.windows.numpy()
    return len(windows), zlib.crc32(np.ascontiguousarray(windows).tobytes())


@pytest.mark.parametrize("preset", RECORDED)
def test_split_is_as_recorded_and_nothing_is_parsed(preset, monkeypatch):
    def no_parsing(*args):
        raise AssertionError("parsed ABC instead of reading the shipped tokens")

    monkeypatch.setattr(folk, "tunes", no_parsing)
    monkeypatch.setattr(corpus_module, "parallel_map", no_parsing)
    train, val = KINDS["melody"].load_dataset("folk", {"data": dict(PRESETS[preset]["data"])})
    assert (signature(train), signature(val)) == RECORDED[preset]


def test_loading_imports_no_music21_and_starts_no_process():
    script = textwrap.dedent("""
        import multiprocessing, sys
        from vaekit_midi.kinds import KINDS
        from vaekit_midi.presets import PRESETS

        KINDS["melody"].load_dataset("folk", {"data": dict(PRESETS["mel_2bar"]["data"], limit_tunes=2000)})
        assert "music21" not in sys.modules
        assert not multiprocessing.active_children()
    """)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""  # no parse, so no progress or summary line


def test_collections_keep_the_order_asked_for():
    both = folk.load_folk(["miscFolk", "oneills1850"])
    collection = [name.split("/")[0] for name in both.names.tolist()]
    misc = collection.count("miscFolk")
    assert misc and collection == ["miscFolk"] * misc + ["oneills1850"] * (len(collection) - misc)
    assert len(folk.load_folk(["miscFolk", "oneills1850"], 7).names) == 7
    with pytest.raises(VaekitError, match="unknown collection 'nope'"):
        folk.load_folk(["nope"])


def test_select_takes_items_with_their_segments():
    corpus = Corpus(names=np.array(list("abcd")), reasons=np.array([0, 1, 0, 0], np.int8),
                    tokens=np.arange(10, dtype=np.int8), offsets=np.array([0, 3, 5, 9, 10]),
                    bars=np.array([4, 8, 4, 16], np.int16), owner=np.array([0, 0, 2, 3], np.int32))
    picked = corpus.select(np.array([3, 1, 0]))
    assert picked.names.tolist() == ["d", "b", "a"] and picked.reasons.tolist() == [0, 1, 0]
    assert picked.tokens.tolist() == [9, 0, 1, 2, 3, 4]
    assert picked.offsets.tolist() == [0, 1, 4, 6]
    assert picked.bars.tolist() == [16, 4, 8] and picked.owner.tolist() == [0, 2, 2]


def test_ships_small_beside_its_terms():
    assert folk.FILE.stat().st_size < 2_000_000
    assert "NON-COMMERCIAL" in (folk.FILE.parent / "FOLK-LICENSE").read_text()
