/*
 * replay.c - a main() for a fuzz target without libFuzzer: feeds it every
 * file in the directories (or files) given, once.  The unit tests build each
 * target with it (tests/unit/CMakeLists.txt: fuzz.replay.<target>) and replay
 * the seed corpus and fuzz/regressions/<target>/, the inputs that once found
 * a bug, in the normal and the ASan/UBSan builds.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Feeds one file to the target. 0, or -1 if it cannot be read. */
static int replay_file(const char *path)
{
    FILE *fp = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;

    if (!fp || fseek(fp, 0, SEEK_END) != 0 || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET) != 0 ||
        !(buf = malloc((size_t)n + 1)) || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
        fprintf(stderr, "replay: cannot read %s\n", path);
        if (fp)
            fclose(fp);
        free(buf);
        return -1;
    }
    fclose(fp);
    LLVMFuzzerTestOneInput(buf, (size_t)n);
    free(buf);
    return 0;
}

int main(int argc, char **argv)
{
    int files = 0, bad = 0;

    for (int i = 1; i < argc; i++) {
        struct stat st;
        DIR *d;
        struct dirent *e;
        char path[4096];

        if (stat(argv[i], &st) != 0)
            continue;  /* a target with no regressions yet has no directory */
        if (!S_ISDIR(st.st_mode)) {
            bad += replay_file(argv[i]) != 0;
            files++;
            continue;
        }
        if (!(d = opendir(argv[i])))
            return 1;
        while ((e = readdir(d))) {
            if (e->d_name[0] == '.')
                continue;
            snprintf(path, sizeof path, "%s/%s", argv[i], e->d_name);
            bad += replay_file(path) != 0;
            files++;
        }
        closedir(d);
    }
    printf("replayed %d input(s)\n", files);
    printf("%d passed, %d failed\n", files - bad, bad);
    return bad || files == 0;
}
