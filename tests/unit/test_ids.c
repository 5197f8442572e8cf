/* test_ids.c - id generation and validation (common/ids.c). */
#include "check.h"
#include "err.h"
#include "ids.h"

#include <stdlib.h>
#include <string.h>

#define N_IDS 10000

static int cmp_str(const void *a, const void *b)
{
    return strcmp((const char *)a, (const char *)b);
}

static void test_shape(void)
{
    char id[HV_ID_MAX];
    const char *dash1, *dash2;

    REQUIRE(ids_new("call", id, sizeof id) == 0);
    CHECK(strncmp(id, "call-", 5) == 0);
    CHECK(ids_valid(id));
    dash1 = strchr(id, '-');
    dash2 = dash1 ? strchr(dash1 + 1, '-') : NULL;
    REQUIRE(dash2 != NULL);
    CHECK(strchr(dash2 + 1, '-') == NULL);  /* exactly three parts */
    CHECK(dash2 - dash1 - 1 >= 8);           /* ms since epoch in base 36: 8 digits today */
    CHECK(strlen(dash2 + 1) >= 1 && strlen(dash2 + 1) <= 13);
    CHECK(strspn(dash1 + 1, "0123456789abcdefghijklmnopqrstuvwxyz-") == strlen(dash1 + 1));

    REQUIRE(ids_new("offline", id, sizeof id) == 0);
    CHECK(strncmp(id, "offline-", 8) == 0);
}

static void test_new_rejects(void)
{
    char id[HV_ID_MAX], small[12];

    CHECK_INT_EQ(ids_new(NULL, id, sizeof id), HV_EINVAL);
    CHECK_INT_EQ(ids_new("abcdefghijklmnopq", id, sizeof id), HV_EINVAL);  /* 17 chars */
    CHECK_INT_EQ(ids_new("abcdefghijklmnop", id, sizeof id), 0);           /* 16 chars */
    CHECK_INT_EQ(ids_new("c", id, 7), HV_EINVAL);
    CHECK_INT_EQ(ids_new("call", small, sizeof small), HV_EINVAL);         /* does not fit */
}

static void test_unique(void)
{
    char (*ids)[HV_ID_MAX] = calloc(N_IDS, HV_ID_MAX);
    int dups = 0;

    REQUIRE(ids != NULL);
    for (int i = 0; i < N_IDS; i++)
        if (ids_new("c", ids[i], HV_ID_MAX) != 0) {
            CHECK(!"ids_new failed");
            free(ids);
            return;
        }
    qsort(ids, N_IDS, HV_ID_MAX, cmp_str);
    for (int i = 1; i < N_IDS; i++)
        dups += strcmp(ids[i - 1], ids[i]) == 0;
    CHECK_INT_EQ(dups, 0);
    free(ids);
}

static void test_valid(void)
{
    char s63[64], s64[65];

    memset(s63, 'a', 63);
    s63[63] = '\0';
    memset(s64, 'b', 64);
    s64[64] = '\0';
    CHECK(ids_valid("a"));
    CHECK(ids_valid("V-1042"));
    CHECK(ids_valid("call-mhx3k1a2-1k9z0c7q2x8f"));
    CHECK(ids_valid("A.b_c:d-9"));
    CHECK(ids_valid(s63));
    CHECK(!ids_valid(s64));
    CHECK(!ids_valid(NULL));
    CHECK(!ids_valid(""));
    CHECK(!ids_valid("a/b"));
    CHECK(!ids_valid("a b"));
    CHECK(!ids_valid(" a"));
    CHECK(!ids_valid("a+"));
    CHECK(!ids_valid("a#"));
    CHECK(!ids_valid("a\"b"));
    CHECK(!ids_valid("a\nb"));
    CHECK(!ids_valid("caf\xc3\xa9"));       /* é */
    CHECK(!ids_valid("\xe2\x9c\x93"));      /* ✓ */
}

int main(void)
{
    RUN(test_shape);
    RUN(test_new_rejects);
    RUN(test_unique);
    RUN(test_valid);
    return CHECK_SUMMARY();
}
