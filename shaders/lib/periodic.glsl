// Noise that tiles along x with a whole-number period: for angles in polar
// and log-polar scenes (no seam where atan() wraps from +PI to -PI).
#ifndef LIB_PERIODIC
#define LIB_PERIODIC
#include "noise.glsl"

// Value noise whose lattice wraps every `period` cells along x (period > 0, whole).
float pnoise(vec2 p, float period) {
    vec2 i = floor(p), f = fract(p);
    vec2 u = f * f * (3.0 - 2.0 * f);
    float x0 = mod(i.x, period), x1 = mod(i.x + 1.0, period);
    return mix(mix(hash12(vec2(x0, i.y)), hash12(vec2(x1, i.y)), u.x),
               mix(hash12(vec2(x0, i.y + 1.0)), hash12(vec2(x1, i.y + 1.0)), u.x), u.y);
}

// Fractal sum of pnoise; each octave doubles frequency and period, so the
// sum still wraps every `period` units along x.
float pfbm(vec2 p, float period, int octaves) {
    float v = 0.0, a = 0.5;
    for (int i = 0; i < octaves; i++) {
        v += a * pnoise(p, period);
        p = p * 2.0 + vec2(0.0, 9.2 + float(i) * 3.7);
        period *= 2.0;
        a *= 0.5;
    }
    return v;
}
#endif
