"""The uniforms every scene shader gets: one table, used to build the GLSL
prelude and the README's uniform list."""

from dataclasses import dataclass

from visualizer.analysis.features import N_BANDS, SCALAR_FEATURES


@dataclass(frozen=True)
class Uniform:
    """A uniform as GLSL declares it and as the README documents it."""

    glsl_type: str
    name: str
    description: str
    array: int = 0

    def declaration(self) -> str:
        """The GLSL declaration, e.g. ``uniform float iTime;``."""
        suffix = f"[{self.array}]" if self.array else ""
        return f"uniform {self.glsl_type} {self.name}{suffix};"


SHADERTOY_UNIFORMS: tuple[Uniform, ...] = (
    Uniform("vec3", "iResolution", "Viewport size in pixels (width, height, 1), as on Shadertoy."),
    Uniform("float", "iTime", "Audio time in seconds: the playback position, not wall time."),
    Uniform("float", "iTimeDelta", "Seconds since the previous frame."),
    Uniform("float", "iFrameRate", "Frames per second of the output."),
    Uniform("int", "iFrame", "Frame number, from 0."),
    Uniform("vec4", "iMouse", "Mouse as on Shadertoy (xy current, zw click); zero offline."),
    Uniform("vec4", "iDate", "(year, month from 0, day, seconds since midnight); "
            "offline a fixed date plus iTime, so renders are repeatable."),
    Uniform("float", "iSampleRate", "Analysis sample rate in Hz."),
    Uniform("vec3", "iChannelResolution", "Size of each iChannel texture (width, height, 1): "
            "512x2 the audio, a buffer the render size, an image its own, the keyboard 256x3, "
            "black 1x1.", array=4),
    Uniform("float", "iChannelTime", "Playback time of each channel: iTime for the audio, "
            "0 for the others.", array=4),
    Uniform("float", "iGlobalTime", "iTime under its old Shadertoy name."),
    Uniform("sampler2D", "iChannel0", "Audio texture in Shadertoy's layout, 512x2: "
            "row 0 (y=0.25) the spectrum, -100..-30 dB as 0..1 like WebAudio; "
            "row 1 (y=0.75) the waveform, 0.5 = silence. (A Shadertoy layout or "
            "export binds it as it says.)"),
) + tuple(
    Uniform("sampler2D", f"iChannel{i}", "Black, unless a Shadertoy layout or export binds "
            "it (a buffer, the audio, an image file, the keyboard).") for i in (1, 2, 3)
)

AUDIO_UNIFORMS: tuple[Uniform, ...] = tuple(
    Uniform("float", f.uniform, f"{f.description} ({f.unit})") for f in SCALAR_FEATURES
) + (
    Uniform("float", "iBands", f"{N_BANDS} log-spaced band energies from 30 Hz to 16 kHz, "
            "0..1 with one automatic gain for the whole spectrum, so its shape is kept.",
            array=N_BANDS),
)

ALL_UNIFORMS = SHADERTOY_UNIFORMS + AUDIO_UNIFORMS


def prelude_declarations() -> str:
    """GLSL declarations of every built-in uniform, one per line."""
    return "\n".join(u.declaration() for u in ALL_UNIFORMS)


def markdown_table() -> str:
    """The uniform list as a Markdown table for the README."""
    rows = ["| uniform | type | meaning |", "|---|---|---|"]
    for u in ALL_UNIFORMS:
        t = f"{u.glsl_type}[{u.array}]" if u.array else u.glsl_type
        rows.append(f"| `{u.name}` | {t} | {u.description} |")
    return "\n".join(rows)
