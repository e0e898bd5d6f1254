"""vaekit-image: the image modality for vaekit."""

__version__ = "0.1.0"
