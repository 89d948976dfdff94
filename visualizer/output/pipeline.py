"""The offline pipeline: draw, read back, convert and encode overlap.

The render thread draws frame k, has it flipped (and box-filtered when
supersampling) into a read-back framebuffer, and starts an asynchronous read
into one of several pixel-pack buffers; it only waits on the oldest of them,
which the GPU has long finished. The pixels go through a bounded queue to an
encoder thread (PyAV releases the GIL while x264 works), together with that
frame's audio so the file is written in order. Arrays come from a fixed pool
that the encoder hands back: nothing large is allocated per frame.
"""

import queue
import threading

import moderngl
import numpy as np

from visualizer.output.video import VideoWriter
from visualizer.render.shader_source import GLSL_VERSION, link_program

_RESOLVE = GLSL_VERSION + """
uniform sampler2D image;
uniform int factor;
uniform int height;
out vec4 color;
// Flip to top-down rows (what encoders want) and average factor x factor texels.
void main() {
    ivec2 dst = ivec2(gl_FragCoord.xy);
    ivec2 base = ivec2(dst.x, height - 1 - dst.y) * factor;
    vec4 acc = vec4(0.0);
    for (int y = 0; y < factor; y++)
        for (int x = 0; x < factor; x++)
            acc += texelFetch(image, base + ivec2(x, y), 0);
    color = acc / float(factor * factor);
}
"""
_STOP = object()


class FramePipeline:
    """Read back and encode frames drawn into ``source`` (an RGBA8 texture of
    ``size * supersample``) while the next ones are drawn."""

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int], writer: VideoWriter,
                 *, supersample: int = 1, in_flight: int = 3, queued: int = 4):
        self.ctx, self.size, self.writer = ctx, size, writer
        w, h = size
        self.source = ctx.texture((w * supersample, h * supersample), 4)
        self.source_fbo = ctx.framebuffer(color_attachments=[self.source])
        self._out = ctx.texture(size, 4)
        self._out_fbo = ctx.framebuffer(color_attachments=[self._out])
        self._prog = link_program(ctx, _RESOLVE)
        self._prog["image"].value = 0
        self._prog["factor"].value = supersample
        self._prog["height"].value = h
        self._vao = ctx.vertex_array(self._prog, [])
        self._pbos = [ctx.buffer(reserve=w * h * 3) for _ in range(in_flight)]
        self._pending: list[tuple[int, np.ndarray]] = []   # (pbo index, audio) in order
        self._next_pbo = 0
        self._free: queue.Queue = queue.Queue()
        for _ in range(in_flight + queued + 1):
            self._free.put(np.empty((h, w, 3), np.uint8))
        self._work: queue.Queue = queue.Queue(maxsize=queued)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._encode, name="encoder", daemon=True)
        self._thread.start()

    def submit(self, audio: np.ndarray) -> None:
        """The frame just drawn into ``source_fbo``, with its (n, 2) audio."""
        self._raise()
        self.source.use(0)
        self._out_fbo.use()
        self.ctx.viewport = (0, 0, *self.size)
        self._vao.render(moderngl.TRIANGLES, vertices=3)
        index = self._next_pbo
        self._out_fbo.read_into(self._pbos[index], components=3)  # asynchronous
        self._pending.append((index, audio))
        self._next_pbo = (index + 1) % len(self._pbos)
        if len(self._pending) == len(self._pbos):
            self._collect()

    def _collect(self) -> None:
        index, audio = self._pending.pop(0)
        pixels = self._free.get()
        self._pbos[index].read_into(pixels)   # waits only if the GPU is still on it
        self._put((pixels, audio))

    def _put(self, item) -> None:
        while True:
            self._raise()
            try:
                self._work.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def _encode(self) -> None:
        try:
            while (item := self._work.get()) is not _STOP:
                pixels, audio = item
                self.writer.write_audio(audio)
                self.writer.write_video(pixels)
                self._free.put(pixels)
        except BaseException as e:  # handed to the render thread, which raises it
            self._error = e

    def _raise(self) -> None:
        if self._error is not None:
            error, self._error = self._error, None
            raise error

    def finish(self, tail_audio: np.ndarray | None = None) -> None:
        """Encode what is in flight, then the audio left over, and close the file."""
        while self._pending:
            self._collect()
        self._put(_STOP)
        self._thread.join()
        self._raise()
        if tail_audio is not None:
            self.writer.write_audio(tail_audio)
        self.writer.close()

    def release(self) -> None:
        """Release the GL objects (after finish, or after a failure)."""
        if self._thread.is_alive():
            try:
                self._work.put(_STOP, timeout=1.0)
            except queue.Full:
                pass
            self._thread.join(timeout=5.0)
        for obj in self._pbos + [self._vao, self._prog, self._out_fbo, self._out,
                                 self.source_fbo, self.source]:
            obj.release()
