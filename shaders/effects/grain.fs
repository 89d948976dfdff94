/*{
    "DESCRIPTION": "Film: grain, a soft vignette and a slight warm print, as if the night were shot on 16 mm.",
    "CREDIT": "visualizer",
    "ISFVSN": "2",
    "CATEGORIES": ["Film", "Stylize"],
    "INPUTS": [
        {"NAME": "inputImage", "TYPE": "image"},
        {"NAME": "grain", "TYPE": "float", "DEFAULT": 0.06, "MIN": 0.0, "MAX": 0.4, "LABEL": "Grain strength"},
        {"NAME": "vignette", "TYPE": "float", "DEFAULT": 0.5, "MIN": 0.0, "MAX": 1.5, "LABEL": "Darkening toward the corners"},
        {"NAME": "warmth", "TYPE": "float", "DEFAULT": 0.3, "MIN": 0.0, "MAX": 1.0, "LABEL": "Warm print (amber highlights, teal shadows)"}
    ]
}*/

float hash(vec3 p) {
    p = fract(p * vec3(443.897, 441.423, 437.195));
    p += dot(p, p.yzx + 19.19);
    return fract((p.x + p.y) * p.z);
}

void main() {
    vec2 uv = isf_FragNormCoord;
    vec3 col = IMG_NORM_PIXEL(inputImage, uv).rgb;
    float luma = dot(col, vec3(0.299, 0.587, 0.114));
    vec3 graded = mix(col, col * vec3(1.08, 1.0, 0.86) + vec3(0.0, 0.01, 0.03) * (1.0 - luma), warmth);
    float n = hash(vec3(gl_FragCoord.xy, float(FRAMEINDEX % 512))) - 0.5;
    graded += n * grain * (0.35 + 0.65 * (1.0 - abs(luma - 0.5) * 2.0));   // most in the midtones
    vec2 d = (uv - 0.5) * vec2(RENDERSIZE.x / RENDERSIZE.y, 1.0);
    graded *= 1.0 - vignette * smoothstep(0.35, 1.0, length(d));
    gl_FragColor = vec4(clamp(graded, 0.0, 1.0), 1.0);
}
