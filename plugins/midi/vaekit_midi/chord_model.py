"""Melodies over chords: MusicVAE's encoders and decoders, each also reading every step's chord; flat
for 2 bars, per bar (:class:`ChordBarEncoder`, :class:`ChordHierarchicalDecoder`) for 16.

Items are ``(2, T)``: melody tokens over a chord index a step (``chords.py``). Both networks read each
step's chord as its features (root, chroma, bass, no-chord: ``chords.feature_table``) beside the
token's embedding, so z need not hold the harmony and the same z can be decoded over other chords.

With ``relative``, the encoder reads every note in its chord's frame instead (its pitch less the
chord's root, :func:`chords.root_offsets`) and each chord as its quality, its bass and how far its root
moved from the step before (:func:`chords.relative_feature_table`): what it reads is the same in every
key, so z cannot hold the key or the roots, and the decoder must put z's notes over the chords it is
given. Reconstruction loses nothing (the decoder has the chords), and a re-harmonised melody keeps each
note's place in its chord.

Decoding from z alone (``sample``, which the core's verbs call) needs the chords to decode over; they
are set for a block of decoding with :meth:`OverChords.over` (the kind does this from ``--chords``,
an input's own chords, or a drawn progression), one block at a time across threads. Outside such a
block the decoder decodes over no chord (N).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import torch

from vaekit_midi.chords import FEATURES, feature_table, relative_feature_table, root_offsets
from vaekit_midi.networks import VOCAB, BarEncoder, FlatDecoder, HierarchicalDecoder, LSTMEncoder, token_log_prob

#: Held while a decoder decodes over chords set by ``over`` (a server decodes in several threads).
_OVER = threading.RLock()


def _table() -> torch.Tensor:
    return torch.from_numpy(feature_table())


class ChordReading:
    """What both chord encoders read: each step's token and chord features, or with ``relative`` both
    in the chord's frame (the module's docstring)."""

    relative: bool

    def chord_buffers(self) -> None:
        self.register_buffer("chord_features", _table(), persistent=False)
        self.register_buffer("relative_features", torch.from_numpy(relative_feature_table()), persistent=False)
        self.register_buffer("root_offsets", torch.from_numpy(root_offsets()), persistent=False)

    def read(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Tokens ``(B, T)`` and chord features ``(B, T, FEATURES)`` of items ``(B, 2, T)``."""
        return self.in_frame(x) if self.relative else (x[:, 0], self.chord_features[x[:, 1]])

    def in_frame(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Melody tokens ``(B, T)`` less each step's chord root, and chord features ``(B, T, FEATURES)``
        with the root's move from the step before (0 where it stays) one-hot in the root's place."""
        tokens, chords = x[:, 0], x[:, 1]
        roots = self.root_offsets[chords]
        tokens = torch.where(tokens >= 2, (tokens - roots).clamp(2, VOCAB - 1), tokens)
        features = self.relative_features[chords].clone()
        both = (chords[:, 1:] > 0) & (chords[:, :-1] > 0)
        moved = torch.nn.functional.one_hot((roots[:, 1:] - roots[:, :-1]) % 12, 12) * both[..., None]
        features[:, 1:, :12] = moved.to(features.dtype)
        return tokens, features


class ChordEncoder(ChordReading, LSTMEncoder):
    """:class:`LSTMEncoder` over melody tokens, reading each step's chord features too."""

    def __init__(self, latent_dim: int, hidden: int, layers: int = 1, embed: int = 32, dropout: float = 0.0,
                 bf16: bool | str = "auto", stride: int = 1, relative: bool = False):
        super().__init__(latent_dim, hidden, layers, embed, dropout, bf16, stride=stride, per_step=FEATURES)
        self.relative = relative
        self.chord_buffers()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.head(self.summarise(*self.read(x))).chunk(2, -1)
        return mu, logvar


class ChordBarEncoder(ChordReading, BarEncoder):
    """:class:`BarEncoder` over melody tokens, each bar's LSTM reading its steps' chord features too."""

    def __init__(self, latent_dim: int, hidden: int, bars: int, steps_per_bar: int, layers: int = 1,
                 embed: int = 32, dropout: float = 0.0, bf16: bool | str = "auto", stride: int = 1,
                 relative: bool = False):
        super().__init__(latent_dim, hidden, bars, steps_per_bar, layers, embed, dropout, bf16, stride=stride,
                         per_step=FEATURES)
        self.relative = relative
        self.chord_buffers()

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logvar = self.head(self.summarise_bars(*self.read(x))).chunk(2, -1)
        return mu, logvar


class OverChords:
    """What both chord decoders share: the chords to decode over (:meth:`over`), each step's chord
    features, and the likelihood of the melody row."""

    steps: int
    chords: torch.Tensor | None

    def chord_buffers(self) -> None:
        self.register_buffer("chord_features", _table(), persistent=False)
        self.chords = None

    @contextmanager
    def over(self, chords: torch.Tensor) -> Iterator[None]:
        """Decode over ``chords``: indices ``(T,)`` for every item, or ``(B, T)`` one row an item."""
        with _OVER:
            held, self.chords = self.chords, torch.as_tensor(chords).long()
            try:
                yield
            finally:
                self.chords = held

    def decoding_chords(self, z: torch.Tensor) -> torch.Tensor:
        """The chords ``(B, T)`` to decode ``z`` over: those of :meth:`over`, else no chord (N)."""
        with _OVER:
            chords = self.chords if self.chords is not None else torch.zeros(self.steps, dtype=torch.long)
        return chords.to(z.device).expand(z.shape[0], self.steps)

    def log_prob(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return token_log_prob(logits, x[:, 0])


class ChordDecoder(OverChords, FlatDecoder):
    """:class:`FlatDecoder` whose every step also reads its chord's features. Teacher-forced on items
    ``(B, 2, T)``; scores and predicts the melody row; ``sample`` gives ``(B, 2, T)``, the melody over
    the chords it decoded over."""

    def __init__(self, latent_dim: int, steps: int, hidden: int, layers: int, embed: int, dropout: float = 0.0,
                 sampling_rate: float = 0.0, bf16: bool | str = "auto"):
        super().__init__(latent_dim, steps, hidden, layers, embed, dropout, sampling_rate, bf16, per_step=FEATURES)
        self.chord_buffers()

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if x is None:
            raise ValueError("ChordDecoder.forward needs the target items x (teacher forcing); use sample()")
        features = self.chord_features[x[:, 1]]
        prev = self.mix_previous(x[:, 0], self.core.start, lambda p: self.core(z, p, per_step=features)[0])
        return self.core(z, prev, per_step=features)[0]

    def sample(self, z: torch.Tensor, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        chords = self.decoding_chords(z)
        melody = self.core.generate(z, self.steps, temperature, generator=generator,
                                    per_step=self.chord_features[chords])
        return torch.stack([melody, chords], 1)


class ChordHierarchicalDecoder(OverChords, HierarchicalDecoder):
    """:class:`HierarchicalDecoder` whose bar decoder also reads each step's chord features; items as
    :class:`ChordDecoder`'s."""

    def __init__(self, latent_dim: int, steps: int, steps_per_bar: int, conductor_hidden: int,
                 conductor_layers: int, hidden: int, layers: int, embed: int, dropout: float = 0.0,
                 sampling_rate: float = 0.0, bf16: bool | str = "auto"):
        super().__init__(latent_dim, steps, steps_per_bar, conductor_hidden, conductor_layers, hidden, layers, embed,
                         dropout, sampling_rate, bf16, VOCAB, per_step=FEATURES)
        self.steps = steps
        self.chord_buffers()

    def forward(self, z: torch.Tensor, x: torch.Tensor | None = None) -> torch.Tensor:
        if x is None:
            raise ValueError("ChordHierarchicalDecoder.forward needs the target items x (teacher forcing); use "
                             "sample()")
        emb, features = self.conduct(z), self.chord_features[x[:, 1]]
        prev = self.mix_previous(x[:, 0], self.bar.start, lambda p: self.decode_bars(self.bar, emb, p, features))
        return self.decode_bars(self.bar, emb, prev, features)

    def sample(self, z: torch.Tensor, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        chords = self.decoding_chords(z)
        melody = self.sample_bars(self.bar, self.conduct(z), temperature, generator, self.chord_features[chords])
        return torch.stack([melody, chords], 1)
