"""Scores through music21: ABC (pickups, ties, chords, triplets), MusicXML, MXL and Humdrum."""

from __future__ import annotations

import numpy as np
from vaekit_midi.scores import parse_abc, read_score
from vaekit_midi.tokens import decode

ABC = """X:1
T:test
M:3/4
L:1/8
K:C
G | c2 e2 g2 | [ceg]4 d2- | d2 c2 B2 | (3cde f2 e2 | c6 |]
"""


def test_abc_pickup_ties_chords_and_triplets():
    parsed = parse_abc(ABC)
    assert parsed.reason is None
    (tokens, bar), (after, _) = parsed.segments
    assert bar == 12
    # the pickup's bar line lies before the tune: the pickup G4 sits on step 10 of bar 0; the tied d
    # (two bars, 4 steps + 4 steps) is one note; the chord keeps its top; the triplet bar is cut out
    np.testing.assert_array_equal(
        decode(tokens),
        [[10, 12, 67], [12, 16, 72], [16, 20, 76], [20, 24, 79], [24, 32, 79], [32, 40, 74], [40, 44, 72]]
        + [[44, 48, 71]],
    )
    assert len(tokens) == 48
    np.testing.assert_array_equal(decode(after), [[0, 12, 72]])  # the bar after the triplets


def test_repeats_are_written_out():
    parsed = parse_abc("X:1\nT:r\nM:2/4\nL:1/8\nK:C\n|: c2 d2 | e2 f2 :| g4 | c4 |]\n")
    ((tokens, bar),) = parsed.segments
    assert bar == 8
    np.testing.assert_array_equal(decode(tokens)[:, 2], [72, 74, 76, 77, 72, 74, 76, 77, 79, 72])


def test_abc_without_meter_or_notes():
    assert parse_abc("X:1\nT:free\nM:none\nL:1/4\nK:C\nC D E F G A B c d e f g\n").reason == "no_meter"
    assert parse_abc("X:1\nT:rest\nM:4/4\nL:1/4\nK:C\nz4 | z4 |]\n").reason == "no_notes"
    triplets = "X:1\nT:triplets\nM:2/4\nL:1/8\nK:C\n(3cde (3fga | (3bag (3gfe | (3dcB (3cde |]\n"
    assert parse_abc(triplets).reason == "off_grid"


def test_musicxml_mxl_and_humdrum_agree(tmp_path):
    from music21 import converter

    score = converter.parseData(ABC, format="abc")
    score.write("musicxml", fp=tmp_path / "t.musicxml")
    score.write("mxl", fp=tmp_path / "z.mxl")  # (mxl writes, then deletes, a .musicxml of its stem)
    expected = parse_abc(ABC).segments[0][0]
    for name in ("t.musicxml", "z.mxl"):
        parsed = read_score(tmp_path / name)
        assert parsed.reason is None, name
        np.testing.assert_array_equal(parsed.segments[0][0], expected)
    krn = tmp_path / "t.krn"
    krn.write_text("**kern\n*M4/4\n=1\n4c\n4e\n4g\n4cc\n=2\n2b\n4g\n4r\n=3\n1c\n==\n*-\n")
    ((tokens, bar),) = read_score(krn).segments
    assert bar == 16
    np.testing.assert_array_equal(
        decode(tokens), [[0, 4, 60], [4, 8, 64], [8, 12, 67], [12, 16, 72], [16, 24, 71], [24, 28, 67], [32, 48, 60]]
    )


def test_bad_score_files(tmp_path):
    empty = tmp_path / "empty.abc"
    empty.write_text("")
    assert read_score(empty).reason == "empty"
    garbage = tmp_path / "garbage.musicxml"
    garbage.write_bytes(np.random.default_rng(1).bytes(400))
    assert read_score(garbage).reason == "unreadable"


LEFT_OUT = """X:1
T:left out
M:4/4
L:1/8
K:C
CDEF GABc|(3cBA (3GFE D2 C2|CDEF GABc|c/B/A/G/ F2 {g}E2 C4|]
"""


def test_a_score_reports_the_bars_the_grid_leaves_out():
    report = parse_abc(LEFT_OUT).report
    # bar 2's six triplet notes and the two after them are lost with their bar, and the grace note
    assert report.score and report.bars_cut == 1 and report.grace_notes == 1
    assert report.notes == 32 and report.lost == 9 and report.moved == 9 and report.onsets_moved == 4
    assert report.cause == "triplets" and report.warned
    warning = report.warning("tune.abc")
    assert warning.startswith("tune.abc: reading on 16ths left out 1 bar and") and "12 steps a beat" in warning
    clean = parse_abc(ABC.replace("(3cde f2 e2", "c2 f2 e2")).report
    assert clean.moved == 0 and clean.warning("x.abc") is None


def test_thirty_seconds_are_no_quintuplets():
    report = parse_abc("X:1\nT:t\nM:2/4\nL:1/16\nK:C\nc/d/e/f/ g2 a4 | c8 | c8 |]\n").report
    assert report.positions["quintuplet"] == 0 and report.cause == "notes shorter than a 16th"
    assert report.bars_cut == 1 and report.lost == 6


def test_inspect_and_the_verbs_say_what_a_score_lost(tmp_path, caplog):
    import logging

    from click.testing import CliRunner
    from vaekit_midi.folder_quantisation import folder_report
    from vaekit_midi.kinds.melody import Melody

    from vaekit.cli import cli

    path = tmp_path / "tune.abc"
    path.write_text(LEFT_OUT)
    out = CliRunner().invoke(cli, ["inspect", str(path)]).output
    assert "1 bar left out, 1 grace notes" in out and out.count("warning:") == 1 and "likely triplets" in out
    with caplog.at_level(logging.WARNING, logger="vaekit_midi"):
        windows = Melody().read(path, {"data": {"steps": 32, "steps_per_bar": 16}})
    assert len(windows) >= 1 and any("tune.abc: reading on 16ths left out" in r.getMessage() for r in caplog.records)
    report = folder_report([path])
    assert report.files == 1 and report.warned == 1 and report.causes == {"triplets": 1}
