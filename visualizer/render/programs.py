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

from visualizer.analysis.features import FEATURE_INDEX, SCALAR_FEATURES, TEXTURE_WIDTH
from visualizer.render.images import read_image
from visualizer.render.shader_source import ShaderSource, link_program, load_fragment
from visualizer.scenes.isf_prelude import isf_prelude
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
        return deps

    def release_textures(self) -> None:
        for objs in list(self.buffers.values()) + [self.picture, self.scaled]:
            for obj in objs or ():
                obj.release()
        self.buffers, self.picture, self.scaled, self.size = {}, None, None, ()

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
            passes.append(_compile_pass(ctx, scene, p.shader, p.target, p.feedback))
        for name, path in scene.images.items():
            images[name] = image_texture(ctx, path)
    except BaseException:
        for made in passes:
            made.release()
        for tex in images.values():
            tex.release()
        raise
    return CompiledScene(scene, passes, images=images)


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
                  feedback) -> CompiledPass:
    if scene.flavor == "isf":
        prelude = isf_prelude(scene)
    else:
        prelude = prelude_declarations() + "\n" + _declarations(scene)
    source = load_fragment(shader, include_dirs=scene.include_dirs, prelude=prelude)
    program = _program(ctx, source)
    compiled = CompiledPass(source, program, ctx.vertex_array(program, []), target, feedback)
    compiled.features = _features(program)
    unit = 1
    for uniform, source in sampler_sources(scene):
        if uniform in program:
            program[uniform].value = unit
            compiled.samplers.append((source, unit))
        unit += 1
    if "iChannel0" in program:
        program["iChannel0"].value = 0
    if "iChannelResolution" in program:
        program["iChannelResolution"].value = [(TEXTURE_WIDTH, 2, 1)] + [(0, 0, 0)] * 3
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


def _program(ctx: moderngl.Context, source: ShaderSource) -> moderngl.Program:
    try:
        return link_program(ctx, source.text)
    except moderngl.Error as e:
        raise source.describe(str(e)) from None


def _features(program: moderngl.Program) -> list:
    """(uniform, index into a frame's values) of each audio feature the program reads."""
    return [(program[f.uniform], FEATURE_INDEX[f.name])
            for f in SCALAR_FEATURES if f.uniform in program]


def _declarations(scene: Scene) -> str:
    lines = [f"uniform {p.glsl_type} {name};" for name, p in scene.params.items()]
    lines += [f"uniform sampler2D {name};" for name in scene.buffers]
    return "\n".join(lines)
