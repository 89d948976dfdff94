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
    // Seen from above, from the north: the ground plane runs to the foot of the
    // range. The street grid is turned a little off the view, so the avenues
    // (running south to the peaks) converge just right of centre and the cross
    // streets slope gently instead of lying flat.
    vec3 sodium = lin(vec3(1.0, 0.58, 0.22));
    vec3 ledWhite = lin(vec3(1.0, 0.9, 0.75));
    vec3 haze = cityGlow * (0.05 + 0.05 * lit);
    if (y < HZ) {
        float dz = HZ - y;
        float Z = KZ / dz;                 // depth, in blocks
        float X = xc * Z;
        float xpx = 1.0 / (Z * pix);       // pixels per block across
        float zpx = KZ / (Z * Z * pix);    // pixels per block in depth
        float far = smoothstep(5.0, 40.0, Z);
        const float TH = 0.12;
        float gx = X * cos(TH) - Z * sin(TH) + 0.31;    // across the avenues
        float gz = X * sin(TH) + Z * cos(TH);           // along them, to the mountains

        // Districts: dense quarters, the darker private-house districts, parks.
        float dn = fbm(vec2(gx * 0.42, gz * 0.5) + vec2(3.0, 1.0), 3);
        dn = mix(dn, 0.52, smoothstep(20.0, 45.0, Z));           // too fine to see far off
        float centre = exp(-pow((gx - 1.0) / 5.0, 2.0) - pow((gz - 9.0) / 7.0, 2.0));
        float park = smoothstep(0.45, 0.39, dn) * (1.0 - 0.6 * far);
        float dens = clamp(smoothstep(0.47, 0.6, dn) * 0.9 + 0.1 + 0.5 * centre, 0.0, 1.0) * (1.0 - 0.95 * park);

        // The grid, in world units and in pixels.
        float ax = (fract(gx / 0.9 + 0.5) - 0.5) * 0.9;      // to the nearest avenue
        float aid = floor(gx / 0.9 + 0.5);
        float sz = (fract(gz / 0.55 + 0.5) - 0.5) * 0.55;    // to the nearest cross street
        float sid = floor(gz / 0.55 + 0.5);
        float lw = mix(1.5, 0.75, far);                       // line width, px
        float mainA = step(mod(aid, 3.0), 0.5);               // the big avenues
        float mainS = step(mod(sid + 1.0, 4.0), 0.5);
        // Block by block: some brighter, some asleep.
        float blk = hash12(vec2(floor(gx / 0.9), sid) + 4.0);
        dens *= mix(1.0, 0.35 + 0.9 * blk, 1.0 - far);
        float segA = 0.45 + 0.55 * hash12(vec2(aid, floor(gz / 2.2)) + 9.0);   // avenues vary along

        // The carpet: the averaged glow of countless small lights.
        vec3 c = lin(vec3(0.05, 0.045, 0.07)) * 0.08;
        float carpet = dens * dens * (0.03 + 0.12 * lit) * (0.3 + 0.9 * far);
        c += sodium * carpet;
        // Buildings line the streets: lights crowd towards them.
        float nearSt = max(exp(-ax * ax * 60.0), exp(-sz * sz * 80.0) * (1.0 - far));
        float ldens = dens * (0.04 + 0.2 * lit) * (0.45 + 0.8 * nearSt);
        // Near: lights anchored to the ground (they crowd in perspective).
        {
            vec2 g = vec2(gx * 7.0, gz * 5.0);
            vec2 cell = floor(g);
            float h = hash12(cell + 2.0);
            vec2 o = hash22(cell + 7.0) * 0.7 + 0.15;
            vec2 d = vec2((fract(g.x) - o.x) / 7.0 * xpx, (fract(g.y) - o.y) / 5.0 * zpx);   // px
            float rad = clamp(2.6 / Z * 2.0, 0.7, 2.2);
            float l = step(h, ldens * 2.2) * exp(-dot(d, d) / (rad * rad));
            float r = fract(h * 91.7);
            vec3 lc = r < 0.7 ? sodium : (r < 0.9 ? ledWhite : lin(vec3(0.75, 0.85, 1.0)));
            c += lc * l * (0.35 + 0.65 * fract(h * 317.3)) * (0.5 + 0.5 * lit) * smoothstep(1.5, 4.0, zpx / 5.0);
        }
        // Far: screen-space sparkle, smaller and denser with distance.
        vec3 pts = lightLayer(p, 230.0, ldens * (0.4 + 1.4 * far), pix * mix(1.0, 0.7, far), 0.0)
                 + lightLayer(p, 420.0, ldens * 1.3 * far, pix * 0.65, 19.0) * 0.7;
        c += pts * (0.3 + 0.8 * lit) * smoothstep(2.0, 6.0, Z);

        // Streets: threads of sodium lamps; the big avenues whiter and brighter.
        float adx = ax * xpx;                                  // px
        float aLine = exp(-adx * adx / (lw * lw));
        float aSp = 0.9 * xpx;
        aLine = mix(aLine, min(1.0, 1.8 * lw / aSp), smoothstep(4.0, 1.5, aSp));
        float lampD = (fract(gz / 0.18 + 0.5) - 0.5) * 0.18 * zpx;   // px to the next lamp
        float lamps = exp(-lampD * lampD / (lw * lw * 1.2));
        lamps = mix(lamps, 0.6, smoothstep(5.0, 2.0, 0.18 * zpx));
        float avenue = aLine * mix(0.5, 1.3, lamps) * mix(0.3, 1.0, dens) * mix(segA, 1.0, mainA) * (0.6 + 0.9 * mainA);
        float sdy = sz * zpx;
        float sLine = exp(-sdy * sdy / (lw * lw * 0.8));
        float sSp = 0.55 * zpx;
        sLine = mix(sLine, 0.0, smoothstep(5.0, 2.0, sSp));  // cross streets merge into the carpet
        float lampX = (fract(gx / 0.2 + 0.5) - 0.5) * 0.2 * xpx;
        float slamps = mix(exp(-lampX * lampX / (lw * lw * 1.2)), 0.6, smoothstep(5.0, 2.0, 0.2 * xpx));
        float street = sLine * mix(0.4, 1.2, slamps) * mix(0.2, 1.0, dens) * (0.4 + 0.8 * mainS) * (0.3 + 0.7 * blk);
        vec3 aCol = mix(sodium, ledWhite, 0.45 * mainA);
        c += (aCol * avenue * 0.5 + sodium * street * 0.32) * (0.28 + 0.32 * lit) * (1.0 - 0.45 * far) * (1.0 + 0.45 * beatFlash);

        // Traffic on the big avenues and on Al-Farabi across: white headlights
        // coming, red tail lights going.
        vec3 head = lin(vec3(1.0, 0.95, 0.85)) * 1.5;
        vec3 tail = lin(vec3(1.0, 0.13, 0.06)) * 1.4;
        float tr = traffic * (1.0 + 0.6 * beatFlash + 0.8 * iOnset);
        vec3 stream = vec3(0.0);
        {
            float hasT = mainA * step(abs(aid), 3.5);
            for (int l = 0; l < 2; l++) {
                float dir = l == 0 ? 1.0 : -1.0;
                float dx = (ax - dir * 0.045) * xpx;
                float w = exp(-dx * dx / (lw * lw * 0.6));
                float s = gz * 4.0 + dir * t * 3.0 + aid * 7.3;
                float cell = floor(s);
                float present = step(hash11(cell * 1.7 + aid + dir), 0.35 + 0.35 * clamp(traffic, 0.0, 1.5));
                float cd = (fract(s) - 0.5) / 4.0 * zpx;
                float car = exp(-cd * cd / (lw * lw));
                car = mix(car * present, 0.2 + 0.15 * clamp(traffic, 0.0, 1.5), smoothstep(4.0, 1.5, zpx / 4.0));
                stream += (l == 0 ? head : tail) * w * car * hasT;
            }
            // Al-Farabi, a cross avenue near the bottom.
            for (int l = 0; l < 2; l++) {
                float dir = l == 0 ? 1.0 : -1.0;
                float dy = (gz - 5.2 - dir * 0.03) * zpx;
                float w = exp(-dy * dy / (lw * lw * 0.7));
                float s = gx * 5.0 + dir * t * 3.5;
                float cell = floor(s);
                float present = step(hash11(cell * 2.3 + dir * 5.0), 0.4 + 0.35 * clamp(traffic, 0.0, 1.5));
                float cd = (fract(s) - 0.5) / 5.0 * xpx;
                float car = exp(-cd * cd / (lw * lw)) * present;
                stream += (l == 0 ? tail : head) * w * car * 0.8;
            }
        }
        c += stream * tr * (1.0 - 0.55 * far) * 0.8;

        // Fading into the haze at the foot of the mountains.
        c = mix(c, haze * (0.8 + 0.6 * dens), smoothstep(14.0, 90.0, Z) * 0.8);
        col = c;
    }
    // A warm glow hangs over the city.
    col += cityGlow * 0.06 * lit * exp(-abs(y - HZ + 0.02) * 14.0);

    // ---------------------------------------------------------------- towers
    // Standing in the city, bases lost in its lights. x, z (blocks), width,
    // height (blocks; the camera is ~0.9 blocks up): the two Almaty Towers far
    // left, the Esentai tower with its LED facade, the Hotel Kazakhstan and its crown.
    for (int k = 0; k < 4; k++) {
        vec4 T = k == 0 ? vec4(-2.7, 10.0, 0.2, 0.8)
               : k == 1 ? vec4(-2.3, 10.6, 0.2, 0.72)
               : k == 2 ? vec4(1.35, 6.2, 0.2, 1.2)
               :          vec4(-0.75, 4.6, 0.3, 0.75);
        float sx = T.x / T.y;
        float sb = HZ - KZ / T.y;
        float hw = 0.5 * T.z / T.y;
        float hh = T.w / T.y;
        vec2 q = vec2(xc - sx, y - sb);
        float u = q.x / hw;                     // -1..1 across
        float v = q.y / hh;                     // 0..1 up
        float topEdge = k == 2 ? 1.0 - 0.16 * (u + 1.0) * 0.5 : 1.0;   // Esentai's slanted top
        float aa = pix / hw;
        float inside = smoothstep(1.0 + aa, 1.0 - aa, abs(u)) * smoothstep(topEdge + pix / hh, topEdge - pix / hh, v);
        inside *= smoothstep(0.0, 0.22, v);     // the base sinks into the carpet of lights
        vec3 tc = lin(vec3(0.05, 0.06, 0.1)) * 0.22;
        tc += lin(vec3(0.4, 0.45, 0.7)) * 0.06 * smoothstep(0.2, -1.0, u) * (0.6 + 0.4 * moon);   // moonlit side
        tc += sodium * 0.05 * lit * exp(-v * 5.0);                                         // lit from below
        // Windows: lit ones change with the onsets.
        float floors = k == 2 ? 22.0 : 14.0;
        vec2 wg = vec2((u + 1.0) * (k == 3 ? 5.0 : 3.0), v * floors);
        vec2 wc = floor(wg);
        vec2 wf = fract(wg);
        float epoch = floor(iOnsetCount + hash11(wc.y * 3.1 + float(k)) * 4.0);
        float on = step(hash12(wc + float(k) * 13.0 + epoch * 0.37), 0.14 + 0.2 * lit);
        float pane = smoothstep(0.1, 0.3, wf.x) * smoothstep(0.9, 0.7, wf.x) * smoothstep(0.15, 0.35, wf.y) * smoothstep(0.85, 0.65, wf.y);
        vec3 wcol = mix(lin(vec3(1.0, 0.75, 0.45)), lin(vec3(0.85, 0.9, 1.0)), hash11(wc.x + wc.y * 7.0 + float(k)));
        tc += wcol * on * pane * 0.5 * (0.6 + 0.4 * lit);
        if (k == 2) {
            // LED facade: lit up to the pitch, in the colour of the note,
            // rippling with the vibrato; its edges always trace the outline.
            float lvl = pitchH * topEdge;
            float fill = smoothstep(lvl + 0.01, lvl - 0.01, v);
            float edgeGlow = exp(-abs(v - lvl) * 50.0) * hasNote;
            float bandLines = 0.55 + 0.45 * smoothstep(0.3, 0.0, abs(fract(v * 14.0 - t * 0.5) - 0.5));
            float led = (fill * bandLines * (0.45 + 0.55 * abs(u)) + edgeGlow * 1.5) * (1.0 + 0.25 * vib);
            float rim = smoothstep(0.75, 1.0, abs(u)) + smoothstep(topEdge - 0.04, topEdge, v);
            tc += nc * led * facade * 0.9 + mix(ledWhite, nc, hasNote) * rim * 0.2 * (0.2 + facade);
        }
        if (k < 2) tc += lin(vec3(0.75, 0.85, 1.0)) * 0.5 * smoothstep(0.93, 0.99, v) * (0.6 + 0.6 * beatFlash);   // lit crowns
        col = mix(col, tc, inside);
        if (k == 2) col += mix(ledWhite * 0.4, nc, hasNote) * exp(-length(vec2(q.x, (q.y - hh * max(pitchH, 0.5)) * 0.6)) * 45.0) * facade * 0.2;
        if (k == 3) {
            // The hotel's crown: an open arc of light on the roof.
            vec2 cq = vec2(u * 0.8, (v - 1.0) * hh / hw);
            float arc = abs(length(cq - vec2(0.0, -0.25)) - 0.62);
            float crown = exp(-arc * arc / 0.006) * step(-0.02, cq.y) * step(abs(cq.x), 0.8);
            vec3 gold = lin(CLUB_BRASS) * 1.2;
            col += mix(gold, nc, 0.45 * hasNote) * crown * (0.5 + facade * 0.8 + 0.6 * beatFlash);
        }
    }

    // ---------------------------------------------------------------- Kok-Tobe
    // The wooded hill in the foreground, bottom right, with the TV tower on top.
    {
        const float KX = 0.70;   // hill top
        float hx = xc - KX;
        float body = -0.06 + 0.31 * exp(-hx * hx * 5.0);
        float treeN = vnoise1(xc * 170.0);
        float hill = body + 0.012 * fbm1(xc * 22.0, 2) + 0.007 * treeN * treeN;   // crowns of trees
        float below = hill - y;
        float inHill = smoothstep(-pix, pix, below);
        vec3 hc = lin(vec3(0.035, 0.045, 0.06)) * 0.2;
        float canopy = vnoise(vec2(xc * 90.0, y * 110.0));
        float slopeL = smoothstep(0.0, -0.25, hx);                    // the slope facing the moon
        hc += lin(vec3(0.3, 0.36, 0.5)) * 0.025 * canopy * slopeL * (0.5 + 0.5 * moon);
        hc += lin(vec3(0.55, 0.62, 0.85)) * 0.09 * smoothstep(0.01, 0.0, below) * (0.35 + 0.65 * slopeL) * (0.5 + 0.5 * moon);   // moonlit rim
        hc += sodium * 0.04 * lit * smoothstep(0.12, 0.0, y) * smoothstep(0.2, -0.3, hx);   // the city's glow at its foot
        // A few houses and cafés in the trees.
        hc += lightLayer(p, 160.0, 0.01 + 0.015 * lit, pix * 1.2, 31.0) * 0.6 * smoothstep(0.0, 0.02, below);
        // The road winding up, its lamps.
        float roadY = body * (0.5 + 0.38 * smoothstep(-0.4, 0.0, hx)) + 0.006 * sin(xc * 45.0);
        float rd = (y - roadY) / pix;
        float lp = (fract(xc * 55.0) - 0.5) / 55.0 / pix;
        float lamp = exp(-(rd * rd + lp * lp) / 2.2) * step(0.02, below) * smoothstep(-0.42, -0.3, hx) * step(hx, 0.0);
        hc += lin(vec3(1.0, 0.7, 0.4)) * lamp * (0.9 + 0.6 * beatFlash) * (0.5 + 0.4 * lit);
        hc += lin(vec3(1.0, 0.6, 0.3)) * 0.05 * exp(-rd * rd / 30.0) * smoothstep(-0.42, -0.3, hx) * step(hx, 0.0) * step(0.02, below);
        col = mix(col, hc, inHill);

        // The cable car line down to the city, a lit cabin gliding along it.
        float cx0 = KX - 0.06, cy0 = body + 0.015;
        vec2 cdir = normalize(vec2(-0.6, -0.22));
        vec2 cp = vec2(xc - cx0, y - cy0);
        float along = dot(cp, cdir);
        float sag = 0.04 * along * (1.0 - along / 0.65);
        float cperp = (cp.x * cdir.y - cp.y * cdir.x + sag) / pix;
        float cable = exp(-cperp * cperp * 2.0) * step(0.0, along) * step(along, 0.65);
        col = mix(col, lin(vec3(0.04, 0.04, 0.06)) * 0.15, cable * 0.7);
        float cab = fract(t * 0.03);
        vec2 cabP = vec2(cx0, cy0) + cdir * cab * 0.65;
        cabP -= vec2(cdir.y, -cdir.x) * 0.04 * cab * 0.65 * (1.0 - cab);
        vec2 cbd = (vec2(xc, y) - cabP - vec2(0.0, -0.006)) / pix;
        col += lin(vec3(1.0, 0.8, 0.55)) * 0.7 * exp(-(cbd.x * cbd.x / 6.0 + cbd.y * cbd.y / 3.0));

        // The TV tower: a tapering lattice of three legs, rings, diagonals.
        float base = body - 0.005;
        float th = 0.36;
        float tx = xc - KX;
        float v = (y - base) / th;
        float vc = clamp(v, 0.0, 1.0);
        float hwT = mix(0.024, 0.0022, pow(vc, 0.65));
        float seg = fract(v * 14.0);
        float legs = exp(-pow((abs(tx) - hwT) / (pix * 0.9), 2.0)) + 0.7 * exp(-pow(tx / (pix * 0.8), 2.0)) * step(0.15, v);
        float bars = exp(-pow((seg - 0.5) * th / 14.0 / (pix * 0.7), 2.0)) * step(abs(tx), hwT);
        float diag = exp(-pow((abs(tx) - hwT * abs(seg * 2.0 - 1.0)) / (pix * 0.7), 2.0)) * step(abs(tx), hwT + pix);
        float decks = exp(-pow((v - 0.62) * th / (pix * 1.5), 2.0)) * step(abs(tx), hwT + 0.004)
                    + exp(-pow((v - 0.8) * th / (pix * 1.2), 2.0)) * step(abs(tx), hwT + 0.003);
        float mast = (legs + 0.55 * bars + 0.5 * diag + decks) * step(0.0, v) * step(v, 1.0);
        mast += exp(-pow(tx / (pix * 0.9), 2.0)) * step(1.0, v) * step(v, 1.15);   // the antenna
        mast = clamp(mast, 0.0, 1.0);
        col = mix(col, lin(vec3(0.06, 0.06, 0.1)) * 0.25, mast * 0.9);
        col += lin(vec3(0.55, 0.6, 0.85)) * 0.22 * mast * smoothstep(0.004, -0.008, tx) * (0.5 + 0.5 * moon);
        col += lin(vec3(1.0, 0.85, 0.7)) * 0.12 * mast * exp(-v * 6.0) * (0.5 + 0.5 * lit);   // floodlit foot   // moonlit legs
        col += sodium * 0.05 * lit * mast * exp(-v * 4.0);
        col += mix(ledWhite, nc, hasNote) * 0.25 * facade * mast * smoothstep(1.0, 0.3, v);   // its LED lighting sings the note too
        // Red aviation beacons up the legs and on the tip, flashing on the beat.
        float blink = 0.4 + 0.6 * pow(1.0 - fract(iBeatPhase), 3.0) + 1.2 * beatFlash;
        vec3 bsum = vec3(0.0);
        for (int i = 0; i < 4; i++) {
            float bv = i == 3 ? 1.15 : 0.22 + 0.26 * float(i);
            float bw = mix(0.024, 0.0022, pow(min(bv, 1.0), 0.65)) * (i == 3 ? 0.0 : 1.0);
            vec2 d1 = (vec2(abs(tx), y) - vec2(bw, base + th * bv)) / pix;
            float bd = dot(d1, d1);
            bsum += lin(vec3(1.0, 0.12, 0.08)) * (exp(-bd / 2.2) * 1.3 + exp(-sqrt(bd) * pix * 80.0) * 0.1);
        }
        col += bsum * blink;
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
