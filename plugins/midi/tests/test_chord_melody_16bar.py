"""The 16-bar melody model over chords (mel_16bar_chords): its bar decoder reads every step's chord, its bar
encoder reads notes in their chords' frame, and it takes chords from the command line but no form."""

from __future__ import annotations

import torch
from click.testing import CliRunner
from vaekit_midi.chord_model import ChordBarEncoder
from vaekit_midi.chords import progression, transpose_chords

from vaekit import checkpoint, plugins
from vaekit.cli import cli
from vaekit.config import build
from vaekit.runs import BEST, RunDir

TINY = ["model.latent_dim=8", "model.embed=8", "model.encoder_hidden=16", "model.decoder_hidden=16",
        "model.conductor_hidden=16"]
SIXTEEN = "C G Am F C G F C Dm G C Am F G Em C"


def tiny_model():
    modality = plugins.get_modality("midi")
    config = build(modality, "mel_16bar_chords", overrides=TINY)
    torch.manual_seed(0)
    handler = modality.handler(config)
    return handler, config, handler.build_model(config).eval()


def test_the_bar_decoder_decodes_over_the_chords_it_is_given():
    handler, config, model = tiny_model()
    z = torch.randn(3, 8)
    outputs = {}
    for text in (SIXTEEN, "Eb Bb Cm Ab " * 4):
        with handler.conditioned(model, {**config, "data": {**config["data"], "chords": text}}, count=3):
            outputs[text] = model.decode(z, 0.0)
        assert outputs[text].shape == (3, 2, 256)
        assert (outputs[text][:, 1] == torch.from_numpy(progression(text, 256)).long()).all()
    assert (outputs[SIXTEEN][:, 0] != outputs["Eb Bb Cm Ab " * 4][:, 0]).any()


def test_teacher_forcing_reads_each_step_s_chord():
    _, _, model = tiny_model()
    with torch.no_grad(), model.decoder.over(torch.from_numpy(progression(SIXTEEN, 256)).long()):
        x = model.decode(torch.randn(2, 8), 1.0)
    other = x.clone()
    other[:, 1, 128:] = transpose_chords(x[:, 1, 128:], 3)  # the second half's chords a minor third up
    z = torch.randn(2, 8)
    with torch.no_grad():
        logits, moved = model.decoder(z, x), model.decoder(z, other)
    assert torch.allclose(logits[:, :128], moved[:, :128], atol=1e-5)  # bars 1-8 are decoded as before
    assert not torch.allclose(logits[:, 128:], moved[:, 128:])


def test_the_bar_encoder_codes_a_melody_alike_in_another_key():
    torch.manual_seed(0)
    melody = torch.zeros(64, dtype=torch.long)
    melody[::2] = torch.arange(32) % 12 + 60 - 21 + 2
    chords = torch.from_numpy(progression("C Am Dm G", 64)).long()
    x = torch.stack([melody, chords])[None]
    up = torch.stack([torch.where(melody >= 2, melody + 2, melody), transpose_chords(chords, 2)])[None]
    relative, absolute = ChordBarEncoder(8, 16, 4, 16, relative=True).eval(), ChordBarEncoder(8, 16, 4, 16).eval()
    absolute.load_state_dict(relative.state_dict())
    with torch.no_grad():
        assert torch.allclose(relative(x)[0], relative(up)[0], atol=1e-6)
        assert not torch.allclose(absolute(x)[0], absolute(up)[0])


def test_a_chord_model_refuses_a_form(tmp_path):
    _, config, model = tiny_model()
    run = RunDir(tmp_path / "run")
    run.path.mkdir()
    run.write_config(config)
    checkpoint.save_checkpoint(run.file(BEST), model)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["generate", str(run.path), "-n", "1", "--form", "AABA", "--out", str(out)])
    assert result.exit_code == 2 and result.output.count("\n") == 1
    assert "--form" in result.output and "does not sample in a form" in result.output
    assert not out.exists()
    result = CliRunner().invoke(cli, ["generate", str(run.path), "-n", "1", "--chords", SIXTEEN, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len(list(out.glob("*.mid"))) == 1
