"""Shared helpers: MIDI files written tick by tick with mido, so tests control tempo and meter events."""

from __future__ import annotations

from pathlib import Path

import pytest

from vaekit.testing import flat_peak_memory, watched_open, within  # noqa: F401  (fixtures)


def write_midi_file(
    path: Path,
    tracks: list[list[tuple[int, int, int]]],
    *,
    tempos: tuple[tuple[int, float], ...] = ((0, 120.0),),
    meters: tuple[tuple[int, int, int], ...] = ((0, 4, 4),),
    drums: tuple[int, ...] = (),
    resolution: int = 480,
) -> Path:
    """A type-1 MIDI file: ``tracks`` of (start tick, end tick, pitch) notes; ``tempos`` (tick, bpm);
    ``meters`` (tick, numerator, denominator); tracks whose index is in ``drums`` go on channel 10."""
    import mido

    mid = mido.MidiFile(type=1, ticks_per_beat=resolution)
    meta = [(t, mido.MetaMessage("set_tempo", tempo=mido.bpm2tempo(bpm))) for t, bpm in tempos]
    meta += [(t, mido.MetaMessage("time_signature", numerator=n, denominator=d)) for t, n, d in meters]
    for events in [meta] + [_note_events(notes, 9 if i in drums else 0) for i, notes in enumerate(tracks)]:
        track = mido.MidiTrack()
        now = 0
        for tick, msg in sorted(events, key=lambda e: (e[0], e[1].type != "note_off")):
            track.append(msg.copy(time=tick - now))
            now = tick
        mid.tracks.append(track)
    mid.save(str(path))
    return path


def _note_events(notes, channel):
    import mido

    events = []
    for start, end, pitch in notes:
        events.append((start, mido.Message("note_on", note=pitch, velocity=90, channel=channel)))
        events.append((end, mido.Message("note_off", note=pitch, velocity=0, channel=channel)))
    return events


@pytest.fixture(scope="session")
def write_midi():
    """:func:`write_midi_file`, for module-scoped fixtures."""
    return write_midi_file


@pytest.fixture
def midi_file(tmp_path):
    """``midi_file(name, tracks, **events)`` writes a MIDI file into the test's temporary folder."""

    def make(name: str, tracks, **kwargs) -> Path:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        return write_midi_file(tmp_path / name, tracks, **kwargs)

    return make


@pytest.fixture
def private_cache(tmp_path, monkeypatch) -> Path:
    """A fresh ``VAEKIT_CACHE`` for the test."""
    monkeypatch.setenv("VAEKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.fixture
def one_thread():
    """Small models run far faster on one thread, above all when other processes hold the cores."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def fit(model, x, steps: int) -> list[float]:
    """``steps`` Adam steps (lr 1e-2, beta 0.01) of ``model`` on the batch ``x``: the loss of each."""
    import torch

    from vaekit import objective

    opt = torch.optim.Adam(model.parameters(), 1e-2)
    losses = []
    for _ in range(steps):
        out = model(x, x)
        loss = objective.elbo(out.log_px, out.kl, beta=0.01).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


@pytest.fixture(name="fit")
def fit_fixture():
    """:func:`fit`, for the tests that check a model learns."""
    return fit
