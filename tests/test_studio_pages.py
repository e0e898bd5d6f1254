"""The studio's pages as a musician uses them, in headless Chromium (Debian's ``chromium``, driven by
Playwright) against ``vaekit serve mel_2bar mel_16bar conv``: the shipped models, not barely trained runs.

- a musician's path: two songs uploaded (made here with pretty_midi), bars picked over each whole song,
  an interpolation whose ends are labelled, played (the playhead moves), scrubbed, downloaded and
  dragged (DownloadURL set), four melodies blended on the pad;
- errors beside the control that caused them, announced, the stale result cleared; a model switched
  during a request never shows the other model's answer;
- keyboard-only use: Tab reaches every control, Enter and the arrow keys drive them;
- the image page: samples, the latent map from the keyboard, temperature hidden where it does nothing.

``VAEKIT_SCREENSHOTS=docs`` keeps ``studio-melody.png`` and ``studio-image.png`` there. Skips, saying
why, where no browser is installed, unless ``VAEKIT_REQUIRE_BROWSER=1``."""

from __future__ import annotations

import os
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .test_server import serving

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]


def _missing() -> str | None:
    for module in ("playwright", "fastapi", "vaekit_midi", "vaekit_image", "pretty_midi"):
        try:
            __import__(module)
        except ImportError:
            return f"{module} is not installed (pip install playwright and the serve extra)"
    if not CHROMIUM.exists():
        return f"no browser at {CHROMIUM} (apt-get install -y chromium)"
    return None


def _song(path: Path, seed: int, bars: int = 20) -> None:
    """A melody of ``bars`` bars of 4/4 at 120 bpm, a random walk on a major scale, so that every window
    differs: quick eighths in pairs of one pitch (repeated notes) for odd seeds, slow quarters else."""
    import random

    import pretty_midi

    rng = random.Random(seed)
    song = pretty_midi.PrettyMIDI(initial_tempo=120)
    melody = pretty_midi.Instrument(0, name="melody")
    scale = [0, 2, 4, 5, 7, 9, 11]
    degree = 7
    quick = seed % 2 == 1
    for bar in range(bars):
        for k in range(8 if quick else 4):
            if not quick or k % 2 == 0:
                degree = max(0, min(13, degree + rng.choice([-2, -1, 1, 2])))
            pitch = (64 if quick else 52) + 12 * (degree // 7) + scale[degree % 7]
            start = bar * 2 + k * (0.25 if quick else 0.5)
            melody.notes.append(pretty_midi.Note(90, pitch, start, start + (0.2 if quick else 0.45)))
    song.instruments.append(melody)
    song.write(str(path))


def need_browser() -> None:
    """Skip, saying why, where no browser can run; fail instead under ``VAEKIT_REQUIRE_BROWSER=1`` (CI)."""
    reason = _missing()
    if reason and os.environ.get("VAEKIT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"VAEKIT_REQUIRE_BROWSER=1 but {reason}")
    if reason:
        pytest.skip(reason)


def chromium() -> Iterator[Any]:
    """Headless Chromium from Debian's package, for a module's ``browser`` fixture."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    """``vaekit serve mel_2bar mel_16bar conv`` on a free port; its URL and a folder of songs."""
    need_browser()
    tmp = tmp_path_factory.mktemp("pages")
    for i in range(4):
        _song(tmp / f"song{i}.mid", i)
    (tmp / "bad.mid").write_bytes(b"this is not a MIDI file")
    env = {**os.environ, "VAEKIT_CACHE": str(tmp / "cache"), "OMP_NUM_THREADS": "1"}
    env.pop("VAEKIT_LOAD_PLUGINS", None)
    with serving(["mel_2bar", "mel_16bar", "conv"], env, tmp / "serve.log") as url:
        yield url, tmp


@pytest.fixture(scope="module")
def browser(studio):
    yield from chromium()


def watched_page(browser) -> Any:
    """A page that waits up to a minute for what it expects (2 busy cores); ``page.console_errors`` collects
    the console's errors and the script errors."""
    page = browser.new_page(viewport={"width": 1200, "height": 1000}, accept_downloads=True)
    page.set_default_timeout(60_000)
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.console_errors.append(str(e)))
    return page


@pytest.fixture
def page(browser):
    """A watched page that fails its test on a script error."""
    page = watched_page(browser)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    yield page
    page.close()
    assert not errors, errors


def keep(page, name: str) -> None:
    folder = os.environ.get("VAEKIT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=True)


def open_melody(page, url: str, model: str) -> None:
    page.goto(url + "web/midi/")
    page.wait_for_selector(f"#model option[value={model}]", state="attached")
    page.select_option("#model", model)
    page.wait_for_function(f"document.querySelector('#status').textContent === 'model {model}'")


def choose_song(page, side: str, path: Path) -> None:
    before = page.text_content(f"#name-{side}")
    page.set_input_files(f"#file-{side}", str(path))
    page.wait_for_function(f"(b) => document.querySelector('#name-{side}').textContent !== b "
                           f"&& document.querySelector('#name-{side}').textContent.includes('{path.name}')", arg=before)


def idle(page) -> None:
    page.wait_for_function("document.querySelector('main').getAttribute('aria-busy') === 'false'")


def drag_data(page, selector: str) -> dict:
    """What a drag of ``selector`` carries: the dragstart handler's DataTransfer."""
    return page.eval_on_selector(selector, """a => {
        const data = new DataTransfer();
        a.dispatchEvent(new DragEvent('dragstart', {dataTransfer: data, bubbles: true, cancelable: true}));
        return {download: data.getData('DownloadURL'), uri: data.getData('text/uri-list')};
    }""")


def test_musician_path(studio, page):
    import pretty_midi

    url, tmp = studio
    open_melody(page, url, "mel_2bar")
    choose_song(page, "a", tmp / "song0.mid")
    assert page.input_value("#file-a") == ""  # read, then cleared: the label says what is in use
    windows = page.eval_on_selector("#bars-a", "s => s.options.length")
    assert windows >= 15  # a 20-bar song, a 2-bar window starting at every bar
    page.select_option("#bars-a", "4")
    assert "bars 5–6" in page.text_content("#name-a")
    choose_song(page, "b", tmp / "song1.mid")
    bar_px = page.eval_on_selector("#song-roll-b", "c => c.dataset.px * c.dataset.bar")
    page.click("#song-roll-b", position={"x": bar_px * 2.5, "y": 20})  # the picker over the whole song: click bar 3
    assert "bars 3–4" in page.text_content("#name-b")
    b_bars = "bars 3–4"
    page.fill("#steps", "6")
    page.click("#interpolate")
    page.wait_for_function("document.querySelector('#title').textContent.includes('6 item(s)')")
    assert page.text_content("#position").startswith("A: song0.mid, bars 5–6")
    assert f"used A bars 5–6 of song0.mid and B {b_bars} of song1.mid" in page.text_content("#status")
    assert page.get_attribute("#roll", "aria-label").startswith("A: song0.mid")
    first = page.eval_on_selector("#roll", "c => c.toDataURL()")
    page.focus("#slider")
    page.keyboard.press("End")  # scrub
    assert page.text_content("#position").startswith("B: song1.mid")
    assert page.eval_on_selector("#roll", "c => c.toDataURL()") != first
    page.keyboard.press("ArrowLeft")
    assert page.text_content("#position").startswith("step 4 of 5")
    page.click("#play-step")
    page.wait_for_function("Number(document.querySelector('#roll').dataset.playhead || 0) > 2")  # the playhead moves
    page.click("#stop")
    with page.expect_download() as download:
        page.click("#download-step")
    midi = pretty_midi.PrettyMIDI(download.value.path())
    assert sum(len(i.notes) for i in midi.instruments) > 0
    drag = drag_data(page, "#download-step")
    assert drag["download"].startswith("audio/midi:mel_2bar-interpolation-4.mid:blob:"), drag
    with page.expect_download() as download:
        page.click("#download-path")
    assert len(pretty_midi.PrettyMIDI(download.value.path()).instruments[0].notes) > 0

    assert "the result on screen" in page.text_content("#transform-source")  # what the sliders move

    # blend four melodies: the corners from the result's steps and the two songs
    for k, source in enumerate(["a", "b", "result-2", "result-3"]):
        page.select_option(f"#corner-{k}", source)
    page.click("#load-corners")
    page.wait_for_function("document.querySelector('#blend-roll').getAttribute('aria-label').startsWith('blend of')")
    centre = page.get_attribute("#blend-roll", "aria-label")
    assert "25% top left" in centre
    page.focus("#pad")
    for _ in range(10):
        page.keyboard.press("ArrowLeft")
        page.keyboard.press("ArrowUp")
    page.wait_for_function("document.querySelector('#blend-mix').textContent.includes('100% top left')")
    box = page.locator("#pad").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.5, box["y"] + box["height"] * 0.5)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * 0.9, steps=4)
    page.mouse.up()
    page.wait_for_function("document.querySelector('#blend-mix').textContent.includes('81% bottom right')")
    idle(page)
    assert drag_data(page, "#blend-keep")["download"].startswith("audio/midi:mel_2bar-blend-90-90.mid:blob:")
    with page.expect_download() as download:
        page.click("#blend-keep")
    assert sum(len(i.notes) for i in pretty_midi.PrettyMIDI(download.value.path()).instruments) > 0
    page.locator("#result").scroll_into_view_if_needed()
    page.focus("#slider")
    page.keyboard.press("Home")
    keep(page, "studio-melody.png")


def test_errors_sit_beside_their_control_and_clear_the_stale_result(studio, page):
    url, tmp = studio
    open_melody(page, url, "mel_2bar")
    page.click("#interpolate")  # no songs yet
    assert "choose songs A and B" in page.text_content("#error-interpolate")
    choose_song(page, "a", tmp / "song0.mid")
    assert page.text_content("#error-interpolate") == ""
    page.set_input_files("#file-b", str(tmp / "bad.mid"))
    page.wait_for_function("document.querySelector('#error-b').textContent.includes('bad.mid')")
    assert "not a MIDI file" in page.text_content("#error-b")
    assert page.get_attribute("#error-b", "aria-live") == "assertive"
    assert "/tmp" not in page.text_content("#error-b")
    choose_song(page, "b", tmp / "song1.mid")
    page.select_option("#bars-a", "3")
    choose_song(page, "a", tmp / "song2.mid")  # one state: the song named is the song used,
    choose_song(page, "a", tmp / "song0.mid")  # and choosing the same file again reads it again
    page.wait_for_function("document.querySelector('#name-a').textContent.includes('A: song0.mid, bars 1–2')")
    page.click("#interpolate")
    page.wait_for_function("document.querySelector('#title').textContent.includes('8 item(s)')")
    assert page.text_content("#title").startswith("song0.mid (bars 1–2) to song1.mid")
    page.fill("#steps", "1")  # the server refuses it: the error shows beside the button, the result goes
    page.click("#interpolate")
    page.wait_for_function("document.querySelector('#error-interpolate').textContent !== ''")
    page.wait_for_function("document.querySelector('#title').textContent === 'Result'")
    assert page.eval_on_selector_all("#strip button", "b => b.length") == 0
    assert page.get_attribute("#download-step", "aria-disabled") == "true"
    assert page.is_disabled("#play-path")
    assert page.text_content("#error-generate") == ""

    # busy: the buttons are disabled during a request, so a double click sends one
    page.fill("#steps", "4")
    page.click("#interpolate")
    assert page.is_disabled("#interpolate") and page.is_disabled("#generate")
    idle(page)
    assert page.text_content("#title").endswith("4 item(s)")

    # a model switched during a request: its answer is dropped, never shown under the other model's name
    open_melody(page, url, "mel_16bar")
    choose_song(page, "a", tmp / "song0.mid")
    choose_song(page, "b", tmp / "song1.mid")
    page.wait_for_function("document.querySelector('#name-a').textContent.includes('bars 1–16')")
    page.click("#interpolate")
    page.select_option("#model", "mel_2bar")
    page.wait_for_function("document.querySelector('#status').textContent === 'model mel_2bar'")
    # the songs, read again as mel_2bar reads them
    page.wait_for_function("document.querySelector('#name-a').textContent.includes('bars 1–2')")
    time.sleep(4)  # long enough for mel_16bar to have answered
    assert page.text_content("#title") == "Result"


def tab_to(page, element_id: str, limit: int = 120) -> None:
    """Press Tab until ``element_id`` has the focus (fails if Tab never reaches it)."""
    for _ in range(limit):
        if page.evaluate("document.activeElement && document.activeElement.id") == element_id:
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached #{element_id}")


def test_keyboard_only(studio, page):
    url, tmp = studio
    open_melody(page, url, "mel_2bar")
    page.set_input_files("#file-a", str(tmp / "song2.mid"))  # the file dialog is the system's, not the page's
    page.wait_for_function("document.querySelector('#name-a').textContent.includes('song2.mid')")
    page.set_input_files("#file-b", str(tmp / "song3.mid"))
    page.wait_for_function("document.querySelector('#name-b').textContent.includes('song3.mid')")
    page.focus("#model")
    tab_to(page, "bars-a")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    assert "bars 3–4" in page.text_content("#name-a")
    tab_to(page, "interpolate")
    page.keyboard.press("Enter")
    page.wait_for_function("document.querySelector('#title').textContent.includes('8 item(s)')")
    tab_to(page, "temperature")
    page.keyboard.press("ArrowLeft")
    assert page.text_content("#temperature-value") == "0.95"
    tab_to(page, "spread")
    page.keyboard.press("ArrowRight")
    tab_to(page, "slider")
    page.keyboard.press("ArrowRight")
    assert page.text_content("#position").startswith("step 1 of 7")
    tab_to(page, "play-step")
    page.keyboard.press("Enter")
    page.wait_for_function("Number(document.querySelector('#roll').dataset.playhead || 0) > 1")
    tab_to(page, "stop")
    page.keyboard.press("Enter")
    tab_to(page, "download-step")
    with page.expect_download():
        page.keyboard.press("Enter")
    tab_to(page, "attribute-density")  # the attribute sliders move the step on screen, by the amount shown
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('#title').textContent.startsWith('density +0.5')")
    assert page.text_content("#attribute-density-value") == "+0.5"
    assert "step 1 of 7 from A to B" in page.text_content("#transform-source")
    assert page.text_content("#position").startswith("density +0.5 (2 of 2)")
    tab_to(page, "load-corners")
    page.keyboard.press("Enter")
    page.wait_for_function("document.activeElement.id === 'pad'")
    page.wait_for_function("document.querySelector('#blend-mix').textContent.includes('25% top left')")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('#pad').getAttribute('aria-valuetext').includes('28% top right')")


def test_image_page(studio, page):
    url, tmp = studio
    page.goto(url + "web/image/")
    page.wait_for_selector("#model option[value=conv]", state="attached")
    page.select_option("#model", "conv")
    page.wait_for_function("document.querySelector('#plane-note').textContent.includes('posterior means')")
    assert not page.is_visible("#temperature")  # a Bernoulli decoder shows pixel probabilities: no temperature
    assert "temperature" in page.text_content("#generate-note")
    page.click("#generate")
    page.wait_for_selector("#samples canvas")
    assert page.get_attribute("#samples canvas", "role") == "img"
    for k in (0, 2):  # two of the samples as PNG files, to reconstruct and interpolate
        with urllib.request.urlopen(urllib.request.Request(
                url + f"api/generate?format=png&item={k}", data=b"model=conv&count=16&seed=0", method="POST")) as r:
            (tmp / f"digit{k}.png").write_bytes(r.read())
    page.set_input_files("#recon-files", [str(tmp / "digit0.png"), str(tmp / "digit2.png")])
    page.wait_for_selector("#reconstructions canvas")
    page.set_input_files("#file-a", str(tmp / "digit0.png"))
    page.set_input_files("#file-b", str(tmp / "digit2.png"))
    page.click("#interpolate")
    page.wait_for_function("document.querySelector('#position').textContent.startsWith('A (0 of 9)')")
    page.focus("#slider")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert page.text_content("#position").startswith("step 3")
    page.focus("#map")
    page.keyboard.press("ArrowRight")
    page.wait_for_function("document.querySelector('#decoded').dataset.z")
    z = page.eval_on_selector("#decoded", "c => c.dataset.z")
    page.keyboard.press("ArrowUp")
    page.wait_for_function("z => document.querySelector('#decoded').dataset.z !== z", arg=z)
    keep(page, "studio-image.png")


def test_home_page(studio, page):
    url, _ = studio
    page.goto(url)
    page.wait_for_selector("#figures table td")
    cells = page.eval_on_selector_all("#figures td.number", "c => c.map((x) => x.textContent)")
    assert cells and all(len(c.replace("-", "").replace(".", "").lstrip("0")) <= 3 for c in cells), cells
    assert page.eval_on_selector("#config-box", "d => d.tagName") == "DETAILS"
    page.wait_for_function("(document.querySelector('#curves').getAttribute('aria-label') || '').includes('step')")
    for address in ("", "web/midi/", "web/image/"):  # nothing from a CDN: every script and sheet is the server's
        page.goto(url + address)  # (or inline: the empty data: icon that spares a request for /favicon.ico)
        outside = page.eval_on_selector_all("script[src], link[href], img[src]", """els => els
            .map((e) => e.src || e.href).filter((u) => !u.startsWith(location.origin) && u !== "data:,")""")
        assert not outside, (address, outside)
