"""Regenerate the README's uniform table from visualizer/scenes/uniforms.py.

    .venv/bin/python scripts/update_readme.py
"""

from pathlib import Path

from visualizer.scenes.uniforms import markdown_table

START, END = "<!-- uniforms:start -->\n", "<!-- uniforms:end -->"

readme = Path(__file__).resolve().parent.parent / "README.md"
text = readme.read_text()
head, rest = text.split(START, 1)
_, tail = rest.split(END, 1)
readme.write_text(head + START + markdown_table() + "\n" + END + tail)
print(f"updated {readme}")
