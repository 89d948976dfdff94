/*{
    "DESCRIPTION": "Glow: the bright parts of the picture bloom into a soft halo, like stage light in haze.",
    "CREDIT": "visualizer",
    "ISFVSN": "2",
    "CATEGORIES": ["Glow", "Stylize"],
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "amount", "TYPE": "float", "DEFAULT": 0.3, "MIN": 0.0, "MAX": 3.0, "LABEL": "How much halo is added"},
        {"NAME": "threshold", "TYPE": "float", "DEFAULT": 0.55, "MIN": 0.0, "MAX": 1.0, "LABEL": "Brightness above which a pixel glows"},
        {"NAME": "radius", "TYPE": "float", "DEFAULT": 0.025, "MIN": 0.002, "MAX": 0.1, "LABEL": "Size of the halo (fraction of the height)"}
    ]
}*/

// Two rings of taps on a golden-angle spiral: a cheap wide blur of the bright parts.
vec3 bright(vec2 uv) {
    vec3 c = IMG_NORM_PIXEL(inputImage, uv).rgb;
    float l = max(c.r, max(c.g, c.b));
    return c * smoothstep(threshold, threshold + 0.25, l);
}

void main() {
    vec2 uv = isf_FragNormCoord;
    vec3 base = IMG_NORM_PIXEL(inputImage, uv).rgb;
    vec2 px = vec2(RENDERSIZE.y / RENDERSIZE.x, 1.0) * radius;
    vec3 halo = vec3(0.0);
    float total = 0.0;
    for (int i = 0; i < 16; i++) {
        float f = float(i) + 0.5;
        float r = sqrt(f / 16.0);
        float a = f * 2.39996;
        float w = 1.0 - r * 0.7;
        halo += bright(uv + vec2(cos(a), sin(a)) * r * px) * w;
        total += w;
    }
    halo /= total;
    vec3 col = base + halo * amount;
    col = col / (1.0 + 0.25 * max(col - 1.0, 0.0));   // keep the hottest light from clipping flat
    gl_FragColor = vec4(col, 1.0);
}
