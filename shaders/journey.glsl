// Journey: the long road and the odd jobs. A construction site at night in a
// foreign city, in the rain: tower cranes stand black against a sky lit
// sodium-orange from below, the city's windows glow far off, an elevated
// train slides past with its cold fluorescent windows, and on the fourth
// floor of the unfinished frame a welder works alone.
//   note      -> the big crane slews its jib round with the melody (slew)
//   voiced    -> the welder's arc burns while a note sounds; level -> its glare (arc)
//   onset     -> the arc strikes: a blue-white flash and a burst of sparks
//   beat      -> a shower of sparks falls each beat; the cranes' red lights blink
//   intensity -> the city's glow, lit windows and rain (glow); climax -> the sky flares
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "sdf2d.glsl"

const float HZ = 0.2;          // horizon (far city's foot), fraction of the height
const float GY = 0.125;        // the near edge of the site: wet ground below

vec3 lin(vec3 c) { return c * c; }

const vec3 SODIUM = vec3(1.0, 0.50, 0.16);
const vec3 ARC = vec3(0.62, 0.85, 1.25);
const vec3 FLUO = vec3(0.70, 1.0, 0.88);

float gPix;

float cover(float d, float w) { return smoothstep(w + gPix, w - gPix * 0.5, d); }

// The sky's colour at height y: sodium haze at the horizon, rust, then dark.
vec3 skyAt(float y, float g) {
    float n = max(y - HZ, 0.0) / (1.0 - HZ);
    vec3 horizon = lin(SODIUM) * (0.45 + 0.9 * g);
    vec3 mid = lin(vec3(0.50, 0.20, 0.11)) * (0.55 + 0.7 * g);
    vec3 top = lin(vec3(0.10, 0.045, 0.07));
    vec3 c = mix(horizon, mid, smoothstep(0.0, 0.4, n));
    return mix(c, top, smoothstep(0.3, 1.0, n));
}

// A lattice boom (mast or jib) from a to b, half width wa..wb: chords and diagonals.
float lattice(vec2 p, vec2 a, vec2 b, float wa, float wb) {
    vec2 ab = b - a;
    float L = length(ab);
    vec2 dir = ab / L;
    vec2 q = p - a;
    float u = dot(q, dir);
    float v = dot(q, vec2(-dir.y, dir.x));
    float w = mix(wa, wb, clamp(u / L, 0.0, 1.0));
    if (u < -gPix * 2.0 || u > L + gPix * 2.0 || abs(v) > w + gPix * 2.0) return 0.0;
    float lw = max(w * 0.09, gPix * 0.45);
    float chord = abs(abs(v) - w * 0.92);
    float z = abs(fract(u / (1.8 * w)) - 0.5) * 2.0;
    float diag = abs(v / w * 0.5 + 0.5 - z) * w * 0.75;
    float d = min(chord, diag);
    float c = cover(d, lw);
    // Seen small, the lattice reads as a dim solid: keep some body.
    return max(c, smoothstep(2.5, 0.8, w / gPix) * 0.8 * step(abs(v), w));
}

// A tower crane at mast foot `base`, mast top `topY`, jib length `lj`, slewed to `a`.
// Returns its coverage; `lights` gets the red aviation lights and the cab window.
float crane(vec2 p, vec2 base, float topY, float lj, float a, float s,
            float blink, float t, out vec3 lights) {
    lights = vec3(0.0);
    float D = 2.6;                                  // camera distance, in screen units
    vec2 top = vec2(base.x, topY);
    vec2 dir3 = vec2(cos(a), sin(a));               // x and depth of the jib
    float kj = D / (D + lj * dir3.y);
    vec2 tip = vec2(base.x + lj * dir3.x * kj, HZ + (topY - HZ) * kj);
    float lc = lj * 0.32;
    float kc = D / (D - lc * dir3.y);
    vec2 ctip = vec2(base.x - lc * dir3.x * kc, HZ + (topY - HZ) * kc);
    vec2 apex = top + vec2(0.0, 0.085 * s);

    float bx0 = min(min(tip.x, ctip.x), base.x) - 0.05 * s;
    float bx1 = max(max(tip.x, ctip.x), base.x) + 0.05 * s;
    if (p.x < bx0 || p.x > bx1 || p.y > apex.y + 0.03) return 0.0;

    float c = 0.0;
    float mw = 0.016 * s;
    c = max(c, lattice(p, base, top, mw, mw));
    c = max(c, lattice(p, top, tip, 0.011 * s, 0.004 * s));
    // Counter-jib: a solid girder and the concrete counterweights under its end.
    c = max(c, cover(sdSegment(p, top, ctip), 0.0045 * s));
    vec2 cw = mix(top, ctip, 0.8) - vec2(0.0, 0.014 * s);
    vec2 dq = abs(p - cw) - vec2(0.022 * s * abs(dir3.x) + 0.008 * s, 0.014 * s);
    c = max(c, cover(max(dq.x, dq.y), 0.0));
    // The tower top and its pendant ties to the jib and counter-jib.
    c = max(c, cover(sdSegment(p, top, apex), 0.004 * s));
    c = max(c, cover(sdSegment(p, apex, mix(top, tip, 0.62)), 0.0012 * s));
    c = max(c, cover(sdSegment(p, apex, ctip), 0.0012 * s));
    // The cab, its window warm: somebody else on the night shift.
    vec2 cab = top + vec2(0.022 * s * sign(dir3.x + 0.001), -0.012 * s);
    vec2 cq = abs(p - cab) - vec2(0.011, 0.009) * s;
    c = max(c, cover(max(cq.x, cq.y), 0.0));
    vec2 wq = abs(p - cab - vec2(0.003 * s * sign(dir3.x + 0.001), 0.002 * s)) - vec2(0.006, 0.004) * s;
    lights += lin(vec3(1.0, 0.78, 0.45)) * 0.9 * cover(max(wq.x, wq.y), 0.0);

    // Trolley, hoist rope and a load of steel beams, swaying a little.
    float f = 0.68;
    float kt = D / (D + f * lj * dir3.y);
    vec2 tr = vec2(base.x + f * lj * dir3.x * kt, HZ + (topY - HZ) * kt);
    float drop = (0.26 + 0.03 * sin(t * 0.23)) * s * kt;
    float sway = 0.02 * sin(t * 0.9) * s;
    vec2 hook = tr + vec2(sway, -drop);
    c = max(c, cover(sdSegment(p, tr, hook), 0.0008 * s + gPix * 0.2));
    vec2 lq = p - hook - vec2(0.0, -0.012 * s);
    lq = rot2(sway * 2.0) * lq;
    c = max(c, cover(sdSegment(p, hook, hook + vec2(-0.03 * s, -0.012 * s)), 0.0006 * s + gPix * 0.2));
    c = max(c, cover(sdSegment(p, hook, hook + vec2(0.03 * s, -0.012 * s)), 0.0006 * s + gPix * 0.2));
    vec2 bq = abs(lq - vec2(0.0, -0.004 * s)) - vec2(0.055 * s * kt, 0.007 * s);
    c = max(c, cover(max(bq.x, bq.y), 0.0));

    // Aviation lights: jib tip, apex, counter-jib end, blinking with the beat.
    float r2 = gPix * gPix;
    vec3 red = lin(vec3(1.0, 0.12, 0.06));
    vec2 d1 = p - tip, d2 = p - apex - vec2(0.0, 0.004), d3 = p - ctip;
    float pts = exp(-dot(d1, d1) / (r2 * 2.5)) + exp(-dot(d2, d2) / (r2 * 2.5)) + exp(-dot(d3, d3) / (r2 * 2.5));
    float halo = exp(-length(d1) * 60.0) + exp(-length(d2) * 60.0) + exp(-length(d3) * 60.0);
    lights += red * (pts * 3.0 + halo * 0.5) * blink;
    return c;
}

// The far city: a row of blocks of hashed heights and their windows.
// Returns (coverage, window light) for a layer of `cw` wide blocks.
vec2 city(vec2 p, float cw, float hmin, float hmax, float seed, float litFrac) {
    float cx = floor(p.x / cw);
    float h0 = hash11(cx * 1.37 + seed);
    float h = hmin + (hmax - hmin) * h0 * h0;
    if (hash11(cx * 7.1 + seed) > 0.9) h *= 1.7;    // now and then a tower
    float fx = fract(p.x / cw);
    float inset = 0.06 + 0.1 * hash11(cx + seed * 3.0);
    float y = p.y - HZ;
    if (y > h || fx < inset * 0.3) return vec2(0.0);
    // windows
    vec2 wg = vec2((fx - inset) / (1.0 - inset) * 7.0, y / 0.011);
    vec2 wi = floor(wg), wf = fract(wg);
    float inWin = step(0.28, wf.x) * step(wf.x, 0.72) * step(0.3, wf.y) * step(wf.y, 0.78)
                * step(0.0, fx - inset) * step(y, h - 0.008);
    float on = step(hash12(wi + vec2(cx * 13.0, seed)), litFrac);
    return vec2(1.0, inWin * on * (0.5 + 0.5 * hash12(wi.yx + cx)));
}

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    float aspect = iResolution.x / iResolution.y;
    vec2 p = fragCoord / iResolution.y;
    float xc = p.x - 0.5 * aspect;
    gPix = 1.0 / iResolution.y;
    float t = iTime;
    float g = glow + 0.6 * iIntensity + 1.2 * iClimax; // the city's glow: intensity arc, climax
    float lvl = iLevel;

    // The welder's arc: burns while the sax sounds, strikes bright on onsets.
    vec2 W = vec2(0.5 * aspect - 0.235, GY + 4.0 * 0.072 + 0.028);
    float flick = 0.65 + 0.35 * vnoise1(t * 37.0) * vnoise1(t * 11.0 + 3.0);
    float A = arc * iVoiced * flick + 1.4 * iOnset;
    vec2 dW = p - W;
    float rW = length(dW * vec2(1.0, 1.15));
    float arcNear = A * exp(-rW * 25.0);
    float arcLight = A * (0.25 * exp(-rW * 14.0) + 0.02 * exp(-rW * 4.0));

    // ------------------------------------------------------------------ sky
    vec3 col = skyAt(p.y, g);
    {
        float n = max(p.y - HZ, 0.0) / (1.0 - HZ);
        // Low overcast lit from below by the city.
        vec2 cq = vec2(xc * 1.4 + t * 0.012, n * 3.2 + 0.3 * sin(xc * 1.7));
        float cl = fbm(cq, 3);
        float lit = exp(-n * 2.2);
        col *= 0.5 + 0.95 * cl;
        col += lin(SODIUM) * smoothstep(0.5, 0.8, cl) * lit * (0.12 + 0.15 * g);
        col += lin(vec3(1.0, 0.6, 0.3)) * iClimax * 0.25 * exp(-n * 3.0);
        // The arc lights the rain-haze around it, cold.
        col += lin(ARC) * arcLight * 0.5;
    }

    // ---------------------------------------------------------- far city
    float litFrac = 0.12 + 0.3 * min(g, 1.5);
    if (p.y < HZ + 0.26) {
        vec2 far = city(p + vec2(3.0, 0.0), 0.028, 0.015, 0.07, 1.0, litFrac);
        if (far.x > 0.0) {
            vec3 fc = mix(skyAt(HZ, g), lin(vec3(0.16, 0.07, 0.07)), 0.45);
            col = fc + lin(vec3(1.0, 0.8, 0.5)) * far.y * 0.35;
        }
        vec2 near = city(p + vec2(11.0, 0.0), 0.05, 0.03, 0.13, 5.0, litFrac * 0.8);
        if (near.x > 0.0) {
            vec3 nc = mix(skyAt(HZ, g), lin(vec3(0.07, 0.035, 0.045)), 0.78);
            float cool = step(0.7, hash11(floor((p.x + 11.0) / 0.05) * 3.3));
            vec3 wc = mix(lin(vec3(1.0, 0.78, 0.42)), lin(vec3(0.7, 0.85, 1.0)), cool);
            col = nc + wc * near.y * 0.75;
        }
    }

    // ------------------------------------------------- viaduct and the train
    {
        float deck = abs(p.y - 0.192) - 0.007;
        float pier = max(abs(fract(p.x / 0.16) - 0.5) * 0.16 - 0.006, p.y - 0.19);
        float vd = min(deck, pier);
        vec3 vc = lin(vec3(0.09, 0.045, 0.045));
        vc += lin(SODIUM) * 0.05 * smoothstep(0.185, 0.199, p.y);   // lit edge from below
        col = mix(col, vc, cover(vd, 0.0));

        float tx = 0.5 * aspect + 1.05 - mod(t, 12.0) * 0.3;          // the train's head
        float u = p.x - tx;
        if (u > -0.02 && u < 0.82 && p.y > 0.198 && p.y < 0.232) {
            float car = mod(u, 0.165);
            float body = step(car, 0.158) * step(p.y, 0.228 - 0.004 * smoothstep(0.0, -0.01, -u));
            float nose = smoothstep(0.0, 0.012, u) + step(0.01, u);
            body *= step(0.0, u + 0.002 * (p.y - 0.2) / 0.03);
            vec3 bc = lin(vec3(0.12, 0.10, 0.11));
            float wrow = step(0.207, p.y) * step(p.y, 0.221);
            float wx = fract(car / 0.014);
            float win = wrow * step(0.2, wx) * step(wx, 0.85) * step(0.01, car) * step(car, 0.148);
            bc += lin(FLUO) * win * (0.9 + 0.3 * lvl);
            col = mix(col, bc, body * min(nose, 1.0));
        }
        // Its headlight, and the glow of the windows in the rain.
        vec2 hd = p - vec2(tx - 0.003, 0.208);
        col += lin(vec3(1.0, 0.95, 0.8)) * (exp(-dot(hd, hd) / (gPix * gPix * 6.0)) * 2.0
               + exp(-length(hd * vec2(0.5, 2.0)) * 30.0) * 0.4);
        float along = clamp((p.x - tx) / 0.82, 0.0, 1.0);
        float inTrain = step(tx, p.x) * step(p.x, tx + 0.82);
        col += lin(FLUO) * 0.06 * inTrain * exp(-abs(p.y - 0.214) * 40.0) * (1.0 - 0.3 * along);
    }

    // ------------------------------------------------------- the far crane
    {
        vec3 li;
        float a2 = 0.5 + 0.25 * sin(t * 0.05);
        float blink = 0.3 + 0.7 * step(0.5, fract(t * 0.5 + 0.3));
        float c2 = crane(p, vec2(0.5 * aspect - 0.74, 0.17), 0.6, 0.38, a2, 0.62, blink, t + 5.0, li);
        vec3 cc = mix(skyAt(0.35, g), lin(vec3(0.06, 0.03, 0.04)), 0.72);
        col = mix(col, cc, c2) + li * 0.7;
    }

    // --------------------------------------------- the building under construction
    {
        float bx0 = 0.5 * aspect - 0.56, bx1 = 0.5 * aspect + 0.08;
        float fh = 0.072;
        float u = p.x - bx0;
        float yb = p.y - GY;
        float floorI = floor(yb / fh);
        float fy = yb - floorI * fh;
        float topSlab = 6.0 * fh;
        // slab extent: the top slab is only half poured
        float slabEnd = (floorI >= 6.0) ? 0.38 : (bx1 - bx0);
        float bay = 0.08;
        float colX = abs(mod(u + 0.004, bay) - 0.004);
        if (u > -0.01 && p.x < bx1 + 0.01 && yb > 0.0 && yb < topSlab + 0.07) {
            float solid = 0.0;
            float slab = step(fy, 0.011) * step(u, slabEnd) * step(0.0, u) * step(floorI, 6.0);
            float column = step(colX, 0.005) * step(yb, topSlab) * step(u, bx1 - bx0 + 0.004);
            // rebar above the top slab's columns and along its unpoured half
            float rebar = step(topSlab, yb) * step(yb, topSlab + 0.035 + 0.01 * hash11(floor(u / bay)))
                        * step(abs(colX - 0.003), 0.0011 + gPix * 0.5) * step(u, bx1 - bx0);
            float lower = step(floorI, 2.0);
            // The lower floors are closed in with boards and sheeting; a few bays lit inside.
            float bayI = floor(u / bay);
            float inside = lower * step(0.0, u) * step(u, bx1 - bx0) * step(yb, 3.0 * fh);
            float hb = hash12(vec2(bayI, floorI));
            vec3 bc = lin(vec3(0.05, 0.028, 0.03));
            vec3 ic = bc;
            if (inside > 0.0) {
                float lamp = step(hb, 0.2 + 0.25 * min(g, 1.0));
                vec3 lc = mix(lin(vec3(1.0, 0.72, 0.38)), lin(vec3(0.75, 0.9, 1.0)), step(0.85, fract(hb * 7.0)));
                float ux = fract(u / bay);
                // a bare lamp behind plastic sheeting: a soft hot spot, folds in the light
                vec2 lp = vec2((ux - 0.5 - 0.25 * (fract(hb * 13.0) - 0.5)) * bay, fy - fh * 0.72);
                float glowIn = lamp * (exp(-length(lp * vec2(1.0, 1.6)) * 38.0) * 1.3 + 0.12);
                float fold = 0.8 + 0.2 * sin(ux * 26.0 + hb * 10.0 + 3.0 * sin(fy * 60.0 + ux * 5.0));
                ic = bc * 1.2 + lc * glowIn * fold * 0.55;
                ic = mix(ic, bc, step(0.97, ux) + step(ux, 0.03));
            }
            solid = max(slab, max(column, rebar));
            vec3 sc = lin(vec3(0.07, 0.04, 0.04)) + lin(SODIUM) * 0.05 * step(fy, 0.004) * slab;
            // everything near the arc catches its cold light
            sc += lin(ARC) * (arcNear * 0.9 + arcLight * 0.15);
            ic += lin(ARC) * arcLight * 0.12;
            col = mix(col, ic, inside * (1.0 - solid));
            col = mix(col, sc, solid);
            // a work lamp hanging under the fifth slab, warm
            vec2 wl = p - vec2(bx0 + 0.43, GY + 5.0 * fh - 0.008);
            col += lin(vec3(1.0, 0.75, 0.45)) * (exp(-dot(wl, wl) / (gPix * gPix * 3.0)) * 1.5
                   + exp(-length(wl * vec2(0.7, 1.4)) * 30.0) * 0.25) * step(floorI, 5.0) * step(4.0, floorI);
        }
        // Scaffold and netting up the right-hand side.
        float sx = p.x - bx1;
        if (sx > 0.0 && sx < 0.05 && yb > 0.0 && yb < 5.0 * fh + 0.01) {
            float poles = cover(min(abs(sx - 0.006), abs(sx - 0.044)), 0.0012);
            float rails = cover(abs(fract(yb / (fh * 0.5)) - 0.5) * fh * 0.5 - fh * 0.25 + 0.0012, 0.0) * 0.0
                        + cover(abs(mod(yb, fh * 0.5)), 0.0013);
            float net = 0.35 + 0.1 * sin(yb * 300.0 + sx * 40.0);
            vec3 nc = lin(vec3(0.10, 0.16, 0.10)) * 0.6 + lin(ARC) * arcLight * 0.2;
            col = mix(col, nc, net * step(yb, 3.0 * fh));
            col = mix(col, lin(vec3(0.06, 0.04, 0.04)), max(poles, rails));
        }
    }

    // ------------------------------------------------ the welder and his arc
    {
        // He kneels by the column joint, mask down, lit from the front.
        vec2 q = (p - W) / 1.5;
        float head = length(q - vec2(-0.017, 0.016)) - 0.0065;
        float back = sdTaper(q, vec2(-0.02, 0.01), vec2(-0.026, -0.006), 0.0075, 0.006);
        float leg = sdTaper(q, vec2(-0.026, -0.006), vec2(-0.01, -0.014), 0.005, 0.004);
        float arm = sdTaper(q, vec2(-0.016, 0.008), vec2(-0.003, 0.002), 0.0028, 0.0022);
        float body = min(min(head, back), min(leg, arm)) * 1.5;
        vec3 fc = lin(vec3(0.05, 0.03, 0.03)) + lin(ARC) * A * 0.12 * smoothstep(-0.03, 0.0, q.x);
        col = mix(col, fc, cover(body, 0.0));

        // The arc: a white-blue point, a glare and the haze it lights.
        float r = length(dW);
        col += lin(ARC) * A * (exp(-r * r / (gPix * gPix * 4.0)) * 3.0 + 0.002 / (r + 0.003) * 0.5);
        col += lin(ARC) * arcLight * 0.2;
        // Strike: a burst of short rays on each onset.
        if (iOnset > 0.02 && r < 0.12) {
            float ang = atan(dW.y, dW.x);
            float k = floor(ang / TAU * 24.0);
            float rh = hash11(k + iOnsetCount * 3.7);
            float ra = (k + 0.5 + (rh - 0.5) * 0.6) / 24.0 * TAU;
            float da = abs(ang - ra) * r;
            float reach = (1.0 - iOnset) * 0.09 * (0.4 + 0.6 * rh) + 0.015;
            float ray = exp(-da * da / (gPix * gPix * 0.6)) * smoothstep(reach, reach * 0.4, r)
                      * smoothstep(reach * 0.2, reach * 0.5, r);
            col += lin(vec3(1.0, 0.85, 0.6)) * ray * iOnset * 2.5;
        }
        // Sparks: a shower thrown on every beat, arcing down off the slab edge.
        float age = iBeatPhase * 60.0 / max(iTempo, 60.0) + 0.02;
        float amount = clamp(0.25 + 0.9 * arc, 0.0, 1.6) * step(0.02, arc * max(iVoiced, 0.3));
        if (amount > 0.0 && dW.y < 0.05 && dW.y > -0.4 && abs(dW.x) < 0.3) {
            vec3 sp = vec3(0.0);
            for (int i = 0; i < 18; i++) {
                vec2 h = hash22(vec2(float(i) * 3.17, iBeatCount * 1.31 + 0.5));
                vec2 v0 = vec2((h.x - 0.35) * 0.45, 0.06 + 0.22 * h.y);
                float life = 0.35 + 0.7 * fract(h.x * 17.3 + h.y * 5.1);
                float a0 = age * (0.8 + 0.4 * h.y);
                vec2 g2 = vec2(0.0, -0.9);
                vec2 pa = v0 * a0 + 0.5 * g2 * a0 * a0;
                float a1 = max(a0 - 0.06, 0.0);
                vec2 pb = v0 * a1 + 0.5 * g2 * a1 * a1;
                float d = sdSegment(dW, pa, pb);
                float fade = smoothstep(life, life * 0.4, a0) * step(float(i), 6.0 + 12.0 * min(amount, 1.0));
                sp += mix(lin(vec3(1.0, 0.85, 0.5)), lin(vec3(1.0, 0.42, 0.1)), smoothstep(0.0, life, a0))
                    * exp(-d * d / (gPix * gPix * 0.7)) * fade;
            }
            col += sp * 3.0 * min(amount, 1.2);
        }
    }

    // ------------------------------------------------------ the big crane
    {
        vec3 li;
        float blink = 0.25 + 1.6 * iBeat;
        float c1 = crane(p, vec2(0.5 * aspect + 0.43, 0.07), 0.82, 0.66, slew, 1.0, blink, t, li);
        vec3 cc = lin(vec3(0.035, 0.02, 0.025)) + lin(SODIUM) * 0.04 * smoothstep(0.4, 0.0, p.y);
        col = mix(col, cc, c1) + li;
    }

    // ------------------------------------------------------- the wet ground
    if (p.y < GY + 0.003) {
        float depth = (GY - p.y) / GY;                 // 0 far .. 1 at the bottom
        vec2 gp = vec2(xc / (0.15 + depth), depth * 6.0);
        float wet = smoothstep(0.42, 0.58, fbm(gp * vec2(2.5, 1.6) + 2.0, 3));
        vec3 mud = lin(vec3(0.055, 0.035, 0.032)) * (0.5 + 0.6 * vnoise(gp * vec2(8.0, 5.0)));
        // Puddles mirror the sky (with rain rings shivering them) and the lights.
        float ry = GY + (GY - p.y) * 2.2;
        float ripple = 0.01 * sin(gp.y * 90.0 + t * 6.0 + 20.0 * vnoise(gp * 9.0 + t));
        vec3 refl = skyAt(ry + ripple, g) * 0.75;
        float tx = 0.5 * aspect + 1.05 - mod(t, 12.0) * 0.3;
        float inT = smoothstep(tx, tx + 0.02, p.x) * smoothstep(tx + 0.84, tx + 0.8, p.x);
        refl += lin(FLUO) * 0.3 * inT * exp(-abs(ry + ripple - 0.214) * 60.0) * (0.6 + 0.4 * sin(p.x * 449.0));
        // the mirrored silhouettes: building, its lit bays, the crane's mast, the viaduct
        float mx = p.x + ripple * 0.3;
        float bu = mx - (0.5 * aspect - 0.56);
        float byb = ry - GY;
        if (bu > 0.0 && bu < 0.64 && byb < 6.0 * 0.072) {
            float cx = abs(mod(bu + 0.004, 0.08) - 0.004);
            float closed = step(byb, 3.0 * 0.072);
            float bayLit = step(hash12(vec2(floor(bu / 0.08), floor(byb / 0.072))), 0.2 + 0.25 * min(g, 1.0));
            vec3 bl = lin(vec3(0.05, 0.028, 0.03)) + lin(vec3(1.0, 0.72, 0.38)) * 0.25 * bayLit * closed
                    * step(0.12, fract(bu / 0.08)) * step(0.01, fract(byb / 0.072));
            refl = mix(refl, bl * 0.8, max(closed, step(cx, 0.006)));
        }
        refl = mix(refl, vec3(0.004, 0.002, 0.002), step(abs(mx - (0.5 * aspect + 0.43)), 0.016) * step(ry, 0.82));
        refl = mix(refl, vec3(0.006, 0.003, 0.003), step(abs(ry - 0.192), 0.007) * 0.8);
        float sm = 1.0 / (1.0 + depth * 6.0);
        // the arc, the train and the lamp smeared down into the water
        float ax = p.x - W.x;
        refl += lin(ARC) * A * 0.5 * exp(-abs(ax + ripple) * 70.0) * sm;
        vec3 gcol = mix(mud, refl, wet);
        gcol += lin(SODIUM) * 0.02 * (1.0 - depth) * (1.0 - wet);
        gcol += lin(ARC) * arcLight * 0.6 * (1.0 - wet * 0.5);
        col = mix(col, gcol, smoothstep(GY + 0.003, GY - 0.002, p.y));
    }

    // ------------------------------------------------------------- rain
    {
        float dens = clamp(rain * (0.12 + 0.22 * g), 0.0, 0.9);
        float rl = 0.0;
        for (int j = 0; j < 2; j++) {
            float fj = float(j);
            float sc = 70.0 + 70.0 * fj;
            vec2 q = vec2((p.x + p.y * 0.13) * sc, p.y * (7.0 + 4.0 * fj) + t * (9.0 + 4.0 * fj));
            vec2 cell = floor(q);
            float h = hash12(cell + fj * 31.0);
            if (h < dens) {
                float xo = 0.2 + 0.6 * fract(h * 71.3);
                float dx = abs(fract(q.x) - xo) / sc;
                float yo = fract(h * 13.7);
                float fy = fract(q.y) - yo * 0.4;
                float streak = smoothstep(0.0, 0.15, fy) * smoothstep(0.6, 0.3, fy);
                rl += exp(-dx * dx / (gPix * gPix * (0.2 + 0.15 * fj))) * streak * (0.5 + 0.5 * fj);
            }
        }
        vec3 rc = lin(vec3(1.0, 0.7, 0.45)) * (0.045 + 0.03 * g) + lin(ARC) * arcLight * 1.5;
        col += rc * rl;
    }

    // Finish: a warm haze, vignette, tone map.
    col += lin(SODIUM) * 0.015 * (1.0 + g);
    vec2 vq = (p - vec2(0.5 * aspect, 0.5)) / vec2(aspect, 1.0);
    col *= 1.0 - 0.45 * pow(length(vq) * 1.3, 2.0);
    col = tonemap(col * 1.6);
    fragColor = vec4(gammaEncode(col), 1.0);
}
