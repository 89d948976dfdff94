// Zoom through the vortex: the old scene spirals into the centre while the
// new one unwinds out of it.
#include "common.glsl"
vec4 transition(vec2 uv) {
    vec2 c = uv - 0.5;
    c.x *= iResolution.x / iResolution.y;
    float p = smoothstep(0.0, 1.0, progress);
    float r = length(c);
    float twist = (1.0 - smoothstep(0.0, 0.9, r)) * 6.0;
    // Old scene: zoom in and twist as p grows.
    vec2 a = rot2(twist * p) * c / (1.0 + p * 3.0);
    // New scene: arrive from a twisted, zoomed-out state.
    vec2 b = rot2(-twist * (1.0 - p)) * c * (1.0 + (1.0 - p) * 2.0);
    vec2 aspect = vec2(iResolution.y / iResolution.x, 1.0);
    vec3 start = texture(startImage, a * aspect + 0.5).rgb;
    vec3 end = texture(endImage, b * aspect + 0.5).rgb;
    float reveal = smoothstep(p * 1.6 - 0.3, p * 1.6, 1.0 - r);
    vec3 col = mix(start, end, max(reveal * p * 1.5, smoothstep(0.6, 1.0, p)));
    col += vec3(1.0, 0.75, 0.4) * exp(-r * 8.0) * sin(PI * p) * 0.8;  // the eye of the vortex
    return vec4(col, 1.0);
}
