"""Codes of whole tunes (issue 28): every folk tune and POP909 song as the sequence of the shipped
``mel_2bar``'s posterior means for its consecutive 2-bar windows, the data the composer trains on.

- Folk: each 4/4 melody segment of the shipped ``folk`` corpus (a tune is one segment unless a bar of
  silence or a change of meter splits it; other meters are left out: the windows are 2 bars of 4/4).
- Pop: POP909 songs 001-800 (the ``pop`` dataset's) read again whole from the release, on their
  annotated beats as the dataset reads them, but not split at silences: the rests between a song's
  phrases stay in it as rest windows, so a song keeps its length and its phrases their bar lines.
  Each 4/4 stretch of a song, from the bar of its first note to the bar of its last.
- Rests: a window with no note-on has no code; it is flagged (``song_codes.py``).
- Split: by tune or song name with the datasets' own rule (``dataset.split_items``, 10% held out).
- Transposition: each melody is also encoded transposed by the semitones of ``--transpose`` (training
  items only; held-out ones only as written), as mel_2bar itself trained with random transposition.

Writes ``composer_codes.npz`` in vaekit's cache (``VAEKIT_CACHE``; tens of MB, so not shipped: the
trained composer is), with the windows' tokens beside their codes for the benchmarks.

    python benchmarks/shipping/composer_codes.py --pop909 ../shared/data/pop909
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import torch
from vaekit_midi.corpus import Corpus, cache_dir
from vaekit_midi.dataset import split_items
from vaekit_midi.folk import FILE as FOLK
from vaekit_midi.melody_lines import monophonic
from vaekit_midi.midi_file import grid_of, inside, meter_sections, on_grid, read_midi
from vaekit_midi.song_codes import encode_windows, song_windows
from vaekit_midi.tokens import MAX_PITCH, MIN_PITCH, PITCH_OFFSET, encode

import vaekit

FILE = "composer_codes.npz"
BAR = 16


def codes_file() -> Path:
    return cache_dir() / FILE


def folk_tunes() -> Iterator[tuple[str, np.ndarray]]:
    corpus = Corpus.load(FOLK)
    for s in np.flatnonzero(corpus.bars == BAR):
        yield str(corpus.names[corpus.owner[s]]), corpus.tokens[corpus.offsets[s]:corpus.offsets[s + 1]]


def pop_songs(root: Path, songs: int = 800) -> Iterator[tuple[str, np.ndarray]]:
    for number in range(1, songs + 1):
        path = root / f"{number:03d}" / f"{number:03d}.mid"
        pm, reason = read_midi(path)
        if reason:
            continue
        tracks = [i for i in pm.instruments if i.notes and not i.is_drum]
        tracks = [i for i in tracks if i.name.strip().lower() == "melody"] or tracks
        grid = grid_of(pm, path, BAR)
        found, reason = on_grid(grid, tracks)
        if reason or not found:
            continue
        notes = np.concatenate(found)
        for start, stop, length, bar in meter_sections(grid, int(notes[:, 1].max()) + 1) or []:
            if bar != BAR:
                continue
            part = inside(notes, start, stop)
            part[:, 1] = np.minimum(part[:, 1], length)
            line = monophonic(part, length)
            if len(line):
                first, last = line[0, 0] // BAR * BAR, -(-line[-1, 1] // BAR) * BAR
                yield f"pop909/{number:03d}", encode(line - np.array([first, first, 0]), int(last - first))


def transposed(tokens: np.ndarray, semitones: int) -> np.ndarray | None:
    """The melody moved by ``semitones``; None where a note would leave 21..108."""
    out = tokens.astype(np.int64)
    on = out >= 2
    pitches = out[on] + PITCH_OFFSET + semitones
    if len(pitches) and (pitches.min() < MIN_PITCH or pitches.max() > MAX_PITCH):
        return None
    out[on] += semitones
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pop909", type=Path, default=Path(__file__).resolve().parents[3] / "shared/data/pop909")
    parser.add_argument("--transpose", default="-3,-2,-1,1,2,3", help="extra semitone shifts of training items")
    parser.add_argument("--limit", type=int, default=0, help="at most this many melodies of each source (a quick try)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    shifts = [0] + [int(s) for s in args.transpose.split(",") if s.strip()]
    mel = vaekit.load("mel_2bar")
    melodies = {"folk": list(folk_tunes()), "pop": list(pop_songs(args.pop909))}
    names = np.array([name for source in melodies.values() for name, _ in source])
    unique, item = np.unique(names, return_inverse=True)
    held = split_items(unique, np.ones(len(unique), dtype=bool), 0.1)[item]
    rows = {k: [] for k in ("windows", "rest", "codes")}
    sequences = []  # (melody index, source, transposition, first window, windows)
    started, index, at = time.perf_counter(), 0, 0
    for source, found in melodies.items():
        for number, (_, tokens) in enumerate(found[: args.limit or None]):
            for shift in shifts if not held[index + number] else [0]:
                moved = transposed(tokens, shift)
                if moved is None:
                    continue
                windows, rest = song_windows(moved)
                rows["windows"].append(windows.astype(np.int8))
                rows["rest"].append(rest)
                rows["codes"].append(encode_windows(mel.model, windows, rest).astype(np.float16))
                sequences.append((index + number, source == "pop", shift, at, len(windows)))
                at += len(windows)
        index += len(found)
        print(f"{source}: {len(found)} melodies, {at} windows so far, {time.perf_counter() - started:.0f} s",
              flush=True)
    seq = np.array(sequences, dtype=np.int64)
    arrays = {k: np.concatenate(v) for k, v in rows.items()}
    path = codes_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, **arrays, names=names[seq[:, 0]], pop=seq[:, 1].astype(bool), transpose=seq[:, 2],
             offsets=np.append(seq[:, 3], at), held_out=held[seq[:, 0]])
    kept = seq[:, 2] == 0
    print(f"{kept.sum()} melodies ({held[seq[kept, 0]].sum()} held out), {len(seq)} with transpositions, "
          f"{at} windows ({arrays['rest'].mean():.1%} rests) in {time.perf_counter() - started:.0f} s; wrote {path} "
          f"({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
