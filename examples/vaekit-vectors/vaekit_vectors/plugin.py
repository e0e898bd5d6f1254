"""The entry point vaekit loads. Keep it light: no torch at import time."""

import vaekit
from vaekit_vectors.modality import VectorsModality


@vaekit.hookimpl
def register_modalities(register):
    register(VectorsModality())
