// The crowd erupting into cheers: the club seen from the back. Rows of heads
// and shoulders against warm stage light, arms rising as the music builds,
// bouncing on the beat; phone flashes on the onsets; the stage light takes
// its colour from the sax's pitch and brightness; at the climax the room erupts.
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "spectrum.glsl"

const int ROWS = 5;            // rows of people, far (0) to near (ROWS-1)
const float SPACING = 0.12;    // distance between people in a row, in person units
const float STAGE_Y = 0.0;     // height of the stage floor's front edge
const float CROWD_TOP = 0.153; // no hand of any row reaches above this (uv.y)

vec3 lin(vec3 c) { return c * c; }

float sdCapsule(vec2 p, vec2 a, vec2 b, float r) {
    vec2 pa = p - a, ba = b - a;
    float h = clamp(dot(pa, ba) / dot(ba, ba), 0.0, 1.0);
    return length(pa - ba * h) - r;
}

float sdEllipse(vec2 p, vec2 r) {           // cheap, good near the edge
    float k = length(p / r);
    return (k - 1.0) * min(r.x, r.y);
}

// Distance to the segment a -> a + ba (its squared length's inverse given)
// minus r: a capsule whose length is known, without a division.
float capsuleInv(vec2 pa, vec2 ba, float invLen2, float r) {
    float h = clamp(dot(pa, ba) * invLen2, 0.0, 1.0);
    return length(pa - ba * h) - r;
}

// (cos x, sin x) for |x| < 1.8 by their Taylor series (error < 1e-4): no
// range reduction, cheaper than cos() and sin() on a software rasteriser.
vec2 cosSinSmall(float x) {
    float x2 = x * x;
    return vec2(1.0 + x2 * (-0.5 + x2 * (1.0 / 24.0 + x2 * (-1.0 / 720.0 + x2 * (1.0 / 40320.0)))),
                x * (1.0 + x2 * (-1.0 / 6.0 + x2 * (1.0 / 120.0 + x2 * (-1.0 / 5040.0 + x2 * (1.0 / 362880.0))))));
}

// One arm from the shoulder s (x outward positive), raise 0 (hanging) .. 1 (up).
// Returns the distance; `hand` gets the hand's position.
float arm(vec2 q, vec2 s, float up, float sway, float h, out vec2 hand) {
    float theta = mix(-1.45, 1.42 - 0.3 * h, up) + sway * up;     // upper arm angle from +x (-1.45 .. 1.6)
    vec2 cs = cosSinSmall(PI * up - 0.5 * PI);                        // sin(PI * up) = cs.x
    float bend = cs.x * (0.9 + 0.5 * h) + (0.05 - 0.25 * h) * up;   // forearm lifts when half raised (-0.2 .. 1.4)
    vec2 u = cosSinSmall(theta);
    vec2 b = cosSinSmall(bend);
    vec2 f = vec2(u.x * b.x - u.y * b.y, u.y * b.x + u.x * b.y);    // the forearm: turned on by the bend
    vec2 e = s + 0.07 * u;
    hand = e + 0.068 * f;
    float d = min(capsuleInv(q - s, 0.07 * u, 1.0 / (0.07 * 0.07), 0.014),
                  capsuleInv(q - e, 0.068 * f, 1.0 / (0.068 * 0.068), 0.0105));
    return min(d, capsuleInv(q - hand, 0.016 * f, 1.0 / (0.016 * 0.016), 0.0128));   // the hand
}

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = (fragCoord - 0.5 * iResolution.xy) / iResolution.y;
    float aspect = iResolution.x / iResolution.y;
    float pix = 1.0 / iResolution.y;
    float t = iTime;

    // ---------------------------------------------------------- the light
    float note = boundNote(tint, 62.0);                      // the note, smoothed by its binding
    float pitch01 = smoothstep(45.0, 84.0, note);
    // Stage colour: deep amber on low notes through rose to dusk violet up high;
    // a bright tone bleaches it towards warm white. The gels (`gel`) swap the
    // set: -1 all amber and gold, 1 neon magenta through violet to cyan.
    float warmGel = saturate(-gel), neonGel = saturate(gel);
    vec3 lowC = mix(mix(lin(vec3(1.0, 0.5, 0.16)), lin(vec3(1.0, 0.42, 0.1)), warmGel), lin(vec3(1.0, 0.16, 0.55)), neonGel);
    vec3 midC = mix(mix(lin(vec3(0.95, 0.42, 0.42)), lin(vec3(1.0, 0.6, 0.2)), warmGel), lin(vec3(0.55, 0.22, 1.0)), neonGel);
    vec3 highC = mix(mix(lin(vec3(0.62, 0.36, 0.95)), lin(vec3(1.0, 0.5, 0.32)), warmGel), lin(vec3(0.15, 0.7, 1.0)), neonGel);
    vec3 stageC = pitch01 < 0.5 ? mix(lowC, midC, pitch01 * 2.0) : mix(midC, highC, pitch01 * 2.0 - 1.0);
    stageC = mix(stageC, mix(lin(vec3(1.0, 0.86, 0.66)), lin(vec3(0.85, 0.9, 1.0)), neonGel),
                 0.55 * smoothstep(0.2, 0.9, iBrightness) * (1.0 - 0.5 * neonGel));
    vec3 amber = mix(lin(CLUB_AMBER), lin(vec3(0.3, 0.25, 1.0)), neonGel);   // the wall's own warm light
    float energy = saturate(0.55 * iLevel + 0.6 * iIntensity);
    float burst = iClimax;
    // The climax pulse decays as exp(-t / 1.5 s): its age lets bodies take a
    // moment to respond while the light bursts at once.
    float climaxAge = iClimax > 1e-6 ? -1.5 * log(iClimax) : 99.0;
    float erupt = burst * (0.6 + 0.4 * smoothstep(0.0, 0.35, climaxAge));
    float lightAmt = (0.35 + 0.5 * iLevel + 0.35 * iIntensity) * lights + 1.2 * burst;
    float dark = 1.0 - saturate(lights);                      // a blackout: one spot, and the phones

    float haze = fbm(vec2(uv.x * 2.0 + t * 0.04, uv.y * 3.0 - t * 0.03), 3);

    // ---------------------------------------------------------- the stage
    vec3 col = lin(vec3(0.05, 0.035, 0.06)) * (0.6 + 0.5 * haze);        // the dark room
    float wallY = uv.y - STAGE_Y;
    // The back wall of the stage: a warm wash, brightest behind the player.
    float wash = exp(-uv.x * uv.x * 2.2) * smoothstep(-0.02, 0.05, wallY) * exp(-max(wallY - 0.05, 0.0) * 3.5);
    col += stageC * wash * 0.55 * lightAmt;
    col += amber * exp(-uv.x * uv.x * 1.2 - abs(wallY - 0.08) * 6.0) * 0.15 * lightAmt;
    // Light spilling off the stage into the haze over the audience's heads.
    col += stageC * exp(-uv.x * uv.x * 0.8) * exp(-abs(wallY + 0.02) * 7.0) * (0.5 + 0.6 * haze) * 0.22 * lightAmt;
    // The spot on the player.
    vec2 spotD = (uv - vec2(0.0, 0.09)) * vec2(1.0, 0.55) / 0.12;
    col += mix(stageC, vec3(1.0, 0.9, 0.75), 0.5) * exp(-dot(spotD, spotD)) * 0.35 * (lightAmt + 0.8 * dark);
    // The stage floor's lip, catching the light.
    col += stageC * exp(-abs(wallY) / 0.006) * 0.35 * lightAmt * exp(-uv.x * uv.x * 1.5);

    // ---------------------------------------------------------- beams
    // Lamps on the truss above the stage; beams sweep slowly through the haze.
    vec3 beamCol = vec3(0.0);
    vec3 violetC = mix(stageC, mix(mix(lin(DUSK_VIOLET) * 1.6, lin(CLUB_AMBER) * 1.2, warmGel), lin(vec3(0.2, 0.85, 1.0)) * 1.4, neonGel), 0.6);   // every other lamp
    float kick = 0.55 + 0.45 * iBeat + 0.25 * energy;                  // the beams kick on the beat
    // Each lamp's sweep is sin(0.21 t + i (0.04 t + 1.9)): a phasor turned by
    // the same angle from lamp to lamp, so no sine per lamp and pixel.
    vec2 ph = vec2(cos(0.21 * t), sin(0.21 * t));
    vec2 step1 = vec2(cos(0.04 * t + 1.9), sin(0.04 * t + 1.9));
    vec2 br = vec2(cos(0.5 * t), sin(0.5 * t));
    for (int i = 0; i < 6; i++) {
        float fi = float(i);
        vec2 o = vec2((fi - 2.5) * 0.32, 0.56);
        float sweep = 0.42 * ph.y * (0.6 + 0.4 * energy) + (fi - 2.5) * -0.08;
        ph = vec2(ph.x * step1.x - ph.y * step1.y, ph.y * step1.x + ph.x * step1.y);
        vec2 cs = cosSinSmall(sweep);
        vec2 dir = vec2(cs.y, -cs.x);
        vec2 v = uv - o;
        float along = dot(v, dir);
        float perp = dot(v, vec2(-dir.y, dir.x));
        float w = max(0.012 + along * (0.1 + 0.12 * burst), 0.004);
        float b = exp(-perp * perp / (w * w) - along * 0.9) * step(0.0, along);
        b *= (0.6 + 0.4 * (br.y * cos(fi * 2.3) + br.x * sin(fi * 2.3))) * kick;   // lamps breathe in turn: sin(2.3 i + t / 2)
        beamCol += (mod(fi, 2.0) < 0.5 ? stageC : violetC) * b;
    }
    // The lamps themselves, on the truss: only the nearest one reaches a pixel.
    float li = clamp(floor(uv.x / 0.32 + 3.0), 0.0, 5.0);
    vec2 ld = uv - vec2((li - 2.5) * 0.32, 0.47);
    beamCol += (mod(li, 2.0) < 0.5 ? stageC : violetC) * exp(-dot(ld, ld) / 0.00012) * 3.0;
    col += beamCol * (0.35 + 0.75 * haze) * lightAmt * 0.5;

    // At the climax the stage bursts with light behind the crowd.
    col += mix(stageC, vec3(1.0, 0.9, 0.75), 0.5) * burst * (0.6 * exp(-length((uv - vec2(0.0, 0.12)) * vec2(0.8, 1.4)) * 2.2) + 0.1);

    // The player, centre stage, swaying; at the climax the bell lifts. Drawn
    // over the beams so he always reads, with a little haze in front.
    if (abs(uv.x) < 0.16 && uv.y > STAGE_Y - 0.02 && uv.y < STAGE_Y + 0.3) {
        float lean = 0.06 * sin(t * 0.8) + 0.05 * (iLevel - 0.5) - 0.22 * erupt;
        vec2 pp = rot2(-lean) * (uv - vec2(0.0, STAGE_Y + 0.002)) / 1.15;
        float d = sdCapsule(pp, vec2(-0.012, 0.0), vec2(-0.004, 0.085), 0.011);
        d = min(d, sdCapsule(pp, vec2(0.014, 0.0), vec2(0.004, 0.085), 0.011));
        d = min(d, sdCapsule(pp, vec2(0.0, 0.09), vec2(0.0, 0.16), 0.024));
        d = min(d, length(pp - vec2(0.002, 0.195)) - 0.018);
        // The sax: neck at the mouth, body down, bell curving up and forward.
        float sax = sdCapsule(pp, vec2(0.012, 0.185), vec2(0.026, 0.165), 0.004);
        sax = min(sax, sdCapsule(pp, vec2(0.026, 0.165), vec2(0.034, 0.085), 0.008));
        sax = min(sax, sdCapsule(pp, vec2(0.034, 0.085), vec2(0.054, 0.1), 0.012));
        d = min(d, sdCapsule(pp, vec2(0.006, 0.15), vec2(0.028, 0.12), 0.01));   // the arms on the keys
        d = min(d, sax);
        d *= 1.15;
        float sil = smoothstep(pix, -pix, d);
        float rimP = exp(-abs(d) / (2.0 * pix)) * sil;
        vec3 pc = lin(vec3(0.03, 0.02, 0.03)) + (col * 0.9 + stageC * 0.05) * rimP;
        // Brass catching the light on the horn.
        float horn = smoothstep(pix, -pix, sax * 1.15);
        pc += lin(CLUB_BRASS) * horn * (0.06 + 0.25 * iLevel + 0.4 * burst) * (0.5 + 0.5 * smoothstep(0.08, 0.16, pp.y + 0.04 * sin(pp.x * 200.0)));
        col = mix(col, pc + col * 0.08, sil);
    }

    // ---------------------------------------------------------- the crowd
    // Arms rise with the slow intensity arc and the (bound, smoothed) level;
    // at the climax everybody's hands go up.
    float arousal = saturate(cheer + 1.25 * (iIntensity - 0.3)) + 1.2 * erupt;
    float jump = bounce * (0.25 + 0.75 * energy + erupt);
    vec3 silC = vec3(0.0);
    float silA = 0.0;
    vec3 phoneGlow = vec3(0.0);
    // Backlight wraps round the edges in proportion to the light behind them.
    vec3 behind = col / max(1.0, 4.0 * max(col.r, max(col.g, col.b)));   // capped, hue kept
    vec3 rimCol = behind * 0.6 + stageC * 0.006 * lightAmt;
    // On llvmpipe an if runs its body for every pixel of a block (masked), but
    // a loop is left as soon as all its pixels have left it: above the crowd
    // the first test leaves before any row is drawn.
    for (int jj = 0; jj < ROWS; jj++) {
        if (uv.y > CROWD_TOP) break;
        int j = ROWS - 1 - jj;                                   // nearest first: it hides the rest
        float fj = float(j);
        float k = 0.55 * pow(1.32, fj);                          // size of a person in this row
        float rowY = -0.035 - 0.05 * fj - 0.0125 * fj * fj;
        vec2 rp = vec2(uv.x / k + fj * 0.37, (uv.y - rowY) / k);
        if (rp.y > 0.34) continue;                                // above any hand of this row
        // This pixel's person and the nearer neighbour: nobody reaches further.
        float cellF = floor(rp.x / SPACING);
        float nb = fract(rp.x / SPACING) < 0.5 ? -1.0 : 1.0;
        float dmin = 1e3;
        for (int n = 0; n < 2; n++) {
            float c = cellF + float(n) * nb;
            vec2 hsh = hash22(vec2(c, fj * 7.1 + 3.0));
            float h3 = hash12(vec2(c * 1.7 + 5.0, fj));
            float cx = (c + 0.5 + 0.3 * (hsh.x - 0.5)) * SPACING;
            // Bounce: off the floor on the beat, at the top between beats.
            float ph = fract(iBeatPhase + 0.08 * (h3 - 0.5));
            float hop = 4.0 * ph * (1.0 - ph) * step(0.25, hsh.y) * (0.5 + 0.5 * h3);
            vec2 q = rp - vec2(cx, 0.026 * jump * hop + 0.012 * (hsh.y - 0.5));
            float sw = 0.06 + 0.016 * hsh.y;
            // Torso: widening below the shoulders so the row closes up.
            float tw = sw + 0.12 * max(-q.y, 0.0);
            vec2 tq = vec2(abs(q.x) - tw + 0.034, abs(q.y + 0.6) - 0.6 + 0.034);
            float d = length(max(tq, 0.0)) + min(max(tq.x, tq.y), 0.0) - 0.034;   // rounded shoulders
            d = min(d, sdCapsule(vec2(abs(q.x), q.y), vec2(sw * 0.55, -0.012), vec2(0.0, 0.012), 0.02));  // trapezius
            d = min(d, length(vec2(q.x, q.y - clamp(q.y, 0.0, 0.035))) - 0.016);   // neck
            // The head; some have more hair: a fuller head, or a bun.
            float full = step(0.8, hsh.x);
            vec2 hr = vec2(0.026, 0.032) * (0.9 + 0.2 * h3) * mix(vec2(1.0), vec2(1.35, 1.18), full);
            d = min(d, sdEllipse(q - vec2(0.0, 0.054 + 0.01 * full), hr));
            d = min(d, length(q - vec2(0.004, 0.088 + 0.01 * h3)) - 0.016 + step(h3, 0.7));
            // Arms: each has its own threshold, so the room fills up gradually.
            // Only the arm on this pixel's side of the person is drawn: an arm
            // does not reach across its own head, and the other side's pixels
            // draw the other arm.
            bool right = q.x >= 0.0;
            float tr = hash12(vec2(c, fj + 11.0));
            float tl = hash12(vec2(c + 0.5, fj + 23.0));
            float sway = 0.18 * sin(TAU * iBarPhase * 0.5 + c * 1.3) * (0.3 + 0.7 * energy);
            float rR = smoothstep(tr - 0.12, tr + 0.12, arousal);
            float rL = smoothstep(tl * 1.2 - 0.1, tl * 1.2 + 0.14, arousal);   // second arms come later
            vec2 hand;
            vec2 sR = vec2(sw - 0.014, -0.01);
            vec2 qa = vec2(abs(q.x), q.y);
            d = min(d, arm(qa, sR, right ? rR : rL, right ? sway : -sway, right ? tr : tl, hand));
            // A few hold up phones in their right hands, screens glowing.
            if (right && tr > 0.86 - 0.26 * dark && rR > 0.6) {        // in the dark, more phones come out
                vec2 sp = q - hand - vec2(0.0, 0.022);
                vec2 sd = abs(sp) - vec2(0.008, 0.014);
                float scr = length(max(sd, 0.0)) + min(max(sd.x, sd.y), 0.0);
                phoneGlow += lin(vec3(0.75, 0.85, 1.0)) * (smoothstep(pix / k, -pix / k, scr) * 0.45 + exp(-max(scr, 0.0) / 0.006) * 0.06) * (rR - 0.6) * 2.5;
                d = min(d, scr);
            }
            dmin = min(dmin, d);
        }
        float dd = dmin * k;                                     // back to screen units
        float cover = smoothstep(pix, -pix, dd);
        if (cover > 0.0) {
            // Far rows sit in lit haze; near rows are black, rimmed by the stage light.
            float far = 1.0 - fj / float(ROWS - 1);
            vec3 body = mix(lin(vec3(0.01, 0.007, 0.012)), stageC * 0.05 * lightAmt + lin(vec3(0.035, 0.025, 0.045)), far * far * far);
            float rim = exp(-max(-dd, 0.0) / (pix * (0.7 + 0.15 * fj)));
            body += rimCol * rim;
            silC += (1.0 - silA) * cover * body;
            silA += (1.0 - silA) * cover;
            if (silA > 0.995) break;
        }
    }
    col = col * (1.0 - silA) + silC;
    col += phoneGlow * (0.5 + 0.5 * lightAmt + 0.6 * dark);

    // ---------------------------------------------------------- flashes
    // Phone cameras fire on the onsets: time since the onset from its pulse.
    float age = iOnset > 1e-7 ? -0.15 * log(iOnset) : 99.0;
    // (A loop that the compiler cannot unroll, left at once while no flash is
    // live: on llvmpipe an if would run its body for every pixel anyway.)
    int five = 5 + int(min(iTime, 0.0));
    {
        float howMany = 1.0 + 3.0 * energy + 3.0 * burst;
        for (int m = 0; m < five; m++) {
            if (age >= 0.8) break;
            float fm = float(m);
            if (fm >= howMany) break;
            vec2 hp = hash22(vec2(iOnsetCount * 1.13 + fm * 7.7, fm));
            vec2 fp = vec2((hp.x * 2.0 - 1.0) * 0.8 * aspect * 0.5, -0.22 + 0.3 * hp.y);
            vec2 fd = uv - fp;
            float fl = exp(-age / (0.05 + 0.05 * hp.y));
            float star = 0.0004 / (dot(fd, fd) + 0.00004);
            vec2 afd = abs(fd);
            float cross = exp(-afd.y / 0.0015 - afd.x / 0.05) + exp(-afd.x / 0.0015 - afd.y / 0.03);
            col += lin(vec3(0.9, 0.95, 1.0)) * (star + 0.6 * cross) * fl * flashes;
            col += lin(vec3(0.9, 0.95, 1.0)) * exp(-length(fd) * 12.0) * fl * 0.1 * flashes;   // it lights the room
        }
    }

    // ---------------------------------------------------------- confetti
    // Sparks of confetti fall through the light as the room heats up.
    float conf = smoothstep(0.75, 1.0, iIntensity) * 0.25 + burst;
    int two = 2 + int(min(iTime, 0.0));                       // as the flashes' loop
    {
        for (int L = 0; L < two; L++) {
            if (conf <= 0.01) break;
            float fl = float(L);
            float cs = 0.05 + 0.025 * fl;
            vec2 cp = uv / cs + vec2(0.0, t * (1.6 - 0.4 * fl)) + fl * 13.0;
            vec2 cid = floor(cp);
            vec2 h2 = hash22(cid + 0.5);
            if (h2.x > conf * 0.32) continue;
            vec2 cf = fract(cp) - 0.5 - 0.3 * (h2 - 0.5);
            cf.x += 0.2 * sin(t * 2.0 + h2.y * 20.0);
            float spin = t * (3.0 + 4.0 * h2.y) + h2.x * 30.0;
            float hc = cos(spin * 0.5), hs = sin(spin * 0.5);
            cf = mat2(hc, -hs, hs, hc) * cf;                        // rot2(spin / 2)
            float ss = abs(2.0 * hs * hc);                           // |sin(spin)|
            vec2 sz = vec2(0.12, 0.05 + 0.05 * ss);
            vec2 e = abs(cf) - sz;
            float piece = smoothstep(0.03, 0.0, length(max(e, 0.0)) + min(max(e.x, e.y), 0.0));
            float ss2 = ss * ss;
            float glint = 0.3 + 0.7 * ss2 * ss2;
            vec3 pc = h2.y < 0.33 ? lin(CLUB_BRASS) : (h2.y < 0.66 ? stageC : lin(vec3(0.95, 0.55, 0.6)));
            col += pc * piece * glint * (0.6 + 0.6 * lightAmt) * (0.7 - 0.25 * fl);
        }
    }


    col *= 1.0 - 0.4 * pow(length(uv / vec2(aspect, 1.0)) * 1.2, 2.0);
    col *= 1.3;
    float peak = max(col.r, max(col.g, col.b));
    col = mix(col / (1.0 + 0.6 * peak), tonemap(col), smoothstep(0.8, 3.0, peak));
    fragColor = vec4(gammaEncode(col), 1.0);
}
