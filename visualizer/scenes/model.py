"""What a scene is, whatever file it came from (data only, no GL): the types
the TOML and ISF loaders both build, the names a GLSL uniform of ours may
take, and where the built-in scenes and shaders live.

The built-in folders are the checkout's ``scenes/`` and ``shaders/``;
the environment variables ``VISUALIZER_SCENES`` and ``VISUALIZER_SHADERS``
put other folders in their place (read once, at import).
"""

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from visualizer.scenes.uniforms import ALL_UNIFORMS

ROOT = Path(__file__).resolve().parent.parent.parent
SCENES_DIR = Path(os.environ.get("VISUALIZER_SCENES", ROOT / "scenes"))
"""The built-in scenes: the first folder :func:`~visualizer.scenes.scene.discover` reads."""
SHADERS_DIR = Path(os.environ.get("VISUALIZER_SHADERS", ROOT / "shaders"))
"""The built-in shaders: where a scene's shader is looked for after its own
folder, with the shared ``lib/`` of includes and the ``transitions/``."""
TRANSITIONS_DIR = SHADERS_DIR / "transitions"

IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")   # fullmatch: "$" would let "name\n" through
GLSL_KEYWORDS = frozenset("""
    attribute const uniform varying layout centroid flat smooth noperspective break continue do
    for while switch case default if else in out inout float int void bool true false invariant
    discard return mat2 mat3 mat4 mat2x2 mat2x3 mat2x4 mat3x2 mat3x3 mat3x4 mat4x2 mat4x3 mat4x4
    vec2 vec3 vec4 ivec2 ivec3 ivec4 bvec2 bvec3 bvec4 uint uvec2 uvec3 uvec4 lowp mediump highp
    precision sampler1D sampler2D sampler3D samplerCube sampler1DShadow sampler2DShadow
    samplerCubeShadow sampler1DArray sampler2DArray sampler1DArrayShadow sampler2DArrayShadow
    isampler1D isampler2D isampler3D isamplerCube isampler1DArray isampler2DArray usampler1D
    usampler2D usampler3D usamplerCube usampler1DArray usampler2DArray sampler2DRect
    sampler2DRectShadow isampler2DRect usampler2DRect samplerBuffer isamplerBuffer usamplerBuffer
    sampler2DMS isampler2DMS usampler2DMS sampler2DMSArray isampler2DMSArray usampler2DMSArray
    struct common partition active asm class union enum typedef template this packed goto inline
    noinline volatile public static extern external interface long short double half fixed
    unsigned superp input output hvec2 hvec3 hvec4 dvec2 dvec3 dvec4 fvec2 fvec3 fvec4
    sampler3DRect filter image1D image2D image3D imageCube iimage1D iimage2D iimage3D iimageCube
    uimage1D uimage2D uimage3D uimageCube image1DArray image2DArray iimage1DArray iimage2DArray
    uimage1DArray uimage2DArray image1DShadow image2DShadow image1DArrayShadow image2DArrayShadow
    imageBuffer iimageBuffer uimageBuffer sizeof cast namespace using row_major main
""".split())
"""Words a GLSL 3.30 name cannot be (keywords, reserved words, ``main``)."""
BUILT_IN_NAMES = frozenset(u.name for u in ALL_UNIFORMS)
"""The uniforms every shader gets: no parameter or buffer may take their names."""
INT_RANGE = (-2**31, 2**31 - 1)
"""What a GLSL int holds: the range of an int parameter."""
INPUTS = ("lead", "backing")
"""The live inputs a scene can follow: the lead (the saxophone) or a backing track."""
PARAM_TYPES = {"float": "float", "int": "int", "bool": "bool", "color": "vec3"}
"""Parameter types and their GLSL types."""


def shader_folders(scene_file: Path, shaders_dir: Path) -> tuple[Path, ...]:
    """Where the shaders of the scene file at ``scene_file`` are found, first
    first: beside it, then in the built-in ``shaders_dir``."""
    here = Path(scene_file).parent
    return (here,) if here == Path(shaders_dir) else (here, Path(shaders_dir))


def usable_name(name: str) -> bool:
    """A name that can be a GLSL uniform of ours (a parameter, a buffer's sampler)."""
    return (bool(IDENT.fullmatch(name)) and name not in GLSL_KEYWORDS
            and name not in BUILT_IN_NAMES and not name.startswith("gl_"))


@dataclass(frozen=True)
class Param:
    """A scene parameter: a uniform with a default (inside its range)."""

    name: str
    default: float | int | bool | tuple
    low: float = 0.0
    high: float = 1.0
    description: str = ""
    type: str = "float"

    @property
    def glsl_type(self) -> str:
        return PARAM_TYPES[self.type]

    def clamp(self, value):
        """``value`` made valid for this parameter (NaN is the default)."""
        if self.type == "bool":
            return bool(value)
        if self.type == "color":
            return tuple(min(max(_or(float(v), d), 0.0), 1.0) for v, d in zip(value, self.default))
        v = min(max(_or(float(value), float(self.default)), self.low), self.high)
        return int(round(v)) if self.type == "int" else v


def _or(value: float, default: float) -> float:
    """``value``, or ``default`` where it is NaN (which no comparison clamps)."""
    return default if value != value else value


@dataclass(frozen=True)
class Binding:
    """``param`` follows ``feature`` x ``gain``, with its own attack and release (s)."""

    param: str
    feature: str
    gain: float = 1.0
    attack: float = 0.02
    release: float = 0.25


@dataclass(frozen=True)
class Pass:
    """One shader pass; ``target`` None draws the picture."""

    shader: Path
    target: str | None = None
    feedback: bool = False
    channels: tuple[str, ...] = ()
    """Shadertoy: what ``iChannel0``..``iChannel3`` read, each a texture
    source (see ``TEXTURE_SOURCES``); empty: channel 0 the audio, the rest black."""
    width: str = ""
    """ISF: the buffer's WIDTH expression ("" = the render width)."""
    height: str = ""
    """ISF: the buffer's HEIGHT expression ("" = the render height)."""
    vertex: Path | None = None
    """ISF: a custom vertex shader (the ``.vs`` beside the ``.fs``)."""


TEXTURE_SOURCES = ("audio", "black", "keyboard")
"""What a sampler can read besides a buffer (by its name), an image the scene
loads (``Scene.images``, by name) or a picture the host feeds it
(``Scene.image_inputs``, by name): the audio texture, black, or Shadertoy's
keyboard texture."""
ROLES = ("scene", "effect", "transition")
"""What a shader file is for: a scene draws a picture; an effect (an ISF
filter) works on one; a transition (an ISF transition) blends two."""


@dataclass(frozen=True)
class Scene:
    """A loaded scene description (data only; no GL)."""

    key: str
    path: Path
    passes: tuple[Pass, ...]
    title: str
    description: str = ""
    order: int = 1000
    params: dict[str, Param] = field(default_factory=dict)
    bindings: tuple[Binding, ...] = ()
    render_scale: float = 1.0
    flavor: str = "glsl"
    """'glsl' (our prelude, Shadertoy's mainImage) or 'isf' (an ISF .fs file)."""
    audio_inputs: tuple[tuple[str, str], ...] = ()
    """ISF ``audio`` / ``audioFFT`` inputs: (sampler name, kind), bound to the audio texture."""
    transition: str = "crossfade"
    """The transition a live switch to this scene uses."""
    transition_beats: float = 1.0
    input: str = "lead"
    """Which live input's features drive the scene (see ``INPUTS``)."""
    looks: dict = field(default_factory=dict)
    """Named sets of parameter values ({look: {param: value}}), in file order:
    what a VJ switches between from song to song (crossfaded)."""
    image_inputs: tuple[str, ...] = ()
    """Pictures the host feeds the shader by name (ISF ``image`` inputs: an
    effect's ``inputImage``, a transition's ``startImage`` and ``endImage``)."""
    images: dict = field(default_factory=dict)
    """Image files the shader reads, by sampler name ({name: path}): ISF
    ``IMPORTED`` images, Shadertoy textures."""
    role: str = "scene"
    """One of ``ROLES``."""
    warnings: tuple[str, ...] = ()
    """What the loader let through but a user should hear of (one line each,
    naming the file): shown once when the scene is loaded."""
    shaders_dir: Path = SHADERS_DIR
    """The built-in shaders folder the scene was loaded against: where its
    shaders are looked for after its own folder (see ``shader_dirs``)."""

    @property
    def shader(self) -> Path:
        """The shader that draws the picture (the last pass)."""
        return self.passes[-1].shader

    @property
    def buffers(self) -> list[str]:
        """Named buffers, in pass order."""
        return [p.target for p in self.passes if p.target]

    @property
    def files(self) -> list[Path]:
        """The scene file and its shaders (includes are found by the loader)."""
        return [self.path] + [p.shader for p in self.passes]

    @property
    def shader_dirs(self) -> tuple[Path, ...]:
        """Where the scene's shaders are found, first first: the scene file's
        own folder, then the built-in shaders. Includes are looked for beside
        the including file, then in each of these folders' ``lib/`` and itself."""
        return shader_folders(self.path, self.shaders_dir)

    @property
    def include_dirs(self) -> list[Path]:
        """The folders an ``#include`` of this scene's shaders searches, in order."""
        return [d for folder in self.shader_dirs for d in (folder / "lib", folder)]
