"""Starting the server: collect the models, build the app, run uvicorn until Ctrl-C."""

from __future__ import annotations

import ipaddress
import threading
import webbrowser
from pathlib import Path

import click
import uvicorn

from vaekit.server.app import create_app
from vaekit.server.models import collect

GRACE_S = 1


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def serve(given: list[str], runs_dir: Path | None, host: str, port: int, open_browser: bool) -> None:
    models = collect(given, runs_dir)
    app = create_app(models)
    url = f"http://{host}:{port}/"
    if not is_loopback(host):
        click.echo(f"warning: binding {host}, not 127.0.0.1: anyone who can reach this machine can use the "
                   "models (the API has no authentication)", err=True)
    click.echo(f"vaekit studio: {len(models)} model(s) ({', '.join(models) or 'none'})")
    click.echo(f"serving on {url} (Ctrl-C stops)")
    if open_browser:
        opener = threading.Timer(1.0, webbrowser.open, [url])
        opener.daemon = True
        opener.start()
    # One Ctrl-C stops: uvicorn gives calls in flight GRACE_S seconds, then cancels them; a verb still
    # running is on its model's daemon thread (``Served.run``), which does not hold the process.
    uvicorn.run(app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=GRACE_S)
    click.echo("stopped")
