"""The program picture back from the GPU: one read-back for every sink that
needs pixels, a few frames behind the drawing, never stalling it.

:meth:`ReadBack.submit` resolves the picture (a texture drawn bottom row
first) into an RGB framebuffer of the output size -- flipped to top-down
rows, which encoders and image files want; box-filtered when the picture was
drawn ``supersample`` times larger; stretched when its size is another (a
resized window) -- and starts an asynchronous read into one of ``in_flight``
pixel-pack buffers. :meth:`collect` copies the oldest of them into an array:
it waits only if the GPU is still on that frame, which it has long finished
by then. Nothing is allocated per frame.
"""

from collections import deque

import moderngl
import numpy as np

from visualizer.render.shader_source import BLIT_FRAGMENT, GLSL_VERSION, link_program

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


class ReadBack:
    """Pictures of any size in, (h, w, 3) uint8 top-down RGB arrays of ``size`` out."""

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int], *, supersample: int = 1,
                 in_flight: int = 3):
        self.ctx, self.size, self.supersample = ctx, (int(size[0]), int(size[1])), supersample
        w, h = self.size
        self._out = ctx.texture(self.size, 4)
        self._out_fbo = ctx.framebuffer(color_attachments=[self._out])
        self._resolve = link_program(ctx, _RESOLVE)
        self._resolve["image"].value = 0
        self._resolve["factor"].value = supersample
        self._resolve["height"].value = h
        self._resolve_vao = ctx.vertex_array(self._resolve, [])
        self._stretch = self._stretch_vao = None   # made when a picture of another size comes
        self._pbos = [ctx.buffer(reserve=w * h * 3) for _ in range(in_flight)]
        self._next = 0
        self._pending: deque = deque()   # (pbo, tag) in order

    @property
    def pending(self) -> int:
        """Reads started and not yet collected."""
        return len(self._pending)

    @property
    def full(self) -> bool:
        """Every buffer is in flight: collect one before the next submit."""
        return len(self._pending) == len(self._pbos)

    def submit(self, texture: moderngl.Texture, tag=None) -> None:
        """Start reading ``texture`` back; ``tag`` comes back with its pixels."""
        if self.full:
            raise RuntimeError("ReadBack.submit with every buffer in flight: collect first")
        ctx = self.ctx
        bound, viewport = ctx.fbo, ctx.viewport   # a window goes on drawing where it was
        texture.use(0)
        self._out_fbo.use()
        ctx.viewport = (0, 0, *self.size)
        self._vao_for(texture.size).render(moderngl.TRIANGLES, vertices=3)
        pbo = self._pbos[self._next]
        self._next = (self._next + 1) % len(self._pbos)
        self._out_fbo.read_into(pbo, components=3)   # asynchronous
        self._pending.append((pbo, tag))
        if bound is not None and bound is not self._out_fbo:
            try:
                bound.use()
                ctx.viewport = viewport
            except (AttributeError, moderngl.Error):
                pass   # the framebuffer bound before was released since: nothing to go back to

    def collect(self, into: np.ndarray):
        """Copy the oldest read into ``into`` ((h, w, 3) uint8); its tag."""
        pbo, tag = self._pending.popleft()
        pbo.read_into(into)
        return tag

    def tag_of_oldest(self):
        """The tag of the read :meth:`collect` finishes next."""
        return self._pending[0][1]

    def drop_pending(self) -> None:
        """Forget the reads in flight (the context is gone)."""
        self._pending.clear()

    def _vao_for(self, size: tuple[int, int]):
        w, h = self.size
        f = self.supersample
        if (size[0] == w * f and size[1] == h * f) or (f == 1 and size[0] - w in (0, 1)
                                                       and size[1] - h in (0, 1)):
            return self._resolve_vao     # exact (an odd window loses its last row/column)
        if self._stretch is None:        # the window was resized: stretch to the output
            flip = BLIT_FRAGMENT.replace("gl_FragCoord.xy / size",
                                         "vec2(gl_FragCoord.x, size.y - gl_FragCoord.y) / size")
            self._stretch = link_program(self.ctx, flip)
            self._stretch["image"].value = 0
            self._stretch["size"].value = (float(w), float(h))
            self._stretch_vao = self.ctx.vertex_array(self._stretch, [])
        return self._stretch_vao

    def release(self) -> None:
        for obj in self._pbos + [self._resolve_vao, self._resolve, self._stretch_vao,
                                 self._stretch, self._out_fbo, self._out]:
            if obj is not None:
                obj.release()
        self._pbos = []
