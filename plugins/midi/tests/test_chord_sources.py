"""Where a chord model's file gets its chords: a POP909 annotation beside it, else its accompaniment
(recognised), else --chords; a file with none of these is one line and exit status 2."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from vaekit_midi.chords import chord_changes, chord_name
from vaekit_midi.kinds import KINDS

from vaekit import VaekitError, checkpoint, plugins
from vaekit.cli import cli
from vaekit.config import build
from vaekit.runs import BEST, RunDir

sys.path.insert(0, str(Path(__file__).parent))  # the tests import in importlib mode: no sibling modules otherwise
from handmade import TUNE, song, twice  # noqa: E402

KIND = KINDS["chord_melody"]
#: C, Am, F, G7, a bar each, as block chords: (root, tones above it)
PROGRESSION = [(48, (0, 4, 7)), (45, (0, 3, 7)), (41, (0, 4, 7)), (43, (0, 4, 7, 10))]


def accompanied(path: Path, tracks=("melody", "piano")) -> Path:
    """The 4-bar tune in C, twice, over C Am F G7 twice in block chords (where ``tracks`` has a piano)."""
    chords = [(4 * bar, 4, root + tone) for bar, (root, tones) in enumerate(PROGRESSION * 2) for tone in tones]
    parts = {"melody": twice(TUNE), "piano": chords}
    song([(name, 0, False, parts[name]) for name in tracks]).write(str(path))
    return path


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    import torch

    modality = plugins.get_modality("midi")
    config = build(modality, "mel_2bar_chords", overrides=["model.latent_dim=8", "model.embed=8",
                                                           "model.encoder_hidden=16", "model.decoder_hidden=16"])
    torch.manual_seed(0)
    run = RunDir(tmp_path_factory.mktemp("run") / "run")
    run.path.mkdir()
    run.write_config(config)
    checkpoint.save_checkpoint(run.file(BEST), modality.handler(config).build_model(config))
    return run.path, config


def test_a_file_with_an_accompaniment_is_read_over_its_recognised_chords(tmp_path, tiny_run, caplog):
    _, config = tiny_run
    path = accompanied(tmp_path / "song.mid")
    with caplog.at_level(logging.INFO):
        items = KIND.read(path, config)
    assert "chords from its accompaniment (recognised)" in caplog.text
    assert items.shape[1:] == (2, 32)
    first = items[0].numpy()  # the first window: bars 1-2
    assert [chord_name(c) for _, _, c in chord_changes(first[1])] == ["C", "Am"]
    assert first[0, 0] - 2 + 21 == 72  # the tune's first note, not the piano's chord


def test_the_annotation_and_given_chords_each_say_so(tmp_path, tiny_run, caplog):
    _, config = tiny_run
    alone = accompanied(tmp_path / "alone.mid", tracks=("melody",))
    with pytest.raises(VaekitError, match="no chord annotation .* and no accompaniment"):
        KIND.read(alone, config)
    with caplog.at_level(logging.INFO):
        items = KIND.read(alone, {**config, "data": {**config["data"], "chords": "F G"}})
    assert "chords from --chords" in caplog.text
    assert [chord_name(c) for c in items[0, 1, [0, 16]]] == ["F", "G"]


def test_reconstruct_reads_an_accompanied_file_and_refuses_a_bare_one_in_a_line(tmp_path, tiny_run):
    run, _ = tiny_run
    path = accompanied(tmp_path / "song.mid")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["reconstruct", str(run), str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert any(out.iterdir())
    bare = accompanied(tmp_path / "bare.mid", tracks=("melody",))
    result = CliRunner().invoke(cli, ["reconstruct", str(run), str(bare), "--out", str(tmp_path / "o2")])
    assert result.exit_code == 2 and result.output.count("\n") == 1, result.output
    assert "bare.mid" in result.output and "--chords" in result.output
    assert not (tmp_path / "o2").exists()
