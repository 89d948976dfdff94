/*{
    "DESCRIPTION": "Kaleidoscope: the picture folded into mirrored wedges around the centre, turning.",
    "CREDIT": "visualizer",
    "ISFVSN": "2",
    "CATEGORIES": ["Geometry Adjustment", "Stylize"],
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "segments", "TYPE": "long", "DEFAULT": 6, "VALUES": [2, 3, 4, 5, 6, 8, 10, 12], "LABELS": ["2", "3", "4", "5", "6", "8", "10", "12"], "LABEL": "Mirrored wedges"},
        {"NAME": "spin", "TYPE": "float", "DEFAULT": 0.05, "MIN": -1.0, "MAX": 1.0, "LABEL": "Turns per second"},
        {"NAME": "zoom", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.3, "MAX": 3.0, "LABEL": "Zoom into the picture"},
        {"NAME": "mixAmount", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.0, "MAX": 1.0, "LABEL": "0 the picture as it is, 1 all kaleidoscope"}
    ]
}*/

const float PI = 3.14159265;

void main() {
    vec2 uv = isf_FragNormCoord;
    vec2 aspect = vec2(RENDERSIZE.x / RENDERSIZE.y, 1.0);
    vec2 p = (uv - 0.5) * aspect;
    float r = length(p) / zoom;
    float a = atan(p.y, p.x) + TIME * spin * 2.0 * PI;
    float wedge = 2.0 * PI / float(segments);
    a = mod(a, wedge);
    a = min(a, wedge - a);                                   // mirror every other wedge
    vec2 q = vec2(cos(a), sin(a)) * r / aspect + 0.5;
    q = 1.0 - abs(1.0 - mod(q, 2.0));                        // reflect at the edges
    vec4 k = IMG_NORM_PIXEL(inputImage, q);
    gl_FragColor = mix(IMG_NORM_PIXEL(inputImage, uv), k, mixAmount);
}
