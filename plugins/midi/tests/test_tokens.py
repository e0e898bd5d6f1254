"""Melody tokens and melody extraction: encoding, monophony, splitting, windows."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from vaekit_midi.corpus import Corpus
from vaekit_midi.dataset import unique_rows
from vaekit_midi.melody_lines import Section, monophonic, segments, usable
from vaekit_midi.parsed import Parsed
from vaekit_midi.tokens import NOTE_OFF, NUM_CLASSES, canonical, decode, encode


def windows(tokens: np.ndarray, bar: int, steps: int, hop_bars: int = 1) -> np.ndarray:
    """The melody windows of one segment, as the melody kind cuts and keeps them."""
    one = Corpus.from_parsed(["tune"], [Parsed([(np.asarray(tokens, np.int8), bar)])], np.zeros(0, np.int8))
    return one.windows(steps, hop_bars, keep=usable)[0]


def on(pitch: int) -> int:
    return pitch - 19


def test_token_layout_is_musicvae():
    assert NUM_CLASSES == 90
    assert on(21) == 2 and on(108) == 89 and NOTE_OFF == 1


def test_encode_decode_round_trip():
    notes = np.array([[0, 4, 60], [4, 6, 62], [8, 16, 64], [16, 20, 64]])
    tokens = encode(notes, 24)
    expected = np.zeros(24, np.int8)
    expected[[0, 4, 8, 16]] = [on(60), on(62), on(64), on(64)]
    expected[[6, 20]] = NOTE_OFF
    np.testing.assert_array_equal(tokens, expected)
    np.testing.assert_array_equal(decode(tokens), notes)


def test_note_held_to_the_end_has_no_note_off():
    tokens = encode(np.array([[2, 40, 70]]), 16)
    assert (tokens == NOTE_OFF).sum() == 0
    np.testing.assert_array_equal(decode(tokens), [[2, 16, 70]])


def test_canonical_drops_note_offs_that_end_nothing():
    tokens = np.array([1, 0, on(60), 0, 1, 1, 0, on(62)], np.int8)
    np.testing.assert_array_equal(canonical(tokens), [0, 0, on(60), 0, 1, 0, 0, on(62)])


@st.composite
def token_sequences(draw):
    length = draw(st.integers(1, 64))
    return np.array(draw(st.lists(st.integers(0, NUM_CLASSES - 1), min_size=length, max_size=length)), np.int8)


@settings(max_examples=200, deadline=None)
@given(token_sequences())
def test_canonical_tokens_survive_decode_encode(tokens):
    c = canonical(tokens)
    np.testing.assert_array_equal(encode(decode(c), len(c)), c)
    np.testing.assert_array_equal(canonical(c), c)


def test_monophonic_keeps_highest_and_clips_at_next_onset():
    notes = np.array(
        [
            [0, 8, 60],  # chord at 0: keep 67
            [0, 8, 64],
            [0, 6, 67],
            [4, 12, 55],  # overlaps the chord: clips it at 4, itself clipped at 10
            [10, 11, 110],  # out of range: dropped
            [10, 14, 10],  # out of range: dropped
            [10, 10, 72],  # zero length: one step
        ]
    )
    np.testing.assert_array_equal(monophonic(notes, 32), [[0, 4, 67], [4, 10, 55], [10, 11, 72]])


def test_segments_split_at_a_bar_of_silence_and_snap_to_bars():
    # 3/4 (12 steps a bar): a gap of 11 steps keeps one segment, a gap of 12 splits
    notes = np.array([[2, 4, 60], [15, 20, 62], [32, 40, 64], [48, 49, 65]])
    segs = segments(Section(notes, 72, 12))
    assert [(len(t), bar) for t, bar in segs] == [(24, 12), (36, 12)]
    first, second = segs[0][0], segs[1][0]
    np.testing.assert_array_equal(decode(first), [[2, 4, 60], [15, 20, 62]])
    np.testing.assert_array_equal(decode(second), [[8, 16, 64], [24, 25, 65]])  # starts on bar line 24


def test_segment_stops_at_section_end():
    segs = segments(Section(np.array([[0, 30, 60]]), 20, 16))
    assert len(segs[0][0]) == 20


def test_windows_start_on_bar_lines_with_hop():
    notes = np.array([[i * 4, i * 4 + 2, 60 + i % 5] for i in range(24)])  # 6 bars of 4/4
    ((tokens, bar),) = segments(Section(notes, 96, 16))
    w = windows(tokens, bar, 32, hop_bars=1)
    assert w.shape == (5, 32)
    for k in range(5):
        np.testing.assert_array_equal(w[k], tokens[16 * k : 16 * k + 32])
    assert windows(tokens, bar, 32, hop_bars=2).shape == (3, 32)
    assert windows(tokens, 12, 32, hop_bars=1).shape[0] == 6  # a 12-step bar: starts at 0, 12, ..., 60
    assert windows(tokens[:31], bar, 32).shape == (0, 32)


def test_windows_cut_held_notes_and_need_a_note_in_the_first_bar():
    tokens = np.zeros(64, np.int8)
    tokens[0] = on(60)  # held through bar 1
    tokens[20] = NOTE_OFF
    tokens[24] = on(62)
    tokens[40] = on(64)
    tokens[56] = on(65)
    w = windows(tokens, 16, 32)
    # bar 0 starts with a note; bar 1 starts in a held note, its note-off becomes no-event; bar 2 ok
    assert len(w) == 3
    assert w[1][4] == 0 and w[1][8] == on(62)
    silent_end = np.zeros(32, np.int8)
    silent_end[0] = on(60)
    silent_end[4] = NOTE_OFF
    assert len(windows(silent_end, 16, 32)) == 0  # ends in a bar of silence
    assert len(windows(np.roll(silent_end, 16), 16, 32)) == 0  # starts with a bar of silence


def test_unique_rows():
    rng = np.random.default_rng(0)
    w = rng.integers(0, 4, size=(400, 12)).astype(np.int8)  # many duplicates
    u = unique_rows(w)
    assert {r.tobytes() for r in u} == {r.tobytes() for r in w}
    assert len({r.tobytes() for r in u}) == len(u)
    np.testing.assert_array_equal(unique_rows(w[::-1]), u)  # order does not depend on the input's
