// Eyes blazing with intensity: the player's focus at the peak of a solo.
// A pair of stylised eyes in the dark; irises of radial brass and amber
// fibres that shimmer with the spectrum, pupils that narrow with loudness,
// a fire that grows with the intensity arc and flares at the climax, a
// glint that climbs with the sax's pitch, and a rare, slow blink.
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "periodic.glsl"
#include "spectrum.glsl"

const float EYE_X = 0.43;      // eye centres at +-EYE_X
const float EYE_W = 0.285;     // half width of the eye opening
const float IRIS_R = 0.122;    // iris radius
const float FIBRES = 56.0;     // angular period of the fibre pattern

vec3 lin(vec3 c) { return c * c; }

// 0 open .. 1 closed: a blink every 7 to 13 s, ~0.25 s long.
float blinkAt(float t) {
    float period = 10.0;
    float k = floor(t / period);
    float tb = k * period + 1.5 + 7.0 * hash11(k * 3.7 + 1.0);
    float x = (t - tb) / 0.11;
    float close = exp(-x * x);
    // Now and then a double blink.
    float tb2 = tb + 0.45;
    float x2 = (t - tb2) / 0.1;
    close = max(close, step(0.7, hash11(k * 5.3 + 2.0)) * exp(-x2 * x2));
    return close;
}

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = (fragCoord - 0.5 * iResolution.xy) / iResolution.y;
    float aspect = iResolution.x / iResolution.y;
    float pix = 1.0 / iResolution.y;
    float t = iTime;

    float heat = saturate(iIntensity * fire);              // the slow arc sets the fire
    float flare = iClimax;
    // The climax pulse decays as exp(-t / 1.5 s); from its age the eyes widen
    // over a moment while the light flares at once.
    float climaxAge = iClimax > 1e-6 ? -1.5 * log(iClimax) : 99.0;
    float widen = flare * smoothstep(0.0, 0.3, climaxAge);
    float pulse = iBeat * (0.4 + 0.6 * iLevel);             // a subtle throb on the beat
    float note = boundNote(glint, 64.0);
    float pitch01 = smoothstep(45.0, 84.0, note);
    // The light the eyes give off: deep ember on low notes, pale gold on high ones.
    vec3 fireC = mix(lin(vec3(1.0, 0.42, 0.12)), lin(vec3(1.0, 0.84, 0.58)), pitch01);

    // Each pixel belongs to the nearer eye; mirror so both share one drawing.
    float side = uv.x < 0.0 ? -1.0 : 1.0;
    vec2 p = vec2(abs(uv.x) - EYE_X, uv.y - 0.0);
    float seed = side > 0.0 ? 0.0 : 37.0;

    // ---------------------------------------------------------- the room
    vec3 amber = lin(CLUB_AMBER);
    vec3 brass = lin(CLUB_BRASS);
    vec3 smokeC = lin(CLUB_SMOKE);
    float smoke = fbm(vec2(uv.x * 1.4 + t * 0.03, uv.y * 2.0 - t * 0.04), 4);
    // The room's smoke: warm and low for low notes, dusk violet as the line climbs.
    vec3 roomC = mix(lin(vec3(0.10, 0.05, 0.05)), lin(vec3(0.07, 0.055, 0.12)), pitch01);
    vec3 col = roomC * (0.45 + 0.75 * smoke);
    col += smokeC * 0.02 * smoothstep(0.45, 0.8, smoke);

    // The face, barely: warm skin catching the eyes' own light.
    float lx = p.x / EYE_W;
    float eyeGlowD = length(p * vec2(0.55, 1.0));
    float glow = exp(-eyeGlowD * (10.0 - 2.0 * heat - 2.0 * flare));
    vec3 skin = lin(vec3(0.55, 0.32, 0.2));
    col += skin * fireC * 1.6 * glow * (0.03 + 0.12 * heat + 0.1 * iLevel + 0.06 * flare + 0.06 * pulse);

    // Brows: a soft, lowered arc of shadow with a warm rim: focus, not fear.
    float browY = 0.19 - 0.06 * lx * lx + 0.02 * lx - 0.012 * heat;
    float browD = (p.y - browY) / 0.03;
    float brow = exp(-browD * browD) * smoothstep(1.25, 0.6, abs(lx + 0.1));
    col *= 1.0 - 0.6 * brow;
    col += amber * 0.05 * exp(-pow((p.y - browY + 0.028) / 0.008, 2.0)) * smoothstep(1.1, 0.3, abs(lx + 0.1)) * (0.4 + heat + flare);

    // ---------------------------------------------------------- the lids
    float open = 1.0 - blinkAt(t + (side > 0.0 ? 0.0 : 0.02));
    open *= 1.0 + 0.12 * widen;                               // eyes widen at the climax
    float q = clamp(lx, -1.0, 1.0);
    float shape = max(1.0 - q * q, 0.0);
    float hu = (0.094 + 0.008 * heat) * pow(shape, 0.7) * (1.0 - 0.15 * q);
    float hl = 0.088 * pow(shape, 0.9) * (1.0 + 0.1 * q);
    float closedY = -0.025 * shape;
    float yU = mix(closedY, hu, open);
    float yL = mix(closedY, -hl, pow(open, 0.35));
    float aa = 1.5 * pix;
    float inside = smoothstep(yL - aa, yL + aa, p.y) * smoothstep(yU + aa, yU - aa, p.y) * step(abs(lx), 1.0);

    // Lash line and crease: dark strokes, their edges lit by the fire.
    float lash = exp(-pow((p.y - yU - 0.005) / (0.006 + 0.009 * shape), 4.0)) * smoothstep(1.1, 0.85, abs(lx));
    float lashRim = exp(-pow((p.y - yU - 0.004 - 0.012 * shape - 0.008) / 0.004, 2.0)) * smoothstep(1.0, 0.4, abs(lx)) * open;
    float crease = exp(-pow((p.y - yU - 0.045 * shape - 0.008) / 0.01, 2.0)) * smoothstep(1.0, 0.5, abs(lx)) * open;
    float lower = exp(-pow((p.y - yL + 0.003) / 0.004, 2.0)) * smoothstep(1.02, 0.75, abs(lx));
    col *= 1.0 - 0.5 * crease;
    col += amber * crease * 0.02 * (0.5 + heat);

    // ---------------------------------------------------------- the eye
    if (inside > 0.0) {
        // Gaze: steady focus, slow small drift, lifting a little as the line climbs.
        vec2 gaze = vec2(0.012 * sin(t * 0.21 + 1.0), 0.006 * sin(t * 0.17) - 0.016 + 0.032 * pitch01);
        vec2 ip = p - vec2(gaze.x * side, gaze.y);          // both eyes look the same way
        ip.x *= side;                                         // un-mirror the iris so the glint sits on one side
        float scale = 1.0 + 0.025 * pulse + 0.03 * widen;
        float R = IRIS_R * scale;
        float r = length(ip);
        float a = atan(ip.y, ip.x);

        // Sclera: warm and shadowed under the lid, never a cold white.
        float lidShadow = smoothstep(0.0, 0.05, yU - p.y);
        float cornerShade = smoothstep(1.0, 0.35, abs(lx));
        // Shaded as a ball: darker towards the corners and under the lid.
        float ball = sqrt(max(1.0 - pow(length(ip / vec2(EYE_W * 1.05, EYE_W * 0.8)), 2.0), 0.0));
        vec3 sclera = lin(vec3(0.9, 0.6, 0.5)) * (0.01 + 0.045 * lidShadow) * (0.3 + 0.7 * ball) * cornerShade;
        sclera += lin(vec3(1.0, 0.55, 0.3)) * exp(-max(r - R, 0.0) * 25.0) * (0.02 + 0.08 * heat + 0.25 * flare) * cornerShade;   // the iris lights it
        vec3 ec = sclera;

        // Iris fibres: radial streaks, crypts, a collarette, a dark limbal ring.
        float rn = r / R;
        float pupilR = clamp(pupil, 0.12, 0.75);
        float ang = a / TAU + 0.5;                            // 0..1
        float spin = ang + t * 0.012 * side + 0.05 * iLevel; // the fibres turn, slowly, like the vortex
        float flow = t * (0.08 + 0.25 * heat) + 0.4 * iLevel;   // the fire flows outward
        float fib = pfbm(vec2(fract(spin) * FIBRES + seed, rn * 2.2 - flow * 0.5), FIBRES, 3);
        float fine = pnoise(vec2(fract(spin) * FIBRES * 4.0 + seed, rn * 3.0 - flow), FIBRES * 4.0);
        float streak = smoothstep(0.36, 0.72, fib) * (0.45 + 0.55 * fine * fine);
        // The spectrum around the iris: low bands at the top, high at the bottom, mirrored.
        float spec = bandLerp(abs(ang - 0.5) * 2.0);
        float shimmer = 0.75 + 0.25 * sin(ang * FIBRES * 6.2832 * 0.5 + t * 3.0 + fine * 6.0);
        float collar = exp(-pow((rn - pupilR - 0.16 - 0.035 * sin(ang * TAU * 14.0 + fib * 3.0)) / 0.045, 2.0));

        // Fire: a flame noise rising outward through the fibres.
        float flame = pfbm(vec2(ang * 24.0 + seed, rn * 3.0 - t * 0.9), 24.0, 3);
        flame = smoothstep(0.35, 0.85, flame + 0.25 * (rn - pupilR));

        vec3 cInner = mix(lin(vec3(0.95, 0.62, 0.22)), lin(vec3(1.0, 0.74, 0.3)), heat) * (0.7 + 0.5 * fireC);
        vec3 cOuter = mix(lin(vec3(0.42, 0.27, 0.09)), lin(vec3(0.85, 0.36, 0.06)), heat);
        float radialT = smoothstep(pupilR, 1.0, rn);
        vec3 ic = mix(cInner, cOuter, radialT);
        float bright = 0.12 + 0.8 * streak + 0.55 * collar;
        bright *= 0.45 + 0.9 * spec * shimmer * (0.6 + 0.6 * iLevel);
        bright *= (0.5 + 0.45 * iLevel + 0.3 * pulse) * (1.0 + 2.2 * heat * heat + 2.5 * flare);
        vec3 irisC = ic * bright;
        irisC += lin(vec3(1.0, 0.6, 0.2)) * flame * heat * heat * (0.5 + 1.0 * streak) * (0.6 + 0.8 * iLevel) * 1.5;
        irisC += lin(vec3(1.0, 0.78, 0.45)) * flame * flare * 1.2;
        irisC *= 1.0 - 0.75 * smoothstep(0.82, 1.0, rn);      // limbal ring
        irisC *= 1.0 - 0.45 * smoothstep(0.05, 0.0, yU - p.y + 0.02); // the upper lid's shadow
        // Pupil: a deep dark that narrows with loudness, ember-lit at its rim.
        float pr = pupilR * R;
        float pupilM = smoothstep(pr + 1.5 * pix, pr - 1.5 * pix, r);
        irisC = mix(irisC, lin(vec3(0.02, 0.01, 0.01)) + amber * 0.02 * heat, pupilM);
        irisC += amber * exp(-pow((r - pr) / (0.006 + 0.004 * heat), 2.0)) * (0.1 + 0.5 * heat + flare) * (1.0 - pupilM * 0.5);

        float irisM = smoothstep(R + 1.5 * pix, R - 1.5 * pix, r);
        ec = mix(ec, irisC, irisM);
        // With the fire up, flames lick out of the iris's rim.
        float lick = pfbm(vec2(ang * 20.0 + seed, (r - R) * 28.0 - t * 1.3), 20.0, 3);
        float ringF = smoothstep(0.4, 0.9, lick) * exp(-max(r - R, 0.0) / (0.008 + 0.01 * heat + 0.015 * flare)) * (1.0 - irisM);
        ec += lin(vec3(1.0, 0.5, 0.12)) * ringF * (heat * heat * 0.9 + 1.5 * flare);

        // Glint: a soft window of stage light on the cornea, climbing with the pitch.
        vec2 gp = vec2(-0.38 * R, mix(-0.15, 0.5, pitch01) * R);
        vec2 gd = (ip - gp) / vec2(0.026, 0.02);
        float gl = exp(-dot(gd, gd) * 2.5);
        float core = exp(-dot(gd, gd) * 14.0);
        vec3 glintC = mix(lin(vec3(1.0, 0.9, 0.75)), lin(vec3(0.9, 0.85, 1.0)), pitch01);
        ec += glintC * (gl * 0.3 + core * 1.1) * (0.6 + 0.4 * iLevel + 0.5 * flare);
        vec2 gp2 = vec2(0.3 * R, -mix(0.1, 0.35, pitch01) * R);  // a small second glint
        ec += glintC * 0.4 * exp(-dot(ip - gp2, ip - gp2) / (0.0045 * 0.0045));

        col = mix(col, ec, inside);
    }
    // Lash line over the eye's top edge.
    col *= 1.0 - 0.92 * lash;
    col *= 1.0 - 0.4 * lower;
    col += amber * lashRim * 0.02 * (0.2 + heat + 2.0 * flare);

    // ---------------------------------------------------------- the blaze
    // Around each eye the light spills into the smoky air; at the climax it flares.
    float auraSum = 0.0, raySum = 0.0;
    for (int e = 0; e < 2; e++) {                             // both eyes light every pixel: no seam
        float sx = e == 0 ? -1.0 : 1.0;
        vec2 d = uv - vec2(sx * EYE_X, 0.0);
        float rr = length(d);
        float ang = atan(d.y, d.x) / TAU;
        float ray = pnoise(vec2(ang * 64.0 + (sx > 0.0 ? 0.0 : 19.0), rr * 1.5 - t * 0.8), 64.0);
        ray = pow(ray, 7.0) * exp(-rr * (6.0 - 3.0 * flare)) * smoothstep(IRIS_R * 0.8, IRIS_R * 1.6, rr);
        raySum += ray * (0.35 + 0.9 * bandLerp(abs(ang) * 2.0));   // the spectrum fans out around each eye
        auraSum += exp(-length(d * vec2(0.6, 1.0)) * (13.0 - 3.0 * heat - 2.0 * flare));
    }
    col += mix(fireC, amber, 0.4) * auraSum * (0.06 * heat + 0.06 * iLevel + 0.05 * pulse + 0.07 * flare) * (0.7 + 0.6 * smoke) * (1.0 - inside);
    col += mix(fireC, amber, 0.45) * raySum * (2.2 * flare + 0.3 * heat * heat * (0.3 + iLevel)) * (1.0 - inside * 0.8);
    // A thin horizontal streak of stage light through both eyes when it flares.
    float streakY = exp(-pow(uv.y / (0.006 + 0.012 * flare), 2.0));
    col += lin(vec3(1.0, 0.78, 0.5)) * streakY * exp(-abs(abs(uv.x) - EYE_X) * 1.5) * (0.9 * flare + 0.06 * heat * pulse);

    // ---------------------------------------------------------- finish
    col *= 1.0 - 0.45 * pow(length(uv / vec2(aspect, 1.0)) * 1.25, 2.0);
    col *= 1.3;
    float peak = max(col.r, max(col.g, col.b));
    col = mix(col / (1.0 + 0.6 * peak), tonemap(col), smoothstep(0.8, 3.0, peak));
    fragColor = vec4(gammaEncode(col), 1.0);
}
