// Light the ink: a soft tone map and a little sheen where it is thick.
void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec3 ink = texture(iChannel0, fragCoord / iResolution.xy).rgb;
    vec3 col = ink / (1.0 + ink);
    col += 0.15 * smoothstep(0.6, 1.4, dot(ink, vec3(0.33)));
    fragColor = vec4(pow(col, vec3(0.8)), 1.0);
}
