// Palettes drawn from the story: the steppe and the Almaty jazz club.
#ifndef LIB_PALETTE
#define LIB_PALETTE
// Inigo Quilez's cosine palette.
vec3 cosPalette(float t, vec3 a, vec3 b, vec3 c, vec3 d) { return a + b * cos(6.28318 * (c * t + d)); }

const vec3 STEPPE_OCHRE = vec3(0.80, 0.55, 0.25);
const vec3 STEPPE_GRASS = vec3(0.42, 0.50, 0.22);
const vec3 DUSK_VIOLET  = vec3(0.38, 0.22, 0.48);
const vec3 NIGHT_BLUE   = vec3(0.05, 0.08, 0.22);
const vec3 CLUB_AMBER   = vec3(1.00, 0.62, 0.22);
const vec3 CLUB_BRASS   = vec3(0.85, 0.68, 0.30);
const vec3 CLUB_SMOKE   = vec3(0.45, 0.42, 0.48);
#endif
