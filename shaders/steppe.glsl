// Steppe: the plain he grew up on, at dusk. A huge sky over rolling hills,
// and grass that moves with the music like wind.
//
// What the music does here:
//   beats      launch gusts that roll across the plain from the horizon to the
//              viewer as bright sheen waves (the downbeat's gust is the big one);
//   onsets     push the clouds along (busier playing, faster sky) and make the
//              stars of the sounding note flare;
//   loudness   (iDynamics) draws the clouds out into long wind streaks; the
//              level (its `wind` binding) bends the grass;
//   note       (`tone`, the sax's note smoothed by its binding) sets the sun's
//              height and the afterglow's colour: low notes a deep ember sun
//              sinking, high notes a gold one lifting, its glow climbing;
//   intensity  the arc opens the sky: the glow rises, the stars give way and
//              the clouds catch fire as the music builds;
//   climax     the whole sky burns and the clouds wind into a vortex.
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "spectrum.glsl"

const float K = 0.42;     // blade height as a fraction of its root's depth below the horizon
const float Q = 0.945;    // ratio between successive rows of blade roots (towards the horizon)
const float CELL = 0.042; // blade spacing as a fraction of depth below the horizon
const int ROWS = 11;      // rows that can reach one pixel: ln(1/(1-K)) / ln(1/Q) + 1
const float GUST_BEATS = 4.0;   // beats a gust takes from the horizon to the viewer
const vec2 VORTEX = vec2(0.3, 0.36);   // the climax's vortex: screen x offset, height above the horizon

vec3 lin(vec3 c) { return c * c; }   // palette colours are display-ish: rough linearisation

// Sky colour (linear) at elevation n (0 horizon .. 1 top), screen x offset xc.
// glowCol: the afterglow's colour; glowK: how fast it falls off upwards
// (smaller climbs higher); fireAmt: how much of the sky has caught fire.
vec3 skyGradient(float n, float xc, float sunX, float glowAmt, vec3 glowCol, float glowK, float fireAmt) {
    vec3 horizonCol = lin(STEPPE_OCHRE) * 1.1;
    vec3 rose = lin(vec3(0.78, 0.42, 0.42));
    vec3 violet = lin(DUSK_VIOLET) * 1.1;
    vec3 night = lin(NIGHT_BLUE) * 0.9;
    vec3 c = mix(horizonCol, rose, smoothstep(0.0, 0.14, n));
    c = mix(c, violet, smoothstep(0.08 + 0.2 * fireAmt, 0.42 + 0.25 * fireAmt, n));
    c = mix(c, night, smoothstep(0.32 + 0.2 * fireAmt, 0.95 + 0.1 * fireAmt, n));
    // Glow around where the sun went down: wide, flattened, warm.
    float dx = xc - sunX;
    float g = exp(-n * glowK) * exp(-dx * dx * 1.2);
    float g2 = exp(-n * 22.0 - dx * dx * 6.0);
    c += glowCol * (g * 0.55 + g2 * 0.9) * glowAmt;
    c += lin(STEPPE_OCHRE) * exp(-n * 14.0) * 0.25 * glowAmt;
    // The sky catching fire: a red-orange blaze climbing from the horizon.
    c += lin(vec3(1.0, 0.3, 0.1)) * fireAmt * 0.3 * exp(-n * mix(4.0, 2.0, fireAmt)) * (0.6 + 0.4 * exp(-dx * dx * 0.6));
    return c;
}

float ridgeNoise(float x) {
    float v = 0.0, a = 0.5;
    for (int i = 0; i < 4; i++) {
        v += a * (1.0 - abs(2.0 * vnoise1(x + 37.0 * float(i)) - 1.0));
        x *= 2.1; a *= 0.5;
    }
    return v;
}

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    float aspect = iResolution.x / iResolution.y;
    vec2 p = fragCoord / iResolution.y;          // y: 0 bottom .. 1 top
    float xc = p.x - 0.5 * aspect;
    float pix = 1.0 / iResolution.y;
    float t = iTime;
    float hz = horizon;
    float sunX = 0.3 * aspect;
    float glowAmt = glow * (0.7 + 0.9 * iBass + 0.2 * iLevel) * (1.0 + 0.3 * iBeat)
                  * (0.8 + 0.35 * smoothstep(0.3, 0.72, iIntensity));   // the arc opens the sky

    // ---------------------------------------------------------- the music
    float note = boundNote(tone, 50.0);           // the sax's note, smoothed by its binding
    float pitch01 = smoothstep(40.0, 74.0, note);
    // Afterglow colour: a deep ember for low notes, amber, pale gold up high.
    vec3 ember = lin(vec3(0.95, 0.34, 0.22));
    vec3 amber = lin(CLUB_AMBER);
    vec3 gold = lin(vec3(1.0, 0.76, 0.4));
    vec3 glowCol = pitch01 < 0.5 ? mix(ember, amber, pitch01 * 2.0) : mix(amber, gold, pitch01 * 2.0 - 1.0);
    float build = smoothstep(0.3, 0.72, iIntensity);  // the arc, as the piece builds
    float peak = sqrt(iClimax);                       // the climax, held a little longer
    float fireAmt = saturate(fire * saturate(0.8 * build + peak));
    float glowK = mix(8.5, 3.6, saturate(0.45 * pitch01 + 0.6 * fireAmt));
    float sunY = hz + mix(-0.01, 0.03, pitch01);     // the note lifts the sun
    float swirl = saturate(fire * peak);              // the vortex in the clouds
    float climaxAge = iClimax > 1e-6 ? -1.5 * log(iClimax) : 20.0;   // seconds since the climax

    vec3 col = vec3(0.0);
    vec3 horizonSky = skyGradient(0.0, xc, sunX, glowAmt, glowCol, glowK, fireAmt);
    float e = p.y - hz;
    float n = e / (1.0 - hz);

    // ---------------------------------------------------------------- sky
    if (e > -pix) {
        col = skyGradient(max(n, 0.0), xc, sunX, glowAmt, glowCol, glowK, fireAmt);

        // Stars, strongest high up; highs make them twinkle. They give way as
        // the sky catches fire.
        vec2 sg = p * 90.0;
        vec2 sc = floor(sg);
        float sh = hash12(sc);
        vec2 so = hash22(sc + 7.0) * 0.7 + 0.15;
        vec2 sd = (fract(sg) - so) / 90.0;
        float star = step(0.965, sh) * exp(-dot(sd, sd) / (pix * pix * 1.1));
        float tw = 0.5 + 0.5 * sin(t * (1.5 + 3.0 * hash11(sh * 91.0)) + sh * 80.0);
        star *= (0.25 + 0.75 * fract(sh * 37.0)) * mix(0.75 + 0.25 * tw, tw * 1.6, iHigh);
        // The stars answer the saxophone: those of the note's pitch class flare.
        float starClass = floor(fract(sh * 53.0) * 12.0);
        float answer = iVoiced * (1.0 - step(0.5, abs(starClass - mod(floor(iNote + 0.5), 12.0))));
        star *= 1.0 + 3.0 * answer * (0.6 + 0.4 * iOnset + 0.3 * tw);
        float starMask = smoothstep(0.35, 0.95, n) * (1.0 - 0.85 * fireAmt);

        // Clouds on a plane: perspective squeezes them towards the horizon.
        // After the climax they wind into a vortex above the sun: its arms
        // turn and tighten as the pulse fades.
        vec2 sv = vec2(xc, e);
        float arms = 0.0;
        if (swirl > 0.002) {
            vec2 vq = (sv - VORTEX) * vec2(1.0, 2.1);      // a flattened circle: the vortex lies on the cloud plane
            float r = length(vq);
            float around = exp(-r * r / 0.09) * smoothstep(0.0, 0.12, e);
            sv = VORTEX + (rot2(swirl * (2.5 + 0.5 * climaxAge) * around) * vq) / vec2(1.0, 2.1);
            float th = atan(vq.y, vq.x);
            arms = 0.5 + 0.5 * cos(2.0 * th + 6.0 * log(r + 0.02) + 1.1 * climaxAge);
            arms = smoothstep(0.25, 0.95, arms) * smoothstep(0.5, 0.12, r) * smoothstep(0.015, 0.07, r) * swirl;
        }
        float ee = max(sv.y, 0.015);
        vec2 cp = vec2(sv.x, 1.0) / ee * 0.4;
        // Loudness draws the clouds out into streaks; every onset pushes them on.
        float streak = 1.0 + 0.5 * smoothstep(0.3, 0.95, iDynamics);
        float drift = t * 0.012 + 0.006 * (iOnsetCount - iOnset);
        cp = cp * vec2(0.6 / streak, 1.0) + vec2(drift, t * 0.01);
        float dens = fbm(cp, 5);
        float towards = fbm(cp + vec2((sunX - xc) * 0.25, 0.35), 3);   // sample towards the light below
        float cloud = smoothstep(0.42, 0.75, dens + arms * (0.55 * dens - 0.08)) * smoothstep(0.0, 0.07, e) * (1.0 - 0.5 * smoothstep(0.6, 1.0, n));
        float lit = smoothstep(0.72, 0.38, towards - 0.25 * arms);
        float dxs = xc - sunX;
        float nearSun = exp(-dxs * dxs * 0.8) * exp(-n * 2.5);
        vec3 shade = lin(DUSK_VIOLET) * 0.35 + lin(NIGHT_BLUE) * 0.3;
        vec3 litCol = mix(lin(vec3(0.95, 0.5, 0.45)), glowCol * 1.3, nearSun);
        // On fire: every cloud's underside burns, orange-gold low, crimson high up;
        // the shaded sides stay dark, so the fire has something to burn against.
        vec3 fireCol = mix(lin(vec3(1.0, 0.55, 0.18)) * 1.5, lin(vec3(0.9, 0.3, 0.26)), smoothstep(0.05, 0.7, n));
        litCol = mix(litCol, fireCol, fireAmt * 0.9);
        float under = lit * (0.4 + 0.6 * exp(-n * 1.5));
        under = mix(under, lit, fireAmt);
        shade = mix(shade, lin(vec3(0.34, 0.14, 0.32)) * 0.6, fireAmt);
        vec3 cloudCol = mix(shade, litCol * (0.5 + 1.3 * nearSun + 0.8 * fireAmt) * glowAmt, under);
        col += star * vec3(0.9, 0.92, 1.0) * starMask * (1.0 - cloud);
        col = mix(col, cloudCol, cloud * 0.9);

        // Sun, half sunk: a soft disc that the hills cut; the note sets its height.
        float sdist = length(vec2(xc - sunX, p.y - sunY));
        float disc = smoothstep(0.040, 0.037, sdist);
        float limb = sqrt(max(1.0 - sdist / 0.04, 0.0));
        vec3 sunLo = mix(lin(vec3(1.0, 0.36, 0.16)) * 2.5, lin(vec3(1.0, 0.62, 0.3)) * 2.5, pitch01);
        vec3 sunCol = mix(sunLo, lin(vec3(1.0, 0.86, 0.62)) * 5.0, limb);
        col = mix(col, sunCol * (0.8 + 0.2 * glowAmt), disc);
        col += glowCol * (exp(-sdist * 30.0) * 0.5 + exp(-sdist * 9.0) * (0.15 + 0.2 * fireAmt)) * glowAmt;
    }

    // ---------------------------------------------------------------- hills
    if (e > -0.002 && e < 0.13) {
        // Far mountains (the Alatau above Almaty): hazy, cool, snow catching the last light.
        float dsun = xc - sunX;
        float low = 1.0 - 0.75 * exp(-dsun * dsun * 12.0);          // the land dips where the sun sets
        float mAmp = smoothstep(0.75, -0.5, xc) * low;
        float rn = ridgeNoise(xc * 2.6 + 33.0);
        float mh = 0.01 + 0.12 * mAmp * rn * rn;
        if (e < mh) {
            vec3 haze = horizonSky;
            vec3 m = mix(haze, lin(vec3(0.34, 0.3, 0.55)) * 0.28, 0.72);
            float snow = smoothstep(0.045, 0.08, mh) * smoothstep(mh - 0.035, mh - 0.005, e)
                       * (0.6 + 0.4 * vnoise1(xc * 90.0 + e * 50.0));
            vec3 snowCol = mix(lin(vec3(1.0, 0.74, 0.8)), lin(vec3(1.0, 0.55, 0.4)), fireAmt);
            m = mix(m, snowCol * 0.32 * (0.7 + 0.3 * glowAmt + 0.6 * fireAmt), snow * 0.75);
            col = mix(col, m, smoothstep(mh + pix, mh - pix, e));
        }
        // Rolling hills, darker as they come nearer.
        float h1 = (0.01 + 0.05 * fbm1(xc * 1.9 + 11.0, 4)) * low;
        vec3 hc1 = lin(DUSK_VIOLET) * 0.3 + horizonSky * 0.12;
        hc1 += glowCol * 0.5 * smoothstep(h1 - 0.004, h1, e) * exp(-dsun * dsun * 8.0) * glowAmt;  // sunlit rim
        col = mix(col, hc1, smoothstep(h1 + pix, h1 - pix, e));
        float h2 = 0.002 + 0.028 * low * smoothstep(0.2, 0.8, fbm1(xc * 3.1 - 5.0, 4));
        vec3 hc2 = lin(vec3(0.2, 0.13, 0.24)) * 0.3 + horizonSky * 0.04;
        hc2 += glowCol * 0.3 * smoothstep(h2 - 0.003, h2, e) * exp(-dsun * dsun * 8.0) * glowAmt;
        col = mix(col, hc2, smoothstep(h2 + pix, h2 - pix, e));
    }

    // ---------------------------------------------------------------- grass
    float sp = hz - p.y;                          // depth parameter: 1/distance
    if (sp > 0.0) {
        // Haze colour of the far plain.
        float dxs = xc - sunX;
        vec3 haze = lin(DUSK_VIOLET) * 0.2 + horizonSky * 0.1;
        haze += glowCol * 0.3 * exp(-dxs * dxs * 4.0) * exp(-sp * 25.0) * glowAmt;   // sheen towards the sun
        float backlight = (0.55 + 0.8 * exp(-dxs * dxs * 1.5)) * glowAmt;
        vec3 grassLight = mix(amber, glowCol, 0.35);   // the afterglow on the grass, kept golden

        // Wind: a slow swell plus gusts travelling across the plain; level strengthens them.
        vec2 wp = vec2(xc / sp, 1.0 / sp);        // ground-plane position
        float phase = t * 0.45 + iLevel * 1.8;
        float patch = vnoise(wp * vec2(0.12, 0.2) + 3.0) * 0.75;             // drifts of greener and drier grass

        // The beat's gusts: each beat launches one at the horizon; it rolls
        // towards the viewer over GUST_BEATS beats, a wavy front with a sharp
        // leading edge and a soft wake, covering patches of the plain. The
        // downbeat's is the strongest; all grow with the level and the arc.
        float barBeat = floor(iBarPhase * 4.0 - iBeatPhase + 0.5);
        float gustGain = gusts * (0.15 + 0.6 * iLevel + 0.5 * build + 0.4 * peak);
        vec3 front = vec3(0.0);                  // each gust's front, as a fraction of hz below the horizon
        vec3 gAmp = vec3(0.0);
        for (int m = 0; m < 3; m++) {
            float fm = float(m);
            float id = iBeatCount - fm;
            float age = (fm + iBeatPhase) / GUST_BEATS;  // 0 at the horizon .. 1 at the viewer
            float inBar = mod(barBeat - fm + 8.0, 4.0);
            float strength = inBar < 0.5 ? 1.0 : (inBar > 1.5 && inBar < 2.5 ? 0.65 : 0.2);
            // Its shape on the ground: patches of the plain it sweeps, a wavy front.
            float patchy = smoothstep(0.2, 0.75, vnoise1(wp.x * 0.15 + id * 7.31));
            front[m] = pow(age, 1.35) + 0.06 * sin(wp.x * 0.35 + id * 2.1) + 0.03 * sin(wp.x * 0.9 - id);
            gAmp[m] = gustGain * strength * (0.15 + 0.85 * patchy) * smoothstep(0.0, 0.12, age) * (1.0 - smoothstep(0.75, 1.0, age));
        }

        float jA = log(sp / (1.0 - K)) / log(Q);
        float j = floor(jA);
        float sj = pow(Q, j);                     // row depth, stepped by Q each row
        vec3 acc = vec3(0.0);
        float alpha = 0.0;
        for (int i = 0; i < ROWS; i++, j += 1.0, sj *= Q) {
            float w = CELL * sj;                  // blade spacing on screen
            // Bend: the row's blades lean with the wind, more towards the tip.
            // Wind at this row: gusts roll across the plain, level makes them stronger.
            vec2 rp = vec2(xc / sj, 1.0 / sj);
            float gust = smoothstep(0.25, 0.85, vnoise(vec2(rp.x * 0.35 - phase * 1.3, rp.y * 0.5 + 0.2 * phase)));
            // The beat's gust fronts passing this row.
            vec3 dw = vec3(sj / hz) - front;     // > 0: the front has not reached the row yet
            vec3 x = dw * mix(vec3(1.0 / 0.085), vec3(1.0 / 0.03), step(0.0, dw));   // sharp ahead, a soft wake
            vec3 bump = max(1.0 - 0.25 * x * x, 0.0);   // (1 - x^2/4)^4: a gaussian's shape, without exp
            bump *= bump;
            vec3 wv = bump * bump * gAmp;
            float wave = wv.x + wv.y + wv.z;
            float sheen = wave / (1.0 + 0.6 * wave);   // its light, saturating
            float swell = sin(rp.x * 0.5 - t * 0.8 + rp.y * 0.3);
            float sway = wind * (0.08 + 0.04 * swell + (0.08 + 0.22 * iLevel) * gust) + 0.22 * wave;
            float up = max(sj - sp, 0.0);
            float xs = xc - sway * up * up / (K * sj) + hash11(j * 1.37 + 0.5) * 17.0 * w;
            float ci = floor(xs / w);
            vec2 hb = hash22(vec2(ci, j));
            float h3 = hash12(vec2(j, ci) + 3.1);
            float root = sj * (1.0 - (1.0 - Q) * hb.y);   // root depth jittered within the row
            float H = K * root * (0.5 + 0.5 * h3);
            float v = (root - sp) / H;            // 0 at root, 1 at tip
            if (v < 0.0 || v > 1.0) continue;
            float bx = (ci + 0.25 + 0.5 * hb.x) * w + (hb.y - 0.5) * 0.35 * w * v * v;   // own curl
            float hw = w * (0.07 + 0.06 * h3) * sqrt(1.0 - v);
            // Some stems carry a feather-grass plume (kovyl): a soft silvery spindle near the tip.
            float isPlume = step(0.9, hb.x);
            float pv = clamp((v - 0.62) / 0.38, 0.0, 1.0);
            float plume = isPlume * 4.0 * pv * (1.0 - pv);
            hw += w * 0.06 * plume;
            float d = abs(xs - bx);
            float cov = clamp((min(d + 0.5 * pix, hw) - max(d - 0.5 * pix, -hw)) / pix, 0.0, 1.0);
            if (cov <= 0.0) continue;
            // Colour: shadowed base, dry-gold body, tips backlit by the sky; a
            // passing gust turns the blades' pale sides to the light.
            vec3 body = mix(lin(STEPPE_GRASS), lin(STEPPE_OCHRE), clamp(h3 * 0.6 + patch * 1.2 - 0.3, 0.0, 1.0));
            vec3 c = mix(body * 0.02, body * (0.09 + 0.16 * gust + 2.5 * sheen), v * v);
            float tip = clamp(v * 2.2 - 1.2, 0.0, 1.0);
            float shimmer = 0.6 + 0.4 * sin(t * 3.0 + hb.x * 40.0) * (0.3 + iHigh);
            c += grassLight * tip * backlight * (0.1 + 0.28 * gust + 3.0 * sheen + (0.25 * iMid + 0.35 * iHigh) * shimmer);
            c += lin(vec3(1.0, 0.82, 0.6)) * sheen * v * v * 0.6 * backlight;   // the sheen
            vec3 silver = lin(vec3(0.92, 0.84, 0.82));
            c = mix(c, silver * backlight * (0.07 + 0.12 * gust + 0.4 * sheen + (0.12 * iMid + 0.3 * iHigh) * shimmer), isPlume * smoothstep(0.6, 0.75, v) * 0.7);
            float fog = sj * 40.0 / (1.0 + sj * 40.0);
            c = mix(haze, c, fog);
            acc += (1.0 - alpha) * cov * c;
            alpha += (1.0 - alpha) * cov;
            if (alpha > 0.98) break;
        }
        // Between blades: the dark earth of the plain.
        vec3 ground = mix(haze, lin(vec3(0.22, 0.2, 0.12)) * 0.04, 1.0 - exp(-sp * 12.0));
        vec3 g = acc + (1.0 - alpha) * ground;
        col = mix(col, g, smoothstep(0.0, pix, sp));
    }

    // Breath: a low mist over the plain, lit by the afterglow.
    col += lin(vec3(0.75, 0.55, 0.6)) * iBreath * 0.35 * exp(-abs(e) * 14.0) * glowAmt;
    col *= 1.0 - 0.25 * pow(length((p - vec2(0.5 * aspect, 0.45)) / vec2(aspect, 1.0)) * 1.3, 2.0);  // gentle vignette
    col = tonemap(col * 1.3);
    fragColor = vec4(gammaEncode(col), 1.0);
}
