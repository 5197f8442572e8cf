/*
 * forms.c - the clinic's questionnaires as FHIR Questionnaire resources (forms.h).
 */
#include "forms.h"
#include "log.h"

#ifdef HAVEN_STATION_FORMS
#include "fhirq.h"
#include "questionnaire.h"
#endif

#include <stdlib.h>
#include <string.h>

#define FORMS_MAX 16

struct forms {
    int n;
    char *id[FORMS_MAX];
    char *json[FORMS_MAX];      /* compact Questionnaire JSON */
};

forms *forms_load(const char *path)
{
    forms *f = calloc(1, sizeof *f);

    if (!f) {
        log_error("forms: out of memory: no Questionnaire resources served");
        return NULL;
    }
#ifdef HAVEN_STATION_FORMS
    struct qn_set *set = NULL;
    struct cfg_error err;

    if (qn_set_load(path, &set, &err) != 0) {
        log_error("forms: %s: no Questionnaire resources served until it loads", err.text);
        return f;
    }
    for (int i = 0; i < set->nforms && f->n < FORMS_MAX; i++) {
        char *json = fhirq_encode(&set->forms[i], false), *id = strdup(set->forms[i].id);
        if (!json || !id) {
            free(json);
            free(id);
            log_error("forms: out of memory encoding %s", set->forms[i].id);
            continue;
        }
        f->id[f->n] = id;
        f->json[f->n++] = json;
    }
    qn_set_free(set);
#else
    (void)path;
    log_warn("forms: built without the kiosk's forms: no Questionnaire resources served");
#endif
    return f;
}

void forms_free(forms *f)
{
    if (!f)
        return;
    for (int i = 0; i < f->n; i++) {
        free(f->id[i]);
        free(f->json[i]);
    }
    free(f);
}

int forms_count(const forms *f)
{
    return f ? f->n : 0;
}

char *forms_questionnaire(const forms *f, const char *id)
{
    for (int i = 0; f && id && i < f->n; i++)
        if (!strcmp(f->id[i], id))
            return strdup(f->json[i]);
    return NULL;
}
