"""The melody models: shapes, likelihood, scheduled sampling, the hierarchical decoder's bar
isolation, and that both decoders learn on synthetic melodies."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from vaekit_midi.kinds import KINDS
from vaekit_midi.networks import (
    VOCAB,
    BarEncoder,
    FlatDecoder,
    HierarchicalDecoder,
    LSTMEncoder,
    pick,
    token_log_prob,
)
from vaekit_midi.presets import PRESETS

from vaekit import VAE, VaekitError, objective, plugins
from vaekit.config import CONFIG_VERSION, CORE_DEFAULTS, merge, migrate

pytestmark = pytest.mark.usefixtures("one_thread")


def melodies(n: int, steps: int, seed: int = 0) -> torch.Tensor:
    """Synthetic tunes: scales and arpeggios up or down from a random pitch, notes held for 1, 2 or 4
    steps, some ended by a note-off."""
    g = torch.Generator().manual_seed(seed)
    shapes = [[0, 2, 4, 5, 7, 9, 11, 12], [0, 4, 7, 12, 16, 19, 24, 28], [0, 3, 7, 10, 12, 15, 19, 22]]
    out = torch.zeros(n, steps, dtype=torch.long)
    for i in range(n):
        shape = shapes[int(torch.randint(3, (1,), generator=g))]
        base, down = int(torch.randint(55, 70, (1,), generator=g)), bool(torch.randint(2, (1,), generator=g))
        length, rest = [1, 2, 4][int(torch.randint(3, (1,), generator=g))], bool(torch.randint(2, (1,), generator=g))
        for k, t in enumerate(range(0, steps, length)):
            pitch = base - shape[k % len(shape)] if down else base + shape[k % len(shape)]
            out[i, t] = pitch - 19
            if rest and length > 1:
                out[i, t + length - 1] = 1
    return out


def config(preset: str, **model) -> dict:
    cfg = merge(CORE_DEFAULTS, PRESETS[preset])
    cfg["model"].update(model)
    return cfg


def small_model(decoder: str, steps: int, **model) -> VAE:
    sizes = dict(latent_dim=16, embed=16, encoder_hidden=64, decoder_hidden=96, conductor_hidden=48, decoder=decoder)
    cfg = config("mel_2bar", **{**sizes, **model})
    cfg["data"]["steps"] = steps
    return KINDS["melody"].build_model(cfg)


def test_melodies_are_valid_tokens():
    x = melodies(50, 32)
    assert x.min() >= 0 and x.max() < VOCAB and (x >= 2).sum(1).min() >= 8


@pytest.mark.parametrize("preset", ["mel_2bar", "mel_16bar"])
def test_shapes_of_each_preset(preset):
    torch.manual_seed(0)
    cfg = config(preset)
    model, steps, latent = KINDS["melody"].build_model(cfg), cfg["data"]["steps"], cfg["model"]["latent_dim"]
    x = melodies(3, steps)
    out = model(x, x)
    assert out.log_px.shape == (3,) and out.kl.shape == (3, latent) and out.z.shape == (3, latent)
    assert torch.isfinite(out.log_px).all() and (out.log_px < 0).all()
    mu, logvar = model.encode(x)
    assert mu.shape == logvar.shape == (3, latent)
    for y in (model.decode(mu), model.sample(2, temperature=0.5), model.interpolate(x[0], x[1], steps=4)):
        assert y.dtype == torch.long and y.shape[1] == steps
        assert y.min() >= 0 and y.max() < VOCAB
    assert model.interpolate(x[0], x[1], steps=4).shape == (4, steps)


def test_log_prob_is_summed_cross_entropy():
    logits, x = torch.randn(4, 32, VOCAB), torch.randint(0, VOCAB, (4, 32))
    want = -torch.stack([F.cross_entropy(logits[i], x[i], reduction="sum") for i in range(4)])
    torch.testing.assert_close(token_log_prob(logits, x), want)
    dec = FlatDecoder(8, 32, 16, 1, 8)
    torch.testing.assert_close(dec.log_prob(logits, x), want)


def test_teacher_probability_schedule():
    dec = FlatDecoder(8, 32, 16, 1, 8, sampling_rate=1000.0)
    probs = []
    for step in (0, 1000, 5000, 10000, 20000, 10**9):
        dec.set_step(step)
        probs.append(dec.teacher_prob())
    assert probs[0] == 1.0 and probs == sorted(probs, reverse=True)
    assert 0.99 < probs[1] < 1.0 and probs[3] < 0.1 and probs[-1] < 1e-12
    assert FlatDecoder(8, 32, 16, 1, 8, sampling_rate=0.0).teacher_prob() == 1.0


@pytest.mark.parametrize("decoder", ["flat", "hierarchical"])
def test_scheduled_sampling_only_in_training_after_step_0(decoder):
    torch.manual_seed(0)
    model = small_model(decoder, 64, sampling_rate=10.0, bf16=False)  # train and eval in one precision
    x, z = melodies(8, 64), torch.randn(8, 16)
    dec = model.decoder
    dec.eval()
    reference = dec(z, x)
    dec.train()
    dec.set_step(0)
    torch.testing.assert_close(dec(z, x), reference, rtol=0, atol=0)
    dec.set_step(100)  # p_teacher = 11 / (10 + e^10): nearly every previous token is the model's own
    assert not torch.allclose(dec(z, x), reference)
    dec.eval()
    torch.testing.assert_close(dec(z, x), reference, rtol=0, atol=0)


def test_scheduled_sampling_swaps_only_previous_tokens():
    """The first step's input is always the start token, so its logits never change."""
    torch.manual_seed(0)
    dec = FlatDecoder(16, 32, 32, 1, 8, sampling_rate=10.0).train()
    x, z = melodies(8, 32), torch.randn(8, 16)
    dec.set_step(0)
    reference = dec(z, x)
    dec.set_step(100)
    mixed = dec(z, x)
    torch.testing.assert_close(mixed[:, 0], reference[:, 0], rtol=0, atol=0)
    assert not torch.allclose(mixed[:, 1:], reference[:, 1:])


@pytest.mark.parametrize("bf16", [False, "auto"])
def test_bar_decoder_sees_only_its_bar_embedding(bf16):
    torch.manual_seed(0)
    dec = HierarchicalDecoder(16, 64, 16, 24, 1, 32, 1, 8, bf16=bf16).eval()
    x = melodies(3, 64)
    emb = dec.conduct(torch.randn(3, 16))
    assert emb.shape == (3, 4, 24)
    prev = torch.cat([torch.full((3, 1), dec.bar.start), x[:, :-1]], 1)
    changed = emb.clone()
    changed[:, 1] += 1.0
    a, b = dec.decode_bars(dec.bar, emb, prev), dec.decode_bars(dec.bar, changed, prev)
    bar = slice(16, 32)
    torch.testing.assert_close(a[:, :16], b[:, :16], rtol=0, atol=0)
    torch.testing.assert_close(a[:, 32:], b[:, 32:], rtol=0, atol=0)
    assert not torch.allclose(a[:, bar], b[:, bar])


def test_sampled_bars_before_a_changed_embedding_stay_the_same(monkeypatch):
    torch.manual_seed(0)
    dec = HierarchicalDecoder(16, 64, 16, 24, 1, 32, 1, 8, bf16=False).eval()
    z = torch.randn(3, 16)
    emb = dec.conduct(z) * 4  # scaled up so that greedy decoding depends on the embedding
    changed = emb.clone()
    changed[:, 2] = -changed[:, 2]
    monkeypatch.setattr(dec, "conduct", lambda z: emb)
    a = dec.sample(z, 0.0)
    monkeypatch.setattr(dec, "conduct", lambda z: changed)
    b = dec.sample(z, 0.0)
    assert torch.equal(a[:, :32], b[:, :32]) and not torch.equal(a[:, 32:48], b[:, 32:48])


@pytest.mark.parametrize("stride", [1, 4])
def test_encoder_reads_the_whole_sequence_both_ways(stride):
    torch.manual_seed(0)
    enc = LSTMEncoder(8, 16, 1, 8, bf16=False, stride=stride)
    x = melodies(2, 32)
    for t in (0, 1, 2, 3, 30, 31):  # every place within the first and the last group of tokens
        y = x.clone()
        y[:, t] = (y[:, t] + 5) % VOCAB
        assert not torch.allclose(enc(x)[0], enc(y)[0])
    swapped = torch.cat([x[:, 1:2], x[:, :1], x[:, 2:]], 1)  # order within a group matters too
    assert not torch.equal(x, swapped) and not torch.allclose(enc(x)[0], enc(swapped)[0])
    items = torch.cat([enc(x[i : i + 1])[0] for i in range(2)])  # groups never mix across the batch
    torch.testing.assert_close(enc(x)[0], items)
    # step s of the LSTM reads tokens s*k .. s*k+k-1, in order
    groups = torch.stack([torch.cat([enc.embed(x[:, s * stride + i]) for i in range(stride)], -1)
                          for s in range(32 // stride)])
    _, (h, _) = enc.rnn(groups)
    torch.testing.assert_close(enc.summarise(x), torch.cat([h[-2], h[-1]], -1))


def test_encoder_stride_must_divide_the_steps():
    with pytest.raises(ValueError, match=r"30 steps do not split into groups of 4 tokens \(the encoder's stride\)"):
        LSTMEncoder(8, 16, 1, 8, bf16=False, stride=4)(melodies(2, 32)[:, :30])


def test_encoder_stride_sets_the_encoder_input_and_old_runs_keep_one_token_a_step():
    cfg = config("mel_2bar")
    assert cfg["model"]["encoder_stride"] == 4
    assert KINDS["melody"].build_model(cfg).encoder.rnn.input_size == 4 * cfg["model"]["embed"]
    del cfg["model"]["encoder_stride"], cfg["config_version"]  # a run saved before model.encoder_stride existed
    migrate(cfg, plugins.get_modality("midi"))
    assert cfg["config_version"] == CONFIG_VERSION and cfg["model"]["encoder_stride"] == 1
    assert KINDS["melody"].build_model(cfg).encoder.rnn.input_size == cfg["model"]["embed"]
    cfg = config("mel_16bar", encoder_stride=4)  # the per-bar encoder reads each bar 4 tokens a step
    assert KINDS["melody"].build_model(cfg).encoder.rnn.input_size == 4 * cfg["model"]["embed"]


@pytest.mark.parametrize("temperature", [1.0, 0.5])
def test_pick_draws_from_the_softmax_at_its_temperature(temperature):
    torch.manual_seed(0)
    logits = torch.tensor([0.0, 1.0, 2.0, -1.0, -30.0])
    draws = pick(logits.expand(2, 50_000, 5), temperature)
    assert draws.shape == (2, 50_000)
    share = torch.bincount(draws.flatten(), minlength=5) / draws.numel()
    torch.testing.assert_close(share, torch.softmax(logits / temperature, -1), atol=0.005, rtol=0)
    assert torch.equal(pick(logits.expand(3, 5), 0.0), torch.full((3,), 2))
    impossible = torch.tensor([-torch.inf, 0.0, -torch.inf, 0.0, -torch.inf])
    assert set(pick(impossible.expand(20_000, 5), temperature).unique().tolist()) == {1, 3}


def test_pick_never_draws_a_class_of_probability_0_at_the_ends_of_the_uniform_range(monkeypatch):
    """Inverse CDF: the first class whose cumulative probability exceeds the draw, so a draw of exactly
    0 skips leading classes of probability 0, and the largest draw below 1 lands on the last possible one."""
    logits = torch.tensor([[-torch.inf, 0.0, -torch.inf, 0.0, -torch.inf]])
    for u, want in ((0.0, 1), (1.0 - 2**-24, 3)):
        monkeypatch.setattr(torch, "rand", lambda *shape, device=None, u=u: torch.full(*shape, u, device=device))
        assert pick(logits, 1.0).tolist() == [want]


def test_bar_encoder_reads_every_bar_in_order():
    torch.manual_seed(0)
    enc = BarEncoder(8, 16, 4, 16, embed=8, bf16=False)
    x = melodies(2, 64)
    for t in (0, 20, 40, 63):  # a step in each of the four bars
        y = x.clone()
        y[:, t] = (y[:, t] + 5) % VOCAB
        assert not torch.allclose(enc(x)[0], enc(y)[0])
    x[:, 16:32] = x.flip(0)[:, 16:32]  # the other melody's second bar, so that the first two bars differ
    swapped = torch.cat([x[:, 16:32], x[:, :16], x[:, 32:]], 1)
    assert not torch.equal(x, swapped)
    assert not torch.allclose(enc(x)[0], enc(swapped)[0])
    items = torch.cat([enc(x[i : i + 1])[0] for i in range(2)])  # bars never mix across the batch
    torch.testing.assert_close(enc(x)[0], items)
    with pytest.raises(ValueError, match="not 4 bars of 16"):
        enc(x[:, :48])


def test_bad_model_configs_are_clear_errors():
    with pytest.raises(VaekitError, match="model.decoder"):
        KINDS["melody"].build_model(config("mel_2bar", decoder="transformer"))
    with pytest.raises(VaekitError, match="model.encoder"):
        KINDS["melody"].build_model(config("mel_2bar", encoder="transformer"))
    with pytest.raises(VaekitError, match="model.encoder_stride 5 is not an integer that divides data.steps 32"):
        KINDS["melody"].build_model(config("mel_2bar", encoder_stride=5))
    with pytest.raises(VaekitError, match="divides data.steps_per_bar 16"):
        KINDS["melody"].build_model(config("mel_16bar", encoder_stride=3))
    for bad in (0, 4.0, True):
        with pytest.raises(VaekitError, match=f"model.encoder_stride {bad!r} is not an integer"):
            KINDS["melody"].build_model(config("mel_2bar", encoder_stride=bad))
    cfg = config("mel_16bar")
    cfg["data"]["steps"] = 250
    with pytest.raises(VaekitError, match="data.steps 250"):
        KINDS["melody"].build_model(cfg)


@pytest.mark.parametrize("encoder,decoder,steps,sampling_rate,model_keys",
                         [("flat", "flat", 32, 50.0, {}), ("flat", "hierarchical", 64, 0.0, {}),
                          ("hierarchical", "hierarchical", 64, 0.0, {}),
                          ("flat", "flat", 32, 50.0, {"encoder_stride": 4})])
def test_models_learn_synthetic_melodies(encoder, decoder, steps, sampling_rate, model_keys):
    torch.manual_seed(0)
    model = small_model(decoder, steps, encoder=encoder, sampling_rate=sampling_rate, **model_keys)
    data = melodies(256, steps)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for step in range(200):
        model.decoder.set_step(step)
        x = data[torch.randint(0, len(data), (64,))]
        out = model(x, x)
        loss = objective.elbo(out.log_px, out.kl, beta=0.01).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(loss.item())
    start, end = sum(losses[:5]) / 5, sum(losses[-5:]) / 5
    assert end < 0.2 * start, (start, end)
    model.eval()
    mu, _ = model.encode(data[:64])
    acc = (model.decoder(mu, data[:64]).argmax(-1) == data[:64]).float().mean()
    assert acc > 0.85, acc


def test_runs_saved_at_config_version_1_keep_how_they_were_trained():
    midi = plugins.get_modality("midi")
    olds = {}
    for preset in ("groove_2bar", "mel_2bar_chords", "mel_2bar"):
        cfg = config(preset)
        cfg["config_version"] = 1
        cfg["model"].pop("feedback", None), cfg["model"].pop("chord_relative", None)
        olds[preset] = migrate(cfg, midi)["model"]
        assert cfg["config_version"] == CONFIG_VERSION
    assert olds["groove_2bar"]["feedback"] == "all"  # before model.feedback, every feature of the step before
    assert olds["mel_2bar_chords"]["chord_relative"] is False  # before the chord frame: absolute pitches
    assert "feedback" not in olds["mel_2bar"] and "chord_relative" not in olds["mel_2bar"]
    assert KINDS["chord_melody"].build_model(config("mel_2bar_chords", chord_relative=False)).encoder is not None
