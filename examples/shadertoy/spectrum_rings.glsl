// Spectrum rings: concentric rings, one per frequency band (bass at the
// centre), each lit by its band of the spectrum and wobbling with the waveform.
// Plain Shadertoy: set iChannel0 to "Music" or "Microphone" there; here
// iChannel0 is the visualizer's audio texture in the same layout
// (row y = 0.25 the spectrum, row y = 0.75 the waveform).

const float TAU = 6.28318530718;
const float RINGS = 22.0;

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 p = (fragCoord - 0.5 * iResolution.xy) / iResolution.y;
    float r = length(p);
    float a = atan(p.y, p.x);

    // The waveform bends the rings a little (mirrored in angle: no seam).
    float wave = texture(iChannel0, vec2(abs(a) / 3.14159265, 0.75)).x - 0.5;
    float rr = r + 0.04 * wave;

    float band = rr * 2.0 * RINGS;                    // ring coordinate, 0 at the centre
    float ring = floor(band);
    float local = fract(band) - 0.5;                  // -0.5..0.5 across the ring
    float inside = step(ring, RINGS - 1.0);

    // This ring's frequency: a roughly logarithmic walk up the spectrum.
    float x = 0.01 + 0.7 * pow((ring + 0.5) / RINGS, 1.6);
    float level = texture(iChannel0, vec2(x, 0.25)).x;

    float width = 0.06 + 0.3 * level;
    float line = 1.0 - smoothstep(width * 0.35, width, abs(local));
    float dir = mod(ring, 2.0) * 2.0 - 1.0;          // neighbours turn opposite ways
    float dashes = 0.5 + 0.5 * cos(a * (3.0 + ring) + dir * iTime * (0.4 + 0.05 * ring));
    float light = line * (0.2 + 1.8 * level) * (0.5 + 0.5 * dashes) * inside;

    vec3 hue = 0.55 + 0.45 * cos(TAU * (0.75 * ring / RINGS + 0.03 * iTime + vec3(0.0, 0.33, 0.67)));
    vec3 col = hue * light;
    col += vec3(0.02, 0.015, 0.045) * (1.6 - r);      // faint backdrop
    fragColor = vec4(1.0 - exp(-1.5 * col), 1.0);
}
