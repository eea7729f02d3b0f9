"""``python -m xent``: the same as the ``xent`` command."""

from xent._console import main

if __name__ == "__main__":
    main()
