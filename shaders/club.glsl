// Club: the smoky jazz club in Almaty on the night of the concert. A single
// spotlight falls from above through drifting smoke onto the small stage where
// he plays; warm bokeh lights glow in the dark behind, and the audience's
// heads nod along in the foreground.
// Loudness brightens the spot (the evening's intensity, through its binding,
// turns it up further), a bright tone warms it, the note leans it
// (higher = further right, a little brighter), loudness stirs the smoke,
// breath thickens it, and the lights behind pulse on beats and onsets.
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "sdf2d.glsl"

vec3 lin(vec3 c) { return c * c; }   // palette colours are display-ish: rough linearisation

const float FLOOR = 0.2;      // where the player stands (screen height fraction)
const float STAGE = 0.13;     // front edge of the stage

// The saxophonist, side on, facing left, feet at y = 0, about 1 unit tall.
// Returns (body, saxophone) distances. `sway` leans him with the music.
vec2 player(vec2 p, float sway) {
    p.x += (0.1 + sway * 0.06) * p.y * p.y;                   // arched back as he blows
    float d = sdTaper(p, vec2(0.02, 0.0), vec2(0.01, 0.46), 0.035, 0.05);        // legs
    d = min(d, sdTaper(p, vec2(-0.07, 0.0), vec2(-0.02, 0.46), 0.035, 0.05));
    d = min(d, sdTaper(p, vec2(0.06, 0.01), vec2(-0.06, 0.0), 0.025, 0.025));       // shoes
    d = min(d, sdTaper(p, vec2(-0.12, 0.0), vec2(-0.02, 0.0), 0.022, 0.022));
    d = smin(d, sdTaper(p, vec2(0.0, 0.46), vec2(0.0, 0.77), 0.085, 0.1), 0.04);      // torso, jacket
    d = smin(d, sdTaper(p, vec2(-0.01, 0.79), vec2(-0.03, 0.84), 0.035, 0.035), 0.02);    // neck
    // Head tipped back a little as he blows, with a brimmed hat.
    vec2 hc = vec2(-0.045, 0.885);
    d = min(d, length((p - hc) * vec2(1.0, 0.9)) - 0.062);
    d = min(d, sdTaper(p, vec2(-0.14, 0.92), vec2(0.065, 0.945), 0.009, 0.009));        // brim
    d = min(d, sdTaper(p, vec2(-0.065, 0.955), vec2(0.0, 0.965), 0.035, 0.032));          // crown
    d = smin(d, sdTaper(p, vec2(-0.07, 0.985), vec2(0.005, 0.995), 0.018, 0.016), 0.01);
    // Arms round the horn.
    d = min(d, sdTaper(p, vec2(-0.02, 0.74), vec2(-0.12, 0.6), 0.035, 0.03));
    d = min(d, sdTaper(p, vec2(-0.12, 0.6), vec2(-0.16, 0.66), 0.03, 0.025));
    d = min(d, sdTaper(p, vec2(0.02, 0.72), vec2(-0.04, 0.54), 0.035, 0.03));
    d = min(d, sdTaper(p, vec2(-0.04, 0.54), vec2(-0.14, 0.47), 0.03, 0.025));
    // The tenor: mouthpiece and neck from his lips, the body down and forward,
    // the bow at the bottom, and the bell turned up.
    vec2 m = vec2(-0.1, 0.84);
    float s = sdTaper(p, m, vec2(-0.16, 0.79), 0.01, 0.013);
    s = min(s, sdTaper(p, vec2(-0.16, 0.79), vec2(-0.155, 0.73), 0.013, 0.016));
    s = min(s, sdTaper(p, vec2(-0.155, 0.73), vec2(-0.1, 0.45), 0.018, 0.03));
    s = min(s, sdTaper(p, vec2(-0.1, 0.45), vec2(-0.15, 0.41), 0.03, 0.033));
    s = min(s, sdTaper(p, vec2(-0.15, 0.41), vec2(-0.19, 0.5), 0.033, 0.042));
    s = min(s, sdTaper(p, vec2(-0.2, 0.52), vec2(-0.17, 0.53), 0.05, 0.05));      // the bell's flared rim
    return vec2(d, s);
}

// Background bokeh lights in one layer: returns light (already coloured).
vec3 bokeh(vec2 p, float scale, float seed, float pix) {
    vec2 g = p * scale;
    vec2 cell = floor(g);
    vec2 h = hash22(cell + seed);
    float cluster = vnoise(cell * 0.4 + seed);             // lights come in clusters
    if (h.x > 0.5 * cluster * cluster) return vec3(0.0);
    vec2 o = hash22(cell + seed + 17.0) * 0.3 + 0.35;
    float r = (0.18 + 0.12 * h.y);                           // in cells, stays inside the cell
    float d = length(fract(g) - o);
    float edge = pix * scale * 1.5;
    float disc = smoothstep(r + edge, r - edge, d);
    float ring = smoothstep(r - 0.06, r, d) * disc;          // brighter rim, like a lens's bokeh
    float k = fract(h.x * 13.7 + h.y * 7.1);
    vec3 c = mix(lin(CLUB_AMBER), lin(CLUB_BRASS), k);
    c = mix(c, lin(vec3(0.9, 0.35, 0.25)), step(0.85, k));   // a few red ones
    // Which lights answer this beat / this onset changes each time.
    float pb = step(0.5, hash11(cell.x * 3.1 + cell.y * 7.7 + seed + iBeatCount * 0.37));
    float po = step(0.4, hash11(cell.x * 5.3 + cell.y * 1.9 + seed + iOnsetCount * 0.61));
    float tw = 0.75 + 0.25 * sin(iTime * (0.5 + h.y) + h.x * 40.0);
    // Every light swells on the beat and fades through it; some flash harder.
    float swell = exp(-iBeatPhase * 3.0) * (0.3 + 0.7 * iLevel);
    float flash = 1.2 * swell + 6.0 * iBeat * pb + 6.0 * iOnset * po;
    float b = (0.15 + 0.6 * h.y * h.y) * tw * (1.0 + flash);
    float glow = exp(-d * 9.0) * smoothstep(0.35, 0.2, d) * flash * 0.15;   // bloom, inside the cell
    return c * b * (disc * 0.5 + ring * 0.3 + glow);
}

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    float aspect = iResolution.x / iResolution.y;
    vec2 p = fragCoord / iResolution.y;
    float xc = p.x - 0.5 * aspect;
    float pix = 1.0 / iResolution.y;
    float t = iTime;

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
    float spotAmt = spot * (0.45 + 0.85 * iLevel) * (1.0 + 0.25 * max(lean, 0.0));
    vec3 spotCol = mix(lin(vec3(0.78, 0.84, 1.0)), lin(vec3(1.0, 0.72, 0.42)), smoothstep(0.1, 0.8, iBrightness));
    float px = 0.06 * sin(t * 0.21) + 0.02 * sin(t * 0.53);        // gentle drift of the stage lamp
    vec2 src = vec2(0.5 * aspect - 0.1 + 0.45 * lean + px, 1.25);
    vec2 target = vec2(0.5 * aspect + 0.02 + 0.08 * lean, FLOOR);
    vec2 dir = normalize(target - src);
    vec2 v = p - src;
    float along = dot(v, dir);
    float perp = dot(v, vec2(-dir.y, dir.x));
    float halfW = along * 0.16;
    float cone = smoothstep(halfW, halfW * 0.45, abs(perp)) * step(0.0, along);
    float core = exp(-perp * perp / (halfW * halfW * 0.18 + 1e-5));
    // Shafts in the beam: light broken up by the lamp's gobo, turning slowly.
    float ang = perp / max(along, 0.05);
    float shafts = 0.75 + 0.25 * vnoise1(ang * 40.0 + t * 0.15) + 0.15 * vnoise1(ang * 90.0 - t * 0.1);
    float beamFall = smoothstep(FLOOR - 0.03, FLOOR + 0.02, p.y);     // the floor stops it

    // ------------------------------------------------------------ the smoke
    // Layers of drifting smoke, domain warped; loud passages stir it faster
    // (a faster warp fades in as the momentary loudness, a 400 ms measure of
    // the level, rises), breath makes it thicker.
    float stir = smoothstep(-45.0, -15.0, iLoudnessM);
    vec2 q = vec2(xc * 1.6, p.y * 1.9);
    vec2 w1 = vec2(fbm(q * 1.1 + vec2(t * 0.035, -t * 0.02), 3), fbm(q * 1.1 + vec2(5.2, 1.3) - vec2(t * 0.03, 0.0), 3));
    vec2 w2 = vec2(fbm(q * 1.3 + vec2(-t * 0.16, t * 0.1) + 9.0, 3), fbm(q * 1.3 + vec2(2.8, 7.7) + vec2(t * 0.13, t * 0.17), 3));
    vec2 warp = mix(w1, w2, stir);
    float sm = fbm(q * 1.4 + 2.2 * warp + vec2(t * 0.02, t * 0.035 + 0.3 * stir), 5);
    float thick = clamp(smoke, 0.0, 3.0);
    float dens = smoothstep(0.4 - 0.08 * thick, 0.85, sm) * (0.45 + 0.55 * thick);
    dens *= 0.55 + 0.45 * smoothstep(0.1, 0.7, p.y);              // hangs under the ceiling

    // ------------------------------------------------------------- the room
    vec3 col = lin(vec3(0.06, 0.04, 0.05)) * (0.6 + 0.4 * p.y);
    // Faint wood panelling on the back wall.
    float plank = vnoise(vec2(p.x * 24.0, p.y * 1.5)) * 0.5 + 0.5 * vnoise(vec2(p.x * 60.0, p.y * 3.0));
    col *= 0.85 + 0.3 * plank;
    // Warm wall wash from the bar on the left.
    col += lin(CLUB_AMBER) * 0.025 * exp(-length(vec2(p.x - 0.1, p.y - 0.5)) * 2.5);

    // Bokeh: the lights of the bar and the string lights, out of focus.
    vec3 bk = vec3(0.0);
    if (p.y > 0.3) {
        bk += bokeh(p + vec2(0.0, -0.02 * sin(p.x * 3.0)), 9.0, 0.0, pix);
        bk += bokeh(p + vec2(0.37, 0.11), 5.5, 4.0, pix) * 0.8;
        bk *= smoothstep(0.3, 0.62, p.y) * (0.7 + 0.3 * smoothstep(1.0, 0.7, p.y));
    }
    // Smoke veils the lights a little.
    col += bk * (1.0 - 0.4 * dens) * (0.5 + 0.25 * iLevel);

    // Ambient smoke: barely lit by the room.
    col += lin(CLUB_SMOKE) * dens * 0.04;
    col += lin(CLUB_AMBER) * dens * 0.03 * exp(-length(vec2(p.x - 0.1, p.y - 0.5)) * 2.0);

    // --------------------------------------------------------------- stage
    if (p.y < FLOOR + 0.03) {
        // Boards of the stage, seen from a little above.
        float depthS = clamp((FLOOR + 0.03 - p.y) / (FLOOR + 0.03 - STAGE), 0.0, 1.0);
        float board = 0.5 + 0.5 * vnoise(vec2(xc * 4.0 / (0.3 + depthS), depthS * 12.0));
        vec3 boards = lin(vec3(0.22, 0.13, 0.08)) * 0.18 * (0.7 + 0.3 * board);
        float onStage = smoothstep(STAGE - pix, STAGE + pix, p.y) * smoothstep(FLOOR + 0.03 + pix, FLOOR + 0.03 - pix, p.y);
        // The pool of light on the boards.
        vec2 pd = (p - vec2(target.x, FLOOR - 0.01)) / vec2(0.3, 0.055);
        float pool = exp(-dot(pd, pd) * 1.3);
        vec3 lit = boards + spotCol * pool * 0.55 * spotAmt * (0.6 + 0.4 * board);
        col = mix(col, lit, onStage);
        // The stage's front edge, a dark lip with a brass strip catching the light.
        float lip = smoothstep(STAGE + pix, STAGE - pix, p.y);
        vec3 front = lin(vec3(0.05, 0.03, 0.03)) * 0.5;
        front += lin(CLUB_BRASS) * 0.25 * exp(-abs(p.y - STAGE + 0.004) / 0.0025) * (0.3 + 0.7 * exp(-abs(p.x - target.x) * 2.0)) * spotAmt;
        col = mix(col, front, lip);
    }

    // The light in the smoke: the cone glows where the smoke is.
    float inBeam = cone * beamFall * shafts;
    float fall = 1.0 / (0.6 + 1.2 * max(along, 0.0));
    vec3 beamLight = spotCol * inBeam * fall * spotAmt * (0.03 + 1.2 * pow(dens, 2.2) + 0.08 * core);
    col += beamLight;

    // ------------------------------------------------------------ the player
    float H = 0.4;
    float sway = sin(t * 0.7) * 0.4 + 0.5 * lean;
    vec2 stand = vec2(0.5 * aspect + 0.02, FLOOR - 0.005);
    vec2 lp = (p - stand) / H;
    if (lp.x > -0.35 && lp.x < 0.25 && lp.y > -0.05 && lp.y < 1.05) {
        vec2 ds = player(lp, sway) * H;
        vec2 up = player(lp + vec2(0.005, 0.01), sway) * H;         // is there more of him just above?
        float body = smoothstep(pix, -pix, ds.x);
        float horn = smoothstep(pix, -pix, ds.y);
        float cov = max(body, horn);
        // Lit from above and behind: a rim along his top edges.
        float rimB = body * smoothstep(-pix, pix, up.x);
        float rimS = horn * smoothstep(-pix, pix, up.y);
        vec3 figure = lin(vec3(0.025, 0.02, 0.025));
        figure += spotCol * rimB * 0.6 * spotAmt;
        // Brass: dark where it turns away, bright along the edge facing the lamp,
        // a glint running down the body that flares on each onset.
        float inner = smoothstep(0.0, -0.012, ds.y);                       // 0 at the edge, 1 inside
        float shine = pow(0.5 + 0.5 * sin(lp.y * 60.0 - lp.x * 30.0), 6.0);
        vec3 brass = lin(CLUB_BRASS) * (0.04 + 0.1 * (1.0 - inner) + 0.4 * rimS) * spotAmt;
        brass += lin(vec3(1.0, 0.9, 0.7)) * shine * (0.05 + 0.6 * iOnset) * spotAmt * (1.0 - inner * 0.5);
        figure = mix(figure, brass + spotCol * rimS * 0.4 * spotAmt, horn);
        col = mix(col, figure, cov);
    }

    // Glints of brass: a little haze of light round the bell.
    vec2 bell = stand + vec2(-0.19, 0.53) * H;
    col += lin(CLUB_BRASS) * exp(-length(p - bell) / 0.025) * (0.02 + 0.2 * iOnset) * spotAmt;

    // Smoke in front of everything, lit where the beam crosses it.
    col += spotCol * cone * beamFall * dens * dens * 0.04 * spotAmt * fall;

    // -------------------------------------------------------- the audience
    // Heads and shoulders in the foreground, out of focus, nodding on the beat.
    {
        float hx = p.x * 4.2;
        float hi = floor(hx);
        float dHead = 1e3;
        for (int o = -1; o <= 1; o++) {
            float ci = hi + float(o);
            vec2 hh = hash22(vec2(ci, 3.3));
            float sz = 0.8 + 0.4 * hh.y;
            float nod = 0.008 * exp(-iBeatPhase * 4.0) * (0.3 + 0.7 * iLevel) * step(0.35, hh.y);
            vec2 c = vec2((ci + 0.5 + (hh.x - 0.5) * 0.6) / 4.2, 0.05 + 0.05 * hh.y - nod);
            vec2 r = p - c;
            r.x += 0.15 * (hh.x - 0.5) * r.y;                               // heads turned a little
            float head = length(r * vec2(1.0, 0.82)) - 0.052 * sz;
            float shoulders = length((r + vec2(0.0, 0.11 * sz)) * vec2(0.55, 1.0)) - 0.07 * sz;
            dHead = min(dHead, smin(head, shoulders, 0.03));
        }
        float blur = 0.004;
        float aud = smoothstep(blur, -blur, dHead);
        vec3 audCol = lin(vec3(0.02, 0.015, 0.02));
        col = mix(col, audCol, aud);
    }

    col *= 1.0 - 0.45 * pow(length((p - vec2(0.5 * aspect, 0.45)) / vec2(aspect, 1.0)) * 1.2, 2.0);
    col *= 1.3;
    float peak = max(col.r, max(col.g, col.b));
    vec3 hued = col / (1.0 + 0.6 * peak);
    col = mix(hued, tonemap(col), smoothstep(0.8, 3.0, peak));
    fragColor = vec4(gammaEncode(col), 1.0);
}
