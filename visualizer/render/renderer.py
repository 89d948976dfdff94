"""The renderer: one moderngl context and every GL object made in it.

Only this package touches GL. The renderer owns its programs, textures and
framebuffers and releases them in :meth:`Renderer.release` (or when a scene
is recompiled), never from ``__del__``.

A scene is one or more passes. Named buffers are float (RGBA32F) textures,
sampled in every pass by their name; a feedback buffer keeps two textures and
its own pass reads the previous frame (the trick behind MilkDrop's trails).
A scene with a render scale below 1 draws at that fraction of the output and
is scaled up with linear filtering.
"""

import time
from pathlib import Path

import moderngl
import numpy as np

from visualizer.analysis.features import FeatureFrame, TEXTURE_WIDTH
from visualizer.errors import OutputError
from visualizer.render.programs import (CompiledPass, CompiledScene, compile_scene,
                                        compile_transition, float_buffer)
from visualizer.render.shader_source import BLIT_FRAGMENT, link_program
from visualizer.render.timing import FrameTiming
from visualizer.scenes.model import SHADERS_DIR, Scene


class Renderer:
    """Draws scenes (and transitions between them) into framebuffers of one context."""

    def __init__(self, ctx: moderngl.Context, *, owns_context: bool, sample_rate: int = 48000,
                 render_scale: float = 1.0):
        self.ctx = ctx
        self._owns_context = owns_context
        self.sample_rate = sample_rate
        self.render_scale = render_scale
        """Global render scale, multiplied with each scene's."""
        self.audio_texture = ctx.texture((TEXTURE_WIDTH, 2), 1, dtype="f4")
        self.audio_texture.filter = (moderngl.LINEAR, moderngl.LINEAR)
        self.audio_texture.repeat_x = False
        self.audio_texture.repeat_y = False
        self.scenes: dict[str, CompiledScene] = {}
        self._previous: dict[str, CompiledScene] = {}   # kept by compile(keep_previous=True)
        self._scratch: dict[tuple, "OffscreenTarget"] = {}   # timed_draw's targets
        self.transitions: dict[str, CompiledPass] = {}
        self.isf_transitions: dict[str, dict] = {}   # key -> its parameter values
        self._targets: list["OffscreenTarget"] = []
        self._canvases: dict[str, "OffscreenTarget"] = {}
        self._blit = link_program(ctx, BLIT_FRAGMENT)
        self._blit_vao = ctx.vertex_array(self._blit, [])
        self.black = ctx.texture((1, 1), 4, data=bytes(4))
        """What a sampler with nothing to read sees (Shadertoy's unbound channel)."""
        self.keyboard = ctx.texture((256, 3), 1, data=bytes(256 * 3))
        """Shadertoy's keyboard texture (256x3): no key is ever down here, so all 0."""
        self.keyboard.filter = (moderngl.NEAREST, moderngl.NEAREST)
        self._samplers = {   # how Shadertoy samples an iChannel, by what it reads
            "buffer": ctx.sampler(repeat_x=False, repeat_y=False),
            "image": ctx.sampler(), "keyboard": ctx.sampler(
                repeat_x=False, repeat_y=False, filter=(moderngl.NEAREST, moderngl.NEAREST))}

    @classmethod
    def headless(cls, **kwargs) -> "Renderer":
        """A renderer on its own EGL context (no window, no screen needed)."""
        try:
            ctx = moderngl.create_standalone_context(require=330, backend="egl")
        except Exception as e:  # moderngl raises plain Exception on EGL failure
            raise OutputError(f"cannot create a headless OpenGL 3.3 context through EGL: {e} "
                              "(install Mesa's EGL drivers: libegl1 libgl1-mesa-dri)") from None
        return cls(ctx, owns_context=True, **kwargs)

    # -- building ---------------------------------------------------------

    def compile(self, scene: Scene, *, keep_previous: bool = False,
                key: str = "") -> CompiledScene:
        """Compile ``scene`` and keep it under its key, releasing any older version.

        Its shaders and includes are found where the scene says
        (``scene.include_dirs``). Raises ShaderError (file:line and message) and keeps the old version
        if any pass does not compile. With ``keep_previous`` the version it
        replaces stays alive (still owned here) until :meth:`settle` releases
        it or :meth:`revert` puts it back; a version already kept is not
        replaced by a newer one (the oldest is the one known to be good).
        """
        key = key or scene.key   # effects and ISF transitions: fx/NAME, transition/NAME
        self.activate()
        compiled = compile_scene(self.ctx, scene)
        old = self.scenes.pop(key, None)
        if old is not None:
            if keep_previous and key not in self._previous:
                self._previous[key] = old
            else:
                old.release()
        if not keep_previous:
            self.settle(key)
        self.scenes[key] = compiled
        return compiled

    def clear_buffers(self, key: str) -> None:
        """Let scene ``key``'s buffers start again from black (made anew at its next draw)."""
        compiled = self.scenes.get(key)
        if compiled is not None:
            self.activate()
            compiled.release_textures()

    def revert(self, key: str) -> bool:
        """Put back the version that ``compile(keep_previous=True)`` kept,
        releasing the one that replaced it; False if none was kept."""
        old = self._previous.pop(key, None)
        if old is None:
            return False
        self.activate()
        self.scenes.pop(key).release()
        self.scenes[key] = old
        return True

    def settle(self, key: str) -> None:
        """Release the version kept for :meth:`revert`: the new one stays."""
        old = self._previous.pop(key, None)
        if old is not None:
            self.activate()
            old.release()

    def compile_isf_transition(self, scene: Scene) -> None:
        """Compile an ISF transition (``startImage``, ``endImage``,
        ``progress``); it is then a transition like the built-in ones, by key."""
        self.compile(scene, key=f"transition/{scene.key}")
        self.isf_transitions[scene.key] = {n: p.default for n, p in scene.params.items()}

    @property
    def transition_names(self) -> list[str]:
        """Every transition that can be drawn: the GLSL ones and the ISF ones."""
        return sorted(set(self.transitions) | set(self.isf_transitions))

    def compile_transition(self, path: Path, *, shaders_dir: Path = SHADERS_DIR) -> CompiledPass:
        """Compile a transition shader (``vec4 transition(vec2 uv)`` reading
        ``startImage``, ``endImage`` and ``progress``); kept under its stem."""
        self.activate()
        compiled = compile_transition(self.ctx, path, shaders_dir=shaders_dir)
        old = self.transitions.pop(path.stem, None)
        if old is not None:
            old.release()
        self.transitions[path.stem] = compiled
        return compiled

    # -- drawing ----------------------------------------------------------

    def draw(self, key: str, frame: FeatureFrame, timing: FrameTiming,
             target: moderngl.Framebuffer, size: tuple[int, int] | None = None,
             params: dict | None = None, inputs: dict | None = None) -> None:
        """Draw scene ``key`` for ``frame`` at ``timing`` into ``target``.

        ``size`` overrides the target's size (a window's framebuffer after a
        resize); ``params`` are the scene's parameter values (default:
        defaults); ``inputs`` the textures fed to its image inputs by name
        (an effect's picture; black where none is given).
        """
        self.activate()
        compiled = self.scenes[key]
        size = size or target.size
        scale = compiled.scene.render_scale * self.render_scale
        self._upload_audio(frame)
        if scale >= 0.999 and target is not None:
            self._draw_passes(compiled, frame, timing, size, params, target, inputs)
            return
        self._ensure_textures(compiled, size)
        tex, _ = compiled.scaled
        self._draw_passes(compiled, frame, timing, size, params, compiled.scaled[1], inputs)
        self._blit_to(tex, target, size)

    def picture(self, key: str, frame: FeatureFrame, timing: FrameTiming,
                size: tuple[int, int], params: dict | None = None,
                inputs: dict | None = None) -> moderngl.Texture:
        """Draw scene ``key`` into its own texture of ``size`` and return it
        (for transitions and effects; valid until the scene is drawn again)."""
        compiled = self.scenes[key]
        self._ensure_textures(compiled, size)
        self.draw(key, frame, timing, compiled.picture[1], size, params, inputs)
        return compiled.picture[0]

    def draw_transition(self, name: str, start: moderngl.Texture, end: moderngl.Texture,
                        progress: float, frame: FeatureFrame, timing: FrameTiming,
                        target: moderngl.Framebuffer, size: tuple[int, int] | None = None) -> None:
        """Blend ``start`` into ``end`` with transition ``name`` at ``progress`` (0..1)."""
        self.activate()
        progress = float(min(max(progress, 0.0), 1.0))
        if name in self.isf_transitions and name not in self.transitions:
            params = self.isf_transitions[name]
            params["progress"] = progress
            self.draw(f"transition/{name}", frame, timing, target, size, params,
                      {"startImage": start, "endImage": end})
            return
        t = self.transitions[name]
        size = size or target.size
        start.use(1)
        end.use(2)
        self._upload_audio(frame)
        _set_common(t, frame, timing, size, self.sample_rate)
        _set(t.program, "progress", progress)
        target.use()
        self.ctx.viewport = (0, 0, *size)
        t.vao.render(moderngl.TRIANGLES, vertices=3)

    def timed_draw(self, key: str, frame: FeatureFrame, timing: FrameTiming,
                   size: tuple[int, int], params: dict | None = None) -> float:
        """Seconds to draw scene ``key`` at ``size`` into a scratch target of
        this renderer, the GPU's work included (glFinish before and after).

        Measures, for the frame guard, what a scene costs before it is shown.
        The scene's own textures are made for ``size`` (and again for the
        next size it is drawn at).
        """
        self.activate()
        size = (max(1, int(size[0])), max(1, int(size[1])))
        target = self._scratch.get(size)
        if target is None:
            if len(self._scratch) >= 3:   # a window resized: keep the newest sizes only
                oldest = next(iter(self._scratch))
                self._scratch.pop(oldest).release()
            target = self._scratch[size] = OffscreenTarget(self.ctx, size, self.activate)
        self.ctx.finish()   # what was queued before is not this scene's cost
        start = time.perf_counter()
        self.draw(key, frame, timing, target.fbo, size, params)
        self.ctx.finish()
        return time.perf_counter() - start

    def _upload_audio(self, frame: FeatureFrame) -> None:
        self.audio_texture.write(frame.texture)
        self.audio_texture.use(0)

    def _draw_passes(self, compiled: CompiledScene, frame, timing, size, params,
                     target: moderngl.Framebuffer, inputs: dict | None = None) -> None:
        scene = compiled.scene
        scale = scene.render_scale * self.render_scale
        inner = _scaled(size, scale)
        values = params if params is not None else {n: p.default for n, p in scene.params.items()}
        if compiled.events:   # ISF events: true for one frame
            values = compiled.events.apply(values, timing.frame)
        if scene.buffers:
            self._ensure_textures(compiled, size)
            compiled.size_buffers(self.ctx, inner, values)
        for index, p in enumerate(compiled.passes):
            prog = p.program
            for source, unit in p.samplers:
                self._texture(compiled, source, inputs).use(unit)
            self._use_channels(compiled, p, inputs, timing)
            # A pass sees its own size as RENDERSIZE (an ISF buffer may have a size of its own).
            own = compiled.buffers[p.target][0].size if p.target else inner
            _set_common(p, frame, timing, own, self.sample_rate)
            _set(prog, "PASSINDEX", index)
            for name, value in values.items():
                if name in prog:
                    prog[name].value = value
            if p.target:
                out = compiled.buffers[p.target]
                fbo = out[3] if p.feedback else out[1]
                fbo.use()
                self.ctx.viewport = (0, 0, *own)
            else:
                target.use()
                self.ctx.viewport = (0, 0, *inner)
            p.vao.render(moderngl.TRIANGLES, vertices=p.vertices)
            for _, _, unit in p.channels:   # the next program's samplers are its textures' own
                if unit is not None:
                    self._samplers["buffer"].clear(unit)
            if p.target and p.feedback:
                buf = compiled.buffers[p.target]
                buf[0], buf[1], buf[2], buf[3] = buf[2], buf[3], buf[0], buf[1]

    def _texture(self, compiled: CompiledScene, source: str,
                 inputs: dict | None) -> moderngl.Texture:
        """The texture a sampler reading ``source`` sees now (see
        :func:`~visualizer.render.programs.sampler_sources`)."""
        if source in compiled.buffers:
            return compiled.buffers[source][0]   # the newest complete frame of that buffer
        if inputs and source in inputs:
            return inputs[source]
        if source in compiled.images:
            return compiled.images[source]
        if source == "audio":
            return self.audio_texture
        if source == "keyboard":
            return self.keyboard
        return self.black

    def _use_channels(self, compiled: CompiledScene, p: CompiledPass, inputs, timing) -> None:
        """Bind pass ``p``'s iChannels, each with Shadertoy's sampler for what
        it reads, and set iChannelResolution and iChannelTime to match."""
        sizes, times = np.zeros((4, 3), "f4"), np.zeros(4, "f4")
        for n, source, unit in p.channels:
            tex = self._texture(compiled, source, inputs)
            sizes[n] = (*tex.size, 1)
            times[n] = timing.time if source == "audio" else 0.0
            if unit is not None:
                tex.use(unit)
                self._samplers["image" if source in compiled.images else "keyboard"
                               if source == "keyboard" else "buffer"].use(unit)
        for name, values in (("iChannelResolution", sizes), ("iChannelTime", times)):
            if name in p.program:   # a driver may keep only the elements the shader reads
                p.program[name].write(values[:p.program[name].array_length].tobytes())

    def _ensure_textures(self, compiled: CompiledScene, size: tuple[int, int]) -> None:
        # Made again when the output size or the render scale changes (the
        # live window's adaptive scale), never per frame otherwise.
        scale = compiled.scene.render_scale * self.render_scale
        inner = _scaled(size, scale)
        if compiled.size == (tuple(size), inner) and compiled.picture is not None:
            return
        compiled.release_textures()
        ctx = self.ctx
        for p in compiled.scene.passes:
            if p.target and not (p.width or p.height):   # sized ones: size_buffers
                compiled.buffers[p.target] = float_buffer(ctx, inner, p.feedback)
        tex = ctx.texture(tuple(size), 4)
        compiled.picture = (tex, ctx.framebuffer(color_attachments=[tex]))
        small = ctx.texture(inner, 4)
        small.filter = (moderngl.LINEAR, moderngl.LINEAR)
        compiled.scaled = (small, ctx.framebuffer(color_attachments=[small]))
        compiled.size = (tuple(size), inner)

    def blit(self, texture: moderngl.Texture, target: moderngl.Framebuffer, size) -> None:
        """Copy ``texture`` onto ``target`` at ``size`` (scaled, linear)."""
        self.activate()
        self._blit_to(texture, target, size)

    def _blit_to(self, texture: moderngl.Texture, target: moderngl.Framebuffer, size) -> None:
        texture.use(0)
        self._blit["image"].value = 0
        self._blit["size"].value = (float(size[0]), float(size[1]))
        target.use()
        self.ctx.viewport = (0, 0, *size)
        self._blit_vao.render(moderngl.TRIANGLES, vertices=3)

    # -- targets and lifetime ----------------------------------------------

    def activate(self) -> None:
        """Make this renderer's own (headless) context current: another
        context in the same process (a second renderer, a window) may have
        taken over since. A window's context is the window's business."""
        if self._owns_context:
            self.ctx.__enter__()

    def canvas(self, name: str, size: tuple[int, int]) -> "OffscreenTarget":
        """A framebuffer of ``size`` kept under ``name`` (made again only when
        the size changes): a picture between two steps of a frame."""
        self.activate()
        size = (max(1, int(size[0])), max(1, int(size[1])))
        target = self._canvases.get(name)
        if target is None or target.size != size:
            if target is not None:
                target.release()
            target = self._canvases[name] = OffscreenTarget(self.ctx, size, self.activate)
        return target

    def offscreen(self, size: tuple[int, int]) -> "OffscreenTarget":
        """A framebuffer of ``size`` (w, h) owned by this renderer."""
        self.activate()
        target = OffscreenTarget(self.ctx, size, self.activate)
        self._targets.append(target)
        return target

    def release(self) -> None:
        """Release every GL object, and the context if this renderer made it."""
        for compiled in list(self.scenes.values()) + list(self._previous.values()):
            compiled.release()
        self.scenes.clear()
        self._previous.clear()
        for target in self._scratch.values():
            target.release()
        self._scratch.clear()
        for t in self.transitions.values():
            t.release()
        self.transitions.clear()
        for target in self._targets + list(self._canvases.values()):
            target.release()
        self._targets.clear()
        self._canvases.clear()
        self._blit_vao.release()
        self._blit.release()
        self.black.release()
        self.keyboard.release()
        for sampler in self._samplers.values():
            sampler.release()
        self.audio_texture.release()
        if self._owns_context:
            self.ctx.release()


class OffscreenTarget:
    """An RGBA8 framebuffer with read-back into a kept numpy array."""

    def __init__(self, ctx: moderngl.Context, size: tuple[int, int], activate=None):
        self.size = size
        self._activate = activate or (lambda: None)
        self.texture = ctx.texture(size, 4)
        self.fbo = ctx.framebuffer(color_attachments=[self.texture])
        self._pixels = np.empty((size[1], size[0], 3), np.uint8)

    def read(self) -> np.ndarray:
        """The picture as (height, width, 3) uint8 RGB, top row first.

        The returned array is reused by the next call; copy it to keep it.
        """
        self._activate()
        self.fbo.read_into(self._pixels, components=3)
        # GL's rows run bottom-up; a flipped view costs nothing.
        return self._pixels[::-1]

    def release(self) -> None:
        self.fbo.release()
        self.texture.release()


def _scaled(size, scale: float) -> tuple[int, int]:
    return (max(1, round(size[0] * scale)), max(1, round(size[1] * scale)))


def _set(prog: moderngl.Program, name: str, value) -> None:
    if name in prog:
        prog[name].value = value


def _set_common(p: CompiledPass, frame: FeatureFrame, timing: FrameTiming, size,
                sample_rate: int) -> None:
    prog = p.program
    w, h = size
    _set(prog, "iResolution", (float(w), float(h), 1.0))
    _set(prog, "iTime", timing.time)
    _set(prog, "iGlobalTime", timing.time)
    _set(prog, "iTimeDelta", timing.delta)
    _set(prog, "iFrameRate", timing.fps)
    _set(prog, "iFrame", timing.frame)
    _set(prog, "iMouse", timing.mouse)
    _set(prog, "iDate", timing.date)
    _set(prog, "iSampleRate", float(sample_rate))
    values = frame.values
    for uniform, index in p.features:
        uniform.value = float(values[index])
    if "iBands" in prog:
        prog["iBands"].write(frame.bands)

