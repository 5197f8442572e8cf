/* test_playlist.c - track order, skipping, looping and the volume ceiling (kiosk/sound/playlist.c). */
#include "check.h"
#include "playlist.h"

#include <string.h>

/* The next k tracks into out. */
static void take(struct playlist *p, int *out, int k)
{
    for (int i = 0; i < k; i++)
        out[i] = playlist_next(p);
}

static void test_listed_order_and_loop(void)
{
    struct playlist p;
    int got[7];

    playlist_start(&p, 3, false, true, 7);
    take(&p, got, 7);
    for (int i = 0; i < 7; i++)
        CHECK_INT_EQ(got[i], i % 3);
}

static void test_no_loop_ends(void)
{
    struct playlist p;

    playlist_start(&p, 2, false, false, 7);
    CHECK_INT_EQ(playlist_next(&p), 0);
    CHECK_INT_EQ(playlist_next(&p), 1);
    CHECK_INT_EQ(playlist_next(&p), -1);
    CHECK_INT_EQ(playlist_next(&p), -1);
}

/* Each time round is a permutation; different seeds give different orders; no repeat at the turn. */
static void test_shuffle(void)
{
    struct playlist p;
    int differs = 0;

    for (uint32_t seed = 1; seed <= 50; seed++) {
        int got[24], seen[8];
        playlist_start(&p, 8, true, true, seed);
        take(&p, got, 24);
        for (int round = 0; round < 3; round++) {
            memset(seen, 0, sizeof seen);
            for (int i = 0; i < 8; i++) {
                REQUIRE(got[round * 8 + i] >= 0 && got[round * 8 + i] < 8);
                seen[got[round * 8 + i]]++;
            }
            for (int t = 0; t < 8; t++)
                CHECK_INT_EQ(seen[t], 1);
        }
        for (int i = 1; i < 24; i++)
            CHECK(got[i] != got[i - 1]);
        for (int i = 0; i < 8; i++)
            differs += got[i] != i;
    }
    CHECK(differs > 0);  /* not the listed order every time */
}

static void test_shuffle_two_alternates(void)
{
    struct playlist p;
    int got[10];

    playlist_start(&p, 2, true, true, 99);
    take(&p, got, 10);
    for (int i = 1; i < 10; i++)
        CHECK(got[i] != got[i - 1]);
}

static void test_bad_tracks_are_skipped(void)
{
    struct playlist p;
    int got[6];

    playlist_start(&p, 3, false, true, 1);
    CHECK_INT_EQ(playlist_next(&p), 0);
    playlist_mark_bad(&p, 1);
    take(&p, got, 6);
    for (int i = 0; i < 6; i++)
        CHECK_INT_EQ(got[i], i % 2 == 0 ? 2 : 0);
    CHECK(playlist_playable(&p));
    playlist_mark_bad(&p, 0);
    playlist_mark_bad(&p, 2);
    CHECK(!playlist_playable(&p));
    CHECK_INT_EQ(playlist_next(&p), -1);  /* nothing playable: no endless loop */
    playlist_mark_bad(&p, -1);            /* out of range: ignored */
    playlist_mark_bad(&p, 3);
}

static void test_empty_list(void)
{
    struct playlist p;

    playlist_start(&p, 0, true, true, 1);
    CHECK(!playlist_playable(&p));
    CHECK_INT_EQ(playlist_next(&p), -1);
    playlist_start(&p, SOUND_TRACKS_MAX + 5, false, false, 1);
    CHECK_INT_EQ(p.n, SOUND_TRACKS_MAX);
}

static void test_volume_ceiling(void)
{
    CHECK_INT_EQ(sound_volume_clamp(50, 70), 50);
    CHECK_INT_EQ(sound_volume_clamp(90, 70), 70);
    CHECK_INT_EQ(sound_volume_clamp(-5, 70), 0);
    CHECK_INT_EQ(sound_volume_clamp(50, 150), 50);
    CHECK_INT_EQ(sound_volume_clamp(50, -1), 0);
    /* steps of 10, never past the ceiling, never below 0 */
    CHECK_INT_EQ(sound_volume_step(40, 1, 70), 50);
    CHECK_INT_EQ(sound_volume_step(65, 1, 70), 70);
    CHECK_INT_EQ(sound_volume_step(70, 1, 70), 70);
    CHECK_INT_EQ(sound_volume_step(45, -1, 70), 40);
    CHECK_INT_EQ(sound_volume_step(40, -1, 70), 30);
    CHECK_INT_EQ(sound_volume_step(5, -1, 70), 0);
    CHECK_INT_EQ(sound_volume_step(0, -1, 70), 0);
    int v = 0;
    for (int i = 0; i < 20; i++)
        v = sound_volume_step(v, 1, 35);
    CHECK_INT_EQ(v, 35);
    /* SDL_mixer's 0..128, rounded down: the ceiling is never exceeded */
    CHECK_INT_EQ(sound_mix_volume(100), 128);
    CHECK_INT_EQ(sound_mix_volume(0), 0);
    CHECK_INT_EQ(sound_mix_volume(70), 89);
    CHECK(sound_mix_volume(70) * 100 <= 70 * 128);
    CHECK_INT_EQ(sound_mix_volume(250), 128);
}

int main(void)
{
    RUN(test_listed_order_and_loop);
    RUN(test_no_loop_ends);
    RUN(test_shuffle);
    RUN(test_shuffle_two_alternates);
    RUN(test_bad_tracks_are_skipped);
    RUN(test_empty_list);
    RUN(test_volume_ceiling);
    return CHECK_SUMMARY();
}
