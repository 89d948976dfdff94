/*{
	"ISFVSN": "2",
	"DESCRIPTION": "The waveform drawn as a ring that breathes with the bass, leaving trails that drift outward and fade.",
	"CREDIT": "visualizer examples",
	"CATEGORIES": ["Generator", "Audio", "Feedback"],
	"INPUTS": [
		{
			"NAME": "wave",
			"TYPE": "audio",
			"LABEL": "Waveform"
		},
		{
			"NAME": "fft",
			"TYPE": "audioFFT",
			"LABEL": "Spectrum"
		},
		{
			"NAME": "decay",
			"TYPE": "float",
			"LABEL": "Trail decay",
			"DEFAULT": 0.94,
			"MIN": 0.5,
			"MAX": 0.995
		},
		{
			"NAME": "drift",
			"TYPE": "float",
			"LABEL": "Outward drift",
			"DEFAULT": 1.0,
			"MIN": 0.0,
			"MAX": 4.0
		},
		{
			"NAME": "spin",
			"TYPE": "float",
			"LABEL": "Spin",
			"DEFAULT": 0.5,
			"MIN": -2.0,
			"MAX": 2.0
		}
	],
	"PASSES": [
		{
			"TARGET": "trails",
			"PERSISTENT": true,
			"FLOAT": true
		},
		{
		}
	]
}*/

const float TAU = 6.28318530718;

vec3 hue(float t) {
	return 0.5 + 0.5 * cos(TAU * (t + vec3(0.0, 0.33, 0.67)));
}

void main() {
	// Centred coordinates, the short side spanning -0.5..0.5.
	vec2 p = (gl_FragCoord.xy - 0.5 * RENDERSIZE) / RENDERSIZE.y;

	if (PASSINDEX == 0) {
		// The previous frame, slightly magnified and turned: trails drift outward.
		float a = 0.01 * spin;
		vec2 q = mat2(cos(a), sin(a), -sin(a), cos(a)) * p * (1.0 - 0.012 * drift);
		vec2 quv = q * vec2(RENDERSIZE.y / RENDERSIZE.x, 1.0) + 0.5;
		vec3 previous = IMG_NORM_PIXEL(trails, quv).rgb * decay;

		// Fresh: the waveform wrapped around a ring (mirrored, so it has no seam).
		float angle = abs(atan(p.y, p.x)) / 3.14159265;
		float w = IMG_NORM_PIXEL(wave, vec2(angle, 0.5)).r - 0.5;
		float bass = IMG_NORM_PIXEL(fft, vec2(0.01, 0.5)).r;
		float body = IMG_NORM_PIXEL(fft, vec2(0.12, 0.5)).r;
		float radius = 0.16 + 0.12 * bass + 0.35 * w;
		float d = abs(length(p) - radius) * RENDERSIZE.y;
		float line = 1.5 / (d + 1.5);
		vec3 fresh = hue(angle * 0.5 + 0.05 * TIME) * line * line * (0.25 + 1.5 * body);
		gl_FragColor = vec4(previous + fresh, 1.0);
	}
	else {
		// Tone-map the accumulated light over a faint backdrop.
		vec3 light = IMG_THIS_PIXEL(trails).rgb;
		vec3 back = vec3(0.02, 0.015, 0.04) * (1.5 - length(p));
		gl_FragColor = vec4(back + 1.0 - exp(-1.8 * light), 1.0);
	}
}
