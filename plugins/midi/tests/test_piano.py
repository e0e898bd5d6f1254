"""Polyphonic piano: the onset-grouped tokens and their exact round trip through MIDI, reading the piano
part of POP909-style songs, refusing a file without one, the PianoTree-like model learning, the verbs
through the ``vaekit`` command, and the shipped ``piano_2bar``."""

from __future__ import annotations

import json

import numpy as np
import pretty_midi
import pytest
import torch
from click.testing import CliRunner
from vaekit_midi.dataset import split_items
from vaekit_midi.kinds import KINDS
from vaekit_midi.modality import MidiModality
from vaekit_midi.piano_metrics import note_metrics
from vaekit_midi.piano_tokens import MAX_DURATION, MAX_NOTES, ROWS, clip_to_window, decode, encode, playable
from vaekit_midi.pop_piano import FILE, load_pop_piano
from vaekit_midi.presets import PRESETS

import vaekit
from vaekit import VaekitError
from vaekit.cli import cli
from vaekit.config import CORE_DEFAULTS, merge

PIANO = KINDS["piano"]
CONFIG = merge(CORE_DEFAULTS, PRESETS["piano_2bar"])
TINY = {"model": {"latent_dim": 16, "note_hidden": 32, "encoder_hidden": 32, "decoder_hidden": 48}}

pytestmark = pytest.mark.usefixtures("one_thread")


def random_windows(n: int, seed: int = 0) -> np.ndarray:
    """``n`` windows of random chords and lines, as reading gives them: a note in each bar, durations
    within the window."""
    g = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        steps = np.concatenate([[0, 16], g.integers(0, 32, 12)])
        notes = [(o, o + int(g.integers(1, 40)), int(p)) for o in steps for p in g.integers(21, 109, g.integers(1, 6))]
        out.append(encode(np.array(notes), 32))
    windows = np.stack(out)
    clip_to_window(windows)
    return windows


def texture(bars: int, root: int = 48, seed: int = 0) -> list[tuple[int, int, int]]:
    """An accompaniment in ticks (a 16th is 120): a bass note and a three-note chord on each half bar,
    a broken-chord figure of 8ths between."""
    g = np.random.default_rng(seed)
    notes = []
    for b in range(bars):
        base = root + int(g.choice([0, 5, 7, 9]))
        for half in (0, 8):
            at = (b * 16 + half) * 120
            notes += [(at, at + 960, base - 12)] + [(at, at + 480, base + i) for i in (0, 4, 7)]
            notes += [(at + 480 + k * 240, at + 720 + k * 240, base + 12 + 4 * k) for k in range(2)]
    return notes


def test_tokens_hold_every_note_of_a_chord():
    notes = np.array([[0, 4, 60], [0, 8, 64], [0, 2, 67], [0, 3, 64], [2, 6, 60], [5, 50, 72], [3, 4, 10]])
    tokens = encode(notes, 32)
    assert tokens.shape == (ROWS, 32) and tokens.dtype == np.int16
    # a repeated (onset, pitch) keeps its longest; a note ends where its pitch is struck again; the
    # longest is MAX_DURATION; pitches outside the piano's 21..108 are dropped
    assert decode(tokens).tolist() == [[0, 2, 60], [0, 8, 64], [0, 2, 67], [2, 6, 60], [5, 5 + MAX_DURATION, 72]]
    assert tokens[:MAX_NOTES, 0].tolist()[:4] == [60, 64, 67, 0]  # low to high, then padding
    crowd = encode(np.array([[0, 1, p] for p in range(40, 50)]), 4)
    assert decode(crowd)[:, 2].tolist() == list(range(42, 50))  # of ten on one step, the highest eight


def test_round_trip_tokens_midi_tokens_is_exact(tmp_path):
    windows = random_windows(12)
    assert (encode(decode(windows[0]), 32) == windows[0]).all()
    for i, window in enumerate(windows):
        PIANO.write(window, tmp_path / f"w{i}.mid", CONFIG)
        back = PIANO.read(tmp_path / f"w{i}.mid", CONFIG)
        assert back.tolist()[0] == window.tolist()
    pm = pretty_midi.PrettyMIDI(str(tmp_path / "w0.mid"))
    assert [(i.name, i.program, i.is_drum) for i in pm.instruments] == [("piano", 0, False)]
    assert len(pm.instruments[0].notes) == len(decode(windows[0]))


def song(folder, tracks: dict[str, list[tuple[int, int, int]]], offset_beats: int = 0):
    """A POP909-style song ``folder/NAME.mid`` with ``beat_midi.txt`` (a beat every 0.5 s, a downbeat
    every 4 from beat ``offset_beats``), its tracks named as given."""
    folder.mkdir(parents=True, exist_ok=True)
    pm = pretty_midi.PrettyMIDI(initial_tempo=120.0)
    for name, notes in tracks.items():
        track = pretty_midi.Instrument(program=0, name=name)
        track.notes = [pretty_midi.Note(90, p, s / 960, e / 960) for s, e, p in notes]
        pm.instruments.append(track)
    pm.write(str(folder / f"{folder.name}.mid"))
    beats = np.arange(80)
    np.savetxt(folder / "beat_midi.txt", np.stack([beats * 0.5, beats % 2, (beats % 4 == offset_beats)], 1))
    return folder / f"{folder.name}.mid"


def test_reads_the_piano_part_of_pop909_style_songs(tmp_path):
    notes = texture(4)
    both = song(tmp_path / "001", {"MELODY": [(0, 480, 79)] * 1, "PIANO": notes})
    alone = song(tmp_path / "002", {"PIANO": notes})
    late = song(tmp_path / "003", {"PIANO": [(s + 960, e + 960, p) for s, e, p in notes]}, offset_beats=2)
    want = playable(np.array([(s // 120, e // 120, p) for s, e, p in notes]))
    for path in (both, alone, late):
        x = PIANO.read(path, CONFIG).numpy()
        assert len(x) == 3  # windows at bars 0, 1, 2 of 4 bars
        # every note of the first two bars, the melody's 79 left out, those held past the window cut at its end
        assert decode(x[0]).tolist() == [[o, min(e, 32), p] for o, e, p in want.tolist() if o < 32]
    train, val = PIANO.load_dataset(str(tmp_path), merge(CONFIG, {"data": {"val_fraction": 0.34}}))
    assert len(train) + len(val) >= 3 and train.windows.shape[1:] == (ROWS, 32)


def test_a_file_without_a_piano_part_is_refused(tmp_path):
    path = song(tmp_path / "004", {"MELODY": texture(4), "BRIDGE": texture(4, 60)})
    with pytest.raises(VaekitError, match=rf"^{path}: no piano part \(a track named PIANO"):
        PIANO.read(path, CONFIG)


def test_note_metrics():
    x = torch.from_numpy(random_windows(2).astype(np.int64))
    assert all(v.item() == 1.0 for v in note_metrics(x, x).values())
    y = x.clone()
    y[:, MAX_NOTES:] = torch.where(y[:, :MAX_NOTES] > 0, 1, 0)  # every duration one step: onsets still right
    found = note_metrics(x, y)
    assert found["onset_f1"].item() == 1.0 and found["note_f1"].item() < 0.5
    y[:, :MAX_NOTES] = torch.where(y[:, :MAX_NOTES] > 0, 21, 0)  # all wrong pitches
    assert note_metrics(x, y)["onset_recall"].item() < 0.2


def test_the_model_learns_and_samples_valid_piano(fit):
    torch.manual_seed(0)
    cfg = merge(CONFIG, TINY)
    model = PIANO.build_model(cfg)
    assert MidiModality().handler(cfg) is PIANO
    x = torch.from_numpy(random_windows(2).astype(np.int64))
    losses = fit(model, x, 200)
    assert losses[-1] < 0.05 * losses[0]
    model.eval()
    recon = model.decoder.sample(model.encode(x)[0], 0.0)
    assert note_metrics(x, recon)["note_f1"].item() > 0.8
    drawn = model.sample(8, temperature=1.0, generator=torch.Generator().manual_seed(1)).numpy()
    assert drawn.shape == (8, ROWS, 32)
    for item in drawn:
        pitches = item[:MAX_NOTES]
        assert ((pitches == 0) | ((pitches >= 21) & (pitches <= 108))).all()
        sounding = pitches > 0
        for step in range(32):  # each step's pitches rise, then padding
            row = pitches[:, step]
            real = row[row > 0]
            assert (np.diff(real) > 0).all() and (row[: len(real)] == real).all()
        assert (item[MAX_NOTES:][sounding] + np.nonzero(sounding)[1] <= 32).all()
        assert (encode(decode(item), 32) == item).all()


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


SMALL = ["--set", "model.latent_dim=16", "--set", "model.note_hidden=32", "--set", "model.encoder_hidden=32",
         "--set", "model.decoder_hidden=48", "--set", "train.batch_size=8", "--set", "train.eval_every=2",
         "--set", "train.eval_batches=1", "--set", "data.val_fraction=0.25"]


def test_piano_through_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("VAEKIT_CACHE", str(tmp_path / "cache"))
    songs = tmp_path / "songs"
    for i in range(4):
        song(songs / f"{i:03d}", {"PIANO": texture(6, 45 + i, seed=i)})
    run = tmp_path / "run"
    result = invoke("train", "--modality", "midi", "--preset", "piano_2bar", "--data", songs, "--steps", "4",
                    "--no-progress", "--out", run, *SMALL)
    assert result.exit_code == 0, result.output

    result = invoke("generate", run, "-n", "2", "--out", tmp_path / "gen", "--png", tmp_path / "gen.png")
    assert result.exit_code == 0, result.output
    generated = sorted((tmp_path / "gen").glob("*.mid"))
    assert len(generated) == 2
    for path in generated:
        pm = pretty_midi.PrettyMIDI(str(path))
        assert [i.program for i in pm.instruments] == [0] and pm.get_end_time() <= 32 * 0.15 + 1e-6
    assert (tmp_path / "gen.png").stat().st_size > 0

    a, b = songs / "000" / "000.mid", songs / "001" / "001.mid"
    result = invoke("interpolate", run, a, b, "--steps", "3", "--out", tmp_path / "mix.mid")
    assert result.exit_code == 0, result.output
    assert len(pretty_midi.PrettyMIDI(str(tmp_path / "mix.mid")).instruments[0].notes) > 0

    result = invoke("evaluate", run, "--data", songs, "--json")
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output[result.output.index("{"):])
    for name in ("note_precision", "note_recall", "note_f1", "onset_f1"):
        assert 0.0 <= figures[name] <= 1.0

    melody = song(tmp_path / "m" / "005", {"MELODY": texture(4)})
    result = invoke("reconstruct", run, melody, "--out", tmp_path / "rec")
    assert result.exit_code == 2
    assert result.output.strip().splitlines()[-1].endswith(f"{melody}: no piano part (a track named PIANO, or a "
                                                           "non-drum track of General MIDI program 0-7 not named "
                                                           "MELODY or BRIDGE)")


def test_the_built_in_pop_piano_data():
    assert FILE.stat().st_size < 3_000_000 and (FILE.parent / "POP909-LICENSE").exists()
    corpus = load_pop_piano()
    assert len(corpus.names) == 800 and corpus.names[0] == "pop909/001" and corpus.tokens.shape[0] == ROWS
    from vaekit_midi.pop import load_pop

    melody = load_pop()
    assert (corpus.names == melody.names).all()  # the same songs, so the same ones held out
    every = np.ones(800, bool)
    assert (split_items(corpus.names, every, 0.1) == split_items(melody.names, every, 0.1)).all()


def test_the_shipped_model_reconstructs_held_out_piano(tmp_path, private_cache):
    shipped = vaekit.shipped_models()["piano_2bar"].describe()
    assert shipped["data"] == "pop_piano" and shipped["size_mb"] < 8
    p = vaekit.load("piano_2bar")
    _, val = PIANO.load_dataset("pop_piano", p.config)  # the songs it never trained on
    x = val.get_batch(torch.arange(64))[0]
    with torch.no_grad():
        back = p.model.decode(p.model.encode(x)[0])
    scores = note_metrics(x, back)
    # as good as its card says over every held-out window, less a margin for these 64
    assert scores["note_f1"].item() > shipped["heldout"]["pop_piano"]["note_f1"] - 0.05
    assert scores["onset_f1"].item() > scores["note_f1"].item()
    p.handler.write(back[:2], tmp_path / "two.mid", p.config)
    assert [i.program for i in pretty_midi.PrettyMIDI(str(tmp_path / "two.mid")).instruments] == [0]
