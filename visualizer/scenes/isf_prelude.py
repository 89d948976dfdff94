"""The GLSL that runs an ISF file's body unmodified in our renderer.

ISF's names (TIME, RENDERSIZE, PASSINDEX, ...) become our uniforms through
``#define``; its IMG_ functions read buffers, IMPORTED images, fed pictures,
and the rows of our audio texture for ``audio`` / ``audioFFT`` inputs (see
:mod:`visualizer.scenes.isf` for how a header maps onto a scene). A custom
vertex shader (the ``.vs`` beside the ``.fs``) gets the same declarations
and ``isf_vertShaderInit()`` from :func:`isf_vertex_prelude`.
"""

from visualizer.analysis.features import TEXTURE_WIDTH
from visualizer.scenes.isf import read_isf
from visualizer.scenes.model import Scene
from visualizer.scenes.uniforms import prelude_declarations

_ROWS = {"audioFFT": 0.25, "audio": 0.75}
"""Texture y of each audio kind's row in the 512x2 audio texture."""
_TAPS = 16
"""Texture reads averaged into one column when an audio input asks for fewer (MAX)."""


def isf_prelude(scene: Scene) -> str:
    """GLSL placed after ``#version 330 core`` that makes an ISF body compile.

    Every built-in uniform (iTime, iLevel, iBass, ... are a bonus for ISF
    authors), the scene's inputs, samplers for buffers and audio inputs,
    ISF's names as #defines, and the IMG_ functions.

    Each image name ``X`` is also a function-like macro: ``X()`` expands to
    the argument list that the overloaded ``isf_image``/``isf_size`` need
    (``X`` for a buffer; ``X, row, columns, is_fft`` for an audio input), and
    ``IMG_NORM_PIXEL(X, uv)`` becomes ``isf_image(X(), uv)``. The macro only
    expands when ``X`` is followed by ``(``, which a sampler's name never is,
    so ``X`` stays the sampler everywhere else.
    """
    isf = read_isf(scene.passes[0].shader)   # the .fs (scene.path may be a TOML naming it)
    out = [f"#define {k} {v}" for k, v in (
        ("isf_FragNormCoord", "(gl_FragCoord.xy / iResolution.xy)"),
        ("vv_FragNormCoord", "isf_FragNormCoord"),
        ("gl_FragColor", "visualizer_FragColor"), ("varying", "in"))]
    out += _declarations(scene, isf)

    # The ISF file's own main becomes isf_main, called by a main that also does
    # what follows (visualizer_FragColor is declared only after this prelude, so
    # this code has to land where the file's main is).
    wrap = ["isf_main();"]
    if isf.clamped:
        test = " || ".join(f"PASSINDEX == {i}" for i in isf.clamped)
        wrap.append(f"if ({test}) visualizer_FragColor = clamp(visualizer_FragColor, 0.0, 1.0);")
    if isf.display is not None:
        # Read with normalised coordinates: the last pass's buffer may have a size of its own.
        target = scene.passes[isf.display - 1].target
        copy = (f"if (PASSINDEX == {isf.display}) visualizer_FragColor = "
                f"isf_image({target}, gl_FragCoord.xy / iResolution.xy); else {{")
        wrap = [copy, *wrap, "}"]
    # The picture is RGBA, straight alpha: ISF hosts show it over black (a
    # generator's transparent background, a feedback trail fading by its alpha).
    wrap.append(f"if (PASSINDEX == {len(scene.passes) - 1}) visualizer_FragColor = vec4("
                "visualizer_FragColor.rgb * clamp(visualizer_FragColor.a, 0.0, 1.0), 1.0);")
    out += ["void isf_main();",
            f"#define main(_) main() {{ {' '.join(wrap)} }} void isf_main()"]
    return "\n".join(out)


def isf_vertex_prelude(scene: Scene) -> str:
    """GLSL placed after ``#version 330 core`` that makes an ISF vertex
    shader (``NAME.vs``) compile: the declarations the fragment stage gets
    (uniforms, inputs, images, IMG_ functions), ``varying`` as ``out``, and
    ``isf_vertShaderInit()``, which places the vertex (no vertex attributes:
    from gl_VertexID, six of them, a quad of two triangles) and sets
    ``isf_FragNormCoord`` (0..1 over the picture)."""
    isf = read_isf(scene.passes[0].shader)
    out = ["out vec2 isf_FragNormCoord;"]
    out += [f"#define {k} {v}" for k, v in (
        ("vv_FragNormCoord", "isf_FragNormCoord"), ("vv_vertShaderInit", "isf_vertShaderInit"),
        ("varying", "out"))]
    out += _declarations(scene, isf)
    out.append(_VERTEX_INIT)
    return "\n".join(out)


def isf_events(scene: Scene) -> tuple[str, ...]:
    """The scene's ISF ``event`` inputs that are still switches (the
    renderer shows the shader a one-frame pulse for each)."""
    if scene.flavor != "isf":
        return ()
    events = read_isf(scene.passes[0].shader).events
    return tuple(n for n in events if n in scene.params and scene.params[n].type == "bool")


def _declarations(scene: Scene, isf) -> list[str]:
    """What both stages declare: uniforms, inputs, samplers and the IMG_ functions."""
    out = [prelude_declarations(), "", "// ISF", "uniform int PASSINDEX;"]
    out += [f"#define {k} {v}" for k, v in (
        ("TIME", "iTime"), ("TIMEDELTA", "iTimeDelta"), ("RENDERSIZE", "iResolution.xy"),
        ("FRAMEINDEX", "iFrame"), ("DATE", "(iDate + vec4(0.0, 1.0, 0.0, 0.0))"),  # month 1..12
        ("texture2D", "texture"))]

    out.append("// inputs")
    for name, p in scene.params.items():
        out.append(f"uniform {p.glsl_type} {name};")
        if name in isf.colors:   # ISF colors are vec4; the param is the RGB
            out.append(f"#define {name} vec4({name}, {_float(isf.colors[name])})")
    for name in isf.points:
        if f"{name}_x" in scene.params and f"{name}_y" in scene.params:
            out.append(f"#define {name} vec2({name}_x, {name}_y)")

    out.append("// images")
    for name in scene.image_inputs:   # pictures the host feeds: read like buffers
        out += [f"uniform sampler2D {name};", f"#define {name}(_) {name}"]
    for name in list(scene.images) + scene.buffers:   # IMPORTED images, then buffers
        out += [f"uniform sampler2D {name};", f"#define {name}(_) {name}"]
    columns = {name: n for name, _, n in isf.audio}
    for name, kind in scene.audio_inputs:
        row, fft = _ROWS[kind], float(kind == "audioFFT")
        n = columns.get(name, TEXTURE_WIDTH)
        out += [f"uniform sampler2D {name};",
                f"#define {name}(_) {name}, {_float(row)}, {_float(n)}, {_float(fft)}"]
    out.append(_IMAGE_FUNCTIONS.format(width=_float(TEXTURE_WIDTH), taps=_TAPS))
    return out


def _float(v: float) -> str:
    return repr(float(v))


_IMAGE_FUNCTIONS = """
vec4 isf_image(sampler2D image, vec2 uv) {{      // clamped to the edge, like ISF's
    vec2 size = vec2(textureSize(image, 0));
    vec2 t = clamp(uv * size - 0.5, vec2(0.0), size - 1.0);   // in texels
    vec2 f = fract(t);
    // GPUs weigh texels to 1/256: a read this close to a texel's centre is that
    // texel alone (a software renderer would let a trace of its neighbours in,
    // and a Game of Life that counts them would miscount).
    if (all(lessThan(min(f, 1.0 - f), vec2(1.0 / 512.0))))
        return texelFetch(image, ivec2(floor(t + 0.5)), 0);
    return texture(image, (t + 0.5) / size);
}}
vec2 isf_size(sampler2D image) {{ return vec2(textureSize(image, 0)); }}
vec4 isf_image(sampler2D audio, float row, float columns, float fft, vec2 uv) {{
    // One row of the audio texture as a grey image `columns` wide (any y).
    float v;
    if (columns >= {width}) {{
        v = texture(audio, vec2(uv.x, row)).r;
    }} else {{                  // fewer columns: spectrum averaged, waveform peak kept
        float column = clamp(floor(uv.x * columns), 0.0, columns - 1.0);
        float sum = 0.0;
        float peak = 0.5;
        for (int i = 0; i < {taps}; i++) {{
            float s = texture(audio, vec2((column + (float(i) + 0.5) / {taps}.0) / columns, row)).r;
            sum += s;
            if (abs(s - 0.5) > abs(peak - 0.5)) peak = s;
        }}
        v = fft > 0.5 ? sum / {taps}.0 : peak;
    }}
    return vec4(v, v, v, 1.0);
}}
vec2 isf_size(sampler2D audio, float row, float columns, float fft) {{ return vec2(columns, 1.0); }}
#define IMG_NORM_PIXEL(image, uv) isf_image(image(), uv)
#define IMG_PIXEL(image, xy) isf_image(image(), (xy) / isf_size(image()))
#define IMG_THIS_NORM_PIXEL(image) isf_image(image(), isf_FragNormCoord)
#define IMG_THIS_PIXEL(image) isf_image(image(), isf_FragNormCoord)
#define IMG_SIZE(image) isf_size(image())"""

_VERTEX_INIT = """
void isf_vertShaderInit() {
    // A quad corner to corner, two triangles, as ISF hosts draw it (not our usual
    // oversized triangle: a .vs may clamp what it computes per vertex to 0..1).
    const vec2 corners[6] = vec2[6](vec2(0.0, 0.0), vec2(1.0, 0.0), vec2(0.0, 1.0),
                                    vec2(0.0, 1.0), vec2(1.0, 0.0), vec2(1.0, 1.0));
    vec2 p = corners[gl_VertexID % 6];
    gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
    isf_FragNormCoord = p;
}"""
