import pytest
import torch
from vaekit_image.networks import ConvDecoder, ConvEncoder, build, stage_sizes


def test_stage_sizes_halve_to_at_most_seven():
    assert stage_sizes(28) == [28, 14, 7]
    assert stage_sizes(8) == [8, 4]
    assert stage_sizes(64) == [64, 32, 16, 8, 4]
    assert stage_sizes(13) == [13, 7]
    assert stage_sizes(5) == [5]


@pytest.mark.parametrize("size", [5, 8, 13, 28, 32, 37, 64])
@pytest.mark.parametrize("channels", [1, 3])
def test_any_size_round_trips(size, channels):
    enc = ConvEncoder(channels, size, [8, 16], 32, 4, blocks=1)
    dec = ConvDecoder(channels, size, [8, 16], 32, 4, blocks=1)
    x = torch.rand(2, channels, size, size)
    mu, logvar = enc(x)
    assert mu.shape == logvar.shape == (2, 4)
    logits = dec(mu)
    assert logits.shape == x.shape
    assert dec.log_prob(logits, x).shape == (2,)


def test_widths_follow_the_keras_example():
    enc = ConvEncoder(1, 28, [32, 64], 16, 2)
    convs = [m for m in enc.features if isinstance(m, torch.nn.Conv2d)]
    assert [(c.in_channels, c.out_channels, c.stride) for c in convs] == [(1, 32, (2, 2)), (32, 64, (2, 2))]
    dec = ConvDecoder(1, 28, [32, 64], 16, 2)
    ups = [m for m in dec.features if isinstance(m, torch.nn.ConvTranspose2d)]
    assert [(u.in_channels, u.out_channels) for u in ups] == [(64, 64), (64, 32)]


def test_gaussian_log_prob_is_a_normal_density():
    dec = ConvDecoder(1, 8, [4], 0, 2, likelihood="gaussian", sigma=0.5)
    mean, x = torch.zeros(1, 1, 8, 8), torch.full((1, 1, 8, 8), 0.25)
    expected = torch.distributions.Normal(0.0, 0.5).log_prob(x).sum()
    assert torch.allclose(dec.log_prob(mean, x), expected.view(1))
    assert not dec.log_sigma.requires_grad


def test_sample_is_in_unit_range_and_mean_for_bernoulli():
    dec = ConvDecoder(1, 8, [4], 0, 2)
    z = torch.randn(3, 2)
    out = dec.sample(z, 1.0)
    assert out.shape == (3, 1, 8, 8) and out.min() >= 0 and out.max() <= 1
    assert torch.equal(out, dec.sample(z, 0.0))


def test_build_needs_known_size(config_of):
    with pytest.raises(ValueError, match="load the data first"):
        build(config_of("conv"))
    model = build(config_of("conv", data__size=16, data__channels=3, model__variational=False))
    assert not model.variational
    out = model(torch.rand(2, 3, 16, 16), torch.rand(2, 3, 16, 16))
    assert torch.equal(out.kl, torch.zeros_like(out.kl))


def test_bf16_autocast_keeps_fp32_outputs_close_to_fp32():
    torch.manual_seed(0)
    enc, dec = ConvEncoder(1, 28, [16, 32], 32, 4, bf16=False), ConvDecoder(1, 28, [16, 32], 32, 4, bf16=False)
    x = torch.rand(4, 1, 28, 28)
    mu32, logits32 = enc(x)[0], dec(enc(x)[0])
    enc.bf16 = dec.bf16 = True
    mu16, logits16 = enc(x)[0], dec(mu32)
    assert mu16.dtype == logits16.dtype == torch.float32
    assert not torch.equal(mu16, mu32)  # autocast did run in bf16
    assert torch.allclose(mu16, mu32, atol=0.05) and torch.allclose(logits16, logits32, atol=0.05)
    enc.bf16 = dec.bf16 = "auto"  # on a CPU "auto" is fp32
    assert torch.equal(enc(x)[0], mu32)
