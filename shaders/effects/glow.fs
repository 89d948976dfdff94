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
    ],
    "PASSES": [
        {"TARGET": "bright", "WIDTH": "floor($WIDTH/4.0)", "HEIGHT": "floor($HEIGHT/4.0)"},
        {"TARGET": "halo", "WIDTH": "floor($WIDTH/4.0)", "HEIGHT": "floor($HEIGHT/4.0)"},
        {}
    ]
}*/

// At a quarter of the size: the bright parts, then a wide blur of them; at
// full size, the picture plus the halo (two reads a pixel: cheap enough live).
// Each pass's work is a loop whose count is 0 in the other passes: a software
// renderer runs both sides of an if for every pixel, but leaves a loop at once.
void main() {
    vec2 uv = isf_FragNormCoord;
    int brightTaps = PASSINDEX == 0 ? 4 : 0;
    int haloTaps = PASSINDEX == 1 ? 12 : 0;
    vec2 q = 0.25 / RENDERSIZE;                     // a quarter texel of the small buffer
    vec3 c = vec3(0.0);
    for (int i = 0; i < brightTaps; i++) {
        vec2 corner = vec2(float(i % 2) * 2.0 - 1.0, float(i / 2) * 2.0 - 1.0);
        c += 0.25 * IMG_NORM_PIXEL(inputImage, uv + q * corner).rgb;
    }
    vec2 px = vec2(RENDERSIZE.y / RENDERSIZE.x, 1.0) * radius;
    vec3 blurred = vec3(0.0);
    float total = 1e-6;
    for (int i = 0; i < haloTaps; i++) {            // a golden-angle spiral of taps
        float f = float(i) + 0.5;
        float r = sqrt(f / 12.0);
        float a = f * 2.39996;
        float w = 1.0 - r * 0.7;
        blurred += IMG_NORM_PIXEL(bright, uv + vec2(cos(a), sin(a)) * r * px).rgb * w;
        total += w;
    }
    if (PASSINDEX == 0) {
        float l = max(c.r, max(c.g, c.b));
        gl_FragColor = vec4(c * smoothstep(threshold, threshold + 0.25, l), 1.0);
    } else if (PASSINDEX == 1) {
        gl_FragColor = vec4(blurred / total, 1.0);
    } else {
        vec3 col = IMG_NORM_PIXEL(inputImage, uv).rgb + IMG_NORM_PIXEL(halo, uv).rgb * amount;
        col = col / (1.0 + 0.25 * max(col - 1.0, 0.0));   // the hottest light does not clip flat
        gl_FragColor = vec4(col, 1.0);
    }
}
