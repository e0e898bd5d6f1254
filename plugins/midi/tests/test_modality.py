"""MidiModality and its melody handler: light entry point, read errors naming the file, output layouts, piano roll,
WAV."""

from __future__ import annotations

import subprocess
import sys
import types
import wave

import numpy as np
import pytest
import torch
from vaekit_midi.modality import MidiModality

from vaekit import VaekitError

CONFIG = {"data": {"steps": 32, "steps_per_bar": 16, "hop_bars": 1}}
MIDI = MidiModality()
M = MIDI.handler(CONFIG)


def tune(bars: int, start: int = 0):
    return [(start + i * 480, start + i * 480 + 480, 55 + (i * 7) % 19) for i in range(bars * 4)]


def test_entry_point_imports_nothing_heavy():
    code = (
        "import sys, vaekit_midi.plugin\n"
        "heavy = [m for m in ('torch', 'music21', 'matplotlib', 'pretty_midi') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_declared_members():
    assert MIDI.name == "midi" and M.output_suffix == ".mid"
    assert MIDI.file_types == (".mid", ".midi", ".abc", ".musicxml", ".mxl", ".krn") == M.file_types
    assert MIDI.default_preset == "mel_2bar" and MIDI.default_dataset == "folk"
    assert "folk" in MIDI.datasets()


def test_read_gives_every_window_in_order(midi_file):
    x = M.read(midi_file("song.mid", [tune(6)]), CONFIG)
    assert x.dtype == torch.int64 and x.shape == (5, 32)
    assert torch.equal(x[1][:16], x[0][16:])


def bad_files(tmp_path, midi_file):
    good = midi_file("good.mid", [tune(4)]).read_bytes()
    files = {
        "random bytes": ("noise.mid", np.random.default_rng(0).bytes(300), "not a MIDI file"),
        "truncated": ("cut.mid", good[: len(good) // 2], "truncated or corrupt MIDI file"),
        "empty": ("empty.mid", b"", "empty file"),
    }
    for name, data, _ in files.values():
        (tmp_path / name).write_bytes(data)
    midi_file("drums.mid", [tune(4)], drums=(0,))
    midi_file("high.mid", [[(0, 960, 115), (960, 1920, 10)]])
    midi_file("short.mid", [tune(1)])
    return {
        **{k: (tmp_path / name, reason) for k, (name, _, reason) in files.items()},
        "drums only": (tmp_path / "drums.mid", "only drum tracks, no melody"),
        "no note in range": (tmp_path / "high.mid", "no note in the melody range"),
        "too short": (tmp_path / "short.mid", "too short for one 32-step window"),
        "missing": (tmp_path / "nothing.mid", "no such file"),
        "wrong type": (tmp_path / "notes.txt", "not a MIDI or score file"),
    }


def test_read_errors_name_the_file_and_the_reason(tmp_path, midi_file):
    for case, (path, reason) in bad_files(tmp_path, midi_file).items():
        with pytest.raises(VaekitError) as e:
            M.read(path, CONFIG)
        message = str(e.value)
        assert message.startswith(f"{path}: "), case
        assert reason in message, case
        assert "\n" not in message, case


def test_too_short_for_the_long_preset(midi_file):
    path = midi_file("eight_bars.mid", [tune(8)])
    assert len(M.read(path, CONFIG)) == 7
    with pytest.raises(VaekitError, match="too short for one 256-step window"):
        M.read(path, {"data": {"steps": 256, "steps_per_bar": 16}})


def windows_of(midi_file):
    return M.read(midi_file("src.mid", [tune(6)]), CONFIG)


def test_write_then_read_is_exact(tmp_path, midi_file):
    x = windows_of(midi_file)
    M.write(x[2], tmp_path / "one.mid", {"data": {**CONFIG["data"], "tempo": 90, "program": 73}})
    assert torch.equal(M.read(tmp_path / "one.mid", CONFIG), x[2:3])


def test_interpolation_as_one_file_or_a_folder(tmp_path, midi_file):
    x = windows_of(midi_file)
    (path,) = M.write_interpolation(x, tmp_path / "mix.mid", CONFIG)
    assert path == tmp_path / "mix.mid"
    assert torch.equal(M.read(path, CONFIG), x)  # steps in order, a bar of rest between them
    import pretty_midi

    end = pretty_midi.PrettyMIDI(str(path)).get_end_time()
    assert end == pytest.approx(((len(x) - 1) * (32 + 16) + 32) * 0.125, abs=0.13)
    paths = M.write_interpolation(x, tmp_path / "steps", CONFIG)
    assert [p.name for p in paths] == [f"step_{i:02d}.mid" for i in range(len(x))]
    for p, item in zip(paths, x):
        assert torch.equal(M.read(p, CONFIG)[0], item)


def test_render_draws_a_piano_roll(tmp_path, midi_file):
    from PIL import Image

    x = windows_of(midi_file)
    M.render(x, tmp_path / "roll.png", CONFIG)
    with Image.open(tmp_path / "roll.png") as image:
        assert image.format == "PNG" and image.height > image.width / 4


def test_wav_without_fluidsynth_says_what_to_install(tmp_path, monkeypatch, midi_file):
    monkeypatch.setitem(sys.modules, "fluidsynth", None)  # import fails
    with pytest.raises(VaekitError, match="a.wav: WAV output needs FluidSynth.*pip install pyfluidsynth"):
        M.write_audio(windows_of(midi_file)[:1], tmp_path / "a.wav", CONFIG)
    assert not (tmp_path / "a.wav").exists()


def test_wav_with_fluidsynth(tmp_path, monkeypatch, midi_file):
    import pretty_midi

    rendered = []

    def fake_fluidsynth(self, fs=44100, sf2_path=None):
        rendered.append(self.get_end_time())
        return np.sin(np.arange(int(fs * self.get_end_time())) / 10.0)

    monkeypatch.setitem(sys.modules, "fluidsynth", types.ModuleType("fluidsynth"))
    monkeypatch.setattr(pretty_midi.PrettyMIDI, "fluidsynth", fake_fluidsynth)
    M.write_audio(windows_of(midi_file)[:2], tmp_path / "a.wav", {"data": {**CONFIG["data"], "tempo": 60}})
    with wave.open(str(tmp_path / "a.wav")) as w:
        assert w.getframerate() == 44100 and w.getsampwidth() == 2
        assert w.getnframes() == pytest.approx(rendered[0] * 44100, abs=1)
    # two 2-bar windows with a bar of rest between them, at 60 quarter notes a minute; the last note may end early
    assert rendered[0] == pytest.approx((32 + 16 + 32) * 0.25, abs=0.26)
