// Club: the smoky jazz club in Almaty on the night of the concert. A single
// spotlight falls from above through layers of drifting smoke onto the small
// stage where he plays, a silhouette with the light along his edges. Behind
// him the room is out of focus: the bar's lamps and bottles on the left,
// strings of bulbs under the ceiling, a red neon sign and a night window on
// the right; in front, the dark heads of the audience and candles on tables.
//   level          -> the spotlight's strength and the smoke it lights
//   intensity      -> (binding `spot`) the spot turns up as the evening builds;
//                     the arc also widens the beam and wakes the room's lights
//   climax         -> the beam flares, the lights bloom and the smoke swirls
//                     round him like a vortex (param `swirl`)
//   note           -> (binding `beamNote`) the beam leans (higher = further
//                     right); a higher note lifts his horn and tips his head back
//   brightness     -> the spot's colour, cool for a dark tone, warm for a bright one
//   breath         -> (binding `smoke`) the smoke thickens
//   loudness       -> stirs the smoke
//   beat / onset   -> heads nod, his knees give and the bulbs breathe on the
//                     beat; each onset blows a puff of smoke from the bell,
//                     runs a glint down the horn, flashes a star off the bell,
//                     lifts the spot a touch and twinkles a few bulbs
// (llvmpipe runs every branch of a shader for every pixel, so the costly parts
// are straight-line code sized to the whole screen: each pixel looks at one
// or two candidate lights, heads or lamps, never a loop over all of them.)
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "sdf2d.glsl"

vec3 lin(vec3 c) { return c * c; }   // palette colours are display-ish: rough linearisation
vec2 rotp(vec2 v, float a) { float c = cos(a), s = sin(a); return vec2(c * v.x - s * v.y, s * v.x + c * v.y); }

const float FLOOR = 0.19;     // where his feet stand (screen height)
const float STAGE = 0.125;    // the stage's front edge
const float BACK = 0.27;      // where the stage meets the back wall
const float PX = 0.1;         // where he stands, right of the centre
const float H = 0.47;         // his height on screen
const float HS = 1.15;        // the horn's size (a tenor: his waist to his lips)

// The room's lights, linear.
const vec3 TUNGSTEN = vec3(1.0, 0.50, 0.19);
const vec3 WARMWHITE = vec3(1.0, 0.72, 0.45);
const vec3 AMBER = vec3(1.0, 0.32, 0.06);
const vec3 DEEPRED = vec3(0.85, 0.05, 0.04);
const vec3 TEAL = vec3(0.04, 0.48, 0.44);

// The look's colour for the room: amber leaves the lights as they are, another
// colour pulls them towards it (a late blue, a red room).
vec3 roomTint;
float roomAmt;
vec3 tinted(vec3 c) {
    float l = dot(c, vec3(0.3, 0.55, 0.15));
    return mix(c, l * roomTint * 2.2, roomAmt);
}

// ---------------------------------------------------------------- the bokeh
// One light out of focus, as a lens draws it: a disc with a soft edge and a
// brighter rim; towards the frame's edges the lens barrel cuts it to a cat's
// eye. q: the point from the light's centre c; r its radius.
float bokehDisc(vec2 q, vec2 c, float r, float pix) {
    vec2 sh = (c - vec2(0.0, 0.5)) * r * 0.45;
    float e = max(length(q), length(q + sh));
    float soft = 0.12 * r + 1.5 * pix;
    float body = smoothstep(r, r - soft, e);
    float rim = smoothstep(r - soft - 0.3 * r, r - 0.6 * soft, e);
    float halo = max(1.0 - max(e - r, 0.0) / (0.5 * r), 0.0);
    return body * (0.55 + 0.55 * rim) + 0.05 * halo * halo;          // and a little halo in the smoke
}

vec3 bulbColour(float h) {
    vec3 c = mix(TUNGSTEN, WARMWHITE, fract(h * 7.3) * 0.7);
    if (h > 0.93) c = DEEPRED;
    else if (h > 0.88) c = TEAL * 1.3;
    else if (h > 0.65) c = mix(c, AMBER, 0.75);
    return c;
}

// A string of n bulbs hung from a to b, sagging `sag` in the middle. It runs
// towards us or away, so the bulbs grow from radius r0 to r1. A few are
// dead, some brighter, all hang a little unevenly, and whole stretches of it
// are dimmer. Each pixel looks at the two bulbs either side of it.
vec3 strand(vec2 s, vec2 a, vec2 b, float sag, float n, float r0, float r1, float seed, float pix) {
    float up = clamp((s.x - a.x) / (b.x - a.x), 0.0, 1.0);
    float i0 = floor(n * up);
    vec3 acc = vec3(0.0);
    for (int k = 0; k < 2; k++) {
        float i = min(i0 + float(k), n);
        float h = hash11(i * 7.31 + seed);
        float u = i / n;
        vec2 c = vec2(mix(a.x, b.x, u), mix(a.y, b.y, u) - sag * 4.0 * u * (1.0 - u));
        c += (fract(h * vec2(13.7, 29.3)) - 0.5) * vec2(0.012, 0.018);
        float rr = mix(r0, r1, u) * (0.8 + 0.4 * fract(h * 17.3));
        float stretch = step(0.15, h) * (0.35 + 0.65 * step(0.3, fract(floor(i / 4.0) * 0.618 + seed * 0.37)));   // dead bulbs, dim stretches
        // A few bulbs answer each onset, different ones each time.
        float tw = 1.0 + 1.6 * iOnset * step(0.75, fract(h * 91.7 + iOnsetCount * 0.618));
        acc += bulbColour(h) * bokehDisc(s - c, c, rr, pix) * (0.3 + 0.8 * fract(h * 31.1)) * stretch * tw;
    }
    return acc;
}

// The back bar: three lamps hanging over it, the bottles on two shelves
// catching their light (small discs of whisky amber, green glass, a red), and
// the counter's edge.
vec3 bar(vec2 s, float pix, float pulse) {
    // Lamps over the bar, the nearest (left) the biggest: each pixel looks at
    // the lamp nearest it.
    float li = s.x < -0.702 ? 0.0 : (s.x < -0.532 ? 1.0 : 2.0);
    vec3 lamp = li < 0.5 ? vec3(-0.80, 0.70, 0.062) : (li < 1.5 ? vec3(-0.61, 0.665, 0.05) : vec3(-0.465, 0.70, 0.042));
    vec3 acc = mix(TUNGSTEN, AMBER, 0.35 * li) * bokehDisc(s - lamp.xy, lamp.xy, lamp.z, pix) * (1.0 + 0.45 * pulse);
    // Their light on the bar below them.
    vec2 g = (s - vec2(-0.63, 0.5)) / vec2(0.3, 0.14);
    acc += AMBER * 0.035 * max(1.0 - dot(g, g), 0.0) * step(s.y, 0.68);
    // Bottles: one possible glint per slot on two shelves, fewer towards the stage.
    float row = s.y < 0.465 ? 0.0 : 1.0;
    float cx = floor(s.x / 0.034);
    float h = hash12(vec2(cx, row + 4.0));
    vec2 c = vec2((cx + 0.5 + 0.3 * (fract(h * 41.3) - 0.5)) * 0.034, 0.43 + 0.07 * row + 0.008 * (fract(h * 9.1) - 0.5));
    float r = 0.008 + 0.007 * fract(h * 13.7);
    vec3 glass = h < 0.28 ? AMBER : (h < 0.4 ? vec3(0.15, 0.5, 0.2) : (h < 0.47 ? DEEPRED : WARMWHITE));
    acc += glass * bokehDisc(s - c, c, r, pix) * (0.25 + 0.5 * fract(h * 5.3)) * step(h, 0.6) * smoothstep(-0.4, -0.6, s.x);
    // The counter's brass edge, far out of focus.
    acc += AMBER * 0.05 * exp(-abs(s.y - 0.365) / 0.008) * smoothstep(-0.38, -0.55, s.x);
    return acc;
}

// The right of the room: a window onto the Almaty night (the far city as tiny
// discs) and, under it, a red neon sign with a teal line, both out of focus.
vec3 windowAndNeon(vec2 s, float pix, float flick, out vec3 neon) {
    vec2 wc = vec2(0.67, 0.76);
    vec2 dq = abs(s - wc) - vec2(0.17, 0.14);
    float box = length(max(dq, 0.0)) + min(max(dq.x, dq.y), 0.0);
    float glass = smoothstep(0.025, -0.02, box) * smoothstep(0.003, 0.014, abs(s.x - wc.x)) * smoothstep(0.003, 0.014, abs(s.y - 0.79));
    vec3 acc = mix(vec3(0.010, 0.018, 0.05), vec3(0.03, 0.035, 0.06), smoothstep(0.9, 0.62, s.y)) * glass;
    // The far city: small, sparse lights low in the window.
    vec2 cell = floor(s / 0.03);
    vec2 hh = hash22(cell + 11.0);
    vec2 c = (cell + 0.3 + 0.4 * fract(hh * 17.3)) * 0.03;
    vec3 lc = hh.x < 0.2 ? AMBER : (hh.x < 0.3 ? WARMWHITE : TEAL);
    float cr = 0.006 + 0.004 * hh.y;
    acc += lc * smoothstep(cr, cr - 1.5 * pix, length(s - c)) * 0.3 * glass * step(hh.x, 0.35) * step(s.y, 0.74);
    // The neon: "Jazz" in red script, slanted, far out of focus, and a teal
    // rule under it.
    vec2 n = s - vec2(0.5, 0.5);
    n.x -= 0.3 * n.y;                                                   // italic
    float d = sdSegment(n, vec2(0.03, 0.07), vec2(0.03, -0.005));       // J
    vec2 jh = n - vec2(0.012, -0.005);
    d = min(d, jh.y < 0.0 ? abs(length(jh) - 0.018) : length(vec2(abs(jh.x) - 0.018, jh.y)));
    d = min(d, abs(length((n - vec2(0.085, 0.012)) * vec2(1.0, 1.15)) - 0.02));   // a
    d = min(d, sdSegment(n, vec2(0.106, 0.04), vec2(0.108, -0.008)));
    vec2 z = n - vec2(0.13, 0.0);                                       // z z
    z.x -= 0.062 * clamp(floor(z.x / 0.062 + 0.15), 0.0, 1.0);
    d = min(d, sdSegment(z, vec2(0.0, 0.035), vec2(0.042, 0.035)));
    d = min(d, sdSegment(z, vec2(0.042, 0.035), vec2(0.0, -0.008)));
    d = min(d, sdSegment(z, vec2(0.0, -0.008), vec2(0.045, -0.008)));
    neon = vec3(1.0, 0.07, 0.12) * (exp(-d * d / 0.0002) * 0.32 + exp(-d / 0.02) * 0.08) * flick;
    float dt = sdSegment(s, vec2(0.5, 0.44), vec2(0.78, 0.44));
    neon += TEAL * (exp(-dt * dt / 0.00008) * 0.45 + exp(-dt / 0.018) * 0.08);
    neon *= smoothstep(0.38, 0.44, s.x);
    return acc * smoothstep(0.38, 0.44, s.x);
}

// --------------------------------------------------------------- the player
// The saxophonist side on, facing left, feet at y = 0, about 1 tall with his
// hat. The pose is worked out once per pixel: the upper body leans back from
// the hips, the head tips back about the top of the neck, and the horn swings
// forward about his lips; the hands ride on the horn.
struct Pose {
    vec2 hip;        // hips; the legs hang from here
    mat2 body;       // the upper body's lean (rotates a point into its frame)
    vec2 nk;         // top of the neck (upper-body frame)
    mat2 head;       // the head's tilt about nk
    vec2 m;          // his lips (upper-body frame): the horn's mouthpiece
    mat2 horn;       // the horn's swing about m
    vec2 hl, hr;     // the hands on the upper and lower stacks (upper-body frame)
};

mat2 rotm(float a) { float c = cos(a), s = sin(a); return mat2(c, s, -s, c); }   // rotm(a) * v = rotp(v, a)

Pose pose(float lean, float tilt, float swing, float bob) {
    Pose P;
    P.hip = vec2(0.0, 0.48 - bob);
    P.body = rotm(lean);
    P.nk = P.hip + vec2(-0.015, 0.345);
    P.head = rotm(tilt);
    vec2 hc = P.nk + vec2(-0.012, 0.058);
    P.m = P.nk + (hc + vec2(-0.056, -0.03) - P.nk) * P.head;      // v * M: turned back the other way
    P.horn = rotm(swing);
    P.hl = P.m + (vec2(-0.088, -0.19) * HS) * P.horn;
    P.hr = P.m + (vec2(-0.068, -0.33) * HS) * P.horn;
    return P;
}

// The horn in its own frame (lips at 0, hanging down): mouthpiece, the crook
// curving down, the long conical body with its key cups, the bow, and the
// bell flaring forward and up.
float hornSdf(vec2 q) {
    float s = sdTaper(q, vec2(0.0), vec2(-0.032, -0.014), 0.008, 0.01);
    s = min(s, sdTaper(q, vec2(-0.032, -0.014), vec2(-0.066, -0.04), 0.01, 0.012));
    s = min(s, sdTaper(q, vec2(-0.066, -0.04), vec2(-0.083, -0.085), 0.012, 0.015));
    s = min(s, sdTaper(q, vec2(-0.083, -0.085), vec2(-0.04, -0.42), 0.016, 0.031));
    for (int i = 0; i < 3; i++) {                                       // key cups along its front
        float k = 0.19 + 0.07 * float(i);
        s = min(s, length(q - vec2(-0.083 + 0.128 * (k - 0.085) - 0.022, -k)) - 0.011);
    }
    vec2 bc = q - vec2(-0.074, -0.42);
    s = min(s, (bc.y < 0.0 ? abs(length(bc) - 0.034) : length(vec2(abs(bc.x) - 0.034, bc.y))) - 0.027);   // the bow
    s = min(s, sdTaper(q, vec2(-0.108, -0.42), vec2(-0.122, -0.34), 0.027, 0.032));
    // The flare: a trumpet's profile along its axis, and the rim across it.
    vec2 a0 = vec2(-0.122, -0.34), ax = normalize(vec2(-0.028, 0.075));
    vec2 fq = q - a0;
    float al = dot(fq, ax);
    float tt = clamp(al / 0.08, 0.0, 1.0);
    float fl = abs(dot(fq, vec2(-ax.y, ax.x))) - (0.032 + 0.034 * tt * tt * tt);
    s = min(s, max(fl * 0.8, max(-al, al - 0.08)));
    vec2 rim = vec2(ax.y, -ax.x) * 0.062;
    s = min(s, sdTaper(q, a0 + ax * 0.08 - rim, a0 + ax * 0.08 + rim, 0.009, 0.009));
    return s;
}

// (body, horn, hands) distances; p: local, feet at 0.
vec3 player(vec2 p, Pose P) {
    vec2 hip = P.hip;
    float d;
    {
        // Legs in trousers: the back one straight and taking his weight, the
        // front one forward with its knee bent; shoes.
        vec2 kneeF = vec2(-0.085, 0.262 + 0.5 * (hip.y - 0.48));
        d = sdTaper(p, hip + vec2(-0.03, -0.01), kneeF, 0.058, 0.042);
        d = min(d, sdTaper(p, kneeF, vec2(-0.075, 0.04), 0.042, 0.032));
        d = min(d, sdTaper(p, hip + vec2(0.032, -0.01), vec2(0.048, 0.262), 0.057, 0.042));
        d = min(d, sdTaper(p, vec2(0.048, 0.262), vec2(0.045, 0.04), 0.042, 0.032));
        d = min(d, sdTaper(p, vec2(-0.065, 0.022), vec2(-0.162, 0.016), 0.022, 0.015));
        d = min(d, sdTaper(p, vec2(0.068, 0.022), vec2(-0.025, 0.016), 0.022, 0.015));
    }
    vec2 u = hip + P.body * (p - hip);
    {
        // The jacket: a hem over the trousers, a waist, the chest forward, the
        // rounded back of his shoulders.
        float j = sdTaper(u, hip + vec2(0.0, 0.04), hip + vec2(-0.014, 0.2), 0.064, 0.084);
        j = smin(j, length(u - hip - vec2(0.018, 0.262)) - 0.068, 0.05);
        j = smin(j, sdTaper(u, hip + vec2(0.006, -0.07), hip + vec2(0.004, 0.02), 0.08, 0.071), 0.015);
        d = smin(d, j, 0.02);
        d = smin(d, sdTaper(u, hip + vec2(-0.004, 0.29), P.nk, 0.035, 0.029), 0.02);   // neck
    }
    {
        // Arms round the horn, elbows back.
        vec2 shj = hip + vec2(0.012, 0.272);
        vec2 el = shj + vec2(-0.035, -0.2), er = shj + vec2(0.088, -0.175);
        d = min(d, sdTaper(u, shj, el, 0.042, 0.034));
        d = min(d, sdTaper(u, el, P.hl, 0.034, 0.024));
        d = min(d, sdTaper(u, shj + vec2(0.02, 0.0), er, 0.04, 0.033));
        d = min(d, sdTaper(u, er, P.hr, 0.033, 0.023));
    }
    {
        // The head tipped back, jaw and nose, under a narrow-brimmed hat.
        vec2 h = P.nk + P.head * (u - P.nk);
        vec2 hc = P.nk + vec2(-0.012, 0.058);
        float hd = sdEllipse(h - hc, vec2(0.05, 0.061));
        hd = smin(hd, length(h - hc - vec2(-0.03, -0.038)) - 0.027, 0.02);
        hd = smin(hd, length(h - hc - vec2(-0.05, 0.002)) - 0.011, 0.012);
        hd = min(hd, sdTaper(h, hc + vec2(-0.092, 0.04), hc + vec2(0.085, 0.05), 0.008, 0.007));
        hd = smin(hd, sdTaper(h, hc + vec2(-0.038, 0.066), hc + vec2(0.036, 0.07), 0.029, 0.027), 0.008);
        d = min(d, hd);
    }
    float s = hornSdf(P.horn * (u - P.m) / HS) * HS;
    float hands = min(sdTaper(u, P.hl, P.hl + vec2(0.004, -0.04), 0.019, 0.013),
                      sdTaper(u, P.hr, P.hr + vec2(0.006, -0.04), 0.019, 0.013));
    return vec3(d, s, hands);
}

// ------------------------------------------------------------ the audience
// One person's head and shoulders in cell ci of a row (cells of width cw,
// the shoulders' base at `base`; the near row, 1, has gaps): the distance.
// `spread` is how far from the cell's middle they may sit.
float audienceHead(vec2 s, float ci, float cw, float base, float row, float spread, float nodNow) {
    vec2 hh = hash22(vec2(ci, 3.3 + row * 7.0));
    float sz = (0.75 + 0.45 * fract(hh.y * 7.3)) * cw / (row > 0.5 ? 0.19 : 0.21) * step(row > 0.5 ? 0.25 : 0.15, hh.y);
    float nod = 0.006 * sz * nodNow * step(0.4, hh.x);
    vec2 c = vec2((ci + 0.5 + (hh.x - 0.5) * spread) * cw, base + 0.035 * hh.y * sz - nod);
    vec2 r = s - c;
    r.x += 0.12 * (hh.x - 0.5) * r.y;                             // heads turned a little
    float head = length(r * vec2(1.0, 0.85)) - 0.045 * sz;
    float shoulders = length((r + vec2(0.0, 0.1 * sz)) * vec2(row > 0.5 ? 0.5 : 0.7, 1.0)) - 0.055 * sz;
    return smin(head, shoulders, 0.03 * sz + 1e-4);
}

// The stage's light along the tops of their heads: a thin band inside the
// edge, where it faces up (the distance's slope from the pixel quad).
float audienceRim(float d, float blur) {
    vec2 g = vec2(dFdx(d), dFdy(d));
    float up = max(g.y, 0.0) / (length(g) + 1e-9);
    return smoothstep(-1.5 * blur, 0.0, d) * smoothstep(blur, 0.0, d) * up * up;
}

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    float aspect = iResolution.x / iResolution.y;
    vec2 s = vec2(fragCoord.x / iResolution.y - 0.5 * aspect, fragCoord.y / iResolution.y);
    float x = s.x, y = s.y;
    float pix = 1.0 / iResolution.y;
    float t = iTime;

    vec3 defaultRoom = vec3(1.0, 0.62, 0.30);
    roomTint = lin(room) / max(dot(lin(room), vec3(0.3, 0.55, 0.15)), 0.05) * 0.5;
    roomAmt = clamp(length(room - defaultRoom) * 1.4, 0.0, 0.9);

    float arc = clamp(iIntensity, 0.0, 1.0);
    float peak = clamp(iClimax, 0.0, 1.0);

    // ------------------------------------------------------------- the beam
    // The beam leans with the note: right for notes above E4, left below.
    // beamNote is the note glided by its binding; the beam follows the glide
    // but never lags more than 6 semitones behind the note itself (so a leap
    // moves it at once, and a scene that starts mid-song does not sweep in
    // from nowhere).
    float noteOn = step(1.0, iNote);
    float follow = smoothstep(0.5 * iNote, 0.95 * iNote, beamNote);
    float aim = iNote + follow * clamp(beamNote - iNote, -6.0, 6.0);
    float lean = noteOn * clamp((aim - 64.0) / 20.0, -1.0, 1.0);
    float spotAmt = spot * (0.35 + 0.9 * iLevel) * (1.0 + 0.25 * max(lean, 0.0)) * (1.0 + 0.7 * peak) * (1.0 + 0.1 * iOnset);
    vec3 spotCol = mix(lin(vec3(0.9, 0.9, 0.92)), lin(vec3(1.0, 0.78, 0.52)), smoothstep(0.1, 0.7, iBrightness));
    spotCol = mix(spotCol, roomTint * 0.6 + 0.3, roomAmt * 0.45);
    float px = 0.05 * sin(t * 0.21) + 0.02 * sin(t * 0.53);        // the stage lamp drifts a little
    // The lamp hangs above and behind him: he stands against its light.
    vec2 src = vec2(PX - 0.3 + 0.45 * lean + px, 1.3);
    vec2 target = vec2(PX + 0.03 + 0.08 * lean, FLOOR + 0.025);
    vec2 dir = normalize(target - src);
    vec2 v = s - src;
    float along = dot(v, dir);
    float perp = dot(v, vec2(-dir.y, dir.x));
    float widen = 0.085 + 0.09 * arc + 0.07 * peak;                 // the arc and the climax open it up
    float halfW = along * widen;
    float cone = smoothstep(halfW, halfW * 0.35, abs(perp)) * step(0.0, along);
    float core = exp(-perp * perp / (halfW * halfW * 0.12 + 1e-5));
    // Shafts: light broken by the lamp's gobo, turning slowly.
    float ang = perp / max(along, 0.05);
    float shafts = 0.72 + 0.4 * vnoise1(ang * 60.0 + t * 0.15);
    float beamFall = smoothstep(target.y - 0.035, target.y + 0.02, y);   // the floor stops it
    float fall = 1.0 / (0.5 + 1.3 * max(along, 0.0));

    // ------------------------------------------------------------- his pose
    // The note lifts his horn and tips his head back; he leans back into it
    // at the climax; his knees give a little on the beat.
    vec2 stand = vec2(PX, FLOOR);
    float lift = noteOn * clamp((aim - 46.0) / 26.0, 0.0, 1.0);
    float bob = 0.008 * exp(-iBeatPhase * 5.0) * iLevel;
    float bodyLean = 0.1 + 0.08 * lift + 0.12 * peak + 0.02 * sin(t * 0.8);
    float tilt = 0.06 + 0.22 * lift + 0.1 * peak;
    float swing = 0.03 + 0.22 * lift + 0.08 * peak;
    Pose P = pose(bodyLean, tilt, swing, bob);
    vec2 bu = P.m + (vec2(-0.145, -0.26) * HS) * P.horn;
    vec2 bell = stand + (P.hip + (bu - P.hip) * P.body) * H;           // the bell's mouth, on screen

    // ------------------------------------------------------------ the smoke
    // Drifting smoke, domain warped; loud passages stir it (the momentary
    // loudness), breath thickens it, and at the climax it turns round him.
    float stir = smoothstep(-45.0, -12.0, iLoudnessM);
    vec2 q = vec2(x * 1.5, y * 1.8);
    // At the climax the smoke's own coordinates twist round him: as it drifts
    // it streams along a spiral, tighter towards him, and the twist breathes.
    vec2 chest = vec2(PX - 0.02, FLOOR + 0.62 * H);
    float swirlAmt = clamp(swirl * (peak + 0.3 * smoothstep(0.55, 1.0, arc)), 0.0, 2.0);
    vec2 vd = (s - chest) * vec2(0.8, 1.0);
    float vr2 = dot(vd, vd);
    float twist = swirlAmt * (2.8 + 0.8 * sin(t * 1.3)) * exp(-vr2 / 0.075);
    q = vec2(chest.x * 1.5, chest.y * 1.8) + rotp(q - vec2(chest.x * 1.5, chest.y * 1.8), twist);
    vec2 w = vec2(fbm(q * 0.9 + vec2(t * 0.03, -t * 0.015), 2),
                  fbm(q * 0.9 + vec2(5.2, 1.3) + vec2(-t * 0.02, t * 0.025), 2));
    w += stir * 0.3 * vec2(sin(t * 0.9 + q.y * 2.5), cos(t * 0.7 + q.x * 2.5));
    float sm = fbm(q * 1.4 + 2.1 * w + vec2(t * 0.02, t * 0.035), 4);
    float thick = clamp(smoke, 0.0, 3.0);
    float dens = smoothstep(0.38 - 0.08 * thick, 0.85, sm) * (0.35 + 0.5 * thick);
    dens *= 0.45 + 0.55 * smoothstep(0.15, 0.8, y);                 // it hangs under the ceiling
    // Each attack blows a puff of smoke out of the bell, lit by the spot.
    vec2 pf = (s - bell - vec2(-0.04, 0.05) * (1.0 - iOnset)) / vec2(0.1, 0.07);
    dens += 0.9 * iOnset * exp(-dot(pf, pf)) * (0.6 + 0.4 * sm);

    // ------------------------------------------------------------- the room
    // A dark wall, faintly panelled; warm from the bar on the left, red from
    // the neon on the right, lit behind him by what spills from the stage.
    float panel = 0.8 + 0.2 * vnoise1(x * 18.0);
    vec3 col = lin(vec3(0.045, 0.03, 0.028)) * panel * (0.7 + 0.4 * y);
    col += tinted(AMBER) * 0.022 * exp(-length(vec2(x + 0.7, y - 0.5)) * 2.8);
    col += spotCol * spotAmt * 0.02 * exp(-length((s - vec2(PX, BACK)) * vec2(0.9, 1.8)) * 6.0);

    // The lights of the room, out of focus, fading into the dark on the right.
    vec3 lights = vec3(0.0);
    float pulse = exp(-iBeatPhase * 3.0) * (0.3 + 0.7 * iLevel);  // they breathe on the beat
    // Two strings of bulbs: one over the bar, running away from us to the
    // back; one across the room towards us, fading into the dark on the right.
    // Where they overlap each pixel takes the nearer (one string's cost).
    float u1 = clamp((x + 1.0) / 0.9, 0.0, 1.0), u2 = clamp((x + 0.2) / 1.2, 0.0, 1.0);
    float y1 = mix(0.86, 0.93, u1) - 0.28 * u1 * (1.0 - u1);
    float y2 = mix(1.05, 0.79, u2) - 0.36 * u2 * (1.0 - u2);
    bool first = x < -0.24 || (x < -0.05 && abs(y - y1) < abs(y - y2));
    vec4 sa = first ? vec4(-1.0, 0.86, -0.1, 0.93) : vec4(-0.2, 1.05, 1.0, 0.79);
    vec4 sp = first ? vec4(0.07, 16.0, 0.036, 0.02) : vec4(0.09, 15.0, 0.02, 0.046);
    lights += strand(s, sa.xy, sa.zw, sp.x, sp.y, sp.z, sp.w, first ? 1.0 : 7.0, pix)
              * (first ? 1.0 : 0.35 + 0.65 * smoothstep(0.95, 0.2, x));
    lights *= 1.0 + 0.45 * pulse;
    lights += bar(s, pix, pulse) * step(x, -0.15);
    float flick = 1.0 - 0.6 * step(0.97, hash11(floor(t * 9.0))) ;  // the neon's old transformer
    vec3 neon;                                        // the sign keeps its own colours in any look
    lights += windowAndNeon(s, pix, flick, neon);
    neon += vec3(0.6, 0.03, 0.06) * 0.025 * flick * exp(-length((s - vec2(0.65, 0.5)) * vec2(0.7, 1.0)) / 0.12);
    float glow = bokeh * (0.15 + 1.1 * arc + 1.0 * peak);        // the arc wakes the room, the climax makes it bloom
    col += (tinted(lights) + neon) * glow * (1.0 - 0.45 * dens);
    col += tinted(AMBER) * dens * 0.035 * glow * exp(-length(vec2(x + 0.7, y - 0.7)) * 1.8);   // the bar's light in the smoke
    col += vec3(0.5, 0.02, 0.05) * dens * 0.03 * exp(-length(vec2(x - 0.64, y - 0.5)) * 5.0);
    col += mix(lin(CLUB_SMOKE), tinted(AMBER) * 0.35, 0.5) * dens * 0.02;
    col += mix(spotCol, tinted(AMBER), 0.45) * dens * dens * spotAmt * 0.3 * min(twist, 1.5) * smoothstep(0.0, 0.02, vr2);   // the vortex, lit from within

    // --------------------------------------------------------------- stage
    if (y < BACK) {
        // Boards running back from the edge, seen from a little above.
        float depthS = clamp((y - STAGE) / (BACK - STAGE), 0.0, 1.0);
        float bx = x / (1.0 - 0.45 * depthS) * 16.0;
        float seam = smoothstep(0.0, 0.08, abs(fract(bx) - 0.5) - 0.42);
        float grain = 0.6 + 0.4 * hash11(floor(bx) * 3.1 + 0.5);
        vec3 boards = lin(vec3(0.24, 0.14, 0.09)) * 0.12 * grain * (1.0 - 0.5 * seam);
        // The pool of light round him, and his shadow thrown forward across
        // it, towards us and away from the lamp.
        vec2 pd = (s - vec2(target.x, target.y - 0.012)) / vec2(0.2 + 0.35 * widen, 0.048);
        float pool = exp(-dot(pd, pd) * 1.3);
        vec2 sd = vec2((PX - src.x) * 0.1, -0.06);
        float shadow = smoothstep(0.012, -0.012, sdTaper(s, stand + vec2(-0.01, 0.005), stand + sd, 0.022, 0.035));
        vec3 lit = boards + spotCol * pool * 0.6 * spotAmt * grain * (1.0 - 0.8 * shadow);
        lit += spotCol * spotAmt * 0.12 * exp(-abs(y - FLOOR) / 0.003) * pool * pool;  // a sheen where the light grazes
        float onStage = smoothstep(STAGE - pix, STAGE + pix, y) * smoothstep(BACK + pix, BACK - 2.0 * pix, y);
        col = mix(col, lit + col * 0.3, onStage);
        // The stage's front edge: a dark lip with a brass strip catching the light.
        float lip = smoothstep(STAGE + pix, STAGE - pix, y);
        vec3 front = lin(vec3(0.05, 0.03, 0.03)) * 0.4;
        front += lin(CLUB_BRASS) * 0.3 * exp(-abs(y - STAGE + 0.004) / 0.0025)
                 * (0.05 + exp(-abs(x - target.x) * 3.0)) * spotAmt;
        col = mix(col, front, lip);
    }

    // The beam in the smoke: faint in clear air, bright where the smoke is,
    // brighter at its core.
    float inBeam = cone * beamFall * shafts;
    col += spotCol * inBeam * fall * spotAmt * (0.03 + 1.4 * dens * dens + 0.07 * core);
    // Dust in the beam, glinting as it drifts.
    {
        vec2 g = (s + vec2(0.01 * w.x, -t * 0.008)) / 0.013;
        vec2 hd = hash22(floor(g));
        vec2 o = fract(g) - 0.25 - 0.5 * fract(hd * 23.1);
        float tw = abs(fract(t * (0.3 + hd.y) + hd.x * 7.0) * 2.0 - 1.0);   // each glints in its own time
        col += spotCol * inBeam * spotAmt * tw * 0.5 * exp(-dot(o, o) * 300.0) * step(hd.x, 0.05);
    }

    // ------------------------------------------------------------ the player
    // One distance evaluation; its slopes come from the pixel quad.
    vec2 lp = (s - stand) / H;
    vec2 L = normalize(src - (stand + vec2(0.0, 0.7 * H)));
    vec3 d0 = player(lp, P);
    float lpix = pix / H;
    float dark = min(d0.x, d0.z);
    float body = smoothstep(lpix, -lpix, dark);
    float horn = smoothstep(lpix, -lpix, d0.y) * smoothstep(-lpix, lpix, d0.z);
    float cov = max(body, horn);
    // How much an edge faces the lamp: the distance's slope towards it.
    float facing = dot(normalize(vec2(dFdx(dark), dFdy(dark)) + 1e-9), L);
    float ndl = dot(normalize(vec2(dFdx(d0.y), dFdy(d0.y)) + 1e-9), L);
    vec3 figure = lin(vec3(0.018, 0.014, 0.016));
    figure += spotCol * spotAmt * 0.025 * exp(-lp.y * 10.0);              // the floor's light on his shoes
    // Rim light: the lamp is above and behind him, so a thin line of light
    // runs round his edges, brightest where they face it.
    float edge = smoothstep(-2.2 * lpix, 0.0, dark);
    edge *= edge;
    figure += spotCol * edge * pow(clamp(facing * 0.6 + 0.4, 0.0, 1.0), 2.5) * 1.5 * spotAmt;
    // The brass: dark where it turns away, a highlight running along its lit
    // side, warm room light on its far side; a glint runs down the horn on
    // each onset.
    float depthIn = clamp(-d0.y / 0.022, 0.0, 1.0);
    float dz = (depthIn - 0.35) / 0.2;
    float spec = smoothstep(-0.2, 0.9, ndl) * exp(-dz * dz);
    float rz = (lp.y - (0.9 - 0.55 * fract(iOnsetCount * 0.618) - 0.3 * (1.0 - iOnset))) / 0.06;
    vec3 brassC = lin(CLUB_BRASS);
    vec3 brass = brassC * (0.01 + 0.04 * (0.5 + 0.5 * ndl)) * (0.3 + spotAmt);
    brass += tinted(AMBER) * 0.04 * max(-ndl, 0.0) * (1.0 - depthIn);
    brass += mix(brassC, vec3(1.0, 0.9, 0.75), 0.5) * spec * spotAmt * (0.8 + 2.0 * iOnset * exp(-rz * rz));
    float bedge = smoothstep(-2.0 * lpix, 0.0, d0.y);
    brass += spotCol * bedge * bedge * smoothstep(-0.3, 0.9, ndl) * spotAmt * 0.8;
    figure = mix(figure, brass, horn);
    // Outside him: the light spilling round his edges into the smoke.
    float outB = exp(-max(dark, 0.0) / (3.0 * lpix)) * pow(max(facing, 0.0), 2.0);
    float outH = exp(-max(d0.y, 0.0) / (3.0 * lpix)) * pow(max(ndl, 0.0), 2.0);
    col += spotCol * spotAmt * 0.15 * max(outB, outH) * (1.0 - cov);
    col = mix(col, figure, cov);
    // A star of light off the bell's rim on each onset.
    vec2 bq = abs(s - bell);
    col += mix(brassC, vec3(1.0), 0.5) * spotAmt * 0.2 * iOnset
           * (exp(-bq.x / 0.0015 - bq.y / 0.012) + exp(-bq.y / 0.0015 - bq.x / 0.009) + 0.5 * exp(-length(bq) / 0.005));

    // Smoke drifting in front of everything, larger and faster (it is nearer),
    // lit where the beam crosses it.
    float fs = vnoise(vec2(x * 1.8 + t * 0.08, y * 2.6 - t * 0.024) + 1.6 * w) * 0.75;
    float fdens = smoothstep(0.45, 0.85, fs) * (0.25 + 0.35 * thick);
    col += spotCol * cone * beamFall * fdens * 0.08 * spotAmt * fall * (1.0 - 0.9 * cov);   // (the beam is behind him)
    col += lin(CLUB_SMOKE) * fdens * 0.01;

    // -------------------------------------------------------- the audience
    // Two rows of heads and shoulders, out of focus, nodding on the beat; the
    // stage's light along their tops; candles on the tables between them.
    vec3 stageSpill = spotCol * spotAmt * 0.18 + tinted(AMBER) * 0.02;
    float nodNow = exp(-iBeatPhase * 4.0) * (0.3 + 0.7 * iLevel);
    // The far row sits each in its own seat (one look per pixel); the near
    // row overlaps (its own cell and the nearer neighbour).
    float dFar = audienceHead(s, floor(x / 0.21), 0.21, 0.075, 0.0, 0.3, nodNow);
    col = mix(col, lin(vec3(0.012, 0.009, 0.01)) + stageSpill * audienceRim(dFar, 0.006) * 0.06,
              smoothstep(0.006, -0.006, dFar));
    // Candles on the tables, between the rows: big soft discs, flickering.
    float ccell = floor(x / 0.34 + 0.3);
    float hc = hash11(ccell * 5.7 + 1.0);
    vec2 cc = vec2((ccell + 0.4 * hc) * 0.34, 0.085 + 0.03 * fract(hc * 9.3));
    float fl = 0.85 + 0.15 * sin(t * 7.0 + hc * 40.0) * sin(t * 2.3 + hc * 17.0);
    float cd = length((s - cc) * vec2(0.6, 1.0));
    col += tinted(vec3(1.0, 0.42, 0.1)) * (bokehDisc(s - cc, cc, 0.032 + 0.014 * fract(hc * 3.1), pix) * 0.22
           + 0.035 * pow(max(1.0 - cd / 0.058, 0.0), 2.0)) * fl * step(hc, 0.7);   // and the warm light round it
    float nc = floor(x / 0.27);
    float dNear = min(audienceHead(s, nc, 0.27, 0.005, 1.0, 0.5, nodNow),
                      audienceHead(s, nc + (fract(x / 0.27) < 0.5 ? -1.0 : 1.0), 0.27, 0.005, 1.0, 0.5, nodNow));
    col = mix(col, lin(vec3(0.012, 0.009, 0.01)), smoothstep(0.014, -0.014, dNear));

    // ------------------------------------------------------------ the grade
    float vig = dot((s - vec2(0.0, 0.5)) / vec2(aspect, 1.0), (s - vec2(0.0, 0.5)) / vec2(aspect, 1.0)) * 1.56;
    col *= 1.0 - 0.5 * vig * (0.85 + 0.15 * vig);
    col *= 1.35;
    float pk = max(col.r, max(col.g, col.b));
    vec3 hued = col / (1.0 + 0.6 * pk);
    col = mix(hued, tonemap(col), smoothstep(0.8, 3.0, pk));
    col = gammaEncode(col);
    col += (hash12(fragCoord + fract(t * 7.3) * 100.0) - 0.5) * 0.014;   // a little film grain
    fragColor = vec4(col, 1.0);
}
