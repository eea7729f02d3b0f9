"""``python -m xent``: the same as the ``xent`` command."""

from xent.cli import main

if __name__ == "__main__":
    main()
