// Yaks: a herd walks in a line along a grass ridge at golden hour, black
// against the low sun. Their legs step on the beat (the gait is locked to the
// beat clock, so the herd's pace is the tempo), bass and loudness raise dust
// behind them, and the saxophone's tone colours the sky: a dark, soft sound
// gives a violet dusk, a bright one a golden evening.
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "sdf2d.glsl"

vec3 lin(vec3 c) { return c * c; }   // palette colours are display-ish: rough linearisation

const float HZ = 0.36;                 // far horizon
const float STRIDE = 0.3;              // foot travel relative to the hip, in yak heights
const float DUTY = 0.62;               // fraction of the gait cycle a foot is on the ground
const float ADVANCE = STRIDE / DUTY;   // ground covered per gait cycle (no sliding feet)

// The ridges, as height on screen for screen x.
float ridgeMain(float x) { return 0.215 + 0.03 * sin(x * 1.7 + 0.6) + 0.02 * fbm1(x * 1.1 + 3.0, 3); }
float ridgeFar(float x)  { return HZ - 0.035 + 0.022 * sin(x * 2.3 + 2.0) + 0.018 * fbm1(x * 1.9 + 8.0, 3); }

// One leg: hip at `hip`, its phase in the gait cycle, foot travel `stride`;
// returns the foot's position.
vec2 foot(vec2 hip, float phase, float stride) {
    float f = fract(phase);
    if (f < DUTY) {                               // planted: moves back under the body as it walks on
        float s = f / DUTY;
        return vec2(hip.x + stride * (0.5 - s), 0.0);
    }
    float s = (f - DUTY) / (1.0 - DUTY);          // swing: lifts and reaches forward
    float e = s * s * (3.0 - 2.0 * s);
    return vec2(hip.x + stride * (e - 0.5), 0.11 * sin(PI * s));
}

float leg(vec2 p, vec2 hip, float phase, float stride) {
    vec2 f = foot(hip, phase, stride);
    vec2 h = hip;
    vec2 knee = mix(h, f, 0.5) + vec2(0.02 + 0.05 * f.y, 0.0);
    float d = sdTaper(p, h, knee, 0.09, 0.07);
    d = min(d, sdTaper(p, knee, f + vec2(0.0, 0.035), 0.07, 0.05));
    return d;
}

// A yak, facing +x, feet at y = 0, about one unit tall at the hump.
// `w` is the gait phase in cycles; `seed` varies its build; `stride` is its
// foot travel (smaller yaks take longer steps to keep up with the herd).
float yak(vec2 p, float w, float seed, float stride) {
    float bob = -0.018 * cos(4.0 * PI * w);                    // lowest as each foot lands
    vec2 q = p - vec2(0.0, bob);
    float bulk = 1.0 + 0.12 * (seed - 0.5);

    float d = sdEllipse(q - vec2(-0.08, 0.64), vec2(0.56, 0.27) * vec2(1.0, bulk));
    d = smin(d, sdEllipse(q - vec2(0.22, 0.84), vec2(0.29, 0.21) * bulk), 0.14);    // the hump over the shoulders
    d = smin(d, sdEllipse(q - vec2(-0.50, 0.70), vec2(0.17, 0.17)), 0.1);          // rump
    // Neck and head, carried low in front of the hump; the head nods with the steps.
    float nod = 0.025 * sin(4.0 * PI * w + 0.8);
    vec2 hc = vec2(0.78, 0.49 + nod);
    d = smin(d, sdTaper(q, vec2(0.42, 0.76), hc, 0.19, 0.12), 0.05);
    d = smin(d, sdEllipse((q - hc) * rot2(0.6), vec2(0.17, 0.115)), 0.04);
    d = min(d, sdTaper(q, hc, hc + vec2(0.14, -0.11), 0.085, 0.065));           // muzzle
    // Horns: wide, curving up and forward to a point.
    for (int i = 0; i < 2; i++) {
        float side = float(i);
        vec2 hb = hc + vec2(-0.04 + 0.08 * side, 0.07);
        vec2 hm = hb + vec2(-0.07 + 0.03 * side, 0.17 - 0.04 * side);
        vec2 ht = hm + vec2(0.15, 0.11 - 0.02 * side);
        d = min(d, sdTaper(q, hb, hm, 0.055, 0.04));
        d = min(d, sdTaper(q, hm, mix(hm, ht, 0.5) + vec2(-0.01, 0.02), 0.04, 0.026));
        d = min(d, sdTaper(q, mix(hm, ht, 0.5) + vec2(-0.01, 0.02), ht, 0.026, 0.006));
    }
    // The long skirt of hair hanging from flank and chest almost to the
    // ground, ragged at the hem, swinging with the walk.
    float sway = 0.05 * sin(4.0 * PI * w - q.x * 3.0);
    float depth = clamp(0.7 - q.y, 0.0, 1.0);
    float sx = q.x - sway * depth;
    float hem = 0.21 + 0.04 * vnoise1(sx * 9.0 + seed * 50.0) + 0.2 * smoothstep(0.25, 0.6, abs(sx + 0.02))
              - 0.05 * smoothstep(0.25, 0.5, sx) * step(sx, 0.6);                  // chest fringe hangs lower
    float skirt = max(hem - q.y, q.y - 0.7);
    skirt = max(skirt, abs(sx + 0.02) - (0.6 - 0.12 * depth));
    // The hem breaks into locks.
    float lockN = vnoise1(sx * 45.0 + seed * 30.0);
    float locks = (0.05 * lockN * lockN - 0.02 * vnoise1(sx * 13.0 + seed * 7.0)) * smoothstep(hem + 0.12, hem, q.y);
    d = smin(d, skirt + locks, 0.06);
    // Short legs under the hair: hind feet land on the beat, fore feet between.
    d = min(d, leg(q, vec2(-0.40, 0.42), w + 0.0, stride));
    d = min(d, leg(q, vec2(-0.33, 0.42), w + 0.5, stride));
    d = min(d, leg(q, vec2(0.32, 0.42), w + 0.25, stride));
    d = min(d, leg(q, vec2(0.39, 0.42), w + 0.75, stride));
    // Tail, a long bushy plume like a horse's.
    float tsw = 0.05 * sin(2.0 * PI * w + 1.3);
    d = min(d, sdTaper(q, vec2(-0.6, 0.72), vec2(-0.7 + tsw, 0.3), 0.03, 0.08));
    return d;
}

// A row of yaks walking along a ridge (row 0: the main one, 1: the far one):
// returns (coverage, rim light). H: height of a yak on screen; gap: spacing;
// w: gait cycles so far.
vec2 herd(vec2 p, float H, float gap, float w, float row, float pix) {
    float x0 = w * ADVANCE * H;                   // how far the herd has walked
    float xr = p.x - x0;
    float cell = floor(xr / gap);
    float h = hash11(cell * 1.7 + row * 13.0);
    float h2 = hash11(cell * 3.1 + row * 7.0 + 0.5);
    if (row > 0.5 && h > 0.72) return vec2(0.0);                    // gaps in the far line
    float size = H * (0.85 + 0.25 * h2) * (h < 0.18 ? 0.62 : 1.0);   // some calves
    float cx = (cell + 0.5) * gap + (h - 0.5) * gap * 0.3;
    float wx = cx + x0;                           // the yak's position on screen
    float gy = row < 0.5 ? ridgeMain(wx) : ridgeFar(wx);
    float slope = row < 0.5 ? (ridgeMain(wx + 0.04) - ridgeMain(wx - 0.04)) / 0.08
                            : (ridgeFar(wx + 0.04) - ridgeFar(wx - 0.04)) / 0.08;
    vec2 lp = (vec2(xr - cx, p.y - gy + 0.004) * rot2(-atan(slope) * 0.8)) / size;
    if (abs(lp.x) > 1.2 || lp.y < -0.1 || lp.y > 1.25) return vec2(0.0);
    // Every other yak walks half a cycle apart: its steps still land on beats.
    float wy = w + 0.5 * step(0.5, fract(h * 7.3));
    float d = yak(lp, wy, h2, STRIDE * H / size) * size;
    float fur = (vnoise(lp * 38.0 + cell) - 0.5) * 0.02 * size;    // shaggy outline
    d += fur;
    float cov = smoothstep(pix, -pix, d);
    float rim = smoothstep(-0.012 * size - pix, 0.0, d) * cov;
    return vec2(cov, rim);
}

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    float aspect = iResolution.x / iResolution.y;
    vec2 p = fragCoord / iResolution.y;
    float xc = p.x - 0.5 * aspect;
    float pix = 1.0 / iResolution.y;
    float t = iTime;

    // Gait: one cycle every two beats, locked to the beat clock.
    float w = (iBeatCount + iBeatPhase) * 0.5;

    float warm = clamp(warmth, 0.0, 1.5);         // bright tone -> golden sky
    vec2 sunP = vec2(0.64 * aspect, HZ + 0.04 + 0.14 * sun);
    vec2 sd = p - sunP;
    float sdist = length(sd);

    // ------------------------------------------------------------------ sky
    float n = max((p.y - HZ) / (1.0 - HZ), 0.0);
    vec3 duskLow = lin(vec3(0.92, 0.45, 0.38));
    vec3 duskMid = lin(vec3(0.55, 0.30, 0.52));
    vec3 duskTop = lin(vec3(0.16, 0.13, 0.32));
    vec3 goldLow = lin(vec3(1.0, 0.72, 0.36)) * 1.15;
    vec3 goldMid = lin(vec3(0.90, 0.62, 0.40));
    vec3 goldTop = lin(vec3(0.36, 0.38, 0.55));
    float wm = smoothstep(0.0, 1.0, warm);
    vec3 low = mix(duskLow, goldLow, wm), midc = mix(duskMid, goldMid, wm), top = mix(duskTop, goldTop, wm);
    vec3 col = mix(low, midc, smoothstep(0.0, 0.35, n));
    col = mix(col, top, smoothstep(0.25, 1.0, n));
    float glowAmt = 0.7 + 0.4 * wm + 0.8 * iLevel;          // loud passages: the low sun blazes
    vec3 sunCol = mix(lin(vec3(1.0, 0.45, 0.2)), lin(vec3(1.0, 0.78, 0.45)), wm);
    col += sunCol * (exp(-sdist * 6.0) * 0.5 + exp(-sdist * 22.0) * 0.6) * glowAmt;
    col += sunCol * exp(-abs(sd.y) * 30.0) * exp(-abs(sd.x) * 1.5) * 0.15 * glowAmt;    // horizontal flare

    // Long thin clouds, lit from below by the low sun.
    if (p.y > HZ) {
        vec2 cq = vec2(xc * 1.2 + t * 0.008, (p.y - HZ) * 6.0);
        float cl = fbm(vec2(cq.x * 1.5, cq.y * 2.5) + vec2(0.0, 3.0), 4);
        float band = smoothstep(0.05, 0.3, p.y - HZ) * smoothstep(0.95, 0.55, p.y - HZ * 0.2);
        float cloud = smoothstep(0.5, 0.75, cl) * band;
        vec3 cloudLit = mix(lin(vec3(0.95, 0.45, 0.45)), lin(vec3(1.0, 0.72, 0.42)), wm) * (0.6 + 0.9 * exp(-sdist * 2.0));
        vec3 cloudShade = mix(lin(DUSK_VIOLET) * 0.6, lin(vec3(0.55, 0.42, 0.5)), wm);
        float litSide = smoothstep(0.5, 0.8, fbm(vec2(cq.x * 1.5, cq.y * 2.5 + 0.25) + vec2(0.0, 3.0), 3));
        col = mix(col, mix(cloudLit, cloudShade, litSide * 0.7), cloud * 0.85);
    }

    // The sun's disc, low over the far hills.
    float disc = smoothstep(0.034, 0.031, sdist);
    col = mix(col, mix(lin(vec3(1.0, 0.5, 0.22)) * 1.8, lin(vec3(1.0, 0.82, 0.5)) * 2.4, wm), disc);

    // ------------------------------------------------------------ far land
    // The Tian Shan, hazy blue on the far left.
    float mt = HZ + 0.01 + 0.07 * smoothstep(0.4, -0.6, xc) * pow(fbm1(xc * 3.0 + 2.0, 4), 1.5) * 2.0;
    vec3 haze = mix(low, sunCol, 0.3);
    if (p.y < mt) col = mix(col, mix(lin(vec3(0.45, 0.38, 0.55)), haze, 0.55), smoothstep(mt + pix, mt - pix, p.y));

    // Far hills with their own line of yaks.
    float rf = ridgeFar(p.x);
    vec3 farHill = mix(lin(vec3(0.42, 0.28, 0.38)), haze, 0.45);
    if (p.y < rf + pix) col = mix(col, farHill * (0.75 + 0.25 * smoothstep(rf - 0.06, rf, p.y)), smoothstep(rf + pix, rf - pix, p.y));
    vec2 farYaks = herd(p, 0.05, 0.2, w, 1.0, pix);
    col = mix(col, farHill * 0.55, farYaks.x);
    col += sunCol * farYaks.y * exp(-abs(p.x - sunP.x) * 3.0) * 0.5;

    // ----------------------------------------------------------- main ridge
    float rm = ridgeMain(p.x);
    float below = rm - p.y;
    // A fringe of grass tufts along the crest, backlit.
    float tuft = vnoise1(p.x * 260.0);
    float fringe = 0.007 * tuft * tuft * tuft + 0.003 * vnoise1(p.x * 900.0);
    vec3 grassFar = mix(lin(STEPPE_OCHRE) * 0.55, lin(vec3(0.55, 0.35, 0.30)) * 0.6, 1.0 - wm);
    vec3 grassNear = lin(vec3(0.22, 0.17, 0.10)) * 0.6;
    vec3 hill = mix(grassFar, grassNear, smoothstep(0.0, 0.2, below));
    // Sunlit grass along the crest; drifts of lighter and darker grass; wind sheen.
    hill += sunCol * 0.35 * exp(-max(below, 0.0) * 60.0) * exp(-abs(p.x - sunP.x) * 1.2);
    float patchy = fbm(vec2(p.x * 2.5 - t * 0.02, below * 14.0 + 2.0), 3);
    float grain = vnoise(vec2(p.x * 160.0, below * 25.0));
    hill *= (0.7 + 0.6 * patchy) * (0.9 + 0.2 * grain);
    float sheen = smoothstep(0.55, 0.8, fbm(vec2(p.x * 3.0 - t * 0.15, below * 10.0), 3));
    hill += sunCol * 0.1 * sheen * exp(-below * 10.0) * (0.5 + 0.8 * iLevel);
    col = mix(col, hill, smoothstep(-pix, pix, below + fringe));

    // Dust: a plume behind every yak, hanging where it was kicked up (the noise
    // is fixed to the ground, not to the yak) and rising as it drifts; a puff
    // at the feet on every beat. Bass raises it, and loudness a little.
    float dustAmt = dust * (0.1 + 1.5 * iBass + 0.4 * iLevel);
    float hb = p.y - rm;
    if (hb > -0.03 && hb < 0.4 && dustAmt > 0.01) {
        float H = 0.16, gap = 0.52;
        float x0 = w * ADVANCE * H;
        float xr = p.x - x0;
        float c0 = floor(xr / gap);
        float plume = 0.0;
        for (int i = 0; i < 2; i++) {
            float cell = c0 + float(i);
            float hh = hash11(cell * 1.7);
            float cx = (cell + 0.5) * gap + (hh - 0.5) * gap * 0.3;
            float b = cx - xr;                    // distance behind this yak's centre
            if (b < -0.1) continue;
            float thick = 0.03 + 0.4 * max(b, 0.0);
            float along = smoothstep(-0.06, 0.1, b) * exp(-max(b, 0.0) / 0.3) * smoothstep(0.68, 0.4, b);
            float up = exp(-max(hb, 0.0) / (thick * (0.4 + 0.7 * min(dustAmt, 2.0))));
            float puff = exp(-iBeatPhase * 5.0) * exp(-abs(b + 0.0) / 0.05) * exp(-max(hb, 0.0) / 0.025);
            plume += along * up + puff * 0.8;
        }
        float dn = fbm(vec2(p.x * 7.0 + t * 0.04, hb * 10.0 - t * 0.22), 4);
        float haze = (0.1 + 0.3 * min(dustAmt, 2.0)) * exp(-max(hb, 0.0) / (0.03 + 0.05 * min(dustAmt, 2.0)));
        float dv = smoothstep(0.3, 0.75, dn) * (plume + haze) * smoothstep(-0.03, 0.0, hb);
        dv *= min(dustAmt, 2.0) * smoothstep(0.4, 0.25, hb);
        vec3 dustCol = mix(lin(STEPPE_OCHRE), sunCol, 0.6) * (0.75 + 1.6 * exp(-abs(p.x - sunP.x) * 2.0));
        col = mix(col, dustCol, clamp(dv * 0.9, 0.0, 0.85));
        // The dust that hangs in the air over the whole herd, gold in the low sun.
        float pall = min(dustAmt, 2.0) * 0.35 * exp(-max(hb, 0.0) / 0.08) * smoothstep(-0.03, 0.01, hb) * smoothstep(0.4, 0.3, hb);
        col = mix(col, dustCol, pall * (0.6 + 0.4 * dn));
    }

    // The herd.
    vec2 yaks = herd(p, 0.16, 0.52, w, 0.0, pix);
    vec3 yakCol = lin(vec3(0.10, 0.07, 0.07)) * 0.6;
    col = mix(col, yakCol, yaks.x);
    float backlit = exp(-abs(p.x - sunP.x) * 2.2) * 1.1 + 0.25;
    col += sunCol * yaks.y * backlit * (0.9 + 0.4 * wm);

    // Dust in front of their legs too, thinner.
    if (hb > -0.03 && hb < 0.12 && dustAmt > 0.01) {
        float dn2 = fbm(vec2(p.x * 9.0 - t * 0.08, hb * 14.0 - t * 0.3) + 5.0, 3);
        float env2 = exp(-max(hb, 0.0) / 0.018) * smoothstep(-0.03, 0.0, hb) * smoothstep(0.12, 0.06, hb);
        float dv2 = smoothstep(0.45, 0.85, dn2) * env2 * min(dustAmt, 2.0);
        col = mix(col, mix(lin(STEPPE_OCHRE), sunCol, 0.5) * 0.8, clamp(dv2 * 0.35, 0.0, 0.5));
    }

    // Foreground grass: tall blades, dark against the hill, tips lit gold.
    if (p.y < 0.2) {
        float inGrass = 0.0, tipLit = 0.0;
        for (int l = 0; l < 2; l++) {
            float fl = float(l);
            float sc = 45.0 + 40.0 * fl;
            float gx = p.x * sc + fl * 0.37;
            float gi = floor(gx);
            for (int o = -1; o <= 1; o++) {
                float ci = gi + float(o);
                vec2 hh = hash22(vec2(ci, fl * 7.0 + 1.0));
                float hgt = (0.06 + 0.12 * hh.y * hh.y) * (1.0 - 0.3 * fl);
                float v = p.y / hgt;
                if (v > 1.0) continue;
                float lean = (hh.x - 0.5) * 1.4 + (0.3 + 0.3 * iLevel) * sin(t * 0.8 + ci * 0.4 + fl);
                float bx = ci + 0.5 + (hh.x - 0.5) * 0.6 + lean * v * v;
                float hw = (0.13 + 0.1 * hh.y) * (1.0 - v);
                float dd = abs(gx - bx) / sc;
                float c = smoothstep(hw / sc + pix * 0.6, hw / sc - pix * 0.6, dd);
                inGrass = max(inGrass, c);
                tipLit = max(tipLit, c * smoothstep(0.55, 1.0, v));
            }
        }
        vec3 gcol = lin(vec3(0.12, 0.09, 0.05)) * 0.5 + sunCol * tipLit * 0.25;
        col = mix(col, gcol, inGrass);
    }

    col *= 1.0 - 0.3 * pow(length((p - vec2(0.5 * aspect, 0.45)) / vec2(aspect, 1.0)) * 1.25, 2.0);
    col = tonemap(col * 1.25);
    fragColor = vec4(gammaEncode(col), 1.0);
}
