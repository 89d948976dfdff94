// Noise dissolve: the new scene burns through the old along drifting smoke,
// with a glowing amber edge.
#include "noise.glsl"
#include "palette.glsl"
vec4 transition(vec2 uv) {
    vec2 p = uv * vec2(iResolution.x / iResolution.y, 1.0) * 3.0;
    float n = fbm(p + vec2(0.0, iTime * 0.2), 4);
    float edge = progress * 1.3 - 0.15;
    float a = smoothstep(edge - 0.06, edge + 0.06, n);
    vec4 start = texture(startImage, uv), end = texture(endImage, uv);
    float glow = exp(-abs(n - edge) * 40.0) * (1.0 - abs(progress * 2.0 - 1.0));
    return vec4(mix(end.rgb, start.rgb, a) + CLUB_AMBER * glow * 1.5, 1.0);
}
