// Vortex: "the music swirled around him like a vortex".
// A log-polar tunnel of brass-lit smoke spiralling into a glowing core.
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "periodic.glsl"

const float ARMS = 5.0;            // angular period of the smoke pattern

// Turn a linear colour about the grey axis (the look's hue), keeping its brightness.
vec3 hueTurn(vec3 c, float a) {
    const vec3 k = vec3(0.57735027);
    float ca = cos(a);
    return max(c * ca + cross(k, c) * sin(a) + k * dot(k, c) * (1.0 - ca), 0.0);
}

float band(float x) {              // iBands with linear interpolation, x in 0..1
    float f = clamp(x, 0.0, 1.0) * 47.0;
    int i = int(floor(f));
    int j = min(i + 1, 47);
    return mix(iBands[i], iBands[j], fract(f));
}

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = (fragCoord - 0.5 * iResolution.xy) / iResolution.y;
    float r = length(uv);
    float a = atan(uv.y, uv.x);
    float lr = log(max(r, 1e-4));

    // Motion: a steady clock plus smooth offsets from the smoothed features.
    float t = iTime;
    float turn = t * 0.05 * spin + iLevel * 0.35 * spin;       // spin phase (turns)
    float fall = t * 0.22 + iLevel * 0.5 + iBass * 0.3;        // flow into depth
    // The intensity arc draws the arms in and the climax wrenches them tight:
    // the vortex of the story is the peak of the set.
    float twist = tightness * (1.3 + 1.2 * iLevel + 0.6 * iIntensity + 1.2 * iClimax);

    // Log-polar: x wraps every ARMS units, y is depth (conformal scale).
    float ux = a / TAU * ARMS;
    float vy = lr * ARMS / TAU;
    vec2 sp = vec2(ux + twist * vy + turn * ARMS, vy);

    // Domain-warped smoke, stretched along the spiral arms.
    vec2 q = vec2(sp.x * 2.0, sp.y * 1.1 + fall);
    float w = pfbm(q * vec2(1.0, 0.8) + vec2(0.0, 3.1), ARMS * 2.0, 3);
    vec2 q1 = q + vec2(1.2 * (w - 0.5), 0.7 * (w - 0.5));
    float d1 = pfbm(vec2(q1.x, q1.y * 0.6), ARMS * 2.0, 5);
    // A finer, faster layer deeper in: parallax.
    vec2 q2 = vec2(sp.x * 4.0 + 2.0 * w + turn * ARMS * 4.0 * 0.4, sp.y * 2.2 + fall * 2.2);
    float d2 = pfbm(vec2(q2.x, q2.y * 0.5), ARMS * 4.0, 4);

    float smoke1 = smoothstep(0.42, 0.78, d1);
    float smoke2 = smoothstep(0.48, 0.8, d2) * 0.8;
    float edge1 = smoothstep(0.42, 0.55, d1) - smoothstep(0.55, 0.7, d1);  // lit rims
    // Right at the centre the log-polar pattern gets finer than a pixel: let it melt into the glow.
    float calm = smoothstep(0.004, 0.04, r);
    smoke1 = mix(0.5, smoke1, calm); smoke2 = mix(0.4, smoke2, calm); edge1 *= calm;

    // Light from the core; bass blooms it.
    float fl = flare * (0.25 + 1.3 * iBass + 0.25 * iLevel);
    float core = exp(-r * (15.0 - 4.0 * min(fl, 1.5)));
    float light = 0.75 * exp(-r * 4.2) + 0.06 * exp(-r * 1.5) + core * 2.0;
    light *= (0.75 + 0.25 * fl) * (0.8 + 0.45 * iIntensity + 0.5 * iClimax);

    // Rings travelling outward in log radius; bass shoves them out, spectrum sets their brightness.
    float ringPhase = vy * 1.4 - t * 0.3 - iBass * 0.9 * flare + (d1 - 0.5) * 0.6;
    float ringId = floor(ringPhase);
    float ringF = fract(ringPhase);
    float spec = band(fract(ringId * 0.161 + 0.3) * 0.9);
    float ring = exp(-pow((ringF - 0.5) * 9.0, 2.0)) * (0.2 + 0.8 * spec);
    ring *= smoothstep(0.03, 0.2, r);
    float wave = exp(-pow((ringF - 0.5) * 4.5, 2.0)) * (0.3 + 0.7 * spec);   // broad light wave
    light *= 1.0 + wave * (0.2 + 1.2 * iBass * flare);

    // Colour, linear light.
    vec3 deep = vec3(0.010, 0.006, 0.020);                      // the void between smoke
    vec3 violet = DUSK_VIOLET * DUSK_VIOLET * 0.5;              // linear-ish dusk violet
    vec3 brass = CLUB_BRASS * CLUB_BRASS;
    vec3 amber = CLUB_AMBER * CLUB_AMBER;
    float warm = smoothstep(0.04, 0.9, light);
    vec3 smokeCol = mix(violet * 1.3, mix(brass, amber, 0.4 + 0.4 * d2), warm);

    vec3 col = deep + violet * 0.08 * (1.0 - r);
    col += smokeCol * smoke2 * light * 0.45;                    // far layer, dimmer
    col = mix(col, smokeCol * light * 1.1, smoke1 * 0.85);      // near layer covers it
    col += amber * edge1 * light * 0.5;
    col += violet * smoke1 * 0.35 * smoothstep(0.15, 0.7, r);    // cool rim far from the core

    col += mix(brass, vec3(1.0, 0.8, 0.55), 0.5) * ring * smoke1 * light * (0.1 + 0.5 * iBass * flare);

    // A ring of light launched from the core on every beat, fading as it flies.
    float beatR = 0.03 + iBeatPhase * 0.85;
    float beatRing = exp(-pow((r - beatR) * 26.0, 2.0)) * (1.0 - iBeatPhase) * (0.35 + 1.3 * iBeat);
    col += mix(amber, vec3(1.0, 0.85, 0.6), 0.4) * beatRing * (0.35 + 0.65 * smoke1) * 0.8;
    // Breath: a violet haze rising in the void between the arms.
    col += violet * iBreath * 0.5 * (1.0 - smoke1) * exp(-r * 1.5);

    // Highs: fine filaments whipping round faster than the smoke (more of them
    // when loud, so the whole vortex feels faster), and sparkle in the smoke.
    float whip = t * 0.11 * spin + iLevel * 0.5 * spin;
    float fx = (sp.x - turn * ARMS + whip * ARMS) * 3.0 + d1 * 1.7;
    float fil = pow(1.0 - abs(2.0 * fract(fx) - 1.0), 24.0);
    fil *= smoothstep(0.45, 0.7, pnoise(vec2(fx, sp.y * 3.0 + fall * 4.0), ARMS * 3.0));
    col += vec3(1.0, 0.75, 0.45) * fil * (0.3 + 0.7 * smoke1) * (0.03 + 0.9 * iHigh + 0.3 * iLevel) * light;
    vec2 gq = vec2(sp.x * 6.0, sp.y * 6.0 + fall * 5.0);
    vec2 cell = vec2(mod(floor(gq.x), ARMS * 6.0), floor(gq.y));
    float h = hash12(cell);
    vec2 cf = fract(gq) - 0.5 - 0.3 * (hash22(cell) - 0.5);
    float tw = 0.5 + 0.5 * sin(t * 2.5 + h * 60.0);
    float cellPx = r * TAU / (ARMS * 6.0);                     // cell size on screen
    float sd = length(cf) * cellPx;
    float sr = min(0.004 + 0.006 * r, 0.2 * cellPx);          // stay inside the cell
    float spark = step(0.88, h) * exp(-sd * sd / (sr * sr)) * tw;
    col += vec3(1.0, 0.85, 0.6) * spark * (0.15 + 2.5 * iHigh) * smoothstep(0.04, 0.25, r) * (0.3 + smoke1);

    // The core itself, tinted by the note the saxophone holds.
    vec3 noteTint = cosPalette(iNote / 12.0, vec3(0.85, 0.6, 0.42), vec3(0.15, 0.2, 0.22),
                               vec3(1.0), vec3(0.0, 0.15, 0.3));
    vec3 coreCol = mix(amber, noteTint * noteTint, 0.6 * iVoiced);
    col += mix(coreCol, vec3(1.0, 0.9, 0.75), core) * core * (0.8 + 1.2 * fl);

    // The climax: a shock of light running out from the core along the arms.
    float shock = iClimax * exp(-pow((r - 0.08 - 0.9 * (1.0 - iClimax)) * 7.0, 2.0));
    col += mix(brass, vec3(1.0, 0.85, 0.6), 0.5) * shock * (0.4 + smoke1) * 1.2;

    // The look's palette turns the warm (brass) light; the violet void keeps its colour.
    float warmth = clamp(3.0 * (col.r - col.b) / max(col.r, 1e-3), 0.0, 1.0);
    col = mix(col, hueTurn(col, -hue * PI), warmth);
    col *= 1.0 - 0.5 * smoothstep(0.5, 1.1, r);                 // vignette
    // Tone map on the brightest channel so the brass keeps its hue, then let
    // only the hottest light burn towards white.
    col *= 1.4;
    float peak = max(col.r, max(col.g, col.b));
    vec3 hued = col / (1.0 + 0.6 * peak);
    col = mix(hued, tonemap(col), smoothstep(0.8, 3.0, peak));
    fragColor = vec4(gammaEncode(col), 1.0);
}
