"""The one error type users see: the CLI prints its message on one line and exits with status 2."""


class VaekitError(Exception):
    """Bad input, a bad run directory, or a stopped training run (exit status 2)."""
