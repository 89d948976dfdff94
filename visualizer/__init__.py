"""visualizer: audio in, shader scenes out, live and offline."""

__version__ = "0.1.0"
