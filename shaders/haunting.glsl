// Haunting: the sound itself made visible. Long luminous ribbons of the
// saxophone's tone drift like smoke over the steppe at night: standing waves
// shaped by the harmonic spectrum, a bright string that is the waveform, a
// height that is the pitch, ripples that are the vibrato, edges that breath
// frays into mist, and soft rings sent out by each new note.
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "spectrum.glsl"

const int HARM = 6;                // standing-wave modes: the first six harmonics
const int ECHOES = 3;              // fainter ribbons drifting behind the main one

vec3 lin(vec3 c) { return c * c; }

// The ribbon's centre line y(u) and its slope dy/du at u (0..1 across the
// screen), drawn at time tt. Modes are fixed at both ends (a standing wave);
// each mode's amplitude is that harmonic's strength in the spectrum.
vec2 ribbonCurve(float u, float tt, float baseY, float amps[HARM], float swell) {
    float y = baseY, dy = 0.0;
    // Slow drift that never stops, so the smoke lives in silence too.
    y += 0.045 * sin(u * 4.1 + tt * 0.23) + 0.03 * sin(u * 7.3 - tt * 0.17 + 1.3);
    dy += 0.045 * 4.1 * cos(u * 4.1 + tt * 0.23) + 0.03 * 7.3 * cos(u * 7.3 - tt * 0.17 + 1.3);
    for (int k = 0; k < HARM; k++) {
        float kk = float(k + 1);
        float s = sin(kk * PI * u), c = cos(kk * PI * u);
        float osc = cos(tt * (0.55 + 0.32 * kk) + kk * 1.7);   // each mode breathes at its own rate
        float a = swell * amps[k] * 0.11 / sqrt(kk) * osc;
        y += a * s;
        dy += a * kk * PI * c;
    }
    return vec2(y, dy);
}

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = (fragCoord - 0.5 * iResolution.xy) / iResolution.y;
    float aspect = iResolution.x / iResolution.y;
    float pix = 1.0 / iResolution.y;
    float t = iTime;
    float u = fragCoord.x / iResolution.x;

    // ---------------------------------------------------------- the tone
    // Pitch sets the height: low notes hang near the ground, high ones rise.
    // The scene's binding feeds `height` the note, smoothed (0.02 per
    // semitone), so the ribbon glides between notes instead of jumping; drawn
    // without bindings (height exactly 0 while a note sounds) read the note.
    float note = boundNote(height, 62.0);
    float f0 = 440.0 * exp2((note - 69.0) / 12.0);
    // iCents swings at the vibrato rate: with vibrato the ribbon rocks with it.
    float baseY = mix(-0.2, 0.2, smoothstep(46.0, 82.0, note))
                + iCents * 0.0007 * step(0.5, iVibratoRate) * saturate(ripple);
    float amps[HARM];
    for (int k = 0; k < HARM; k++) amps[k] = 0.12 + 0.88 * bandAtHz(f0 * float(k + 1));
    float swell = 0.25 + 0.95 * iLevel;

    // Breath frays the edges; its noise drifts along the ribbon like smoke.
    float fray = saturate(smoothstep(0.08, 0.85, iBreath) * mist);
    vec2 np = vec2(uv.x * 3.0 - t * 0.09, uv.y * 5.0 + t * 0.05);
    float n1 = fbm(np, 4);
    float n2 = vnoise(np * 3.1 + 7.0);

    // Vibrato ripple: travelling wavelets whose spacing follows the vibrato
    // rate; iCents (which itself swings at the vibrato rate) rocks them in time.
    float vib = step(0.5, iVibratoRate) * saturate(iVibratoDepth / 40.0) * ripple;
    float rippleK = 14.0 + 3.0 * iVibratoRate;
    float rip = vib * 0.022 * sin(u * rippleK - t * 6.5 + iCents * 0.06) * sin(PI * u);

    // ---------------------------------------------------------- background
    vec3 night = lin(NIGHT_BLUE);
    vec3 violet = lin(DUSK_VIOLET);
    float sky = uv.y + 0.5;
    vec3 col = mix(night * 0.30 + violet * 0.03, night * 0.14, smoothstep(0.0, 1.0, sky));
    // Smoke over the plain: slow, layered.
    float smoke = fbm(vec2(uv.x * 1.3 + t * 0.02, uv.y * 2.2 - t * 0.012) + n1 * 0.8, 3);
    col += violet * 0.07 * smoothstep(0.35, 0.85, smoke) * (0.6 + 0.6 * iLevel);
    col += night * 0.18 * smoothstep(0.45, 0.9, n1);
    // Stars above the smoke.
    vec2 sg = uv * 80.0;
    vec2 sc = floor(sg);
    float sh = hash12(sc);
    vec2 sd = (fract(sg) - 0.2 - 0.6 * hash22(sc + 3.0)) / 80.0;
    float star = step(0.975, sh) * exp(-dot(sd, sd) / (pix * pix * 1.2));
    star *= (0.55 + 0.45 * sin(t * (1.0 + 2.0 * fract(sh * 13.0)) + sh * 50.0)) * smoothstep(-0.05, 0.35, uv.y);
    col += vec3(0.5, 0.55, 0.8) * star * 0.35 * (1.0 - smoothstep(0.5, 0.8, smoke));
    // The steppe's horizon, barely there: a low dark line with a faint glow.
    float hz = -0.42 + 0.03 * fbm1(uv.x * 1.7 + 4.0, 3);
    col += lin(STEPPE_OCHRE) * 0.03 * exp(-max(uv.y - hz, 0.0) * 14.0) * smoothstep(hz - pix, hz + pix, uv.y);
    col = mix(col, night * 0.06 + violet * 0.01, smoothstep(hz + pix, hz - pix, uv.y));

    // ---------------------------------------------------------- ribbons
    // Brightness of the tone warms the ribbon from violet towards brass.
    vec3 warmC = mix(lin(vec3(0.70, 0.60, 1.0)), lin(CLUB_BRASS) * 1.25, smoothstep(0.05, 0.85, iBrightness));
    vec3 coolC = lin(vec3(0.45, 0.40, 0.85));
    float energy = 0.35 + 0.9 * iLevel + 0.3 * iOnset * rings;   // each attack brightens the tone

    // Echoes first (behind), then the main ribbon.
    for (int j = ECHOES; j >= 0; j--) {
        float fj = float(j);
        float tt = t - fj * 1.3;                          // the echo is what the ribbon was
        float by = baseY + (fj == 0.0 ? 0.0 : (mod(fj, 2.0) * 2.0 - 1.0) * (0.09 + 0.05 * fj));
        vec2 cv = ribbonCurve(u, tt, by, amps, swell * (1.0 - 0.18 * fj));
        float yc = cv.x + rip * (1.0 - 0.3 * fj);
        // Smoke warps the ribbon, more for the far echoes.
        yc += (n1 - 0.5) * (0.025 + 0.02 * fj) * (1.0 + 1.5 * fray);
        float slope = cv.y / aspect;                      // dy per unit screen x
        float d = (uv.y - yc) / sqrt(1.0 + slope * slope);

        // A twisting silk ribbon: its width breathes as it turns.
        float phi = u * (2.2 + 0.7 * fj) + t * (0.3 - 0.05 * fj) + fj * 2.1;
        float turn = cos(phi);
        float w = (0.018 + 0.02 * iLevel + 0.006 * fj) * (0.12 + 0.88 * abs(turn));
        w *= 0.55 + 0.45 * sin(PI * u);                   // tapering at the ends
        // Breath frays the edges: the edge is noisy and melts into mist.
        float edgeNoise = (n2 - 0.5) * fray * w * 2.2;
        float dd = abs(d) + edgeNoise;
        float soft = pix * (1.5 + 3.0 * fj) + fray * w * 0.9;
        float body = smoothstep(w + soft, w - soft, dd);
        float v = clamp(d / max(w, 1e-4), -1.0, 1.0);     // across the ribbon
        float striae = 0.75 + 0.25 * sin(v * 9.0 + u * 40.0 * (0.4 + 0.6 * turn) + n1 * 6.0);
        float rim = exp(-pow((dd - w) / (soft + pix), 2.0));  // lit edges
        float halo = exp(-abs(d) / (0.04 + 0.05 * fray + 0.015 * fj)) * (0.22 - 0.03 * fj);
        float mistF = fray * exp(-abs(d) / (0.06 + 0.03 * fj)) * smoothstep(0.35, 0.8, n1 + 0.3 * n2);

        float depth = 1.0 / (1.0 + 1.3 * fj);
        vec3 rc = mix(warmC, coolC, saturate(fj * 0.45 + 0.25 * (1.0 - turn * turn)));
        // The two faces of the turning ribbon catch different light.
        rc *= mix(0.65, 1.0, smoothstep(-0.3, 0.3, turn));
        // Stretches of the ribbon thin into smoke and others glow: drifting along it.
        float along = smoothstep(0.2, 0.75, fbm1(u * 2.6 - t * 0.11 + fj * 7.3, 3));
        float glowA = mix(0.35, 1.0, along);
        vec3 ribbon = rc * (body * striae * (0.3 + 0.3 * abs(turn)) + rim * 0.6) * glowA + rc * halo * (0.5 + 0.5 * along);
        ribbon += coolC * mistF * 0.35;
        col = mix(col, col * 0.5, body * 0.5 * depth);
        col += ribbon * energy * depth;
    }

    // The waveform itself: a bright vibrating string inside the main ribbon,
    // drawn as a polyline through nearby samples so steep edges stay thin.
    {
        float amp = 0.09 * saturate(iLevel * 1.3);
        float dx = 3.0 / iResolution.x;                   // in u
        float ds = 1e3;
        vec2 prev;
        vec2 cv = ribbonCurve(u, t, baseY, amps, swell);  // the centre line, locally straight
        for (int k = -3; k <= 3; k++) {
            float uk = u + float(k) * dx;
            float yk = cv.x + cv.y * (uk - u) + rip + (n1 - 0.5) * 0.025 * (1.0 + 1.5 * fray) + waveAt(uk) * sin(PI * saturate(uk)) * amp;
            vec2 pk = vec2((uk - 0.5) * aspect, yk);
            if (k > -3) {
                vec2 ab = pk - prev, ap = uv - prev;
                float h = saturate(dot(ap, ab) / dot(ab, ab));
                ds = min(ds, length(ap - ab * h));
            }
            prev = pk;
        }
        float env = sin(PI * u);
        float str = exp(-ds * ds / (pix * pix * 2.0)) + 0.3 * exp(-ds / (pix * 5.0));
        col += mix(warmC, vec3(1.0, 0.92, 0.8), 0.5) * str * (0.06 + 0.9 * iLevel) * (0.5 + 0.5 * env);
    }

    // ---------------------------------------------------------- onset rings
    // Time since the last onset from its exponential pulse (tau 0.15 s).
    float age = iOnset > 1e-7 ? -0.15 * log(iOnset) : 99.0;
    if (age < 2.2) {
        float ox = hash11(iOnsetCount * 1.37 + 0.2);
        float oxu = 0.2 + 0.6 * ox;
        vec2 cv = ribbonCurve(oxu, t, baseY, amps, swell);
        vec2 o = vec2((oxu - 0.5) * aspect, cv.x);
        float rr = length((uv - o) * vec2(1.0, 1.15));
        float rad = 0.04 + 0.42 * (1.0 - exp(-age * 1.6));
        float thick = 0.01 + 0.04 * age;
        float ring = exp(-pow((rr - rad) / thick, 2.0)) * exp(-age * 1.7) * (1.0 - exp(-age * 25.0));
        ring *= 0.8 + 0.4 * (n1 - 0.5) * 2.0;             // smoky, uneven
        float flash = exp(-rr * 18.0) * exp(-age * 6.0);
        col += (warmC * 0.6 + coolC * 0.4) * (ring * 0.9 + flash * 0.7) * rings * (0.4 + 0.6 * iLevel);
    }

    // ---------------------------------------------------------- finish
    col *= 1.0 - 0.35 * pow(length(uv / vec2(aspect, 1.0)) * 1.2, 2.0);
    col = tonemap(col * 1.35);
    fragColor = vec4(gammaEncode(col), 1.0);
}
