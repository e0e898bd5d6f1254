"""Load on ``vaekit serve`` (not a test): CLIENTS threads call ``POST /api/interpolate`` (two pop tunes,
8 steps, JSON) for SECONDS; requests/s, p50 and p99 latency, errors, and the server's RSS at the start
(after one warm-up call) and at the end. Trains a small melody run first (mel_2bar, narrower layers, a
few steps on pop: latency depends on the model's size, not its quality).

    python benchmarks/server_load.py [--clients 8] [--seconds 60]

Writes benchmarks/results/server_load.json and server_load.md.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

RESULTS = Path(__file__).parent / "results"
SMALL = ["model.encoder_hidden=128", "model.decoder_hidden=128", "model.latent_dim=32", "train.batch_size=32"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="server-load-"))
    env = {**os.environ, "VAEKIT_CACHE": str(tmp / "cache")}

    def vaekit(*argv: str) -> None:
        subprocess.run([sys.executable, "-m", "vaekit", *argv], env=env, check=True, capture_output=True)

    vaekit("train", "-m", "midi", "--data", "pop", "--steps", "20", *(f"--set={s}" for s in SMALL), "--out",
           str(tmp / "runs" / "melody"), "--no-progress")
    vaekit("datasets", "export", "pop", "--n", "2", "--out", str(tmp / "tunes"))
    a, b = sorted((tmp / "tunes").glob("*.mid"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "vaekit", "serve", str(tmp / "runs" / "melody"), "--port",
                               str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}/api/interpolate"
    form = {"model": "melody", "steps": "8"}
    files = {"a": (a.name, a.read_bytes()), "b": (b.name, b.read_bytes())}
    try:
        for _ in range(600):  # until it listens
            try:
                httpx.post(url, data=form, files=files, timeout=30).raise_for_status()
                break
            except httpx.ConnectError:
                time.sleep(0.1)
        rss_start = rss_mb(server.pid)
        latencies: list[float] = []
        errors: list[str] = []
        stop = time.perf_counter() + args.seconds

        def client() -> None:
            with httpx.Client(timeout=60) as http:
                while time.perf_counter() < stop:
                    start = time.perf_counter()
                    try:
                        response = http.post(url, data=form, files=files)
                        response.raise_for_status()
                        latencies.append(time.perf_counter() - start)
                    except httpx.HTTPError as e:
                        errors.append(f"{type(e).__name__}: {e}")

        threads = [threading.Thread(target=client) for _ in range(args.clients)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - began
        rss_end = rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    latencies.sort()
    result = {"clients": args.clients, "seconds": round(elapsed, 1), "requests": len(latencies),
              "requests_per_s": round(len(latencies) / elapsed, 2),
              "p50_ms": round(1000 * statistics.median(latencies), 1),
              "p99_ms": round(1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))], 1),
              "errors": len(errors), "first_errors": errors[:3], "rss_start_mb": round(rss_start, 1),
              "rss_end_mb": round(rss_end, 1), "model": "mel_2bar, 128-wide LSTMs, 32-D latent", "steps": 8}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "server_load.json").write_text(json.dumps(result, indent=2) + "\n")
    table = ("| clients | requests/s | p50 ms | p99 ms | errors | RSS start MB | RSS end MB |\n"
             "| --- | --- | --- | --- | --- | --- | --- |\n"
             f"| {args.clients} | {result['requests_per_s']} | {result['p50_ms']} | {result['p99_ms']} | "
             f"{result['errors']} | {result['rss_start_mb']} | {result['rss_end_mb']} |\n")
    (RESULTS / "server_load.md").write_text(table)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
