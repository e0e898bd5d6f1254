"""The form measures on melodies made by hand, where the right answer is known."""

import numpy as np
import pytest
from vaekit_midi.form import (
    form_figures,
    frame_overlaps,
    in_key_share,
    key_of,
    phrase_endings,
    repeated_share,
    self_similarity,
)
from vaekit_midi.tokens import encode


def melody(notes, bars):
    """Tokens of notes given as (onset step, length in steps, pitch)."""
    rows = np.array([(onset, onset + length, pitch) for onset, length, pitch in notes]).reshape(-1, 3)
    return encode(rows, 16 * bars)


def bar(first, pitches, lengths=(4, 4, 4, 4)):
    onsets = first + np.cumsum((0, *lengths[:-1]))
    return list(zip(onsets.tolist(), lengths, pitches))


def test_repeated_bars_and_units():
    tune = melody(bar(0, [60, 62, 64, 65]) + bar(16, [60, 62, 64, 65]) + bar(32, [67, 65, 64, 62])
                  + bar(48, [60, 62, 64, 65]), 4)[None]
    assert repeated_share(tune, 1) == pytest.approx(2 / 4)
    assert repeated_share(tune, 2) == pytest.approx(0 / 2)
    twice = melody(bar(0, [60, 62, 64, 65]) + bar(16, [67, 65, 64, 62]) + bar(32, [60, 62, 64, 65])
                   + bar(48, [67, 65, 64, 62]), 4)[None]
    assert repeated_share(twice, 2) == pytest.approx(1 / 2)
    assert repeated_share(tune[:, :32], 2) is None  # one 2-bar unit: nothing to repeat


def test_key_and_in_key_share():
    scale = [60, 62, 64, 65, 67, 69, 71, 72]
    assert key_of(np.array([(4 * i, 4 * i + 4, p) for i, p in enumerate(scale)]))[:2] == (0, "major")
    a_minor = [(0, 8, 57), (8, 10, 59), (10, 12, 60), (12, 14, 62), (14, 16, 64), (16, 32, 57)]
    assert key_of(np.array(a_minor))[:2] == (9, "minor")
    chromatic = melody(bar(0, scale[:4]) + bar(16, [67, 68, 71, 72]), 2)[None]  # G# is outside C major
    assert in_key_share(chromatic) == pytest.approx(7 / 8)


def test_phrase_endings_find_long_notes_and_the_tonic_on_bars_4_and_8():
    notes = []
    for b in range(8):
        if b % 4 == 3:
            notes += [(16 * b, 16, 60)]  # a whole note on the tonic ends each phrase
        else:
            notes += bar(16 * b, [64, 62, 67, 65])
    figures = phrase_endings(melody(notes, 8)[None])
    assert figures["long_at_phrase_end"] == 1 and figures["long_elsewhere"] == 0
    assert figures["tonic_at_phrase_end"] == 1 and figures["tonic_elsewhere"] == 0
    assert phrase_endings(melody([n for n in notes if n[0] < 32], 2)[None]) is None


def test_self_similarity_of_a_steady_tune_is_high_and_of_a_set_with_itself_is_one():
    steady = melody(sum((bar(16 * b, [60, 62, 64, 65]) for b in range(8)), []), 8)[None]
    wandering = melody(sum((bar(16 * b, [40 + 6 * b, 41 + 6 * b, 42 + 6 * b, 43 + 6 * b], (2, 2, 2, 10))
                            for b in range(8)), []), 8)[None]
    assert frame_overlaps(steady)["pitch"] == pytest.approx(1, abs=1e-3)
    assert frame_overlaps(wandering)["pitch"].max() < 0.5
    overlaps = frame_overlaps(np.concatenate([steady, wandering]))
    assert self_similarity(overlaps, overlaps) == {k: 1.0 for k in
                                                   ("pitch_consistency", "pitch_variance", "duration_consistency",
                                                    "duration_variance")}
    assert set(form_figures(steady)) >= {"repeated_bars", "in_key_share", "long_at_phrase_end", "pitch_overlap_mean"}
