// Crossfade: the plainest blend, eased so it neither jumps nor lingers.
vec4 transition(vec2 uv) {
    float p = smoothstep(0.0, 1.0, progress);
    return mix(texture(startImage, uv), texture(endImage, uv), p);
}
