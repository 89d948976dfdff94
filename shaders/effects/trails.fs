/*{
    "DESCRIPTION": "Vortex trails: each frame leaves an afterimage that fades while it turns and sinks toward the centre, so the picture swirls like the music.",
    "CREDIT": "visualizer",
    "ISFVSN": "2",
    "CATEGORIES": ["Feedback", "Stylize"],
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "decay", "TYPE": "float", "DEFAULT": 0.85, "MIN": 0.0, "MAX": 0.98, "LABEL": "How long the afterimages last"},
        {"NAME": "swirl", "TYPE": "float", "DEFAULT": 0.01, "MIN": -0.08, "MAX": 0.08, "LABEL": "How far each afterimage turns per frame (radians)"},
        {"NAME": "sink", "TYPE": "float", "DEFAULT": 0.006, "MIN": -0.05, "MAX": 0.05, "LABEL": "How far each afterimage shrinks toward the centre per frame"}
    ],
    "PASSES": [
        {"TARGET": "trail", "PERSISTENT": true, "FLOAT": true},
        {}
    ]
}*/

void main() {
    vec2 uv = isf_FragNormCoord;
    vec4 now = IMG_NORM_PIXEL(inputImage, uv);
    if (PASSINDEX == 0) {
        vec2 aspect = vec2(RENDERSIZE.x / RENDERSIZE.y, 1.0);
        vec2 p = (uv - 0.5) * aspect;
        float c = cos(swirl), s = sin(swirl);
        p = mat2(c, -s, s, c) * p * (1.0 + sink);              // where this pixel was a frame ago
        vec4 before = IMG_NORM_PIXEL(trail, p / aspect + 0.5);
        gl_FragColor = max(now, before * decay);
    } else {
        gl_FragColor = max(now, IMG_NORM_PIXEL(trail, uv));
    }
}
