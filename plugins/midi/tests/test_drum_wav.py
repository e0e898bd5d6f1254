"""Drum outputs go to the General MIDI drum kit: every drum track is written with ``is_drum`` (channel
10), and ``--wav`` (FluidSynth, where installed) plays them as drums: short, decaying hits where the
notes start, not sustained tones. Without FluidSynth, ``--wav`` is one line and nothing is written."""

from __future__ import annotations

import sys
import wave

import numpy as np
import pretty_midi
import pytest
from click.testing import CliRunner

import vaekit
from vaekit.cli import cli

from .test_groove import played_beat, write_beat

pytestmark = [pytest.mark.usefixtures("one_thread"),
              pytest.mark.skipif(not {"drums_2bar", "groove_2bar"} <= set(vaekit.shipped_models()),
                                 reason="drums_2bar and groove_2bar are not shipped")]


def has_fluidsynth() -> bool:
    try:
        import fluidsynth  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def drum_decay(wav_path, midi_path) -> tuple[float, float]:
    """The audio's RMS, and the median of its level 100 ms after each hit over its level at the hit."""
    with wave.open(str(wav_path)) as w:
        rate = w.getframerate()
        audio = np.frombuffer(w.readframes(w.getnframes()), np.int16).astype(np.float64) / 32768
    level = [np.sqrt((audio[i: i + rate // 100] ** 2).mean()) for i in range(0, len(audio), rate // 100)]
    starts = sorted({round(n.start * 100) for i in pretty_midi.PrettyMIDI(str(midi_path)).instruments for n in i.notes})
    decay = [level[min(len(level) - 1, s + 10)] / max(level[s], 1e-9) for s in starts]
    return float(np.sqrt((audio**2).mean())), float(np.median(decay))


def test_drum_outputs_are_drum_tracks(tmp_path):
    assert invoke("generate", "drums_2bar", "-n", "2", "--out", tmp_path / "gen").exit_code == 0
    score = write_beat(tmp_path / "score.mid", [(float(round(s)), p, 100) for s, p, _ in played_beat(2)])
    assert invoke("groove", "groove_2bar", score, "--out", tmp_path / "played.mid").exit_code == 0
    for path in [*sorted((tmp_path / "gen").glob("*.mid")), tmp_path / "played.mid"]:
        tracks = pretty_midi.PrettyMIDI(str(path)).instruments
        assert tracks and all(t.is_drum for t in tracks), path


@pytest.mark.skipif(not has_fluidsynth(), reason="FluidSynth is not installed (apt install fluidsynth; pip install "
                    "pyfluidsynth)")
def test_groove_wav_plays_on_the_drum_kit(tmp_path):
    score = write_beat(tmp_path / "score.mid", [(float(round(s)), p, 100) for s, p, _ in played_beat(2)])
    result = invoke("groove", "groove_2bar", score, "--out", tmp_path / "played.mid", "--wav", tmp_path / "played.wav")
    assert result.exit_code == 0, result.output
    rms, decay = drum_decay(tmp_path / "played.wav", tmp_path / "played.mid")
    assert rms > 0.01 and decay < 0.5  # hits that die away within 100 ms
    pm = pretty_midi.PrettyMIDI(str(tmp_path / "played.mid"))
    pm.instruments[0].is_drum = False  # the same notes on a piano ring on: the check can tell them apart
    from vaekit_midi.render import write_wav

    write_wav(pm, tmp_path / "piano.wav")
    assert drum_decay(tmp_path / "piano.wav", tmp_path / "played.mid")[1] > 0.5


def test_wav_without_fluidsynth_is_one_line_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "fluidsynth", None)  # import fluidsynth raises ImportError
    score = write_beat(tmp_path / "score.mid", [(float(round(s)), p, 100) for s, p, _ in played_beat(2)])
    result = invoke("drumify", "groove_2bar", score, "--out", tmp_path / "beat.mid", "--wav", tmp_path / "beat.wav")
    assert result.exit_code == 2 and "needs FluidSynth" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "beat.mid").exists() and not (tmp_path / "beat.wav").exists()
