/*
 * check.c - the state and reporting behind check.h.
 *
 * Failure messages go to stderr, the per-test "ok"/"FAIL" lines and the final
 * "N passed, N failed" line to stdout; both streams are flushed after every
 * line so that the two interleave sensibly in CTest's captured output.
 */
#include "check.h"

#include <stdio.h>
#include <string.h>

int check_tests_passed;
int check_tests_failed;
int check_current_failed;
int check_checks_failed;

/* Records a failed check in the current test. */
static void mark_failed(void)
{
    check_current_failed = 1;
    check_checks_failed++;
}

bool check_true(bool ok, const char *expr, const char *file, int line)
{
    if (ok)
        return true;
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, expr);
    fflush(stderr);
    mark_failed();
    return false;
}

bool check_int_eq(long long a, long long b, const char *ea, const char *eb,
                  const char *file, int line)
{
    if (a == b)
        return true;
    fprintf(stderr, "%s:%d: CHECK failed: %s == %s (%lld vs %lld)\n",
            file, line, ea, eb, a, b);
    fflush(stderr);
    mark_failed();
    return false;
}

bool check_str_eq(const char *a, const char *b, const char *ea, const char *eb,
                  const char *file, int line)
{
    if (a == b || (a != NULL && b != NULL && strcmp(a, b) == 0))
        return true;
    fprintf(stderr, "%s:%d: CHECK failed: %s == %s (",
            file, line, ea, eb);
    if (a)
        fprintf(stderr, "\"%s\"", a);
    else
        fputs("NULL", stderr);
    fputs(" vs ", stderr);
    if (b)
        fprintf(stderr, "\"%s\"", b);
    else
        fputs("NULL", stderr);
    fputs(")\n", stderr);
    fflush(stderr);
    mark_failed();
    return false;
}

bool check_dbl_near(double a, double b, double eps, const char *ea,
                    const char *eb, const char *file, int line)
{
    double d = a - b;
    if (d < 0)
        d = -d;
    if (d <= eps) /* false for NaN */
        return true;
    fprintf(stderr,
            "%s:%d: CHECK failed: %s ~= %s (%.17g vs %.17g, eps %.3g)\n",
            file, line, ea, eb, a, b, eps);
    fflush(stderr);
    mark_failed();
    return false;
}

void check_run(void (*fn)(void), const char *name)
{
    check_current_failed = 0;
    fn();
    if (check_current_failed) {
        check_tests_failed++;
        printf("FAIL - %s\n", name);
    } else {
        check_tests_passed++;
        printf("ok - %s\n", name);
    }
    fflush(stdout);
}

int check_summary(void)
{
    printf("%d passed, %d failed\n", check_tests_passed, check_tests_failed);
    fflush(stdout);
    return check_tests_failed == 0 ? 0 : 1;
}
