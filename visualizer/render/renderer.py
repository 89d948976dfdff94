"""The renderer: one moderngl context and every GL object made in it.

Only this package touches GL. The renderer owns its programs, textures and
framebuffers and releases them in :meth:`Renderer.release` (or when a program
is replaced), never from ``__del__``.
"""

from dataclasses import dataclass, field
from pathlib import Path

import moderngl
import numpy as np

from visualizer.analysis.features import FEATURE_INDEX, SCALAR_FEATURES, TEXTURE_WIDTH, FeatureFrame
from visualizer.errors import OutputError
from visualizer.render.shader_source import GLSL_VERSION, ShaderSource, load_fragment
from visualizer.render.uniforms import prelude_declarations
from visualizer.scene import SHADERS_DIR, Scene

_VERTEX = GLSL_VERSION + """
// A full-screen triangle from gl_VertexID: no vertex buffer needed.
void main() {
    vec2 p = vec2((gl_VertexID << 1) & 2, gl_VertexID & 2);
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}
"""


@dataclass
class FrameTiming:
    """When a frame is drawn: filled by the engine from its clock."""

    time: float = 0.0
    delta: float = 0.0
    frame: int = 0
    fps: float = 60.0
    date: tuple[float, float, float, float] = (2000.0, 0.0, 1.0, 0.0)
    mouse: tuple[float, float, float, float] = (0.0, 0.0, 0.0, 0.0)


@dataclass
class CompiledScene:
    """A scene's GL program with its uniforms looked up once."""

    scene: Scene
    source: ShaderSource
    program: moderngl.Program
    vao: moderngl.VertexArray
    features: list = field(default_factory=list)  # (uniform, index into values)
    params: dict = field(default_factory=dict)     # name -> uniform
    values: dict = field(default_factory=dict)     # name -> current float

    def get(self, name):
        return self.program[name] if name in self.program else None


class Renderer:
    """Draws scenes into framebuffers of one context."""

    def __init__(self, ctx: moderngl.Context, *, owns_context: bool, sample_rate: int = 48000):
        self.ctx = ctx
        self._owns_context = owns_context
        self.sample_rate = sample_rate
        self.audio_texture = ctx.texture((TEXTURE_WIDTH, 2), 1, dtype="f4")
        self.audio_texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.audio_texture.repeat_x = False
        self.audio_texture.repeat_y = False
        self.scenes: dict[str, CompiledScene] = {}
        self._targets: list["OffscreenTarget"] = []

    @classmethod
    def headless(cls, **kwargs) -> "Renderer":
        """A renderer on its own EGL context (no window, no screen needed)."""
        try:
            ctx = moderngl.create_standalone_context(require=330, backend="egl")
        except Exception as e:  # moderngl raises plain Exception on EGL failure
            raise OutputError(f"cannot create a headless OpenGL 3.3 context through EGL: {e} "
                              "(install Mesa's EGL drivers: libegl1 libgl1-mesa-dri)") from None
        return cls(ctx, owns_context=True, **kwargs)

    def compile(self, scene: Scene, *, shaders_dir: Path = SHADERS_DIR) -> CompiledScene:
        """Compile ``scene`` and keep it under its key, releasing any older program.

        Raises ShaderError (file:line and message) and keeps the old program
        if the new one does not compile.
        """
        source = load_fragment(scene.shader, include_dirs=[shaders_dir / "lib", shaders_dir],
                               prelude=prelude_declarations() + "\n" + _param_declarations(scene))
        try:
            program = self.ctx.program(vertex_shader=_VERTEX, fragment_shader=source.text)
        except moderngl.Error as e:
            raise source.describe(str(e)) from None
        compiled = CompiledScene(scene, source, program, self.ctx.vertex_array(program, []))
        compiled.features = [(program[f.uniform], FEATURE_INDEX[f.name])
                             for f in SCALAR_FEATURES if f.uniform in program]
        compiled.params = {n: program[n] for n in scene.params if n in program}
        compiled.values = {n: p.default for n, p in scene.params.items()}
        if "iChannel0" in program:
            program["iChannel0"].value = 0
        if "iChannelResolution" in program:
            program["iChannelResolution"].value = [(TEXTURE_WIDTH, 2, 1)] + [(0, 0, 0)] * 3
        old = self.scenes.pop(scene.key, None)
        if old is not None:
            _release_compiled(old)
        self.scenes[scene.key] = compiled
        return compiled

    def draw(self, key: str, frame: FeatureFrame, timing: FrameTiming,
             target: moderngl.Framebuffer, size: tuple[int, int] | None = None) -> None:
        """Draw scene ``key`` for ``frame`` at ``timing`` into ``target``.

        ``size`` overrides the target's size (a window's framebuffer after a resize).
        """
        compiled = self.scenes[key]
        self.audio_texture.write(frame.texture)
        self.audio_texture.use(0)
        prog = compiled.program
        w, h = size or target.size
        _set(prog, "iResolution", (float(w), float(h), 1.0))
        _set(prog, "iTime", timing.time)
        _set(prog, "iTimeDelta", timing.delta)
        _set(prog, "iFrameRate", timing.fps)
        _set(prog, "iFrame", timing.frame)
        _set(prog, "iMouse", timing.mouse)
        _set(prog, "iDate", timing.date)
        _set(prog, "iSampleRate", float(self.sample_rate))
        values = frame.values
        for uniform, index in compiled.features:
            uniform.value = float(values[index])
        if "iBands" in prog:
            prog["iBands"].write(frame.bands)
        for name, uniform in compiled.params.items():
            uniform.value = compiled.values[name]
        target.use()
        self.ctx.viewport = (0, 0, w, h)
        compiled.vao.render(moderngl.TRIANGLES, vertices=3)

    def offscreen(self, size: tuple[int, int]) -> "OffscreenTarget":
        """A framebuffer of ``size`` (w, h) owned by this renderer."""
        target = OffscreenTarget(self.ctx, size)
        self._targets.append(target)
        return target

    def release(self) -> None:
        """Release every GL object, and the context if this renderer made it."""
        for compiled in self.scenes.values():
            _release_compiled(compiled)
        self.scenes.clear()
        for target in self._targets:
            target.release()
        self._targets.clear()
        self.audio_texture.release()
        if self._owns_context:
            self.ctx.release()


class OffscreenTarget:
    """An RGBA8 framebuffer with read-back into a kept numpy array."""

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int]):
        self.size = size
        self.texture = ctx.texture(size, 4)
        self.fbo = ctx.framebuffer(color_attachments=[self.texture])
        self._pixels = np.empty((size[1], size[0], 3), np.uint8)

    def read(self) -> np.ndarray:
        """The picture as (height, width, 3) uint8 RGB, top row first.

        The returned array is reused by the next call; copy it to keep it.
        """
        self.fbo.read_into(self._pixels, components=3)
        # GL's rows run bottom-up; a flipped view costs nothing.
        return self._pixels[::-1]

    def release(self) -> None:
        self.fbo.release()
        self.texture.release()


def _set(prog: moderngl.Program, name: str, value) -> None:
    if name in prog:
        prog[name].value = value


def _param_declarations(scene: Scene) -> str:
    return "\n".join(f"uniform float {name};" for name in scene.params)


def _release_compiled(compiled: CompiledScene) -> None:
    compiled.vao.release()
    compiled.program.release()
