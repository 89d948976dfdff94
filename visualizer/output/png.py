"""Still images through PyAV's PNG encoder."""

from pathlib import Path

import av
import numpy as np

from visualizer.errors import OutputError


def write_png(path: Path, rgb: np.ndarray) -> None:
    """Write ``rgb`` (height, width, 3) uint8 to ``path`` as PNG."""
    h, w = rgb.shape[:2]
    try:
        with av.open(str(path), "w", format="image2") as container:
            stream = container.add_stream("png", rate=1)
            stream.width, stream.height, stream.pix_fmt = w, h, "rgb24"
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
    except (OSError, av.FFmpegError) as e:
        raise OutputError(f"{path}: cannot write PNG: {e}") from None
