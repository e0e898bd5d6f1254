"""Fuzzing the readers of untrusted files, and the properties every model must keep.

Promises:
- any bytes given to the MIDI reader either load (as well-formed model inputs)
  or raise ``VaekitError``: never another exception, never a hang (each example runs under a 10 s
  alarm), never a large allocation (the process's peak RSS grows by under 512 MiB over a whole
  test; forged lengths are checked under a hard address-space limit in a subprocess);
- token sequences -> MIDI file -> tokens round trip exactly;
- encode -> decode keeps shapes for every preset of every installed modality.

The default run draws a few hundred examples; ``pytest -m fuzz`` draws thousands.
"""

from __future__ import annotations

import io
import json
import resource
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vaekit import VaekitError, plugins
from vaekit.config import build, keys

QUICK = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}
RSS_GROWTH_BYTES = 512 * 2**20
FORGED_LENGTHS = [b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff", b"\0\0\0\0", b"\0\0\0\1"]


def peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


@pytest.fixture
def flat_peak_memory():
    """The test may not raise the process's peak RSS by ``RSS_GROWTH_BYTES`` or more."""
    before = peak_rss()
    yield
    grown = peak_rss() - before
    assert grown < RSS_GROWTH_BYTES, f"peak RSS grew by {grown / 2**20:.0f} MiB"


@st.composite
def mutated(draw, seeds: dict[str, bytes]):
    """A seed file with a few byte-level edits: overwrite, cut, insert, or a forged 32-bit length."""
    suffix = draw(st.sampled_from(sorted(seeds)))
    data = bytearray(seeds[suffix])
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, max(0, len(data) - 1)))
        kind = draw(st.sampled_from(["set", "set", "cut", "insert", "length"]))
        if kind == "set" and data:
            data[at] = draw(st.integers(0, 255))
        elif kind == "cut":
            del data[draw(st.integers(0, len(data))):]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "length":
            data[at:at + 4] = draw(st.sampled_from(FORGED_LENGTHS))
    return suffix, bytes(data)


# ---- MIDI --------------------------------------------------------------------------------------


def _midi_seeds() -> dict[str, bytes]:
    """A one-track file from the plugin's writer, a type-1 file with tempo and meter changes, and a
    short ABC tune."""
    import mido
    from vaekit_midi.midi_io import to_pretty_midi

    melody = np.zeros(64, np.int8)
    melody[::4] = np.arange(40, 56)
    buffer = io.BytesIO()
    to_pretty_midi([melody]).write(buffer)
    mid = mido.MidiFile(type=1, ticks_per_beat=96)
    meta = mido.MidiTrack([mido.MetaMessage("set_tempo", tempo=400000), mido.MetaMessage("time_signature"),
                           mido.MetaMessage("time_signature", numerator=3, denominator=4, time=384)])
    notes = mido.MidiTrack()
    for i in range(12):
        notes.append(mido.Message("note_on", note=60 + i, velocity=80, time=0 if i == 0 else 8))
        notes.append(mido.Message("note_off", note=60 + i, velocity=0, time=88))
    mid.tracks += [meta, notes]
    typed = io.BytesIO()
    mid.save(file=typed)
    abc = b"X:1\nT:t\nM:4/4\nL:1/8\nK:G\nG2AB c2BA | G2g2 f2e2 | d2B2 c2A2 | G8 | B2cd e2dc | B8 |]\n"
    return {".mid": buffer.getvalue(), ".midi": typed.getvalue(), ".abc": abc}


@pytest.fixture(scope="module")
def midi_reader():
    pytest.importorskip("vaekit_midi")
    from vaekit_midi.modality import MidiModality

    modality = MidiModality()
    return modality, build(modality, "mel_2bar"), _midi_seeds()


def midi_inputs():
    seeds = _midi_seeds() if _has("vaekit_midi") else {".mid": b"MThd"}
    raw = st.tuples(st.sampled_from([".mid", ".abc"]), st.binary(max_size=300))
    header = st.tuples(st.just(".mid"), st.binary(max_size=300).map(lambda b: b"MThd\0\0\0\6" + b))
    return st.one_of(mutated(seeds), mutated(seeds), raw, header)


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def check_midi(midi_reader, tmp_path, within, suffix: str, data: bytes) -> None:
    modality, config, _ = midi_reader
    path = tmp_path / f"fuzz{suffix}"
    path.write_bytes(data)
    try:
        with within(10):
            x = modality.read(path, config)
    except VaekitError as e:
        assert str(e).startswith(str(path)), e
        return
    assert x.dtype == torch.int64 and x.ndim == 2 and x.shape[1] == config["data"]["steps"] and len(x) >= 1
    assert int(x.min()) >= 0 and int(x.max()) < 90


@settings(max_examples=200, **QUICK)
@given(midi_inputs())
def test_any_bytes_given_to_the_midi_reader_load_or_raise_vaekit_error(midi_reader, tmp_path, within,
                                                                        flat_peak_memory, case):
    check_midi(midi_reader, tmp_path, within, *case)


@pytest.mark.fuzz
@settings(max_examples=4000, **QUICK)
@given(midi_inputs())
def test_fuzz_midi_reader_thousands(midi_reader, tmp_path, within, flat_peak_memory, case):
    check_midi(midi_reader, tmp_path, within, *case)


FORGED = """
import resource, sys
from pathlib import Path
from vaekit import VaekitError
from vaekit.config import build
{imports}
modality.read(Path(sys.argv[1]), config)  # a good file first: every lazy import happens before the limit
size = int(open("/proc/self/status").read().split("VmSize:")[1].split()[0]) * 1024
cap = size + {headroom}
resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
for name in sys.argv[2:]:
    try:
        modality.read(Path(name), config)
        print(name, "loaded")
    except VaekitError as e:
        print(name, "refused:", e)
"""


def _under_address_limit(tmp_path, imports: str, good, files: list) -> str:
    """Read ``files`` in a fresh process whose address space may grow by 256 MiB at most (after reading
    the ``good`` file), so that a large allocation fails loudly (MemoryError) even where the kernel
    would overcommit."""
    script = FORGED.format(imports=textwrap.dedent(imports), headroom=256 * 2**20)
    done = subprocess.run([sys.executable, "-c", script, str(good), *map(str, files)], capture_output=True, text=True,
                          timeout=120, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def test_forged_lengths_never_allocate_what_they_declare(tmp_path):
    """A MIDI chunk declaring about 2 GB, in a file of a few hundred bytes: each is refused with one
    line, within a 256 MiB address-space budget."""
    pytest.importorskip("vaekit_midi")
    seeds = _midi_seeds()
    (tmp_path / "good.mid").write_bytes(seeds[".mid"])
    midi = tmp_path / "forged.mid"
    midi.write_bytes(seeds[".mid"][:4] + b"\x7f\xff\xff\xff" + seeds[".mid"][8:])  # the MThd length
    track = tmp_path / "track.mid"
    at = seeds[".mid"].index(b"MTrk") + 4
    track.write_bytes(seeds[".mid"][:at] + b"\x7f\xff\xff\xff" + seeds[".mid"][at + 4:])
    out = _under_address_limit(tmp_path, """
        from vaekit_midi.modality import MidiModality
        modality = MidiModality(); config = build(modality, "mel_2bar")
    """, tmp_path / "good.mid", [midi, track])
    assert out.count("refused:") == 2 and "corrupt MIDI" in out, out



# ---- MIDI round trip ---------------------------------------------------------------------------


@st.composite
def token_batches(draw):
    """``(S, T)`` canonical melodies of any length: rests anywhere (leading, long), any pitch 21..108."""
    from vaekit_midi.tokens import NUM_CLASSES, canonical

    count, length = draw(st.integers(1, 3)), draw(st.integers(1, 96))
    weights = st.one_of(st.just(0), st.just(1), st.integers(2, NUM_CLASSES - 1))
    rows = [canonical(np.array(draw(st.lists(weights, min_size=length, max_size=length)), np.int8))
            for _ in range(count)]
    return np.stack(rows)


def tokens_from_midi(path, steps_per_bar: int, length: int, count: int) -> np.ndarray:
    """Tokens of each melody in a file written by ``write_midi`` (a bar of rest between melodies), read
    back through pretty_midi on the file's own ticks."""
    import pretty_midi
    from vaekit_midi.tokens import encode

    pm = pretty_midi.PrettyMIDI(str(path))
    scale = steps_per_bar / 4 / pm.resolution
    notes = sorted((round(pm.time_to_tick(n.start) * scale), round(pm.time_to_tick(n.end) * scale), n.pitch)
                   for i in pm.instruments for n in i.notes)
    stride = length + steps_per_bar
    out = []
    for k in range(count):
        mine = [(s - k * stride, e - k * stride, p) for s, e, p in notes if k * stride <= s < k * stride + length]
        out.append(encode(np.array(mine, np.int64).reshape(-1, 3), length))
    return np.stack(out)


def _round_trip(tmp_path, tokens, tempo, steps_per_bar):
    from vaekit_midi.midi_io import write_midi

    path = tmp_path / "round.mid"
    write_midi(tokens, path, tempo=tempo, steps_per_bar=steps_per_bar)
    np.testing.assert_array_equal(tokens_from_midi(path, steps_per_bar, tokens.shape[1], len(tokens)), tokens)


@settings(max_examples=100, **QUICK)
@given(st.data())
def test_token_sequences_round_trip_through_a_midi_file(tmp_path, data):
    """Unlike the plugin's own window test, any canonical sequence: leading and long rests, lengths that
    are not whole bars, several melodies in one file, tempi from 20 to 300 and a 12-step grid."""
    pytest.importorskip("vaekit_midi")
    tokens = data.draw(token_batches())
    _round_trip(tmp_path, tokens, data.draw(st.floats(20, 300)), data.draw(st.sampled_from([16, 12])))


@pytest.mark.fuzz
@settings(max_examples=3000, **QUICK)
@given(st.data())
def test_fuzz_token_round_trip_thousands(tmp_path, data):
    pytest.importorskip("vaekit_midi")
    tokens = data.draw(token_batches())
    _round_trip(tmp_path, tokens, data.draw(st.floats(20, 300)), data.draw(st.sampled_from([16, 12])))


# ---- every preset ------------------------------------------------------------------------------

#: Overrides that make a preset buildable without data (image sizes come from the data otherwise), and
#: small widths wherever a preset has such a key, so that every preset's shapes are checked in seconds.
NEEDS = {"image": ["data.size=16", "data.channels=1"], "vectors": ["data.features=32"]}
TINY = {"model.latent_dim": 8, "model.embed": 8, "model.encoder_hidden": 16, "model.decoder_hidden": 16,
        "model.conductor_hidden": 16, "model.hidden": 16, "model.widths": [8, 16], "model.bf16": False}


def _presets() -> list[tuple[str, str]]:
    return [(name, preset) for name, m in sorted(plugins.modalities().items()) for preset in m.presets()]


_models: dict[tuple[str, str], object] = {}


def _model(name: str, preset: str):
    if (name, preset) not in _models:
        modality = plugins.get_modality(name)
        have = keys(build(modality, preset, overrides=NEEDS.get(name, [])))
        tiny = [f"{k}={json.dumps(v)}" for k, v in TINY.items() if k in have]
        torch.manual_seed(0)
        config = build(modality, preset, overrides=[*NEEDS.get(name, []), *tiny])
        _models[name, preset] = modality.build_model(config).eval()
    return _models[name, preset]


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models on a shared machine: more intra-op threads only wait for each other."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize(("name", "preset"), _presets())
@settings(max_examples=3, **QUICK)
@given(batch=st.integers(1, 3), temperature=st.sampled_from([0.0, 0.5, 1.0]), seed=st.integers(0, 2**16))
def test_encode_decode_keeps_shapes_for_every_preset(one_thread, name, preset, batch, temperature, seed):
    """Samples are valid inputs: encoding them gives (B, D) means and log-variances, decoding the means
    gives outputs of the inputs' shape, in both the greedy and the sampling decoder."""
    model = _model(name, preset)
    x = model.sample(batch, temperature, generator=torch.Generator().manual_seed(seed))
    assert len(x) == batch
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (batch, model.latent_dim)
    assert torch.isfinite(mu).all() and torch.isfinite(logvar).all()
    for t in sorted({0.0, temperature}):
        assert model.decode(mu, t).shape == x.shape
    out = model(x, x)
    assert out.log_px.shape == (batch,) and out.kl.shape == (batch, model.latent_dim)
