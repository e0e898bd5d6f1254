import copy

import pytest
import torch
from lowering import MAX_POSITIONS, LoweredConv2d, LoweredConvTranspose2d, lower_convolutions
from torch import nn

LAYERS = {
    "conv 4x4 s2": lambda: nn.Conv2d(6, 10, 4, stride=2, padding=1),
    "conv 3x3 s2 no bias": lambda: nn.Conv2d(6, 10, 3, stride=2, padding=1, bias=False),
    "conv 3x3 dilated": lambda: nn.Conv2d(6, 10, 3, padding=2, dilation=2),
    "conv 2x3 asymmetric": lambda: nn.Conv2d(6, 10, (2, 3), stride=(1, 2), padding=(0, 1)),
    "transposed 3x3 s2": lambda: nn.ConvTranspose2d(6, 10, 3, stride=2, padding=1),
    "transposed 3x3 s2 padded": lambda: nn.ConvTranspose2d(6, 10, 3, stride=2, padding=1, output_padding=1),
    "transposed 4x4 s2 no bias": lambda: nn.ConvTranspose2d(6, 10, 4, stride=2, padding=1, bias=False),
    "transposed dilated, output padding": lambda: nn.ConvTranspose2d(6, 10, 3, padding=1, dilation=2,
                                                                     output_padding=1),
}


@pytest.mark.parametrize("shape", [(2, 2), (3, 3), (4, 4), (2, 5), (11, 11)])  # 11x11: the plain kernels
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("name", LAYERS)
def test_lowered_layer_computes_the_same_function_and_gradients(name, shape, channels_last):
    torch.manual_seed(0)
    plain = LAYERS[name]()
    lowered = lower_convolutions(copy.deepcopy(plain))
    assert type(lowered) in (LoweredConv2d, LoweredConvTranspose2d)
    x = torch.randn(5, 6, *shape)
    if channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    x_plain, x_lowered = x.clone().requires_grad_(), x.clone().requires_grad_()
    y_plain, y_lowered = plain(x_plain), lowered(x_lowered)
    assert y_lowered.shape == y_plain.shape
    for layout in (torch.contiguous_format, torch.channels_last):  # what a later .view() relies on
        assert y_lowered.is_contiguous(memory_format=layout) == y_plain.is_contiguous(memory_format=layout)
    torch.testing.assert_close(y_lowered, y_plain, rtol=1e-5, atol=1e-5)
    grad = torch.randn_like(y_plain)
    y_plain.backward(grad)
    y_lowered.backward(grad)
    torch.testing.assert_close(x_lowered.grad, x_plain.grad, rtol=1e-5, atol=1e-5)
    for p_lowered, p_plain in zip(lowered.parameters(), plain.parameters(), strict=True):
        torch.testing.assert_close(p_lowered.grad, p_plain.grad, rtol=1e-4, atol=1e-4)


def test_transposed_output_size_is_honoured():
    plain = nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1)
    lowered = lower_convolutions(copy.deepcopy(plain))
    x = torch.randn(2, 4, 3, 3)
    y = lowered(x, output_size=[6, 6])
    assert y.shape == (2, 3, 6, 6)
    torch.testing.assert_close(y, plain(x, output_size=[6, 6]))


@pytest.mark.parametrize("kind, helper", [(nn.Conv2d, "unfold"), (nn.ConvTranspose2d, "fold")])
def test_matmul_path_runs_only_for_few_positions(monkeypatch, kind, helper):
    calls = []
    real = getattr(torch.nn.functional, helper)
    monkeypatch.setattr(torch.nn.functional, helper, lambda *a, **k: calls.append(1) or real(*a, **k))
    layer = lower_convolutions(kind(2, 2, 3, padding=1))  # stride 1: as many positions out as in
    side = int(MAX_POSITIONS ** 0.5)
    layer(torch.randn(1, 2, side, side))
    assert calls == [1]
    layer(torch.randn(1, 2, side + 1, side + 1))
    assert calls == [1]


def test_lowering_keeps_parameters_and_state_dict_and_skips_what_it_cannot_compute():
    net = nn.Sequential(nn.Conv2d(4, 8, 3), nn.Conv2d(8, 8, 3, groups=2), nn.Conv2d(8, 8, 3, padding="same"),
                        nn.ConvTranspose2d(8, 4, 3), nn.Linear(3, 3))
    params = [id(p) for p in net.parameters()]
    keys = list(net.state_dict())
    lower_convolutions(net)
    assert [type(m) for m in net] == [LoweredConv2d, nn.Conv2d, nn.Conv2d, LoweredConvTranspose2d, nn.Linear]
    assert [id(p) for p in net.parameters()] == params
    assert list(net.state_dict()) == keys


def test_lowered_layers_run_under_bf16_autocast():
    torch.manual_seed(0)
    plain = nn.Sequential(nn.Conv2d(8, 16, 4, stride=2, padding=1), nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1))
    lowered = lower_convolutions(copy.deepcopy(plain))
    x = torch.randn(3, 8, 4, 4)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        y, y_plain = lowered(x), plain(x)
    assert y.dtype == y_plain.dtype == torch.bfloat16
    torch.testing.assert_close(y.float(), plain(x), rtol=0.05, atol=0.05)
