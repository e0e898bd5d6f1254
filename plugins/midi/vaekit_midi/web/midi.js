// MIDI clips made in the page from the notes on screen (what is drawn is what is saved), downloaded or
// dragged out into a DAW or a folder (Chromium's DownloadURL drag data), and a small Web Audio player
// whose playhead the page follows.
import { meterOf, stepsOf } from "./roll.js";

export const TEMPO = 120; // beats a minute where the answer gives no tempo (the plugin writes MIDI at it)
const PPQ = 480;

// A MIDI variable-length quantity.
export function vlq(n) {
  const bytes = [n & 0x7f];
  for (n >>= 7; n > 0; n >>= 7) bytes.unshift((n & 0x7f) | 0x80);
  return bytes;
}

// A MIDI file chunk: its 4-letter type, its length and its bytes.
export function chunk(type, data) {
  const n = data.length;
  return [...type].map((c) => c.charCodeAt(0)).concat([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255], data);
}

// A standard MIDI file (type 1) of `items` played in order, a bar of rest between them, as the server writes.
export function midiFile(items, tempo = items[0]?.tempo || TEMPO) {
  const first = items[0];
  const { bar } = meterOf(first);
  const spb = first.steps_per_bar || 16;
  const tick = (PPQ * 4) / spb;
  const [num, den] = String(first.meter || (first.bar_steps ? `${(first.bar_steps * 4) / spb}/4` : "4/4")).split("/").map(Number);
  const usPerBeat = Math.round(60_000_000 / tempo);
  const conductor = [0, 0xff, 0x51, 3, (usPerBeat >> 16) & 255, (usPerBeat >> 8) & 255, usPerBeat & 255,
    0, 0xff, 0x58, 4, num, Math.round(Math.log2(den)), 24, 8, 0, 0xff, 0x2f, 0];
  const tracks = first.tracks.map((track, k) => {
    const channel = track.drums ? 9 : k;
    const events = [];
    let offset = 0;
    for (const item of items) {
      for (const [start, end, pitch] of item.tracks[k].notes) {
        const on = (offset + start) * tick, off = (offset + (track.drums ? start + 1 : end)) * tick - 1;
        events.push([on, 1, [0x90 | channel, pitch, 90]], [Math.max(on + 1, off), 0, [0x80 | channel, pitch, 0]]);
      }
      offset += stepsOf(item) + bar;
    }
    events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const name = [...(track.name || `track ${k}`)].map((c) => c.charCodeAt(0) & 127);
    const data = [0, 0xff, 0x03, name.length, ...name];
    if (!track.drums) data.push(0, 0xc0 | channel, 0);
    let now = 0;
    for (const [time, , bytes] of events) {
      data.push(...vlq(time - now), ...bytes);
      now = time;
    }
    data.push(0, 0xff, 0x2f, 0);
    return chunk("MTrk", data);
  });
  const header = chunk("MThd", [0, 1, 0, tracks.length + 1, PPQ >> 8, PPQ & 255]);
  return new Blob([new Uint8Array([...header, ...chunk("MTrk", conductor), ...tracks.flat()])], { type: "audio/midi" });
}

// Point the link `a` at a MIDI clip of `items` named `name`: a click downloads it, a drag carries it out
// of the browser (DownloadURL, Chromium) or as a link elsewhere.
export function clipLink(a, items, name) {
  blobLink(a, items && items.length ? midiFile(items) : null, name);
}

// Point the link `a` at the MIDI file `blob` (null: disable it) named `name`, to click or drag out.
export function blobLink(a, blob, name) {
  if (a.href && a.href.startsWith("blob:")) URL.revokeObjectURL(a.href);
  if (!blob) {
    a.removeAttribute("href");
    a.setAttribute("aria-disabled", "true");
    return;
  }
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.draggable = true;
  a.removeAttribute("aria-disabled");
  if (!a.dataset.dragReady) {
    a.dataset.dragReady = "1";
    a.addEventListener("dragstart", (e) => {
      if (!a.href) return e.preventDefault();
      const url = new URL(a.href, location.href).href;
      e.dataTransfer.effectAllowed = "copy";
      e.dataTransfer.setData("DownloadURL", `audio/midi:${a.download}:${url}`);
      e.dataTransfer.setData("text/uri-list", url);
      e.dataTransfer.setData("text/plain", a.download);
    });
  }
}

// A small synthesizer: `play(items, onStep, onEnd)` plays items in order, a bar of rest between them,
// calling onStep(itemIndex, step) every frame for the playhead.
export class Player {
  constructor() {
    this.audio = null;
    this.frame = null;
  }

  get playing() { return this.audio !== null; }

  stop() {
    if (this.frame) cancelAnimationFrame(this.frame);
    this.frame = null;
    if (this.audio) this.audio.close();
    this.audio = null;
    if (this.onEnd) {
      const onEnd = this.onEnd;
      this.onEnd = null;
      onEnd();
    }
  }

  play(items, onStep = () => {}, onEnd = () => {}, tempo = items[0]?.tempo || TEMPO) {
    this.stop();
    const seconds = 60 / tempo / ((items[0].steps_per_bar || 16) / 4); // a step
    const audio = new AudioContext();
    this.audio = audio;
    this.onEnd = onEnd;
    const begin = audio.currentTime + 0.05;
    const spans = [];
    let offset = 0;
    items.forEach((item, index) => {
      const steps = stepsOf(item);
      spans.push({ index, from: offset, steps });
      for (const track of item.tracks) {
        for (const [start, end, pitch] of track.notes) {
          const t0 = begin + (offset + start) * seconds;
          const t1 = begin + (offset + (track.drums ? start + 0.5 : end)) * seconds - 0.02; // a breath between notes
          const osc = audio.createOscillator(), gain = audio.createGain();
          osc.type = track.drums ? "square" : "triangle";
          osc.frequency.value = track.drums ? 100 + pitch * 4 : 440 * 2 ** ((pitch - 69) / 12);
          gain.gain.setValueAtTime(0, t0);
          gain.gain.linearRampToValueAtTime(track.drums ? 0.1 : 0.2, t0 + 0.01);
          gain.gain.linearRampToValueAtTime(0, Math.max(t0 + 0.02, t1));
          osc.connect(gain).connect(audio.destination);
          osc.start(t0);
          osc.stop(Math.max(t0 + 0.03, t1 + 0.02));
        }
      }
      offset += steps + meterOf(item).bar;
    });
    const total = offset;
    const tick = () => {
      if (this.audio !== audio) return;
      const step = (audio.currentTime - begin) / seconds;
      if (step >= total) return this.stop();
      const span = spans.findLast((s) => s.from <= Math.max(0, step));
      if (step < span.from + span.steps) onStep(span.index, Math.max(0, step - span.from));
      this.frame = requestAnimationFrame(tick);
    };
    this.frame = requestAnimationFrame(tick);
  }
}
