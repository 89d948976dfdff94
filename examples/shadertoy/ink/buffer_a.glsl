// The ink: last frame's, carried along a swirling flow and fading, and fresh
// ink poured in by three nozzles circling the centre, each coloured and fed
// by a band of the spectrum (low, middle, high): the flow winds them into arms.
void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = fragCoord / iResolution.xy;
    vec2 p = (fragCoord - 0.5 * iResolution.xy) / iResolution.y;
    float bass = texture(iChannel1, vec2(0.03, 0.25)).r;
    vec2 flow = swirl(p, 0.012 + 0.03 * bass) + p * 0.002;
    vec4 ink = texture(iChannel0, uv - flow * vec2(iResolution.y / iResolution.x, 1.0));
    ink *= 0.99;
    for (int k = 0; k < 3; k++) {
        float a = iTime * 0.6 + float(k) * 2.0943951;
        vec2 nozzle = 0.3 * vec2(cos(a), sin(a));
        float level = texture(iChannel1, vec2(0.04 + 0.15 * float(k), 0.25)).r;
        vec3 colour = 0.5 + 0.5 * cos(6.2831853 * (float(k) / 3.0 + vec3(0.0, 0.33, 0.67)));
        ink.rgb += colour * exp(-dot(p - nozzle, p - nozzle) * 900.0) * pow(level, 2.0) * 0.5;
    }
    fragColor = vec4(ink.rgb, 1.0);
}
