"""The studio's chords field: a chord model's verbs over a typed progression (``chords``, as ``--chords``),
its items described with their chord symbols, bad progressions answered 400 in one line, and nothing of one
call's chords left for the next; and the piano model's items say how many steps they span."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi")

from vaekit.testing import studio_client  # noqa: E402

TYPED = "Dm7 G7 | Cmaj7 A7"
OVER_TYPED = [[0, 8, "Dm7"], [8, 16, "G7"], [16, 24, "Cmaj7"], [24, 32, "A7"]]


@pytest.fixture(scope="module")
def client():
    with studio_client(["mel_2bar_chords", "piano_2bar"]) as c:
        yield c


@pytest.fixture
def melody(midi_file):
    """A melody with no chords of its own and no accompaniment to recognise them from."""
    path = midi_file("tune.mid", [[(i * 240, i * 240 + 200, 60 + (i * 5) % 12) for i in range(16)]])
    return {"file": ("tune.mid", path.read_bytes())}


def generate(client, **fields):
    return client.post("/api/generate", data={"model": "mel_2bar_chords", "count": 3, "seed": 4, **fields})


def test_models_say_whether_they_take_chords(client):
    takes = {m["name"]: m["chords"] for m in client.get("/api/models").json()}
    assert takes == {"mel_2bar_chords": True, "piano_2bar": False}


def test_samples_over_typed_chords_and_no_chords_left_behind(client):
    drawn = [item["chords"] for item in generate(client).json()["items"]]
    over = generate(client, chords=TYPED).json()["items"]
    assert all(item["chords"] == OVER_TYPED for item in over)
    assert all(len(item["values"]) == 2 and len(item["values"][0]) == 32 for item in over)
    assert [item["chords"] for item in generate(client).json()["items"]] == drawn != [OVER_TYPED] * 3
    assert generate(client, chords="").json()["items"][0]["chords"] == drawn[0]  # empty: not given


@pytest.mark.parametrize(("chords", "says"), [("C Xyz", "unknown chord symbol 'Xyz'"),
                                               ("C G A", "--chords has 3 chords"),
                                               ("C" * 401, "chords")])
def test_a_bad_progression_is_400_in_one_line(client, chords, says):
    response = generate(client, chords=chords)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert says in detail and "\n" not in detail


def test_a_melody_without_chords_is_read_over_the_typed_ones(client, melody):
    refused = client.post("/api/items", data={"model": "mel_2bar_chords"}, files=melody)
    assert refused.status_code == 400 and "no chords to read it over" in refused.json()["detail"]
    items = client.post("/api/items", data={"model": "mel_2bar_chords", "chords": "F G"}, files=melody).json()
    assert items["items"][0]["chords"] == [[0, 16, "F"], [16, 32, "G"]]
    z = client.post("/api/encode", data={"model": "mel_2bar_chords", "chords": "F G"},
                    files={"files": melody["file"]}).json()["z"]
    decoded = client.post("/api/decode", json={"model": "mel_2bar_chords", "z": z, "chords": TYPED}).json()
    assert decoded["items"][0]["chords"] == OVER_TYPED


def test_a_model_without_chords_refuses_them(client):
    response = client.post("/api/generate", data={"model": "piano_2bar", "count": 1, "chords": "C G"})
    assert response.status_code == 400 and "not conditioned on chords" in response.json()["detail"]


def test_piano_items_say_their_steps(client):
    [item] = client.post("/api/generate", data={"model": "piano_2bar", "count": 1}).json()["items"]
    assert item["steps"] == 32 and item["tracks"][0]["notes"]
    assert max(end for _, end, _ in item["tracks"][0]["notes"]) <= 32
