"""Models of the other MusicVAE data kinds, from the melody models' parts, and their metrics:

- ``drums``: 512-token steps; the bidirectional LSTM encoder and the flat LSTM decoder over the drum
  vocabulary;
- ``trio``: items ``(3, T)`` of melody, bass and drum tokens; one bidirectional LSTM encoder over the
  three embeddings of each step, one conductor LSTM giving an embedding per bar, and three bar
  decoders (melody, bass, drums) that each decode their part of a bar from that embedding alone.

The VAE carries its kind (``model.kind``) so that metrics can tell the kinds apart."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from vaekit.errors import VaekitError
from vaekit.model import VAE, Encoder
from vaekit_midi.drums import CLASSES, VOCAB
from vaekit_midi.metrics import note_f1
from vaekit_midi.models import VOCAB as MELODY_VOCAB
from vaekit_midi.models import (
    FlatDecoder,
    HierarchicalDecoder,
    LSTMCore,
    LSTMEncoder,
    autocast,
    encoder_stride,
    token_log_prob,
)

TRIO_VOCABS = (MELODY_VOCAB, MELODY_VOCAB, VOCAB)  # melody, bass, drums


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
        with autocast(x.device, self.bf16):
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
                         dropout, sampling_rate, bf16, MELODY_VOCAB)
        self.bass = LSTMCore(conductor_hidden, hidden, layers, embed, dropout, bf16, MELODY_VOCAB)
        self.drums = LSTMCore(conductor_hidden, hidden, layers, embed, dropout, bf16, VOCAB)

    def cores(self) -> tuple[LSTMCore, LSTMCore, LSTMCore]:
        return self.bar, self.bass, self.drums

    def decode_part(self, core: LSTMCore, emb: torch.Tensor, prev: torch.Tensor) -> torch.Tensor:
        """Teacher-forced logits ``(B, T, V)`` of one part from bar embeddings and previous tokens ``(B, T)``."""
        b = emb.shape[0]
        logits, _ = core(emb.reshape(b * self.bars, -1), prev.reshape(b * self.bars, self.steps_per_bar))
        return logits.reshape(b, self.bars * self.steps_per_bar, -1)

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if x is None:
            raise ValueError("TrioDecoder.forward needs the target tokens x (teacher forcing); use sample()")
        emb, out = self.conduct(z), []
        for i, core in enumerate(self.cores()):
            prev = self.mix_previous(x[:, i], core.start, lambda p, core=core: self.decode_part(core, emb, p))
            out.append(self.decode_part(core, emb, prev))
        return torch.cat(out, -1)

    def log_prob(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        parts = logits.split(TRIO_VOCABS, -1)
        return sum(token_log_prob(part, x[:, i]) for i, part in enumerate(parts))

    def sample(self, z: torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        emb, parts = self.conduct(z), []
        for core in self.cores():
            bars, last = [], None
            for i in range(self.bars):
                bars.append(core.generate(emb[:, i], self.steps_per_bar, temperature, first=last))
                last = bars[-1][:, -1]
            parts.append(torch.cat(bars, 1))
        return torch.stack(parts, 1)


def build_model(config: dict[str, Any]) -> VAE:
    """The VAE of ``config["data"]["kind"]``: ``drums`` (a flat decoder) or ``trio`` (hierarchical)."""
    m, data = config["model"], config["data"]
    kind = data.get("kind", "melody")
    latent, bf16, dropout, steps = m["latent_dim"], m["bf16"], m["dropout"], data["steps"]
    if kind == "drums":
        if m["decoder"] != "flat":
            raise VaekitError(f"model.decoder is {m['decoder']!r}; drum models use a flat decoder")
        encoder: Encoder = LSTMEncoder(latent, m["encoder_hidden"], m["encoder_layers"], m["embed"], dropout, bf16,
                                       VOCAB, encoder_stride(config))
        decoder: nn.Module = FlatDecoder(latent, steps, m["decoder_hidden"], m["decoder_layers"], m["embed"], dropout,
                                         m["sampling_rate"], bf16, VOCAB)
    elif kind == "trio":
        if m["decoder"] != "hierarchical":
            raise VaekitError(f"model.decoder is {m['decoder']!r}; trio models use a hierarchical decoder")
        if steps % data["steps_per_bar"]:
            raise VaekitError(f"data.steps {steps} is not a whole number of bars of data.steps_per_bar "
                              f"{data['steps_per_bar']}, as the trio decoder needs")
        if encoder_stride(config) != 1:
            raise VaekitError("model.encoder_stride is for melody and drum models; trio models read one token a step")
        encoder = TrioEncoder(latent, m["encoder_hidden"], m["encoder_layers"], m["embed"], dropout, bf16)
        decoder = TrioDecoder(latent, steps, data["steps_per_bar"], m["conductor_hidden"], m["conductor_layers"],
                              m["decoder_hidden"], m["decoder_layers"], m["embed"], dropout, m["sampling_rate"], bf16)
    else:
        raise VaekitError(f"data.kind is {kind!r}; the midi plugin builds melody, drums and trio models")
    vae = VAE(encoder, decoder, latent, variational=m["variational"])
    vae.kind = kind
    return vae


def hit_f1(target: torch.Tensor, output: torch.Tensor) -> torch.Tensor:
    """F1 of drum hits (step, class) between token batches ``(B, T)``; 1 when neither has a hit."""
    bits = 1 << torch.arange(len(CLASSES), device=target.device)
    true, out = (target[..., None] & bits) > 0, (output[..., None] & bits) > 0
    hits = (true & out).sum()
    total = true.sum() + out.sum()
    return torch.where(total > 0, 2 * hits / total.clamp_min(1), 1.0)


@torch.no_grad()
def metrics(model: VAE, batch: tuple[torch.Tensor, ...]) -> dict[str, float]:
    """With z = mu: teacher-forced and greedy-sampled step accuracy, and the F1 of the greedy
    reconstruction's hits (drums), or of each part's notes and hits (trio)."""
    x_in, x = (t.to(model.device) for t in batch[:2])
    was_training = model.training
    model.eval()
    try:
        mu, _ = model.encoder(x_in)
        tf = model.decoder(mu, x).argmax(-1) if model.kind == "drums" else None
        recon = model.decoder.sample(mu, 0.0)
    finally:
        model.train(was_training)
    if model.kind == "trio":
        tf = torch.stack([part.argmax(-1) for part in model.decoder(mu, x).split(TRIO_VOCABS, -1)], 1)
        f1 = [note_f1(x[:, 0], recon[:, 0]), note_f1(x[:, 1], recon[:, 1]), hit_f1(x[:, 2], recon[:, 2])]
        names = ["melody_f1", "bass_f1", "drums_f1"]
    else:
        f1, names = [hit_f1(x, recon)], ["hit_f1"]
    values = torch.stack([(tf == x).float().mean(), (recon == x).float().mean(), *f1]).tolist()
    return dict(zip(["acc_tf", "acc_sampled", *names], values))
