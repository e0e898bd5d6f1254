"""vaekit-midi: MusicVAE-style melody VAEs for vaekit (melody tokens, the folk corpus, MIDI and score IO)."""

__version__ = "0.1.0"
