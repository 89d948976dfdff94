"""Image files a shader reads (ISF ``IMPORTED`` images, Shadertoy textures),
decoded with PyAV: PNG, JPEG, BMP, TIFF, GIF (its first frame), WebP."""

from pathlib import Path

import numpy as np

from visualizer.errors import SceneError

MAX_SIDE = 8192
"""The largest image side taken (a GL 3.3 texture is only sure up to this)."""


def read_image(path: Path) -> np.ndarray:
    """The first picture in the image file at ``path`` as (h, w, 4) uint8
    RGBA, top row first; a SceneError naming the file if it cannot be one."""
    import av
    path = Path(path)
    if not path.is_file():
        raise SceneError(f"{path}: image file not found")
    try:
        with av.open(str(path)) as container:
            stream = next((s for s in container.streams if s.type == "video"), None)
            if stream is None:
                raise SceneError(f"{path}: not an image (no picture in it)")
            frame = next(container.decode(stream), None)
            if frame is None:
                raise SceneError(f"{path}: not an image (no picture could be decoded)")
            if max(frame.width, frame.height) > MAX_SIDE:
                raise SceneError(f"{path}: image is {frame.width}x{frame.height}; "
                                 f"at most {MAX_SIDE} pixels a side")
            return frame.to_ndarray(format="rgba")
    except (av.FFmpegError, OSError, StopIteration, ValueError) as e:
        raise SceneError(f"{path}: cannot read the image: {e}") from None
