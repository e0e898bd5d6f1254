"""vaekit studio in a real browser: headless Chromium (Debian's ``chromium``) driven by Playwright,
against ``vaekit serve`` started as a user would, with the installed MIDI and image plugins and two tiny
runs. Skips, saying why, where no browser is installed, unless ``VAEKIT_REQUIRE_BROWSER=1`` (CI), which
makes that a failure. The screenshots in docs/ come from ``test_studio_pages.py``, which uses the shipped
models rather than these barely trained runs."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .test_server import serving
from .test_studio_pages import chromium, need_browser


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """``vaekit serve`` on a free port with a tiny melody run and a tiny 2-D image run; its URL."""
    need_browser()
    import pretty_midi

    tmp = tmp_path_factory.mktemp("studio")
    env = {**os.environ, "VAEKIT_CACHE": str(tmp / "cache")}
    env.pop("VAEKIT_LOAD_PLUGINS", None)
    (tmp / "songs").mkdir()
    for i in range(4):  # slow low tunes and quick high ones, so that an interpolation moves
        song = pretty_midi.PrettyMIDI()
        melody = pretty_midi.Instrument(0)
        melody.notes = ([pretty_midi.Note(90, 72 + k * 5 % 12, k / 4, k / 4 + 0.125) for k in range(48)] if i % 2 else
                        [pretty_midi.Note(90, 48 + k * 3 % 7, k, k + 0.9) for k in range(12)])
        song.instruments.append(melody)
        song.write(str(tmp / "songs" / f"song{i}.mid"))
    small = ["model.encoder_hidden=16", "model.decoder_hidden=32", "model.latent_dim=8", "model.embed=8",
             "train.batch_size=8", "train.eval_every=10"]
    # two steps leave the melody decoder near its random start, where it plays many notes, not silence
    for args in (["-m", "midi", "--data", str(tmp / "songs"), "--steps", "2", *(f"--set={s}" for s in small),
                  "--out", str(tmp / "runs" / "melody")],
                 ["-m", "image", "-p", "conv2d", "--steps", "30", "--set=model.widths=[8, 8]", "--set=model.hidden=16",
                  "--out", str(tmp / "runs" / "digits")]):
        subprocess.run([sys.executable, "-m", "vaekit", "train", *args, "--no-progress"], env=env, check=True,
                       capture_output=True)
    with serving(["--runs", str(tmp / "runs")], env, tmp / "serve.log") as url:
        yield url, tmp


@pytest.fixture(scope="module")
def browser(studio):
    yield from chromium()


def open_page(browser):
    """A page that waits up to 2 minutes for what it expects: on 2 busy cores a model call can take long."""
    page = browser.new_page(viewport={"width": 1100, "height": 1000})
    page.set_default_timeout(120_000)
    return page


def canvas(page, selector: str) -> str:
    return page.eval_on_selector(selector, "c => c.toDataURL()")


def test_melody_page_interpolates_plays_and_downloads(studio, browser):
    import pretty_midi

    url, tmp = studio
    page = open_page(browser)
    page.goto(url + "web/midi/")
    page.wait_for_selector("#model option[value=melody]", state="attached")
    page.select_option("#model", "melody")  # the tiny run, not a shipped model listed before it
    for side, song in (("a", "song0.mid"), ("b", "song1.mid")):  # each read, its bars offered, before use
        page.set_input_files(f"#file-{side}", str(tmp / "songs" / song))
        page.wait_for_function(f"document.querySelector('#name-{side}').textContent.includes('{song}')")
    page.fill("#steps", "5")
    page.click("#interpolate")
    page.wait_for_function("document.querySelector('#title').textContent.includes('5 item(s)')")
    first = canvas(page, "#roll")
    page.focus("#slider")
    page.keyboard.press("End")
    assert page.text_content("#position").startswith("B: song1.mid")
    assert canvas(page, "#roll") != first
    page.click("#play-path")  # the Web Audio synthesizer schedules every note without an error
    assert page.text_content("#status") == "playing"
    with page.expect_download() as download:
        page.click("#download-path")
    midi = pretty_midi.PrettyMIDI(download.value.path())
    assert sum(len(i.notes) for i in midi.instruments) > 0


def test_image_page_latent_map_decodes_the_points_clicked(studio, browser):
    url, tmp = studio
    page = open_page(browser)
    page.goto(url + "web/image/")
    page.wait_for_selector("#model option[value=digits]", state="attached")
    page.select_option("#model", "digits")
    page.click("#generate")
    page.wait_for_selector("#samples canvas")
    page.wait_for_function("document.querySelector('#plane-note').textContent.includes('2-D latent')")
    decoded = [("", "")]
    for x, y in ((40, 40), (280, 280)):
        page.click("#map", position={"x": x, "y": y})
        page.wait_for_function("before => (document.querySelector('#decoded').dataset.z || '') !== before",
                               arg=decoded[-1][0])
        decoded.append((page.eval_on_selector("#decoded", "c => c.dataset.z"), canvas(page, "#decoded")))
    decoded = decoded[1:]
    assert decoded[0][0] != decoded[1][0] and decoded[0][1] != decoded[1][1]
