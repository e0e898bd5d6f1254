"""GrooVAE and the Groove MIDI Dataset: the TD-11 mapping, performances (hits, velocities, offsets)
through MIDI and back, the built-in data's split by performance, and the groove and drumify verbs
on a tiny model trained here, with their refusals of bad input."""

from __future__ import annotations

import numpy as np
import pretty_midi
import pytest
import torch
from click.testing import CliRunner
from vaekit_midi.groove import load_groove
from vaekit_midi.groove_midi import CLASSES, OFFSET_SCALE, ROWS, on_grid, parse_performance, write_performance
from vaekit_midi.groove_model import HUMANIZE, TAP, TAP_ROW, GrooveDecoder, task_input
from vaekit_midi.kinds import KINDS
from vaekit_midi.tokens import DRUM_CLASS_OF, DRUM_PITCHES, decode_hits

import vaekit
from vaekit.cli import cli

pytestmark = pytest.mark.usefixtures("one_thread")
KICK, SNARE, CLOSED, OPEN, LOW, MID, HIGH, CRASH, RIDE = range(9)
TINY = ["model.latent_dim=8", "model.encoder_hidden=8", "model.decoder_hidden=8", "train.batch_size=8",
        "train.eval_batches=1", "train.eval_every=2"]


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def played_beat(bars: int, seed: int = 0) -> list[tuple[float, int, int]]:
    """A rock beat as (position in steps, GM pitch, velocity): hats on 8ths, kick on 1 and 3, snare on
    2 and 4, each hit a little off the grid (never before step 0) and at its own velocity."""
    rng = np.random.default_rng(seed)
    notes = []
    for b in range(bars):
        for s, pitch in [(s, 42) for s in range(0, 16, 2)] + [(0, 36), (8, 36), (4, 38), (12, 38)]:
            notes.append((b * 16 + s + (rng.uniform(0, 0.45) if b == s == 0 else rng.uniform(-0.45, 0.45)), pitch,
                          int(rng.integers(30, 127))))
    return notes


def write_beat(path, notes, tempo: float = 100.0, meter=(4, 4), drum: bool = True):
    pm = pretty_midi.PrettyMIDI(resolution=480, initial_tempo=tempo)
    pm.time_signature_changes.append(pretty_midi.TimeSignature(*meter, 0.0))
    inst = pretty_midi.Instrument(0, is_drum=drum)
    step = 60 / tempo / 4
    inst.notes = [pretty_midi.Note(v, p, s * step, (s + 0.5) * step) for s, p, v in notes]
    pm.instruments.append(inst)
    pm.write(str(path))
    return path


def test_td11_mapping_follows_the_paper():
    expected = {36: KICK, 38: SNARE, 40: SNARE, 37: SNARE, 48: HIGH, 50: HIGH, 45: MID, 47: MID, 43: LOW, 58: LOW,
                46: OPEN, 26: OPEN, 42: CLOSED, 22: CLOSED, 44: CLOSED, 49: CRASH, 55: CRASH, 57: CRASH, 52: CRASH,
                51: RIDE, 59: RIDE, 53: RIDE}
    assert {p: DRUM_CLASS_OF[p] for p in expected} == expected
    assert [DRUM_CLASS_OF[p[0]] for p in DRUM_PITCHES] == list(range(9))  # each written pitch reads back


def test_performance_round_trip(tmp_path):
    notes = played_beat(4)
    rows = parse_performance(write_beat(tmp_path / "a.mid", notes)).segments[0][0]
    assert rows.shape == (ROWS, 64)
    hits = decode_hits(rows[0])
    assert len(hits) == len(notes)
    for pos, pitch, vel in notes:
        step, cls = int(np.floor(pos + 0.5)), DRUM_CLASS_OF[pitch]
        assert rows[1 + cls, step] == vel
        assert abs(rows[1 + CLASSES + cls, step] - (pos - step) * OFFSET_SCALE) <= 1.6  # half a tick + half a unit
    write_performance([rows], tmp_path / "b.mid", tempo=100.0)
    again = parse_performance(tmp_path / "b.mid").segments[0][0]
    assert (again[: 1 + CLASSES] == rows[: 1 + CLASSES]).all()  # hits and velocities exact
    assert np.abs(again[1 + CLASSES:].astype(int) - rows[1 + CLASSES:]).max() <= 2


def test_quantised_drums_round_trip_through_both_kinds(tmp_path):
    notes = [(float(s), p, 90) for s, p, _ in played_beat(2)]
    notes = [(round(s), p, v) for s, p, v in notes]
    x = KINDS["groove"].read(write_beat(tmp_path / "q.mid", notes), {"data": {"steps": 32}})
    KINDS["groove"].write(x[0], tmp_path / "g.mid", {"data": {"tempo": 100}})
    assert torch.equal(KINDS["groove"].read(tmp_path / "g.mid", {"data": {"steps": 32}})[0], x[0])
    config = {"data": {"steps": 32, "steps_per_bar": 16, "hop_bars": 1}}
    tokens = KINDS["drums"].read(tmp_path / "q.mid", config)
    KINDS["drums"].write(tokens[0], tmp_path / "d.mid", config)
    assert torch.equal(KINDS["drums"].read(tmp_path / "d.mid", config)[0], tokens[0])


def test_loudest_hit_wins_a_step():
    rows = on_grid(np.array([[3.1, SNARE, 40], [2.9, SNARE, 100], [20.0, KICK, 5]]))
    assert rows.shape == (ROWS, 32) and rows[1 + SNARE, 3] == 100 and rows[1 + CLASSES + SNARE, 3] == -25


def test_builtin_split_is_by_performance():
    corpus, validation = load_groove()
    assert 100 < validation.sum() < 130 and len(corpus.names) == 1021
    config = vaekit.config.build(vaekit.plugins.get_modality("midi"), "drums_2bar")
    held = KINDS["drums"].held_out("groove", corpus, np.ones(len(corpus.names), bool), 0.1)
    assert (held == validation).all()
    assert config["data"]["source"] == "groove"


def test_task_inputs():
    x = torch.zeros(1, 3 * CLASSES, 4)
    x[0, KICK, 0] = x[0, SNARE, 0] = x[0, RIDE, 2] = 1
    x[0, CLASSES + KICK, 0], x[0, CLASSES + SNARE, 0], x[0, CLASSES + RIDE, 2] = 0.3, 0.9, 0.5
    x[0, 2 * CLASSES + KICK, 0], x[0, 2 * CLASSES + SNARE, 0], x[0, 2 * CLASSES + RIDE, 2] = -0.2, 0.1, 0.3
    score = task_input(x, torch.tensor([HUMANIZE]))
    assert torch.equal(score[0, :CLASSES], x[0, :CLASSES]) and score[0, 2 * CLASSES:].abs().sum() == 0
    tap = task_input(x, torch.tensor([TAP]))
    assert tap[0, :CLASSES].sum() == 2 and torch.equal(tap[0, TAP_ROW], torch.tensor([1.0, 0, 1, 0]))
    assert tap[0, CLASSES + TAP_ROW, 0] == pytest.approx(0.9)  # the loudest velocity
    assert tap[0, 2 * CLASSES + TAP_ROW, 0] == pytest.approx(-0.2)  # the earliest offset
    assert tap[0, -1].sum() == 4 and score[0, -1].sum() == 0
    assert torch.equal(task_input(tap[:, :-1], torch.tensor([TAP])), tap)  # a tapped rhythm taps as itself


def test_decoder_fed_back_hits_only_ignores_the_velocities_and_offsets_before():
    torch.manual_seed(0)
    x = torch.zeros(2, 3 * CLASSES, 4)
    x[:, KICK] = 1
    x[1, CLASSES + KICK], x[1, 2 * CLASSES + KICK] = 0.9, 0.3  # the same hits played another way
    z = torch.randn(1, 8).expand(2, -1)
    hits_only = GrooveDecoder(8, 4, 16, feedback="hits").eval()
    out = hits_only(z, x)
    assert torch.allclose(out[0], out[1])
    whole = GrooveDecoder(8, 4, 16).eval()
    whole.load_state_dict(hits_only.state_dict())
    out = whole(z, x)
    assert torch.allclose(out[:, :, 0][0], out[:, :, 0][1]) and not torch.allclose(out[0], out[1])
    with pytest.raises(vaekit.VaekitError, match="model.feedback"):
        GrooveDecoder(8, 4, 16, feedback="none")


def test_performance_grid_draws_each_hit_where_and_as_loud_as_it_was_played(monkeypatch, tmp_path):
    from vaekit_midi import render

    x = np.zeros((3 * CLASSES, 16), np.float32)
    x[KICK, 0] = x[SNARE, 4] = 1
    x[CLASSES + KICK, 0], x[CLASSES + SNARE, 4] = 0.3, 0.9
    x[2 * CLASSES + SNARE, 4] = 0.25  # a quarter of a 16th late
    figures = []
    monkeypatch.setattr(render, "_save", lambda fig, path, tight=True: figures.append(fig))
    render.performance_grid(x, tmp_path / "grid.png", ["a beat"])
    bars = sorted(figures[0].axes[0].patches, key=lambda b: b.get_x())
    assert [round(b.get_x() + b.get_width() / 2, 3) for b in bars] == [0.0, 4.25]
    assert bars[1].get_height() > bars[0].get_height()  # the louder hit stands taller
    assert [round(b.get_y() + b.get_height() / 2, 3) for b in bars] == [KICK, SNARE]


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """A groove_2bar run of two steps of a tiny model on three beats, in a private cache."""
    folder = tmp_path_factory.mktemp("beats")
    for i in range(3):
        write_beat(folder / f"b{i}.mid", played_beat(4, seed=i))
    run = folder.parent / "run"
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VAEKIT_CACHE", str(tmp_path_factory.mktemp("cache")))
        vaekit.train("midi", "groove_2bar", str(folder), overrides=TINY, steps=2, out=run, seed=0, progress=False)
        yield run, folder
    torch.set_num_threads(threads)


def test_groove_keeps_the_hits_and_the_whole_length(tiny, tmp_path):
    run, _ = tiny
    notes = [(float(round(s)), p, 100) for s, p, _ in played_beat(10, seed=5)]
    beat = write_beat(tmp_path / "long.mid", notes, tempo=87.0)
    result = invoke("groove", run, beat, "--out", tmp_path / "played.mid")
    assert result.exit_code == 0, result.output
    played = pretty_midi.PrettyMIDI(str(tmp_path / "played.mid"))
    assert played.get_tempo_changes()[1][0] == pytest.approx(87.0)
    rows = parse_performance(tmp_path / "played.mid").segments[0][0]
    source = parse_performance(beat).segments[0][0]
    assert rows.shape[1] == 160 and (rows[0] == source[0]).all()  # 10 bars, every hit in place
    result = invoke("drumify", run, beat, "--out", tmp_path / "drums.mid")
    assert result.exit_code == 0, result.output
    assert "10 bars" in result.output
    drummed = parse_performance(tmp_path / "drums.mid").segments[0][0]
    assert ((drummed[0] != 0) == (source[0] != 0)).all()  # a hit on every onset, and only there


def test_core_verbs_on_a_groove_model(tiny, tmp_path):
    run, folder = tiny
    assert invoke("generate", run, "-n", "2", "--out", tmp_path / "gen").exit_code == 0
    result = invoke("interpolate", run, folder / "b0.mid", folder / "b1.mid", "--steps", "3", "--out",
                    tmp_path / "i.mid")
    assert result.exit_code == 0, result.output
    result = invoke("encode", run, folder / "b0.mid", "--out", tmp_path / "z.npz")
    assert result.exit_code == 0 and np.load(tmp_path / "z.npz")["z"].shape == (1, 8)


def test_bad_input_gets_one_line_and_status_2(tiny, tmp_path):
    run, _ = tiny
    waltz = write_beat(tmp_path / "waltz.mid", [(0.0, 36, 90), (4.0, 38, 90)], meter=(3, 4))
    tune = write_beat(tmp_path / "tune.mid", [(0.0, 60, 90), (4.0, 62, 90)], drum=False)
    (tmp_path / "empty.mid").write_bytes(b"")
    silent = tmp_path / "silent.mid"
    pretty_midi.PrettyMIDI().write(str(silent))
    cases = [("groove", waltz, "not in 4/4"), ("drumify", waltz, "not in 4/4"), ("groove", tune, "no drum track"),
             ("groove", tmp_path / "empty.mid", "empty"), ("drumify", silent, "contains no notes")]
    for verb, path, words in cases:
        result = invoke(verb, run, path, "--out", tmp_path / "out.mid")
        assert result.exit_code == 2 and words in result.output, (verb, path, result.output)
        assert len(result.output.strip().splitlines()) == 1
    assert not (tmp_path / "out.mid").exists()
    result = invoke("drumify", run, tune, "--out", tmp_path / "beat.mid")  # a melody's onsets are a rhythm
    assert result.exit_code == 0, result.output


def test_alike_training_beats_play_a_score_as_they_played():
    from vaekit_midi.groove_memory import alike_playing, training_beats

    known, played = training_beats(32)
    _, first, count = np.unique(known, axis=0, return_index=True, return_counts=True)
    unique = first[count == 1][:3]  # beats whose hits no other training beat has
    scores = np.concatenate([known[unique].reshape(-1, CLASSES, 32), np.zeros((3, 2 * CLASSES, 32), np.float32)], 1)
    out = alike_playing(scores, k=1)  # the most alike beat of each is itself
    assert np.allclose(out[:, CLASSES:].reshape(3, 2, -1), played[unique])
    out = alike_playing(scores)  # 50 alike beats: each hit a mean of theirs, and nothing where none is
    hit = scores[:, :CLASSES] > 0
    assert np.array_equal(out[:, :CLASSES], scores[:, :CLASSES])
    assert (out[:, CLASSES:][np.concatenate([~hit, ~hit], 1)] == 0).all()
    assert (out[:, CLASSES: 2 * CLASSES][hit] > 0).all() and (np.abs(out[:, 2 * CLASSES:]) <= 0.5).all()
    assert not np.allclose(out[:, CLASSES:].reshape(3, 2, -1), played[unique])


@pytest.mark.skipif("groove_2bar" not in vaekit.shipped_models(), reason="groove_2bar is not shipped yet")
def test_shipped_groove_plays_a_score(tmp_path):
    from vaekit_midi.grooving import humanize

    notes = [(float(round(s)), p, 100) for s, p, _ in played_beat(4, seed=1)]
    rows = humanize(vaekit.load("groove_2bar"), write_beat(tmp_path / "score.mid", notes), tmp_path / "p.mid")
    hit = rows[1: 1 + CLASSES] > 0
    assert hit.sum() == len(notes)
    assert rows[1: 1 + CLASSES][hit].std() > 5  # velocities vary
    assert np.abs(rows[1 + CLASSES:][hit]).mean() > 5  # hits leave the grid (5 units: 2% of a step)


@pytest.mark.skipif("drums_2bar" not in vaekit.shipped_models(), reason="drums_2bar is not shipped yet")
def test_shipped_drums_reconstructs_a_beat(tmp_path):
    p = vaekit.load("drums_2bar")
    notes = [(float(round(s)), p_, 100) for s, p_, _ in played_beat(2)]
    x = p.read(write_beat(tmp_path / "rock.mid", notes))
    mu, _ = p.model.encode(x[None])
    assert torch.equal(p.model.decode(mu)[0], x)
