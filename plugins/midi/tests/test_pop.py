"""Pop melodies: a track named "melody" is the melody, POP909-style beat annotations put the bar lines,
and the built-in ``pop`` dataset (POP909's songs, shipped as tokens) works like ``folk``."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest
from click.testing import CliRunner
from vaekit_midi.dataset import split_items
from vaekit_midi.kinds import KINDS
from vaekit_midi.kinds.melody import read_melodies
from vaekit_midi.pop import FILE, load_pop
from vaekit_midi.tokens import PITCH_OFFSET

from vaekit.cli import cli

MELODY = KINDS["melody"]
CONFIG = {"data": {"steps": 32, "steps_per_bar": 16, "hop_bars": 1, "transpose": 0, "val_fraction": 0.1,
                   "limit_tunes": 0}}


def song(path, offset: float = 0.0, beat: float = 0.5, names=("MELODY", "PIANO")):
    """Quarter notes from ``offset`` seconds on, a beat every ``beat`` seconds: a melody track rising
    one semitone a beat, and a piano track an octave above it (higher, so a reader taking every track
    would see its notes)."""
    pm = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    for name, base in zip(names, (60, 84)):
        track = pretty_midi.Instrument(program=0, name=name)
        track.notes = [pretty_midi.Note(90, base + i % 12, offset + i * beat, offset + (i + 0.75) * beat)
                       for i in range(32)]
        pm.instruments.append(track)
    pm.write(str(path))
    return path


def test_a_track_named_melody_is_the_melody(tmp_path):
    parsed = read_melodies(song(tmp_path / "a.mid"))
    pitches = {int(t) + PITCH_OFFSET for tokens, _ in parsed.segments for t in tokens if t >= 2}
    assert pitches == set(range(60, 72))  # the piano's 84.. are not read
    other = read_melodies(song(tmp_path / "b.mid", names=("lead", "pad")))
    assert len(other.segments) == 2  # no track named melody: each one is read, as before


def test_beat_annotations_put_the_bar_lines(tmp_path):
    # played 0.3 s late against the MIDI file's own grid, with the bar starting on the third beat
    (tmp_path / "001").mkdir()
    path = song(tmp_path / "001" / "001.mid", offset=0.3)
    beats = 0.3 + 0.5 * np.arange(40)
    down = (np.arange(40) % 4 == 2).astype(float)
    np.savetxt(tmp_path / "001" / "beat_midi.txt", np.stack([beats, np.arange(40) % 2, down], 1))
    (tokens, bar), = read_melodies(path).segments
    assert bar == 16
    assert tokens[0] == 62 - PITCH_OFFSET  # the segment starts on the first downbeat: beat 2, pitch 62
    assert [i for i, t in enumerate(tokens[:16]) if t >= 2] == [0, 4, 8, 12]  # on the beats, not 0.3 s off
    without = read_melodies(song(tmp_path / "plain.mid", offset=0.3))
    assert without.segments[0][0][0] != 62 - PITCH_OFFSET  # the file's own grid: bars from time 0
    (tmp_path / "001" / "other.mid").write_bytes(path.read_bytes())  # two MIDI files: the annotation is not theirs
    assert read_melodies(path).segments[0][0][0] != 62 - PITCH_OFFSET


def segments(parsed):
    return [(tokens.tolist(), bar) for tokens, bar in parsed.segments]


def test_a_bad_annotation_falls_back_to_the_file_grid(tmp_path):
    (tmp_path / "s").mkdir()
    path = song(tmp_path / "s" / "s.mid")
    for text in ("", "junk\n", "0.5 0 1\n0.4 0 0\n", "0 0 0\n0.5 0 0\n"):  # empty, unparsable, backwards, no downbeat
        (tmp_path / "s" / "beat_midi.txt").write_text(text)
        assert segments(read_melodies(path)) == segments(read_melodies(song(tmp_path / "plain.mid")))


def test_the_built_in_pop_dataset(tmp_path):
    assert FILE.stat().st_size < 1_000_000 and (FILE.parent / "POP909-LICENSE").exists()
    corpus = load_pop()
    assert len(corpus.names) == 800 and corpus.names[0] == "pop909/001"
    assert len(load_pop(10).names) == 10 and load_pop(10).offsets[-1] < corpus.offsets[-1]
    held_out = split_items(corpus.names, np.ones(800, bool), 0.1)
    assert 50 < held_out.sum() < 110  # a tenth of the songs, whole
    train, val = MELODY.load_dataset("pop", CONFIG)
    assert len(train) > 20_000 and len(val) > 1_000
    shared = set(map(bytes, train.windows.numpy())) & set(map(bytes, val.windows.numpy()))
    assert len(shared) < 0.05 * len(val)  # only phrases that two songs share


def test_pop_works_with_every_verb(tmp_path, monkeypatch):
    monkeypatch.setenv("VAEKIT_CACHE", str(tmp_path / "cache"))
    result = CliRunner().invoke(cli, ["datasets", "export", "pop", "--n", "2", "--out", str(tmp_path / "tunes")])
    assert result.exit_code == 0, result.output
    x = MELODY.read(tmp_path / "tunes" / "pop_000.mid", CONFIG)
    assert x.shape == (1, 32)
    both = {"data": {**CONFIG["data"], "limit_tunes": 20, "collections": ["essenFolksong"]}}
    train, _ = MELODY.load_dataset("folk+pop", both)
    folk, _ = MELODY.load_dataset("folk", both)
    pop, _ = MELODY.load_dataset("pop", both)
    assert len(folk) < len(train) and len(pop) < len(train)
    with pytest.raises(Exception, match="not a built-in dataset"):
        MELODY.load_dataset("folk+rock", both)


def test_replay_puts_built_in_windows_beside_a_few_tunes(tmp_path, monkeypatch):
    monkeypatch.setenv("VAEKIT_CACHE", str(tmp_path / "cache"))
    (tmp_path / "mine").mkdir()
    for i in range(3):
        song(tmp_path / "mine" / f"t{i}.mid", offset=0.25 * i)
    alone, val = MELODY.load_dataset(str(tmp_path / "mine"), CONFIG)
    pop, _ = MELODY.load_dataset("pop", CONFIG)
    mixed, mixed_val = MELODY.load_dataset(str(tmp_path / "mine"), {"data": {**CONFIG["data"], "replay": "pop"}})
    assert len(mixed_val) == len(val)  # validation stays the user's own
    own = {w.tobytes() for w in alone.windows.numpy()}
    from_own = sum(w.tobytes() in own for w in mixed.windows.numpy())
    assert abs(from_own / len(mixed) - 0.5) < 0.02 and len(mixed) - from_own == len(pop)
    with pytest.raises(Exception, match="data.replay_share is 1.0"):
        MELODY.load_dataset(str(tmp_path / "mine"), {"data": {**CONFIG["data"], "replay": "pop", "replay_share": 1.0}})
