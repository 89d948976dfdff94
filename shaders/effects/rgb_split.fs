/*{
    "DESCRIPTION": "Colour split: red and blue drift apart from green, outward from the centre, like a lens pushed past its limit.",
    "CREDIT": "visualizer",
    "ISFVSN": "2",
    "CATEGORIES": ["Stylize", "Glitch"],
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "split", "TYPE": "float", "DEFAULT": 0.002, "MIN": 0.0, "MAX": 0.05, "LABEL": "How far the colours drift apart (fraction of the picture)"},
        {"NAME": "angle", "TYPE": "float", "DEFAULT": 0.0, "MIN": -3.1416, "MAX": 3.1416, "LABEL": "Direction of the drift (0: outward from the centre)"}
    ]
}*/

void main() {
    vec2 uv = isf_FragNormCoord;
    vec2 d = uv - 0.5;
    vec2 dir = length(d) > 1e-4 ? normalize(d) : vec2(1.0, 0.0);
    float c = cos(angle), s = sin(angle);
    dir = mat2(c, -s, s, c) * dir;
    vec2 off = dir * split * (0.4 + 1.2 * length(d));
    float r = IMG_NORM_PIXEL(inputImage, uv + off).r;
    vec4 g = IMG_NORM_PIXEL(inputImage, uv);
    float b = IMG_NORM_PIXEL(inputImage, uv - off).b;
    gl_FragColor = vec4(r, g.g, b, g.a);
}
