"""Sampling a 16-bar melody model in a form (``vaekit generate mel_16bar --form AABA``): repeated phrases,
closed phrases, one key; and the refusals of a form that a model or a length cannot take."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from vaekit_midi.form import in_key_share
from vaekit_midi.form_sampling import bar_scores, phrase_sources
from vaekit_midi.tokens import NOTE_OFF, encode

import vaekit
from vaekit.cli import cli

pytestmark = pytest.mark.usefixtures("one_thread")


def bar(*notes: tuple[int, int, int]) -> np.ndarray:
    return encode(np.array(notes), 16)


def test_phrases_take_their_letters_first_bars():
    assert phrase_sources("AABA", 16) == [0, 1, 2, 3, 0, 1, 2, 3, 8, 9, 10, 11, 0, 1, 2, 3]
    assert phrase_sources("AB", 4) == [0, 1, 2, 3]
    for form in ("AAB", "aaba", "A-BA", ""):
        with pytest.raises(vaekit.VaekitError, match="form"):
            phrase_sources(form, 16)


def test_candidates_are_scored_by_key_and_by_how_they_close():
    c_major = (0, "major")
    in_key, outside, empty = bar((0, 8, 60), (8, 16, 64)), bar((0, 8, 61), (8, 16, 64)), bar()
    on_tonic, on_fifth, off = bar((0, 8, 64), (8, 16, 72)), bar((0, 8, 64), (8, 16, 67)), bar((0, 8, 64), (8, 16, 65))
    assert list(bar_scores(np.stack([in_key, outside, empty]), c_major)) == [0, 1, np.inf]
    assert bar_scores(np.stack([empty, empty]), c_major).tolist() == [0, 0]  # only rests: a rest it is
    assert bar_scores(np.stack([on_tonic, on_fifth, off]), c_major, "song").tolist() == [0, 1, 1]
    assert bar_scores(np.stack([on_tonic, on_fifth, off]), c_major, "phrase").tolist() == [0, 0, 1]


def test_shipped_mel_16bar_samples_in_a_form():
    p = vaekit.load("mel_16bar")
    plain = p.generate(8, 0.5, seed=0).numpy()
    p.config["generate"].update(form="AABA", variation=0.0)
    formed = p.generate(8, 0.5, seed=0).numpy()
    bars = formed.reshape(8, 16, 16)
    assert (bars[:, 4:8] == bars[:, 0:4]).all() and (bars[:, 12:16] == bars[:, 0:4]).all()  # A A B A
    assert (bars[:, 8:12] != bars[:, 0:4]).any(axis=(1, 2)).all()
    closing = bars[:, [3, 11]]  # each phrase's last bar holds a note from its third beat to its end
    assert (closing[..., 8] > NOTE_OFF).all() and (closing[..., 9:] == 0).all()
    assert in_key_share(formed) > in_key_share(plain) + 0.05
    p.config["generate"].update(form="AABA", variation=1.0)  # every repeat drawn again
    varied = p.generate(8, 0.5, seed=0).numpy().reshape(8, 16, 16)
    assert (varied[:, 4:8] != varied[:, 0:4]).any()


def test_a_form_that_cannot_be_sampled_is_one_line_and_status_2(tmp_path):
    for model, form, said in (("mel_2bar", "AABA", "hierarchical"), ("mel_16bar", "AAB", "equal phrases"),
                              ("mel_16bar", "aaba", "capital letter"), ("drums_2bar", "AB", "does not sample")):
        result = CliRunner().invoke(cli, ["generate", model, "--form", form, "-n", "1", "--out", str(tmp_path / "o")])
        assert result.exit_code == 2, result.output
        assert said in result.output and len(result.output.strip().splitlines()) == 1
        assert not (tmp_path / "o").exists()
