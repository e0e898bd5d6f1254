"""``vaekit serve``: an HTTP API over the ``Pipeline`` verbs, and the pages that use it (the core's
shell page, each plugin's page through ``register_web``). Imports FastAPI, so only ``vaekit serve``
imports this package (``pip install "vaekit[serve]"``)."""
