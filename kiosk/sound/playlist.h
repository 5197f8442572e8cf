/*
 * playlist.h - which track plays next, and how loud: the player's decisions
 * without SDL, so that unit tests can hold them to the config.
 *
 * A playlist plays its n tracks in the listed order or shuffled (a new
 * shuffle each time round, never the same track twice in a row across the
 * turn), once or looping.  A track the player could not open is marked bad
 * and skipped from then on; when every track is bad, there is nothing to
 * play.  Volumes are percentages of full, held under the staff's ceiling.
 */
#ifndef HAVEN_KIOSK_PLAYLIST_H
#define HAVEN_KIOSK_PLAYLIST_H

#include "soundcfg.h"

#include <stdbool.h>
#include <stdint.h>

struct playlist {
    int n;                          /* tracks in the list */
    bool shuffle, loop;
    int order[SOUND_TRACKS_MAX];    /* this time round: a permutation of 0..n-1 */
    int pos;                        /* next index into order */
    int last;                       /* the track handed out last (-1: none yet) */
    bool bad[SOUND_TRACKS_MAX];     /* could not be opened: skipped */
    uint32_t rng;                   /* xorshift state for the shuffle */
};

/* Starts p over n tracks (n <= SOUND_TRACKS_MAX; 0: an empty list). seed 0 picks 1. */
void playlist_start(struct playlist *p, int n, bool shuffle, bool loop, uint32_t seed);

/*
 * The next track to play (0..n-1), skipping bad ones, or -1: the list is
 * over (not looping) or nothing in it can be played.
 */
int playlist_next(struct playlist *p);

/* Track i could not be opened: skip it from now on. */
void playlist_mark_bad(struct playlist *p, int i);

/* True while at least one track has not been marked bad. */
bool playlist_playable(const struct playlist *p);

/* v held within 0..ceiling. */
int sound_volume_clamp(int v, int ceiling);

/* The volume one step (of SOUND_VOLUME_STEP) up (dir > 0) or down from v, within 0..ceiling. */
#define SOUND_VOLUME_STEP 10
int sound_volume_step(int v, int dir, int ceiling);

/* percent (0..100) as SDL_mixer's 0..128, rounded down so the ceiling is never exceeded. */
int sound_mix_volume(int percent);

#endif
