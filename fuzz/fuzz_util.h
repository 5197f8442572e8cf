/*
 * fuzz_util.h - what Haven's libFuzzer targets share.
 *
 * Each target is one LLVMFuzzerTestOneInput over one decoder of outside
 * input (a contract payload, a topic, a config file).  Besides "no crash, no
 * sanitizer report", a target checks what the decoder promises: strings in
 * the decoded struct are NUL-terminated inside their buffers, and where an
 * encoder exists, encode(decode(x)) decodes to the same thing.  A broken
 * promise is FUZZ_ASSERT, which aborts: libFuzzer saves the input.
 */
#ifndef HAVEN_FUZZ_UTIL_H
#define HAVEN_FUZZ_UTIL_H

#include "log.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FUZZ_ASSERT(cond)                                                              \
    do {                                                                               \
        if (!(cond)) {                                                                 \
            fprintf(stderr, "%s:%d: fuzz invariant broken: %s\n", __FILE__, __LINE__, \
                    #cond);                                                            \
            abort();                                                                   \
        }                                                                              \
    } while (0)

/* True if buf (size n) holds a NUL: a decoded string never runs off its buffer. */
#define FUZZ_TERMINATED(buf) (memchr((buf), '\0', sizeof(buf)) != NULL)

/* Silences the decoders' log records (a fuzzer feeds them millions of bad inputs). */
static inline void fuzz_quiet(void)
{
    static int done;
    if (!done) {
        log_set_level((enum log_level)(LOG_ERROR + 1));
        done = 1;
    }
}

/*
 * LeakSanitizer suppressions, compiled into each target (one translation unit
 * per target, so this definition is not duplicated).  Two known leaks outside
 * Haven, in libconfig 1.5's scanner (Debian 12), both only on a file that
 * does not parse: it loses its string-literal buffer when a syntax error
 * follows adjacent strings, p = "a"b"c" (strbuf_append, 64 bytes), and an
 * empty string literal before a syntax error, g = 1""x (libconfig_yylex,
 * 1 byte).  Found by fuzz_roomcfg; kept as regression cases (Haven's error
 * must still name file:line) in tests/unit/test_fuzz_regressions.c.  A
 * config_destroy that Haven forgot would still be reported: the parser's
 * settings are allocated outside the scanner.
 */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:strbuf_append\nleak:libconfig_yylex\n";
}

/* True if data holds word (memmem is a GNU extension). */
static inline int fuzz_has(const uint8_t *data, size_t size, const char *word)
{
    size_t n = strlen(word);
    for (size_t i = 0; i + n <= size; i++)
        if (memcmp(data + i, word, n) == 0)
            return 1;
    return 0;
}

/*
 * Writes the input to a per-process temp file (in /dev/shm when there is
 * one) and returns its path, for loaders that read files; NULL if the input
 * may not be fed to libconfig: "@include" would let the fuzzer read any file
 * on the machine (/dev/zero never ends), which tests libconfig, not Haven.
 */
static inline const char *fuzz_file(const uint8_t *data, size_t size)
{
    static char path[128];
    FILE *fp;

    if (fuzz_has(data, size, "@include") || fuzz_has(data, size, "@INCLUDE"))
        return NULL;
    if (!path[0])
        snprintf(path, sizeof path, "%s/haven-fuzz-%d.cfg",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp", (int)getpid());
    fp = fopen(path, "wb");
    if (!fp)
        return NULL;
    if (size)
        fwrite(data, 1, size, fp);
    fclose(fp);
    return path;
}

/*
 * The promise every config loader makes about a refused file: the error is
 * terminated in its buffer and starts with the file's name ("path:line: ...").
 */
#define FUZZ_ERROR_NAMES_FILE(err, path) \
    FUZZ_ASSERT(memchr((err).text, '\0', sizeof (err).text) && strstr((err).text, (path)) == (err).text)

#endif
