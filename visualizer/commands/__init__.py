"""One module per group of commands; ``cli.py`` wires them together."""
