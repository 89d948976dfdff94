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

// One read of the picture and one of the trail in each pass (a software
// renderer runs both sides of an if, so the passes share one path): pass 0
// reads the trail where this pixel was a frame ago and keeps it fading; the
// picture pass shows the brighter of the picture and the trail.
void main() {
    vec2 uv = isf_FragNormCoord;
    vec4 now = IMG_NORM_PIXEL(inputImage, uv);
    vec2 aspect = vec2(RENDERSIZE.x / RENDERSIZE.y, 1.0);
    float feed = PASSINDEX == 0 ? 1.0 : 0.0;
    float c = cos(swirl * feed), s = sin(swirl * feed);
    vec2 p = mat2(c, -s, s, c) * ((uv - 0.5) * aspect) * (1.0 + sink * feed);
    vec4 trailed = IMG_NORM_PIXEL(trail, p / aspect + 0.5);
    gl_FragColor = max(now, trailed * mix(1.0, decay, feed));
}
