"""Melodies over chords: POP909's chords read onto the melody's grid, the built-in pop_chords data split as
pop is, transposition that moves the chords with the notes, decoding over chords, --chords on the command
line, and the shipped mel_2bar_chords."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from vaekit_midi.chords import chord_index, chord_name, chroma_table, progression
from vaekit_midi.corpus import Corpus
from vaekit_midi.dataset import ChordWindowDataset, split_items
from vaekit_midi.kinds import KINDS
from vaekit_midi.pop import FILE as POP_FILE
from vaekit_midi.pop_chords import FILE
from vaekit_midi.tokens import PITCH_OFFSET

import vaekit
from vaekit import VaekitError, plugins
from vaekit.cli import cli
from vaekit.config import build

KIND = KINDS["chord_melody"]
SHIPPED = "mel_2bar_chords" in vaekit.shipped_models()


def pop909_song(folder, write_midi, chords: str):
    """A POP909-style song folder: a MELODY track of quarter notes C4..B4 over 8 bars at 120 bpm (half a
    second a beat), beats annotated from 0.0 s with a downbeat every 4, and ``chords`` as chord_midi.txt."""
    folder.mkdir()
    path = write_midi(folder / f"{folder.name}.mid", [[(i * 480, i * 480 + 400, 60 + i % 12) for i in range(32)]])
    import mido

    midi = mido.MidiFile(path)
    midi.tracks[1].insert(0, mido.MetaMessage("track_name", name="MELODY"))
    midi.save(path)
    beats = 0.5 * np.arange(40)
    np.savetxt(folder / "beat_midi.txt", np.stack([beats, np.zeros(40), (np.arange(40) % 4 == 0)], 1))
    (folder / "chord_midi.txt").write_text(chords)
    return path


def test_pop909_chords_lie_on_the_melody_grid(tmp_path, write_midi):
    # a bar lasts 2 s: C for bar 1, G:maj/3 from beat 3 of bar 1, A:min7 for bar 2, N after 8 s
    path = pop909_song(tmp_path / "001", write_midi, "0.0\t1.0\tC:maj\n1.0\t2.0\tG:maj/3\n2.0\t4.0\tA:min7\n"
                                                     "4.0\t8.0\tF:maj\n8.0\t16.0\tN\n")
    (tokens, bar), = KIND.parse(path).segments
    assert tokens.shape == (2, 128) and tokens.dtype == np.int16 and bar == 16
    melody, chords = tokens
    assert [int(t) + PITCH_OFFSET for t in melody[[0, 4, 8]]] == [60, 61, 62]  # a quarter note a beat
    assert [chord_name(c) for c in chords[[0, 7, 8, 15, 16, 31, 32, 63, 64, 127]]] == [
        "C", "C", "G/B", "G/B", "Am7", "Am7", "F", "F", "N", "N"]
    (tmp_path / "001" / "chord_midi.txt").unlink()
    assert KIND.parse(path).reason == "no_chords"


def test_the_built_in_data_splits_by_song_as_pop_does():
    assert FILE.stat().st_size < 1_000_000 and (FILE.parent / "POP909-LICENSE").exists()
    chords, pop = Corpus.load(FILE), Corpus.load(POP_FILE)
    assert (chords.names == pop.names).all() and len(chords.names) == 800
    assert (chords.tokens[0] == pop.tokens).all()  # the same melodies, segment for segment
    assert (split_items(chords.names, np.ones(800, bool), 0.1) == split_items(pop.names, np.ones(800, bool), 0.1)).all()
    assert (chords.tokens[1] > 0).mean() > 0.99


def test_transposition_moves_the_chords_with_the_notes():
    melody = np.zeros(32, np.int16)
    melody[[0, 8, 16]] = np.array([60, 64, 67]) - PITCH_OFFSET
    row = progression("C Am", 32)
    data = ChordWindowDataset(np.stack([melody, row])[None].repeat(64, 0), transpose=5)
    torch.manual_seed(0)
    x, _ = data.get_batch(torch.arange(64))
    shifts = x[:, 0, 0] - melody[0]
    assert len(shifts.unique()) > 5
    for item, shift in zip(x.numpy(), shifts.tolist()):
        assert item[1, 0] == chord_index(["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"][shift % 12])
        assert item[1, 16] == chord_index(["A", "Bb", "B", "C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab"][shift % 12]
                                          + "m")


def test_inputs_and_targets_transposed_apart_each_keep_their_chords_with_their_notes():
    melody = np.zeros(32, np.int16)
    melody[[0, 16]] = np.array([60, 69]) - PITCH_OFFSET
    data = ChordWindowDataset(np.stack([melody, progression("C Am", 32)])[None].repeat(64, 0), transpose=5,
                              apart=True)
    torch.manual_seed(0)
    source, target = data.get_batch(torch.arange(64))
    assert (source[:, 0, 0] != target[:, 0, 0]).float().mean() > 0.7  # most pairs in two keys
    for x in (source, target):
        shift = x[:, 0, 0] - melody[0]
        assert (x[:, 1, 0] == torch.tensor([chord_index(NAMES[k % 12]) for k in shift.tolist()])).all()


NAMES = ["C", "C#", "D", "Eb", "E", "F", "F#", "G", "Ab", "A", "Bb", "B"]


def tiny_model():
    modality = plugins.get_modality("midi")
    config = build(modality, "mel_2bar_chords", overrides=["model.latent_dim=8", "model.embed=8",
                                                           "model.encoder_hidden=16", "model.decoder_hidden=16"])
    torch.manual_seed(0)
    handler = modality.handler(config)
    return handler, config, handler.build_model(config).eval()


def test_the_decoder_decodes_over_the_chords_it_is_given():
    modality, config, model = tiny_model()
    z = torch.randn(4, 8)
    outputs = {}
    for text in ("C G Am F", "Eb Bb Cm Ab"):
        with modality.conditioned(model, {**config, "data": {**config["data"], "chords": text}}, count=4):
            outputs[text] = model.decode(z, 0.0)
        assert (outputs[text][:, 1] == torch.from_numpy(progression(text, 32)).long()).all()
    assert (outputs["C G Am F"][:, 0] != outputs["Eb Bb Cm Ab"][:, 0]).any()
    mu, _ = model.encode(outputs["C G Am F"])
    assert mu.shape == (4, 8)


def test_generate_draws_held_out_progressions_by_seed():
    modality, config, model = tiny_model()
    with modality.conditioned(model, config, count=3, seed=7):
        first = model.sample(3, 1.0)[:, 1]
    with modality.conditioned(model, config, count=3, seed=7):
        again = model.sample(3, 1.0)[:, 1]
    assert (first == again).all() and (first > 0).float().mean() > 0.9


def strong_beat_share(items: torch.Tensor) -> float:
    """Of the notes that start on beats 1 and 3, the share that are tones of their step's chord."""
    melody, chords = items[:, 0].numpy(), items[:, 1].numpy()
    strong = np.zeros(melody.shape[1], bool)
    strong[::8] = True
    on = (melody >= 2) & strong
    return float(chroma_table()[chords, (melody + PITCH_OFFSET) % 12][on].mean())


@pytest.mark.parametrize("name", ["mel_2bar_chords", "mel_16bar_chords"])
def test_the_shipped_models_play_chord_tones_of_the_chords_they_are_given(name, private_cache):
    if name not in vaekit.shipped_models():
        pytest.skip(f"{name} is not shipped")
    p = vaekit.load(name)
    z = torch.randn(32, p.model.latent_dim, generator=torch.Generator().manual_seed(0)) * p.spread()
    outputs = {}
    for text in ("C G Am F", "Ab Eb Fm Db"):
        p.config["data"]["chords"] = text
        outputs[text] = p.decode(z, 0.0)
    ours = {t: strong_beat_share(x) for t, x in outputs.items()}
    crossed = {t: strong_beat_share(torch.stack([x[:, 0], outputs[o][:, 1]], 1))
               for (t, x), o in zip(outputs.items(), reversed(outputs))}
    assert (outputs["C G Am F"][:, 0] != outputs["Ab Eb Fm Db"][:, 0]).any(1).float().mean() > 0.9
    for text in outputs:
        assert ours[text] > 0.6 and ours[text] > crossed[text] + 0.2, (ours, crossed)


@pytest.mark.skipif(not SHIPPED, reason="mel_2bar_chords is not shipped")
def test_the_shipped_model_generates_over_c_g_am_f(tmp_path, private_cache):
    result = CliRunner().invoke(cli, ["generate", "mel_2bar_chords", "-n", "3", "--chords", "C G Am F",
                                      "--out", str(tmp_path / "out"), "--png", str(tmp_path / "out.png")])
    assert result.exit_code == 0, result.output
    import pretty_midi

    written = pretty_midi.PrettyMIDI(str(tmp_path / "out" / "sample_000.mid"))
    assert [i.name for i in written.instruments] == ["melody", "chords"]
    assert written.instruments[0].notes and (tmp_path / "out.png").stat().st_size > 0
    assert {n.pitch % 12 for n in written.instruments[1].notes} == {0, 4, 7, 2, 11, 9, 5}  # C G Am F's tones


@pytest.mark.parametrize("chords, message", [
    ("C G Am", "--chords has 3 chords; a 2-bar model takes one a bar (2), or one a half bar (4)"),
    ("C Hm", "unknown chord symbol 'Hm'"),
])
def test_a_bad_progression_is_one_line_and_status_2(tmp_path, chords, message):
    _, config, model = tiny_model()
    run = tmp_path / "run"
    run.mkdir()
    from vaekit import checkpoint
    from vaekit.runs import BEST, RunDir

    RunDir(run).write_config(config)
    checkpoint.save_checkpoint(RunDir(run).file(BEST), model)
    out = tmp_path / "o"
    result = CliRunner().invoke(cli, ["generate", str(run), "-n", "1", "--chords", chords, "--out", str(out)])
    assert result.exit_code == 2 and result.output.count("\n") == 1 and message in result.output, result.output
    assert not out.exists()


def test_a_model_without_chords_refuses_them(tmp_path):
    result = CliRunner().invoke(cli, ["generate", "mel_2bar", "-n", "1", "--chords", "C G", "--out", str(tmp_path)])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "not conditioned on chords" in result.output


def test_a_file_without_chords_needs_them(tmp_path, write_midi):
    path = write_midi(tmp_path / "tune.mid", [[(i * 480, i * 480 + 400, 60 + i % 12) for i in range(16)]])
    _, config, _ = tiny_model()
    with pytest.raises(VaekitError, match="no chords to read it over"):
        KIND.read(path, config)
    items = KIND.read(path, {**config, "data": {**config["data"], "chords": "F G"}})
    assert items.shape[1:] == (2, 32) and [chord_name(c) for c in items[0, 1, [0, 16]]] == ["F", "G"]


@pytest.fixture
def tiny_run(tmp_path):
    from vaekit import checkpoint
    from vaekit.runs import BEST, RunDir

    _, config, model = tiny_model()
    run = RunDir(tmp_path / "run")
    run.path.mkdir()
    run.write_config(config)
    checkpoint.save_checkpoint(run.file(BEST), model)
    return run.path


def test_interpolation_keeps_a_s_chords_and_reconstruct_reharmonises(tmp_path, write_midi, tiny_run):
    a = pop909_song(tmp_path / "001", write_midi, "0.0\t4.0\tC:maj\n4.0\t8.0\tG:maj\n")
    b = pop909_song(tmp_path / "002", write_midi, "0.0\t4.0\tA:min\n4.0\t8.0\tF:maj\n")
    p = vaekit.load(tiny_run)
    steps = p.interpolate(a, b, steps=3)
    assert all([chord_name(c) for c in s[1, [0, 31]]] == ["C", "C"] for s in steps)
    inputs, outputs = p.reconstruct([a, b])
    assert (outputs[:, 1] == inputs[:, 1]).all()  # each over its own chords
    p.config["data"]["chords"] = "Eb Bb"
    inputs, outputs = p.reconstruct([a])
    assert [chord_name(c) for c in inputs[0, 1, [0, 16]]] == ["C", "C"]  # read over its own chords ...
    assert [chord_name(c) for c in outputs[0, 1, [0, 16]]] == ["Eb", "Bb"]  # ... decoded over the new ones
