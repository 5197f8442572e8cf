/*
 * fuzz_questionnaire.c - one questionnaire file (qn_form_load: items, options,
 * skip logic, scores, bands, rules) on arbitrary files.  A form that loads
 * must be one the kiosk can run: every skip condition and rule refers to an
 * item that exists, and scoring a complete set of first answers works.
 */
#include "fuzz_util.h"
#include "questionnaire.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct qn_form form;  /* large: not on the fuzzer's stack */
    static struct qn_answers answers;
    struct cfg_error err;
    const char *path;

    fuzz_quiet();
    path = fuzz_file(data, size);
    if (!path)
        return 0;
    memset(&form, 0, sizeof form);
    if (qn_form_load(path, &form, &err) != 0) {
        FUZZ_ERROR_NAMES_FILE(err, path);
        return 0;
    }
    /* Walk the form as a patient would, always taking the first answer. */
    qn_answers_clear(&answers);
    for (int item = qn_next_visible(&form, &answers, -1), steps = 0; item < form.nitems;
         item = qn_next_visible(&form, &answers, item)) {
        FUZZ_ASSERT(++steps <= QN_ITEMS_MAX && item < form.nitems);
        FUZZ_ASSERT(qn_visible_position(&form, &answers, item) >= 1);
        if (form.items[item].nopts > 0)
            answers.opt[item] = 0;
    }
    for (int r = 0; r < form.nrules; r++)
        (void)qn_rule_true(&form, &answers, r);
    for (int s = 0; s < form.nscores; s++) {
        bool complete;
        int sum = qn_score_sum(&form, &answers, s, &complete);
        (void)qn_score_band(&form, s, sum);
    }
    qn_form_free(&form);
    return 0;
}
