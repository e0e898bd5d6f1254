"""The studio's compose page as a musician uses it, in headless Chromium (Debian's ``chromium``, driven by
Playwright) against ``vaekit serve mel_2bar``, the shipped model and the shipped composer: a 32-bar AABA
song composed, drawn 16 bars a row with its sections marked, played (the playhead moves) and downloaded
as MIDI of 32 bars; a 64-bar song without a form in four rows; a bad form refused with one line beside the
controls. The shell page links the compose page.

``VAEKIT_SCREENSHOTS=docs/img`` keeps ``studio_compose.png`` there. Skips, saying why, where no browser is
installed, unless ``VAEKIT_REQUIRE_BROWSER=1``."""

from __future__ import annotations

import os

import pytest

from .test_server import serving
from .test_studio_pages import chromium, keep, need_browser, watched_page


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    need_browser()
    tmp = tmp_path_factory.mktemp("compose-page")
    env = {**os.environ, "VAEKIT_CACHE": str(tmp / "cache"), "OMP_NUM_THREADS": "1"}
    env.pop("VAEKIT_LOAD_PLUGINS", None)
    with serving(["mel_2bar"], env, tmp / "serve.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser(studio):
    yield from chromium()


@pytest.fixture
def page(browser, studio):
    page = watched_page(browser)
    page.goto(studio + "web/midi/compose.html")
    page.wait_for_function("document.querySelector('#about').textContent.includes('composer')")
    yield page
    page.close()


def compose(page) -> None:
    page.click("#compose")
    page.wait_for_function("document.querySelector('#status').textContent.includes('song(s) of')")


def test_the_shell_page_links_the_compose_page(browser, studio):
    page = browser.new_page()
    page.goto(studio)
    page.wait_for_selector("nav a[href='/web/midi/compose.html']")
    page.close()


def test_an_aaba_song_is_drawn_with_its_sections_played_and_downloaded(page):
    import pretty_midi

    assert page.input_value("#form") == "AABA" and page.input_value("#bars") == "32"
    assert page.is_disabled("#bars") and not page.is_disabled("#variation")  # the form sets the bars
    page.fill("#seed", "2")
    compose(page)
    assert page.get_attribute("#rows", "data-sections") == "A:0 A:8 B:16 A:24"
    assert page.locator("#rows canvas[role=img]").count() == 2  # 16 bars a row
    assert int(page.get_attribute("#rows", "data-notes")) > 32
    assert page.text_content("#song-name").startswith("song 1: 32 bars") and "sections AABA" in page.text_content(
        "#song-name")
    assert "bars 17 to 32" in page.get_attribute("#rows canvas[role=img] >> nth=1", "aria-label")
    page.click("#play")
    page.wait_for_function("Number(document.querySelector('#rows').dataset.playhead || 0) > 2")  # it moves
    page.click("#stop")
    with page.expect_download() as download:
        page.click("#download")
    song = pretty_midi.PrettyMIDI(download.value.path())
    beats = song.get_end_time() / (60 / song.get_tempo_changes()[1][0])
    assert len(song.instruments[0].notes) == int(page.get_attribute("#rows", "data-notes")) and 100 < beats <= 128
    page.click("[aria-label='show song 2']")
    assert page.text_content("#song-name").startswith("song 2")
    keep(page, "studio_compose.png")
    assert page.console_errors == []


def test_a_64_bar_song_without_a_form_fills_four_rows(page):
    page.fill("#form", "")
    assert not page.is_disabled("#bars") and page.is_disabled("#variation")
    page.fill("#bars", "64")
    page.fill("#count", "1")
    compose(page)
    assert page.locator("#rows canvas[role=img]").count() == 4
    assert page.get_attribute("#rows", "data-sections").split() == [f"{i + 1}:{8 * i}" for i in range(8)]
    assert page.console_errors == []


def test_a_bad_form_is_one_line_beside_the_controls(page):
    page.fill("#form", "AABAABAAB")  # 72 bars: more than the composer writes
    page.evaluate("document.querySelector('#form').removeAttribute('maxlength')")
    page.fill("#form", "AABAABAAB")
    page.click("#compose")
    page.wait_for_function("document.querySelector('#error-compose').textContent !== ''")
    error = page.text_content("#error-compose")
    assert error.startswith("form:") and "\n" not in error
    assert all("400 (Bad Request)" in e for e in page.console_errors)
