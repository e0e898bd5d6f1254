// A drum beat as the drums page holds it: for each of the nine drum classes (the plugin's names, in its
// order) and each 16th-note step a velocity (0: no hit) and an offset from the step (in steps, within
// ±0.5, as GrooVAE plays). Read from either model's answer: a groove model's 27 rows of hits, velocities
// and offsets, or a drums model's 512-class tokens (quantised, no velocities); written as a drum MIDI
// file with each hit's velocity and timing.
import { blobLink, chunk, vlq } from "./midi.js";

export const DRUMS = ["kick", "snare", "closed hi-hat", "open hi-hat", "low tom", "mid tom", "high tom", "crash",
  "ride"];
// Each class's first General MIDI pitch, the one the plugin writes (tokens.DRUM_PITCHES).
export const PITCHES = [36, 38, 42, 46, 43, 47, 50, 49, 51];
export const STEPS = 32; // two bars of 4/4 in 16ths: the grid drawn and the models' window
export const PLAIN = 100; // the velocity of a drawn hit, and of a hit from a model without velocities
const PPQ = 480;
const TICK = PPQ / 4; // a 16th note

export function emptyBeat(steps = STEPS) {
  return { steps, vel: DRUMS.map(() => new Array(steps).fill(0)), off: DRUMS.map(() => new Array(steps).fill(0)) };
}

export function copyBeat(beat) {
  return { steps: beat.steps, vel: beat.vel.map((r) => [...r]), off: beat.off.map((r) => [...r]) };
}

// A model's values: 27 rows (hits, velocities 0..1, offsets) from a groove model, else drum tokens.
export function beatOf(values) {
  if (Array.isArray(values[0])) {
    const steps = values[0].length, beat = emptyBeat(steps);
    for (let c = 0; c < DRUMS.length; c += 1) {
      for (let s = 0; s < steps; s += 1) {
        if (values[c][s] <= 0.5) continue;
        beat.vel[c][s] = Math.max(1, Math.min(127, Math.round(values[DRUMS.length + c][s] * 127)));
        beat.off[c][s] = values[2 * DRUMS.length + c][s];
      }
    }
    return beat;
  }
  const beat = emptyBeat(values.length);
  values.forEach((token, s) => DRUMS.forEach((_, c) => { if ((token >> c) & 1) beat.vel[c][s] = PLAIN; }));
  return beat;
}

export function hitsOf(beat) {
  const hits = [];
  for (let c = 0; c < DRUMS.length; c += 1) {
    for (let s = 0; s < beat.steps; s += 1) {
      if (beat.vel[c][s] > 0) hits.push({ drum: c, step: s, vel: beat.vel[c][s], off: beat.off[c][s] });
    }
  }
  return hits.sort((a, b) => a.step + a.off - (b.step + b.off));
}

// Where the hits are, regardless of how they are played: "drum:step" keys.
export function placesOf(beat) {
  return hitsOf(beat).map((h) => `${h.drum}:${h.step}`).sort();
}

export function isGrooved(beat) {
  return hitsOf(beat).some((h) => h.off !== 0);
}

// A sentence for screen readers and the page: how many hits, which drums, whether it is played.
export function describeBeat(beat, what = "beat") {
  const hits = hitsOf(beat);
  if (!hits.length) return `${what}: ${beat.steps / 16} bar(s), empty`;
  const counts = DRUMS.map((name, c) => [name, hits.filter((h) => h.drum === c).length]).filter(([, n]) => n);
  const vels = hits.map((h) => h.vel);
  const offs = hits.map((h) => Math.abs(h.off));
  const played = isGrooved(beat)
    ? `, velocities ${Math.min(...vels)}–${Math.max(...vels)}, hits up to ${Math.round(Math.max(...offs) * 100)}% of a step off the grid`
    : ", on the grid";
  return `${what}: ${beat.steps / 16} bar(s), ${hits.length} hits (${counts.map(([n, k]) => `${k} ${n}`).join(", ")})${played}`;
}

// A type-0 MIDI file of the beat in 4/4 at `tempo` on the drum channel: each hit a 32nd note long at its
// velocity and its offset from the grid (what is drawn is what is saved, and what a verb is given).
export function beatMidi(beat, tempo) {
  const events = [];
  for (const h of hitsOf(beat)) {
    const on = Math.max(0, Math.round((h.step + h.off) * TICK));
    events.push([on, 1, [0x99, PITCHES[h.drum], h.vel]], [on + TICK / 2, 0, [0x89, PITCHES[h.drum], 0]]);
  }
  events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const us = Math.round(60_000_000 / tempo);
  const data = [0, 0xff, 0x51, 3, (us >> 16) & 255, (us >> 8) & 255, us & 255, 0, 0xff, 0x58, 4, 4, 2, 24, 8];
  let now = 0;
  for (const [time, , bytes] of events) {
    data.push(...vlq(time - now), ...bytes);
    now = time;
  }
  data.push(...vlq(Math.max(0, beat.steps * TICK - now)), 0xff, 0x2f, 0);
  const bytes = [...chunk("MThd", [0, 0, 0, 1, PPQ >> 8, PPQ & 255]), ...chunk("MTrk", data)];
  return new Blob([new Uint8Array(bytes)], { type: "audio/midi" });
}

export function beatFile(beat, tempo, name) {
  return new File([beatMidi(beat, tempo)], name, { type: "audio/midi" });
}

// Point link `a` at the beat as a MIDI clip (click to download, or drag into a DAW); none: disabled.
export function beatLink(a, beat, tempo, name) {
  blobLink(a, beat && hitsOf(beat).length ? beatMidi(beat, tempo) : null, name);
}
