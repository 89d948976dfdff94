"""Compiling scenes and transitions into GL programs, and what a compiled
one holds: each pass's program with its uniforms looked up once, and the
textures a scene draws into (made and released by the renderer that owns
them).

A scene's shaders and their ``#include`` files are found where the scene
says (:attr:`Scene.include_dirs`: beside the scene file, then the built-in
shaders), so a performer's own scene folder works like the built-in one.
"""

from dataclasses import dataclass, field
from pathlib import Path

import moderngl
import numpy as np

from visualizer.analysis.features import FEATURE_INDEX, SCALAR_FEATURES
from visualizer.render.images import read_image
from visualizer.errors import SceneError, ShaderError
from visualizer.render.shader_source import ShaderSource, link_program, load_fragment, load_vertex
from visualizer.scenes.isf_events import EventPulses
from visualizer.scenes.isf_expr import buffer_size
from visualizer.scenes.isf_prelude import isf_events, isf_prelude, isf_vertex_prelude
from visualizer.scenes.model import SHADERS_DIR, Scene
from visualizer.scenes.uniforms import prelude_declarations

TRANSITION_UNIFORMS = ("uniform sampler2D startImage;\nuniform sampler2D endImage;"
                       "\nuniform float progress;")
"""What a transition shader reads besides the built-in uniforms (as ISF names them)."""


@dataclass
class CompiledPass:
    """One pass's program with its uniforms looked up once."""

    source: ShaderSource
    program: moderngl.Program
    vao: moderngl.VertexArray
    target: str | None
    feedback: bool
    features: list = field(default_factory=list)   # (uniform, index into values)
    samplers: list = field(default_factory=list)   # (texture source, unit): see sampler_sources
    channels: list = field(default_factory=list)   # (n, texture source, unit or None): iChannelN
    vertices: int = 3   # the full-screen triangle; 6: the quad an ISF vertex shader places

    def release(self) -> None:
        self.vao.release()
        self.program.release()


@dataclass
class CompiledScene:
    """A scene's passes, buffers and picture textures."""

    scene: Scene
    passes: list[CompiledPass]
    buffers: dict = field(default_factory=dict)    # name -> [texture, fbo] (+ [texture, fbo])
    images: dict = field(default_factory=dict)     # name -> texture of an image file it reads
    picture: tuple | None = None                   # (texture, fbo) at the output size
    scaled: tuple | None = None                    # (texture, fbo) at the render size
    size: tuple = ()                               # (output size, render size) they were made for
    events: EventPulses = field(default_factory=EventPulses)   # ISF event inputs' pulses

    @property
    def source(self) -> ShaderSource:
        """The picture pass's source (error messages, dependencies)."""
        return self.passes[-1].source

    @property
    def dependencies(self) -> list[Path]:
        """Every file the scene was built from, includes too (for hot reload)."""
        deps = [self.scene.path]
        for p in self.passes:
            deps += [d for d in p.source.dependencies if d not in deps]
        extra = [p.vertex for p in self.scene.passes if p.vertex] + list(self.scene.images.values())
        return deps + [d for d in dict.fromkeys(extra) if d not in deps]   # ISF .vs, images

    def release_textures(self) -> None:
        for objs in list(self.buffers.values()) + [self.picture, self.scaled]:
            for obj in objs or ():
                obj.release()
        self.buffers, self.picture, self.scaled, self.size = {}, None, None, ()

    def size_buffers(self, ctx: moderngl.Context, inner: tuple[int, int], values: dict) -> None:
        """Make the buffers of passes with ISF WIDTH/HEIGHT expressions at the
        size those give at render size ``inner`` with the inputs' ``values``:
        evaluated each frame (they may read inputs), a buffer is made again
        (black) only when its size changes."""
        for p in self.scene.passes:
            if p.target and (p.width or p.height):
                want = buffer_size(p.width, p.height, inner, values)
                objs = self.buffers.get(p.target)
                if objs is None or objs[0].size != want:
                    for obj in objs or ():
                        obj.release()
                    self.buffers[p.target] = float_buffer(ctx, want, p.feedback)

    def release(self) -> None:
        self.release_textures()
        for tex in self.images.values():
            tex.release()
        self.images = {}
        for p in self.passes:
            p.release()


def compile_scene(ctx: moderngl.Context, scene: Scene) -> CompiledScene:
    """Every pass of ``scene`` compiled in ``ctx`` (no textures yet).

    Raises ShaderError (file:line and message) if any pass does not
    compile, having released the passes already made.
    """
    passes: list[CompiledPass] = []
    images: dict = {}
    try:
        for p in scene.passes:
            passes.append(_compile_pass(ctx, scene, p.shader, p.target, p.feedback,
                                        vertex=p.vertex))
            _bind_channels(passes[-1], p.channels)
        for name, path in scene.images.items():
            try:
                images[name] = image_texture(ctx, path)
            except SceneError as e:   # say which scene wants it
                raise SceneError(f"{scene.path}: image {name}: {e}") from None
    except BaseException:
        for made in passes:
            made.release()
        for tex in images.values():
            tex.release()
        raise
    return CompiledScene(scene, passes, images=images, events=EventPulses(isf_events(scene)))


def float_buffer(ctx: moderngl.Context, size: tuple[int, int], feedback: bool) -> list:
    """A buffer's [texture, fbo] (twice for a feedback buffer): RGBA32F,
    linear filtering, cleared to black."""
    objs = []
    for _ in range(2 if feedback else 1):
        tex = ctx.texture(size, 4, dtype="f4")
        tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
        fbo = ctx.framebuffer(color_attachments=[tex])
        fbo.clear()
        objs += [tex, fbo]
    return objs


def image_texture(ctx: moderngl.Context, path: Path) -> moderngl.Texture:
    """The image file at ``path`` as an RGBA8 texture, its top row at y = 1
    (as ISF and Shadertoy read images), linear filtering, repeating."""
    rgba = read_image(path)
    tex = ctx.texture((rgba.shape[1], rgba.shape[0]), 4, data=np.ascontiguousarray(rgba[::-1]))
    tex.filter = (moderngl.LINEAR, moderngl.LINEAR)
    return tex


def compile_transition(ctx: moderngl.Context, path: Path, *,
                       shaders_dir: Path = SHADERS_DIR) -> CompiledPass:
    """The transition shader at ``path`` (``vec4 transition(vec2 uv)``
    reading ``startImage``, ``endImage`` and ``progress``) compiled in ``ctx``."""
    prelude = prelude_declarations() + "\n" + TRANSITION_UNIFORMS
    source = load_fragment(path, include_dirs=[shaders_dir / "lib", shaders_dir],
                           prelude=prelude, main="transition")
    program = _program(ctx, source)
    compiled = CompiledPass(source, program, ctx.vertex_array(program, []), None, False)
    compiled.features = _features(program)
    for name, unit in (("startImage", 1), ("endImage", 2)):
        if name in program:
            program[name].value = unit
    return compiled


def _compile_pass(ctx: moderngl.Context, scene: Scene, shader: Path, target,
                  feedback, *, vertex: Path | None = None) -> CompiledPass:
    if scene.flavor == "isf":
        prelude = isf_prelude(scene)
    else:
        prelude = prelude_declarations() + "\n" + _declarations(scene)
    source = load_fragment(shader, include_dirs=scene.include_dirs, prelude=prelude)
    vertex_source = None
    if vertex is not None:   # an ISF .vs (the default: a full-screen triangle)
        vertex_source = load_vertex(vertex, include_dirs=scene.include_dirs,
                                    prelude=isf_vertex_prelude(scene))
    program = _program(ctx, source, vertex_source)
    compiled = CompiledPass(source, program, ctx.vertex_array(program, []), target, feedback,
                            vertices=3 if vertex is None else 6)
    compiled.features = _features(program)
    unit = 1
    for uniform, source in sampler_sources(scene):
        if uniform in program:
            program[uniform].value = unit
            compiled.samplers.append((source, unit))
        unit += 1
    return compiled


def sampler_sources(scene: Scene) -> list[tuple[str, str]]:
    """(sampler uniform, texture source) of every sampler a scene's shaders
    may declare besides ``iChannel0``. A source is a buffer's name, an image's
    (``Scene.images``) or a fed picture's (``Scene.image_inputs``) name, or one
    of ``TEXTURE_SOURCES`` (an ISF audio input reads ``"audio"``)."""
    out = [(name, name) for name in scene.buffers]
    out += [(name, "audio") for name, _ in scene.audio_inputs]
    out += [(name, name) for name in scene.image_inputs]
    out += [(name, name) for name in scene.images]
    return out


def _bind_channels(compiled: CompiledPass, channels: tuple[str, ...]) -> None:
    """Give Shadertoy's ``iChannel0..3`` of a pass the texture units after
    its other samplers', reading ``channels`` (a Pass's; empty: channel 0
    the audio, the rest black). The renderer binds them each frame, with
    ``iChannelResolution`` and ``iChannelTime`` (see ``Renderer._use_channels``)."""
    sources = list(channels[:4]) or ["audio"]
    sources += ["black"] * (4 - len(sources))
    program = compiled.program
    unit = max((u for _, u in compiled.samplers), default=0) + 1
    for n, source in enumerate(sources):
        if f"iChannel{n}" in program:
            program[f"iChannel{n}"].value = unit
            compiled.channels.append((n, source, unit))
            unit += 1
        else:   # not sampled, but its size and time may still be read
            compiled.channels.append((n, source, None))


def _program(ctx: moderngl.Context, source: ShaderSource,
             vertex: ShaderSource | None = None) -> moderngl.Program:
    try:
        if vertex is None:
            return link_program(ctx, source.text)
        return link_program(ctx, source.text, vertex.text)
    except moderngl.Error as e:
        log = str(e)
        if vertex is not None and "\nvertex_shader\n" in log:
            raise vertex.describe(log, stage="vertex") from None
        if vertex is not None and "Linker failed" in log:   # the two stages disagree
            why = next((ln.strip() for ln in log.splitlines() if "error" in ln.lower()
                        and "Linker failed" not in ln), log.strip().splitlines()[0])
            raise ShaderError(f"{source.files[1]}: does not link with {vertex.files[1]}: "
                              f"{why.removeprefix('error: ')}", path=str(source.files[1])) from None
        raise source.describe(log) from None


def _features(program: moderngl.Program) -> list:
    """(uniform, index into a frame's values) of each audio feature the program reads."""
    return [(program[f.uniform], FEATURE_INDEX[f.name])
            for f in SCALAR_FEATURES if f.uniform in program]


def _declarations(scene: Scene) -> str:
    lines = [f"uniform {p.glsl_type} {name};" for name, p in scene.params.items()]
    lines += [f"uniform sampler2D {name};" for name in scene.buffers]
    return "\n".join(lines)
