"""vaekit-vectors: an example vaekit plugin for fixed-length numeric vectors."""
