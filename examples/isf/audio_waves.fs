/*{
	"ISFVSN": "2",
	"DESCRIPTION": "Glowing ribbons that ripple with the spectrum: the bass in the middle, the highs at the edges.",
	"CREDIT": "visualizer examples",
	"CATEGORIES": ["Generator", "Audio"],
	"INPUTS": [
		{
			"NAME": "spectrum",
			"TYPE": "audioFFT",
			"LABEL": "Spectrum"
		},
		{
			"NAME": "gain",
			"TYPE": "float",
			"LABEL": "Gain",
			"DEFAULT": 1.0,
			"MIN": 0.0,
			"MAX": 3.0
		},
		{
			"NAME": "ribbons",
			"TYPE": "long",
			"LABEL": "Ribbons",
			"DEFAULT": 5,
			"VALUES": [3, 5, 8],
			"LABELS": ["Three", "Five", "Eight"]
		},
		{
			"NAME": "tint",
			"TYPE": "color",
			"LABEL": "Tint",
			"DEFAULT": [0.25, 0.6, 1.0, 1.0]
		}
	]
}*/

const float TAU = 6.28318530718;

// Spectrum energy at x in 0..1, on a roughly logarithmic frequency axis.
float energy(float x) {
	float f = 0.004 + 0.7 * x * x;
	return IMG_NORM_PIXEL(spectrum, vec2(f, 0.5)).r;
}

void main() {
	vec2 uv = isf_FragNormCoord;
	float aspect = RENDERSIZE.x / RENDERSIZE.y;

	// Night-blue backdrop with a soft glow behind the middle.
	vec2 c = (uv - 0.5) * vec2(aspect, 1.0);
	vec3 color = mix(vec3(0.015, 0.02, 0.05), vec3(0.07, 0.03, 0.11), uv.y);
	color += 0.08 * tint.rgb * exp(-4.0 * dot(c, c));

	float mirrored = abs(uv.x - 0.5) * 2.0;   // 0 in the middle, 1 at the edges
	for (int i = 0; i < 8; i++) {
		if (i >= ribbons) break;
		float fi = float(i) / float(max(ribbons - 1, 1));
		float e = gain * energy(mirrored * (0.55 + 0.45 * fi));
		float phase = uv.x * (5.0 + 6.0 * fi) * 3.14159 + TIME * (0.7 + 0.6 * fi) + fi * TAU;
		float y = 0.5 + (fi - 0.5) * 0.45
			+ (0.03 + 0.22 * e) * sin(phase) * (1.0 - 0.6 * mirrored);
		float d = abs(uv.y - y) * RENDERSIZE.y;     // distance in pixels
		float width = 1.2 + 5.0 * e;
		float glow = width / (d + width);
		glow = glow * glow;
		vec3 hue = 0.55 + 0.45 * cos(TAU * (0.6 * fi + 0.04 * TIME + vec3(0.0, 0.33, 0.67)));
		color += mix(tint.rgb, hue, 0.6) * glow * (0.35 + 1.4 * e);
	}
	gl_FragColor = vec4(1.0 - exp(-1.6 * color), 1.0);
}
