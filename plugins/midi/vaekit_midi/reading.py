"""One user's MIDI file read faithfully for the single-file verbs (reconstruct, interpolate, encode,
transform, inspect): the melody line chosen by a stated rule (``melody_choice``), its top voice, swing
straightened, a pickup found, and what it all changed, returned beside the notes as a ``Reading``.

Built-in datasets and ``--data`` folders are tokenised as before (``kinds/melody.read_melodies``);
only their quantisation is measured here (``folder_report``).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from vaekit import VaekitError
from vaekit_midi.melody_choice import NoMelody, TrackInfo, pick, skyline, track_infos
from vaekit_midi.melody_lines import Section, segments
from vaekit_midi.midi_file import Grid, grid_of, inside, meter_sections, read_midi
from vaekit_midi.parsed import MAX_NOTES, MAX_STEPS, REASONS, Parsed
from vaekit_midi.quantisation import QuantisationReport, measure
from vaekit_midi.swing import find_swing, straightened
from vaekit_midi.tokens import MAX_PITCH, MIN_PITCH

log = logging.getLogger(__name__)

#: A later beat is the downbeat where the notes that start on it last this much longer than those on the first.
PICKUP_MARGIN = 1.5
#: Notes shorter than this (in beats) that start this close before the next onset are grace notes.
GRACE = 1 / 8


@dataclass
class Music:
    """What a file says beside its notes, and what writing puts back: the tempo (quarter notes a
    minute) and key at its start, its meter, the pickup (steps before the first bar line) and swing."""

    tempo: float = 120.0
    meter: tuple[int, int] = (4, 4)
    key: int | None = None
    pickup: int = 0
    swing: float | None = None

    @property
    def key_name(self) -> str | None:
        import pretty_midi

        return None if self.key is None else pretty_midi.key_number_to_key_name(self.key)

    def bar_steps(self, steps_per_bar: int = 16) -> int:
        bar = steps_per_bar * self.meter[0] / self.meter[1]
        return int(bar) if bar == int(bar) and bar > 0 else steps_per_bar

    def to_dict(self) -> dict:
        return {**asdict(self), "meter": f"{self.meter[0]}/{self.meter[1]}", "key": self.key_name}

    def __str__(self) -> str:
        text = f"{self.tempo:g} bpm, {self.meter[0]}/{self.meter[1]}, key {self.key_name or 'not given'}"
        text += f", pickup of {self.pickup} steps" if self.pickup else ", no pickup"
        return text + (f", swung eighths at {self.swing:.2f} of the beat" if self.swing else "")


@dataclass
class Reading:
    """One file as read: its melody's segments, the music around them, every track, which was chosen
    and why, the changes of tempo, meter and key that writing does not keep, and what quantisation changed."""

    path: Path
    parsed: Parsed
    music: Music
    report: QuantisationReport
    tracks: list[TrackInfo]
    chosen: int
    why: str
    changes: list[str] = field(default_factory=list)
    #: The chosen line's notes ``(N, 3)`` (onset, end, pitch) on the grid, step 0 the first bar line
    #: before them (a pickup ends its bar); later bars in the first meter's length.
    notes: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.int64))

    def to_dict(self) -> dict:
        return {"path": str(self.path), "music": self.music.to_dict(), "tracks": [t.to_dict() for t in self.tracks],
                "chosen": self.chosen, "why": self.why, "changes": self.changes, "quantisation": self.report.to_dict()}

    def chosen_line(self) -> str:
        t = self.tracks[self.chosen]
        return f"{self.path.name}: melody from track {t.index} ({t.name or 'unnamed'}, program {t.program}): {self.why}"

    def say(self) -> None:
        """One info line for the chosen track, and one warning where quantisation moved too much."""
        log.info(self.chosen_line())
        warning = self.report.warning(str(self.path))
        if warning:
            log.warning(warning)


def read_user_midi(path: Path, steps_per_bar: int = 16, track: str | int | None = None,
                   pickup: float | None = None) -> Reading:
    """The melody of one MIDI file as a ``Reading``, or a VaekitError naming the file. ``track``: a
    track's index or name (else the rule of ``melody_choice``); ``pickup``: beats before the first bar
    line (else found: see ``find_pickup``)."""
    path = Path(path)
    pm, reason = read_midi(path)
    if reason:
        raise VaekitError(f"{path}: {REASONS[reason]}")
    if sum(len(i.notes) for i in pm.instruments) > MAX_NOTES:
        raise VaekitError(f"{path}: {REASONS['too_many_notes']}")
    tracks = track_infos(pm.instruments)
    grid = grid_of(pm, path, steps_per_bar)
    per_beat = steps_per_bar / 4
    lines = [_rounded(grid, inst.notes) for inst in pm.instruments]
    if max((int(line[:, 1].max()) for line in lines if len(line)), default=0) > MAX_STEPS:
        raise VaekitError(f"{path}: {REASONS['too_long']}")
    try:
        chosen, why = pick(tracks, lines, track)
    except NoMelody as e:
        extra = "; --track N reads a bass track anyway" if e.args[0] == "no_melody" else ""
        raise VaekitError(f"{path}: {REASONS[e.args[0]]}{extra}") from None
    except VaekitError as e:
        raise VaekitError(f"{path}: {e}") from None
    tracks[chosen].chosen, tracks[chosen].why = True, why
    compound = _compound(pm)
    notes, report, swing = _quantised(grid, pm.instruments[chosen].notes, per_beat, compound)
    if not ((notes[:, 2] >= MIN_PITCH) & (notes[:, 2] <= MAX_PITCH)).any():
        raise VaekitError(f"{path}: {REASONS['out_of_range']}")
    meters = list(grid.meters)
    beat = int(per_beat * (1.5 if compound else 1))
    found = find_pickup(notes, meters, beat)  # drops a short first bar from meters, whatever --pickup says
    steps = found if pickup is None else int(round(float(pickup) * per_beat))
    music = Music(_tempo(pm), _meter(pm, max(steps, found) / per_beat, meters[0][1], per_beat), _key(pm), steps, swing)
    parsed = _segments(notes, meters, steps, steps_per_bar)
    if parsed.reason:
        raise VaekitError(f"{path}: {REASONS[parsed.reason]}")
    lead = _lead(meters, steps, steps_per_bar)
    return Reading(path, parsed, music, report, tracks, chosen, why, _changes(pm), notes + np.array([lead, lead, 0]))


def _lead(meters: list[tuple[int, int | None]], pickup: int, steps_per_bar: int) -> int:
    """Steps of rest before a pickup of ``pickup`` steps, so that it fills the end of the first bar."""
    bar = meters[0][1] or steps_per_bar
    return (bar - pickup) % bar


def _rounded(grid: Grid, notes: list[Any]) -> np.ndarray:
    return np.array([(grid.step(n.start), grid.step(n.end), n.pitch) for n in notes], np.int64).reshape(-1, 3)


def _compound(pm: Any) -> bool:
    ts = pm.time_signature_changes
    return bool(ts) and ts[0].denominator == 8 and ts[0].numerator % 3 == 0


def _quantised(grid: Grid, notes: list[Any], per_beat: float, compound: bool
               ) -> tuple[np.ndarray, QuantisationReport, float | None]:
    """The line's notes on the grid (grace notes dropped, swing straightened), what that changed, and
    the swing found."""
    position = grid.position or grid.step
    onsets = np.array([position(n.start) for n in notes], np.float64)
    ends = np.array([position(n.end) for n in notes], np.float64)
    pitches = np.array([n.pitch for n in notes], np.int64)
    order = np.lexsort((-pitches, onsets))
    onsets, ends, pitches = onsets[order], ends[order], pitches[order]
    later = np.append(onsets[1:], np.inf)
    grace = ((ends - onsets) < GRACE * per_beat) & (later - onsets < GRACE * per_beat) & (later > onsets)
    onsets, ends, pitches = onsets[~grace], ends[~grace], pitches[~grace]
    swing = None if compound else find_swing(onsets / per_beat)
    if swing is not None:
        onsets = straightened(onsets / per_beat, swing) * per_beat
        ends = straightened(ends / per_beat, swing) * per_beat
    report = measure(onsets, ends, per_beat, int(grace.sum()), swing)
    starts = np.round(onsets).astype(np.int64)
    stops = np.maximum(np.round(ends).astype(np.int64), starts + 1)
    return np.stack([starts, stops, pitches], 1).reshape(-1, 3), report, swing


def find_pickup(notes: np.ndarray, meters: list[tuple[int, int | None]], beat: int) -> int:
    """Steps before the first bar line: a short first bar that the file's meters give (a 1/4 bar
    before 4/4, or the beats before a POP909-style annotation's first downbeat), else, where the
    melody starts at step 0 in one meter, the beat (of ``beat`` steps) of the first bar on which the
    notes that start there last ``PICKUP_MARGIN`` times longer than those on its first beat; 0
    otherwise. The middle of a bar of an even number of beats (beat 3 of 4/4) is
    never taken, its notes being long in any tune: ``--pickup`` sets such a pickup. ``meters`` loses a
    short first bar."""
    if len(meters) > 1 and meters[0][0] == 0 and meters[1][1] and \
            meters[1][0] == (meters[0][1] or meters[1][0]) < meters[1][1]:
        meters.pop(0)
        return int(meters[0][0])
    bar = meters[0][1]
    if len(notes) == 0 or notes[:, 0].min() != 0 or bar is None or len(meters) > 1 or bar % beat:
        return 0
    lengths = np.minimum(notes[:, 1] - notes[:, 0], bar)
    phases = [p for p in range(beat, bar, beat) if not (bar // beat % 2 == 0 and 2 * p == bar)]
    weight = {phase: int(lengths[notes[:, 0] % bar == phase].sum()) for phase in [0, *phases]}
    best = max(phases, key=lambda phase: (weight[phase], -phase), default=0)
    return int(best) if best and weight[best] >= PICKUP_MARGIN * max(weight[0], 1) else 0


def _segments(notes: np.ndarray, meters: list[tuple[int, int | None]], pickup: int, steps_per_bar: int) -> Parsed:
    """The top voice in sections of one meter, bar lines shifted so that the pickup fills the end of
    the first bar."""
    lead = _lead(meters, pickup, steps_per_bar)
    shifted = notes + np.array([lead, lead, 0])
    grid = Grid(lambda t: 0, [(0, meters[0][1])] + [(start + lead, b) for start, b in meters[1:]])
    sections = meter_sections(grid, int(shifted[:, 1].max()) + 1)
    if sections is None:
        return Parsed(reason="too_long")
    out = Parsed()
    for start, stop, length, bar_steps in sections:
        part = inside(shifted, start, stop)
        part[:, 1] = np.minimum(part[:, 1], length)
        out.segments += segments(Section(skyline(part), length, bar_steps), steps_per_bar)
    if not out.segments:
        out.reason = "no_meter"
    return out


def _tempo(pm: Any) -> float:
    times, tempi = pm.get_tempo_changes()
    return round(float(tempi[0]), 3) if len(tempi) else 120.0


def _meter(pm: Any, pickup_beats: float, bar_steps: int | None, per_beat: float) -> tuple[int, int]:
    """The meter of the first full bar (the one in force after a pickup of ``pickup_beats``); 4/4 where
    none is given; where the grid's bars (``bar_steps``, from a POP909-style beat annotation) are not
    that meter's length, as many quarter notes as they hold."""
    ticks = pickup_beats * pm.resolution
    signatures = [ts for ts in sorted(pm.time_signature_changes, key=lambda t: t.time)
                  if pm.time_to_tick(ts.time) <= ticks + 1]
    meter = (int(signatures[-1].numerator), int(signatures[-1].denominator)) if signatures else (4, 4)
    quarters = bar_steps / per_beat if bar_steps else 0
    if quarters and quarters != 4 * meter[0] / meter[1] and quarters == int(quarters):
        return int(quarters), 4
    return meter


def _key(pm: Any) -> int | None:
    keys = sorted(pm.key_signature_changes, key=lambda k: k.time)
    return int(keys[0].key_number) if keys else None


def _changes(pm: Any) -> list[str]:
    """Later changes of tempo, meter and key (the written file keeps those at the start)."""
    import pretty_midi

    out = []
    times, tempi = pm.get_tempo_changes()
    for t, bpm in zip(times[1:], tempi[1:]):
        out.append(f"tempo {bpm:g} bpm at beat {pm.time_to_tick(t) / pm.resolution:g}")
    for ts in sorted(pm.time_signature_changes, key=lambda t: t.time)[1:]:
        out.append(f"meter {ts.numerator}/{ts.denominator} at beat {pm.time_to_tick(ts.time) / pm.resolution:g}")
    for k in sorted(pm.key_signature_changes, key=lambda k: k.time)[1:]:
        out.append(f"key {pretty_midi.key_number_to_key_name(k.key_number)} at beat "
                   f"{pm.time_to_tick(k.time) / pm.resolution:g}")
    return out
