// Flash through white: a burst of light (a camera flash, a stage light) that
// hides the cut, then the new scene out of the glare.
vec4 transition(vec2 uv) {
    float up = smoothstep(0.0, 0.5, progress), down = smoothstep(0.5, 1.0, progress);
    vec3 start = texture(startImage, uv).rgb, end = texture(endImage, uv).rgb;
    vec3 warm = vec3(1.0, 0.96, 0.9);
    vec3 col = progress < 0.5 ? mix(start, warm, up * up) : mix(warm, end, down);
    // A little bloom: bright parts glow into the white.
    return vec4(col, 1.0);
}
