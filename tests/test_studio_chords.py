"""The melody page with the shipped chord and piano models, in headless Chromium (Debian's ``chromium``,
driven by Playwright) against ``vaekit serve mel_2bar_chords piano_2bar``: a progression typed once is
what samples, interpolations and the song rolls are drawn over, its symbols along each roll's ruler and
in its text alternative; an unknown chord is one line beside Generate; the chords field is offered only
to a model that takes chords; the piano model's roll spans its two bars with all its notes.

``VAEKIT_SCREENSHOTS=docs/img`` keeps ``studio_chords.png`` there. Skips, saying why, where no browser is
installed, unless ``VAEKIT_REQUIRE_BROWSER=1``."""

from __future__ import annotations

import os

import pytest

from .test_server import serving
from .test_studio_pages import chromium, idle, keep, need_browser, open_melody, watched_page

TYPED = "Dm7 G7 | Cmaj7 A7"


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    need_browser()
    tmp = tmp_path_factory.mktemp("chords-page")
    env = {**os.environ, "VAEKIT_CACHE": str(tmp / "cache"), "OMP_NUM_THREADS": "1"}
    env.pop("VAEKIT_LOAD_PLUGINS", None)
    with serving(["mel_2bar_chords", "piano_2bar"], env, tmp / "serve.log") as url:
        yield url


@pytest.fixture(scope="module")
def browser(studio):
    yield from chromium()


def roll_label(page) -> str:
    return page.get_attribute("#roll", "aria-label")


def test_a_typed_progression_is_what_everything_is_drawn_over(studio, browser):
    page = watched_page(browser)
    open_melody(page, studio, "mel_2bar_chords")
    assert page.is_visible("#chords-box") and page.input_value("#dataset") == "pop_chords"
    page.click("#generate")
    idle(page)
    drawn = roll_label(page)
    assert ", over " in drawn and TYPED.replace(" |", "") not in drawn  # a held-out progression
    page.fill("#chords", TYPED)
    page.click("#generate")
    page.wait_for_function("document.querySelector('#roll').getAttribute('aria-label').includes('over Dm7 G7')")
    assert "over Dm7 G7 Cmaj7 A7" in roll_label(page)
    plain = page.eval_on_selector("#roll", "c => c.toDataURL()")
    page.click("#examples")  # two held-out POP909 windows, each read with its own chords
    page.wait_for_function("document.querySelector('#name-b').textContent.includes('example')")
    page.click("#interpolate")
    page.wait_for_function("document.querySelector('#title').textContent.includes(' to ')")
    idle(page)
    assert "over Dm7 G7 Cmaj7 A7" in roll_label(page)  # A's melody re-harmonised onto the typed chords
    assert page.eval_on_selector("#roll", "c => c.toDataURL()") != plain
    keep(page, "studio_chords.png")

    page.fill("#chords", "C Xyz")
    page.click("#generate")
    page.wait_for_function("document.querySelector('#error-generate').textContent.length > 0")
    assert page.text_content("#error-generate").strip() == "unknown chord symbol 'Xyz'"
    assert len(page.console_errors) == 1 and "400 (Bad Request)" in page.console_errors[0]
    page.close()


def test_the_piano_roll_spans_its_bars_and_offers_no_chords(studio, browser):
    page = watched_page(browser)
    open_melody(page, studio, "piano_2bar")
    assert not page.is_visible("#chords-box") and page.input_value("#dataset") == "pop_piano"
    page.click("#generate")
    idle(page)
    width = page.eval_on_selector("#roll", "c => c.width")
    zoom = int(page.input_value("#zoom"))
    assert width == 32 * zoom + 1  # two bars of 16 steps, not one step a note token
    label = roll_label(page)
    notes = int(label.split(": ")[1].split(" notes")[0])
    assert notes >= 8 and "over 2 bar(s)" in label  # a piano texture: many notes, all on the roll
    assert page.console_errors == []
    page.close()
