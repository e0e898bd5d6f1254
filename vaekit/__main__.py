"""``python -m vaekit`` (and so ``torchrun -m vaekit``)."""

from vaekit.cli import main

if __name__ == "__main__":
    main()
