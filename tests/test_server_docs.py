"""The API docs work offline: /docs (Swagger UI) and /redoc load their scripts and styles from the
server, which serves them from the fastapi-offline package, never from a CDN; and Swagger UI renders
the API in headless Chromium with every request off the machine refused."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("fastapi")

from .test_server import free_port, runs_folder, wait_for  # noqa: E402, F401

CHROMIUM = Path("/usr/bin/chromium")


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_their_assets_from_the_server(page):
    from fastapi.testclient import TestClient

    from vaekit.server.app import create_app

    with TestClient(create_app({})) as client:
        html = client.get(page).text
        assets = re.findall(r'(?:src|href)="([^"]+)"', html)
        assert assets and not re.search(r"https?://|//cdn|fonts\.googleapis", html)
        for url in assets:
            response = client.get(url)
            assert response.status_code == 200 and len(response.content) > 1000, url


def test_swagger_ui_renders_the_api_offline(runs_folder, tmp_path):  # noqa: F811
    try:
        from playwright import sync_api
    except ImportError:
        sync_api = None
    reason = (f"no browser at {CHROMIUM} (apt-get install -y chromium)" if not CHROMIUM.exists() else
              "playwright is not installed (pip install playwright)" if sync_api is None else None)
    if reason and os.environ.get("VAEKIT_REQUIRE_BROWSER") == "1":
        pytest.fail(f"VAEKIT_REQUIRE_BROWSER=1 but {reason}")
    if reason:
        pytest.skip(reason)
    port = free_port()
    env = {**os.environ, "VAEKIT_LOAD_PLUGINS": "vectors", "VAEKIT_CACHE": str(tmp_path / "cache")}
    server = subprocess.Popen([sys.executable, "-m", "vaekit", "serve", str(runs_folder / "waves"), "--port",
                               str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    local, refused = f"http://127.0.0.1:{port}/", []
    try:
        wait_for(local + "api/models")
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.route("**/*", lambda route: route.continue_() if route.request.url.startswith(local)
                       else (refused.append(route.request.url), route.abort()))
            page.goto(local + "docs")
            page.wait_for_selector(".swagger-ui .info .title", timeout=60_000)
            title = page.inner_text(".swagger-ui .info .title")
            paths = page.locator(".opblock-summary-path").all_inner_texts()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "vaekit studio" in title
    assert {"/api/generate", "/api/decode", "/api/interpolate"} <= {path.replace("\u200b", "") for path in paths}
    assert refused == []
