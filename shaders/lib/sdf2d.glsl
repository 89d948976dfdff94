// 2D signed distances for silhouettes (negative inside).
#ifndef LIB_SDF2D
#define LIB_SDF2D
// Polynomial smooth minimum: blends two shapes over a distance k.
float smin(float a, float b, float k) {
    float h = clamp(0.5 + 0.5 * (b - a) / k, 0.0, 1.0);
    return mix(b, a, h) - k * h * (1.0 - h);
}
// Ellipse with radii r: a cheap approximation, exact on the axes; fine for silhouettes.
float sdEllipse(vec2 p, vec2 r) {
    float k = length(p / r);
    return (k - 1.0) * min(r.x, r.y);
}
// A segment from a to b whose radius goes from ra to rb: limbs, horns, tubes.
float sdTaper(vec2 p, vec2 a, vec2 b, float ra, float rb) {
    vec2 pa = p - a, ba = b - a;
    float h = clamp(dot(pa, ba) / dot(ba, ba), 0.0, 1.0);
    return length(pa - ba * h) - mix(ra, rb, h);
}
// Distance to the segment from a to b.
float sdSegment(vec2 p, vec2 a, vec2 b) {
    vec2 pa = p - a, ba = b - a;
    float h = clamp(dot(pa, ba) / dot(ba, ba), 0.0, 1.0);
    return length(pa - ba * h);
}
#endif
