"""Parsing in parallel: the pool's shutdown inside a process that handles SIGTERM itself, as a server
(uvicorn) does, whose handler forked workers inherit; and progress where stderr is not a terminal."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

from vaekit_midi import corpus

SCRIPT = textwrap.dedent("""
    import signal, sys
    from vaekit_midi import corpus

    stopping = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))  # uvicorn's handle_exit
    corpus.workers = lambda: 4  # more idle workers, more of them left waiting for the queue's lock
    for _ in range(5):
        assert corpus.parallel_map(abs, range(-200, 0), "test items") == list(range(200, 0, -1))
    assert not stopping, "a worker's signal reached the parent"
    print("done", file=sys.stderr)
""")


def test_pool_ends_under_a_parent_sigterm_handler():
    # a session of its own, so that a hung pool's workers are killed with it rather than left behind
    child = subprocess.Popen([sys.executable, "-c", SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True, start_new_session=True)
    try:
        out, err = child.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.communicate()
        raise AssertionError("the process pool's shutdown hung") from None
    assert child.returncode == 0, err
    assert err.rstrip().endswith("done")


def test_progress_lines_when_stderr_is_not_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(corpus, "PROGRESS_EVERY", 0.0)
    monkeypatch.setattr(corpus, "workers", lambda: 1)
    assert corpus.parallel_map(abs, range(-100, 0), "test items") == list(range(100, 0, -1))
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "vaekit: parsing 100 test items (once: cached afterwards)"
    assert lines[1].startswith("vaekit: parsed 1 of 100 test items (1%) in ")
    assert len(lines) == 100  # the last one is the caller's summary
