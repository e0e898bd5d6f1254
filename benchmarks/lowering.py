"""Convolutions over a few pixels, run as one matrix multiply.

oneDNN's direct convolution kernels are slow where a convolution has only a few output positions
(the last stride-2 stages of an encoder, onto 3x3 or 1x1), and a transposed convolution from a few
input positions (the first stage of a decoder, from 4x4) runs faster as one bf16 matmul. With more
positions the direct kernels win, so a lowered layer takes the matmul path only where the
positions are at most ``MAX_POSITIONS``, and is a plain convolution otherwise. The timings behind
both are in benchmarks/README.md ("Images at pythae's architecture"). No preset uses it: it lives
beside the image benchmarks that do (``image_mnist.py``, ``pythae_step.py``).

Lowering changes the class of each eligible layer in place: parameters, state dict, hooks, the
function computed and the output's memory format stay those of the original layer.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

MAX_POSITIONS = 16


def _plain(layer: nn.Conv2d | nn.ConvTranspose2d) -> bool:
    """One group, zero padding given as numbers: what unfold and fold compute."""
    return layer.groups == 1 and layer.padding_mode == "zeros" and not isinstance(layer.padding, str)


def _in_format_of(y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``y`` laid out as the plain kernels lay out their output for input ``x``."""
    channels_last = x.is_contiguous(memory_format=torch.channels_last) and not x.is_contiguous()
    return y.contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)


class LoweredConv2d(nn.Conv2d):
    """``nn.Conv2d`` computed as unfold and one matmul where it has few output positions."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            return super().forward(x)
        out = [(size + 2 * p - d * (k - 1) - 1) // s + 1 for size, p, d, k, s in
               zip(x.shape[2:], self.padding, self.dilation, self.kernel_size, self.stride)]
        if out[0] * out[1] > MAX_POSITIONS:
            return super().forward(x)
        cols = F.unfold(x, self.kernel_size, self.dilation, self.padding, self.stride)  # (N, C*kh*kw, L)
        y = F.linear(cols.transpose(1, 2), self.weight.flatten(1), self.bias)  # (N, L, C_out)
        return _in_format_of(y.transpose(1, 2).unflatten(2, out), x)


class LoweredConvTranspose2d(nn.ConvTranspose2d):
    """``nn.ConvTranspose2d`` computed as one matmul and fold where it has few input positions."""

    def forward(self, x: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        if x.dim() != 4 or x.shape[2] * x.shape[3] > MAX_POSITIONS:
            return super().forward(x, output_size)
        extra = self._output_padding(x, output_size, self.stride, self.padding, self.kernel_size, 2, self.dilation)
        if any(e >= s for e, s in zip(extra, self.stride)):  # fold would see more blocks than x has positions
            return super().forward(x, output_size)
        out = [(size - 1) * s - 2 * p + d * (k - 1) + e + 1 for size, s, p, d, k, e in
               zip(x.shape[2:], self.stride, self.padding, self.dilation, self.kernel_size, extra)]
        cols = torch.matmul(x.flatten(2).transpose(1, 2), self.weight.flatten(1))  # (N, H*W, C_out*kh*kw)
        y = F.fold(cols.transpose(1, 2), out, self.kernel_size, self.dilation, self.padding, self.stride)
        y = y if self.bias is None else y + self.bias.to(y.dtype).view(1, -1, 1, 1)
        return _in_format_of(y, x)


def lower_convolutions(module: nn.Module) -> nn.Module:
    """Lower every plain 2-D convolution and transposed convolution in ``module``; returns it."""
    for layer in module.modules():
        if type(layer) is nn.Conv2d and _plain(layer):
            layer.__class__ = LoweredConv2d
        elif type(layer) is nn.ConvTranspose2d and _plain(layer):
            layer.__class__ = LoweredConvTranspose2d
    return module
