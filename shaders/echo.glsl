// Echo: the moment after the last note. The empty stage in one warm
// spotlight, the saxophone on its stand with the bell catching the light,
// golden dust and confetti settling through the beam, rings of the applause
// still spreading across the boards into the dark hall, and above the bell
// the vortex's last breath curling away as smoke.
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "sdf2d.glsl"
#include "spectrum.glsl"

const float HORIZON = -0.02;         // where the stage floor meets the back curtain
const float CAM_H = 0.25;            // eye height over the floor (floor units)
const vec2 FOOT = vec2(-0.16, -0.24);// where the stand touches the floor, on screen
const vec2 APEX = vec2(0.42, 0.78);  // the lamp, off screen, up right
const float SAX = 1.15;              // size of the saxophone

vec3 lin(vec3 c) { return c * c; }

// Screen -> floor plane (x across, z into the hall's depth); z <= 0 above the horizon.
vec2 floorAt(vec2 uv) {
    float z = CAM_H / max(HORIZON - uv.y, 1e-3);
    return vec2(uv.x * z, z);
}

// The saxophone (alto, bell up) and its stand, in its own units: the foot at 0.
float saxSdf(vec2 q, out float stand) {
    float d = sdTaper(q, vec2(0.0, 0.31), vec2(0.016, 0.075), 0.008, 0.018);    // body
    vec2 bc = q - vec2(0.046, 0.075);                                           // the bow
    float bow = abs(length(bc) - 0.030) - 0.019;
    d = min(d, bc.y < 0.0 ? bow : 1e3);
    d = min(d, sdTaper(q, vec2(0.076, 0.075), vec2(0.094, 0.205), 0.020, 0.027)); // bell tube
    // The flare: a horn widening to the lip, flat on top, and the lip itself.
    vec2 fq = q - vec2(0.099, 0.232);
    float fy = clamp((fq.y + 0.027) / 0.054, 0.0, 1.0);
    float fw = 0.027 + 0.029 * fy * fy;
    d = min(d, max(abs(fq.x) - fw, abs(fq.y) - 0.027) * 0.8);
    d = min(d, sdEllipse(q - vec2(0.099, 0.259), vec2(0.058, 0.011)));
    d = min(d, sdTaper(q, vec2(0.0, 0.31), vec2(-0.038, 0.338), 0.008, 0.006));   // neck
    d = min(d, sdTaper(q, vec2(-0.038, 0.338), vec2(-0.062, 0.333), 0.007, 0.005)); // mouthpiece
    // Key cups along the body.
    for (int i = 0; i < 4; i++) {
        float k = 0.13 + 0.045 * float(i);
        d = min(d, length(q - vec2(0.02 - 0.06 * (k - 0.075), k)) - 0.0075);
    }
    // The stand: a cradle under the bow and three thin legs.
    float s = sdSegment(q, vec2(0.046, 0.02), vec2(0.046, 0.05)) - 0.004;
    s = min(s, sdSegment(q, vec2(0.046, 0.02), vec2(-0.025, 0.0)) - 0.0028);
    s = min(s, sdSegment(q, vec2(0.046, 0.02), vec2(0.118, 0.0)) - 0.0028);
    s = min(s, sdSegment(q, vec2(0.046, 0.02), vec2(0.05, -0.012)) - 0.0028);
    stand = s;
    return d;
}

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = (fragCoord - 0.5 * iResolution.xy) / iResolution.y;
    float aspect = iResolution.x / iResolution.y;
    float pix = 1.0 / iResolution.y;
    float t = iTime;

    // ---------------------------------------------------------- the light
    float note = boundNote(tint, 62.0);
    float pitch01 = smoothstep(48.0, 80.0, note);
    vec3 spotC = mix(lin(vec3(1.0, 0.66, 0.30)), lin(vec3(1.0, 0.56, 0.50)), pitch01);
    spotC = mix(spotC, lin(vec3(1.0, 0.86, 0.68)), 0.3 * smoothstep(0.2, 0.9, iBrightness));
    vec3 amber = lin(CLUB_AMBER);
    vec3 brass = lin(CLUB_BRASS);
    vec3 violet = lin(DUSK_VIOLET);
    float burst = iClimax;
    float power = 0.35 + 0.8 * glow + 0.2 * iLevel + 0.9 * burst;

    // The cone from the lamp down to the pool round the stand.
    vec2 pool = FOOT + vec2(0.07, 0.0);
    vec2 axis = normalize(pool - APEX);
    vec2 v = uv - APEX;
    float along = dot(v, axis);
    float perp = abs(v.x * axis.y - v.y * axis.x);
    float halfW = along * 0.21;
    float cone = smoothstep(halfW, halfW * 0.35, perp) * step(0.0, along);
    float haze = fbm(vec2(uv.x * 3.0 + t * 0.03, uv.y * 2.2 - t * 0.05), 3);
    float beam = cone * (0.35 + 0.9 * haze) * smoothstep(1.35, 0.3, along);

    // ---------------------------------------------------------- the room
    vec3 col;
    vec2 fl = floorAt(uv);
    vec2 footF = floorAt(FOOT);
    vec2 poolF = floorAt(pool);
    bool isFloor = uv.y < HORIZON;
    float spill = exp(-dot((uv - pool) * vec2(0.7, 1.0), (uv - pool) * vec2(0.7, 1.0)) * 3.5);
    if (!isFloor) {
        // The back curtain: deep velvet folds, lit only by what the pool throws up.
        float fold = 0.5 + 0.5 * sin(uv.x * 38.0 + 2.5 * sin(uv.x * 6.0 + 1.0) + 0.4 * haze);
        vec3 velvet = lin(vec3(0.30, 0.07, 0.08));
        col = velvet * (0.04 + 0.5 * spill * power) * (0.45 + 0.55 * fold * fold);
        col += violet * 0.012 * (1.0 - uv.y);
        // A faint band of light where the curtain meets the floor.
        col += spotC * exp(-(uv.y - HORIZON) * 30.0) * 0.25 * spill * power;
    } else {
        // Boards running into the depth, dark and waxed.
        float plank = fl.x / 0.16;
        float seam = smoothstep(0.0, 0.06 * fl.y, abs(fract(plank) - 0.5) * 2.0 - 0.9 + 0.06 * fl.y);
        float grain = 0.75 + 0.25 * hash11(floor(plank) + 3.0) + 0.1 * vnoise(vec2(plank * 6.0, fl.y * 1.5));
        vec3 wood = lin(vec3(0.42, 0.30, 0.21)) * mix(0.85, grain * (1.0 - 0.6 * (1.0 - seam)), smoothstep(4.0, 1.5, fl.y));
        vec2 dp = (fl - poolF) * vec2(1.0, 1.25);
        float pl = exp(-dot(dp, dp) / 0.075);
        float edge = smoothstep(0.42, 0.18, length(dp));
        float lit = pl * 1.2 + edge * 0.25;
        // The stand's shadow, thrown forward and left by the lamp.
        vec2 sd = fl - footF;
        vec2 sdir = normalize(vec2(-0.55, -0.5));
        float sa = dot(sd, sdir), sp = sd.x * sdir.y - sd.y * sdir.x;
        float shadow = 1.0 - 0.8 * smoothstep(0.0, 0.02, sa) * smoothstep(0.4, 0.0, sa) * exp(-sp * sp / (0.0012 + 0.004 * max(sa, 0.0)));
        col = wood * (0.03 + lit * power * shadow) * spotC * 2.2;
        // A soft sheen of the lamp on the wax.
        col += spotC * exp(-dot(dp * vec2(2.5, 0.8), dp * vec2(2.5, 0.8)) / 0.02) * 0.25 * power * shadow;
        // Confetti that has already come down, in the light.
        vec2 cg = fl * vec2(22.0, 14.0);
        vec2 cid = floor(cg);
        vec2 ch = hash22(cid + 7.0);
        if (ch.x < 0.18 + 0.2 * burst) {
            vec2 cf = rot2(ch.y * 6.0) * (fract(cg) - 0.5 - 0.25 * (hash22(cid) - 0.5));
            vec2 e = abs(cf) - vec2(0.16, 0.07);
            float piece = smoothstep(0.08, 0.0, length(max(e, 0.0)));
            vec3 pc = ch.y < 0.4 ? brass : (ch.y < 0.7 ? lin(vec3(0.9, 0.45, 0.5)) : lin(vec3(0.95, 0.85, 0.7)));
            col = mix(col, pc * (0.02 + lit * power * 0.9 * shadow), piece * smoothstep(0.5, 1.2, fl.y));
        }
    }

    // ---------------------------------------------------------- echo rings
    // One ring leaves the stand on every beat and spreads across the boards into
    // the dark hall; attacks brighten them, bass thickens them.
    {
        float dist;
        float scale;
        if (isFloor) { dist = length(fl - footF); scale = 1.0; }
        else {           // above the floor the rings hang in the air round the bell
            vec2 a = (uv - (FOOT + vec2(0.1, 0.27) * SAX)) * vec2(1.0, 1.6);
            dist = length(a) * 1.3; scale = 0.25;
        }
        float spacing = 0.55;
        float u = dist / spacing - iBeatPhase;
        float k = floor(u + 0.5);
        float off = u - k;
        float age = k + iBeatPhase;
        float id = floor(iBeatCount) - k;
        float width = 9.0 - 4.0 * iBass;
        float ring = exp(-off * off * width * width) * exp(-age * 0.55) * step(0.0, k);
        if (isFloor) ring *= smoothstep(2.4, 1.25, fl.y);
        float sv = 0.4 + 0.6 * bandLerp(hash11(id * 1.7) * 0.8);
        float glowR = (0.12 + 0.5 * echo + 0.6 * iBeat * exp(-age * 2.0) + 1.2 * burst) * sv;
        col += mix(amber, spotC, 0.5) * ring * glowR * scale * (0.35 + 0.65 * smoothstep(0.0, 0.3, dist));
    }

    // ---------------------------------------------------------- the beam
    col += spotC * beam * 0.16 * power;

    // ---------------------------------------------------------- the vortex's last breath
    // A thin curl of smoke spinning above the bell, higher on higher notes,
    // stronger as the set builds.
    {
        vec2 c = FOOT + vec2(0.12, 0.42 + 0.08 * pitch01) * SAX;
        vec2 p = (uv - c) * vec2(1.0, 1.3);
        float r = length(p);
        float a = atan(p.y, p.x);
        vec2 w = vec2(fbm(p * 5.0 + vec2(0.0, -t * 0.2), 2), fbm(p * 5.0 + vec2(5.2, 1.3 - t * 0.2), 2)) - 0.5;
        float arm = sin(a + 9.0 * log(r + 0.03) - t * 0.7 - 0.8 * iLevel + 7.0 * w.x);
        float smoke = smoothstep(0.2, 1.0, arm) * smoothstep(0.3, 0.9, 0.5 + w.y * 2.2 + 0.2 * arm) * (0.6 + 0.8 * w.x);
        float amt = exp(-r * 8.0) * smoothstep(0.01, 0.08, r) * (0.15 + 0.45 * glow + 1.5 * burst);
        col += mix(violet * 1.5, spotC, 0.25 + 0.5 * cone) * smoke * amt * (0.4 + 0.6 * power);
    }

    // ---------------------------------------------------------- the saxophone
    vec2 q = (uv - FOOT) / SAX;
    if (q.x > -0.09 && q.x < 0.18 && q.y > -0.03 && q.y < 0.36) {
        float stand;
        float d = saxSdf(q, stand);
        float e = 0.0015;
        float dx, dy;
        {
            float s2;
            dx = saxSdf(q + vec2(e, 0.0), s2) - d;
            dy = saxSdf(q + vec2(0.0, e), s2) - d;
        }
        vec2 n2 = normalize(vec2(dx, dy) + 1e-6);
        float h = clamp(-d / 0.02, 0.0, 1.0);
        float x = 1.0 - h;
        vec3 N = normalize(vec3(n2 * x, sqrt(max(1.0 - x * x, 0.0)) + 0.05));
        vec3 L = normalize(vec3(0.45, 0.85, 0.5));
        float diff = max(dot(N, L), 0.0);
        vec3 R = reflect(vec3(0.0, 0.0, -1.0), N);
        float spec = pow(max(dot(R, L), 0.0), 30.0);
        float up = smoothstep(0.0, 0.34, q.y);                  // the lamp is above: the top is lit
        float lampOn = power * (0.5 + 0.5 * up);
        // Polished brass mirrors the room: the dark hall, the lit boards below, the lamp.
        float boards = smoothstep(0.0, -0.7, R.y) * (1.0 - 0.6 * up);
        vec3 horn = brass * (0.012 + diff * 0.3 * lampOn + boards * 0.9 * power) * mix(spotC, vec3(1.0), 0.4)
                  + mix(spotC, vec3(1.0, 0.92, 0.8), 0.6) * spec * 1.6 * lampOn;
        // Bell's inside: dark, with a warm ring of reflected light near its lip.
        vec2 bq = q - vec2(0.099, 0.260);
        float rim = sdEllipse(bq, vec2(0.052, 0.008));
        float mouth = smoothstep(pix, -pix, rim + 0.004);
        horn = mix(horn, brass * 0.05 * lampOn, mouth * 0.85);
        horn += mix(brass, vec3(1.0, 0.9, 0.7), 0.5) * exp(-abs(rim) / 0.0025) * (0.6 + 0.4 * up) * lampOn * 0.9;
        float cover = smoothstep(pix, -pix, d * SAX);
        col = mix(col, horn, cover);
        // The stand: black steel with a line of light down its edge.
        float sc = smoothstep(pix, -pix, stand * SAX) * (1.0 - cover);
        col = mix(col, vec3(0.006, 0.005, 0.005) + spotC * 0.08 * lampOn * exp(-abs(stand) / 0.002), sc);
    }
    // The bell catches the lamp: a star on its lip that rings while a note sounds,
    // shimmering with the vibrato.
    {
        vec2 g = FOOT + vec2(0.148, 0.262) * SAX;
        vec2 gd = uv - g;
        float shimmer = 1.0 + 0.3 * sin(t * TAU * max(iVibratoRate, 4.0)) * smoothstep(0.0, 30.0, iVibratoDepth);
        float gl = (0.25 + 0.9 * iVoiced * iConfidence + 0.6 * iLevel + 1.5 * burst) * power * shimmer;
        float star = 0.00003 / (dot(gd, gd) + 0.00002);
        float rays = exp(-abs(gd.y) / 0.0012) * exp(-abs(gd.x) / 0.09) + exp(-abs(gd.x) / 0.0012) * exp(-abs(gd.y) / 0.05);
        col += mix(spotC, vec3(1.0, 0.93, 0.8), 0.6) * (star + 0.5 * rays) * gl;
        col += amber * exp(-length(gd) * 14.0) * 0.06 * gl;
    }

    // ---------------------------------------------------------- dust and confetti
    // Golden motes drifting down through the beam, more as the set builds;
    // highs make them glint.
    for (int L = 0; L < 2; L++) {
        float fl2 = float(L);
        float cs = 0.028 + 0.02 * fl2;
        vec2 dp2 = uv / cs + vec2(0.0, t * (0.25 + 0.15 * fl2)) + fl2 * 19.0;
        dp2.x += 0.4 * sin(dp2.y * 0.5 + t * 0.3);
        vec2 cid = floor(dp2);
        vec2 hh = hash22(cid);
        if (hh.x > 0.06 + 0.12 * glow + 0.2 * burst) continue;
        vec2 cf = fract(dp2) - 0.5 - 0.6 * (hash22(cid + 3.1) - 0.5);
        float tw = 0.5 + 0.5 * sin(t * (1.5 + 3.0 * hh.y) + hh.x * 40.0);
        float mote = exp(-dot(cf, cf) * (500.0 - 200.0 * fl2));
        col += mix(amber, spotC, 0.5) * mote * (0.01 + (cone + 0.05 * spill) * (0.6 + tw * (1.2 + 3.0 * iHigh)) * power) * (1.4 - 0.5 * fl2);
    }
    // Confetti still falling, turning as it comes down; the climax throws more.
    {
        float cs = 0.06;
        vec2 cp = uv / cs + vec2(0.0, t * 0.55) + 5.0;
        vec2 cid = floor(cp);
        vec2 h2 = hash22(cid + 0.5);
        if (h2.x < 0.07 + 0.35 * burst + 0.05 * glow) {
            vec2 cf = fract(cp) - 0.5 - 0.3 * (h2 - 0.5);
            cf.x += 0.2 * sin(t * 1.3 + h2.y * 20.0);
            float spin = t * (1.5 + 2.5 * h2.y) + h2.x * 30.0;
            cf = rot2(spin * 0.5) * cf;
            vec2 e = abs(cf) - vec2(0.13, 0.05 + 0.05 * abs(sin(spin)));
            float piece = smoothstep(0.04, 0.0, length(max(e, 0.0)) + min(max(e.x, e.y), 0.0));
            float glint = 0.3 + 0.7 * pow(abs(sin(spin)), 4.0);
            vec3 pc = h2.y < 0.4 ? brass : (h2.y < 0.7 ? lin(vec3(0.9, 0.45, 0.5)) : lin(vec3(0.95, 0.85, 0.7)));
            col = mix(col, pc * glint * (0.008 + 1.1 * cone * power + 0.1 * spill * power), piece);
        }
    }

    // ---------------------------------------------------------- the empty seats
    // The stage's front edge, and the backs of the empty front row black against it,
    // their tops catching a little of the light.
    {
        float lipY = -0.43;
        col *= smoothstep(lipY - 0.004, lipY + 0.004, uv.y);
        col += spotC * 0.05 * power * exp(-abs(uv.y - lipY) / 0.003) * exp(-uv.x * uv.x * 2.0);
        float sx = uv.x / 0.2 + 0.35;
        float cidx = floor(sx);
        float cx = (fract(sx) - 0.5) * 0.2;
        float top = -0.385 + 0.01 * (hash11(cidx + 2.0) - 0.5);
        vec2 b = vec2(abs(cx), uv.y - top + 0.2) - vec2(0.09, 0.2) + 0.045;
        float seat = length(max(b, 0.0)) + min(max(b.x, b.y), 0.0) - 0.045;
        float sc = smoothstep(pix, -pix, seat);
        float rimS = exp(-abs(seat) / 0.004) * smoothstep(top - 0.06, top, uv.y);
        vec3 back = lin(vec3(0.05, 0.012, 0.016)) * 0.2 + spotC * 0.12 * power * rimS * exp(-uv.x * uv.x);
        col = mix(col, back, sc);
    }

    // ---------------------------------------------------------- the lens
    col *= 1.0 - 0.55 * pow(length(uv / vec2(aspect, 1.0)) * 1.25, 2.0);
    col *= 1.5;
    float peak = max(col.r, max(col.g, col.b));
    col = mix(col / (1.0 + 0.6 * peak), tonemap(col), smoothstep(0.8, 3.0, peak));
    fragColor = vec4(gammaEncode(col), 1.0);
}
