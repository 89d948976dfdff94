// Night: the steppe after dark, under stars that answer the saxophone.
// Twelve constellations stand in an arch over the plain, one per pitch class
// (C low on the left, F#/G at the top, B low on the right). The note being
// played lights its constellation, vibrato makes it shimmer at the vibrato
// rate, onsets make new stars flare beside it, the beat pulses the brightest
// stars, and breath raises an aurora and a mist over the grass.
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "sdf2d.glsl"

const float HZ = 0.22;        // horizon height, fraction of the screen from the bottom

vec3 lin(vec3 c) { return c * c; }   // palette colours are display-ish: rough linearisation

// The constellations stand on half an ellipse over the plain, evenly in angle.
const vec2 ARCH_C = vec2(0.0, HZ + 0.1);     // centre (x relative to the screen's middle)
const vec2 ARCH_R = vec2(0.74, 0.52);        // radii
const float ARCH_A0 = 3.0;                   // angle of C (left) ..
const float ARCH_DA = -0.2509;               // .. step per semitone, to 0.24 rad for B (right)

// Centre of constellation k (0 = C .. 11 = B).
vec2 constCentre(float k, float aspect) {
    float a = ARCH_A0 + ARCH_DA * k;
    return vec2(0.5 * aspect, 0.0) + ARCH_C + ARCH_R * vec2(cos(a), sin(a));
}

// The constellations' stars, relative to their centres: six per figure, drawn
// as a chain with one branch (CPARENT: the star each one is joined to).
const vec2 CSTAR[72] = vec2[72](
    vec2(0.0534, 0.0508), vec2(0.0529, 0.0106), vec2(0.0230, -0.0357), vec2(-0.0269, -0.0154), vec2(-0.0682, -0.0351), vec2(-0.0342, 0.0248),
    vec2(0.0754, 0.0499), vec2(0.0303, 0.0654), vec2(0.0040, 0.0191), vec2(-0.0060, -0.0377), vec2(-0.0379, -0.0596), vec2(-0.0658, -0.0371),
    vec2(-0.0145, 0.0529), vec2(-0.0329, 0.0161), vec2(-0.0065, -0.0224), vec2(0.0432, -0.0224), vec2(0.0721, 0.0009), vec2(-0.0615, -0.0251),
    vec2(-0.0203, -0.0721), vec2(0.0021, -0.0344), vec2(0.0351, -0.0146), vec2(0.0414, 0.0287), vec2(-0.0038, 0.0465), vec2(-0.0544, 0.0459),
    vec2(-0.0257, -0.0680), vec2(0.0031, -0.0395), vec2(0.0357, -0.0214), vec2(0.0259, 0.0173), vec2(-0.0019, 0.0486), vec2(-0.0371, 0.0630),
    vec2(-0.0884, -0.0349), vec2(-0.0453, -0.0535), vec2(-0.0107, -0.0280), vec2(0.0212, 0.0114), vec2(0.0628, 0.0333), vec2(0.0605, 0.0717),
    vec2(-0.0667, -0.0554), vec2(-0.0469, -0.0217), vec2(-0.0003, 0.0108), vec2(0.0291, 0.0419), vec2(0.0852, 0.0518), vec2(-0.0004, -0.0274),
    vec2(0.0084, 0.0698), vec2(-0.0084, 0.0205), vec2(-0.0129, -0.0241), vec2(0.0234, -0.0497), vec2(0.0542, -0.0300), vec2(-0.0648, 0.0135),
    vec2(0.0478, -0.0838), vec2(0.0231, -0.0386), vec2(-0.0205, -0.0013), vec2(-0.0375, 0.0395), vec2(-0.0222, 0.0722), vec2(0.0093, 0.0119),
    vec2(-0.0428, -0.0679), vec2(-0.0179, -0.0375), vec2(-0.0007, -0.0060), vec2(0.0088, 0.0317), vec2(-0.0001, 0.0660), vec2(0.0526, 0.0138),
    vec2(-0.0345, 0.0788), vec2(-0.0321, 0.0367), vec2(0.0148, 0.0112), vec2(0.0166, -0.0414), vec2(0.0520, -0.0591), vec2(-0.0168, -0.0263),
    vec2(0.0057, -0.0684), vec2(0.0360, -0.0238), vec2(0.0254, 0.0174), vec2(-0.0168, 0.0526), vec2(-0.0524, 0.0374), vec2(0.0021, -0.0151)
);
const int CPARENT[72] = int[72](
    0, 0, 1, 2, 3, 3,
    6, 6, 7, 8, 9, 10,
    12, 12, 13, 14, 15, 14,
    18, 18, 19, 20, 21, 22,
    24, 24, 25, 26, 27, 28,
    30, 30, 31, 32, 33, 34,
    36, 36, 37, 38, 39, 37,
    42, 42, 43, 44, 45, 43,
    48, 48, 49, 50, 51, 51,
    54, 54, 55, 56, 57, 57,
    60, 60, 61, 62, 63, 62,
    66, 66, 67, 68, 69, 68
);
const float CRADIUS[12] = float[12](0.077, 0.090, 0.072, 0.075, 0.073, 0.095, 0.100, 0.070, 0.096, 0.080, 0.086, 0.069);

// The vibrato as it sounds: the pitch's wavering, -1..1, followed cycle by
// cycle through the cents (so the shimmer keeps the player's own rate and
// phase); 0 without vibrato.
float vibrato() {
    return clamp(iCents / max(iVibratoDepth, 8.0), -1.0, 1.0) * step(0.5, iVibratoRate);
}

// One constellation: its stars (always there, a little brighter than the
// field, joined by faint lines) and, while `act` > 0, their glow, spikes,
// brighter lines and shimmer.
vec3 constellation(vec2 p, int k, float aspect, float act, float pix,
                   float shim, float pulse, vec3 tint) {
    vec2 c = constCentre(float(k), aspect);
    vec2 d0 = p - c;
    float rb = CRADIUS[k] + 0.02 + 0.06 * min(act, 1.5);
    if (dot(d0, d0) > rb * rb) return vec3(0.0);
    vec3 col = vec3(0.0);
    float lines = 0.0;
    float vib = vibrato();
    float kf = float(k);
    for (int i = 0; i < 6; i++) {
        int idx = 6 * k + i;
        vec2 d = d0 - CSTAR[idx];
        float dd = dot(d, d);
        float mag = 0.55 + 0.45 * hash11(kf * 3.1 + float(i) * 7.7);
        float core = exp(-dd / (pix * pix * (2.2 + 4.0 * act * mag)));
        float b = mag * (0.7 + act * 1.6);
        if (act > 0.001) {
            // Vibrato: the stars swell and fade with the wavering pitch, each by its own amount.
            float sh = 1.0 + shim * vib * (0.6 + 0.4 * hash11(kf * 5.7 + float(i)));
            b = mag * (0.7 + act * 1.6 * sh) * (1.0 + pulse * mag);
            float halo = exp(-sqrt(dd) / (0.0025 + 0.0035 * act * sh)) * act * 0.25;
            float spike = (exp(-abs(d.y) / (pix * 0.6) - abs(d.x) / (0.022 * mag))
                         + exp(-abs(d.x) / (pix * 0.6) - abs(d.y) / (0.022 * mag))) * act * sh * 0.25;
            col += tint * b * (halo + spike);
        }
        col += tint * b * core * 1.6;
        if (i > 0) {
            vec2 q = CSTAR[CPARENT[idx]];
            float sd = sdSegment(d0, CSTAR[idx], q);
            float gap = smoothstep(0.008, 0.016, min(sqrt(dd), length(d0 - q)));
            lines += exp(-sd * sd / (pix * pix * 0.8)) * gap;
        }
    }
    col += tint * lines * (0.035 + act * 0.3);
    col += tint * exp(-dot(d0, d0) / 0.01) * act * 0.05;     // a faint nebula round the lit figure
    return col;
}

// A layer of field stars on a grid of `scale` cells per unit height.
float starLayer(vec2 p, float scale, float density, float pix, float t, float twinkle, float pulse) {
    vec2 g = p * scale;
    vec2 cell = floor(g);
    float h = hash12(cell);
    if (h > density) return 0.0;
    vec2 o = hash22(cell + 7.0) * 0.5 + 0.25;
    vec2 d = (fract(g) - o) / scale;
    float mag = pow(fract(h * 57.3 / max(density, 1e-3)), 3.0);
    float tw = 0.5 + 0.5 * sin(t * (1.3 + 3.5 * fract(h * 91.7)) + h * 300.0);
    float b = (0.08 + 0.92 * mag) * mix(1.0, 0.35 + 1.1 * tw, twinkle);
    float big = smoothstep(0.5, 1.0, mag);
    b *= 1.0 + pulse * big;                                // the brightest breathe with the beat
    float dl = length(d) * scale;                          // in cells; the star is >= 0.25 from the edge
    float glow = exp(-dl * (9.0 - 3.0 * pulse)) * smoothstep(0.25, 0.1, dl) * big * (0.05 + 0.2 * pulse);
    return b * exp(-dot(d, d) / (pix * pix * (1.0 + 1.6 * mag))) + glow;
}

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    float aspect = iResolution.x / iResolution.y;
    vec2 p = fragCoord / iResolution.y;
    float xc = p.x - 0.5 * aspect;
    float pix = 1.0 / iResolution.y;
    float t = iTime;
    float e = p.y - HZ;
    float n = e / (1.0 - HZ);

    // Beat: a slow swell of the brightest stars, peaking on the beat (continuous across it).
    float pulse = pow(0.5 + 0.5 * cos(TAU * iBeatPhase), 3.0) * (0.35 + 0.65 * iLevel);

    // The note being played (held through rests; none before the first note).
    float hasNote = step(1.0, iNote);
    float pc = mod(floor(iNote + 0.5), 12.0);
    float oct = smoothstep(48.0, 84.0, iNote);
    vec3 tint = mix(lin(vec3(1.0, 0.82, 0.55)) * 1.15, vec3(0.72, 0.86, 1.15), oct);
    float act = hasNote * answer * (0.3 + 0.7 * iConfidence * iVoiced + 0.4 * iOnset);
    float shim = shimmer * smoothstep(0.0, 30.0, iVibratoDepth) * 0.8;

    vec3 col;
    // ------------------------------------------------------------------ sky
    {
        float nn = max(n, 0.0);
        vec3 horizonCol = lin(vec3(0.20, 0.22, 0.36)) * 0.9;
        vec3 mid = lin(NIGHT_BLUE) * 1.2;
        vec3 zenith = lin(vec3(0.025, 0.035, 0.09));
        col = mix(horizonCol, mid, smoothstep(0.0, 0.35, nn));
        col = mix(col, zenith, smoothstep(0.3, 1.0, nn));
        // Almaty's glow far off on the right, under the mountains.
        float dxc = xc - 0.55 * aspect * 0.5;
        col += lin(CLUB_AMBER) * 0.10 * exp(-nn * 14.0) * exp(-dxc * dxc * 5.0);
        col += lin(DUSK_VIOLET) * (0.08 + 0.1 * iLevel) * exp(-nn * 5.0);

        // Milky Way: a band rising from the lower left, with dark dust lanes.
        vec2 m = vec2(xc + 0.25, e - 0.05);
        vec2 dir = normalize(vec2(1.0, 0.62));
        float u = dot(m, dir);
        float v = dot(m, vec2(-dir.y, dir.x)) + 0.06 * sin(u * 2.2 + 0.7);
        float w = 0.13 + 0.03 * sin(u * 3.0);
        float band = exp(-v * v / (w * w));
        float mw = 0.0;
        if (band > 0.01) {
            vec2 bq = vec2(u * 3.0, v * 6.0);
            float cloud = fbm(bq + vec2(3.1, 0.0), 4);
            float lane = smoothstep(0.48, 0.72, fbm(vec2(u * 5.0, v * 11.0) + 11.0, 3))
                       * exp(-v * v / (0.25 * w * w));
            float coreG = exp(-(u + 0.35) * (u + 0.35) * 3.0);
            mw = band * (0.35 + 1.1 * cloud * cloud) * (1.0 + 1.6 * coreG) * (1.0 - 0.8 * lane);
            mw *= smoothstep(-0.02, 0.12, e);
            vec3 mwCol = mix(lin(vec3(0.45, 0.42, 0.72)), lin(vec3(0.95, 0.85, 0.70)), coreG * band);
            col += mwCol * mw * (0.11 + 0.12 * iLevel + 0.08 * iClimax);
        }

        // Field stars: a dim dense layer, a middle one, and a few bright ones.
        float twinkle = 0.35 + 0.65 * iHigh;
        float starFade = smoothstep(0.0, 0.15, e);
        float s1 = starLayer(p, 150.0, 0.04 + 0.3 * band * band, pix, t, twinkle, 0.0);
        float s2 = starLayer(p + 3.7, 70.0, 0.08 + 0.25 * band, pix, t, twinkle, pulse);
        float s3 = starLayer(p + 9.1, 26.0, 0.08, pix, t, twinkle * 0.6, pulse);
        vec2 hs = hash22(floor((p + 9.1) * 26.0));
        vec3 hot = mix(vec3(1.0, 0.82, 0.62), vec3(0.75, 0.85, 1.1), hs.y);
        float shine = 0.7 + 0.7 * iLevel;                  // the whole sky brightens with the music
        col += (vec3(0.75, 0.8, 1.0) * (s1 * 0.22 + s2 * 0.6) + hot * s3 * 1.6) * starFade * shine;

        // Aurora: pale curtains low in the northern sky, raised by breath.
        if (aurora > 0.01 && n > -0.01 && n < 0.7) {
            float fold = fbm1(xc * 1.3 + t * 0.02, 3);
            float base = 0.07 + 0.16 * fold;
            float above = n - base;
            float env = smoothstep(-0.02, 0.015, above) * exp(-max(above, 0.0) * 5.5);
            float rays = vnoise1(xc * 55.0 + fold * 30.0 + t * 0.25);
            rays = 0.35 + 0.65 * rays * rays;
            float span = smoothstep(0.25, 0.65, vnoise1(xc * 0.9 - t * 0.015 + 4.0));
            vec3 aCol = mix(lin(vec3(0.35, 0.95, 0.65)), lin(vec3(0.55, 0.35, 0.85)),
                            smoothstep(0.0, 0.22, above));
            col += aCol * env * rays * span * aurora * 0.18;
        }

        // The twelve constellations: the three nearest along the arch, and the lit one wherever it is.
        vec2 ap = (vec2(xc, p.y) - ARCH_C) / ARCH_R;
        float sx = (atan(ap.y, ap.x) - ARCH_A0) / ARCH_DA;
        int k0 = int(floor(sx + 0.5)) - 1;
        int lit = int(pc);
        vec3 cc = vec3(0.0);
        bool litDone = false;
        for (int j = 0; j < 3; j++) {
            int k = k0 + j;
            if (k < 0 || k > 11) continue;
            bool isLit = k == lit && hasNote > 0.5;
            litDone = litDone || isLit;
            vec3 ct = isLit ? tint : lin(vec3(1.0, 0.85, 0.62));
            cc += constellation(p, k, aspect, isLit ? act : 0.0, pix, shim, pulse, ct);
        }
        if (hasNote > 0.5 && !litDone)
            cc += constellation(p, lit, aspect, act, pix, shim, pulse, tint);
        // The lit figure glows into the sky around it: the glow breathes at the
        // vibrato rate and swells with the beat.
        if (hasNote > 0.5) {
            vec2 dc = p - constCentre(pc, aspect);
            float wob = shim * vibrato();
            float glowR = exp(-dot(dc, dc) / 0.03);
            cc += tint * glowR * act * (0.05 + 0.07 * wob + 0.07 * pulse);
        }
        col += cc * starFade;

        // Onsets: new stars flare beside the lit constellation; the last two stay on.
        if (hasNote > 0.5) {
            vec2 cen = constCentre(pc, aspect);
            for (int j = 0; j < 3; j++) {
                float id = iOnsetCount - float(j);
                if (id < 0.5) break;
                vec2 sp = cen + (hash22(vec2(id, 3.1)) - 0.5) * vec2(0.22, 0.16);
                vec2 d = p - sp;
                float fl = (j == 0) ? iOnset : 0.0;
                float b = (j == 0 ? 1.0 : 0.7 / float(j + 1)) * answer;
                float core = exp(-dot(d, d) / (pix * pix * (1.5 + 6.0 * fl)));
                float halo = exp(-length(d) / (0.003 + 0.01 * fl));
                float spikes = (exp(-abs(d.y) / (pix * 0.7)) * exp(-abs(d.x) / 0.06)
                              + exp(-abs(d.x) / (pix * 0.7)) * exp(-abs(d.y) / 0.06)) * fl;
                float bloom = exp(-length(d) / 0.13) * fl * 0.07;
                col += tint * (b * (core * 1.5 + halo * 0.3) + spikes * 0.9 + halo * fl * 0.8 + bloom) * starFade;
            }
        }

        // Now and then an onset throws a meteor across the sky (it lasts as long as the onset pulse).
        float mh = hash11(iOnsetCount * 0.731 + 0.3);
        if (iOnset > 0.01 && mh < 0.22) {
            vec2 h2 = hash22(vec2(iOnsetCount, 9.7));
            vec2 a = vec2((0.2 + 0.6 * h2.x) * aspect, HZ + 0.45 + 0.3 * h2.y);
            vec2 md = normalize(vec2(h2.x > 0.5 ? -1.0 : 1.0, -0.55));
            float prog = 1.0 - iOnset;
            vec2 pa = p - a;
            float along = clamp(dot(pa, md), 0.0, 0.35 * prog);
            float dl = length(pa - md * along);
            float fade = along / max(0.35 * prog, 1e-3);
            col += vec3(0.9, 0.95, 1.0) * exp(-dl * dl / (pix * pix * 1.2)) * fade * fade * iOnset * 1.5 * starFade;
        }
    }

    // ------------------------------------------------------------ far land
    // Low hills on the horizon, the Alatau ridge faint on the right.
    float ridge = 0.012 + 0.022 * fbm1(xc * 2.2 + 5.0, 4);
    float mtn = smoothstep(0.05, 0.5, xc) * (0.035 + 0.045 * fbm1(xc * 5.0 + 1.0, 4));
    if (e < mtn && e > -0.001) {
        vec3 mc = lin(vec3(0.16, 0.17, 0.30)) * 0.55;
        col = mix(col, mc, smoothstep(mtn + pix, mtn - pix, e) * 0.75);
    }
    vec3 landCol = lin(vec3(0.06, 0.07, 0.12)) * 0.9;
    if (e < ridge) col = mix(col, landCol, smoothstep(ridge + pix, ridge - pix, e));

    // ------------------------------------------------------------- the plain
    float sp = HZ - p.y;
    if (sp > -0.02) {
        float spc = max(sp, 0.02);
        vec2 gp = vec2(xc / spc, 1.0 / spc);
        float tex = mix(0.5, fbm(gp * vec2(0.35, 0.5), 3), smoothstep(0.01, 0.06, sp));
        vec3 ground = mix(lin(vec3(0.05, 0.06, 0.11)), lin(vec3(0.09, 0.10, 0.10)), tex);
        ground *= 0.5 + 0.5 * exp(-sp * 5.0);               // starlight sheen towards the horizon
        ground += lin(vec3(0.25, 0.28, 0.45)) * 0.05 * exp(-sp * 25.0);
        if (sp > 0.0) col = mix(col, ground, smoothstep(0.0, pix, sp));

        // Mist lying on the grass, thickest far off; breath thickens it.
        float mist = fbm(vec2(gp.x * 0.12 + t * 0.02, gp.y * 0.25 - t * 0.015), 3);
        float layer = exp(-max(sp, 0.0) * 9.0) * smoothstep(0.03, -0.005, e);
        mist = (0.35 + smoothstep(0.3, 0.75, mist)) * layer;
        col += lin(vec3(0.5, 0.55, 0.75)) * mist * (0.02 + 0.07 * aurora);
    }

    // A yurt on the plain, its door open and warm.
    {
        vec2 yc = vec2(0.3 * aspect, HZ - 0.04);
        vec2 q = p - yc;
        float wall = max(abs(q.x) - 0.042, abs(q.y - 0.011) - 0.011);
        float roofH = 0.022 + 0.021 * (1.0 - pow(abs(q.x) / 0.047, 1.4));
        float roof = max(max(q.y - roofH, -q.y + 0.018), abs(q.x) - 0.047);
        float crown = max(abs(q.x) - 0.005, abs(q.y - 0.045) - 0.003);
        float y = min(min(wall, roof), crown);
        float fill = smoothstep(pix, -pix, y);
        vec3 yurtCol = lin(vec3(0.12, 0.11, 0.15)) * 0.45;
        // The felt catches a little starlight along its top.
        yurtCol += lin(vec3(0.3, 0.32, 0.5)) * 0.04 * smoothstep(-0.01, 0.0, q.y - roofH);
        col = mix(col, yurtCol, fill);
        float door = max(abs(q.x + 0.012) - 0.007, abs(q.y - 0.012) - 0.012);
        vec3 warm = lin(CLUB_AMBER);
        col = mix(col, warm * (0.9 + 0.25 * sin(t * 7.0) * sin(t * 3.1)), smoothstep(pix, -pix, door));
        // Light spilling from the door onto the grass, and a thread of smoke from the crown.
        vec2 g = q - vec2(-0.012, -0.002);
        col += warm * 0.35 * exp(-length(g * vec2(1.0, 4.0)) * 28.0) * step(q.y, 0.0);
        col += warm * 0.05 * exp(-length(g) * 12.0);
        float sy = q.y - 0.048;
        if (sy > 0.0 && sy < 0.25) {
            float sx = q.x - 0.02 * sin(sy * 18.0 - t * 0.8) * sy * 6.0 - sy * 0.15;
            float smoke = exp(-sx * sx / (0.00002 + 0.0006 * sy)) * (1.0 - sy / 0.25) * 0.8
                        * (0.6 + 0.4 * vnoise(vec2(sy * 30.0 - t * 0.6, 1.0)));
            col += lin(vec3(0.45, 0.45, 0.6)) * smoke * 0.12;
        }
    }

    // Foreground grass against the mist: thin dark blades along the bottom edge, swaying.
    if (p.y < 0.16) {
        float inGrass = 0.0;
        for (int l = 0; l < 3; l++) {
            float fl = float(l);
            float sc = 70.0 + 45.0 * fl;
            float gx = p.x * sc + fl * 0.37;
            float gi = floor(gx);
            for (int o = -1; o <= 1; o++) {
                float ci = gi + float(o);
                vec2 h = hash22(vec2(ci, fl * 7.0));
                float hgt = (0.04 + 0.1 * h.y * h.y) * (1.0 - 0.25 * fl);
                float v = p.y / hgt;
                if (v > 1.0) continue;
                float lean = (h.x - 0.5) * 1.6 + 0.35 * sin(t * 0.6 + ci * 0.7 + fl);
                float bx = ci + 0.5 + (h.x - 0.5) * 0.6 + lean * v * v;
                float hw = (0.12 + 0.1 * h.y) * (1.0 - v);
                float d = abs(gx - bx) / sc;
                inGrass = max(inGrass, smoothstep(hw / sc + pix * 0.6, hw / sc - pix * 0.6, d));
            }
        }
        col = mix(col, lin(vec3(0.03, 0.035, 0.06)), inGrass);
    }

    col *= 1.0 - 0.3 * pow(length((p - vec2(0.5 * aspect, 0.5)) / vec2(aspect, 1.0)) * 1.3, 2.0);
    col = tonemap(col * 1.5);
    fragColor = vec4(gammaEncode(col), 1.0);
}
