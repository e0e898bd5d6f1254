"""vaekit serve's HTTP API through FastAPI's test client, against the in-process example ``vectors``
modality: every route, the bad inputs, and concurrent calls."""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("fastapi")

import vaekit  # noqa: E402
from vaekit.server.app import create_app  # noqa: E402
from vaekit.server.models import CALLS, collect  # noqa: E402

from .conftest import isolate, register_vectors  # noqa: E402


@pytest.fixture(scope="module")
def runs_folder(tmp_path_factory):
    """A folder holding one tiny trained run, ``waves`` (2-D latent)."""
    tmp = tmp_path_factory.mktemp("server")
    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, tmp / "cache")
        register_vectors()
        vaekit.train("vectors", "mlp", overrides=["data.items=200", "model.latent_dim=2"], steps=4,
                     out=tmp / "runs" / "waves", progress=False)
    return tmp / "runs"


@pytest.fixture(scope="module")
def client(runs_folder):
    from fastapi.testclient import TestClient


    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, runs_folder.parent / "cache")
        register_vectors()  # with its page, through register_web
        with TestClient(create_app(collect([], runs_folder), max_upload=4096)) as c:
            yield c


def rows(*rows) -> bytes:
    return "\n".join(",".join(f"{v:.4f}" for v in row) for row in rows).encode()


WAVE_A = rows(np.sin(np.linspace(0, 6, 32)))
WAVE_B = rows(np.cos(np.linspace(0, 3, 32)))


def one_line(response, status: int) -> str:
    assert response.status_code == status, response.text
    detail = response.json()["detail"]
    assert isinstance(detail, str) and "\n" not in detail
    return detail


def interpolate(client, a=("a.csv", WAVE_A), b=("b.csv", WAVE_B), model="waves", steps=4, **params):
    return client.post("/api/interpolate", data={"model": model, "steps": steps}, files={"a": a, "b": b},
                       params=params)


def test_models_lists_the_runs_found(client):
    [model] = client.get("/api/models").json()
    assert model["name"] == "waves" and model["modality"] == "vectors" and model["preset"] == "mlp"
    assert model["attributes"] == [] and model["latent_dim"] == 2 and model["page"] == "/web/vectors/"
    info = client.get("/api/models/waves").json()
    assert info["config"]["train"]["steps"] == 4 and info["last_validation"]["split"] == "val"
    assert [r["step"] for r in client.get("/api/models/waves/metrics").json()][-1] == 4
    assert client.get("/api/models/waves/metrics", params={"since": 100}).json() == []
    assert "no model" in one_line(client.get("/api/models/nope/metrics"), 404)


def test_pages_and_openapi(client):
    assert "vaekit studio" in client.get("/").text
    assert "vaekit studio: vectors" in client.get("/web/vectors/").text
    assert "/api/interpolate" in client.get("/openapi.json").json()["paths"]


def test_interpolate_as_json_and_as_a_file(client):
    items = interpolate(client).json()["items"]
    assert len(items) == 4 and all(len(item["values"]) == 32 for item in items)
    assert items[0]["values"] != items[-1]["values"]
    one = interpolate(client, format="csv", item=2)
    assert one.status_code == 200 and "step" not in one.headers["content-disposition"]
    assert np.allclose(np.loadtxt(io.StringIO(one.text), delimiter=","), items[2]["values"], atol=1e-4)
    assert "several files" in one_line(interpolate(client, format="csv"), 400)
    assert "writes json or csv" in one_line(interpolate(client, format="png"), 400)
    assert "out of range" in one_line(interpolate(client, format="csv", item=9), 400)


def test_generate_is_seeded(client):
    def generate(seed, **spread):
        return client.post("/api/generate", data={"model": "waves", "count": 3, "temperature": 0.5, "seed": seed,
                                                  **spread})

    first, again, other = generate(1).json(), generate(1).json(), generate(2).json()
    assert len(first["items"]) == 3 and first == again and first != other
    assert generate(1, spread=1.0).json() == first  # the model's own spread, 1 here
    assert generate(1, spread=0.0).json() != first
    assert one_line(generate(1, spread=-1), 400) == "spread: must be a finite number in 0..10, got '-1'"
    assert one_line(client.post("/api/generate", data={"model": "waves", "count": 0}), 400) == (
        "count: must be an integer in 1..64, got '0'")


def test_reconstruct_encode_decode(client):
    files = [("files", ("a.csv", WAVE_A)), ("files", ("b.csv", WAVE_B))]
    recon = client.post("/api/reconstruct", data={"model": "waves"}, files=files).json()["items"]
    assert len(recon) == 2 and len(recon[0]["input"]) == 32
    encoded = client.post("/api/encode", data={"model": "waves"}, files=files).json()
    assert encoded["names"] == ["a.csv", "b.csv"] and np.array(encoded["z"]).shape == (2, 2)
    decoded = client.post("/api/decode", json={"model": "waves", "z": encoded["z"]}).json()["items"]
    assert np.allclose([d["values"] for d in decoded], [r["values"] for r in recon], atol=1e-5)
    assert "rows of 2" in one_line(client.post("/api/decode", json={"model": "waves", "z": [[1, 2, 3]]}), 400)
    assert "equal length" in one_line(client.post("/api/decode", json={"model": "waves", "z": [[1], [1, 2]]}), 400)


@pytest.mark.parametrize("field, value", [
    ("temperature", "-1"), ("temperature", "nan"), ("temperature", "inf"), ("temperature", "1e6"),
    ("spread", "1e30"), ("spread", "inf"), ("seed", str(2**63)), ("seed", "-1"), ("count", "1.5"), ("count", "x"),
])  # fmt: skip
def test_numbers_out_of_their_declared_range_are_400_naming_the_field(client, field, value):
    data = {"model": "waves", field: value}
    assert one_line(client.post("/api/generate", data=data), 400).startswith(f"{field}: must be ")


@pytest.mark.parametrize("body, says", [
    ({"z": [[3e38, 0]]}, "z[0][0]: must be a finite number in -100..100"),
    ({"z": [[0, 0]], "seed": 2**64}, "seed: must be an integer in 0..9223372036854775807"),
    ({"z": [[0, 0]], "temperature": -0.5}, "temperature: must be a finite number in 0..10"),
    ({"z": []}, "z: list should have at least 1 item"),
    ({"z": "zz"}, "z: input should be a valid list"),
    ({"model": "waves"}, "z: field required"),
])  # fmt: skip
def test_decode_checks_its_body(client, body, says):
    assert one_line(client.post("/api/decode", json={"model": "waves", **body}), 400).startswith(says)


def test_a_bug_is_one_line_not_a_bare_500(runs_folder, monkeypatch, tmp_path):
    from fastapi.testclient import TestClient

    from vaekit.pipeline import Pipeline

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(Pipeline, "generate", broken)
    isolate(monkeypatch, tmp_path / "cache")
    register_vectors()
    with TestClient(create_app(collect([], runs_folder)), raise_server_exceptions=False) as c:
        response = c.post("/api/generate", data={"model": "waves"})
    assert one_line(response, 500) == "internal error (a bug in vaekit): ZeroDivisionError: division by zero"


def test_plane_of_a_2d_model_is_its_latent(client):
    plane = client.get("/api/models/waves/plane").json()
    assert plane["axes"] == [[1.0, 0.0], [0.0, 1.0]] and plane["origin"] == [0.0, 0.0]


def test_the_routes_verbs_are_pipeline_verbs(runs_folder, monkeypatch, tmp_path):
    import torch

    isolate(monkeypatch, tmp_path / "cache")
    register_vectors()
    p = vaekit.load(runs_folder / "waves")
    assert p.plane()["axes"] == [[1.0, 0.0], [0.0, 1.0]]
    files = p.examples("waves", 3, tmp_path / "examples")
    assert [f.name for f in files] == ["waves_000.csv", "waves_001.csv", "waves_002.csv"] and p.written == files
    z = [[0.5, -0.5], [1.0, 2.0]]
    assert torch.equal(p.decode(z, 1.0, seed=3), p.decode(z, 1.0, generator=torch.Generator().manual_seed(3)))
    with pytest.raises(vaekit.VaekitError, match="finite rows of 2 numbers"):
        p.decode([[float("nan"), 0.0]])
    with pytest.raises(vaekit.VaekitError, match="no attribute vector 'density'"):
        p.transform(files[0], "density")


def test_transform_needs_attribute_vectors(client):
    response = client.post("/api/transform", data={"model": "waves", "attribute": "density"},
                           files={"a": ("a.csv", WAVE_A)})
    assert "no attribute vector 'density'" in one_line(response, 400)


def test_examples_come_from_built_in_datasets(client):
    example = client.get("/api/example", params={"model": "waves", "dataset": "waves", "index": 1})
    assert example.status_code == 200 and len(example.text.split(",")) == 32
    assert "'nope'" in one_line(client.get("/api/example", params={"model": "waves", "dataset": "nope"}), 404)


@pytest.mark.parametrize("upload, says", [
    (("bad.csv", b"\x00\xff\x13garbage\x88"), "bad.csv: cannot read numbers"),
    (("empty.csv", b""), "empty.csv: empty file"),
    (("short.csv", b"1,2,3"), "short.csv: rows have 3 values, the run expects 32"),
    (("tune.mid", b"MThd"), "tune.mid: the vectors modality reads .csv, .npy"),
])  # fmt: skip
def test_a_bad_upload_is_one_line_and_the_server_keeps_serving(client, upload, says):
    detail = one_line(interpolate(client, a=upload), 400)
    assert detail.startswith(says) and "vaekit-serve-" not in detail
    assert interpolate(client).status_code == 200


def test_oversized_uploads_are_refused(client):
    big = rows(*[np.zeros(32)] * 200)
    assert len(big) > 4096
    assert "upload too large" in one_line(interpolate(client, a=("big.csv", big)), 413)


@pytest.mark.parametrize("name, status", [("nope", 404), ("../runs/waves", 400), ("/etc", 400), ("./waves", 400)])
def test_models_are_named_never_paths(client, name, status):
    assert "models are named: waves" in one_line(interpolate(client, model=name), status)
    assert "models are named: waves" in one_line(client.get("/api/example", params={"model": name, "dataset": "waves"}),
                                                 status)


def test_concurrent_calls_give_the_sequential_bytes(client):
    def call(seed):
        if seed % 2:
            return interpolate(client, steps=5).content
        return client.post("/api/generate", data={"model": "waves", "count": 4, "temperature": 1.0,
                                                  "seed": seed}).content

    sequential = [call(seed) for seed in range(8)]
    with ThreadPoolExecutor(CALLS) as pool:  # more would be refused (503) while the model is busy
        concurrent = list(pool.map(call, list(range(8)) * 3))
    assert concurrent == sequential * 3
    assert all(json.loads(c)["items"] for c in concurrent)



@pytest.fixture(scope="module")
def two_models(runs_folder):
    """A client of two different models, ``waves`` and ``ripples`` (3-D latent)."""
    from fastapi.testclient import TestClient

    with pytest.MonkeyPatch.context() as mp:
        isolate(mp, runs_folder.parent / "cache")
        register_vectors()
        ripples = runs_folder.parent / "more" / "ripples"
        vaekit.train("vectors", "mlp", overrides=["data.items=200", "model.latent_dim=3"], steps=4, out=ripples,
                     progress=False)
        with TestClient(create_app(collect([str(runs_folder / "waves"), str(ripples)], None))) as c:
            yield c


def test_two_models_at_once_give_what_each_gives_alone(two_models):
    def call(job):
        model, route, seed = job
        if route == "decode":
            z = [[0.1 * seed] * (2 if model == "waves" else 3)] * 4
            return two_models.post("/api/decode", json={"model": model, "z": z, "temperature": 1.0,
                                                        "seed": seed}).content
        return two_models.post("/api/generate", data={"model": model, "count": 64, "temperature": 1.0,
                                                      "seed": seed}).content

    jobs = [(model, route, seed) for seed in (0, 7) for route in ("generate", "decode")
            for model in ("waves", "ripples")]
    alone = [call(job) for job in jobs]
    assert len(set(alone)) == len(jobs) and all(json.loads(a)["items"] for a in alone)
    with ThreadPoolExecutor(CALLS) as pool:  # more would be refused (503) while the model is busy
        together = list(pool.map(call, jobs * 8))
    assert together == alone * 8


def test_a_busy_model_answers_503_and_the_rest_keep_answering(two_models, monkeypatch):
    import threading
    import time

    from vaekit.pipeline import Pipeline

    release, generate = threading.Event(), Pipeline.generate

    def slow(self, *args, **kwargs):
        if self.run_dir.name == "waves":
            release.wait(30)
        return generate(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "generate", slow)
    waves = two_models.app.state.models["waves"]

    def call(model):
        return two_models.post("/api/generate", data={"model": model, "count": 2})

    with ThreadPoolExecutor(CALLS) as pool:
        held = [pool.submit(call, "waves") for _ in range(CALLS)]
        deadline = time.monotonic() + 30
        while waves.admitted < CALLS and time.monotonic() < deadline:
            time.sleep(0.01)
        refused = call("waves")
        assert "'waves' is busy" in one_line(refused, 503) and int(refused.headers["retry-after"]) >= 1
        assert call("ripples").status_code == 200
        assert two_models.get("/").status_code == 200 and two_models.get("/api/models").status_code == 200
        release.set()
        assert [f.result().status_code for f in held] == [200] * CALLS
    assert waves.admitted == 0 and call("waves").status_code == 200


def test_a_call_that_waits_too_long_for_its_turn_is_503(two_models, monkeypatch):
    import threading

    from vaekit.pipeline import Pipeline
    from vaekit.server import models

    release, generate = threading.Event(), Pipeline.generate

    def slow(self, *args, **kwargs):
        release.wait(30)
        return generate(self, *args, **kwargs)

    monkeypatch.setattr(Pipeline, "generate", slow)
    monkeypatch.setattr(models, "WAIT_S", 0.2)
    waves = two_models.app.state.models["waves"]
    with ThreadPoolExecutor(1) as pool:
        running = pool.submit(two_models.post, "/api/generate", data={"model": "waves", "count": 2})
        while waves.admitted < 1:
            pass
        response = two_models.post("/api/generate", data={"model": "waves", "count": 2})
        release.set()
        assert running.result().status_code == 200
    assert "'waves' is still busy after 0.2 s" in one_line(response, 503)
    assert waves.admitted == 0


def test_a_call_abandoned_before_its_turn_never_runs(runs_folder):
    import asyncio
    import threading

    from vaekit.server.models import Served

    model, release, ran = Served("waves", runs_folder / "waves", pipeline="opened"), threading.Event(), []

    async def scenario():
        first = asyncio.ensure_future(model.run(lambda p: release.wait(30)))
        second = asyncio.ensure_future(model.run(lambda p: ran.append("second")))
        await asyncio.sleep(0.2)
        second.cancel()  # the caller went away while the first call ran
        with pytest.raises(Exception, match="server is stopping"):
            await second
        release.set()
        assert await first
        assert await model.run(lambda p: "third") == "third"

    asyncio.run(scenario())
    assert ran == [] and model.admitted == 0


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serving(args: list[str], env: dict[str, str], log: Path) -> Iterator[str]:
    """``vaekit serve ARGS`` on a free port, its output in ``log``: its URL while the block runs."""
    port = free_port()
    with open(log, "w") as out:
        server = subprocess.Popen([sys.executable, "-m", "vaekit", "serve", *args, "--port", str(port)], env=env,
                                  stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}/"
            try:
                wait_for(url + "api/models")
            except OSError:
                raise RuntimeError(f"vaekit serve did not start: {log.read_text()}") from None
            yield url
        finally:
            server.terminate()
            server.wait(timeout=30)


def wait_for(url: str, seconds: float = 60) -> str:
    """``url`` once a server answers it (``vaekit serve`` prints its address just before listening)."""
    import time
    import urllib.error
    import urllib.request

    deadline = time.monotonic() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).close()
            return url
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_vaekit_serve_prints_its_address_and_stops_on_ctrl_c(runs_folder, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import urllib.request

    port = free_port()
    env = {**os.environ, "VAEKIT_LOAD_PLUGINS": "vectors", "VAEKIT_CACHE": str(tmp_path / "cache")}
    server = subprocess.Popen([sys.executable, "-m", "vaekit", "serve", str(runs_folder / "waves"), "--port",
                               str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        assert server.stdout.readline().startswith("vaekit studio: 1 model(s) (waves)")
        assert server.stdout.readline().strip() == f"serving on http://127.0.0.1:{port}/ (Ctrl-C stops)"
        with urllib.request.urlopen(wait_for(f"http://127.0.0.1:{port}/api/models")) as r:
            assert [m["name"] for m in json.load(r)] == ["waves"]
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=30)
    finally:
        server.kill()
    assert server.returncode == 0, err
    assert out.strip().endswith("stopped") and "Traceback" not in err


SLOW_SERVE = """
import sys, time
import vaekit.pipeline

def slow(*args, **kwargs):
    print("generating", flush=True)
    time.sleep(120)

vaekit.pipeline.Pipeline.generate = slow
sys.argv[0] = "vaekit"
from vaekit.cli import main
main()
"""


def test_one_ctrl_c_stops_the_server_while_a_call_runs(runs_folder, tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import threading
    import time
    import urllib.error
    import urllib.request

    port = free_port()
    env = {**os.environ, "VAEKIT_LOAD_PLUGINS": "vectors", "VAEKIT_CACHE": str(tmp_path / "cache")}
    server = subprocess.Popen([sys.executable, "-c", SLOW_SERVE, "serve", str(runs_folder / "waves"), "--port",
                               str(port)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        wait_for(f"http://127.0.0.1:{port}/")
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/generate", data=b"model=waves&count=2")
        answers = []

        def ask():
            try:
                urllib.request.urlopen(request, timeout=60)
            except urllib.error.HTTPError as e:
                answers.append((e.code, json.load(e)["detail"]))

        asking = threading.Thread(target=ask, daemon=True)
        asking.start()
        while server.stdout.readline().strip() != "generating":
            pass
        start = time.monotonic()
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=20)
        took = time.monotonic() - start
        asking.join(10)
    finally:
        server.kill()
    assert took < 5, f"one Ctrl-C took {took:.1f} s to stop the server"
    assert server.returncode == 0 and "Traceback" not in err, err
    assert out.strip().endswith("stopped")
    assert answers == [(503, "the server is stopping; this call did not finish")]


def test_other_hosts_than_loopback_are_warned(runs_folder, monkeypatch, capsys):
    import uvicorn

    from vaekit.server import serve

    monkeypatch.setattr(uvicorn, "run", lambda app, **options: None)
    serve.serve([str(runs_folder / "waves")], None, "0.0.0.0", 8765, False)
    serve.serve([str(runs_folder / "waves")], None, "localhost", 8765, False)
    err = capsys.readouterr().err
    assert err.count("warning: binding 0.0.0.0, not 127.0.0.1") == 1
