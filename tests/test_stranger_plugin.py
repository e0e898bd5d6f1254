"""A stranger's plugin, ``examples/vaekit-vectors`` installed with pip and found through its entry point,
gets the whole of vaekit with no change to the core: the CLI verbs, the studio's HTTP API, and its own
page through the ``register_web`` hook that the built-in plugins use (drawn in Chromium where one is
installed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request

import pytest

from .test_server import serving
from .test_studio_pages import ARGS, CHROMIUM


def vaekit(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run([sys.executable, "-m", "vaekit", *args], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A tiny vectors run, trained through the CLI, served by ``vaekit serve`` on a free port."""
    pytest.importorskip("fastapi")
    tmp = tmp_path_factory.mktemp("stranger")
    env = {**os.environ, "VAEKIT_CACHE": str(tmp / "cache"), "OMP_NUM_THREADS": "1"}
    env.pop("VAEKIT_LOAD_PLUGINS", None)
    vaekit("train", "--modality", "vectors", "--steps", "4", "--set", "data.items=200", "--out", str(tmp / "waves"),
           "--no-progress", env=env)
    with serving([str(tmp / "waves")], env, tmp / "serve.log") as url:
        yield url, tmp, env


def test_the_cli_verbs_work(served):
    _, tmp, env = served
    said = vaekit("generate", str(tmp / "waves"), "-n", "3", "--out", str(tmp / "samples"), env=env)
    assert sorted(p.name for p in (tmp / "samples").iterdir()) == [f"sample_{i:03d}.csv" for i in range(3)], said
    vaekit("reconstruct", str(tmp / "waves"), str(tmp / "samples" / "sample_000.csv"), "--out", str(tmp / "recon"),
           env=env)
    assert len((tmp / "recon" / "sample_000_recon.csv").read_text().split(",")) == 32


def test_the_http_api_and_the_page(served):
    url, _, _ = served
    models = json.loads(urllib.request.urlopen(url + "api/models").read())
    assert [(m["modality"], m["page"]) for m in models] == [("vectors", "/web/vectors/")]
    page = urllib.request.urlopen(url + "web/vectors/").read().decode()
    assert "vaekit studio: vectors" in page and "vectors.js" in page
    body = b"--b\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\nwaves\r\n--b--\r\n"
    request = urllib.request.Request(url + "api/generate", data=body,
                                     headers={"Content-Type": "multipart/form-data; boundary=b"})
    items = json.loads(urllib.request.urlopen(request).read())["items"]
    assert len(items) == 8 and all(len(item["values"]) == 32 for item in items)


def test_the_page_draws_samples_in_chromium(served):
    if not CHROMIUM.exists():
        if os.environ.get("VAEKIT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"VAEKIT_REQUIRE_BROWSER=1 but there is no browser at {CHROMIUM}")
        pytest.skip(f"no browser at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    url, _, _ = served
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(url + "web/vectors/")
        page.wait_for_function("document.querySelectorAll('polyline.curve').length === 8", timeout=60_000)
        first = page.locator("polyline.curve").first.get_attribute("points")
        page.fill("#seed", "1")
        page.click("#generate")
        page.wait_for_function(f"document.querySelector('polyline.curve').getAttribute('points') !== {first!r}",
                               timeout=60_000)
        if os.environ.get("VAEKIT_SCREENSHOTS"):
            page.screenshot(path=os.path.join(os.environ["VAEKIT_SCREENSHOTS"], "studio-vectors.png"))
        browser.close()
    assert not errors, errors
