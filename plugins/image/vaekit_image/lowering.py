"""Convolutions over a few pixels, run as one matrix multiply.

oneDNN's direct convolution kernels are slow where a convolution has only a few output positions
(the last stride-2 stages of an encoder, onto 3x3 or 1x1) or a transposed convolution only a few
input positions (the first stage of a decoder, from 4x4). On 2 AMX cores, forward and backward
of a batch of 100 (``benchmarks/README.md``): pythae's 512->1024 4x4 convolution onto 1x1 took
141 ms in fp32 and 187 ms in bf16 as a convolution, 41 and 38 ms as unfold and one matmul; its
1024->512 transposed convolution from 4x4 took 178 ms in bf16, 79 ms as a matmul and fold. With
more positions the direct kernels win (a 128->256 convolution onto 7x7: 72 against 166 ms), so a
lowered layer takes the matmul path only where the positions are at most ``MAX_POSITIONS``, and is
a plain convolution otherwise.

Lowering changes the class of each eligible layer in place: parameters, state dict, hooks and the
function computed stay those of the original layer.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

MAX_POSITIONS = 16


def _plain(layer: nn.Conv2d | nn.ConvTranspose2d) -> bool:
    """One group, zero padding given as numbers: what unfold and fold compute."""
    return layer.groups == 1 and layer.padding_mode == "zeros" and not isinstance(layer.padding, str)


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
        return y.transpose(1, 2).unflatten(2, out)


class LoweredConvTranspose2d(nn.ConvTranspose2d):
    """``nn.ConvTranspose2d`` computed as one matmul and fold where it has few input positions."""

    def forward(self, x: torch.Tensor, output_size: list[int] | None = None) -> torch.Tensor:
        if x.dim() != 4 or x.shape[2] * x.shape[3] > MAX_POSITIONS:
            return super().forward(x, output_size)
        extra = self._output_padding(x, output_size, self.stride, self.padding, self.kernel_size, 2, self.dilation)
        out = [(size - 1) * s - 2 * p + d * (k - 1) + e + 1 for size, s, p, d, k, e in
               zip(x.shape[2:], self.stride, self.padding, self.dilation, self.kernel_size, extra)]
        cols = torch.matmul(x.flatten(2).transpose(1, 2), self.weight.flatten(1))  # (N, H*W, C_out*kh*kw)
        y = F.fold(cols.transpose(1, 2), out, self.kernel_size, self.dilation, self.padding, self.stride)
        return y if self.bias is None else y + self.bias.to(y.dtype).view(1, -1, 1, 1)


def lower_convolutions(module: nn.Module) -> nn.Module:
    """Lower every plain 2-D convolution and transposed convolution in ``module``; returns it."""
    for layer in module.modules():
        if type(layer) is nn.Conv2d and _plain(layer):
            layer.__class__ = LoweredConv2d
        elif type(layer) is nn.ConvTranspose2d and _plain(layer):
            layer.__class__ = LoweredConvTranspose2d
    return module
