"""Load on ``vaekit serve mel_2bar mel_16bar`` (the shipped models; not a test), in two phases:

1. ``--clients`` (8) threads call ``POST /api/interpolate`` on ``mel_2bar`` (two 16-bar songs, 8 steps,
   JSON) for ``--seconds`` (60);
2. ``--crowd`` (60) threads call it on ``mel_16bar`` for ``--seconds`` while one more client, in turn,
   times ``GET /`` and one ``mel_2bar`` call (the same as phase 1's), 0.2 s apart.

A busy model answers 503 with ``Retry-After`` (5 calls at most at once, ``vaekit.server.models.CALLS``):
those are counted apart, as declared. A client that gets one waits ``--backoff`` seconds (1: shorter
than ``Retry-After`` asks, to keep the pressure on) and tries again. Reported per phase: requests/s,
p50/p95/p99, answers by status, the server's RSS at the start and end, the load average (the machine
may be shared), the CPU; and the goals: p95 under 100 ms for ``GET /`` and under 1 s for the ``mel_2bar``
call during phase 2, no error but declared 503s, flat memory. Loopback only; every loop ends by the
clock; the server is stopped with SIGINT (one Ctrl-C) at the end.

    python benchmarks/server_load.py [--clients 8] [--crowd 60] [--seconds 60] [--backoff 1]

Writes benchmarks/results/server_load.json and server_load.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

RESULTS = Path(__file__).parent / "results"
HOST = "127.0.0.1"
GOALS = {"root_p95_ms": 100.0, "mel_2bar_p95_ms": 1000.0}
RSS_FLAT_MB = 50.0  # growth over a phase above this is not flat


def song(path: Path, seed: int, bars: int = 16) -> Path:
    """A melody of ``bars`` bars of 4/4 at 120 bpm: a random walk on a major scale in eighths."""
    import pretty_midi

    rng = random.Random(seed)
    midi = pretty_midi.PrettyMIDI(initial_tempo=120)
    melody = pretty_midi.Instrument(0, name="melody")
    scale, degree = [0, 2, 4, 5, 7, 9, 11], 7
    for step in range(bars * 8):
        degree = max(0, min(13, degree + rng.choice([-2, -1, 1, 2])))
        start = step * 0.25
        melody.notes.append(pretty_midi.Note(90, 60 + 12 * (degree // 7) + scale[degree % 7], start, start + 0.2))
    midi.instruments.append(melody)
    midi.write(str(path))
    return path


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu() -> dict[str, object]:
    info = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    name = next((line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("model name")),
                platform.processor())
    return {"cpu": name, "cores": os.cpu_count(), "amx": "amx_tile" in info}


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of ``values`` (seconds) in ms."""
    if not values:
        return None
    ordered = sorted(values)
    return round(1000 * ordered[min(len(ordered) - 1, max(0, int(round(q / 100 * len(ordered))) - 1))], 1)


class Tally:
    """Latencies of the 200s and the count of every other answer, by status or exception name."""

    def __init__(self) -> None:
        self.ok: list[float] = []
        self.other: Counter[str] = Counter()
        self.lock = threading.Lock()

    def record(self, started: float, response: httpx.Response | None, error: str | None = None) -> int | None:
        elapsed = time.perf_counter() - started
        with self.lock:
            if response is not None and response.status_code == 200:
                self.ok.append(elapsed)
            else:
                self.other[str(response.status_code) if response is not None else error] += 1
        return response.status_code if response is not None else None

    def summary(self, seconds: float) -> dict[str, object]:
        errors = {k: v for k, v in self.other.items() if k != "503"}
        return {"ok": len(self.ok), "requests_per_s": round(len(self.ok) / seconds, 2),
                "p50_ms": percentile(self.ok, 50), "p95_ms": percentile(self.ok, 95),
                "p99_ms": percentile(self.ok, 99), "declared_503": self.other.get("503", 0), "errors": errors}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--crowd", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--backoff", type=float, default=1.0)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="server-load-"))
    a, b = song(tmp / "a.mid", 1), song(tmp / "b.mid", 2)
    files = {"a": (a.name, a.read_bytes(), "audio/midi"), "b": (b.name, b.read_bytes(), "audio/midi")}
    env = {**os.environ, "VAEKIT_CACHE": str(tmp / "cache")}
    env.pop("VAEKIT_LOAD_PLUGINS", None)
    with socket.socket() as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    base = f"http://{HOST}:{port}"
    log = open(tmp / "serve.log", "w")  # noqa: SIM115 (closed in finally)
    server = subprocess.Popen([sys.executable, "-m", "vaekit", "serve", "mel_2bar", "mel_16bar", "--host", HOST,
                               "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT)
    result: dict[str, object] = {"machine": {**cpu(), "load_average_start": [round(x, 2) for x in os.getloadavg()]},
                                 "songs": "Two 16-bar melodies (eighths), 8 steps, JSON answers",
                                 "backoff_s_after_503": args.backoff}

    def interpolate(http: httpx.Client, model: str) -> httpx.Response:
        return http.post(f"{base}/api/interpolate", data={"model": model, "steps": "8"}, files=files)

    def hammer(model: str, tally: Tally, stop: float) -> None:
        with httpx.Client(timeout=120) as http:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                try:
                    status = tally.record(started, interpolate(http, model))
                except httpx.HTTPError as e:
                    status = tally.record(started, None, type(e).__name__)
                if status != 200:
                    time.sleep(min(args.backoff, max(0.0, stop - time.perf_counter())))

    def phase(threads: list[threading.Thread]) -> float:
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - began

    try:
        deadline = time.monotonic() + 120
        with httpx.Client(timeout=120) as http:
            while True:  # until it listens
                try:
                    http.get(f"{base}/api/models").raise_for_status()
                    break
                except httpx.TransportError:
                    if time.monotonic() > deadline or server.poll() is not None:
                        raise RuntimeError(f"vaekit serve did not start: {(tmp / 'serve.log').read_text()}") from None
                    time.sleep(0.2)
            for model in ("mel_2bar", "mel_16bar"):  # load each model, one call each
                started = time.perf_counter()
                interpolate(http, model).raise_for_status()
                result[f"first_call_{model}_s"] = round(time.perf_counter() - started, 2)
        print(f"serving on {base}; models loaded", flush=True)

        # phase 1: CLIENTS on mel_2bar
        rss = [rss_mb(server.pid)]
        tally = Tally()
        stop = time.perf_counter() + args.seconds
        elapsed = phase([threading.Thread(target=hammer, args=("mel_2bar", tally, stop)) for _ in range(args.clients)])
        rss.append(rss_mb(server.pid))
        result["phase1"] = {"what": f"{args.clients} clients, POST /api/interpolate on mel_2bar",
                            "seconds": round(elapsed, 1), **tally.summary(elapsed),
                            "rss_start_mb": rss[0], "rss_end_mb": rss[1],
                            "load_average_end": [round(x, 2) for x in os.getloadavg()]}
        print(json.dumps(result["phase1"]), flush=True)

        # phase 2: CROWD on mel_16bar, and one client timing GET / and a mel_2bar call
        crowd, root, small = Tally(), Tally(), Tally()
        stop = time.perf_counter() + args.seconds

        def ninth() -> None:
            with httpx.Client(timeout=120) as http:
                time.sleep(min(2.0, args.seconds / 10))  # once the crowd is in
                while time.perf_counter() < stop:
                    for tally, call in ((root, lambda: http.get(f"{base}/")),
                                        (small, lambda: interpolate(http, "mel_2bar"))):
                        started = time.perf_counter()
                        try:
                            tally.record(started, call())
                        except httpx.HTTPError as e:
                            tally.record(started, None, type(e).__name__)
                    time.sleep(0.2)

        threads = [threading.Thread(target=hammer, args=("mel_16bar", crowd, stop)) for _ in range(args.crowd)]
        elapsed = phase([*threads, threading.Thread(target=ninth)])
        rss.append(rss_mb(server.pid))
        result["phase2"] = {"what": f"{args.crowd} clients, POST /api/interpolate on mel_16bar",
                            "seconds": round(elapsed, 1), "mel_16bar": crowd.summary(elapsed),
                            "ninth_get_root": root.summary(elapsed), "ninth_mel_2bar": small.summary(elapsed),
                            "rss_start_mb": rss[1], "rss_end_mb": rss[2],
                            "load_average_end": [round(x, 2) for x in os.getloadavg()]}
        print(json.dumps(result["phase2"]), flush=True)
    finally:
        started = time.monotonic()
        server.send_signal(signal.SIGINT)  # one Ctrl-C
        try:
            server.wait(timeout=30)
            result["sigint_stop_s"] = round(time.monotonic() - started, 2)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
            result["sigint_stop_s"] = None
        log.close()

    p1, p2 = result["phase1"], result["phase2"]
    errors = sum(sum(s["errors"].values()) for s in (p1, p2["mel_16bar"], p2["ninth_get_root"], p2["ninth_mel_2bar"]))
    growth = max(p1["rss_end_mb"] - p1["rss_start_mb"], p2["rss_end_mb"] - p2["rss_start_mb"])
    result["goals"] = {
        "get_root_p95_under_100ms": (p2["ninth_get_root"]["p95_ms"] or 1e9) < GOALS["root_p95_ms"],
        "mel_2bar_p95_under_1s": (p2["ninth_mel_2bar"]["p95_ms"] or 1e9) < GOALS["mel_2bar_p95_ms"],
        "no_errors_but_declared_503": errors == 0,
        f"flat_memory_under_{RSS_FLAT_MB:g}MB_growth_a_phase": growth < RSS_FLAT_MB,
        "one_sigint_stops_within_5s": result["sigint_stop_s"] is not None and result["sigint_stop_s"] < 5,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "server_load.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "server_load.md").write_text(markdown(result))
    print(json.dumps(result, indent=2))


def markdown(r: dict) -> str:
    m, p1, p2 = r["machine"], r["phase1"], r["phase2"]

    def row(name: str, s: dict, rss: str = "") -> str:
        errors = ", ".join(f"{k}: {v}" for k, v in s["errors"].items()) or "0"
        return (f"| {name} | {s['ok']} | {s['requests_per_s']} | {s['p50_ms']} | {s['p95_ms']} | {s['p99_ms']} | "
                f"{s['declared_503']} | {errors} | {rss} |")

    lines = [
        "# vaekit serve under load",
        "",
        f"`python benchmarks/server_load.py` on {m['cpu']} ({m['cores']} cores, AMX: {'yes' if m['amx'] else 'no'}), "
        f"shared with other work: load average {m['load_average_start'][0]} at the start, "
        f"{p1['load_average_end'][0]} after phase 1, {p2['load_average_end'][0]} at the end. "
        f"{r['songs']}; a client answered 503 waits {r['backoff_s_after_503']:g} s. First calls (model load): "
        f"mel_2bar {r['first_call_mel_2bar_s']} s, mel_16bar {r['first_call_mel_16bar_s']} s.",
        "",
        "| phase / client | 200s | requests/s | p50 ms | p95 ms | p99 ms | declared 503 | errors "
        "| RSS MB start → end |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
        row(f"1: {p1['what']}", p1, f"{p1['rss_start_mb']} → {p1['rss_end_mb']}"),
        row(f"2: {p2['what']}", p2["mel_16bar"], f"{p2['rss_start_mb']} → {p2['rss_end_mb']}"),
        row("2: ninth client, GET /", p2["ninth_get_root"]),
        row("2: ninth client, mel_2bar interpolate", p2["ninth_mel_2bar"]),
        "",
        "A model takes 5 calls at once (1 running, 4 waiting) and answers the rest 503 with Retry-After, so "
        "beyond 5 clients on one model the others are refused by design; those are the declared 503s.",
        "",
        f"One SIGINT stopped the server in {r['sigint_stop_s']} s.",
        "",
        "| goal | met |",
        "| --- | --- |",
        *(f"| {k.replace('_', ' ')} | {'yes' if v else 'NO'} |" for k, v in r["goals"].items()),
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
