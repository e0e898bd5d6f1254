"""``vaekit compose``: whole melodies from a prior over mel_2bar's codes, continued or infilled; and the
composer's training. A tiny untrained composer stands in for the shipped one (the verb's behaviour does
not depend on how well it is trained); mel_2bar is the shipped one."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pretty_midi
import pytest
import torch
from click.testing import CliRunner
from vaekit_midi.compose import SHIPPED, closing_windows, compose, compose_form, decode_songs, read_given
from vaekit_midi.composer_model import Composer, ComposerConfig, load, save, ties
from vaekit_midi.composer_training import Sequences, batch, held_out_loss, train
from vaekit_midi.key_hold import song_key
from vaekit_midi.song_codes import decode_song, song_windows
from vaekit_midi.song_morph import morph
from vaekit_midi.tokens import PITCH_OFFSET, decode

import vaekit
from vaekit.cli import cli
from vaekit.latent import slerp

BEAT = 480
# four bars of a tune in C: a rising line, a held note, a rest, a cadence
TUNE = [(0, 1, 60), (1, 2, 62), (2, 3, 64), (3, 4, 65), (4, 6, 67), (6, 7, 65), (7, 8, 64),
        (8, 10, 62), (11, 12, 67), (12, 13, 64), (13, 14, 62), (14, 16, 60)]
ENDING = [(0, 2, 67), (2, 4, 65), (4, 5, 64), (5, 6, 62), (6, 8, 60)]


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("composer")
    torch.manual_seed(0)
    save(Composer(ComposerConfig(width=16, layers=1, heads=2, diffusion_steps=20)), folder)
    return folder


@pytest.fixture(scope="module")
def mel():
    return vaekit.load("mel_2bar")


@pytest.fixture
def melody_file(write_midi):
    """``melody_file(path, notes)``: a MIDI file of notes given in beats."""
    return lambda path, notes: write_midi(path, [[(a * BEAT, b * BEAT, p) for a, b, p in notes]])


def given_tokens(path: Path, mel) -> np.ndarray:
    return read_given(path, mel).tokens


def run(*args: str):
    return CliRunner().invoke(cli, ["compose", *args])


def test_compose_writes_n_melodies_of_the_bars_asked(tiny, tmp_path, mel):
    result = run(str(tiny), "--bars", "8", "-n", "3", "--seed", "1", "--out", str(tmp_path / "a"), "--png")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "a").glob("*.mid")) == ["song_000.mid", "song_001.mid", "song_002.mid"]
    assert len(list((tmp_path / "a").glob("*.png"))) == 3
    composer, _ = load(tiny)
    songs = compose(composer, mel, 8, 3, seed=1)
    assert songs.shape == (3, 8 * 16)
    assert sum(len(decode(song)) for song in songs) > 0
    for i, song in enumerate(songs):  # the files hold those songs' notes, within 8 bars of 4/4 at 120 bpm
        pm = pretty_midi.PrettyMIDI(str(tmp_path / "a" / f"song_{i:03d}.mid"))
        assert sum(len(track.notes) for track in pm.instruments) == len(decode(song))
        assert pm.get_end_time() <= 16.0 + 1e-6


def test_the_same_seed_writes_the_same_files(tiny, tmp_path):
    for name, seed in (("a", "3"), ("b", "3"), ("c", "4")):
        assert run(str(tiny), "--bars", "6", "-n", "2", "--seed", seed, "--out", str(tmp_path / name)).exit_code == 0
    read = {name: [p.read_bytes() for p in sorted((tmp_path / name).glob("*.mid"))] for name in "abc"}
    assert read["a"] == read["b"] and read["a"] != read["c"]


def test_held_positions_come_out_exactly_as_given(tiny):
    composer, _ = load(tiny)
    known = torch.randn(2, 5, composer.config.channels)
    mask = torch.tensor([[True, True, False, False, True]] * 2)
    out = composer.sample(5, 2, torch.Generator().manual_seed(0), known, mask)
    assert torch.equal(out[mask], known[mask]) and not torch.equal(out[~mask], known[~mask])


def test_repeat_ties_the_nearest_windows_to_earlier_ones(tiny):
    values = torch.tensor([[[0.0, 0.0, -1], [5.0, 5.0, -1], [9.0, 0.0, -1], [5.1, 5.0, -1], [0.0, 9.0, 1]]])
    assert ties(values, torch.zeros(1, 5, dtype=torch.bool), 0.25).tolist() == [[0, 1, 2, 1, 4]]
    assert ties(values, torch.tensor([[False, False, False, True, False]]), 0.25).tolist()[0][3] == 3  # known: kept
    assert ties(values, torch.zeros(1, 5, dtype=torch.bool), 0.25, tie_from=2).tolist() == [[0, 1, 2, 2, 4]]
    composer, _ = load(tiny)
    out = composer.sample(8, 2, torch.Generator().manual_seed(0), repeat=0.5)
    for song in out:
        assert any(torch.equal(song[j], song[i]) for j in range(8) for i in range(j))


def test_continue_keeps_the_given_bars_and_holds_their_codes(tiny, tmp_path, mel, melody_file):
    tune = melody_file(tmp_path / "tune.mid", TUNE)
    given = read_given(tune, mel)
    assert given.windows == 2 and not given.rest.any()
    result = run(str(tiny), "--bars", "10", "-n", "2", "--continue", str(tune), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    composer, _ = load(tiny)
    songs = compose(composer, mel, 10, 2, seed=0, before=given)
    assert (songs[:, :64] == given.tokens).all()  # the given bars, as read
    for path in sorted((tmp_path / "out").glob("*.mid")):
        assert (given_tokens(path, mel)[:64] == given.tokens).all()
    # the held codes are the given melody's: they decode to its reconstruction by mel_2bar
    held = composer.from_values(composer.to_values(torch.from_numpy(given.codes), torch.from_numpy(given.rest)))
    reconstruction = mel.model.decode(mel.model.encode(torch.from_numpy(song_windows(given.tokens)[0]))[0])
    assert (decode_song(mel.model, held[0], held[1]) == reconstruction.numpy().reshape(-1)).all()


def test_infill_keeps_both_ends(tiny, tmp_path, mel, melody_file):
    start, end = melody_file(tmp_path / "start.mid", TUNE), melody_file(tmp_path / "end.mid", ENDING)
    result = run(str(tiny), "--bars", "12", "-n", "2", "--infill", str(start), str(end), "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output
    a, b = read_given(start, mel), read_given(end, mel)
    songs = compose(load(tiny)[0], mel, 12, 2, seed=0, before=a, after=b)
    assert (songs[:, :64] == a.tokens).all() and (songs[:, -32:] == b.tokens).all()
    assert (songs[:, 64:-32] != 0).any()  # the middle is written


def test_form_aaba_writes_32_bars_and_repeats_its_a_sections(tiny, tmp_path, mel):
    result = run(str(tiny), "--form", "AABA", "-n", "2", "--out", str(tmp_path / "f"))
    assert result.exit_code == 0 and "of 32 bars" in result.output, result.output
    composer, _ = load(tiny)
    songs = compose(composer, mel, 32, 2, seed=0, form="AABA", variation=0)
    a = songs.reshape(2, 4, 128)  # four sections of 8 bars
    assert songs.shape == (2, 32 * 16) and (a[:, 1] == a[:, 0]).all()
    assert (a[:, 3, :-32] == a[:, 0, :-32]).all()  # the last A, but for its last 2 bars: the song's close
    values = compose_form(composer, "AABA", 4, torch.Generator().manual_seed(0), variation=0)
    sections = values.reshape(4, 4, 4, -1)
    assert torch.equal(sections[:, 1], sections[:, 0]) and not torch.equal(sections[:, 2], sections[:, 0])

    def distance(i: int, j: int) -> float:
        return (sections[:, i] - sections[:, j]).norm(dim=-1).mean().item()

    values = compose_form(composer, "AABA", 4, torch.Generator().manual_seed(0), variation=0.1)
    sections = values.reshape(4, 4, 4, -1)
    assert not torch.equal(sections[:, 1], sections[:, 0])  # varied, not copied
    assert max(distance(0, 1), distance(0, 3), distance(1, 3)) < min(distance(0, 2), distance(1, 2), distance(3, 2))


@pytest.mark.parametrize("args", [["--form", "AAbA"], ["--form", ""], ["--form", "A1"], ["--form", "ABCDEFGHI"],
                                  ["--form", "AABA", "--bars", "16"], ["--form", "AB", "--variation", "2"],
                                  ["--variation", "0.5"]])
def test_bad_forms_are_one_line_and_exit_2(tiny, tmp_path, args):
    result = run(str(tiny), *args, "--out", str(tmp_path / "x"))
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1, result.output
    assert "--form" in result.output or "--variation" in result.output
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("bars", ["7", "0", "66", "many", "-2"])
def test_bad_bars_are_one_line_and_exit_2(tiny, tmp_path, bars):
    result = run(str(tiny), "--bars", bars, "--out", str(tmp_path / "x"))
    assert result.exit_code == 2 and len(result.output.strip().splitlines()) == 1 and "--bars" in result.output
    assert not (tmp_path / "x").exists()


def test_a_melody_not_in_4_4_is_refused_in_one_line(tiny, tmp_path, write_midi):
    waltz = write_midi(tmp_path / "waltz.mid", [[(i * BEAT, (i + 1) * BEAT, 60 + i % 5) for i in range(12)]],
                       meters=((0, 3, 4),))
    result = run(str(tiny), "--bars", "8", "--continue", str(waltz), "--out", str(tmp_path / "x"))
    assert result.exit_code == 2 and "not in 4/4" in result.output and len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "x").exists()


def test_a_given_melody_must_leave_bars_to_write(tiny, tmp_path, melody_file):
    tune = melody_file(tmp_path / "tune.mid", TUNE)
    result = run(str(tiny), "--bars", "4", "--continue", str(tune), "--out", str(tmp_path / "x"))
    assert result.exit_code == 2 and "ask for more bars" in result.output


def test_a_rest_window_has_no_code_and_decodes_to_silence(mel):
    tokens = np.zeros(96, np.int64)
    tokens[0], tokens[8], tokens[70] = 50, 1, 52  # a note, two silent bars, a note in the third window
    windows, rest = song_windows(tokens)
    assert rest.tolist() == [False, True, False]
    row = decode_song(mel.model, torch.zeros(3, mel.model.latent_dim), torch.from_numpy(rest))
    assert (row[32:64] >= 2).sum() == 0


def test_a_tiny_composer_learns(tmp_path):
    torch.manual_seed(0)
    composer = Composer(ComposerConfig(latent_dim=4, width=32, layers=1, heads=2, diffusion_steps=50))
    # melodies whose windows all share one code: a sequence is easy to denoise once that is learned
    rng = np.random.default_rng(0)
    values = torch.from_numpy(np.concatenate([np.tile(np.append(rng.normal(size=4), -1.0), (8, 1))
                                              for _ in range(64)]).astype(np.float16))
    data = Sequences(values, np.arange(0, 64 * 8 + 1, 8))
    held = batch(data, 32, 32, rng, first=True)
    before = held_out_loss(composer, *held)
    run_info = train(composer, data, data, tmp_path, time_limit=60, max_steps=60, batch_size=32, lr=3e-3,
                     ema=0.9, eval_every=30)
    assert run_info["steps"] == 60 and (tmp_path / "composer.json").exists()
    trained, _ = load(tmp_path)
    assert held_out_loss(trained, *held) < 0.8 * before



def test_the_shipped_composer_writes_whole_songs_that_play(mel):
    composer, card = load(SHIPPED)
    assert card["name"] == "composer" and card["config"]["codes_of"] == "mel_2bar"
    songs = compose(composer, mel, 64, 2, seed=0)
    bars = songs.reshape(2, 64, 16)
    notes = (bars >= 2).sum(-1)
    # a broken prior decodes to drones (a note a bar or fewer), runs of 16ths or silence
    assert 2 < notes.mean() < 10 and (notes == 0).mean() < 0.3


def test_every_eighth_bar_closes_its_section_and_repeats_stay_exact(tiny, mel):
    composer, _ = load(tiny)
    values = composer.sample(16, 4, torch.Generator().manual_seed(0), repeat=0.5)
    closed = decode_songs(composer, mel, values, 0.0, torch.Generator(), close=True).reshape(4, 16, 32)
    drawn = decode_songs(composer, mel, values, 0.0, torch.Generator(), close=False).reshape(4, 16, 32)
    codes, rest = composer.from_values(values)
    assert rest.sum() < rest.numel()
    for song in range(4):
        closes = closing_windows(codes[song])
        assert closes.any()
        for w in np.flatnonzero(closes & ~rest[song].numpy()):  # decoded to the last bar's third beat, then held
            assert closed[song, w, 24] >= 2 and (closed[song, w, 25:] == 0).all()
        inner = ~closes
        inner[-1] = False  # the song's last window closes it on the tonic, whatever it repeats
        assert (closed[song][inner] == drawn[song][inner]).all()
        if not rest[song, -1]:
            tonic = song_key(closed[song].reshape(-1))[0]
            assert closed[song, -1, 24] >= 2 and (closed[song, -1, 25:] == 0).all()
            assert (closed[song, -1, 24] + PITCH_OFFSET) % 12 == tonic
        repeats = 0
        for j in range(15):
            same = [i for i in range(j) if torch.equal(codes[song, i], codes[song, j])]
            if same:  # a window repeating an earlier one is decoded as that one is
                repeats += 1
                assert closes[j] == closes[same[0]] and (closed[song, j] == closed[song, same[0]]).all()
            else:  # else it closes where it ends a section: bars 8, 16, ...
                assert closes[j] == (j % 4 == 3)
        assert repeats > 0


def test_holding_the_key_redraws_only_windows_out_of_key_and_never_adds_such_notes(tiny, mel):
    from vaekit_midi.key_hold import _decoded, hold_key, out_of_key

    composer, _ = load(tiny)
    values = composer.sample(8, 4, torch.Generator().manual_seed(0))
    held = torch.zeros(4, 8, dtype=torch.bool)
    held[:, :2] = True
    c_major = [(0, "major")] * 4
    kept = hold_key(composer, mel.model, values, held, torch.Generator().manual_seed(1), keys=c_major)
    assert torch.equal(kept[:, :2], values[:, :2])  # held windows as given

    def counts(v):
        tokens = _decoded(composer, mel.model, v)
        return np.stack([np.stack(out_of_key(t, (0, "major"))) for t in tokens])  # (songs, 2, windows)

    before, after = counts(values), counts(kept)
    assert (after[:, 1] <= before[:, 1]).all() and after[:, 1, 2:].sum() < before[:, 1, 2:].sum()
    changed = (kept != values).any(-1).numpy()
    assert not changed[before[:, 1] == 0].any()  # a window in key stays as drawn
    assert (after[:, 0][changed] >= (before[:, 0][changed] + 1) // 2).all()  # and none is emptied to get there
    again = hold_key(composer, mel.model, values, held, torch.Generator().manual_seed(1), keys=c_major)
    assert torch.equal(again, kept)  # seeded


# whole-song interpolation: compose --between ----------------------------------------------------------------

OTHER = [(0, 2, 72), (2, 3, 71), (3, 4, 69), (4, 6, 67), (6, 8, 69), (8, 9, 71), (9, 10, 72), (10, 12, 74),
         (12, 13, 72), (13, 14, 71), (14, 16, 69), (16, 18, 67), (18, 20, 65), (20, 22, 64), (22, 24, 62),
         (24, 26, 60), (26, 28, 64), (28, 30, 67), (30, 32, 72)]


def test_between_writes_a_path_from_song_a_to_song_b(tiny, tmp_path, mel, melody_file):

    a = melody_file(tmp_path / "a.mid", TUNE + [(s + 16, e + 16, p) for s, e, p in TUNE])  # bars 5-8 repeat 1-4
    b = melody_file(tmp_path / "b.mid", OTHER)
    result = run(str(tiny), "--between", str(a), str(b), "--steps", "4", "--out", str(tmp_path / "path"))
    assert result.exit_code == 0, result.output
    assert "wrote 4 songs of 8 bars" in result.output
    written = [given_tokens(tmp_path / "path" / f"step_{i:03d}.mid", mel) for i in range(4)]
    first, last = read_given(a, mel), read_given(b, mel)
    assert (written[0] == first.tokens).all() and (written[-1] == last.tokens).all()  # the ends as read
    assert all((step != first.tokens).any() and (step != last.tokens).any() for step in written[1:-1])

    composer = load(tiny)[0]
    steps = morph(composer, mel, first, last, 4, 4, torch.Generator().manual_seed(0))
    nearer_a = steps[1].reshape(4, 32)
    assert (nearer_a[2] == nearer_a[0]).all()  # A's repeat kept by the step nearer A (its last window ends the song)
    # strength 0, no key held, no closes: the path's codes as they are, window by window
    plain = morph(composer, mel, first, last, 4, 3, torch.Generator().manual_seed(0), strength=0.0, key=False,
                  close=False)
    middle = torch.stack([slerp(torch.from_numpy(first.codes[i]), torch.from_numpy(last.codes[i]),
                                torch.tensor([0.5]))[0] for i in range(4)])
    middle[2:] = middle[:2]  # tied as A, the nearer song at the middle, repeats
    assert (plain[1] == mel.model.decode(middle.float()).numpy().reshape(-1)).all()


@pytest.mark.parametrize(("args", "says"), [
    (["--steps", "3"], "--steps counts the songs of --between"),
    (["--between", "A", "B", "--form", "AABA"], "--between writes a path between two songs"),
    (["--between", "A", "B", "--bars", "16"], "holds 8 bars"),
])
def test_between_refusals_are_one_line(tiny, tmp_path, melody_file, args, says):
    a = melody_file(tmp_path / "a.mid", TUNE + [(s + 16, e + 16, p) for s, e, p in TUNE])
    b = melody_file(tmp_path / "b.mid", OTHER)
    args = [str(a) if x == "A" else str(b) if x == "B" else x for x in args]
    result = run(str(tiny), *args, "--out", str(tmp_path / "out"))
    lines = result.output.strip().splitlines()  # after what was read of the songs, if anything, one line
    assert result.exit_code == 2 and says in lines[-1] and sum("Error" in line for line in lines) == 1, result.output
    assert not (tmp_path / "out").exists()
