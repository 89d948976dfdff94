// Eyes blazing with intensity: the player's gaze at the peak of a solo, not
// drawn as an eye but as a total eclipse. A dark disc (the pupil, narrowing
// as he plays louder) ringed by an iris of brass fibres; beyond it a corona of
// fire whose streamers flare with every attack and reach out with the
// intensity arc; one fierce catchlight, the eclipse's diamond bead, climbing
// the rim with the melody. At the climax the whole corona blazes into the
// smoky club air. Beats send a ripple of light out through the streamers.
#include "common.glsl"
#include "noise.glsl"
#include "palette.glsl"
#include "periodic.glsl"
#include "spectrum.glsl"

const float R = 0.165;          // radius of the eclipse (the iris's outer edge)
const float FIB = 48.0;         // angular period of the streamer pattern

vec3 lin(vec3 c) { return c * c; }

void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = (fragCoord - 0.5 * iResolution.xy) / iResolution.y;
    float aspect = iResolution.x / iResolution.y;
    float pix = 1.0 / iResolution.y;
    float t = iTime;

    float heat = saturate(iIntensity * fire);            // the slow arc feeds the fire
    float blaze = iClimax;                               // the peak of the solo
    float fl = flare;                                    // attacks (binding: onset)
    float note = boundNote(gaze, 64.0);
    float pitch01 = smoothstep(45.0, 84.0, note);
    float ripple = 1.0 - iBeatPhase;                     // a beat's light travelling out

    // Fire colour: deep ember on low notes, pale gold on high ones; white-gold at the blaze.
    vec3 ember = lin(vec3(1.0, 0.40, 0.10));
    vec3 gold = lin(vec3(1.0, 0.80, 0.48));
    vec3 fireC = mix(ember, gold, pitch01);
    fireC = mix(fireC, lin(vec3(1.0, 0.9, 0.72)), 0.5 * blaze);
    vec3 amber = lin(CLUB_AMBER);
    vec3 brass = lin(CLUB_BRASS);
    vec3 violet = lin(DUSK_VIOLET);

    // A slow, steady drift of the whole gaze: focus, not stillness.
    vec2 c = vec2(0.012 * sin(t * 0.13), 0.008 * sin(t * 0.11 + 1.0));
    vec2 d = uv - c;
    float r = length(d);
    float a = atan(d.y, d.x);
    float ang = a / TAU + 0.5;                           // 0..1 around the ring
    float rn = r / R;

    // ------------------------------------------------------------ the club air
    float smoke = fbm(vec2(uv.x * 1.6 + t * 0.025, uv.y * 2.4 - t * 0.05), 4);
    float wisps = smoothstep(0.45, 0.75, fbm(vec2(uv.x * 3.0 - t * 0.04, uv.y * 1.8 + smoke * 1.5), 3));
    vec3 col = mix(lin(vec3(0.06, 0.03, 0.045)), violet * 0.12, smoothstep(-0.4, 0.5, uv.y)) * (0.35 + 0.9 * smoke);
    col += violet * 0.08 * wisps;
    // Two soft stage beams slanting down from above, lit by the room.
    float beam = 0.0;
    for (int i = 0; i < 2; i++) {
        float s = i == 0 ? -1.0 : 1.0;
        vec2 o = vec2(s * 0.62 * aspect * 0.5, 0.62);
        vec2 q = uv - o;
        float along = -q.y;
        float across = abs(q.x + s * along * 0.55);
        beam += smoothstep(0.05 + 0.16 * along, 0.0, across) * smoothstep(0.0, 0.25, along) * exp(-along * 1.1);
    }
    col += mix(violet, amber, 0.35) * beam * (0.05 + 0.07 * heat + 0.05 * iBeat) * (0.5 + smoke);

    // ------------------------------------------------------------ the corona
    // Streamers: angular fibres, long in radius, flowing outward; their reach
    // follows the spectrum around the ring (low bands above, high below).
    float lr = log(max(r, 1e-3) / R);
    float flow = t * (0.10 + 0.25 * heat) + 0.25 * fl + 0.6 * blaze;
    float sf = pfbm(vec2(ang * FIB, lr * 1.3 - flow), FIB, 3);
    float fine = pnoise(vec2(ang * FIB * 4.0, lr * 2.5 - flow * 1.7), FIB * 4.0);
    float spec = bandLerp(abs(ang - 0.5) * 2.0);
    float helmet = pnoise(vec2(ang * 7.0, t * 0.04), 7.0);   // some streamers long, some short
    float reach = (0.35 + 1.1 * helmet) * (0.03 + 0.05 * heat) + 0.04 * fl + 0.05 * spec * (0.5 + iLevel) + 0.22 * blaze;
    float outR = max(r - R, 0.0);
    float streak = smoothstep(0.32, 0.78, sf) * (0.35 + 0.9 * smoothstep(0.3, 0.9, fine));
    float corona = streak * exp(-outR / (reach * (0.6 + 1.2 * sf)));
    float halo = exp(-outR / (0.025 + 0.03 * heat + 0.09 * blaze));  // the smooth inner glow
    // A ripple of light out through the corona on each beat.
    float beatR = R + 0.012 + iBeatPhase * (0.18 + 0.1 * heat);
    float wave = exp(-pow((r - beatR) / (0.012 + 0.02 * iBeatPhase), 2.0)) * ripple * (0.25 + 1.0 * iBeat);
    float outside = smoothstep(R - pix, R + pix, r);
    float power = (0.35 + 0.5 * iLevel) * (0.45 + 1.4 * heat * heat + 0.7 * fl) + 3.0 * blaze;
    // Hot and pale at the rim, deepening to ember and rose as the streamers reach out.
    vec3 tipC = mix(lin(vec3(0.85, 0.3, 0.12)), lin(vec3(0.95, 0.5, 0.3)), pitch01);
    vec3 streamC = mix(mix(fireC, gold, 0.35 + 0.3 * fine), tipC, smoothstep(0.0, 0.25 + 0.3 * blaze, outR));
    vec3 cor = streamC * corona * power * 1.3;
    cor += mix(amber, fireC, 0.5) * halo * (0.25 + 0.7 * heat + 0.3 * fl + 2.0 * blaze);
    cor += mix(gold, fireC, 0.4) * wave * (0.3 + 0.7 * streak) * (0.6 + heat + blaze);
    col += cor * outside * (0.8 + 0.4 * smoke);
    // The fire lights the smoke around it.
    col += fireC * smoke * smoke * exp(-r * (4.5 - 2.0 * blaze)) * (0.08 + 0.2 * heat + 0.7 * blaze);

    // ------------------------------------------------------------ the iris
    // Brass fibres from the pupil's edge to the rim, a chromosphere of fire at
    // the rim, prominences licking out of it.
    float pR = clamp(pupil, 0.2, 0.85);
    float iris = smoothstep(R + pix, R - pix, r) * smoothstep(pR * R - pix, pR * R + pix, r);
    float spin = ang + t * 0.006;
    float fib = pfbm(vec2(spin * FIB * 1.5, rn * 2.0 - t * 0.05), FIB * 1.5, 2);
    float irisT = smoothstep(pR, 1.0, rn);
    float collar = exp(-pow((rn - pR - 0.12 * (1.0 - pR) - 0.03 * sin(ang * TAU * 12.0 + fib * 4.0)) / 0.05, 2.0));
    vec3 irisC = mix(lin(vec3(0.55, 0.36, 0.16)), mix(amber, fireC, 0.6), irisT) * (0.1 + 0.9 * smoothstep(0.35, 0.75, fib) + 0.4 * collar);
    // Mostly in the eclipse's shadow: the fibres light up from the rim inward.
    irisC *= (0.08 + 0.92 * irisT * irisT) * (0.22 + 0.45 * iLevel + 0.4 * iBeat) * (0.45 + 1.2 * heat + 1.5 * blaze);
    irisC *= 1.0 - 0.55 * smoothstep(0.85, 1.0, rn);      // dark limbal ring
    col = mix(col, irisC, iris);
    float rim = exp(-pow((r - R) / (0.004 + 0.003 * heat + 0.006 * blaze), 2.0));
    float prom = pfbm(vec2(ang * 24.0, t * 0.35 + 0.3 * fl), 24.0, 2);
    float promH = smoothstep(0.55, 0.85, prom) * (0.008 + 0.02 * fl + 0.02 * heat + 0.03 * blaze);
    float promM = smoothstep(promH, 0.0, outR) * outside * step(0.001, promH);
    col += fireC * (rim * (0.6 + 1.2 * heat + 0.8 * fl + 3.0 * blaze) + promM * (0.5 + 1.5 * heat + 2.0 * blaze));
    // The pupil's edge glows faintly: ember-lit.
    col += amber * exp(-pow((r - pR * R) / 0.005, 2.0)) * (0.05 + 0.25 * heat + 0.6 * blaze) * (1.0 - outside);

    // ------------------------------------------------------------ the pupil
    float pupilM = smoothstep(pR * R + pix, pR * R - pix, r);
    col = mix(col, lin(vec3(0.012, 0.008, 0.01)), pupilM);

    // ------------------------------------------------------------ the catchlight
    // The diamond bead: one fierce warm point on the rim, climbing with the melody.
    float ba = PI * (1.18 - 0.42 * pitch01);            // lower left on low notes, up on high ones
    vec2 bp = c + (R + 0.002) * vec2(cos(ba), sin(ba));
    vec2 bd = uv - bp;
    float bead2 = dot(bd, bd);
    float beadPow = 0.6 + 0.5 * iLevel + 0.8 * fl + 1.5 * heat * heat + 4.0 * blaze;
    col += lin(vec3(1.0, 0.93, 0.8)) * exp(-bead2 / (0.008 * 0.008)) * beadPow * 1.8;
    col += fireC * exp(-sqrt(bead2) / (0.028 + 0.04 * blaze)) * beadPow * 0.6;
    // Glints from the bead along the rim and straight out: never into the disc.
    vec2 radial = vec2(cos(ba), sin(ba));
    float alongR = dot(bd, radial), alongT = dot(bd, vec2(-radial.y, radial.x));
    float spikes = exp(-abs(alongR) / 0.0018) * exp(-abs(alongT) / (0.03 + 0.08 * blaze))
                 + exp(-abs(alongT) / 0.0018) * exp(-max(alongR, 0.0) / (0.025 + 0.07 * blaze)) * step(0.0, alongR);
    col += gold * spikes * beadPow * 0.35 * outside;

    // ------------------------------------------------------------ finish
    col *= 1.0 - 0.5 * pow(length(uv / vec2(aspect, 1.0)) * 1.3, 2.0);
    col *= 1.35;
    float peak = max(col.r, max(col.g, col.b));
    col = mix(col / (1.0 + 0.6 * peak), tonemap(col), smoothstep(0.8, 3.0, peak));
    fragColor = vec4(gammaEncode(col), 1.0);
}
