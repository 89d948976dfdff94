// Dawn: the family's yurt on the steppe at first light. We look east, into
// the light: the sun comes up behind the far hills as the music builds (the
// intensity arc), the herd gets up from the wet grass and lifts its heads on
// the beat, smoke climbs from the yurt's crown to the height of the melody and
// spreads there, catching the sun, and the open door glows with the hearth
// while a note sounds. Sholpan, the morning star, fades with the night.
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "sdf2d.glsl"
#include "spectrum.glsl"

vec3 lin(vec3 c) { return c * c; }   // palette colours are display-ish: rough linearisation

const float HZ = 0.42;                 // where the plain meets the hills
const float SUNX = 0.40;               // the sun's x (from the centre, in screen heights)
const vec2 YURT = vec2(-0.45, 0.19);  // centre of the yurt's base
const float YR = 0.16;                // half its width
const float YW = 0.088;                // wall height
const float YROOF = 0.085;             // rise of the domed roof over the wall

float farHills(float x) {
    float dx = x - SUNX;
    return HZ + 0.035 + 0.2 * fbm1(x * 1.5 + 4.0, 3) * smoothstep(-1.2, 0.1, x) - 0.07 * exp(-dx * dx * 12.0);
}
float nearHills(float x) { return HZ + 0.004 + 0.06 * fbm1(x * 2.4 + 11.0, 3) * smoothstep(-0.2, 0.9, x) + 0.02 * fbm1(x * 5.0, 2); }

// Sky (linear) at elevation n (0 horizon .. 1 top); d: offset from the sun; w: how warm the morning is.
vec3 skyColour(float n, vec2 d, float w, float glow) {
    vec3 top = mix(lin(vec3(0.09, 0.11, 0.28)), lin(vec3(0.26, 0.38, 0.64)), w);
    vec3 mid = mix(lin(vec3(0.45, 0.36, 0.60)), lin(vec3(0.74, 0.60, 0.70)), w);
    vec3 low = mix(lin(vec3(0.96, 0.58, 0.44)), lin(vec3(1.0, 0.80, 0.56)), w);
    vec3 c = mix(low, mid, smoothstep(0.0, 0.38, n));
    c = mix(c, top, smoothstep(0.25, 1.0, n));
    float r = length(d);
    vec3 sunC = lin(vec3(1.0, 0.72, 0.42));
    c += sunC * (exp(-r * 4.5) * 0.4 + exp(-r * 16.0) * 0.6) * glow;
    c += sunC * exp(-abs(d.y) * 20.0 - abs(d.x) * 1.1) * 0.3 * glow;   // the band of light along the hills
    return c;
}

// An animal in units of its height, facing +x, feet at y = 0.
// stand: 0 lying in the grass .. 1 up; head: 0 grazing .. 1 raised; sheep: 0 yak, 1 sheep.
float beast(vec2 q, float stand, float head, float sheep) {
    float by = mix(0.26, 0.56, stand);
    vec2 br = mix(vec2(0.62, 0.30), vec2(0.48, 0.29), sheep);
    float d = sdEllipse(q - vec2(0.0, by), br);
    d = smin(d, sdEllipse(q - vec2(0.24, by + 0.17), vec2(0.26, 0.2)) + sheep * 0.2, 0.08);   // a yak's hump
    vec2 nb = vec2(0.4, by + 0.08);
    vec2 hp = mix(vec2(0.78, 0.14 + 0.1 * (1.0 - stand)), vec2(0.72, by + 0.26), head);
    d = smin(d, sdTaper(q, nb, hp, 0.15, 0.1), 0.05);
    d = min(d, sdEllipse(q - hp - vec2(0.07, -0.02), vec2(0.15, 0.09)));
    if (sheep < 0.5) d = min(d, sdTaper(q, hp + vec2(-0.04, 0.06), hp + vec2(0.02, 0.2), 0.035, 0.01));   // horn
    if (stand > 0.3) {
        float lg = by - 0.1;
        d = min(d, sdTaper(q, vec2(-0.38, lg), vec2(-0.4, 0.0), 0.07, 0.05));
        d = min(d, sdTaper(q, vec2(-0.26, lg), vec2(-0.22, 0.0), 0.07, 0.05));
        d = min(d, sdTaper(q, vec2(0.28, lg), vec2(0.3, 0.0), 0.07, 0.05));
        d = min(d, sdTaper(q, vec2(0.4, lg), vec2(0.44, 0.0), 0.07, 0.05));
        d = max(d, -q.y);
    }
    return d;
}

// A row of animals along the plain: (coverage, sun-rim, sheep).
vec3 herd(vec2 p, float baseY, float H, float gap, float seed, float up, float stir, float pix) {
    float cell = floor(p.x / gap);
    float h = hash11(cell * 1.7 + seed);
    float h2 = hash11(cell * 3.1 + seed + 0.5);
    float h3 = hash11(cell * 5.3 + seed * 2.0);
    if (h > 0.78) return vec3(0.0);
    float cx = (cell + 0.5) * gap + (h - 0.5) * gap * 0.45;
    if (abs(cx - YURT.x) < YR + H * 1.5) return vec3(0.0);                // not in front of the yurt
    float gy = baseY + (h3 - 0.5) * H * 0.9;
    float size = H * (0.8 + 0.35 * h2) * (1.0 - (h3 - 0.5) * 0.3);
    vec2 q = vec2(p.x - cx, p.y - gy) / size;
    float face = fract(h * 13.0) > 0.5 ? -1.0 : 1.0;
    q.x *= face;
    if (abs(q.x) > 1.15 || q.y < -0.05 || q.y > 1.1) return vec3(0.0);
    float sheep = step(0.5, fract(h2 * 7.7 + seed));
    float stand = smoothstep(0.0, 0.2, up * 1.25 + 0.15 - h2);          // the sun gets them up, one by one
    float head = clamp(step(0.55, h3) + stir * step(0.35, fract(h * 5.1)) * 1.2, 0.0, 1.0);
    float d = beast(q, stand, head, sheep) * size;
    d += (vnoise(q * 14.0 + cell) - 0.5) * 0.05 * size * (0.5 + sheep);  // shaggy hair, wool
    float cov = smoothstep(pix * 0.7, -pix * 0.7, d);
    if (cov <= 0.0) return vec3(0.0);
    vec2 toSun = normalize(vec2((SUNX - p.x) * face, 0.7));
    float d2 = beast(q + toSun * 0.09, stand, head, sheep) * size;
    float rim = cov * smoothstep(-0.2 * pix, 1.2 * pix, d2);
    return vec3(cov, rim, sheep);
}

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    float aspect = iResolution.x / iResolution.y;
    vec2 p = fragCoord / iResolution.y;
    float xc = p.x - 0.5 * aspect;
    vec2 P = vec2(xc, p.y);
    float pix = 1.0 / iResolution.y;
    float t = iTime;

    // The intensity arc raises the sun; the climax flares it over the hills.
    float up = clamp(rise, 0.0, 1.5) + 0.35 * iClimax;
    float w = smoothstep(0.4, 1.15, up);
    float fhs = farHills(SUNX);
    vec2 sun = vec2(SUNX, fhs - 0.25 + 0.32 * up);
    float sunLight = smoothstep(-0.045, 0.03, sun.y - fhs);      // direct light once it clears the hills
    vec3 sunC = mix(lin(vec3(1.0, 0.56, 0.30)), lin(vec3(1.0, 0.80, 0.55)), w);
    float glow = 0.5 + 0.8 * up + 0.8 * iClimax;
    vec2 sd = P - sun;
    float sdist = length(sd);
    vec3 skyFill = mix(lin(vec3(0.46, 0.44, 0.66)), lin(vec3(0.72, 0.68, 0.80)), w);   // light from the open sky

    // ------------------------------------------------------------------ sky
    float n = max((p.y - HZ) / (1.0 - HZ), 0.0);
    vec3 col = skyColour(n, sd, w, glow);
    vec3 horizonSky = skyColour(0.03, vec2(xc - SUNX, fhs - sun.y), w, glow);

    if (p.y > HZ) {
        // Rays fanning from the sun behind the hills; they flare on the beat.
        float ang = atan(sd.y, sd.x);
        float ray = vnoise1(ang * 16.0 + 3.0) * (0.6 + 0.4 * vnoise1(ang * 37.0 - t * 0.1));
        ray = smoothstep(0.3, 0.75, ray) * exp(-sdist * 2.2) * smoothstep(-0.05, 0.1, sd.y);
        col += sunC * ray * (0.05 + 0.25 * stir + 0.5 * iClimax) * (0.4 + 0.6 * w);

        // The last stars, and Sholpan, the morning star, fading as the sun comes.
        float night = 1.0 - smoothstep(0.3, 0.9, up);
        vec2 sg = p * 80.0;
        vec2 sc = floor(sg);
        float sh = hash12(sc);
        vec2 so = hash22(sc + 7.0) * 0.7 + 0.15;
        vec2 sdd = (fract(sg) - so) / 80.0;
        float star = step(0.972, sh) * exp(-dot(sdd, sdd) / (pix * pix * 1.2)) * (0.25 + 0.75 * fract(sh * 37.0));
        col += vec3(0.8, 0.85, 1.0) * star * night * smoothstep(0.4, 0.9, n) * 0.7;
        vec2 vd = P - vec2(-0.05, 0.86);
        float venus = exp(-dot(vd, vd) / (pix * pix * 2.0)) + exp(-length(vd) * 60.0) * 0.15;
        col += vec3(1.0, 0.95, 0.9) * venus * (1.0 - smoothstep(0.2, 1.2, up)) * 1.2;

        // High streaks of cloud, lit pink and gold from below.
        float e = p.y - HZ;
        float band = smoothstep(0.07, 0.2, e) * smoothstep(0.58, 0.3, e);
        if (band > 0.0) {
            vec2 cq = vec2(xc * 1.7 + t * 0.01, e * 15.0);
            float cl = fbm(cq + 2.0, 3);
            float cloud = smoothstep(0.5, 0.78, cl) * band;
            float under = smoothstep(0.45, 0.75, fbm(cq + vec2(2.0, 2.8), 2));
            vec3 cLit = mix(lin(vec3(0.98, 0.50, 0.52)), lin(vec3(1.0, 0.80, 0.58)), w) * (0.55 + 1.1 * exp(-sdist * 1.8)) * (0.6 + 0.5 * glow);
            vec3 cShade = mix(lin(vec3(0.40, 0.30, 0.50)), lin(vec3(0.68, 0.56, 0.68)), w);
            col = mix(col, mix(cLit, cShade, under * 0.7), cloud * 0.85);
        }

        // The sun's disc (the hills cut it).
        float disc = smoothstep(0.036, 0.033, sdist);
        col = mix(col, mix(lin(vec3(1.0, 0.58, 0.3)) * 2.4, lin(vec3(1.0, 0.9, 0.72)) * 4.0, w), disc);
    }

    // -------------------------------------------------------------- hills
    float dxs = xc - SUNX;
    float fh = farHills(xc);
    if (p.y < fh + pix) {
        vec3 hc = mix(horizonSky * 0.8, lin(vec3(0.32, 0.26, 0.48)) * 0.4, 0.6);
        hc = mix(hc, horizonSky, 0.5 * smoothstep(fh - 0.08, fh, p.y));   // hazier towards the crest
        hc += sunC * smoothstep(fh - 0.007, fh, p.y) * exp(-dxs * dxs * 5.0) * (0.3 + 1.0 * sunLight) * glow * 0.6;
        col = mix(col, hc, smoothstep(fh + pix, fh - pix, p.y));
    }
    float nh = nearHills(xc);
    if (p.y < nh + pix) {
        vec3 hc = mix(horizonSky, lin(vec3(0.20, 0.18, 0.32)) * 0.3, 0.84);
        hc += sunC * smoothstep(nh - 0.004, nh, p.y) * exp(-dxs * dxs * 8.0) * 0.25 * glow;
        col = mix(col, hc, smoothstep(nh + pix, nh - pix, p.y));
    }

    // -------------------------------------------------------------- plain
    float sp = HZ - p.y;
    if (sp > 0.0) {
        vec2 wp = vec2(xc / sp, 1.0 / sp);
        vec3 farG = mix(horizonSky * 0.6, lin(vec3(0.26, 0.26, 0.40)) * 0.3, 0.6);
        vec3 nearG = mix(lin(vec3(0.16, 0.24, 0.24)) * 0.16, lin(vec3(0.32, 0.34, 0.20)) * 0.2, w);   // wet grass in blue shade
        vec3 g = mix(farG, nearG, 1.0 - exp(-sp * 14.0));
        float patchy = vnoise(wp * vec2(0.5, 0.25));
        float streak = vnoise(vec2(wp.x * 5.0, wp.y * 0.7));
        g *= 0.7 + 0.45 * patchy + 0.2 * streak;
        g = mix(g, lin(STEPPE_OCHRE) * (0.1 + 0.15 * w) * (0.6 + 0.6 * streak), 0.35 * smoothstep(0.45, 0.8, patchy) * exp(-sp * 5.0));   // drifts of dry grass
        float wave = sin(wp.x * 0.6 + wp.y * 0.5 - t * (0.6 + 0.8 * breeze));           // the breeze combing the grass
        g *= 1.0 + 0.12 * wave * smoothstep(0.0, 0.1, sp) * (0.3 + 0.5 * breeze);
        // Dew: a road of light on the wet grass, towards the sun.
        float path = exp(-pow(dxs / (0.04 + 0.8 * sp), 2.0)) * exp(-sp * 6.0);
        g += sunC * path * (0.2 + 0.7 * sunLight) * (0.5 + 0.6 * streak) * glow * 0.5;
        // The yurt's long shadow, cast towards us once the sun is up.
        vec2 yd = P - YURT;
        float along = -yd.y;
        float sx = yd.x + along * 0.5;
        float shadow = smoothstep(0.0, 0.02, along) * smoothstep(YR * (1.0 + along * 2.0), YR * 0.6, abs(sx)) * exp(-along * 5.0);
        g *= 1.0 - 0.45 * shadow * sunLight;
        // Firelight from the open door spilling onto the grass.
        vec2 fd = (P - YURT - vec2(0.004, -0.02)) / vec2(0.11, 0.035);
        g += lin(vec3(1.0, 0.55, 0.22)) * exp(-dot(fd, fd)) * 0.6 * hearth;
        col = mix(col, g, smoothstep(0.0, pix, sp));
    }

    // The far herd: yaks grazing under the hills, half in the mist.
    if (p.y > 0.29 && p.y < 0.38) {
        vec3 hd = herd(P, 0.322, 0.03, 0.1, 3.0, up, stir, pix);
        if (hd.x > 0.0) {
            vec3 bc = mix(lin(vec3(0.16, 0.13, 0.16)) * 0.45 + skyFill * 0.06, skyFill * 0.5, hd.z);
            bc += sunC * hd.y * (0.35 + 0.9 * sunLight) * glow * (0.7 + hd.z);
            col = mix(col, bc, hd.x);
        }
    }

    // Mist lying on the plain, lit by the light behind it.
    float me = p.y - HZ + 0.03;
    float menv = exp(-me * me / 0.0012);
    if (menv > 0.02) {
        float mn = fbm(vec2(xc * 2.6 - t * 0.03 * (0.3 + breeze), p.y * 22.0), 3);
        float mist = menv * smoothstep(0.4, 0.85, mn) * (0.7 - 0.35 * w);
        vec3 mistCol = mix(lin(vec3(0.80, 0.66, 0.80)), sunC * 1.4, 0.25 + 0.6 * exp(-abs(dxs) * 2.5)) * (0.6 + 0.4 * glow);
        col = mix(col, mistCol, mist * 0.75);
    }

    // -------------------------------------------------------------- yurt
    vec2 yd = P - YURT;
    float eave = 1.05;
    if (abs(yd.x) < YR * eave + pix && yd.y > -0.02 && yd.y < YW + YROOF + 0.02) {
        float u = yd.x / YR;
        float au = min(abs(u), 1.0);
        float ell = sqrt(1.0 - au * au);
        float baseY = -0.012 * ell;
        float wallTop = YW - 0.01 * ell;            // seen from a little above, the wall's top curves
        float ur = abs(yd.x) / (YR * eave);
        float rp = pow(min(ur, 1.0), 1.6);
        float roofTop = YW + YROOF * min(1.0 - rp, 0.93);
        float slope = YROOF * 1.6 * pow(min(ur, 1.0), 0.6) / (YR * eave);
        float covWall = clamp((YR - abs(yd.x)) / pix + 0.5, 0.0, 1.0) * clamp((yd.y - baseY) / pix + 0.5, 0.0, 1.0)
                      * clamp((wallTop - yd.y) / pix + 0.5, 0.0, 1.0);
        float covRoof = clamp((roofTop - yd.y) / (pix * sqrt(1.0 + slope * slope)) + 0.5, 0.0, 1.0)
                      * clamp((yd.y - wallTop + 0.003) / pix + 0.5, 0.0, 1.0) * step(ur, 1.0);
        vec3 felt = lin(vec3(0.94, 0.89, 0.82)) * (0.92 + 0.16 * vnoise(yd * 160.0));
        float sunSide = smoothstep(0.35, 1.0, u);
        // Wall: the sky lights its face, the sun rims its eastern side.
        vec3 wallC = felt * (skyFill * (0.22 + 0.2 * ell) + sunC * sunSide * sunSide * (0.2 + 0.8 * sunLight) * glow * 0.7);
        // The ornamented band under the roof: cream zigzag on red.
        float bv = (yd.y - (wallTop - 0.017)) / 0.013;
        if (bv > 0.0 && bv < 1.0) {
            float zig = abs(fract(yd.x / 0.02) - 0.5) * 2.0;
            float motif = smoothstep(0.28, 0.12, abs(zig - bv)) + smoothstep(0.2, 0.05, abs(zig - (1.0 - bv))) * 0.6;
            vec3 red = lin(vec3(0.66, 0.16, 0.10));
            vec3 bandC = mix(red, lin(vec3(0.95, 0.78, 0.45)), clamp(motif, 0.0, 1.0));
            wallC = bandC * (skyFill * (0.3 + 0.2 * ell) + sunC * sunSide * (0.2 + 0.8 * sunLight) * glow * 0.7);
        }
        wallC *= 0.6 + 0.4 * smoothstep(baseY, baseY + 0.012, yd.y);      // grass and shadow at its foot
        vec2 dg = (yd - vec2(0.004, 0.025)) / vec2(0.05, 0.04);
        wallC += lin(vec3(1.0, 0.55, 0.22)) * exp(-dot(dg, dg)) * 0.2 * hearth;   // firelight on the felt
        // The carved door, open on the hearth.
        float doorX = yd.x - 0.004;
        if (abs(doorX) < 0.02 && yd.y < 0.055) {
            vec3 wood = lin(vec3(0.72, 0.30, 0.12));
            float carve = step(0.5, fract((abs(doorX) + yd.y) / 0.012)) * step(0.004, abs(doorX)) * step(abs(doorX), 0.017);
            wood *= 0.7 + 0.3 * carve;
            vec3 doorC = wood * (skyFill * 0.35 + lin(vec3(1.0, 0.55, 0.22)) * 0.1 * hearth);
            float flick = 0.85 + 0.15 * sin(t * 7.0) * sin(t * 11.3 + 1.0);
            vec3 fire = lin(vec3(1.0, 0.56, 0.2)) * (0.25 + 1.8 * hearth) * flick
                      * (0.6 + 0.4 * smoothstep(0.055, 0.0, yd.y));
            float opening = step(doorX, 0.009) * step(-0.011, doorX) * step(yd.y, 0.048);
            doorC = mix(doorC, fire, opening);
            float frame = step(0.018, abs(doorX)) + step(0.052, yd.y);
            wallC = mix(doorC, wood * skyFill * 0.25, clamp(frame, 0.0, 1.0));
        }
        // Roof: faces the sky, so it is brighter; ropes run down from the crown; the sun catches its top.
        float ry = (yd.y - YW) / YROOF;
        vec3 roofC = felt * (skyFill * (0.42 + 0.18 * ry) + sunC * (sunSide * 0.8 + 0.35 * ry) * (0.15 + 0.85 * sunLight) * glow * 0.6);
        float s = yd.x / (YW + YROOF + 0.05 - yd.y);
        float rope = smoothstep(0.09, 0.0, abs(fract(s * 2.2 + 0.5) - 0.5)) * step(0.05, ry);
        roofC *= 1.0 - 0.45 * rope;
        float belt = smoothstep(0.008, 0.0, abs(yd.y - YW - YROOF * 0.18 + 0.004 * ell));
        roofC = mix(roofC, lin(vec3(0.55, 0.14, 0.09)) * (skyFill * 0.45 + sunC * sunSide * sunLight * 0.6), belt * 0.9);
        // The shanyrak: the wooden crown ring the smoke leaves through.
        vec2 cr = (yd - vec2(0.0, YW + YROOF * 0.93)) / vec2(0.026, 0.007);
        float ring = smoothstep(1.1, 0.9, length(cr));
        roofC = mix(roofC, lin(vec3(0.30, 0.16, 0.10)) * (skyFill * 0.4 + sunC * 0.4 * sunLight), ring);
        col = mix(col, roofC, covRoof);
        col = mix(col, wallC, covWall);
    }

    // -------------------------------------------------------------- smoke
    float crownY = YURT.y + YW + YROOF * 0.93;
    float note = boundNote(melody, 60.0);
    float noteN = clamp((note - 36.0) / 40.0, 0.0, 1.0);
    float L = mix(0.06, 0.48, noteN);    // the melody sets how high it climbs
    float hgt = p.y - crownY;
    float bend = 0.35 + 0.45 * breeze;
    float xTop = YURT.x - bend * L * 0.8;
    if (hgt > -0.004 && hgt < L + 0.16 && xc < YURT.x + 0.25) {
        float hr = max(hgt, 0.0);
        float cxh = YURT.x - bend * hr * hr / (L + 0.05) + 0.01 * sin(hr * 28.0 - t * 1.7) * smoothstep(0.0, 0.05, hr);
        float wid = 0.013 + 0.12 * hr;
        float dxc = (xc - cxh) / wid;
        float column = exp(-dxc * dxc) * smoothstep(L + 0.04, L - 0.04, hgt) * smoothstep(-0.004, 0.01, hgt);
        // At its height the smoke spreads into a long layer drifting downwind.
        float al = xTop - xc;
        float thick = 0.024 + 0.08 * max(al, 0.0);
        float ly = (hgt - L - 0.02 - 0.05 * max(al, 0.0)) / thick;
        float layer = exp(-ly * ly) * smoothstep(-0.05, 0.06, al) * exp(-max(al, 0.0) * 0.9);
        float dens = max(column, layer);
        if (dens > 0.01) {
            float sn = fbm(vec2((xc + t * 0.02 * bend) * 11.0, (hgt - t * 0.035) * 8.0), 3);
            dens *= smoothstep(0.12, 0.6, sn) * 1.6;
            float litH = fhs + 0.16 - 0.2 * up - 0.1 * noteN;                          // above this the sun reaches the smoke
            float lit = smoothstep(litH - 0.05, litH + 0.05, p.y);
            vec3 shade = mix(lin(vec3(0.50, 0.44, 0.62)), lin(vec3(0.74, 0.68, 0.78)), w) * 0.5;
            vec3 litC = mix(lin(vec3(1.0, 0.62, 0.62)), sunC, 0.5) * (0.6 + 0.9 * exp(-sdist * 1.5)) * glow * (0.6 + 0.5 * noteN);   // high notes glow
            vec3 smokeC = mix(shade, litC, lit * 0.85);
            smokeC += lin(vec3(1.0, 0.5, 0.2)) * hearth * 0.5 * exp(-hgt * 14.0);   // the hearth lights it from below
            col = mix(col, smokeC, clamp(dens * 0.9, 0.0, 0.9));
        }
    }

    // The near herd: sheep and yaks waking in the grass beside the yurt.
    if (p.y > 0.09 && p.y < 0.26) {
        vec3 hd = herd(P, 0.14, 0.075, 0.24, 11.0, up, stir, pix);
        if (hd.x > 0.0) {
            vec3 yakC = lin(vec3(0.14, 0.10, 0.10)) * 0.35 + skyFill * 0.03;
            vec3 sheepC = lin(vec3(0.82, 0.76, 0.72)) * skyFill * 0.45;
            vec3 bc = mix(yakC, sheepC, hd.z);
            bc += sunC * hd.y * (0.3 + 0.9 * sunLight) * glow * (0.6 + 0.8 * hd.z);
            col = mix(col, bc, hd.x);
        }
    }

    // -------------------------------------------------- foreground grass and dew
    if (p.y < 0.12) {
        float inGrass = 0.0, tip = 0.0, dew = 0.0;
        float sc = 70.0;
        float gx = p.x * sc;
        float gi = floor(gx);
        for (int o = -1; o <= 1; o++) {
            float ci = gi + float(o);
            vec2 hh = hash22(vec2(ci, 4.0));
            float hgtB = 0.04 + 0.075 * hh.y * hh.y;
            float v = p.y / hgtB;
            if (v > 1.0) continue;
            float lean = (hh.x - 0.5) * 1.6 + (0.25 + 0.35 * breeze) * sin(t * 0.9 + ci * 0.35);
            float bx = ci + 0.5 + (hh.x - 0.5) * 0.5 + lean * v * v;
            float hw = (0.16 + 0.12 * hh.y) * (1.0 - v);
            float dd = abs(gx - bx) / sc;
            float c = smoothstep(hw / sc + pix * 0.6, hw / sc - pix * 0.6, dd);
            inGrass = max(inGrass, c);
            tip = max(tip, c * smoothstep(0.5, 1.0, v));
            // A drop of dew near the tip, glinting; it sparkles on each onset.
            vec2 dp = vec2((gx - (bx - lean * 0.03)) / sc, p.y - hgtB * 0.86);
            float has = step(0.8, fract(hh.x * 17.0));
            dew = max(dew, has * exp(-dot(dp, dp) / (pix * pix * 1.2)) * (0.2 + 0.2 * sin(t * 3.0 + ci) + 1.5 * iOnset));
        }
        vec3 gcol = lin(vec3(0.10, 0.12, 0.11)) * 0.35 + skyFill * 0.02 + sunC * tip * 0.12 * glow;
        col = mix(col, gcol, inGrass);
        col += mix(vec3(1.0), sunC, 0.4) * dew * 0.9;
    }

    col += sunC * iClimax * 0.12 * (0.4 + exp(-sdist * 2.0));           // the climax floods the steppe with gold
    col *= 1.0 - 0.28 * pow(length((p - vec2(0.5 * aspect, 0.5)) / vec2(aspect, 1.0)) * 1.3, 2.0);   // gentle vignette
    col = tonemap(col * 1.2);
    fragColor = vec4(gammaEncode(col), 1.0);
}
