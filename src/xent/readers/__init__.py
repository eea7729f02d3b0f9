"""Readers turn text (arguments, files, stdin) into NumPy arrays. They never compute a loss."""
