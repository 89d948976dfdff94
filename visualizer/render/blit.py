"""A picture drawn over the whole of the framebuffer in use: how a display
shows the program picture (stretched to the window, dimmed by a blackout)."""

import moderngl

from visualizer.render.shader_source import BLIT_FRAGMENT, link_program


class Blit:
    """Draws a texture over a ``size`` viewport of the framebuffer in use."""

    def __init__(self, ctx: moderngl.Context):
        self.ctx = ctx
        self._program = link_program(ctx, BLIT_FRAGMENT)
        self._program["image"].value = 0
        self._vao = ctx.vertex_array(self._program, [])

    def draw(self, texture: moderngl.Texture, size: tuple[int, int], gain: float = 1.0) -> None:
        self.ctx.viewport = (0, 0, *size)
        texture.use(0)
        self._program["size"].value = (float(size[0]), float(size[1]))
        self._program["gain"].value = gain
        self._vao.render(moderngl.TRIANGLES, vertices=3)

    def release(self) -> None:
        self._vao.release()
        self._program.release()
