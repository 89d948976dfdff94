// Shared constants and small helpers.
#ifndef LIB_COMMON
#define LIB_COMMON
const float PI = 3.14159265359;
const float TAU = 6.28318530718;

mat2 rot2(float a) { float c = cos(a), s = sin(a); return mat2(c, -s, s, c); }
float saturate(float x) { return clamp(x, 0.0, 1.0); }
vec3 saturate(vec3 x) { return clamp(x, 0.0, 1.0); }
// Filmic-ish tone map that keeps highlights from clipping to flat white.
vec3 tonemap(vec3 c) { return c / (1.0 + c * 0.6); }
vec3 gammaEncode(vec3 c) { return pow(max(c, 0.0), vec3(1.0 / 2.2)); }
#endif
