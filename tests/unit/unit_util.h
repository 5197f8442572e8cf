/*
 * unit_util.h - small helpers shared by the unit tests: a temp directory for
 * fixture files, and capturing what a function writes to stderr (the log)
 * so a test can check a warning was given.
 */
#ifndef HAVEN_UNIT_UTIL_H
#define HAVEN_UNIT_UTIL_H

#include "cfg.h"
#include "check.h"
#include "err.h"
#include "harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The test's temp dir, made on first use and removed by unit_cleanup(). */
static char *unit_dir_path;

static inline const char *unit_dir(void)
{
    if (!unit_dir_path)
        unit_dir_path = hv_tmpdir("unit");
    return unit_dir_path ? unit_dir_path : "/tmp";
}

static inline void unit_cleanup(void)
{
    if (unit_dir_path)
        hv_rm_rf(unit_dir_path);
    free(unit_dir_path);
    unit_dir_path = NULL;
}

/* Writes text to <unit_dir>/name; returns the path in a static buffer. */
static inline const char *unit_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", unit_dir(), name);
    if (hv_write_file(path, text) != 0)
        fprintf(stderr, "unit: cannot write %s\n", path);
    return path;
}

/* stderr capture: begin, run the code, end returns what was written (malloc'd). */
static int unit_saved_stderr = -1;

static inline void unit_capture_begin(void)
{
    char path[4096];
    FILE *f;

    snprintf(path, sizeof path, "%s/stderr.txt", unit_dir());
    fflush(stderr);
    unit_saved_stderr = dup(2);
    f = fopen(path, "w");
    if (f) {
        dup2(fileno(f), 2);
        fclose(f);
    }
}

static inline char *unit_capture_end(void)
{
    char path[4096];
    char *text;

    fflush(stderr);
    if (unit_saved_stderr >= 0) {
        dup2(unit_saved_stderr, 2);
        close(unit_saved_stderr);
        unit_saved_stderr = -1;
    }
    snprintf(path, sizeof path, "%s/stderr.txt", unit_dir());
    text = hv_read_file(path);
    if (text)  /* show it anyway, so a failing test's log is complete */
        fputs(text, stderr);
    return text ? text : calloc(1, 1);
}

/* ---- configuration errors ---- */

/* 1-based line of the first line of text containing marker, or -1. */
static inline int unit_line_of(const char *text, const char *marker)
{
    const char *at = strstr(text, marker);
    int line = 1;

    if (!at)
        return -1;
    for (const char *p = text; p < at; p++)
        line += *p == '\n';
    return line;
}

/*
 * Checks that a loader given text (written to path) failed with HV_ECONFIG and
 * "<path>:<line>: ...what...", where line is the one marked "#!" in text.
 * Reports a failure at src_file:src_line.
 */
static inline void unit_expect_config_error(int rc, const struct cfg_error *err, const char *path,
                                            const char *text, const char *what,
                                            const char *src_file, int src_line)
{
    char want[1024];
    int line = unit_line_of(text, "#!");

    snprintf(want, sizeof want, "%s:%d: ", path, line);
    if (rc != HV_ECONFIG || line < 0 || strncmp(err->text, want, strlen(want)) != 0 ||
        !strstr(err->text, what)) {
        fprintf(stderr, "  want %d \"%s...%s\", got %d \"%s\"\n", HV_ECONFIG, want, what, rc,
                err->text);
        check_true(false, "error with the right file:line", src_file, src_line);
    }
}

#endif
