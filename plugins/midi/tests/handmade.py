"""Small MIDI files of the kinds musicians write, made with pretty_midi, one per case of issue 27:
what a user hands ``vaekit reconstruct`` or ``interpolate``. Times are in beats (quarter notes)."""

from __future__ import annotations

from pathlib import Path

import pretty_midi

Q = 480  # ticks per beat
# a 4-bar tune in C: (onset beat, length in beats, pitch)
TUNE = [(0, 1, 72), (1, 1, 74), (2, 1, 76), (3, 1, 72), (4, 1, 76), (5, 1, 77), (6, 2, 79),
        (8, 0.5, 79), (8.5, 0.5, 81), (9, 0.5, 79), (9.5, 0.5, 77), (10, 1, 76), (11, 1, 72),
        (12, 1, 74), (13, 1, 67), (14, 2, 72)]


def twice(notes, beats=16):
    return notes + [(t + beats, d, p) for t, d, p in notes]


def song(tracks, tempo=120.0, meter=(4, 4), tempos=(), meters=(), keys=()) -> pretty_midi.PrettyMIDI:
    """``tracks``: (name, program, is_drum, notes in beats); ``tempos`` (beat, bpm) after the first;
    ``meters`` (beat, numerator, denominator) after the first; ``keys`` (beat, key number)."""
    pm = pretty_midi.PrettyMIDI(resolution=Q, initial_tempo=tempo)
    scales = [(0, 60.0 / (tempo * Q))] + [(int(b * Q), 60.0 / (bpm * Q)) for b, bpm in tempos]
    pm._tick_scales = scales
    pm._update_tick_to_time(200 * Q)

    def at(beat):
        return pm.tick_to_time(int(round(beat * Q)))

    pm.time_signature_changes = [pretty_midi.TimeSignature(meter[0], meter[1], 0.0)] + [
        pretty_midi.TimeSignature(n, d, at(b)) for b, n, d in meters]
    pm.key_signature_changes = [pretty_midi.KeySignature(k, at(b)) for b, k in keys]
    for name, program, drum, notes in tracks:
        inst = pretty_midi.Instrument(program=program, is_drum=drum, name=name)
        inst.notes = [pretty_midi.Note(90, p, at(t), at(t + d)) for t, d, p in notes]
        pm.instruments.append(inst)
    return pm


def melody(notes, **kwargs) -> pretty_midi.PrettyMIDI:
    return song([("", 0, False, notes)], **kwargs)


def _triplets():
    pitches = [72, 74, 76, 77, 76, 74]
    return [(k / 3, 1 / 3, pitches[k % 6]) for k in range(3 * 16)]


def _swing():
    notes = []
    for beat in range(32):
        notes += [(beat, 2 / 3, 72 + beat % 5), (beat + 2 / 3, 1 / 3, 74 + beat % 3)]
    return notes


def _quintuplets():
    notes = []
    for beat in range(16):
        if beat % 2:
            notes += [(beat + k / 5, 1 / 5, 72 + k) for k in range(5)]
        else:
            notes.append((beat, 1, 79))
    return notes


def _waltz():
    bars = [[(0, 2, 72), (2, 1, 76)], [(0, 1, 79), (1, 1, 77), (2, 1, 76)], [(0, 3, 74)],
            [(0, 2, 71), (2, 1, 74)], [(0, 1, 77), (1, 1, 76), (2, 1, 74)], [(0, 3, 72)]]
    return [(3 * i + t, d, p) for i, bar in enumerate(bars + bars) for t, d, p in bar]


def _jig():
    bars = [[72, 76, 79, 77, 76, 74], [72, 74, 76, 79, 79, 77], [76, 74, 72, 74, 76, 77], [79, 77, 76, 72, 72, 72]]
    return [(3 * i + 0.5 * k, 0.5, p) for i, bar in enumerate(bars + bars) for k, p in enumerate(bar)]


def _pickup():
    # a one-beat pickup, then bars of a half note on the downbeat and two quarters
    bars = [[(0, 2, 72), (2, 1, 76), (3, 1, 74)], [(0, 2, 76), (2, 1, 79), (3, 1, 77)],
            [(0, 2, 74), (2, 1, 71), (3, 1, 67)], [(0, 2, 72), (2, 1, 74), (3, 1, 67)]]
    return [(0, 1, 67)] + [(1 + 4 * i + t, d, p) for i, bar in enumerate(bars + bars) for t, d, p in bar]


def _grace():
    notes = list(twice(TUNE))
    for beat in (4, 8, 12, 20):
        notes.append((beat - 1 / 16, 1 / 16, 81))
    return sorted(notes)


def _two_voices():
    soprano = [(2 * i, 2, p) for i, p in enumerate([76, 77, 79, 76, 74, 72, 74, 76, 77, 79, 81, 79, 77, 76, 74, 72])]
    alto = [(i + 0.5, 1, 60 + (i * 3) % 8) for i in range(31)]
    return soprano, alto


BASS = [(2 * i, 2, 36 + [0, 7, 5, 7][i % 4]) for i in range(16)]
SOPRANO, ALTO = _two_voices()
CASES = {
    "melody_and_bass": lambda: song([("", 0, False, BASS), ("", 0, False, twice(TUNE))]),
    "two_voices": lambda: song([("", 0, False, sorted(SOPRANO + ALTO))]),
    "triplets": lambda: melody(_triplets()),
    "swing": lambda: melody(_swing()),
    "waltz": lambda: melody(_waltz(), tempo=100.0, meter=(3, 4)),
    "jig": lambda: melody(_jig(), tempo=110.0, meter=(6, 8)),
    "tempo_60": lambda: melody(twice(TUNE), tempo=60.0),
    "tempo_100": lambda: melody(twice(TUNE), tempo=100.0),
    "tempo_180": lambda: melody(twice(TUNE), tempo=180.0),
    "pickup": lambda: melody(_pickup()),
    "quintuplets": lambda: melody(_quintuplets()),
    "tempo_change": lambda: melody(twice(TUNE), tempos=((16, 80.0),)),
    "key_change": lambda: melody(twice(TUNE), keys=((0, 7), (16, 2))),
    "grace_notes": lambda: melody(_grace()),
    "melody_not_first": lambda: song([("Pad", 48, False, [(4 * i, 4, p) for i in range(8) for p in (48, 52, 55)]),
                                      ("Drums", 0, True, [(i, 0.25, 36) for i in range(32)]),
                                      ("Melody", 73, False, twice(TUNE))]),
}


def write_case(name: str, folder: Path) -> Path:
    path = Path(folder) / f"{name}.mid"
    CASES[name]().write(str(path))
    return path


def write_all(folder: Path) -> dict[str, Path]:
    return {name: write_case(name, folder) for name in CASES}
