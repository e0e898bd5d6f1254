"""MusicVAE's networks: a bidirectional LSTM encoder, a flat LSTM decoder (2 bars) and a hierarchical
decoder (16 bars: a conductor LSTM gives one embedding per bar, a bar decoder LSTM turns each
embedding into that bar's steps), over melody or drum tokens; and the trio's encoder over three parts
and its conductor feeding three bar decoders.

Teacher-forced decoding is one fused ``nn.LSTM`` call over the whole sequence, time-major inside
(no transposes of hidden states), and in training under bf16 autocast where the hardware does bf16
matrix products natively (AMX CPUs, recent GPUs); inference stays in fp32 unless bf16 is forced on. Scheduled sampling
is "parallel scheduled sampling" (Duckworth et al. 2019): one teacher-forced pass without gradient
predicts every step, a random share of the true previous tokens is swapped for those predictions,
and a second teacher-forced pass on the mixed tokens is the one trained.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from vaekit import Decoder, Encoder, VaekitError, rand
from vaekit_midi.tokens import DRUM_VOCAB, NUM_CLASSES

VOCAB = NUM_CLASSES  # 0 no event, 1 note-off, 2..89 note-on of MIDI pitch 21..108


def bf16_is_fast(device: torch.device) -> bool:
    """Whether bf16 matrix products beat fp32 here (AMX on CPUs; bf16 support on CUDA)."""
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return bool(getattr(torch.cpu, "_is_amx_tile_supported", lambda: False)())
    return False


def autocast(device: torch.device, bf16: bool | str, training: bool) -> torch.autocast:
    """bf16 autocast when ``bf16`` is True, or ``"auto"`` while training where :func:`bf16_is_fast`.

    ``"auto"`` never turns bf16 on at inference: a model's answers (codes, samples, reconstructions)
    must not depend on whether the CPU has AMX, and inference is cheap enough in fp32."""
    enabled = bf16 is True or (bf16 == "auto" and training and bf16_is_fast(device))
    return torch.autocast(device.type, dtype=torch.bfloat16, enabled=enabled)


def shift_right(x: torch.Tensor, start: int) -> torch.Tensor:
    """Each step's previous token: ``start`` first, then ``x`` without its last step."""
    return torch.cat([x.new_full((x.shape[0], 1), start), x[:, :-1]], 1)


def pick(logits: torch.Tensor, temperature: float, generator: torch.Generator | None = None) -> torch.Tensor:
    """Tokens from logits ``(..., V)``: argmax at temperature 0, else a draw at that temperature by
    inverse CDF, one uniform number per draw from ``generator`` (several times faster than Gumbel-max,
    which draws one per class, or ``torch.multinomial``). The first class whose cumulative probability
    exceeds the draw, so a class of probability 0 is never picked."""
    if temperature <= 0:
        return logits.argmax(-1)
    cdf = torch.softmax(logits.float() / temperature, -1).cumsum_(-1)
    u = rand(cdf.shape[:-1] + (1,), generator, cdf.device) * cdf[..., -1:]
    return torch.searchsorted(cdf, u, right=True).squeeze(-1).clamp_(max=logits.shape[-1] - 1)


def token_log_prob(logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """Categorical log-likelihood of tokens ``x`` (B, T) under ``logits`` (B, T, V), summed over steps."""
    nll = F.cross_entropy(logits.float().reshape(-1, logits.shape[-1]), x.reshape(-1), reduction="none")
    return -nll.view(x.shape).sum(1)


class LSTMEncoder(Encoder):
    """Bidirectional LSTM over token embeddings; the last layer's final states of both directions
    -> linear -> (mu, logvar).

    With ``stride`` k the LSTM reads k tokens a step (their embeddings side by side): a k-times
    shorter recurrence, which is what an LSTM's time goes to (a stride of 2 halves the encoder's
    time), with every token still read. With ``per_step`` features a step (a chord's), the LSTM reads
    them too, after the group's embeddings."""

    def __init__(self, latent_dim: int, hidden: int, layers: int = 1, embed: int = 32, dropout: float = 0.0,
                 bf16: bool | str = "auto", vocab: int = VOCAB, stride: int = 1, per_step: int = 0):
        super().__init__()
        self.bf16, self.stride = bf16, stride
        self.embed = nn.Embedding(vocab, embed)
        self.rnn = nn.LSTM(stride * (embed + per_step), hidden, layers, bidirectional=True,
                           dropout=dropout if layers > 1 else 0.0)
        self.head = nn.Linear(2 * hidden, 2 * latent_dim)

    def summarise(self, x: torch.Tensor, per_step: torch.Tensor | None = None) -> torch.Tensor:
        """The last layer's final states of both directions, ``(N, 2 * hidden)``, for tokens ``(N, T)``
        (and features ``(N, T, F)`` a step where the encoder reads them)."""
        n, steps = x.shape
        if steps % self.stride:
            raise ValueError(f"{steps} steps do not split into groups of {self.stride} tokens (the encoder's stride)")
        with autocast(x.device, self.bf16, self.training):
            inp = self.embed(x.reshape(n, steps // self.stride, self.stride).transpose(0, 1)).flatten(2)
            if per_step is not None:
                inp = torch.cat([inp, per_step.reshape(n, steps // self.stride, -1).transpose(0, 1)], -1)
            _, (h, _) = self.rnn(inp)
        return torch.cat([h[-2], h[-1]], -1).float()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.head(self.summarise(x)).chunk(2, -1)
        return mu, logvar


class BarEncoder(LSTMEncoder):
    """A hierarchical encoder for long sequences: a bidirectional LSTM reads each bar (all bars of the
    batch in one fused call), and a linear layer reads every bar's summary (that LSTM's final states
    of both directions) -> (mu, logvar).

    Each bar reaches z through 16 steps and one matrix product, instead of through up to half the
    sequence and one LSTM's final state as in :class:`LSTMEncoder`. With the decoder's direct path
    (:class:`HierarchicalDecoder`'s ``bar_code``) this is what let ``mel_16bar`` learn to use z."""

    def __init__(self, latent_dim: int, hidden: int, bars: int, steps_per_bar: int, layers: int = 1,
                 embed: int = 32, dropout: float = 0.0, bf16: bool | str = "auto", vocab: int = VOCAB,
                 stride: int = 1, per_step: int = 0):
        super().__init__(latent_dim, hidden, layers, embed, dropout, bf16, vocab, stride, per_step)
        self.bars, self.steps_per_bar = bars, steps_per_bar
        self.head = nn.Linear(bars * 2 * hidden, 2 * latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.head(self.summarise_bars(x)).chunk(2, -1)
        return mu, logvar

    def summarise_bars(self, x: torch.Tensor, per_step: torch.Tensor | None = None) -> torch.Tensor:
        """Every bar's summary side by side, ``(B, bars * 2 * hidden)``, for tokens ``(B, T)`` (and
        features ``(B, T, F)`` a step)."""
        if x.shape[1] != self.bars * self.steps_per_bar:
            raise ValueError(f"{x.shape[1]} steps are not {self.bars} bars of {self.steps_per_bar}")
        bars = x.reshape(-1, self.steps_per_bar)
        features = None if per_step is None else per_step.reshape(bars.shape[0], self.steps_per_bar, -1)
        return self.summarise(bars, features).view(x.shape[0], -1)


class LSTMCore(nn.Module):
    """An autoregressive LSTM conditioned on a vector ``c``: initial state ``tanh(linear(c))``, input at
    each step the previous token's embedding concatenated with ``c`` (and, with ``per_step``, that step's
    own features, such as its chord's). Index ``vocab`` is the start token."""

    def __init__(self, cond_dim: int, hidden: int, layers: int, embed: int, dropout: float = 0.0,
                 bf16: bool | str = "auto", vocab: int = VOCAB, per_step: int = 0):
        super().__init__()
        self.hidden, self.layers, self.start, self.bf16 = hidden, layers, vocab, bf16
        self.embed = nn.Embedding(vocab + 1, embed)
        self.init = nn.Linear(cond_dim, 2 * layers * hidden)
        self.rnn = nn.LSTM(embed + cond_dim + per_step, hidden, layers, dropout=dropout if layers > 1 else 0.0)
        self.out = nn.Linear(hidden, vocab)

    def initial_state(self, c: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        hc = torch.tanh(self.init(c)).view(-1, 2, self.layers, self.hidden).permute(1, 2, 0, 3)
        return hc[0].contiguous(), hc[1].contiguous()

    def forward(self, c: torch.Tensor, prev: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None,
                per_step: torch.Tensor | None = None) -> tuple[torch.Tensor, Any]:
        """Logits ``(N, T, V)`` for previous tokens ``prev`` ``(N, T)`` (and features ``(N, T, F)`` a step),
        and the final LSTM state."""
        with autocast(c.device, self.bf16, self.training):
            parts = [self.embed(prev.t()), c.unsqueeze(0).expand(prev.shape[1], -1, -1)]
            inp = torch.cat(parts if per_step is None else [*parts, per_step.transpose(0, 1)], -1)
            out, state = self.rnn(inp, self.initial_state(c) if state is None else state)
            return self.out(out).transpose(0, 1), state

    def generate(self, c: torch.Tensor, steps: int, temperature: float, first: torch.Tensor | None = None,
                 generator: torch.Generator | None = None, per_step: torch.Tensor | None = None) -> torch.Tensor:
        """Decode ``steps`` tokens one at a time for the whole batch; ``first`` is the previous token
        of step 0 (the start token when None); ``per_step``: features ``(N, steps, F)`` a step."""
        tok = c.new_full((c.shape[0],), self.start, dtype=torch.long) if first is None else first
        state, out = self.initial_state(c), []
        for i in range(steps):
            logits, state = self(c, tok.unsqueeze(1), state, None if per_step is None else per_step[:, i:i + 1])
            tok = pick(logits[:, 0], temperature, generator)
            out.append(tok)
        return torch.stack(out, 1)


class TokenDecoder(Decoder):
    """What both melody decoders share: the categorical likelihood and inverse-sigmoid scheduled
    sampling, driven by the trainer's ``set_step`` and active only in training mode."""

    def __init__(self, sampling_rate: float):
        super().__init__()
        self.sampling_rate = sampling_rate
        self.step = 0

    def set_step(self, step: int) -> None:
        self.step = step

    def teacher_prob(self) -> float:
        """Probability of feeding the true previous token: ``(k + 1) / (k + exp(step / k))`` for rate k,
        MusicVAE's inverse sigmoid normalised to exactly 1 at step 0; always 1 when k is 0."""
        k = self.sampling_rate
        if k <= 0:
            return 1.0
        return min(1.0, (k + 1) / (k + math.exp(min(self.step / k, 700.0))))

    def mix_previous(self, x: torch.Tensor, start: int,
                     logits_of: Callable[[torch.Tensor], torch.Tensor]) -> torch.Tensor:
        """Previous tokens for teacher forcing on ``x``, each swapped with probability 1 - p_teacher for
        the model's own draw at that step (predicted by a first teacher-forced pass ``logits_of``)."""
        prev = shift_right(x, start)
        p = self.teacher_prob() if self.training else 1.0
        if p >= 1.0:
            return prev
        with torch.no_grad():
            own = shift_right(pick(logits_of(prev), 1.0), start)
            return torch.where(torch.rand(prev.shape, device=prev.device) < p, prev, own)

    def log_prob(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return token_log_prob(logits, x)

class FlatDecoder(TokenDecoder):
    """MusicVAE's flat decoder: one LSTM over all steps, conditioned on z."""

    def __init__(self, latent_dim: int, steps: int, hidden: int, layers: int, embed: int, dropout: float = 0.0,
                 sampling_rate: float = 0.0, bf16: bool | str = "auto", vocab: int = VOCAB, per_step: int = 0):
        super().__init__(sampling_rate)
        self.steps, self.vocab = steps, vocab
        self.core = LSTMCore(latent_dim, hidden, layers, embed, dropout, bf16, vocab, per_step)

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if x is None:
            raise ValueError("FlatDecoder.forward needs the target tokens x (teacher forcing); use sample()")
        prev = self.mix_previous(x, self.core.start, lambda p: self.core(z, p)[0])
        return self.core(z, prev)[0]

    def sample(self, z: torch.Tensor, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        return self.core.generate(z, self.steps, temperature, generator=generator)


class HierarchicalDecoder(TokenDecoder):
    """MusicVAE's hierarchical decoder. The conductor LSTM (initial state from z, z as its input at
    each bar) emits one embedding per bar; the bar decoder decodes each bar from that embedding
    alone, all bars batched into one fused LSTM call when teacher-forced. Its first previous token is
    the last token of the bar before (the start token for bar 0), as in MusicVAE.

    Unlike MusicVAE, each bar's embedding also adds its own linear map of z (``bar_code``): with the
    same z as input at every bar, the conductor's outputs start out nearly alike, so no bar could tell
    its part of z from the others' until the LSTM learned to count. With this path and the encoder's
    (:class:`BarEncoder`), mel_16bar reached in 500 steps the accuracy it had not reached in 3,000."""

    def __init__(self, latent_dim: int, steps: int, steps_per_bar: int, conductor_hidden: int,
                 conductor_layers: int, hidden: int, layers: int, embed: int, dropout: float = 0.0,
                 sampling_rate: float = 0.0, bf16: bool | str = "auto", vocab: int = VOCAB, per_step: int = 0):
        super().__init__(sampling_rate)
        if steps % steps_per_bar:
            raise ValueError(f"{steps} steps do not divide into bars of {steps_per_bar}")
        self.bars, self.steps_per_bar, self.vocab = steps // steps_per_bar, steps_per_bar, vocab
        self.conductor_init = nn.Linear(latent_dim, 2 * conductor_layers * conductor_hidden)
        self.conductor = nn.LSTM(latent_dim, conductor_hidden, conductor_layers,
                                 dropout=dropout if conductor_layers > 1 else 0.0)
        self.bar = LSTMCore(conductor_hidden, hidden, layers, embed, dropout, bf16, vocab, per_step)
        self.bar_code = nn.Linear(latent_dim, self.bars * conductor_hidden)
        #: (form, variation) while sampling in a form (``form_sampling.in_form``), else None
        self.form: tuple[str, float] | None = None

    def conduct(self, z: torch.Tensor) -> torch.Tensor:
        """One embedding per bar: ``(B, bars, conductor_hidden)``, the conductor's output plus the bar's own
        linear map of z."""
        layers, hidden = self.conductor.num_layers, self.conductor.hidden_size
        hc = torch.tanh(self.conductor_init(z)).view(-1, 2, layers, hidden).permute(1, 2, 0, 3)
        with autocast(z.device, self.bar.bf16, self.training):
            out, _ = self.conductor(z.unsqueeze(0).expand(self.bars, -1, -1), (hc[0].contiguous(), hc[1].contiguous()))
        return out.transpose(0, 1).float() + self.bar_code(z).view(z.shape[0], self.bars, -1)

    def decode_bars(self, core: LSTMCore, emb: torch.Tensor, prev: torch.Tensor,
                    per_step: torch.Tensor | None = None) -> torch.Tensor:
        """Teacher-forced logits ``(B, T, V)`` of a bar decoder from bar embeddings ``(B, bars, C)`` and
        previous tokens ``(B, T)`` (and features ``(B, T, F)`` a step where the bar decoder reads them)."""
        b, n = emb.shape[0], emb.shape[0] * self.bars
        features = None if per_step is None else per_step.reshape(n, self.steps_per_bar, -1)
        logits, _ = core(emb.reshape(n, -1), prev.reshape(n, self.steps_per_bar), per_step=features)
        return logits.reshape(b, self.bars * self.steps_per_bar, -1)

    def sample_bars(self, core: LSTMCore, emb: torch.Tensor, temperature: float,
                    generator: torch.Generator | None = None, per_step: torch.Tensor | None = None) -> torch.Tensor:
        """Tokens ``(B, T)`` of a bar decoder, one bar after another from the bar embeddings (and
        features ``(B, T, F)`` a step)."""
        bars, last, spb = [], None, self.steps_per_bar
        for i in range(self.bars):
            features = None if per_step is None else per_step[:, i * spb:(i + 1) * spb]
            bars.append(core.generate(emb[:, i], spb, temperature, first=last, generator=generator, per_step=features))
            last = bars[-1][:, -1]
        return torch.cat(bars, 1)

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if x is None:
            raise ValueError("HierarchicalDecoder.forward needs the target tokens x (teacher forcing); use sample()")
        emb = self.conduct(z)
        prev = self.mix_previous(x, self.bar.start, lambda p: self.decode_bars(self.bar, emb, p))
        return self.decode_bars(self.bar, emb, prev)

    def sample(self, z: torch.Tensor, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        if self.form is not None:
            from vaekit_midi.form_sampling import sample_in_form

            return sample_in_form(self, z, *self.form, temperature, generator)
        return self.sample_bars(self.bar, self.conduct(z), temperature, generator)


TRIO_VOCABS = (VOCAB, VOCAB, DRUM_VOCAB)  # melody, bass, drums


class TrioEncoder(Encoder):
    """Bidirectional LSTM over the concatenated embeddings of each step's melody, bass and drum
    tokens; the last layer's final states of both directions -> linear -> (mu, logvar)."""

    def __init__(self, latent_dim: int, hidden: int, layers: int = 1, embed: int = 32, dropout: float = 0.0,
                 bf16: bool | str = "auto"):
        super().__init__()
        self.bf16 = bf16
        self.embeds = nn.ModuleList(nn.Embedding(v, embed) for v in TRIO_VOCABS)
        self.rnn = nn.LSTM(3 * embed, hidden, layers, bidirectional=True, dropout=dropout if layers > 1 else 0.0)
        self.head = nn.Linear(2 * hidden, 2 * latent_dim)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        with autocast(x.device, self.bf16, self.training):
            inp = torch.cat([e(x[:, i].t()) for i, e in enumerate(self.embeds)], -1)
            _, (h, _) = self.rnn(inp)
        mu, logvar = self.head(torch.cat([h[-2], h[-1]], -1).float()).chunk(2, -1)
        return mu, logvar


class TrioDecoder(HierarchicalDecoder):
    """The hierarchical decoder's conductor feeding three bar decoders: its own (melody), bass and
    drums. Logits of the three parts are concatenated along the class axis: ``(B, T, 90 + 90 + 512)``."""

    def __init__(self, latent_dim: int, steps: int, steps_per_bar: int, conductor_hidden: int,
                 conductor_layers: int, hidden: int, layers: int, embed: int, dropout: float = 0.0,
                 sampling_rate: float = 0.0, bf16: bool | str = "auto"):
        super().__init__(latent_dim, steps, steps_per_bar, conductor_hidden, conductor_layers, hidden, layers, embed,
                         dropout, sampling_rate, bf16, VOCAB)
        self.bass = LSTMCore(conductor_hidden, hidden, layers, embed, dropout, bf16, VOCAB)
        self.drums = LSTMCore(conductor_hidden, hidden, layers, embed, dropout, bf16, DRUM_VOCAB)

    def cores(self) -> tuple[LSTMCore, LSTMCore, LSTMCore]:
        return self.bar, self.bass, self.drums

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if x is None:
            raise ValueError("TrioDecoder.forward needs the target tokens x (teacher forcing); use sample()")
        emb, out = self.conduct(z), []
        for i, core in enumerate(self.cores()):
            prev = self.mix_previous(x[:, i], core.start, lambda p, core=core: self.decode_bars(core, emb, p))
            out.append(self.decode_bars(core, emb, prev))
        return torch.cat(out, -1)

    def log_prob(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        parts = logits.split(TRIO_VOCABS, -1)
        return sum(token_log_prob(part, x[:, i]) for i, part in enumerate(parts))

    def sample(self, z: torch.Tensor, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        emb = self.conduct(z)
        return torch.stack([self.sample_bars(core, emb, temperature, generator) for core in self.cores()], 1)


def encoder_stride(config: dict[str, Any]) -> int:
    """``model.encoder_stride``, checked against what the encoder's LSTM reads: the whole window, or a
    bar with ``model.encoder=hierarchical``."""
    m, data = config["model"], config["data"]
    stride = m["encoder_stride"]
    key = "steps_per_bar" if m["encoder"] == "hierarchical" else "steps"
    if isinstance(stride, bool) or not isinstance(stride, int) or stride < 1 or data[key] % stride:
        raise VaekitError(f"model.encoder_stride {stride!r} is not an integer that divides data.{key} {data[key]}")
    return stride
