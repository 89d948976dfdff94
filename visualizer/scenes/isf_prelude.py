"""The GLSL that runs an ISF file's body unmodified in our renderer.

ISF's names (TIME, RENDERSIZE, PASSINDEX, ...) become our uniforms through
``#define``; its IMG_ functions read buffers, and the rows of our audio
texture for ``audio`` / ``audioFFT`` inputs (see :mod:`visualizer.scenes.isf`
for how a header maps onto a scene).
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
    isf = read_isf(scene.path)
    out = [prelude_declarations(), "", "// ISF", "uniform int PASSINDEX;"]
    out += [f"#define {k} {v}" for k, v in (
        ("TIME", "iTime"), ("TIMEDELTA", "iTimeDelta"), ("RENDERSIZE", "iResolution.xy"),
        ("FRAMEINDEX", "iFrame"), ("DATE", "(iDate + vec4(0.0, 1.0, 0.0, 0.0))"),  # month 1..12
        ("isf_FragNormCoord", "(gl_FragCoord.xy / iResolution.xy)"),
        ("vv_FragNormCoord", "isf_FragNormCoord"),
        ("gl_FragColor", "visualizer_FragColor"), ("texture2D", "texture"), ("varying", "in"))]

    out.append("// inputs")
    for name, p in scene.params.items():
        out.append(f"uniform {p.glsl_type} {name};")
        if name in isf.colors:   # ISF colors are vec4; the param is the RGB
            out.append(f"#define {name} vec4({name}, {_float(isf.colors[name])})")
    for name in isf.points:
        if f"{name}_x" in scene.params and f"{name}_y" in scene.params:
            out.append(f"#define {name} vec2({name}_x, {name}_y)")

    out.append("// images")
    for name in scene.buffers:
        out += [f"uniform sampler2D {name};", f"#define {name}(_) {name}"]
    columns = {name: n for name, _, n in isf.audio}
    for name, kind in scene.audio_inputs:
        row, fft = _ROWS[kind], float(kind == "audioFFT")
        n = columns.get(name, TEXTURE_WIDTH)
        out += [f"uniform sampler2D {name};",
                f"#define {name}(_) {name}, {_float(row)}, {_float(n)}, {_float(fft)}"]
    out.append(_IMAGE_FUNCTIONS.format(width=_float(TEXTURE_WIDTH), taps=_TAPS))

    wrap = []
    if isf.display is not None:
        target = scene.passes[isf.display - 1].target
        wrap.append(f"if (PASSINDEX == {isf.display}) {{ visualizer_FragColor = "
                    f"texelFetch({target}, ivec2(gl_FragCoord.xy), 0); return; }}")
    wrap.append("isf_main();")
    if isf.clamped:
        test = " || ".join(f"PASSINDEX == {i}" for i in isf.clamped)
        wrap.append(f"if ({test}) visualizer_FragColor = clamp(visualizer_FragColor, 0.0, 1.0);")
    if len(wrap) > 1:
        # The ISF file's own main becomes isf_main, called by a main that does the
        # above (visualizer_FragColor is declared only after this prelude, so this
        # code has to land where the file's main is).
        out += ["void isf_main();",
                f"#define main(_) main() {{ {' '.join(wrap)} }} void isf_main()"]
    return "\n".join(out)


def _float(v: float) -> str:
    return repr(float(v))


_IMAGE_FUNCTIONS = """
vec4 isf_image(sampler2D image, vec2 uv) {{      // a buffer, clamped to its edge like ISF's
    vec2 half_texel = 0.5 / vec2(textureSize(image, 0));
    return texture(image, clamp(uv, half_texel, 1.0 - half_texel));
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
