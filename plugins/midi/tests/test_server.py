"""vaekit serve with the real MIDI plugin: melodies as notes and MIDI files over HTTP, attribute
vectors, and hostile uploads (through FastAPI's test client)."""

from __future__ import annotations

import io

import pretty_midi
import pytest
from click.testing import CliRunner

pytest.importorskip("fastapi")

import vaekit  # noqa: E402
from vaekit.cli import cli  # noqa: E402
from vaekit.testing import installed_plugins, studio_client  # noqa: E402

SMALL = ["model.encoder_hidden=16", "model.decoder_hidden=32", "model.latent_dim=8", "model.embed=8",
         "train.batch_size=8", "train.eval_every=2"]


@pytest.fixture(scope="module")
def client(tmp_path_factory, write_midi):
    """A tiny melody run on four tunes with attribute vectors from pop, served under the name ``mel``."""
    tmp = tmp_path_factory.mktemp("server")
    with installed_plugins(tmp / "cache"):
        (tmp / "songs").mkdir()
        for i in range(4):
            notes = [(k * 480, k * 480 + 360, 55 + (k * 7 + i) % 19) for k in range(24)]
            write_midi(tmp / "songs" / f"s{i}.mid", [notes])
        vaekit.train("midi", "mel_2bar", str(tmp / "songs"), overrides=SMALL, steps=2, out=tmp / "mel", progress=False)
        result = CliRunner().invoke(cli, ["attributes", str(tmp / "mel"), "--data", "pop", "--max-items", "200"])
        assert result.exit_code == 0, result.output
        with studio_client([str(tmp / "mel")]) as c:
            yield c


def tune(write_midi, path, offset):
    return path.name, write_midi(path, [[(i * 240, i * 240 + 200, 60 + (i * 5 + offset) % 12) for i in range(16)]]
                                 ).read_bytes()


@pytest.fixture
def tunes(write_midi, tmp_path):
    return {"a": tune(write_midi, tmp_path / "a.mid", 0), "b": tune(write_midi, tmp_path / "b.mid", 7)}


def test_models_say_which_attributes_they_have(client):
    [model] = client.get("/api/models").json()
    assert model["name"] == "mel" and model["modality"] == "midi" and model["preset"] == "mel_2bar"
    assert "density" in model["attributes"] and model["page"] == "/web/midi/"
    assert "pop" in model["datasets"]


def test_interpolation_as_notes_and_as_midi(client, tunes):
    response = client.post("/api/interpolate", data={"model": "mel", "steps": 3}, files=tunes)
    items = response.json()["items"]
    assert len(items) == 3 and all(len(item["values"]) == 32 for item in items)
    [track] = items[0]["tracks"]
    assert track["name"] == "melody" and items[0]["steps_per_bar"] == 16
    assert all(0 <= start < end <= 32 and 21 <= pitch <= 108 for start, end, pitch in track["notes"])
    whole = client.post("/api/interpolate", data={"model": "mel", "steps": 3}, files=tunes, params={"format": "midi"})
    one = client.post("/api/interpolate", data={"model": "mel", "steps": 3}, files=tunes,
                      params={"format": "mid", "item": 1})
    for response in (whole, one):
        assert response.status_code == 200, response.text
        assert pretty_midi.PrettyMIDI(io.BytesIO(response.content)).instruments is not None
    assert one.headers["content-disposition"].endswith('mel_01.mid"')


def test_generate_and_transform(client, tunes):
    items = client.post("/api/generate", data={"model": "mel", "count": 2, "temperature": 1.0}).json()["items"]
    assert len(items) == 2 and all("tracks" in item for item in items)
    moved = client.post("/api/transform", data={"model": "mel", "attribute": "density", "amount": 2.0},
                        files={"a": tunes["a"]}).json()["items"]
    assert [item["label"] for item in moved] == ["reconstruction", "density +2"]


def test_transform_takes_bars_of_a_whole_song(client, write_midi, tmp_path):
    import numpy as np
    from vaekit_midi.song import read_song

    path = write_midi(tmp_path / "song.mid", [[(k * 480, k * 480 + 400, 60 + (k * 5) % 12) for k in range(32)]])
    song, _ = read_song(path, {"data": {"steps_per_bar": 16}})
    start, stop = song.span(3, 6)
    form = {"model": "mel", "attribute": "density", "amount": 2.0, "bars": "3:6"}
    files = {"a": (path.name, path.read_bytes())}
    items = client.post("/api/transform", data=form, files=files).json()["items"]
    assert [item["label"] for item in items] == ["reconstruction", "density +2"]
    for item in items:  # the whole song, bars 3 to 6 moved, the others as read
        values = np.array(item["values"])
        assert len(values) == len(song.tokens) == 128
        assert np.array_equal(values[:start], song.tokens[:start])
        assert np.array_equal(values[stop + 1:], song.tokens[stop + 1:])
    clip = client.post("/api/transform", data=form, files=files, params={"format": "mid", "item": 1})
    assert clip.status_code == 200
    assert pretty_midi.PrettyMIDI(io.BytesIO(clip.content)).get_end_time() > 7 * 2.0  # 8 bars at 120 bpm
    for bad, words in (("6:3", "the first at most the last"), ("3:9", "has 8 bars"), ("x", "give the first and last")):
        answer = client.post("/api/transform", data={**form, "bars": bad}, files=files)
        assert answer.status_code == 400 and words in answer.json()["detail"] and "\n" not in answer.json()["detail"]
    plain = client.post("/api/transform", data={**form, "bars": ""}, files=files).json()["items"]
    assert all(len(item["values"]) == 32 for item in plain)  # no bars: one window, as before


def test_examples_are_files_the_model_reads(client):
    example = client.get("/api/example", params={"model": "mel", "dataset": "pop", "index": 0})
    assert example.status_code == 200 and example.content.startswith(b"MThd")
    both = {"a": ("x.mid", example.content), "b": ("y.mid", example.content)}
    assert client.post("/api/interpolate", data={"model": "mel", "steps": 2}, files=both).status_code == 200


@pytest.mark.parametrize("upload, says", [
    (("broken.mid", b"MThd garbage"), "broken.mid: truncated or corrupt MIDI file"),
    (("noise.mid", bytes(range(256)) * 8), "noise.mid: "),
    (("empty.mid", b""), "empty.mid: empty file"),
    (("tune.png", b"\x89PNG"), "tune.png: the midi modality reads"),
])  # fmt: skip
def test_bad_uploads_are_one_line(client, tunes, upload, says):
    response = client.post("/api/interpolate", data={"model": "mel"}, files={**tunes, "b": upload})
    assert response.status_code == 400, response.text
    assert response.json()["detail"].startswith(says) and "\n" not in response.json()["detail"]
    assert client.post("/api/interpolate", data={"model": "mel", "steps": 2}, files=tunes).status_code == 200
