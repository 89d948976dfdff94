"""Re-render the reference images the scene tests compare with.

    .venv/bin/python scripts/update_references.py [scene ...]

Run it after changing a scene on purpose, look at the new images, commit them.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from scene_fixtures import REFERENCE_DIR, reference_render  # noqa: E402

from visualizer.output.png import write_png  # noqa: E402
from visualizer.scenes.scene import discover  # noqa: E402

wanted = set(sys.argv[1:])
REFERENCE_DIR.mkdir(exist_ok=True)
for scene in discover():
    if wanted and scene.key not in wanted:
        continue
    write_png(REFERENCE_DIR / f"{scene.key}.png", reference_render(scene))
    print(f"wrote {REFERENCE_DIR / scene.key}.png")
