"""Issue 27: a user's own MIDI files (``handmade.py``, one per case) are read as the music they are, or
reading says what it changed; writing gives back their tempo, meter and key."""

from __future__ import annotations

import json
import logging
import sys
from pathlib import Path

import numpy as np
import pretty_midi
import pytest
from click.testing import CliRunner
from vaekit_midi.kinds import KINDS
from vaekit_midi.reading import read_user_midi
from vaekit_midi.tokens import decode

import vaekit
from vaekit.cli import cli

sys.path.insert(0, str(Path(__file__).parent))  # the tests import in importlib mode: no sibling modules otherwise
from handmade import ALTO, SOPRANO, write_all  # noqa: E402

CONFIG = {"data": {"steps": 32, "steps_per_bar": 16}}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    return write_all(tmp_path_factory.mktemp("handmade"))


def first_notes(reading, n=None):
    return decode(reading.parsed.segments[0][0])[:n]


def test_the_bass_track_first_is_not_the_melody(files):
    r = read_user_midi(files["melody_and_bass"])
    assert r.chosen == 1 and "highest" in r.why
    assert first_notes(r)[:, 2].min() >= 67  # the tune, not the bass (36..43)
    assert [t.chosen for t in r.tracks] == [False, True]


def test_a_bass_program_is_never_the_melody(tmp_path):
    from handmade import BASS, TUNE, song

    path = tmp_path / "bass_program.mid"
    song([("", 0, False, TUNE), ("", 33, False, [(t, d, p + 48) for t, d, p in BASS])]).write(str(path))
    assert read_user_midi(path).chosen == 0  # the bass plays higher here, but is a bass program


def test_two_voices_in_one_track_give_the_top_voice(files):
    r = read_user_midi(files["two_voices"])
    expected = [(round(4 * t), round(4 * (t + d)), p) for t, d, p in SOPRANO]
    np.testing.assert_array_equal(first_notes(r), expected)
    assert not set(first_notes(r)[:, 2]) & {p for _, _, p in ALTO}


def test_triplets_are_reported_and_warned(files, caplog):
    r = read_user_midi(files["triplets"])
    assert r.report.cause == "triplets" and r.report.warned
    assert r.report.onsets_moved == 32 and r.report.largest_onset_move == pytest.approx(1 / 12, abs=1e-3)
    assert first_notes(r, 3)[:, 0].tolist() == [0, 1, 3]  # what the grid can hold: 16th, 8th, 16th
    with caplog.at_level(logging.INFO, logger="vaekit_midi"):
        r.say()
    warnings = [rec.getMessage() for rec in caplog.records if rec.levelno == logging.WARNING]
    assert len(warnings) == 1 and "triplets.mid" in warnings[0] and "triplets" in warnings[0].split(": ", 1)[1]


def test_swing_is_straightened_and_not_warned(files):
    r = read_user_midi(files["swing"])
    assert r.music.swing == pytest.approx(2 / 3, abs=0.01)
    assert first_notes(r, 4)[:, 0].tolist() == [0, 2, 4, 6]  # even eighths
    assert not r.report.warned


@pytest.mark.parametrize(("name", "meter", "tempo", "bar"), [("waltz", (3, 4), 100, 12), ("jig", (6, 8), 110, 12),
                                                             ("tempo_60", (4, 4), 60, 16),
                                                             ("tempo_100", (4, 4), 100, 16),
                                                             ("tempo_180", (4, 4), 180, 16)])
def test_meter_and_tempo_are_read(files, name, meter, tempo, bar):
    r = read_user_midi(files[name])
    assert r.music.meter == meter and r.music.tempo == pytest.approx(tempo)
    assert r.parsed.segments[0][1] == bar and not r.report.warned and r.music.pickup == 0


def test_a_pickup_at_time_zero_is_found(files):
    r = read_user_midi(files["pickup"])
    assert r.music.pickup == 4
    notes = first_notes(r, 2)
    assert notes.tolist() == [[12, 16, 67], [16, 24, 72]]  # the tonic on the downbeat of bar 2
    assert read_user_midi(files["pickup"], pickup=0).music.pickup == 0  # --pickup 0 keeps the file's bar lines


def test_quintuplets_lose_notes(files):
    r = read_user_midi(files["quintuplets"])
    assert r.report.cause == "quintuplets" and r.report.warned and r.report.lost == 8


def test_a_tempo_change_moves_no_note(files):
    r = read_user_midi(files["tempo_change"])
    assert r.music.tempo == pytest.approx(120) and r.changes == ["tempo 80 bpm at beat 16"]
    assert r.report.moved == 0
    np.testing.assert_array_equal(first_notes(r), first_notes(read_user_midi(files["tempo_100"])))


def test_a_key_change_is_listed(files):
    r = read_user_midi(files["key_change"])
    assert r.music.key_name == "G Major" and r.changes == ["key D Major at beat 16"]


def test_grace_notes_are_dropped_and_said(files):
    r = read_user_midi(files["grace_notes"])
    assert r.report.grace_notes == 4 and r.report.cause == "grace notes" and r.report.warned
    np.testing.assert_array_equal(first_notes(r), first_notes(read_user_midi(files["tempo_100"])))


def test_a_named_melody_track_that_is_not_first(files):
    r = read_user_midi(files["melody_not_first"])
    assert r.chosen == 2 and r.why == "named 'Melody'"


def test_track_picks_another(files):
    assert read_user_midi(files["melody_and_bass"], track="0").chosen == 0
    assert read_user_midi(files["melody_not_first"], track="pad").chosen == 0
    with pytest.raises(vaekit.VaekitError, match="no track 'flute'"):
        read_user_midi(files["melody_not_first"], track="flute")


# writing back -------------------------------------------------------------------------------------


def music_of(path):
    pm = pretty_midi.PrettyMIDI(str(path))
    meters = [(t.numerator, t.denominator) for t in pm.time_signature_changes]
    keys = [pretty_midi.key_number_to_key_name(k.key_number) for k in pm.key_signature_changes]
    return round(float(pm.get_tempo_changes()[1][0]), 3), meters, keys


def run(*args):
    result = CliRunner().invoke(cli, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize(("name", "expected"), [
    ("waltz", (100, [(3, 4)], [])), ("jig", (110, [(6, 8)], [])), ("tempo_60", (60, [(4, 4)], [])),
    ("tempo_180", (180, [(4, 4)], [])), ("key_change", (120, [(4, 4)], ["G Major"])),
    ("tempo_change", (120, [(4, 4)], []))])
def test_reconstruct_keeps_tempo_meter_and_key(files, tmp_path, name, expected, one_thread):
    run("reconstruct", "mel_2bar", files[name], "--out", tmp_path)
    assert music_of(tmp_path / f"{name}_recon.mid") == expected


def test_interpolate_and_transform_keep_the_input_s_meter(files, tmp_path, one_thread):
    # an interpolation is written in the meter of B, the input read last
    run("interpolate", "mel_2bar", files["tempo_180"], files["waltz"], "--steps", "3", "--out", tmp_path / "mix.mid")
    assert music_of(tmp_path / "mix.mid") == (100, [(3, 4)], [])
    run("transform", "mel_2bar", files["jig"], "-a", "density", "--out", tmp_path / "moved.mid",
        "--png", tmp_path / "moved.png")
    assert music_of(tmp_path / "moved.mid") == (110, [(6, 8)], [])
    # and a later verb that reads nothing writes the run's own 4/4 at 120 bpm
    run("generate", "mel_2bar", "-n", "1", "--out", tmp_path / "samples")
    assert music_of(tmp_path / "samples" / "sample_000.mid") == (120, [(4, 4)], [])


def test_several_inputs_each_keep_their_own(files, tmp_path, one_thread):
    run("reconstruct", "mel_2bar", files["waltz"], files["tempo_60"], "--out", tmp_path, "--png", tmp_path / "r.png")
    assert music_of(tmp_path / "waltz_recon.mid")[:2] == (100, [(3, 4)])
    assert music_of(tmp_path / "tempo_60_recon.mid")[:2] == (60, [(4, 4)])


def test_the_pickup_is_written_before_the_first_bar_line(files, tmp_path, one_thread):
    run("reconstruct", "mel_2bar", files["pickup"], "--out", tmp_path)
    first = min(pretty_midi.PrettyMIDI(str(tmp_path / "pickup_recon.mid")).instruments[0].notes, key=lambda n: n.start)
    assert first.start == pytest.approx(1.5)  # beat 4 of the first bar at 120 bpm: the tonic falls on bar 2


def test_swing_is_put_back_on_output(files, tmp_path):
    x = KINDS["melody"].read(files["swing"], CONFIG)
    KINDS["melody"].write(x[0], tmp_path / "swing.mid", CONFIG)
    onsets = sorted(n.start for n in pretty_midi.PrettyMIDI(str(tmp_path / "swing.mid")).instruments[0].notes)
    assert np.allclose(np.array(onsets[:4]) / 0.5, [0, 2 / 3, 1, 5 / 3], atol=0.01)  # beats at 120 bpm


def test_track_option_on_the_verbs(files, tmp_path, one_thread):
    run("encode", "mel_2bar", files["melody_and_bass"], "--track", "0", "--out", tmp_path / "z.npz")
    result = run("reconstruct", "mel_2bar", files["melody_and_bass"], "--track", "0", "--out", tmp_path)
    assert "melody from track 0" in result.output and "asked for by --track" in result.output
    x = KINDS["melody"].read(files["melody_and_bass"], {"data": {**CONFIG["data"], "track": "0"}})
    assert decode(x[0].numpy())[:, 2].max() < 48  # the bass, as asked


# saying so ------------------------------------------------------------------------------------------


def test_inspect_lists_tracks_and_the_report(files):
    out = run("inspect", files["melody_and_bass"]).output
    assert "*     1  (unnamed)" in out and "highest 100% of the time" in out and "120 bpm, 4/4" in out
    out = run("inspect", files["triplets"]).output
    assert "likely triplets" in out and out.count("warning:") == 1
    data = json.loads(run("inspect", files["waltz"], "--json").stdout)
    assert data["music"]["meter"] == "3/4" and data["music"]["tempo"] == 100 and data["quantisation"]["moved"] == 0


def test_evaluate_shows_the_quantisation_loss(files, tmp_path, private_cache, one_thread):
    folder = tmp_path / "mine"
    folder.mkdir()
    for name in ("triplets", "quintuplets", "tempo_100", "waltz"):
        (folder / f"{name}.mid").write_bytes(files[name].read_bytes())
    data = json.loads(run("evaluate", "mel_2bar", "--data", folder, "-k", "0", "--json").stdout)
    assert data["acc_tf"] > 0 and data["reading"]["files"] == 4 and data["reading"]["files_warned"] == 2
    assert data["reading"]["causes"] == {"triplets": 1, "quintuplets": 1}
    text = run("evaluate", "mel_2bar", "--data", folder, "-k", "0").output
    assert "files past 5%" in text and "triplets.mid" in text


def test_a_pickup_bar_of_its_own(tmp_path):
    from handmade import song

    notes = [(0, 1, 67)] + [(1 + t, 1, 72 + t % 5) for t in range(16)]
    path = tmp_path / "short_bar.mid"
    song([("", 0, False, notes)], meters=((1, 4, 4),), meter=(1, 4)).write(str(path))
    for pickup, first in ((None, [12, 16, 67]), (0, [0, 4, 67])):  # --pickup 0: the file's short bar ignored
        r = read_user_midi(path, pickup=pickup)
        assert r.music.meter == (4, 4) and r.parsed.segments[0][1] == 16
        assert first_notes(r, 1).tolist() == [first]


def test_the_studio_is_told_the_meter(files):
    import contextvars

    import torch
    from vaekit_midi.modality import MidiModality

    def request():  # one server request: its own context, as the studio's worker threads run them
        config = {"data": {**CONFIG["data"], "kind": "melody"}}
        m = MidiModality().handler(config)
        x = m.read(files["jig"], config)
        return m.describe(x[:1], config)[0]

    described = contextvars.Context().run(request)
    assert described["meter"] == "6/8" and described["bar_steps"] == 12 and described["tempo"] == pytest.approx(110)
    describe = MidiModality().handler(CONFIG).describe
    plain = contextvars.Context().run(describe, torch.zeros(1, 32, dtype=torch.int64), CONFIG)[0]
    assert "meter" not in plain  # nothing was read in this request
