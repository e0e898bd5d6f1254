"""Where a file's chords come from: recognised from a hand-made accompaniment (block chords, arpeggios,
an inversion), read from a score's chord symbols onto the melody's steps, POP909's annotation, and
the one line for a file with none."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from vaekit_midi.chord_recognition import (
    ANNOTATION,
    RECOGNISED,
    SCORE_SYMBOLS,
    chords_of_file,
    find_chords,
    found_chords,
    recognise,
    symbol_index,
)
from vaekit_midi.chords import chord_changes, chord_name, chord_of
from vaekit_midi.scores import read_score
from vaekit_midi.tokens import decode

from vaekit import VaekitError

sys.path.insert(0, str(Path(__file__).parent))  # the tests import in importlib mode: no sibling modules otherwise
from handmade import TUNE, song  # noqa: E402

#: C, Am, F, G7, a bar each: (root, tones from the bass up)
PROGRESSION = [(48, (0, 4, 7)), (45, (0, 3, 7)), (41, (0, 4, 7)), (43, (0, 4, 7, 10))]


def block(bars=PROGRESSION):
    return [(4 * bar, 4, root + tone) for bar, (root, tones) in enumerate(bars) for tone in tones]


def arpeggiated(bars=PROGRESSION):
    """Each bar a bass note held under its chord tones broken in eighth notes (root, third, fifth, and
    the seventh or the octave), up and up again."""
    notes = []
    for bar, (root, tones) in enumerate(bars):
        notes.append((4 * bar, 4, root - 12))
        upper = [root + tone for tone in tones] + [root + 12] * (4 - len(tones))
        notes += [(4 * bar + k / 2, 0.5, upper[k % len(upper)]) for k in range(8)]
    return notes


def names(row: np.ndarray) -> list[str]:
    return [chord_name(index) for _, _, index in chord_changes(row)]


def write(tmp_path: Path, accompaniment, name="song.mid") -> Path:
    path = tmp_path / name
    song([("melody", 0, False, TUNE), ("piano", 0, False, accompaniment)]).write(str(path))
    return path


@pytest.mark.parametrize("playing", [block, arpeggiated])
def test_an_accompaniment_in_c_is_recognised(tmp_path, playing):
    row, source = chords_of_file(write(tmp_path, playing()))
    assert source == RECOGNISED
    assert names(row) == ["C", "Am", "F", "G7"]
    assert [start for start, _, _ in chord_changes(row)] == [0, 16, 32, 48]


def test_an_inversion_keeps_its_root_and_names_its_bass():
    first = [(0, 4, p) for p in (52, 55, 60, 64)]  # E G C E: C over E
    second = [(4, 4, p) for p in (43, 50, 55, 59, 65)]  # G D G B F: G7 in root position
    notes = np.array([(int(4 * t), int(4 * (t + d)), p) for t, d, p in first + second])
    row = recognise(notes, 32)
    c_over_e, g7 = chord_of(int(row[0])), chord_of(int(row[16]))
    assert (c_over_e.root, c_over_e.quality, (c_over_e.root + c_over_e.bass) % 12) == (0, "maj", 4)
    assert c_over_e.name == "C/E" and g7.name == "G7"


def test_a_short_rest_holds_the_chord_and_silence_is_no_chord():
    notes = np.array([(0, 12, p) for p in (48, 52, 55)] + [(16, 32, p) for p in (45, 48, 52)])
    row = recognise(notes, 64)
    assert names(row) == ["C", "Am", "N"]
    assert [start for start, _, _ in chord_changes(row)] == [0, 16, 32]


ABC = """X:1
T:With a pickup
M:3/4
L:1/4
K:G
"D7" D | "G" G2 B | "Em" e d "Am7/G" c | "D7" A3 | "G" G2 |]
"""


def test_score_chord_symbols_land_on_the_melody_steps(tmp_path):
    path = tmp_path / "tune.abc"
    path.write_text(ABC)
    row, source = chords_of_file(path)
    assert source == SCORE_SYMBOLS
    # step 0 is the bar line before the one-beat pickup, as the melody reader counts it
    assert [(start, chord_name(index)) for start, _, index in chord_changes(row)] == [
        (0, "N"), (8, "D7"), (12, "G"), (24, "Em"), (32, "Am7/G"), (36, "D7"), (48, "G")]
    (tokens, _), = read_score(path).segments
    assert len(tokens) == len(row)
    onsets = {int(onset): int(pitch) for onset, _, pitch in decode(tokens)}
    assert onsets[8] == 62 and onsets[32] == 72  # the pickup D under D7, the C under Am7/G


def test_the_annotation_comes_first(tmp_path):
    folder = tmp_path / "001"
    folder.mkdir()
    path = write(folder, block(), "001.mid")
    (folder / "chord_midi.txt").write_text("0.0 2.0 C:maj\n2.0 4.0 A:min7\n4.0 8.0 N\n")
    row, source = chords_of_file(path)
    assert source == ANNOTATION and names(row)[:3] == ["C", "Am7", "N"]


def test_a_file_with_no_chords_says_so_in_one_line(tmp_path):
    lone = tmp_path / "lone.mid"
    song([("melody", 0, False, TUNE)]).write(str(lone))
    plain = tmp_path / "plain.abc"
    plain.write_text(ABC.replace('"D7" ', "").replace('"G" ', "").replace('"Em" ', "").replace('"Am7/G" ', ""))
    for path in (lone, plain):
        assert find_chords(path) is None
        with pytest.raises(VaekitError) as error:
            chords_of_file(path)
        message = str(error.value)
        assert message.startswith(f"{path}: no chords: ") and message.endswith("give --chords")
        assert "\n" not in message


def test_inspect_shows_the_chords_bar_by_bar(tmp_path):
    from click.testing import CliRunner

    from vaekit.cli import cli

    path = write(tmp_path, block())
    result = CliRunner().invoke(cli, ["inspect", str(path)])
    assert result.exit_code == 0, result.output
    assert "chords (recognised from the accompaniment), bar by bar:" in result.output
    assert "bars 1-4: C | Am | F | G7" in result.output
    result = CliRunner().invoke(cli, ["inspect", str(path), "--json"])
    assert json.loads(result.output)["chords"] == {"source": RECOGNISED, "first_bar": 1, "bars": ["C", "Am", "F", "G7"]}
    score = tmp_path / "tune.abc"
    score.write_text(ABC)
    found = found_chords(score)
    assert found.first_bar == 0 and found.by_bar() == ["N D7", "G", "Em Am7/G", "D7", "G"]  # bar 0: the pickup


@pytest.mark.parametrize("figure, name", [
    ("C", "C"), ("B-", "Bb"), ("D7/F#", "D7/F#"), ("Am/G", "Am/G"), ("Am7/G", "Am7/G"), ("Bm7b5", "Bm7b5"),
    ("Co7", "Cdim7"), ("A7sus4", "A7sus4"), ("C9", "C7"), ("Cadd9", "C"),
])
def test_music21_chord_symbols_become_our_chords(figure, name):
    from music21 import harmony

    assert chord_name(symbol_index(harmony.ChordSymbol(figure))) == name


def test_a_lower_case_quoted_word_is_no_chord():
    from music21 import harmony

    assert symbol_index(harmony.ChordSymbol("f")) is None  # ABC's "f" over a note is forte
