// A drum kit made in the browser with Web Audio (oscillators and one buffer of noise, nothing loaded),
// and a player that plays a beat at its velocities and microtiming, looped or once, reading the beat
// again at every step (so an edit, or a new blend, is heard at once) and reporting its playhead.
import { DRUMS } from "./beat.js";

const LOOKAHEAD = 0.15; // seconds of hits scheduled ahead of the clock

function noiseBuffer(audio) {
  const buffer = audio.createBuffer(1, audio.sampleRate, audio.sampleRate);
  const data = buffer.getChannelData(0);
  for (let i = 0; i < data.length; i += 1) data[i] = Math.random() * 2 - 1;
  return buffer;
}

// One sound: a source through an optional filter and a gain that decays from `peak` in `decay` seconds.
function voice(audio, out, source, t, peak, decay, filter = null) {
  const gain = audio.createGain();
  gain.gain.setValueAtTime(0.0001, t);
  gain.gain.exponentialRampToValueAtTime(peak, t + 0.002);
  gain.gain.exponentialRampToValueAtTime(0.0001, t + decay);
  (filter ? source.connect(filter) : source).connect(gain).connect(out);
  source.start(t);
  source.stop(t + decay + 0.05);
}

function tone(audio, out, t, from, to, peak, decay, type = "sine") {
  const osc = audio.createOscillator();
  osc.type = type;
  osc.frequency.setValueAtTime(from, t);
  osc.frequency.exponentialRampToValueAtTime(to, t + Math.min(decay, 0.12));
  voice(audio, out, osc, t, peak, decay);
}

function noise(audio, out, noiseData, t, type, frequency, peak, decay, q = 0.8) {
  const src = audio.createBufferSource();
  src.buffer = noiseData;
  const filter = audio.createBiquadFilter();
  filter.type = type;
  filter.frequency.value = frequency;
  filter.Q.value = q;
  voice(audio, out, src, t, peak, decay, filter);
}

const TOMS = { 4: 95, 5: 135, 6: 185 }; // low, mid and high tom, in Hz

// Strike drum `drum` (an index of DRUMS) at time `t`, `vel` 1..127.
function strike(audio, out, noiseData, drum, t, vel) {
  const v = (vel / 127) ** 1.6;
  const name = DRUMS[drum];
  if (name === "kick") {
    tone(audio, out, t, 160, 45, 0.9 * v, 0.45);
    noise(audio, out, noiseData, t, "lowpass", 1800, 0.15 * v, 0.015);
  } else if (name === "snare") {
    tone(audio, out, t, 240, 180, 0.35 * v, 0.12, "triangle");
    noise(audio, out, noiseData, t, "highpass", 1200, 0.55 * v, 0.2);
  } else if (name === "closed hi-hat") {
    noise(audio, out, noiseData, t, "highpass", 7500, 0.3 * v, 0.05);
  } else if (name === "open hi-hat") {
    noise(audio, out, noiseData, t, "highpass", 7000, 0.3 * v, 0.35);
  } else if (drum in TOMS) {
    tone(audio, out, t, TOMS[drum] * 1.6, TOMS[drum], 0.7 * v, 0.4);
  } else if (name === "crash") {
    noise(audio, out, noiseData, t, "highpass", 4000, 0.35 * v, 1.4);
    noise(audio, out, noiseData, t, "bandpass", 6000, 0.2 * v, 0.8, 0.5);
  } else if (name === "ride") {
    noise(audio, out, noiseData, t, "bandpass", 9000, 0.18 * v, 0.7, 1.5);
    for (const f of [3150, 4710]) tone(audio, out, t, f, f, 0.03 * v, 0.6, "square");
  }
}

export class DrumPlayer {
  constructor() {
    this.audio = null;
    this.timer = null;
    this.frame = null;
    this.onEnd = null;
  }

  get playing() { return this.audio !== null; }

  stop() {
    clearInterval(this.timer);
    cancelAnimationFrame(this.frame);
    this.timer = this.frame = null;
    if (this.audio) this.audio.close();
    this.audio = null;
    const onEnd = this.onEnd;
    this.onEnd = null;
    if (onEnd) onEnd();
  }

  // Play `getBeat()` at `tempo` (quarter notes a minute), looped or once; onStep(position in steps)
  // each frame, onEnd() when it stops.
  play(getBeat, tempo, { loop = true, onStep = () => {}, onEnd = () => {} } = {}) {
    this.stop();
    const audio = new AudioContext();
    const out = audio.createDynamicsCompressor();
    out.connect(audio.destination);
    const noiseData = noiseBuffer(audio);
    const step = 60 / tempo / 4;
    const begin = audio.currentTime + 0.08;
    this.audio = audio;
    this.onEnd = onEnd;
    let next = 0; // the next step (counted from the start, over loops) to schedule
    const schedule = () => {
      const beat = getBeat();
      if (!beat) return;
      // a step is scheduled half a step early, so that a hit played ahead of it is not late
      while (begin + (next - 0.5) * step < audio.currentTime + LOOKAHEAD) {
        if (!loop && next >= beat.steps) break;
        const s = next % beat.steps;
        for (let d = 0; d < DRUMS.length; d += 1) {
          const vel = beat.vel[d][s];
          if (vel > 0) strike(audio, out, noiseData, d, Math.max(audio.currentTime, begin + (next + beat.off[d][s]) * step), vel);
        }
        next += 1;
      }
    };
    schedule();
    this.timer = setInterval(schedule, 25);
    const frame = () => {
      if (this.audio !== audio) return;
      const beat = getBeat();
      const at = (audio.currentTime - begin) / step;
      if (!beat || (!loop && at >= beat.steps + 1)) return this.stop();
      onStep(Math.max(0, at) % beat.steps);
      this.frame = requestAnimationFrame(frame);
    };
    this.frame = requestAnimationFrame(frame);
  }
}
