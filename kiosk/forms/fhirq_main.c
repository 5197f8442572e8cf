/*
 * fhirq_main.c - haven-questionnaire: prints Haven's FHIR R4 Questionnaire
 * for a form file (fhirq.h), the resource every kiosk/response names.
 *
 *   haven-questionnaire [--compact] FORM.cfg
 *
 * Exit status: 0 printed; 1 out of memory or output error; 2 usage or a form
 * the loader refuses (its file:line on stderr, as `haven-kiosk check` says it).
 */
#include "fhirq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fputs("usage: haven-questionnaire [--compact] FORM.cfg\n"
          "Prints the form's FHIR R4 Questionnaire (JSON) on standard output.\n", out);
}

int main(int argc, char **argv)
{
    const char *path = NULL;
    bool pretty = true;
    struct qn_form *f;
    struct cfg_error err;
    char *json;
    int rc;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--compact") == 0) {
            pretty = false;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' || path) {
            usage(stderr);
            return 2;
        } else {
            path = argv[i];
        }
    }
    if (!path) {
        usage(stderr);
        return 2;
    }
    if (!(f = calloc(1, sizeof *f)))
        return 1;
    memset(&err, 0, sizeof err);
    if ((rc = qn_form_load(path, f, &err)) != 0) {
        fprintf(stderr, "haven-questionnaire: %s\n", err.text);
        free(f);
        return 2;
    }
    json = fhirq_encode(f, pretty);
    rc = json && printf("%s\n", json) > 0 && fflush(stdout) == 0 ? 0 : 1;
    free(json);
    qn_form_free(f);
    free(f);
    return rc;
}
