"""The studio's drums page as a drummer uses it, in headless Chromium (Debian's ``chromium``, driven by
Playwright) against ``vaekit serve drums_2bar groove_2bar``, the shipped models: a beat drawn on the
grid, played (the playhead moves), grooved (the same hits, now off the grid at their own velocities)
and downloaded; a rhythm drumified; four generated beats blended on the pad; a file with no drums
refused with one line beside the file box.

``VAEKIT_SCREENSHOTS=docs/img`` keeps ``studio_drums.png`` there. Skips, saying why, where no browser is
installed, unless ``VAEKIT_REQUIRE_BROWSER=1``."""

from __future__ import annotations

import os

import pytest

from .test_server import serving
from .test_studio_pages import chromium, keep, need_browser, watched_page

ROW, TOP, LEFT = 26, 20, 104  # the grid's geometry (beatgrid.js)
KICK, SNARE, CLOSED = 0, 1, 2
ROCK = [(KICK, 0), (KICK, 8), (KICK, 10), (SNARE, 4), (SNARE, 12), *((CLOSED, s) for s in range(0, 16, 2))]


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """``vaekit serve drums_2bar groove_2bar`` on a free port; its URL and a folder of files."""
    need_browser()
    import pretty_midi

    tmp = tmp_path_factory.mktemp("drums-page")
    tune = pretty_midi.PrettyMIDI(initial_tempo=120)
    melody = pretty_midi.Instrument(0, name="melody")
    melody.notes = [pretty_midi.Note(90, 60 + k % 5, k * 0.5, k * 0.5 + 0.4) for k in range(16)]
    tune.instruments.append(melody)
    tune.write(str(tmp / "tune.mid"))
    beat = pretty_midi.PrettyMIDI(initial_tempo=100)
    kit = pretty_midi.Instrument(0, is_drum=True, name="drums")
    step = 60 / 100 / 4
    kit.notes = [pretty_midi.Note(100, pitch, (b * 16 + s) * step, (b * 16 + s + 1) * step) for b in range(4)
                 for s, pitch in [(0, 36), (8, 36), (4, 38), (12, 38), *((s, 42) for s in range(0, 16, 2))]]
    beat.instruments.append(kit)
    beat.write(str(tmp / "rock.mid"))
    env = {**os.environ, "VAEKIT_CACHE": str(tmp / "cache"), "OMP_NUM_THREADS": "1"}
    env.pop("VAEKIT_LOAD_PLUGINS", None)
    with serving(["drums_2bar", "groove_2bar"], env, tmp / "serve.log") as url:
        yield url, tmp


@pytest.fixture(scope="module")
def browser(studio):
    yield from chromium()


@pytest.fixture
def page(browser, studio):
    """The drums page, its models chosen; ``page.console_errors`` collects what the console reports."""
    url, _ = studio
    page = watched_page(browser)
    page.goto(url + "web/midi/drums.html")
    page.wait_for_function("document.querySelector('#status').textContent.startsWith('beats from')")
    yield page
    page.close()


def click_cell(page, drum: int, step: int, canvas: str = "#grid") -> None:
    cell = float(page.get_attribute(canvas, "data-cell"))
    page.click(canvas, position={"x": LEFT + (step + 0.5) * cell, "y": TOP + (drum + 0.5) * ROW})


def places(page) -> list[str]:
    return sorted(page.get_attribute("#grid", "data-places").split())


def idle(page) -> None:
    page.wait_for_function("document.querySelector('main').getAttribute('aria-busy') === 'false'")


def test_the_page_loads_with_the_plugins_drums_and_no_console_error(page):
    from vaekit_midi.tokens import DRUM_CLASSES

    assert page.evaluate("import('/web/midi/beat.js').then((m) => m.DRUMS)") == list(DRUM_CLASSES)
    assert page.input_value("#beat-model") == "drums_2bar" and page.input_value("#groove-model") == "groove_2bar"
    assert page.get_attribute("#grid", "aria-label") == "your beat: 2 bar(s), empty"
    page.focus("#grid")  # the keyboard draws too: two steps right, Space
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    assert places(page) == [f"{KICK}:2"]
    assert page.console_errors == []


def test_a_drawn_beat_plays_grooves_with_the_same_hits_and_downloads(page):
    import pretty_midi

    for drum, step in ROCK:
        click_cell(page, drum, step)
    drawn = places(page)
    assert len(drawn) == len(ROCK) and "on the grid" in page.text_content("#beat-name")
    page.click("#play")
    page.wait_for_function("Number(document.querySelector('#grid').dataset.playhead || 0) > 2")  # it moves
    page.click("#stop")
    page.click("#groove")
    page.wait_for_function("document.querySelector('#beat-name').textContent.includes('grooved')")
    assert places(page) == drawn  # the same hits
    assert "off the grid" in page.text_content("#beat-name")  # now played: microtiming
    assert page.text_content("#status").startswith("grooved by groove_2bar: the same hits")
    with page.expect_download() as download:
        page.click("#download")
    [drums] = pretty_midi.PrettyMIDI(download.value.path()).instruments
    assert drums.is_drum and len(drums.notes) == len(ROCK) and len({n.velocity for n in drums.notes}) > 3
    page.click("#undo")  # back to the score
    assert "on the grid" in page.text_content("#beat-name") and places(page) == drawn
    assert page.console_errors == []


def test_drumify_makes_a_beat_of_a_tapped_rhythm(page):
    taps = [0, 3, 6, 8, 12, 16, 19, 22, 24, 28]
    for step in taps:
        click_cell(page, SNARE, step)
    page.click("#drumify")
    page.wait_for_function("document.querySelector('#beat-name').textContent.includes('drumified')")
    beat = [tuple(map(int, p.split(":"))) for p in places(page)]
    assert {s for _, s in beat} == set(taps)  # a hit on every onset, and only there
    assert len({d for d, _ in beat}) >= 2  # drummed on the kit, not one drum
    assert page.console_errors == []


def test_the_blender_decodes_the_point_between_four_beats(page):
    page.click("#fill-corners")
    page.wait_for_function("Number(document.querySelector('#blend-grid').dataset.hits) > 0")
    idle(page)
    corners = [page.get_attribute(f"#corner-{k}", "aria-label") for k in range(4)]
    assert all("hits" in c for c in corners) and len(set(corners)) == 4
    seen = {}
    for x, y, near in ((10, 10, "93% A"), (290, 290, "93% D")):  # near a corner: mostly its beat
        page.click("#pad", position={"x": x, "y": y})
        page.wait_for_function("w => document.querySelector('#blend-mix').textContent.includes(w)", arg=near)
        seen[near] = page.get_attribute("#blend-grid", "aria-label")
    assert seen["93% A"] != seen["93% D"] and all("hits" in s for s in seen.values())
    page.click("#pad", position={"x": 105, "y": 130})
    page.wait_for_function("!document.querySelector('#blend-mix').textContent.includes('93% D')")
    page.click("#blend-edit")  # onto the grid, to groove
    assert int(page.get_attribute("#grid", "data-hits")) > 0 and places(page)
    page.click("#groove")
    page.wait_for_function("document.querySelector('#beat-name').textContent.includes('grooved')")
    page.click("#stop")
    assert not page.text_content("#status").startswith("playing")
    keep(page, "studio_drums.png")
    assert page.console_errors == []


def test_an_opened_beat_offers_its_bars_and_grooves(page, studio):
    _, tmp = studio
    page.set_input_files("#file", str(tmp / "rock.mid"))
    page.wait_for_function("document.querySelector('#beat-name').textContent.startsWith('rock.mid, bars 1–2')")
    assert page.eval_on_selector("#bars", "s => [...s.options].map((o) => o.text)") == ["bars 1–2", "bars 2–3",
                                                                                     "bars 3–4"]
    page.select_option("#bars", "2")
    assert page.text_content("#beat-name").startswith("rock.mid, bars 3–4: 2 bar(s), 24 hits")
    page.click("#groove")
    page.wait_for_function("document.querySelector('#beat-name').textContent.includes('grooved')")
    assert len(places(page)) == 24 and page.console_errors == []


def test_a_file_with_no_drums_is_one_line_beside_the_file_box(page, studio):
    _, tmp = studio
    page.set_input_files("#file", str(tmp / "tune.mid"))
    page.wait_for_function("document.querySelector('#error-beat').textContent !== ''")
    assert page.text_content("#error-beat") == "tune.mid: no drum track (MIDI channel 10)"
    assert page.get_attribute("#grid", "aria-label") == "your beat: 2 bar(s), empty"  # nothing half-shown
    assert all("400 (Bad Request)" in e for e in page.console_errors)  # the refusal, and nothing else
