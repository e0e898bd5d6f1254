"""Models of the other MusicVAE data kinds, from the melody models' parts: ``drums`` (512-token steps,
a bidirectional LSTM encoder and a flat LSTM decoder over the drum vocabulary), and their metrics.
The VAE carries its kind (``model.kind``) so that metrics can tell the kinds apart."""

from __future__ import annotations

from typing import Any

import torch

from vaekit.errors import VaekitError
from vaekit.model import VAE
from vaekit_midi.drums import CLASSES, VOCAB
from vaekit_midi.models import FlatDecoder, LSTMEncoder


def build_model(config: dict[str, Any]) -> VAE:
    """The VAE of ``config["data"]["kind"]``; ``drums`` takes ``model.decoder`` flat."""
    m, data = config["model"], config["data"]
    kind = data.get("kind", "melody")
    if kind != "drums":
        raise VaekitError(f"data.kind is {kind!r}; the midi plugin builds melody and drums models")
    if m["decoder"] != "flat":
        raise VaekitError(f"model.decoder is {m['decoder']!r}; drum models use a flat decoder")
    latent, bf16, dropout = m["latent_dim"], m["bf16"], m["dropout"]
    encoder = LSTMEncoder(latent, m["encoder_hidden"], m["encoder_layers"], m["embed"], dropout, bf16, VOCAB)
    decoder = FlatDecoder(latent, data["steps"], m["decoder_hidden"], m["decoder_layers"], m["embed"], dropout,
                          m["sampling_rate"], bf16, VOCAB)
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
    """With z = mu: teacher-forced and greedy-sampled step accuracy, and the hit F1 of the greedy
    reconstruction."""
    x_in, x = (t.to(model.device) for t in batch[:2])
    was_training = model.training
    model.eval()
    try:
        mu, _ = model.encoder(x_in)
        tf = model.decoder(mu, x).argmax(-1)
        recon = model.decoder.sample(mu, 0.0)
    finally:
        model.train(was_training)
    values = torch.stack([(tf == x).float().mean(), (recon == x).float().mean(), hit_f1(x, recon)]).tolist()
    return dict(zip(["acc_tf", "acc_sampled", "hit_f1"], values))
