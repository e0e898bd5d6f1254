"""The drums page's routes with the shipped models, through FastAPI's test client: ``POST
/api/verbs/groove`` and ``/api/verbs/drumify`` (``Pipeline.apply``) as JSON and as MIDI, the models'
``verbs`` in ``GET /api/models``, and every bad input answered 400 with one line naming the file."""

from __future__ import annotations

import io

import numpy as np
import pretty_midi
import pytest

pytest.importorskip("fastapi")

import vaekit  # noqa: E402
from vaekit.testing import installed_plugins, studio_client  # noqa: E402

from .test_groove import played_beat, write_beat  # noqa: E402

pytestmark = [pytest.mark.usefixtures("one_thread"),
              pytest.mark.skipif(not {"drums_2bar", "groove_2bar"} <= set(vaekit.shipped_models()),
                                 reason="drums_2bar and groove_2bar are not shipped")]
CLASSES = 9


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with installed_plugins(tmp_path_factory.mktemp("cache")), studio_client(["groove_2bar", "drums_2bar"]) as c:
        yield c


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A quantised 4-bar rock beat, a melody, a waltz, a MIDI file with no notes, each as an upload."""
    tmp = tmp_path_factory.mktemp("drum-files")
    score = [(float(round(s)), p, 100) for s, p, _ in played_beat(4, seed=3)]
    silent = tmp / "silent.mid"
    pretty_midi.PrettyMIDI().write(str(silent))
    paths = {"score": write_beat(tmp / "score.mid", score),
             "tune": write_beat(tmp / "tune.mid", [(0.0, 60, 90), (4.0, 62, 90), (10.0, 64, 90)], drum=False),
             "waltz": write_beat(tmp / "waltz.mid", [(0.0, 36, 90), (4.0, 38, 90)], meter=(3, 4)),
             "silent": silent}
    return {name: (path.name, path.read_bytes()) for name, path in paths.items()}


def hits(values: list) -> set[tuple[int, int]]:
    """(drum, step) of every hit of a groove model's 27 rows."""
    return {(int(d), int(s)) for d, s in zip(*np.nonzero(np.asarray(values)[:CLASSES] > 0.5))}


def test_models_list_their_file_verbs_and_open_the_drums_page(client):
    models = {m["name"]: m for m in client.get("/api/models").json()}
    assert set(models["groove_2bar"]["verbs"]) == {"groove", "drumify"} and models["drums_2bar"]["verbs"] == {}
    assert {m["page"] for m in models.values()} == {"/web/midi/drums.html"}
    assert client.get("/web/midi/drums.html").text.count("<canvas") >= 3


def test_groove_plays_the_same_hits_and_drumify_fills_the_onsets(client, files):
    answer = client.post("/api/verbs/groove", data={"model": "groove_2bar"}, files={"file": files["score"]})
    assert answer.status_code == 200, answer.text
    [item] = answer.json()["items"]
    out, score = np.asarray(item["values"]), np.asarray(item["input"])
    assert out.shape == score.shape == (27, 64)  # the whole 4-bar file, not one window
    assert hits(item["values"]) == hits(item["input"]) and len(hits(item["input"])) == 4 * 12
    played = out[:CLASSES] > 0.5
    assert out[CLASSES: 2 * CLASSES][played].std() * 127 > 5 and np.abs(out[2 * CLASSES:][played]).max() > 0.02
    assert item["tracks"][0]["drums"] and item["verb"] == "groove"
    drummed = client.post("/api/verbs/drumify", data={"model": "groove_2bar"}, files={"file": files["tune"]})
    assert drummed.status_code == 200, drummed.text
    [item] = drummed.json()["items"]
    onsets = {s for _, s in hits(item["input"])}
    assert onsets == {0, 4, 10} and {s for _, s in hits(item["values"])} == onsets  # a melody's onsets drummed


def test_groove_as_a_drum_midi_file(client, files):
    answer = client.post("/api/verbs/groove", data={"model": "groove_2bar", "temperature": 0.5, "seed": 3},
                         files={"file": files["score"]}, params={"format": "midi"})
    assert answer.status_code == 200, answer.text
    pm = pretty_midi.PrettyMIDI(io.BytesIO(answer.content))
    [drums] = pm.instruments
    assert drums.is_drum and len(drums.notes) == 4 * 12 and len({n.velocity for n in drums.notes}) > 5


@pytest.mark.parametrize("verb, model, upload, fields, says", [
    ("groove", "groove_2bar", "tune", {}, "tune.mid: no drum track (MIDI channel 10)"),
    ("groove", "groove_2bar", "waltz", {}, "waltz.mid: not in 4/4"),
    ("drumify", "groove_2bar", "waltz", {}, "waltz.mid: not in 4/4"),
    ("drumify", "groove_2bar", "silent", {}, "silent.mid: contains no notes"),
    ("groove", "groove_2bar", ("empty.mid", b""), {}, "empty.mid: empty file"),
    ("groove", "groove_2bar", ("junk.mid", b"MThd junk"), {}, "junk.mid: "),
    ("groove", "groove_2bar", ("beat.wav", b"RIFF"), {}, "beat.wav: not a MIDI file"),
    ("shuffle", "groove_2bar", "score", {}, "groove_2bar has no verb 'shuffle' (it has: drumify, groove)"),
    ("groove", "drums_2bar", "score", {}, "drums_2bar has no verb 'groove' (it has: none)"),
    ("groove", "groove_2bar", "score", {"temperature": "nan"}, "temperature: must be a finite number in 0..10"),
])  # fmt: skip
def test_bad_input_is_400_with_one_line(client, files, verb, model, upload, fields, says):
    upload = files[upload] if isinstance(upload, str) else upload
    answer = client.post(f"/api/verbs/{verb}", data={"model": model, **fields}, files={"file": upload})
    assert answer.status_code == 400, answer.text
    detail = answer.json()["detail"]
    assert detail.startswith(says) and "\n" not in detail and "/tmp" not in detail


def test_a_beat_opened_on_the_page_reads_with_its_velocities(client, files):
    """The page opens a beat through /api/items with the groove model: 2-bar windows at each bar."""
    answer = client.post("/api/items", data={"model": "groove_2bar"}, files={"file": files["score"]})
    assert answer.status_code == 200 and answer.json()["count"] == 3
    refused = client.post("/api/items", data={"model": "groove_2bar"}, files={"file": files["tune"]})
    assert refused.status_code == 400 and refused.json()["detail"] == "tune.mid: no drum track (MIDI channel 10)"
