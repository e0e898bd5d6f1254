"""Chords as data: typed symbols and POP909 labels, names, indices, features, transposition, chord
tones, typed progressions and POP909's annotation read onto the grid."""

from __future__ import annotations

import numpy as np
import pytest
from vaekit_midi.chords import (
    FEATURES,
    N_CHORDS,
    QUALITIES,
    Chord,
    chord_index,
    chord_name,
    chord_of,
    chord_tones,
    chords_on_grid,
    describe_progression,
    feature_table,
    parse_chord,
    progression,
    read_chord_annotation,
    transpose_chords,
)

from vaekit import VaekitError

#: Every label form POP909's chord_midi.txt files use (quality and inversion), on root A.
POP909_LABELS = ["maj", "min", "sus2", "min7", "sus4", "maj/3", "maj/5", "maj7", "min/b3", "min/5",
                 "sus4(b7)", "min7/b7", "maj7/7", "7", "maj6", "dim", "7/b7", "maj7/3", "maj7/5", "hdim7",
                 "aug", "min7/5", "7/5", "7/3", "min6", "dim7", "minmaj7"]


@pytest.mark.parametrize("symbol, name, tones", [
    ("C", "C", {0, 4, 7}), ("Am", "Am", {9, 0, 4}), ("G7", "G7", {7, 11, 2, 5}), ("Fmaj7", "Fmaj7", {5, 9, 0, 4}),
    ("Bdim", "Bdim", {11, 2, 5}), ("Bm7b5", "Bm7b5", {11, 2, 5, 9}), ("Bø", "Bm7b5", {11, 2, 5, 9}),
    ("Csus4", "Csus4", {0, 5, 7}), ("Dsus2", "Dsus2", {2, 4, 9}), ("C/E", "C/E", {0, 4, 7}),
    ("Ebm6", "Ebm6", {3, 6, 10, 0}), ("F#7sus4", "F#7sus4", {6, 11, 1, 4}), ("Caug", "Caug", {0, 4, 8}),
    ("C+", "Caug", {0, 4, 8}), ("Bbdim7", "Bbdim7", {10, 1, 4, 7}), ("AmM7", "AmM7", {9, 0, 4, 8}),
    ("C6", "C6", {0, 4, 7, 9}), ("Am7/G", "Am7/G", {9, 0, 4, 7}), ("C/Bb", "C/Bb", {0, 4, 7, 10}),
])
def test_typed_symbols_parse_and_name(symbol, name, tones):
    chord = parse_chord(symbol)
    assert chord.name == name and chord.tones == tones
    assert chord_name(chord.index) == name and parse_chord(name) == chord


def test_no_chord():
    for symbol in ("N", "N.C.", "NC"):
        assert parse_chord(symbol) is None and chord_index(symbol) == 0
    assert chord_name(0) == "N" and chord_tones(0) == frozenset()


@pytest.mark.parametrize("form", POP909_LABELS)
def test_every_pop909_label_form_round_trips(form):
    chord = parse_chord(f"A:{form}")
    assert chord.label == f"A:{form}" and chord_of(chord.index) == chord


def test_pop909_inversions_put_the_bass_on_a_chord_tone():
    assert parse_chord("C:maj/3") == Chord(0, "maj", 4) and parse_chord("C:maj/3").name == "C/E"
    assert parse_chord("A:min7/b7").name == "Am7/G"
    assert parse_chord("D:min/b3").name == "Dm/F"


@pytest.mark.parametrize("bad", ["H", "Cx", "C/", "Cmaj9", "C/H", "X:maj", "C:maj/9", "C:major", "", "c", "Am7b"])
def test_every_bad_symbol_is_one_clear_error(bad):
    with pytest.raises(VaekitError, match=f"^unknown chord symbol '{bad}'$"):
        parse_chord(bad)


def test_indices_fit_int16_and_are_all_distinct_chords():
    assert N_CHORDS < 2**15
    chords = [chord_of(i) for i in range(1, N_CHORDS)]
    assert len(set(chords)) == N_CHORDS - 1 and all(c.index == i for i, c in enumerate(chords, 1))
    assert len(QUALITIES) == 15


def test_features_root_chroma_bass_and_no_chord():
    table = feature_table()
    assert table.shape == (N_CHORDS, FEATURES)
    c_over_e = table[chord_index("C/E")]
    assert c_over_e[0] == 1 and c_over_e[:12].sum() == 1  # root C
    assert set(np.flatnonzero(c_over_e[12:24])) == {0, 4, 7}
    assert c_over_e[24 + 4] == 1 and c_over_e[24:36].sum() == 1  # bass E
    assert table[0, -1] == 1 and table[0, :-1].sum() == 0
    inversions = [i for i in range(1, N_CHORDS) if chord_of(i).bass in QUALITIES[chord_of(i).quality]]
    assert len(np.unique(table[[0, *inversions]], axis=0)) == 1 + len(inversions)  # a bass off the chord adds a tone


def test_transposition_moves_the_root_and_keeps_quality_and_bass():
    rows = np.array([0, chord_index("Am7/G"), chord_index("B:hdim7")], dtype=np.int16)
    up = transpose_chords(rows, 3)
    assert up.dtype == np.int16 and [chord_name(i) for i in up] == ["N", "Cm7/Bb", "Dm7b5"]
    assert (transpose_chords(up, -3) == rows).all() and (transpose_chords(rows, 12) == rows).all()
    per_row = transpose_chords(np.stack([rows, rows]), np.array([[1], [2]]))
    assert [chord_name(i) for i in per_row[:, 1]] == ["Bbm7/Ab", "Bm7/A"]


@pytest.mark.parametrize("text, bars, expected", [
    ("C G", 2, "C | G"),
    ("C G Am F", 2, "C G | Am F"),  # twice as many chords as bars: one a half bar
    ("C G | Am F", 2, "C G | Am F"),
    ("C | G Am F Em", 2, "C | G Am F Em"),
    ("C G Am F", 16, " | ".join(["C", "G", "Am", "F"] * 4)),  # repeats to fill
    ("Am", 2, "Am | Am"),
])
def test_typed_progressions(text, bars, expected):
    row = progression(text, 16 * bars)
    assert row.dtype == np.int16 and row.shape == (16 * bars,)
    assert describe_progression(row) == expected


@pytest.mark.parametrize("text", ["C G Am", "", "C | G | Am", "C C C | G", "C G Am F Em"])
def test_a_progression_of_the_wrong_length_says_the_rule(text):
    with pytest.raises(VaekitError, match="a 2-bar model takes one a bar"):
        progression(text, 32)


def test_an_unknown_symbol_in_a_progression():
    with pytest.raises(VaekitError, match="^unknown chord symbol 'Hm'$"):
        progression("C Hm", 32)


def test_pop909_annotation_onto_the_grid(tmp_path):
    (tmp_path / "song.mid").write_bytes(b"")
    (tmp_path / "chord_midi.txt").write_text("0.0\t1.0\tN\n1.0\t3.0\tC:maj/3\n3.0\t4.1\tA:min7\n")
    rows = read_chord_annotation(tmp_path / "song.mid")
    assert rows == [(0.0, 1.0, 0), (1.0, 3.0, chord_index("C/E")), (3.0, 4.1, chord_index("Am7"))]
    row = chords_on_grid(rows, lambda seconds: int(round(seconds * 4)), 20)  # 4 steps a second
    assert [chord_name(i) for i in row[[0, 3, 4, 11, 12, 15, 16, 19]]] == ["N", "N", "C/E", "C/E", "Am7", "Am7",
                                                                          "N", "N"]


def test_an_unreadable_annotation_names_the_file_and_line(tmp_path):
    (tmp_path / "chord_midi.txt").write_text("0.0\t1.0\tC:maj\n1.0\t2.0\tC:maj9\n")
    with pytest.raises(VaekitError, match=r"chord_midi.txt: line 2: unknown chord symbol 'C:maj9'"):
        read_chord_annotation(tmp_path / "song.mid")
    assert read_chord_annotation(tmp_path / "elsewhere" / "song.mid") is None
