/*
 * check.h - a tiny test framework for Haven's unit and integration tests.
 *
 * A test is a `static void test_x(void)` function that uses the CHECK*
 * macros; a failed CHECK prints "file:line: CHECK failed: ..." to stderr and
 * marks the current test failed but lets it go on, while a failed REQUIRE
 * also returns from the test function at once. RUN(test_x) runs one test and
 * prints "ok - test_x" or "FAIL - test_x"; CHECK_SUMMARY() prints
 * "N passed, N failed" (counting tests, not checks) and yields the process
 * exit code, so a whole test program reads:
 *
 *     int main(void) { RUN(test_a); RUN(test_b); return CHECK_SUMMARY(); }
 *
 * Each macro evaluates its arguments exactly once. The state lives in a few
 * globals defined in check.c; it is not meant to be used from more than one
 * thread at a time.
 */
#ifndef HAVEN_TEST_CHECK_H
#define HAVEN_TEST_CHECK_H

#include <stdbool.h>

/* Number of tests that passed / failed so far (updated by RUN). */
extern int check_tests_passed;
extern int check_tests_failed;
/* Nonzero once a CHECK or REQUIRE has failed in the test now running. */
extern int check_current_failed;
/* Total number of failed checks over the whole run (for information). */
extern int check_checks_failed;

/* The functions behind the macros; each returns true if the check held. */
bool check_true(bool ok, const char *expr, const char *file, int line);
bool check_int_eq(long long a, long long b, const char *ea, const char *eb,
                  const char *file, int line);
bool check_str_eq(const char *a, const char *b, const char *ea, const char *eb,
                  const char *file, int line);
bool check_dbl_near(double a, double b, double eps, const char *ea,
                    const char *eb, const char *file, int line);
/* Runs fn as the test called name and prints ok/FAIL; returns nothing. */
void check_run(void (*fn)(void), const char *name);
/* Prints "N passed, N failed"; returns 0 if no test failed, else 1. */
int check_summary(void);

#define CHECK(cond) \
    ((void)check_true((cond) ? true : false, #cond, __FILE__, __LINE__))

#define CHECK_INT_EQ(a, b) \
    ((void)check_int_eq((long long)(a), (long long)(b), #a, #b, \
                        __FILE__, __LINE__))

/* NULL-safe: two NULLs are equal, NULL and a string are not. */
#define CHECK_STR_EQ(a, b) \
    ((void)check_str_eq((a), (b), #a, #b, __FILE__, __LINE__))

/* Passes when |a - b| <= eps; a NaN never passes. */
#define CHECK_DBL_NEAR(a, b, eps) \
    ((void)check_dbl_near((double)(a), (double)(b), (double)(eps), #a, #b, \
                          __FILE__, __LINE__))

/* Like CHECK, but returns from the (void) test function when it fails. */
#define REQUIRE(cond) \
    do { \
        if (!check_true((cond) ? true : false, #cond, __FILE__, __LINE__)) \
            return; \
    } while (0)

#define RUN(test_fn) check_run((test_fn), #test_fn)

#define CHECK_SUMMARY() check_summary()

#endif /* HAVEN_TEST_CHECK_H */
