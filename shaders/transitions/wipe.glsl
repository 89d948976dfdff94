// Wipe: a soft diagonal edge sweeps the new scene in, like light across the plain.
#include "palette.glsl"
vec4 transition(vec2 uv) {
    float d = (uv.x * 0.8 + (1.0 - uv.y) * 0.2);
    float edge = mix(-0.1, 1.1, progress);
    float a = smoothstep(edge - 0.04, edge + 0.04, d);
    float line = exp(-abs(d - edge) * 60.0) * step(0.001, progress) * step(progress, 0.999);
    vec4 start = texture(startImage, uv), end = texture(endImage, uv);
    return vec4(mix(end.rgb, start.rgb, a) + STEPPE_OCHRE * line, 1.0);
}
