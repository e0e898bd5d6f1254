"""``compose`` in the studio, through FastAPI's test client: ``GET /api/makers`` lists it (with its
options and the composer's card) where mel_2bar is served, ``POST /api/make/compose`` writes songs with
their sections as JSON and as MIDI, the same seed gives the same songs, and every bad option is 400 with
one line naming it; ``vaekit models`` lists the composer, which no run verb opens."""

from __future__ import annotations

import io

import pretty_midi
import pytest
from click.testing import CliRunner

pytest.importorskip("fastapi")

import vaekit  # noqa: E402
from vaekit.cli import cli  # noqa: E402
from vaekit.testing import installed_plugins, studio_client  # noqa: E402

pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with installed_plugins(tmp_path_factory.mktemp("cache")), studio_client(["mel_2bar"]) as c:
        yield c


def make(client, format="json", item=None, **fields):
    params = {"format": format, **({} if item is None else {"item": item})}
    return client.post("/api/make/compose", params=params, data={k: str(v) for k, v in fields.items()})


def test_makers_lists_compose_on_mel_2bar_with_its_options_and_card(client):
    (row,) = client.get("/api/makers").json()
    assert row["name"] == "compose" and row["model"] == "mel_2bar" and row["page"] == "/web/midi/compose.html"
    assert {o["name"] for o in row["options"]} == {"bars", "count", "form", "variation", "free_key", "open"}
    assert row["card"]["name"] == "composer" and 0 < row["card"]["heldout"]["64-bar songs"]["in_key_share"] <= 1
    assert client.get("/web/midi/compose.html").status_code == 200


def test_an_aaba_song_comes_with_its_sections_and_the_seed_repeats_it(client):
    answer = make(client, form="AABA", count=2, seed=3, variation=0)
    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert len(items) == 2 and all(len(item["values"]) == 32 * 16 for item in items)
    assert [s["name"] for s in items[0]["sections"]] == list("AABA")
    assert [s["bar"] for s in items[0]["sections"]] == [0, 8, 16, 24]
    notes = items[0]["tracks"][0]["notes"]
    # a note may be held across a section's end (into the second A, but not into B): compare within each A
    a1 = [(s, min(e, 128), p) for s, e, p in notes if s < 128]
    a2 = [(s - 128, min(e, 256) - 128, p) for s, e, p in notes if 128 <= s < 256]
    assert a1 and a1 == a2  # variation 0: the second A plays the first again
    again = make(client, form="AABA", count=2, seed=3, variation=0).json()["items"]
    assert [i["values"] for i in again] == [i["values"] for i in items]


def test_a_song_downloads_as_midi_of_its_bars(client):
    answer = make(client, "mid", 0, bars=16, count=1, seed=1)
    assert answer.status_code == 200 and answer.content[:4] == b"MThd"
    song = pretty_midi.PrettyMIDI(io.BytesIO(answer.content))
    notes = song.instruments[0].notes
    bars = song.get_end_time() / (4 * 60 / song.get_tempo_changes()[1][0])
    assert notes and 12 < bars <= 16.5
    sections = make(client, bars=16, count=1, seed=1).json()["items"][0]["sections"]
    assert [(s["name"], s["bar"], s["bars"]) for s in sections] == [("1", 0, 8), ("2", 8, 8)]


@pytest.mark.parametrize("fields, says", [
    ({"bars": 7}, "bars"), ({"bars": 66}, "bars"), ({"count": 0}, "count"), ({"count": 9}, "count"),
    ({"form": "AAbA"}, "form"), ({"form": "A" * 9}, "form"), ({"form": "AABA", "bars": 16}, "disagrees"),
    ({"variation": 0.5}, "form"), ({"form": "AB", "variation": "nan"}, "variation"),
    ({"free_key": 2}, "free_key"), ({"open": 2}, "open"), ({"tempo": 100}, "tempo"), ({"seed": -1}, "seed")])
def test_bad_options_are_400_with_one_line_naming_them(client, fields, says):
    answer = make(client, **fields)
    assert answer.status_code in (400, 422), answer.text
    detail = answer.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail and says in detail, detail


def test_an_unknown_maker_is_404_and_a_file_is_refused(client):
    assert client.post("/api/make/paint", data={}).status_code == 404
    answer = client.post("/api/make/compose", files={"form": ("a.mid", b"MThd")})
    assert answer.status_code == 400 and "no files" in answer.json()["detail"]


def test_vaekit_models_lists_the_composer_and_run_verbs_refuse_it(private_cache):
    result = CliRunner().invoke(cli, ["models"])
    assert result.exit_code == 0 and "composer  midi / composer" in result.output, result.output
    assert "in_key_share" in result.output
    with pytest.raises(vaekit.VaekitError, match="composer: a shipped model, but not a run"):
        vaekit.load("composer")
