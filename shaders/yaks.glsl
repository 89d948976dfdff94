// Yaks: a herd walks along the near face of a grass ridge at golden hour,
// black against the low sun, rim-lit along their backs; the far hills and the
// Tian Shan fade into the haze behind them and tall steppe grass, lit from
// behind, stands in front of us.
//
// The music: the legs step on the beat (the gait is locked to the beat clock:
// hind hooves land on every beat and kick up a puff of dust, fore hooves
// between); bass and loudness raise the dust each yak trails behind it; the
// saxophone's tone colours the sky (brightness, through the `warmth`
// binding: a dark sound gives a violet dusk, a bright one a golden evening)
// and its note raises a pillar of light over the sun, higher for higher
// notes, flaring on each attack; loudness is the wind in the grass, highs make
// its tips glitter; the intensity arc warms the light and opens the sun's
// glow and rays, and at the climax the rays blaze and the dust lifts and
// swirls. `haze` is dust hanging in the air over the distance.
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "sdf2d.glsl"

vec3 lin(vec3 c) { return c * c; }   // palette colours are display-ish: rough linearisation

const float HZ = 0.40;                 // far horizon: the foot of the mountains
const float YH = 0.15;                 // height of a yak of the main herd on screen
const float GAP = 0.4;                 // spacing of the main herd
const float FH = 0.04;                 // the far herd
const float FGAP = 0.17;
const float STRIDE = 0.3;              // foot travel relative to the hip, in yak heights
const float DUTY = 0.62;               // fraction of the gait cycle a foot is on the ground
const float ADVANCE = STRIDE / DUTY;   // ground covered per gait cycle (no sliding feet)
const float W0 = 0.245;                // mean height of the herd's path

// The path the herd walks, on the near face of the ridge, and the crest just
// behind and above it, so hooves stand on grass, not on the skyline.
float walkLine(float x)  { return W0 + 0.02 * sin(x * 1.6 + 0.6) + 0.007 * sin(x * 3.9 + 1.3); }
float walkSlope(float x) { return 0.032 * cos(x * 1.6 + 0.6) + 0.0273 * cos(x * 3.9 + 1.3); }
float crestLine(float x) { return walkLine(x) + 0.018 + 0.014 * fbm1(x * 5.0 + 3.0, 3); }
// The far ridge where a second, smaller line of yaks walks.
float farRidge(float x)  { return HZ - 0.035 + 0.016 * sin(x * 2.3 + 2.0) + 0.03 * fbm1(x * 1.7 + 8.0, 3); }

float midA(float x) { return 0.338 + 0.014 * sin(x * 1.9 + 4.0) + 0.02 * fbm1(x * 2.2 + 20.0, 3); }
float midB(float x) { return 0.300 + 0.012 * sin(x * 1.3 + 1.0) + 0.022 * fbm1(x * 2.9 + 40.0, 3); }
float foothills(float xc) { return HZ + 0.006 + 0.035 * fbm1(xc * 2.6 + 11.0, 3); }

float ridged(float x) {
    float v = 0.0, a = 0.5;
    for (int i = 0; i < 4; i++) {
        v += a * (1.0 - abs(2.0 * vnoise1(x + 37.0 * float(i)) - 1.0));
        x *= 2.13; a *= 0.5;
    }
    return v;
}

// ------------------------------------------------------------------- yaks
// One leg: hip at `hip`, its phase in the gait cycle, foot travel `stride`;
// returns the foot's position (y = 0: on the ground).
vec2 foot(vec2 hip, float phase, float stride) {
    float f = fract(phase);
    if (f < DUTY) {                               // planted: moves back under the body as it walks on
        float s = f / DUTY;
        return vec2(hip.x + stride * (0.5 - s), 0.0);
    }
    float s = (f - DUTY) / (1.0 - DUTY);          // swing: lifts and reaches forward
    float e = s * s * (3.0 - 2.0 * s);
    return vec2(hip.x + stride * (e - 0.5), 0.1 * sin(PI * s));
}

float leg(vec2 p, vec2 hip, float phase, float stride) {
    vec2 f = foot(hip, phase, stride);
    vec2 knee = mix(hip, f, 0.5) + vec2(0.015 + 0.06 * f.y, 0.0);
    float d = sdTaper(p, hip, knee, 0.085, 0.06);
    d = min(d, sdTaper(p, knee, f + vec2(0.0, 0.04), 0.055, 0.04));   // cannon bone to the hoof, sole at y = 0
    return d;
}

// A yak, facing +x, hooves at y = 0, about one unit tall at the hump.
// `w`: gait phase in cycles; `seed` varies its build and hair; `stride`: foot travel.
// Parts far from the point are skipped.
float yak(vec2 q, float w, float seed, float stride) {
    q.y += 0.016 * cos(4.0 * PI * w);             // the body is lowest as each foot lands
    float bulk = 1.0 + 0.12 * (seed - 0.5);

    float d = sdEllipse(q - vec2(-0.08, 0.63), vec2(0.55, 0.26) * vec2(1.0, bulk));
    d = smin(d, sdEllipse(q - vec2(0.2, 0.83), vec2(0.3, 0.22) * bulk), 0.15);   // the hump over the shoulders
    d = smin(d, sdEllipse(q - vec2(-0.5, 0.69), vec2(0.17, 0.16)), 0.1);         // rump
    // Neck and head, carried low in front of the hump; the head nods with the steps.
    if (q.x > 0.25) {
        float nod = 0.03 * sin(4.0 * PI * w + 0.8);
        vec2 hc = vec2(0.76, 0.43 + nod);
        d = smin(d, sdTaper(q, vec2(0.38, 0.72), hc, 0.2, 0.12), 0.06);
        d = smin(d, sdEllipse((q - hc) * rot2(0.75), vec2(0.16, 0.11)), 0.04);
        d = min(d, sdTaper(q, hc, hc + vec2(0.14, -0.13), 0.08, 0.055));          // muzzle, nose down
        d = min(d, sdEllipse((q - hc - vec2(-0.11, 0.05)) * rot2(0.5), vec2(0.075, 0.028)));   // ear
        // Horns: out from the brow, up and forward to a point.
        if (abs(q.x - hc.x) < 0.28 && q.y > hc.y) {
            vec2 hb = hc + vec2(-0.02, 0.08);
            vec2 hm = hb + vec2(-0.08, 0.19);
            vec2 ht = hm + vec2(0.17, 0.12);
            vec2 hq = mix(hm, ht, 0.5) + vec2(-0.02, 0.035);
            d = min(d, sdTaper(q, hb, hm, 0.06, 0.04));
            d = min(d, sdTaper(q, hm, hq, 0.04, 0.026));
            d = min(d, sdTaper(q, hq, ht, 0.026, 0.005));
        }
    }
    // The long skirt of hair hanging from flank, belly and chest to the knees,
    // ragged at the hem, swinging with the walk.
    if (q.y < 0.75 && abs(q.x) < 0.75) {
        float hang = clamp(0.66 - q.y, 0.0, 1.0);
        float sx = q.x - 0.05 * sin(4.0 * PI * w - q.x * 3.0) * hang;
        float ax = abs(sx + 0.02);
        float hem = 0.19 + 0.05 * vnoise1(sx * 9.0 + seed * 50.0)
                  + 0.22 * smoothstep(0.3, 0.62, ax)                                // shorter at the ends
                  - 0.04 * smoothstep(0.2, 0.45, sx) * step(sx, 0.62);              // the chest fringe hangs lower
        float skirt = max(hem - q.y, q.y - 0.68);
        skirt = max(skirt, ax - (0.62 - 0.1 * hang));
        // The hem breaks into locks of hair.
        float lockN = vnoise1(sx * 42.0 + seed * 30.0);
        float locks = (0.06 * lockN * lockN - 0.02 * lockN) * smoothstep(hem + 0.12, hem, q.y);
        d = smin(d, skirt + locks, 0.05);
        // A beard of hair under the neck.
        d = smin(d, sdTaper(q, vec2(0.5, 0.5), vec2(0.6, 0.3 + 0.02 * lockN), 0.08, 0.03), 0.05);
    }
    // Short sturdy legs under the hair: hind feet land on the beat, fore feet between.
    if (q.y < 0.5) {
        d = min(d, leg(q, vec2(-0.40, 0.42), w + 0.0, stride));
        d = min(d, leg(q, vec2(-0.31, 0.42), w + 0.5, stride));
        d = min(d, leg(q, vec2(0.30, 0.42), w + 0.25, stride));
        d = min(d, leg(q, vec2(0.39, 0.42), w + 0.75, stride));
    }
    // Tail: a long bushy plume, swinging.
    if (q.x < -0.4) {
        float tsw = 0.05 * sin(2.0 * PI * w + 1.3);
        d = min(d, sdTaper(q, vec2(-0.6, 0.72), vec2(-0.69 + tsw, 0.3), 0.03, 0.075));
    }
    return d;
}

// The same yak in a few strokes, for the far herd (a few pixels tall).
float yakFar(vec2 q, float w, float stride) {
    float d = sdEllipse(q - vec2(-0.08, 0.6), vec2(0.55, 0.27));
    d = smin(d, sdEllipse(q - vec2(0.2, 0.82), vec2(0.28, 0.2)), 0.15);     // hump
    d = smin(d, sdTaper(q, vec2(0.42, 0.68), vec2(0.8, 0.42), 0.15, 0.09), 0.05);   // head, low
    d = min(d, sdTaper(q, vec2(0.72, 0.52), vec2(0.7, 0.78), 0.045, 0.012));  // horn
    d = smin(d, max(max(0.22 - q.y, q.y - 0.6), abs(q.x + 0.05) - 0.48), 0.08);   // the skirt of hair
    for (int i = 0; i < 4; i++) {
        float fi = float(i);
        vec2 hip = vec2(i < 2 ? -0.40 + 0.09 * fi : 0.30 + 0.09 * (fi - 2.0), 0.35);
        vec2 f = foot(hip, w + (i == 0 ? 0.0 : i == 1 ? 0.5 : i == 2 ? 0.25 : 0.75), stride);
        d = min(d, sdTaper(q, hip, f + vec2(0.0, 0.05), 0.08, 0.05));
    }
    return d;
}

// Yak number `cell` of a herd (row 0: the main one, 1: the far one): x of its
// centre on screen, its size, its gait phase and whether it is there.
vec4 yakAt(float cell, float w, float row, float hgt, float gap, out float seed) {
    float h = hash11(cell * 1.7 + row * 13.0);
    float h2 = hash11(cell * 3.1 + row * 7.0 + 0.5);
    float present = row > 0.5 ? step(h, 0.7) : step(0.07, h);       // gaps in the lines
    float size = hgt * (0.88 + 0.22 * h2) * (h < 0.2 ? 0.64 : 1.0);  // some calves
    float cx = (cell + 0.5) * gap + (h - 0.5) * gap * 0.3 + w * ADVANCE * hgt;
    float wy = w + 0.5 * step(0.5, fract(h * 7.3));                  // every other yak half a cycle apart
    seed = h2;
    return vec4(cx, size, wy, present);
}

// Shaggy outline: fur noise added to the distance (screen units).
float furOf(vec2 lp, float cell, float size) {
    return (vnoise(lp * vec2(40.0, 28.0) + cell * 7.0) - 0.5) * 0.022 * size;
}

// ------------------------------------------------------------------ grass
// Short blades packed along a root line: coverage of a row of thin spikes of
// random height `hs` at most, spaced `bw`, at height `y` over the line;
// box-filtered across the pixel so they neither smear nor shimmer.
float spikes(float x, float y, float bw, float hs, float seed, float pix) {
    float fx = x / bw + seed;
    float i = floor(fx), f = fract(fx);
    float h = hash11(i * 1.31 + seed);
    float c = 0.3 + 0.4 * hash11(i * 2.71 + seed * 1.3);
    float top = hs * (0.15 + 0.85 * h * h) * step(0.3, fract(h * 7.13));   // gaps between the tufts
    float hwid = 0.22 * bw * clamp(1.0 - y / top, 0.0, 1.0);
    return clamp((hwid - abs(f - c) * bw) / pix + 0.5, 0.0, 1.0) * clamp((top - y) / pix + 0.5, 0.0, 1.0)
         * smoothstep(-0.4 * top, 0.0, y);                // the blades' feet fade into the ground
}

// One set of long grass blades rooted along y = line, spaced `bw`, up to `H`
// tall, all bending the same way (`lean`: sideways shift at full height,
// growing with the square of the height), their heights gathered into
// clumps. Returns (coverage, height along the blade 0..1, lit rim, its own hue).
vec4 blades(vec2 p, float line, float bw, float H, float lean, float clumpF, float seed, float pix) {
    float ya = p.y - line;
    if (ya < -pix || ya > H) return vec4(0.0);
    float v0 = ya / H;
    float sx = p.x - lean * H * v0 * v0;
    float fx = sx / bw + seed;
    float i = floor(fx), f = fract(fx);
    float h1 = hash11(i * 1.37 + seed), h2 = fract(h1 * 13.7 + 0.3);
    float clump = 0.3 + 0.7 * smoothstep(0.25, 0.75, vnoise1(i * clumpF + seed));   // blades gather in tufts
    float hgt = H * (0.2 + 0.8 * h1) * clump;
    float v = ya / hgt;
    if (v > 1.0 || ya < -pix) return vec4(0.0);
    float c = 0.3 + 0.4 * h2;
    float u = 1.0 - v;
    float hw = bw * (0.13 + 0.12 * h2) * u * (1.8 - 0.8 * u);   // tapering to a point
    float dx = abs(f - c) * bw;
    float sl = 2.0 * lean * v0;                          // the centreline's slope: the blade is wider across
    float hwx = hw * (1.0 + 0.45 * sl * sl);
    float cov = clamp((min(dx + 0.5 * pix, hwx) - max(dx - 0.5 * pix, -hwx)) / pix, 0.0, 1.0);
    return vec4(cov, v, smoothstep(0.4, 1.0, dx / hwx) * smoothstep(1.2 * pix, 3.0 * pix, hwx), h2);
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
    float inten = clamp(iIntensity, 0.0, 1.0);
    float clim = clamp(iClimax, 0.0, 1.0);
    float wm = smoothstep(0.0, 1.0, warm + 0.3 * inten + 0.3 * clim);   // the sky warms as the music builds
    float sing = 0.35 + 0.65 * iVoiced * smoothstep(0.3, 0.8, iConfidence);   // the note is held through rests
    float notePos = clamp((iNote + 0.01 * iCents - 40.0) / 36.0, 0.0, 1.0);   // E2 .. E5

    vec2 sunP = vec2(0.62 * aspect, HZ + 0.035 + 0.17 * sun);
    vec2 sd = p - sunP;
    float sdist = length(sd);
    float glowAmt = 0.5 + 0.35 * wm + 0.35 * iLevel + 0.55 * inten + 1.0 * clim;
    vec3 sunCol = mix(lin(vec3(1.0, 0.45, 0.2)), lin(vec3(1.0, 0.76, 0.42)), wm);
    float toSun = exp(-abs(p.x - sunP.x) * 2.0);   // backlight falls off away from the sun

    vec3 low  = mix(lin(vec3(0.93, 0.48, 0.40)), lin(vec3(1.0, 0.74, 0.42)) * 1.1, wm);
    vec3 midc = mix(lin(vec3(0.58, 0.32, 0.52)), lin(vec3(0.90, 0.58, 0.42)), wm);
    vec3 top  = mix(lin(vec3(0.14, 0.12, 0.30)), lin(vec3(0.30, 0.32, 0.52)), wm);
    vec3 airCol = mix(low, sunCol, 0.25);
    vec3 crestGold = mix(lin(STEPPE_OCHRE), sunCol, 0.55);
    vec3 faceHi = mix(lin(vec3(0.55, 0.42, 0.22)), lin(vec3(0.46, 0.30, 0.26)), 1.0 - wm) * 0.32;

    // Rays from the sun: the intensity arc opens them, the climax makes them blaze.
    float rayAmt = 0.03 + 0.15 * inten * inten + 0.6 * clim;

    // The land, front to back: only what shows past the nearer ground is drawn.
    float walk = walkLine(p.x);
    float hb = p.y - walk;                        // height above the herd's path
    float cr = hb > -0.04 ? crestLine(p.x) : walk + 0.025;   // far below it, near enough
    float s = cr - p.y;                           // depth below our ridge's crest
    bool seeB = s < pix;
    float mB = seeB ? midB(p.x) : 1.0;
    bool seeA = seeB && p.y > mB - pix;
    float mA = seeA ? midA(p.x) : 1.0;
    bool seeF = seeA && p.y > mA - pix;
    float fr = seeF ? farRidge(p.x) : 1.0;
    bool seeH = seeF && p.y > fr - pix;
    float h1 = seeH ? foothills(xc) : 1.0;
    bool seeM = seeH && p.y > h1 - pix;
    float mt = 0.0;
    if (seeM) {
        float mAmp = (0.3 + 0.7 * smoothstep(0.75, -0.55, xc)) * (1.0 - 0.75 * exp(-pow((p.x - sunP.x) * 3.0, 2.0)));
        float rn = ridged(xc * 2.3 + 33.0);
        mt = HZ + 0.004 + 0.16 * mAmp * rn * rn;
    }
    bool seeS = seeM && p.y > mt - pix;
    float rayMask = 0.0;
    if (seeM || (hb > -0.02 && s > -0.01)) {
        float ang = atan(sd.x, sd.y);
        float rays = vnoise1(ang * 5.0 + 3.0 + 0.05 * t) * (0.5 + 0.5 * vnoise1(ang * 13.0 - t * 0.1));
        rayMask = smoothstep(0.2, 0.85, rays) * exp(-sdist * (2.4 - 0.9 * clim)) * smoothstep(0.02, 0.12, sdist);
    }

    vec3 col = faceHi;
    // ------------------------------------------------------------------ sky
    if (seeS) {
        float n = max((p.y - HZ) / (1.0 - HZ), 0.0);
        col = mix(low, midc, smoothstep(0.0, 0.35, n));
        col = mix(col, top, smoothstep(0.25, 1.0, n));
        col += sunCol * (exp(-sdist * 5.0) * 0.45 + exp(-sdist * 20.0) * 0.7) * glowAmt;
        col += sunCol * exp(-abs(sd.y) * 28.0) * exp(-abs(sd.x) * 1.3) * 0.16 * glowAmt;   // flat flare along the hills

        // The sax's note: a pillar of light over the sun, taller for higher notes.
        float pillarTop = 0.07 + 0.5 * notePos;
        float pillar = 0.0;
        if (sd.y > 0.0) {
            float pw = 0.01 + 0.018 * sd.y;
            pillar = exp(-abs(sd.x) / pw) * smoothstep(pillarTop, pillarTop * 0.3, sd.y) * sing;
            col += sunCol * pillar * (0.6 + 0.6 * iOnset + 0.3 * clim) * glowAmt;
        }
        // Clouds: long strata, lit from below by the low sun, brighter where the pillar lights them.
        if (p.y > HZ + 0.03) {
            vec2 cq = vec2(xc * 1.54 + t * 0.011, (p.y - HZ) * 14.3);
            float cl = 0.62 * vnoise(cq + vec2(0.0, 3.0)) + 0.38 * vnoise(cq * 2.03 + vec2(17.1, 12.2));
            float band = smoothstep(0.03, 0.2, p.y - HZ) * smoothstep(1.0, 0.6, p.y);
            float cloud = smoothstep(0.46, 0.68, cl) * band;
            if (cloud > 0.0) {
                float under = smoothstep(0.3, 0.75, vnoise(cq + vec2(0.0, 3.35)));
                vec3 cloudLit = mix(lin(vec3(0.98, 0.5, 0.45)), lin(vec3(1.0, 0.74, 0.45)), wm)
                              * (0.55 + 1.1 * exp(-sdist * 2.2) * glowAmt + 1.5 * pillar);
                vec3 cloudShade = mix(lin(DUSK_VIOLET) * 0.55, lin(vec3(0.52, 0.40, 0.50)), wm);
                col = mix(col, mix(cloudLit, cloudShade, under * 0.75), cloud * 0.85);
            }
        }
        float disc = smoothstep(0.036, 0.032, sdist);
        col = mix(col, mix(lin(vec3(1.0, 0.52, 0.24)) * 1.9, lin(vec3(1.0, 0.84, 0.55)) * 2.5, wm), disc);
        col += sunCol * rayMask * rayAmt;
    }

    // ------------------------------------------------------------ far land
    // The Tian Shan, snow on its peaks, pale with distance, lower towards the sun.
    if (seeM && p.y < mt + pix) {
        vec3 m = mix(airCol, lin(vec3(0.40, 0.36, 0.60)), 0.3);
        float snow = smoothstep(0.06, 0.1, mt - HZ) * smoothstep(mt - 0.04, mt - 0.008, p.y)
                   * (0.55 + 0.45 * vnoise(vec2(xc * 80.0, p.y * 40.0)));
        m = mix(m, mix(lin(vec3(1.0, 0.78, 0.78)), lin(vec3(1.0, 0.88, 0.7)), wm) * (0.75 + 0.3 * glowAmt), snow * 0.6);
        col = mix(col, m, smoothstep(mt + pix, mt - pix, p.y));
        col += sunCol * rayMask * rayAmt * 0.5;
    }
    // Nearer foothills, a little darker and less blue.
    if (seeH && p.y < h1 + pix) {
        vec3 hc = mix(airCol, lin(vec3(0.36, 0.24, 0.36)), 0.42);
        hc += sunCol * 0.25 * smoothstep(h1 - 0.006, h1, p.y) * exp(-abs(p.x - sunP.x) * 4.0) * glowAmt;
        col = mix(col, hc, smoothstep(h1 + pix, h1 - pix, p.y));
    }
    // The far ridge, and the valley below it fading into warm haze.
    vec3 farHill = mix(airCol, lin(vec3(0.30, 0.2, 0.26)), 0.55);
    if (seeF && p.y < fr + pix) {
        float below = fr - p.y;
        vec3 fh = farHill * (0.85 + 0.3 * vnoise(vec2(p.x * 14.0, below * 40.0)));
        fh += sunCol * 0.45 * exp(-below * 90.0) * exp(-abs(p.x - sunP.x) * 2.5) * glowAmt;   // sunlit crest
        fh = mix(fh, airCol * 0.9, smoothstep(0.02, 0.12, below) * 0.55);                        // mist in the valley
        col = mix(col, fh, smoothstep(fr + pix, fr - pix, p.y));
    }
    // The far herd, small and hazy, with a thin rim of sun.
    if (seeF && p.y > fr - 0.01 && p.y < fr + 0.06) {
        float cell = floor((p.x - w * ADVANCE * FH) / FGAP);
        float seed;
        vec4 y = yakAt(cell, w, 1.0, FH, FGAP, seed);
        vec2 lp = vec2(p.x - y.x, p.y - farRidge(y.x) + 0.003) / y.y;
        if (y.w > 0.5 && abs(lp.x) < 1.0 && lp.y < 1.15 && lp.y > -0.05) {
            float d = yakFar(lp, y.z, STRIDE * FH / y.y) * y.y;
            float cov = smoothstep(pix, -pix, d);
            col = mix(col, farHill * 0.5, cov);
            col += sunCol * smoothstep(-0.05 * y.y - pix, 0.0, d) * smoothstep(0.35, 0.8, lp.y) * cov
                 * exp(-abs(p.x - sunP.x) * 3.0) * 0.6 * glowAmt;
        }
    }
    // Two nearer ridges, each darker and less hazy than the one behind it,
    // their crests catching the sun, mist in the valleys between.
    if (seeA && p.y < mA + pix) {
        float below = mA - p.y;
        vec3 c = mix(airCol, lin(vec3(0.28, 0.18, 0.2)), 0.66);
        c *= 0.9 + 0.2 * vnoise(vec2(p.x * 10.0, below * 30.0));
        c += sunCol * 0.5 * exp(-below * 140.0) * exp(-abs(p.x - sunP.x) * 2.5) * glowAmt;
        c = mix(c, airCol * 0.95, smoothstep(0.004, 0.05, below) * 0.5);
        col = mix(col, c, smoothstep(mA + pix, mA - pix, p.y));
    }
    if (seeB && p.y < mB + pix) {
        float below = mB - p.y;
        vec3 c = mix(airCol, lin(vec3(0.28, 0.18, 0.2)), 0.78);
        c *= 0.9 + 0.2 * vnoise(vec2(p.x * 18.0, below * 30.0) + 9.0);
        c += sunCol * 0.5 * exp(-below * 100.0) * exp(-abs(p.x - sunP.x) * 2.5) * glowAmt;
        c = mix(c, airCol * 0.95, smoothstep(0.004, 0.05, below) * 0.4);
        col = mix(col, c, smoothstep(mB + pix, mB - pix, p.y));
    }

    // Contact shadows of the herd: under each body, and a streak from every
    // hoof towards us (the sun is behind them).
    float shadow = 0.0;
    if (hb > -0.06 && hb < 0.02) {
        float cell = floor((p.x - w * ADVANCE * YH) / GAP);
        float seed;
        vec4 y = yakAt(cell, w, 0.0, YH, GAP, seed);
        if (y.w > 0.5 && abs(p.x - y.x) < 0.9 * y.y) {
            float lx = (p.x - y.x) / y.y;
            float sh = exp(-pow(lx / 0.55, 4.0)) * exp(-max(-hb, 0.0) / (0.03 * y.y / YH)) * smoothstep(0.02, 0.0, hb);
            float stride = STRIDE * YH / y.y;
            for (int i = 0; i < 4; i++) {
                float fi = float(i);
                vec2 hip = vec2(i < 2 ? -0.40 + 0.09 * fi : 0.30 + 0.09 * (fi - 2.0), 0.42);
                vec2 f = foot(hip, y.z + (i == 0 ? 0.0 : i == 1 ? 0.5 : i == 2 ? 0.25 : 0.75), stride);
                float fx = y.x + f.x * y.y;
                float away = (p.x - fx) + 0.15 * (fx - sunP.x) * hb;      // leans away from the sun
                float streak = exp(-abs(away) / (0.008 + 0.06 * max(-hb, 0.0))) * exp(-max(-hb, 0.0) / 0.025) * 0.7;
                sh = max(sh, streak * exp(-f.y * 8.0) * smoothstep(0.01, -0.002, hb));
            }
            shadow = sh * smoothstep(-0.06, -0.035, hb);
        }
    }

    // Dust hanging in the air veils the distance and softens the sun.
    vec3 veilCol = mix(airCol, sunCol, 0.3 + 0.4 * toSun) * (0.8 + 0.6 * toSun);
    col = mix(col, veilCol, haze * (0.12 + 0.6 * smoothstep(0.62, 0.3, p.y)));

    // ----------------------------------------------------------- main ridge
    if (s > -0.012) {
        vec3 faceLo = lin(vec3(0.17, 0.12, 0.07)) * 0.22;
        if (s > -pix) {
            vec3 ground = mix(faceHi, faceLo, smoothstep(0.0, 0.17, s));
            ground += crestGold * exp(-max(s, 0.0) * 40.0) * (0.15 + 0.6 * toSun) * glowAmt;   // light through the crest grass
            // Drifts of lighter and darker grass, in perspective: finer towards the crest.
            vec2 gq = vec2(p.x * 12.0 / (1.0 + 10.0 * s), log(max(s, 0.0) + 0.025) * 3.0);
            if (p.y > 0.07) ground *= 0.7 + 0.6 * fbm(gq + vec2(3.0, 0.0), 2);   // lower down the near grass hides it
            ground *= 1.0 - 0.75 * shadow;
            col = mix(col, ground, smoothstep(-pix, pix, s));
        }
        // A fringe of fine grass along the crest, its tips glowing against the sky.
        if (s < pix) {
            float bw = max(0.0016, 2.5 * pix);
            float sx = p.x - (0.1 + 0.2 * iLevel) * max(-s, 0.0);
            float c = max(spikes(sx, -s, bw, 0.011, 11.0, pix), spikes(sx, -s, 0.7 * bw, 0.008, 11.5, pix));
            col = mix(col, faceHi * 0.8 + crestGold * (0.3 + 1.2 * toSun) * glowAmt * 0.5 * smoothstep(0.0, 0.008, -s), c);
        }
        // A row of short grass on the face between the crest and the herd's path.
        float l2 = mix(walk, cr, 0.45) + 0.003 * (vnoise1(p.x * 90.0) - 0.5);
        float y2 = p.y - l2;
        if (y2 < 0.01 && y2 > -pix) {
            float bw = max(0.0022, 2.5 * pix);
            float c = spikes(p.x - 0.15 * y2, y2, bw, 0.009, 21.0, pix);
            col = mix(col, faceHi * 0.75 + crestGold * 0.35 * toSun * glowAmt * smoothstep(0.0, 0.008, y2), c);
        }
    }

    // ----------------------------------------------------------------- dust
    // Trailing behind each yak from its hind hooves, rising as it drifts back,
    // the noise fixed to the ground so the herd walks out of its own cloud; a
    // puff from the hind hooves on every beat. Bass raises it, loudness a
    // little, and at the climax it lifts and swirls.
    float dustAmt = dust * (0.12 + 1.2 * iBass + 0.35 * iLevel) * (1.0 + 0.8 * clim);
    vec3 dustCol = mix(lin(STEPPE_OCHRE), sunCol, 0.6) * (0.5 + 1.8 * toSun) * (0.7 + 0.5 * glowAmt);
    float dustFront = 0.0;
    if (hb > -0.03 && hb < 0.3 && dustAmt > 0.01) {
        float x0 = w * ADVANCE * YH;
        float c0 = floor((p.x - x0) / GAP);
        float lift = min(dustAmt, 2.0) + 2.0 * clim;
        float plume = 0.0;
        for (int i = 0; i < 2; i++) {
            float seed;
            vec4 y = yakAt(c0 + float(i), w, 0.0, YH, GAP, seed);
            if (y.w < 0.5) continue;
            float b = (y.x - p.x) - 0.3 * y.y;    // distance behind the hind hooves
            if (b < -0.08) continue;
            float bb = max(b, 0.0);
            float rise = 0.01 + bb * (0.15 + 0.12 * lift);
            float th = 0.012 + bb * (0.22 + 0.1 * lift);
            float along = smoothstep(-0.05, 0.02, b) * exp(-bb / (0.1 + 0.03 * lift)) * smoothstep(GAP + 0.02, GAP - 0.15, b);
            float q = (hb - rise) / th;
            plume += along * exp(-q * q);
            // A puff from the hind hooves as they land on the beat.
            float ph = iBeatPhase;
            vec2 pq = vec2(b - 0.01 - 0.05 * ph, hb - 0.006 - 0.035 * ph) / (0.012 + 0.035 * ph);
            plume += 0.45 * exp(-ph * 2.5) * exp(-dot(pq, pq));
        }
        float amt = plume * min(dustAmt, 3.0) * smoothstep(-0.03, 0.0, hb) * smoothstep(0.3, 0.18, hb);
        if (amt > 0.01) {
            // The climax swirls it: the noise is turned around a point over the herd.
            vec2 sw = vec2(p.x - sunP.x * 0.8, hb - 0.12);
            vec2 dq = vec2(sunP.x * 0.8, 0.12) + sw * rot2(clim * 4.0 * exp(-length(sw) * 5.0));
            float dn = fbm(vec2(dq.x * 8.0 + t * 0.04, dq.y * 11.0 - t * 0.25), 2) + 0.12 * vnoise1(dq.x * 37.0 - dq.y * 20.0);
            float dv = smoothstep(0.25, 0.7, dn) * amt;
            col = mix(col, dustCol, clamp(dv * 0.8, 0.0, 0.8));
            dustFront = dv;
        }
    }
    // The rays reach down through the dust over the ridge.
    col += sunCol * rayMask * rayAmt * 0.5 * smoothstep(-0.01, 0.04, s) * smoothstep(-0.02, 0.1, hb) * min(dustAmt, 1.5);

    // ---------------------------------------------------------------- herd
    if (hb > -0.01 && hb < YH * 1.25) {
        float cell = floor((p.x - w * ADVANCE * YH) / GAP);
        float seed;
        vec4 y = yakAt(cell, w, 0.0, YH, GAP, seed);
        float gy = walkLine(y.x);
        float sl = walkSlope(y.x);                // sheared, not rotated: legs stay upright on the slope
        vec2 lp = vec2(p.x - y.x, p.y - gy - sl * (p.x - y.x)) / y.y;
        if (y.w > 0.5 && lp.x > -0.82 && lp.x < 1.0 && lp.y < 1.12 && lp.y > -0.03) {
            float stride = STRIDE * YH / y.y;
            float d = yak(lp, y.z, seed, stride) * y.y;
            if (abs(d) < 0.015 * y.y + pix) d += furOf(lp, cell, y.y);   // shaggy outline
            float cov = smoothstep(0.8 * pix, -0.8 * pix, d);
            if (cov > 0.0) {
                // Rim: the edge that faces the sun (the outline's normal is taken
                // as pointing away from the middle of the body).
                float rimW = (0.0025 + 0.0025 * toSun) * y.y / YH + 0.6 * pix;
                vec2 dirS = normalize(normalize(sunP - vec2(y.x, gy + 0.6 * y.y)) + vec2(0.0, 0.8));
                vec2 nrm = normalize((lp - vec2(0.0, 0.5)) * vec2(0.55, 1.0));
                float rim = smoothstep(-rimW - 0.5 * pix, -rimW + 0.5 * pix, d) * smoothstep(-0.2, 0.6, dot(nrm, dirS));
                float halo = smoothstep(-0.5 * rimW - pix, 0.0, d);         // backlit hair glows all round
                float legs = smoothstep(0.12, 0.3, lp.y);                   // less on the thin legs
                // Dark brown-black, the long hair in faint locks.
                float hair = vnoise(vec2(lp.x * 30.0, lp.y * 6.0) + cell) * smoothstep(0.5, 0.2, lp.y);
                vec3 yc = lin(vec3(0.1, 0.075, 0.06)) * (0.45 + 0.15 * hair);
                float backlit = 0.25 + 1.3 * toSun;
                yc += sunCol * (rim * (0.35 + 0.65 * legs) + halo * 0.25 * legs) * backlit * (0.6 + 0.3 * wm + 0.4 * inten + 0.6 * clim);
                col = mix(col, yc, cov);
            }
        }
    }
    // In a dust storm the herd itself is half lost in it.
    col = mix(col, mix(airCol, vec3(dot(airCol, vec3(0.3, 0.5, 0.2))), 0.5) * 0.6,
              0.15 * haze * haze * smoothstep(-0.03, 0.0, hb) * step(hb, YH * 1.25));
    // Thin dust in front of the hooves.
    if (dustFront > 0.0 && hb < 0.01) {
        col = mix(col, dustCol, clamp(dustFront * 0.2 * smoothstep(0.01, 0.0, hb), 0.0, 0.15));
    }

    // ---------------------------------------------------------------- grass
    // The face of the ridge below the herd: rows of short grass, finer with
    // distance. Then the foreground: two layers of long blades and tufts, the
    // near one larger and darker, their tips and edges lit from behind.
    vec3 gold = mix(lin(vec3(1.0, 0.6, 0.3)), lin(vec3(1.0, 0.78, 0.45)), wm);
    float tipGlow = (0.3 + 1.0 * toSun) * (0.6 + 0.5 * glowAmt) * (0.8 + 0.4 * iHigh);
    float wind = -(0.05 + 0.22 * iLevel) * (0.7 + 0.3 * sin(t * 1.3 + p.x * 2.0));
    vec3 farTone = mix(lin(vec3(0.5, 0.36, 0.22)), lin(vec3(0.56, 0.42, 0.2)), wm) * 0.34;
    vec3 nearTone = lin(vec3(0.1, 0.075, 0.05)) * 0.3;
    float dw = walk - W0;
    if (p.y < W0 + 0.01 && p.y > 0.08) {
        float L = 0.016, yr = W0 - 0.004;
        for (int j = 0; j < 4; j++) {
            float fj = float(j);
            float follow = 1.0 - 0.25 * fj;
            float seed = 3.0 + fj * 5.7;
            float ya = p.y - (yr + follow * dw);
            if (ya > -0.53 * L && ya < 0.73 * L) {
                ya -= 0.25 * L * (vnoise1(p.x / (3.0 * L) + seed) - 0.5);
                vec3 tone = mix(farTone, nearTone, smoothstep(W0 + 0.01, 0.02, p.y)) * (0.9 + 0.2 * fract(seed * 0.37));
                float clump = vnoise1(p.x / (1.2 * L) + seed * 2.0);
                float bw = 0.09 * L;
                float hs = 0.6 * L * (0.35 + 0.9 * clump);
                float sx = p.x + wind * 0.8 * max(ya, 0.0);          // the short blades lean too
                float cov = spikes(sx, ya, bw, hs, seed, pix);
                if (j > 1) cov = max(cov, spikes(sx, ya, 0.7 * bw, 0.75 * hs, seed + 0.5, pix));
                vec3 sw = tone * (0.75 + 0.4 * clump) + gold * tipGlow * (0.12 + 0.1 * fj) * smoothstep(0.3 * hs, hs, ya);
                col = mix(col, sw, cov);
            }
            if (j == 1) col *= 1.0 - 0.55 * shadow * step(p.y, W0);
            yr -= 0.8 * L;
            L *= 1.5;
        }
    }
    if (p.y < 0.225 || (p.y < 0.38 && abs(xc) > 0.25 * aspect)) {
        for (int k = 0; k < 2; k++) {
            float fk = float(k);
            float H = 0.085 + 0.095 * fk;
            float line = (0.12 - 0.1 * fk) + 0.025 * (vnoise1(p.x * (3.0 - fk) + 7.0 * fk) - 0.5);
            float edgeTall = 1.0 + (0.3 + 0.6 * fk) * smoothstep(0.25, 0.5, abs(xc) / aspect);  // taller at the sides
            H *= edgeTall;
            if (p.y < line + H + 0.01) {
                vec3 tone = mix(farTone * 0.5, nearTone * 0.6, fk);
                vec3 glow = gold * tipGlow * (0.45 + 0.3 * fk);
                float bw = 0.007 + 0.005 * fk;
                // Below the root line the grass is a dark mass.
                col = mix(col, tone * 0.7, smoothstep(line + 0.01, line - 0.03, p.y));
                // Sets of blades bending different ways cross into clumps.
                float leanN = 0.3 * (vnoise1(p.x * 3.0 + fk * 3.0) - 0.5) + wind * (0.8 + 0.4 * fk);
                for (int b = 0; b < 3; b++) {
                    if ((b == 2 && k == 0) || p.y < line - 0.03) break;
                    float fb = float(b);
                    float lean = (b == 0 ? -0.32 : b == 1 ? 0.36 : 0.12 * sin(p.x * 9.0)) + leanN;
                    vec4 bl = blades(p, line - 0.01 * fb, bw * (1.0 + 0.15 * fb), H * (1.0 - 0.12 * fb), lean, 0.16,
                                     11.0 + fk * 7.0 + fb * 3.3, pix);
                    if (bl.x > 0.0) {
                        vec3 c = mix(tone * 0.5, tone * mix(vec3(1.2), vec3(1.0, 1.25, 0.8), bl.w), bl.y);   // some blades still olive
                        c += glow * (smoothstep(0.35, 1.0, bl.y) * (0.15 + 0.5 * fract(bl.w * 7.3)) + bl.z * (0.15 + 0.5 * bl.y));
                        col = mix(col, c, bl.x);
                    }
                }
            }
        }
    }

    col *= 1.0 - 0.3 * pow(length((p - vec2(0.5 * aspect, 0.45)) / vec2(aspect, 1.0)) * 1.25, 2.0);
    col = tonemap(col * 1.25);
    fragColor = vec4(gammaEncode(col), 1.0);
}
