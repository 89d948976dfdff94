// Shared by both passes (Shadertoy's Common tab).
vec2 swirl(vec2 p, float strength) {       // a vortex around the centre, stronger near it
    float r = length(p) + 1e-3;
    return vec2(-p.y, p.x) / r * strength * exp(-r * 2.0);
}
