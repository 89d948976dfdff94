// Almaty: the city at night under the Zailiysky Alatau. The snow-capped range
// fills the sky behind, lit by the moon; below it the city's lights spread out
// in perspective, its avenues running straight towards the mountains with
// streams of cars; a few towers stand lit, and on the right the dark hill of
// Kok-Tobe carries the TV tower.
//   note / pitch  -> hue (pitch class) and height (pitch) of the LED facade of
//                    the tall tower; the hotel's crown takes the same colour
//   voiced        -> (binding `facade`) the facades glow while a note sounds
//   beat / onset  -> lamps and beacons flash on the beat; each onset switches
//                    windows on and off in the towers and flares the headlights
//   intensity     -> (binding `lights`) how much of the city is lit; the climax
//                    swirls the clouds and the falling snow into a vortex
//   level         -> (binding `traffic`) the traffic streams
//   brightness    -> (binding `moon`) moonlight on the snow
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"

const float HZ = 0.335;     // where the far city meets the foothills
const float KZ = 0.9;       // depth scale: Z = KZ / (HZ - y), in city blocks
const vec2 MOON = vec2(-0.50, 0.83);

vec3 lin(vec3 c) { return c * c; }

float ridged1(float x) {
    float v = 0.0, a = 0.5;
    for (int i = 0; i < 5; i++) {
        v += a * (1.0 - abs(2.0 * vnoise1(x) - 1.0));
        x = x * 2.3 + 13.3; a *= 0.56;
    }
    return v;
}

float ridged2(vec2 p) {
    float v = 0.0, a = 0.5;
    for (int i = 0; i < 3; i++) {
        v += a * (1.0 - abs(2.0 * vnoise(p) - 1.0));
        p = p * 2.1 + vec2(5.3, 1.7); a *= 0.5;
    }
    return v;
}

// Skyline of the main range.
float rangeH(float xc) {
    float r = ridged1(xc * 1.9 + 4.3);
    float env = 0.8 + 0.2 * sin(xc * 1.7 + 0.9);
    return 0.45 + 0.42 * env * pow(r, 1.6);
}

// Skyline of the dark, forested foothills in front of it.
float footH(float xc) {
    return HZ + 0.028 + 0.075 * fbm1(xc * 2.4 + 7.0, 3);
}

// The note's colour (pitch class round the wheel), for the LED facades.
vec3 noteColour(float pc) {
    return cosPalette(pc / 12.0, vec3(0.55), vec3(0.45), vec3(1.0), vec3(0.0, 0.33, 0.67));
}

// A layer of screen-space city lights: one possible light per cell.
vec3 lightLayer(vec2 p, float scale, float density, float pix, float seed) {
    vec2 g = p * scale;
    vec2 cell = floor(g);
    float h = hash12(cell + seed);
    if (h > density) return vec3(0.0);
    vec2 o = hash22(cell + seed + 3.0) * 0.6 + 0.2;
    vec2 d = (fract(g) - o) / scale;
    float r = fract(h * 71.3 / max(density, 1e-3));
    vec3 c = r < 0.55 ? lin(vec3(1.0, 0.66, 0.32)) : (r < 0.85 ? lin(vec3(1.0, 0.88, 0.7)) : lin(vec3(0.7, 0.85, 1.0)));
    float mag = 0.35 + 0.65 * fract(h * 313.7);
    return c * mag * exp(-dot(d, d) / (pix * pix * 0.9));
}

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    float aspect = iResolution.x / iResolution.y;
    vec2 p = fragCoord / iResolution.y;
    float xc = p.x - 0.5 * aspect;
    float y = p.y;
    float pix = 1.0 / iResolution.y;
    float t = iTime;

    float lit = clamp(lights, 0.0, 3.0);                 // how much of the city is on
    float beatFlash = pulse;
    float hasNote = step(1.0, iNote);
    float pc = mod(floor(iNote + 0.5), 12.0);
    vec3 nc = lin(noteColour(pc));
    float pitchH = clamp((iNote - 45.0) / 40.0, 0.08, 1.0) * hasNote;   // how high the facade is lit
    float vib = clamp(iCents / max(iVibratoDepth, 8.0), -1.0, 1.0) * step(0.5, iVibratoRate);

    // ---------------------------------------------------------------- sky
    float n = max((y - HZ) / (1.0 - HZ), 0.0);
    vec3 cityGlow = mix(lin(vec3(0.55, 0.32, 0.30)), lin(CLUB_AMBER), 0.45);
    vec3 col = mix(lin(vec3(0.16, 0.13, 0.24)), lin(NIGHT_BLUE) * 1.3, smoothstep(0.0, 0.45, n));
    col = mix(col, lin(vec3(0.015, 0.02, 0.06)), smoothstep(0.35, 1.0, n));
    col += cityGlow * exp(-n * 5.0) * (0.03 + 0.1 * lit) * (1.0 + 0.3 * iBass);
    vec2 dm = vec2(xc, y) - MOON;
    float rm = length(dm);
    col += lin(vec3(0.45, 0.55, 0.8)) * (0.05 * exp(-rm * 5.0) + 0.12 * exp(-rm * 22.0)) * (0.6 + 0.4 * moon);

    // Stars, fading into the glow over the city and round the moon.
    {
        vec2 sg = p * 95.0;
        vec2 sc = floor(sg);
        float sh = hash12(sc);
        vec2 so = hash22(sc + 5.0) * 0.7 + 0.15;
        vec2 sd = (fract(sg) - so) / 95.0;
        float tw = 0.55 + 0.45 * sin(t * (1.0 + 3.0 * fract(sh * 17.0)) + sh * 60.0);
        float star = step(0.972, sh) * exp(-dot(sd, sd) / (pix * pix * 1.1))
                   * (0.2 + 0.8 * pow(fract(sh * 37.0), 2.0)) * mix(1.0, tw * 1.5, 0.3 + 0.6 * iHigh);
        col += vec3(0.8, 0.85, 1.0) * star * smoothstep(0.25, 0.7, n) * smoothstep(0.08, 0.25, rm) * 0.9;
    }
    // The moon: a little past full, with its seas.
    if (rm < 0.037) {
        float disc = smoothstep(0.036, 0.0325, rm);
        float seas = fbm(dm * 70.0 + 3.0, 3);
        vec3 mc = lin(vec3(0.97, 0.95, 0.88)) * (1.5 - 0.6 * smoothstep(0.45, 0.7, seas));
        col = mix(col, mc * (0.8 + 0.3 * moon), disc);
    }

    // ---------------------------------------------------------------- the range
    float hR = rangeH(xc);
    if (y < hR + pix && y > HZ - 0.01) {
        float d = hR - y;
        // Faces and ridges: a ridged 2-D field, lit from the moon's side (left).
        vec2 mp = vec2(xc * 11.0 + 5.0 * d * sin(xc * 7.0), y * 6.0 + d * 3.0);   // couloirs run down the slopes
        float f0 = ridged2(mp);
        float fx = ridged2(mp + vec2(0.05, 0.0));
        float gx = (fx - f0) / 0.05;
        float face = clamp(0.6 * gx + 0.5 * exp(-d * 50.0), -1.0, 1.0);
        float moonlit = smoothstep(-0.3, 0.6, face);
        float snowLine = 0.54 + 0.05 * vnoise1(xc * 6.0);
        float snow = smoothstep(snowLine - 0.01, snowLine + 0.05, y + 0.08 * (f0 - 0.5));
        snow *= smoothstep(0.3, 0.55, f0 + 0.1 * gx);                                     // rock in the steep gullies
        vec3 snowCol = mix(lin(vec3(0.3, 0.36, 0.62)) * 0.12, lin(vec3(0.8, 0.87, 1.0)) * 0.5, moonlit * moonlit) * (0.45 + 0.6 * moon) * (0.65 + 0.9 * smoothstep(0.55, 0.8, y));
        vec3 rock = mix(lin(vec3(0.08, 0.09, 0.16)) * 0.2, lin(vec3(0.25, 0.27, 0.4)) * 0.2, moonlit);
        vec3 m = mix(rock, snowCol, snow);
        // Haze over the lower slopes, warmed by the city below.
        float lowHaze = exp(-(y - HZ) * 9.0);
        m = mix(m, col, 0.12 + 0.45 * lowHaze);
        m += cityGlow * lowHaze * (0.02 + 0.05 * lit);
        col = mix(col, m, smoothstep(hR + pix, hR - pix, y));
    }

    // ---------------------------------------------------------------- clouds
    // A bank of cloud lies along the range; the climax turns it into a vortex.
    {
        float band = exp(-pow((y - 0.565) / 0.055, 2.0));
        if (band > 0.03) {
            vec2 q = vec2(xc, y) - vec2(0.08, 0.6);
            float ang = (1.6 * iClimax + 0.35 * iIntensity) * exp(-length(q) * 3.0);
            q = rot2(ang) * q;
            vec2 cp = vec2(q.x * 2.6 + t * 0.012, q.y * 10.0);
            float cd = fbm(cp, 3);
            float cover = smoothstep(0.45, 0.72, cd) * band;
            float top = smoothstep(0.45, 0.75, cd) * smoothstep(0.53, 0.6, y);
            vec3 cc = mix(cityGlow * (0.04 + 0.05 * lit), lin(vec3(0.7, 0.76, 0.95)) * 0.32 * (0.5 + 0.6 * moon), top);
            col = mix(col, cc, cover * 0.75);
        }
    }

    // ---------------------------------------------------------------- foothills
    float hF = footH(xc);
    if (y < hF + pix && y > HZ - 0.01) {
        float d = hF - y;
        float tex = vnoise(vec2(xc * 140.0, y * 90.0));
        vec3 f = lin(vec3(0.06, 0.07, 0.12)) * (0.22 + 0.1 * tex);
        f += lin(vec3(0.4, 0.45, 0.65)) * 0.03 * smoothstep(0.015, 0.0, d);     // moonlit crest
        f += cityGlow * exp(-(y - HZ) * 30.0) * (0.04 + 0.06 * lit);
        f += lightLayer(p, 150.0, 0.02 + 0.03 * lit, pix, 11.0) * 0.5 * smoothstep(0.0, 0.01, d);   // dachas
        col = mix(col, f, smoothstep(hF + pix, hF - pix, y));
    }

    // ---------------------------------------------------------------- city
    if (y < HZ) {
        float dz = HZ - y;
        float Z = KZ / dz;                 // depth, in blocks
        float X = xc * Z;
        float far = smoothstep(6.0, 60.0, Z);
        vec3 c = mix(lin(vec3(0.07, 0.06, 0.1)) * 0.18, cityGlow * 0.11, far);
        c += cityGlow * 0.05 * lit * (0.3 + far);
        // Districts: dark parks and gardens near, denser lights in the centre.
        float district = mix(vnoise(vec2(X, Z) * 0.35), 0.6, smoothstep(8.0, 25.0, Z));
        float dens = (0.06 + 0.16 * lit) * smoothstep(0.25, 0.6, district);
        vec3 pts = lightLayer(p, 110.0, dens, pix, 0.0)
                 + lightLayer(p, 210.0, dens * (0.5 + 1.3 * far), pix, 7.0) * 0.8
                 + lightLayer(p, 380.0, dens * 1.1 * far, pix, 19.0) * 0.6;
        c += pts * (0.4 + 0.75 * lit) * (1.0 + 0.25 * beatFlash);

        // Streets: avenues run south to the mountains (they meet at the vanishing
        // point), streets cross them; sodium lamps along both.
        vec3 sodium = lin(vec3(1.0, 0.62, 0.25));
        float xa = abs(fract(X / 0.9 + 0.5) - 0.5) * 0.9 / Z;                   // screen distance to an avenue
        float lampZ = smoothstep(0.55, 0.95, abs(fract(Z / 0.35) * 2.0 - 1.0));
        float lampLod = smoothstep(2.0, 5.0, KZ * 0.35 / (Z * Z) / pix);
        float av = exp(-xa * xa / (pix * pix * 0.5)) * mix(0.45, 0.25 + 1.6 * lampZ, lampLod);
        float sSpace = KZ * 1.2 / (Z * Z);                                      // screen spacing of cross streets
        float sy = abs(fract(Z / 1.2 + 0.5) - 0.5) * sSpace;
        float cross = exp(-sy * sy / (pix * pix * 0.45)) * smoothstep(1.5, 4.0, sSpace / pix);
        cross *= mix(0.35, 0.15 + 1.2 * smoothstep(0.6, 0.9, abs(fract(X / 0.3) * 2.0 - 1.0)), smoothstep(2.0, 5.0, 0.3 / Z / pix));
        c += sodium * (av * 0.8 + cross * 0.35) * (0.25 + 0.3 * lit) * (1.0 - 0.6 * far) * (1.0 + 0.5 * beatFlash);

        // Traffic streams: two cross avenues (Al-Farabi, Abay) and two running to
        // the mountains; headlights white one way, tail lights red the other.
        vec3 head = lin(vec3(1.0, 0.95, 0.85)) * 1.4;
        vec3 tail = lin(vec3(1.0, 0.15, 0.08)) * 1.3;
        float tr = traffic * (1.0 + 0.6 * beatFlash + 0.8 * iOnset);
        vec3 stream = vec3(0.0);
        for (int i = 0; i < 2; i++) {
            float z0 = i == 0 ? 3.2 : 8.5;
            float lane = 0.07;
            float sZ = KZ / (Z * Z);
            for (int l = 0; l < 2; l++) {
                float zl = z0 + (l == 0 ? -lane : lane);
                float dy = (Z - zl) * sZ;
                float w = exp(-dy * dy / (pix * pix * 0.6));
                if (w < 0.01) continue;
                float dir = l == 0 ? 1.0 : -1.0;
                float s = X * 2.5 + dir * t * 1.6 + float(i) * 17.0;
                float cars = smoothstep(0.4, 0.9, vnoise1(s * 0.7)) * 0.9 + 0.06;
                cars *= 0.6 + 0.4 * step(0.5, fract(s * 3.0));
                stream += (l == 0 ? tail : head) * w * cars;
            }
        }
        for (int i = 0; i < 2; i++) {
            float x0 = i == 0 ? 0.8 : -4.0;
            for (int l = 0; l < 2; l++) {
                float xl = x0 + (l == 0 ? -0.06 : 0.06);
                float dx = (X - xl) / Z;
                float w = exp(-dx * dx / (pix * pix * 0.7));
                if (w < 0.01) continue;
                float dir = l == 0 ? 1.0 : -1.0;
                float s = Z * 1.3 + dir * t * 1.1 + float(i) * 31.0;
                float detail = smoothstep(1.0, 3.0, KZ * 1.3 / (Z * Z) / pix);
                float cars = mix(0.55, smoothstep(0.3, 0.8, vnoise1(s)) * 0.9 + 0.15, detail);
                stream += (l == 0 ? tail : head) * w * cars * (1.0 - 0.5 * far);
            }
        }
        c += stream * tr * 0.9;

        // Haze over the far city.
        c = mix(c, cityGlow * (0.06 + 0.06 * lit), smoothstep(25.0, 120.0, Z) * 0.7);
        col = c;
    }

    // ---------------------------------------------------------------- towers
    // x, z (blocks), width, height: far to near. 0,1 the Almaty Towers, 2 the
    // tall glass tower with the LED facade, 3 the Hotel Kazakhstan and its crown.
    for (int k = 0; k < 4; k++) {
        vec4 T = k == 0 ? vec4(-2.6, 11.0, 0.42, 1.9)
               : k == 1 ? vec4(-2.0, 11.5, 0.42, 1.75)
               : k == 2 ? vec4(1.55, 8.0, 0.42, 2.9)
               :          vec4(-0.6, 4.2, 0.55, 1.35);
        float sx = T.x / T.y;
        float sb = HZ - KZ / T.y;
        float hw = 0.5 * T.z / T.y * KZ;
        float hh = T.w / T.y * KZ;
        vec2 q = vec2(xc - sx, y - sb);
        if (abs(q.x) > hw * 1.4 || q.y < 0.0 || q.y > hh * 1.25) continue;
        float u = q.x / hw;                     // -1..1 across
        float v = q.y / hh;                     // 0..1 up
        float topEdge = 1.0;
        if (k == 2) topEdge = 1.0 - 0.12 * (u + 1.0) * 0.5;                     // slanted top
        float inside = step(abs(u), 1.0) * step(v, topEdge);
        vec3 tc = lin(vec3(0.05, 0.06, 0.1)) * 0.25;
        tc += lin(vec3(0.4, 0.45, 0.7)) * 0.05 * smoothstep(0.2, -1.0, u);       // moonlit edge
        // Windows: lit ones change with the onsets.
        float floors = k == 3 ? 26.0 : 36.0;
        vec2 wg = vec2((u + 1.0) * (k == 3 ? 7.0 : 5.0), v * floors);
        vec2 wc = floor(wg);
        vec2 wf = fract(wg);
        float epoch = floor(iOnsetCount + hash11(wc.y * 3.1 + float(k)) * 4.0);
        float on = step(hash12(wc + float(k) * 13.0 + epoch * 0.37), 0.25 + 0.25 * lit);
        float pane = smoothstep(0.15, 0.3, wf.x) * smoothstep(0.85, 0.7, wf.x) * smoothstep(0.2, 0.35, wf.y) * smoothstep(0.8, 0.65, wf.y);
        vec3 wcol = mix(lin(vec3(1.0, 0.78, 0.48)), lin(vec3(0.85, 0.9, 1.0)), hash11(wc.x + wc.y * 7.0 + float(k)));
        tc += wcol * on * pane * 0.55 * (0.6 + 0.4 * lit);
        if (k == 2) {
            // LED facade: lit up to the pitch, in the colour of the note,
            // rippling with the vibrato.
            float lvl = pitchH;
            float fill = smoothstep(lvl + 0.01, lvl - 0.01, v);
            float edgeGlow = exp(-abs(v - lvl) * 60.0);
            float bandLines = 0.55 + 0.45 * smoothstep(0.3, 0.0, abs(fract(v * 18.0 - t * 0.5) - 0.5));
            float led = (fill * bandLines * (0.5 + 0.5 * abs(u)) + edgeGlow * 1.5) * (1.0 + 0.25 * vib);
            tc += nc * led * facade * 0.9;
        }
        if (k == 0 || k == 1) {
            tc += lin(vec3(0.75, 0.85, 1.0)) * 0.6 * smoothstep(0.95, 1.0, v) * (0.6 + 0.6 * beatFlash);   // lit crowns
        }
        col = mix(col, tc, inside);
        // A glow round the lit top: the note's colour on the tall tower.
        if (k == 2) col += nc * exp(-length(vec2(q.x, (q.y - hh * pitchH) * 0.7)) * 45.0) * facade * 0.22;
        if (k == 3) {
            // The hotel's crown: an open arc of light on the roof.
            vec2 cq = vec2(u * 0.8, (v - 1.0) * hh / hw);
            float arc = abs(length(cq - vec2(0.0, -0.2)) - 0.62);
            float crown = exp(-arc * arc / 0.004) * step(-0.1, cq.y) * step(cq.y, 0.5);
            vec3 gold = lin(CLUB_BRASS) * 1.2;
            col += mix(gold, nc, 0.45) * crown * (0.5 + facade * 0.8 + 0.6 * beatFlash);
        }
    }

    // ---------------------------------------------------------------- Kok-Tobe
    {
        float hx = xc - 0.78;
        float hill = 0.02 + 0.27 * exp(-hx * hx * 9.0) + 0.012 * fbm1(xc * 20.0, 2);
        if (y < hill + pix) {
            vec3 hc = lin(vec3(0.04, 0.05, 0.08)) * 0.15;
            hc += lightLayer(p, 170.0, 0.008 + 0.012 * lit, pix, 31.0) * 0.6 * smoothstep(0.0, 0.02, hill - y);
            hc += lin(vec3(0.35, 0.4, 0.6)) * 0.04 * smoothstep(0.012, 0.0, hill - y);  // moonlit crest
            col = mix(col, hc, smoothstep(hill + pix, hill - pix, y));
        }
        // The TV tower: a tapering lattice mast.
        float tx = xc - 0.80;
        float base = 0.02 + 0.27 * exp(-0.02 * 0.02 * 9.0);
        float th = 0.33;
        float v = (y - base) / th;
        if (v > -0.05 && v < 1.15 && abs(tx) < 0.04) {
            float hwT = mix(0.022, 0.0025, pow(clamp(v, 0.0, 1.0), 0.7));
            float legs = exp(-pow((abs(tx) - hwT) / (pix * 0.8), 2.0));
            float bars = exp(-pow((fract(v * 9.0) - 0.5) * th / 9.0 / (pix * 0.7), 2.0)) * step(abs(tx), hwT);
            float diag = exp(-pow((abs(tx) - hwT * abs(fract(v * 9.0) * 2.0 - 1.0)) / (pix * 0.7), 2.0));
            float mast = (legs + 0.6 * bars + 0.5 * diag) * step(0.0, v) * step(v, 1.0);
            mast += exp(-pow(tx / (pix * 0.9), 2.0)) * step(1.0, v) * step(v, 1.12);
            col = mix(col, lin(vec3(0.05, 0.05, 0.09)) * 0.2, clamp(mast, 0.0, 1.0));
            col += lin(vec3(0.35, 0.4, 0.6)) * 0.15 * clamp(mast, 0.0, 1.0) * smoothstep(0.0, -0.02, tx);
        }
        // Red beacons, flashing on the beat.
        if (abs(tx) < 0.06 && v > -0.1 && v < 1.3) for (int i = 0; i < 4; i++) {
            float bv = float(i) / 3.0 * 1.1;
            float bw = mix(0.022, 0.0025, pow(min(bv, 1.0), 0.7));
            vec2 bp = vec2(0.80 + (i == 3 ? 0.0 : bw), base + th * bv);
            float bd = length(vec2(xc, y) - bp);
            float blink = 0.35 + 0.65 * pow(1.0 - fract(iBeatPhase + float(i) * 0.0), 3.0) + 1.2 * beatFlash;
            col += lin(vec3(1.0, 0.12, 0.08)) * (exp(-bd * bd / (pix * pix * 1.5)) * 1.2 + exp(-bd * 90.0) * 0.12) * blink;
        }
    }

    // ---------------------------------------------------------------- falling snow
    // Moonlit flakes drift down; the climax (and, a little, the intensity) swirls them.
    {
        vec2 sp = vec2(xc, y) - vec2(0.0, 0.45);
        float r = length(sp);
        float swirl = (2.2 * iClimax + 0.4 * iIntensity) * exp(-r * 1.8);
        sp = rot2(swirl + 0.15 * iClimax * t) * sp;
        for (int i = 0; i < 2; i++) {
            float sc = i == 0 ? 26.0 : 48.0;
            float sz = i == 0 ? 1.6 : 1.0;
            vec2 g = sp * sc + vec2(t * (0.25 + 0.2 * float(i)), t * (1.3 - 0.4 * float(i)));
            g.x += 0.3 * sin(g.y * 0.7 + float(i) * 2.0);
            vec2 cell = floor(g);
            float h = hash12(cell + float(i) * 41.0);
            if (h < 0.05 + 0.08 * iIntensity + 0.2 * iClimax) {
                vec2 o = hash22(cell + 9.0) * 0.7 + 0.15;
                vec2 d = (fract(g) - o) / sc;
                float flake = exp(-dot(d, d) / (pix * pix * sz * sz));
                vec3 fc = mix(cityGlow * 1.2, lin(vec3(0.8, 0.86, 1.0)), smoothstep(0.1, 0.5, y));
                col += fc * flake * (0.08 + 0.06 * moon) * (i == 0 ? 1.0 : 0.6);
            }
        }
    }

    // ---------------------------------------------------------------- finish
    vec2 vq = fragCoord / iResolution.xy - 0.5;
    col *= 1.0 - 0.45 * dot(vq, vq);
    col = tonemap(col * 1.25);
    col = gammaEncode(col);
    col += (hash12(fragCoord + fract(t) * 91.0) - 0.5) / 255.0;
    fragColor = vec4(col, 1.0);
}
