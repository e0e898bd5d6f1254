"""Reading MIDI files the tests write tick by tick, and the exact tokens -> MIDI -> tokens round trip."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vaekit_midi.corpus import Corpus
from vaekit_midi.kinds import KINDS
from vaekit_midi.kinds.melody import read_melodies as read_midi
from vaekit_midi.melody_lines import Section, segments, usable
from vaekit_midi.parsed import Parsed
from vaekit_midi.tokens import NOTE_OFF, decode, encode

Q = 480  # ticks per quarter note; a 16th-note step is 120 ticks


def windows(tokens: np.ndarray, bar: int, steps: int, hop_bars: int = 1) -> np.ndarray:
    """The melody windows of one segment, as the melody kind cuts and keeps them."""
    one = Corpus.from_parsed(["tune"], [Parsed([(np.asarray(tokens, np.int8), bar)])], np.zeros(0, np.int8))
    return one.windows(steps, hop_bars, keep=usable)[0]


def on(pitch: int) -> int:
    return pitch - 19


def melody_ticks(steps: list[tuple[int, int, int]]) -> list[tuple[int, int, int]]:
    return [(a * 120, b * 120, p) for a, b, p in steps]


def only_segment(path):
    parsed = read_midi(path)
    assert parsed.reason is None
    assert len(parsed.segments) == 1
    return parsed.segments[0]


SCALE = [(i * 2, i * 2 + 2, 60 + i % 8) for i in range(32)]  # 8th notes over 4 bars of 4/4


def test_tempo_changes_do_not_move_notes(midi_file):
    path = midi_file(
        "tempo.mid", [melody_ticks(SCALE)], tempos=((0, 120), (4 * Q, 70), (5 * Q + 240, 200), (9 * Q, 40))
    )
    tokens, bar = only_segment(path)
    assert bar == 16
    np.testing.assert_array_equal(tokens, encode(np.array(SCALE), 64))


def test_three_four_with_pickup(midi_file):
    # 3/4: a pickup on beat 3 of bar 0 (step 8), then quarter notes
    notes = [(8, 12, 67)] + [(12 + 4 * i, 16 + 4 * i, 60 + i % 5) for i in range(12)]
    tokens, bar = only_segment(midi_file("waltz.mid", [melody_ticks(notes)], meters=((0, 3, 4),)))
    assert bar == 12 and len(tokens) == 60
    w = windows(tokens, bar, 32)
    assert w.shape == (3, 32)  # starts at 0, 12, 24 (36 would run past the end)
    assert w[0][:8].tolist() == [0] * 8 and w[0][8] == on(67)
    assert w[1][0] == on(60)


def test_pickup_bar_in_its_own_meter(midi_file):
    # a 1/4 pickup bar, then 4/4: bars start at the 4/4 change
    notes = [(0, 4, 62)] + [(4 + 4 * i, 8 + 4 * i, 64 + i % 3) for i in range(8)]
    parsed = read_midi(midi_file("pickup.mid", [melody_ticks(notes)], meters=((0, 1, 4), (Q, 4, 4))))
    by_bar = {bar: tokens for tokens, bar in parsed.segments}
    assert sorted(by_bar) == [4, 16]
    assert by_bar[16][0] == on(64) and len(by_bar[16]) == 32


def test_six_eight_windows_every_bar(midi_file):
    notes = [(6 * i, 6 * i + 4, 60 + i % 7) for i in range(16)]  # dotted quarters over 8 bars of 6/8
    tokens, bar = only_segment(midi_file("jig.mid", [melody_ticks(notes)], meters=((0, 6, 8),)))
    assert bar == 12 and len(tokens) == 96
    assert windows(tokens, bar, 32).shape == (6, 32)  # bar lines 0, 12, ..., 60


def test_meter_change_splits(midi_file):
    notes = [(4 * i, 4 * i + 4, 60 + i % 4) for i in range(8)] + [(32 + 4 * i, 36 + 4 * i, 70) for i in range(6)]
    parsed = read_midi(midi_file("change.mid", [melody_ticks(notes)], meters=((0, 4, 4), (8 * Q, 3, 4))))
    assert [(len(t), bar) for t, bar in parsed.segments] == [(32, 16), (24, 12)]
    assert parsed.segments[1][0][0] == on(70)


def test_overlapping_and_simultaneous_notes(midi_file):
    chord = [(0, 8, 60), (0, 8, 64), (0, 6, 67)]  # keep the top: 67, clipped at 4 by the next onset
    rest = [(4, 12, 55), (10, 30, 62), (14, 18, 74), (14, 32, 50)]
    tokens, _ = only_segment(midi_file("poly.mid", [melody_ticks(chord + rest)]))
    np.testing.assert_array_equal(decode(tokens), [[0, 4, 67], [4, 10, 55], [10, 14, 62], [14, 18, 74]])
    assert tokens[18] == NOTE_OFF and len(tokens) == 32


def test_out_of_range_pitches_are_dropped(midi_file):
    notes = [(0, 4, 15), (0, 4, 60), (4, 8, 120), (8, 12, 108), (12, 16, 21), (16, 32, 20)]
    tokens, _ = only_segment(midi_file("range.mid", [melody_ticks(notes)]))
    np.testing.assert_array_equal(decode(tokens), [[0, 4, 60], [8, 12, 108], [12, 16, 21]])


def test_each_instrument_and_no_drums(midi_file):
    lead = melody_ticks([(4 * i, 4 * i + 4, 72) for i in range(8)])
    bass = melody_ticks([(8 * i, 8 * i + 8, 40) for i in range(4)])
    drums = melody_ticks([(2 * i, 2 * i + 1, 36) for i in range(16)])
    parsed = read_midi(midi_file("band.mid", [lead, bass, drums], drums=(2,)))
    lowest = sorted(decode(t)[:, 2].min() for t, _ in parsed.segments)
    assert lowest == [40, 72]


@pytest.mark.parametrize(
    ("reason", "tracks", "kwargs"),
    [
        ("drums_only", [[(0, 480, 36)]], {"drums": (0,)}),
        ("out_of_range", [[(0, 480, 12), (480, 960, 115)]], {}),
        ("no_notes", [[]], {}),
    ],
)
def test_files_without_melody(midi_file, reason, tracks, kwargs):
    assert read_midi(midi_file("bad.mid", tracks, **kwargs)).reason == reason


def test_unreadable_files(tmp_path, midi_file):
    good = midi_file("good.mid", [melody_ticks(SCALE)]).read_bytes()
    cases = {"empty": b"", "not_midi": np.random.default_rng(0).bytes(300), "corrupt": good[: len(good) // 2]}
    for reason, data in cases.items():
        path = tmp_path / f"{reason}.mid"
        path.write_bytes(data)
        assert read_midi(path).reason == reason


def every_window(parsed, steps=32):
    return [w for tokens, bar in parsed.segments for w in windows(tokens, bar, steps)]


def test_written_windows_read_back_exactly(midi_file, tmp_path):
    files = [
        midi_file("a.mid", [melody_ticks(SCALE)], tempos=((0, 120), (5 * Q, 71))),
        midi_file(
            "b.mid",
            [melody_ticks([(8, 12, 67)] + [(12 + 3 * i, 15 + 3 * i, 60 + i % 5) for i in range(16)])],
            meters=((0, 3, 4),),
        ),
        midi_file("c.mid", [melody_ticks([(6 * i, 6 * i + 5, 60 + i % 7) for i in range(16)])], meters=((0, 6, 8),)),
        midi_file("d.mid", [melody_ticks([(0, 8, 60), (0, 8, 64), (4, 12, 55), (10, 30, 62), (14, 40, 74)])]),
    ]
    found = [w for f in files for w in every_window(read_midi(f))]
    assert len(found) >= 10
    for i, w in enumerate(found):
        out = tmp_path / f"w{i}.mid"
        KINDS["melody"].write(w, out, {"data": {"tempo": 97, "program": 40}})
        back = every_window(read_midi(out))
        assert len(back) == 1
        np.testing.assert_array_equal(back[0], w)
    pm = pretty_midi.PrettyMIDI(str(out))
    assert pm.instruments[0].program == 40
    assert pm.get_tempo_changes()[1][0] == pytest.approx(97, rel=1e-4)
    # several windows in one file, a bar of rest between them, read back in order
    KINDS["melody"].write(np.stack(found), tmp_path / "all.mid", {})
    np.testing.assert_array_equal(np.stack(every_window(read_midi(tmp_path / "all.mid"))), np.stack(found))


@st.composite
def melodies(draw):
    """Random monophonic 4-bar melodies: notes and rests of 1..12 steps."""
    notes, t = [], draw(st.integers(0, 8))
    while t < 64:
        length = draw(st.integers(1, 12))
        if draw(st.booleans()):
            notes.append((t, min(t + length, 64), draw(st.integers(21, 108))))
        t += length + draw(st.sampled_from([0, 0, 0, 1, 3]))
    return encode(np.array(notes, dtype=np.int64).reshape(-1, 3), 64)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(melodies(), st.sampled_from([16, 12]), st.floats(40, 240))
def test_any_window_round_trips(tmp_path, tokens, bar, tempo):
    found = [w for seg, _ in segments(Section(decode(tokens), 64, bar)) for w in windows(seg, bar, 32)]
    for i, w in enumerate(found):
        out = tmp_path / f"h{i}.mid"
        KINDS["melody"].write(w, out, {"data": {"tempo": tempo}})
        back = every_window(read_midi(out))
        assert len(back) == 1
        np.testing.assert_array_equal(back[0], w)
