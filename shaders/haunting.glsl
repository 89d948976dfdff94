// Haunting: the tone made visible. Over the night steppe, under a silver
// moon, ribbons of silk and smoke drift on the air: the saxophone's sound.
// The ribbons hang as high as the note, shimmer with its vibrato, fray into
// mist with the breath, and a warm amber thread inside the first one is the
// tone itself, pulsing with the beat; each new note sends a bead of light
// along it. As the intensity arc builds, more ribbons rise and swirl; at the
// climax they flare and the moon blooms.
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "spectrum.glsl"

const int RIBBONS = 4;      // the tone and three fainter echoes behind it

vec3 lin(vec3 c) { return c * c; }   // palette colours are display-ish: rough linearisation

// Grass silhouettes: one row of blades standing on y = base, as coverage.
// Each pixel looks at the blades rooted in its own cell and both neighbours.
float grassRow(vec2 p, float base, float cell, float hmax, float lean, float seed,
               out float tipLight) {
    float cov = 0.0;
    tipLight = 0.0;
    float ci = floor(p.x / cell);
    for (int k = -1; k <= 1; k++) {
        float c = ci + float(k);
        vec2 h = hash22(vec2(c, seed));
        float H = hmax * (0.35 + 0.65 * h.y);
        float y = (p.y - base) / H;                        // 0 root .. 1 tip
        if (y < 0.0 || y > 1.0) continue;
        float bend = lean * (0.6 + 0.8 * h.x) + (h.x - 0.5) * 0.5 * cell;
        float bx = (c + 0.15 + 0.7 * h.x) * cell + bend * y * y * H;
        float hw = cell * (0.16 + 0.1 * h.y) * (1.0 - y);
        float cv = smoothstep(hw + 0.0015, hw - 0.0015, abs(p.x - bx));
        cov = max(cov, cv);
        tipLight = max(tipLight, cv * smoothstep(0.55, 1.0, y));
    }
    return cov;
}

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    float aspect = iResolution.x / iResolution.y;
    vec2 p = fragCoord / iResolution.y;            // y: 0 bottom .. 1 top
    float xc = p.x - 0.5 * aspect;
    float pix = 1.0 / iResolution.y;
    float t = iTime;
    float hz = 0.30;                               // the horizon

    float arc = saturate(iIntensity);
    float climax = saturate(iClimax);
    vec3 indigo = lin(NIGHT_BLUE);
    vec3 violet = lin(DUSK_VIOLET);
    vec3 silver = lin(vec3(0.80, 0.84, 0.95));
    vec3 amber = lin(CLUB_AMBER);

    // ---------------------------------------------------------------- sky
    vec2 moonP = vec2(-0.52 * aspect + 0.25, 0.80);
    float e = p.y - hz;
    float md = length(vec2(xc, p.y) - moonP);
    float moonGlow = moon * (1.0 + 0.25 * iBeat + 1.2 * climax);
    vec3 col = mix(indigo * 0.9 + violet * 0.12, indigo * 0.35, smoothstep(0.0, 0.7, e));
    col += silver * 0.07 * exp(-max(e, 0.0) * 9.0);                        // moonlit haze at the horizon
    col += amber * 0.05 * arc * exp(-max(e, 0.0) * 12.0);                    // the far city, warming with the arc
    col += silver * (0.10 * exp(-md * 5.0) + 0.22 * exp(-md * 18.0)) * moonGlow;   // halo
    // Stars: fainter near the moon and the horizon; the beat makes them glint.
    vec2 sg = p * 70.0;
    vec2 sc = floor(sg);
    float sh = hash12(sc);
    vec2 sd = (fract(sg) - 0.2 - 0.6 * hash22(sc + 5.0)) / 70.0;
    float star = step(0.955, sh) * exp(-dot(sd, sd) / (pix * pix * 1.3));
    float tw = 0.55 + 0.45 * sin(t * (1.2 + 2.5 * fract(sh * 31.0)) + sh * 60.0);
    star *= (0.3 + 0.7 * fract(sh * 17.0)) * tw * (1.0 + 0.8 * iBeat);
    star *= smoothstep(0.03, 0.25, e) * smoothstep(0.08, 0.3, md);
    col += vec3(0.85, 0.9, 1.0) * star * 0.9;
    // The moon: a silver disc with faint seas.
    float disc = smoothstep(0.056, 0.052, md);
    float seas = vnoise((vec2(xc, p.y) - moonP) * 40.0 + 3.0);
    col = mix(col, silver * (1.6 - 0.5 * smoothstep(0.4, 0.8, seas)) * (0.8 + 0.2 * moon), disc);

    // ---------------------------------------------------------------- land
    // Far hills: a low, soft line with a silver rim where the moonlight catches it.
    float hill = hz + 0.012 + 0.035 * fbm1(xc * 1.6 + 7.0, 3) - 0.02;
    vec3 land = indigo * 0.14 + violet * 0.015;
    float aboveHill = smoothstep(hill - pix, hill + pix, p.y);
    col = mix(land + silver * 0.05 * exp(-max(hill - p.y, 0.0) * 60.0), col, aboveHill);
    // The plain: darker towards us, a pale moon path on the dry grass.
    float below = hill - p.y;
    if (below > 0.0) {
        float pq = (xc - moonP.x) * 3.0 / (0.3 + below * 6.0);
        float path = exp(-pq * pq);
        col += silver * 0.05 * path * exp(-below * 6.0) * moon;
        col *= 1.0 - 0.75 * smoothstep(0.0, 0.25, below);
    }

    // ---------------------------------------------------------------- smoke and silk
    // The note sets the height (its binding feeds `height` 0.02 per semitone,
    // smoothed, so the ribbons glide with the melody).
    float note = boundNote(height, 62.0);
    float baseY = hz + 0.12 + 0.30 * smoothstep(48.0, 84.0, note);
    float gate = step(0.5, iVibratoRate) + 0.35;        // vibrato: the silk shimmers
    float shimmerAmp = ripple * 0.006 * gate;
    float fray = saturate(mist * (0.3 + iBreath));       // breath frays the edges into mist
    float swirl = 0.6 + 0.8 * arc + 1.5 * climax;        // the arc makes them swirl
    float n = fbm(vec2(xc * 1.6 - t * 0.06, p.y * 2.4 + t * 0.035), 3);
    float n2 = vnoise(vec2(xc * 7.0 + t * 0.2, p.y * 9.0 - t * 0.1));
    // The tone's colour: brighter tone and higher note warm the thread towards gold.
    vec3 thread = mix(lin(vec3(1.0, 0.48, 0.18)), lin(vec3(1.0, 0.82, 0.5)),
                      saturate(0.5 * iBrightness + 0.5 * smoothstep(50.0, 80.0, note)));
    vec3 silk = mix(lin(vec3(0.62, 0.62, 0.86)), silver, 0.5);
    float energy = 0.35 + 0.65 * iLevel;
    // Each onset sends a bead of light along the thread (pulse decays with tau 0.15 s).
    float age = iOnset > 1e-4 ? -0.15 * log(iOnset) : 99.0;
    float ox = (hash11(iOnsetCount * 1.37 + 0.2) - 0.5) * aspect * 0.7;

    vec3 veil = vec3(0.0);
    float cover = 0.0;
    for (int i = RIBBONS - 1; i >= 0; i--) {
        float fi = float(i);
        float present = i < 2 ? 1.0 : smoothstep(0.15 + 0.2 * (fi - 2.0), 0.5 + 0.2 * (fi - 2.0), arc + climax);
        if (present < 0.01) continue;
        float ph = fi * 2.37;
        float tt = t * (0.8 - 0.1 * fi);
        float off = fi == 0.0 ? 0.0 : (mod(fi, 2.0) * 2.0 - 1.0) * (0.05 + 0.05 * fi);
        float by = mix(baseY, hz + 0.25, 0.25 * fi) + off;
        float a1 = 0.07 * swirl, a2 = 0.035 * swirl;
        float f1 = 1.3 + 0.2 * fi, f2 = 2.9 - 0.3 * fi;
        float yc = by + a1 * sin(xc * f1 + tt * 0.35 + ph) + a2 * sin(xc * f2 - tt * 0.27 + ph * 1.7);
        float dy = a1 * f1 * cos(xc * f1 + tt * 0.35 + ph) + a2 * f2 * cos(xc * f2 - tt * 0.27 + ph * 1.7);
        yc += (n - 0.5) * (0.05 + 0.03 * fi) * (1.0 + fray);            // the air bends it like smoke
        yc += shimmerAmp * sin(xc * 24.0 - t * 9.0 + iCents * 0.05 + ph) * (1.0 - 0.2 * fi);
        float d = (p.y - yc) / sqrt(1.0 + dy * dy);

        // Silk twisting as it drifts: narrow at each fold, wide where it faces us.
        float tp = xc * (1.7 + 0.3 * fi) - t * 0.25 + ph;
        float face = cos(tp);
        float w = (0.022 + 0.012 * fi + 0.02 * iLevel) * (0.3 + 0.7 * abs(face)) * (1.0 + 0.7 * fray);
        float v = d / w;
        float v2 = v * v * (1.3 - 0.6 * fray * n2);
        float body = exp(-v2 * v2);                          // flat silk, soft edges
        float rim = exp(-v2 * v2 * 4.0) * (1.0 - exp(-v2 * v2 * 4.0)) * 4.0;   // its edges catch the moon
        // Fine strands of the silk, and a sheen on the face that turns to the moon.
        float strands = 0.75 + 0.25 * sin(v * 5.0 + xc * 3.0 + n * 5.0);
        float sheen = smoothstep(-0.2, 0.9, face) * (0.85 + 0.15 * ripple * gate * sin(xc * 40.0 - t * 11.0 + fi));
        // Along its length the ribbon thins into smoke and thickens again.
        float along = smoothstep(0.2, 0.7, fbm1(xc * 1.4 - t * 0.09 + fi * 5.3, 3));
        float smoke = exp(-abs(d) / (0.03 + 0.05 * fray + 0.015 * fi)) * (0.06 + 0.25 * fray) * smoothstep(0.3, 0.75, n + 0.3 * n2);
        float alpha = ((body * strands + 0.3 * rim) * (0.3 + 0.6 * along) + smoke) * present;
        alpha *= 1.0 / (1.0 + 0.7 * fi);
        vec3 c = (mix(silk * 0.3, silk * 1.9, sheen) + silver * rim * 0.8 * (0.4 + 0.6 * sheen)) * (0.6 + 0.3 * glow);
        c = mix(c, mix(violet * 1.5, silk, 0.4), saturate(0.3 * fi));
        if (i == 0) {
            // The warm thread of the tone, running through the silk.
            float cq = d / (0.006 + 0.004 * iLevel);
            float core = exp(-cq * cq) * (0.4 + 0.6 * along);
            float bead = 0.0;
            if (age < 3.0) {
                float s = abs(xc - ox) - age * 0.45;
                bead = exp(-s * s * 900.0) * exp(-age * 1.2) * exp(-v * v * 2.0);
            }
            float tone = core * (0.7 + 0.6 * iBeat + 0.8 * iOnset) * glow + bead;   // each attack flares the thread
            c += thread * tone * 2.5 * (1.0 + 1.5 * climax);
            alpha = max(alpha, saturate(tone));
            c += thread * body * 0.25 * glow * (0.5 + arc + iBeat * 0.5);
        }
        veil += c * alpha * energy;
        cover = max(cover, alpha);
    }
    col = col * (1.0 - 0.35 * saturate(cover)) + veil;

    // Low mist over the plain: breath thickens it.
    col += silver * 0.05 * (0.3 + fray) * exp(-abs(p.y - hz) * 16.0) * (0.6 + 0.6 * n);

    // ---------------------------------------------------------------- near grass
    // Silhouettes in front of the smoke; the wind (the music's level) bends
    // them and the moon silvers the feather-grass tips.
    float lean = 0.25 * sin(t * 0.7 + xc * 0.8) + 0.35 * iLevel;
    float tip1, tip2;
    float g1 = grassRow(p, 0.0, 0.022, 0.14, lean * 0.6, 3.0, tip1);
    float g2 = grassRow(p + vec2(0.011, 0.0), -0.02, 0.035, 0.30, lean, 9.0, tip2);
    col = mix(col, indigo * 0.10 + silver * 0.08 * tip1 * moon, g1 * 0.9);
    col = mix(col, indigo * 0.04 + silver * 0.12 * tip2 * moon, g2);

    col *= 1.0 - 0.3 * pow(length((p - vec2(0.5 * aspect, 0.5)) / vec2(aspect, 1.0)) * 1.3, 2.0);
    col = tonemap(col * 1.4);
    fragColor = vec4(gammaEncode(col), 1.0);
}
