/*
 * questionnaire.c - loading questionnaires (questionnaire.h); evaluating the
 * answers is qneval.c's.
 *
 * The loader is strict: a form file with a gap between its bands, a rule on
 * an item that does not exist, or show_if on a later item is a file:line
 * error when the kiosk starts (and in `haven-kiosk check`), never a surprise
 * in front of a patient.  Skip conditions may only look back (at earlier
 * items), so the order of the items is the order of the questions and a
 * form can never hide an item behind itself.
 */
#include "questionnaire.h"
#include "err.h"
#include "log.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOINC "http://loinc.org"

/* ---- small helpers --------------------------------------------------------------- */

static void text_free(struct qn_text *t)
{
    for (int l = 0; l < QN_LANGS; l++) {
        free(t->s[l]);
        t->s[l] = NULL;
    }
}

enum qn_lang qn_lang_of(const char *lang)
{
    return lang && lang[0] == 'e' && lang[1] == 's' && (lang[2] == '\0' || lang[2] == '-')
               ? QN_ES : QN_EN;
}

const char *qn_text(const struct qn_text *t, enum qn_lang lang)
{
    if ((unsigned)lang < QN_LANGS && t->s[lang])
        return t->s[lang];
    return t->s[QN_EN] ? t->s[QN_EN] : "";
}

/* ---- reading settings ------------------------------------------------------------- */

/* The loader's context: the file, for errors about settings libconfig has no line for. */
struct ld {
    const char *path;
    struct cfg_error *err;
    const config_setting_t *values;   /* the form's values = { ... }, or NULL */
};

static const char *const lang_keys[QN_LANGS] = { "en", "es" };

/* A string setting that is valid UTF-8 and not empty, copied. NULL on error (set). */
static char *read_string(struct ld *ld, const config_setting_t *s, const char *what)
{
    const char *v = config_setting_type(s) == CONFIG_TYPE_STRING ? config_setting_get_string(s)
                                                                  : NULL;
    char *copy;

    if (!v || !v[0] || !utf8_valid(v, strlen(v))) {
        cfg_fail(ld->err, s, ld->path, "%s must be text in double quotes (UTF-8, not empty)", what);
        return NULL;
    }
    if (!(copy = strdup(v)))
        snprintf(ld->err->text, sizeof ld->err->text, "%s: out of memory", ld->path);
    return copy;
}

/*
 * A value of the form's values = { name = 6; ... } as text: whole numbers and
 * strings (a clinic's fasting hours, written once and used in several texts).
 */
static bool value_text(const struct ld *ld, const char *name, size_t n, char *out, size_t max)
{
    char key[64];
    const config_setting_t *v;

    if (!ld->values || n == 0 || n >= sizeof key)
        return false;
    memcpy(key, name, n);
    key[n] = '\0';
    if (!(v = config_setting_get_member(ld->values, key)))
        return false;
    if (config_setting_type(v) == CONFIG_TYPE_INT)
        snprintf(out, max, "%d", config_setting_get_int(v));
    else
        snprintf(out, max, "%s", config_setting_get_string(v));
    return true;
}

/*
 * text with each {name} replaced by the form's value name; a {name} the form
 * has no value for is an error at s's line (a typo would otherwise reach the
 * patient as "{food_hour}").  Frees text; returns the new string or NULL.
 */
static char *expand(struct ld *ld, const config_setting_t *s, char *text)
{
    size_t cap, n = 0;
    char *out;

    if (!text || !strchr(text, '{'))
        return text;
    cap = strlen(text) + 1;
    for (const char *p = text; *p; p++)
        cap += *p == '{' ? 64 : 0;
    if (!(out = malloc(cap))) {
        free(text);
        cfg_fail(ld->err, s, ld->path, "out of memory");
        return NULL;
    }
    for (const char *p = text; *p;) {
        const char *end = *p == '{' ? strchr(p, '}') : NULL;
        char val[64];
        if (*p != '{') {
            out[n++] = *p++;
            continue;
        }
        if (!end || !value_text(ld, p + 1, (size_t)(end - p - 1), val, sizeof val)) {
            cfg_fail(ld->err, s, ld->path, "'%.*s' in a text: the form has no such value "
                     "(values = { name = ...; }; write {name})",
                     end ? (int)(end - p + 1) : (int)strlen(p), p);
            free(text);
            free(out);
            return NULL;
        }
        n += (size_t)snprintf(out + n, cap - n, "%s", val);
        p = end + 1;
    }
    out[n] = '\0';
    free(text);
    return out;
}

/*
 * The form's values = { name = 6; other = "text"; }: whole numbers 0..1000
 * or short text, used in texts as {name}.  Returns 0 or HV_ECONFIG.
 */
static int read_values(struct ld *ld, const config_setting_t *root)
{
    const config_setting_t *g = config_setting_get_member(root, "values");

    ld->values = NULL;
    if (!g)
        return 0;
    if (!config_setting_is_group(g))
        return cfg_fail(ld->err, g, ld->path, "'values' must be a group { food_hours = 6; ... }");
    for (int i = 0; i < config_setting_length(g); i++) {
        const config_setting_t *v = config_setting_get_elem(g, (unsigned)i);
        const char *str = config_setting_type(v) == CONFIG_TYPE_STRING
                              ? config_setting_get_string(v) : NULL;
        bool ok = config_setting_type(v) == CONFIG_TYPE_INT
                      ? config_setting_get_int(v) >= 0 && config_setting_get_int(v) <= 1000
                      : str && str[0] && strlen(str) < 48 && !strchr(str, '{') &&
                            utf8_valid(str, strlen(str));
        if (!ok)
            return cfg_fail(ld->err, v, ld->path, "value '%s' must be a whole number 0..1000 or "
                            "short text in double quotes", config_setting_name(v));
    }
    ld->values = g;
    return 0;
}

/*
 * A text: "..." (English only) or { en = "..."; es = "..."; }.  required:
 * absent is an error.  Returns 0 or HV_ECONFIG.
 */
static int read_text(struct ld *ld, const config_setting_t *parent, const char *key,
                     bool required, struct qn_text *out)
{
    const config_setting_t *s = config_setting_get_member(parent, key);

    if (!s) {
        if (!required)
            return 0;
        return cfg_fail(ld->err, parent, ld->path, "'%s' is missing: give the text, or "
                        "%s = { en = \"...\"; es = \"...\"; }", key, key);
    }
    if (config_setting_type(s) == CONFIG_TYPE_STRING)
        return (out->s[QN_EN] = expand(ld, s, read_string(ld, s, key))) ? 0 : HV_ECONFIG;
    if (!config_setting_is_group(s))
        return cfg_fail(ld->err, s, ld->path, "'%s' must be text, or a group "
                        "{ en = \"...\"; es = \"...\"; }", key);
    for (int i = 0; i < config_setting_length(s); i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        const char *name = config_setting_name(e);
        int l = 0;
        while (l < QN_LANGS && strcmp(name, lang_keys[l]) != 0)
            l++;
        if (l == QN_LANGS)
            return cfg_fail(ld->err, e, ld->path, "'%s': unknown language '%s' (en, es)", key,
                            name);
        if (!(out->s[l] = expand(ld, e, read_string(ld, e, key))))
            return HV_ECONFIG;
    }
    if (!out->s[QN_EN])
        return cfg_fail(ld->err, s, ld->path, "'%s' must have an English text (en = \"...\")",
                        key);
    return 0;
}

/* An optional string member copied into *out (NULL when absent). */
static int read_opt_string(struct ld *ld, const config_setting_t *parent, const char *key,
                           char **out)
{
    const config_setting_t *s = config_setting_get_member(parent, key);

    *out = NULL;
    if (!s)
        return 0;
    return (*out = read_string(ld, s, key)) ? 0 : HV_ECONFIG;
}

static int read_req_string(struct ld *ld, const config_setting_t *parent, const char *key,
                           char **out)
{
    if (!config_setting_get_member(parent, key))
        return cfg_fail(ld->err, parent, ld->path, "'%s' is missing", key);
    return read_opt_string(ld, parent, key, out);
}

/* A list ( { ... }, ... ) member; NULL (and no error) when absent. */
static const config_setting_t *list_of_groups(struct ld *ld, const config_setting_t *parent,
                                              const char *key, int *rc)
{
    const config_setting_t *s = config_setting_get_member(parent, key);

    *rc = 0;
    if (!s)
        return NULL;
    if (!config_setting_is_list(s)) {
        *rc = cfg_fail(ld->err, s, ld->path, "'%s' must be a list ( { ... }, { ... } )", key);
        return NULL;
    }
    for (int i = 0; i < config_setting_length(s); i++)
        if (!config_setting_is_group(config_setting_get_elem(s, (unsigned)i))) {
            *rc = cfg_fail(ld->err, config_setting_get_elem(s, (unsigned)i), ld->path,
                           "each entry of '%s' must be a group { ... }", key);
            return NULL;
        }
    return s;
}

/* ---- options and items ----------------------------------------------------------------- */

static const char *const option_keys[] = { "value", "code", "system", "score", "exclusive", "text",
                                           NULL };

/* An optional true/false member into *out.  0 or HV_ECONFIG. */
static int read_bool(struct ld *ld, const config_setting_t *g, const char *key, bool *out)
{
    const config_setting_t *s = config_setting_get_member(g, key);

    if (!s)
        return 0;
    if (config_setting_type(s) != CONFIG_TYPE_BOOL)
        return cfg_fail(ld->err, s, ld->path, "'%s' must be true or false", key);
    *out = config_setting_get_bool(s);
    return 0;
}

static int read_option(struct ld *ld, const config_setting_t *g, struct qn_option *o)
{
    const config_setting_t *sc = config_setting_get_member(g, "score");
    int rc;

    cfg_rows_warn_unknown(g, NULL, option_keys);
    if ((rc = read_req_string(ld, g, "value", &o->value)) || (rc = read_opt_string(ld, g, "code", &o->code)) ||
        (rc = read_opt_string(ld, g, "system", &o->system)) || (rc = read_text(ld, g, "text", true, &o->text)) ||
        (rc = read_bool(ld, g, "exclusive", &o->exclusive)))
        return rc;
    if (o->code && !o->system && !(o->system = strdup(LOINC)))
        return cfg_fail(ld->err, g, ld->path, "out of memory");
    if (sc) {
        if (config_setting_type(sc) != CONFIG_TYPE_INT || config_setting_get_int(sc) < -1000 ||
            config_setting_get_int(sc) > 1000)
            return cfg_fail(ld->err, sc, ld->path, "'score' must be a whole number (-1000..1000)");
        o->score = config_setting_get_int(sc);
    }
    return 0;
}

/* The options list at key of g (an item's own, or the form's default answers) into it. */
static int read_options(struct ld *ld, const config_setting_t *list, struct qn_item *it)
{
    int n = config_setting_length(list);

    if (n < 2 || n > QN_OPTIONS_MAX)
        return cfg_fail(ld->err, list, ld->path, "an item needs 2 to %d answer options, not %d",
                        QN_OPTIONS_MAX, n);
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        int rc = read_option(ld, g, &it->opts[i]);
        it->nopts = i + 1;
        if (rc)
            return rc;
        for (int j = 0; j < i; j++)
            if (strcmp(it->opts[j].value, it->opts[i].value) == 0)
                return cfg_fail(ld->err, g, ld->path, "two answers of item '%s' have the value "
                                "'%s'", it->id, it->opts[i].value);
    }
    return 0;
}

/* item = "x" or items = [ "x", "y" ], resolved among the first limit items of f
 * (QN_ITEMS_MAX: any item). */
static int read_cond_items(struct ld *ld, const config_setting_t *g, const struct qn_form *f,
                           int limit, struct qn_cond *c)
{
    const config_setting_t *one = config_setting_get_member(g, "item");
    const config_setting_t *many = config_setting_get_member(g, "items");
    const config_setting_t *names[QN_COND_MAX];
    int n = 0;

    if (!!one == !!many)
        return cfg_fail(ld->err, g, ld->path, "give either item = \"id\" or items = [ \"id\", ... ]");
    if (one) {
        names[n++] = one;
    } else {
        if (!config_setting_is_array(many) || config_setting_length(many) < 1 ||
            config_setting_length(many) > QN_COND_MAX)
            return cfg_fail(ld->err, many, ld->path, "'items' must be a list [ \"id\", ... ] of "
                            "1 to %d item ids", QN_COND_MAX);
        for (int i = 0; i < config_setting_length(many); i++)
            names[n++] = config_setting_get_elem(many, (unsigned)i);
    }
    for (int i = 0; i < n; i++) {
        const char *id = config_setting_get_string(names[i]);
        int idx = id ? qn_item_index(f, id) : -1;
        if (idx < 0 || idx >= limit)
            return cfg_fail(ld->err, names[i], ld->path, "'%s' is not %s item of this form",
                            id ? id : "?", limit < QN_ITEMS_MAX ? "an earlier" : "an");
        c->items[c->nitems++] = idx;
    }
    return 0;
}

static const char *const cond_keys[] = { "item", "items", "answer", "answers", "min_score",
                                         "infusion", NULL };

static const char *const infusion_names[] = { "first", "later", "unknown" };

/*
 * show_if = { infusion = "later"; } or infusion = [ "later", "unknown" ]: the item only
 * at those infusions of the course (the visit's number, from begin_visit).  Alone in
 * its group, and only in show_if (rule = false): a rule acts on what the patient said.
 */
static int read_infusion_cond(struct ld *ld, const config_setting_t *g, bool rule,
                              struct qn_cond *c)
{
    const config_setting_t *s = config_setting_get_member(g, "infusion");
    int n = config_setting_is_array(s) ? config_setting_length(s) : 1;

    if (rule)
        return cfg_fail(ld->err, s, ld->path, "'infusion' is for show_if only: a rule acts on "
                        "answers");
    if (config_setting_length(g) != 1)
        return cfg_fail(ld->err, g, ld->path, "show_if = { infusion = ...; } stands alone (no "
                        "item or answers beside it)");
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_is_array(s) ? config_setting_get_elem(s, (unsigned)i) : s;
        const char *name = e ? config_setting_get_string(e) : NULL;
        unsigned k = 0;
        while (name && k < 3 && strcmp(name, infusion_names[k]) != 0)
            k++;
        if (!name || k == 3)
            return cfg_fail(ld->err, e ? e : s, ld->path, "'infusion' must be \"first\", \"later\" "
                            "or \"unknown\", or a list of them [ \"later\", \"unknown\" ]");
        c->infusion |= 1u << k;
    }
    if (!c->infusion)
        return cfg_fail(ld->err, s, ld->path, "'infusion' needs at least one of \"first\", "
                        "\"later\", \"unknown\"");
    return 0;
}

/* Checks each value names an option of each item of c. */
static int check_cond_values(struct ld *ld, const config_setting_t *at, const struct qn_form *f,
                             const struct qn_cond *c)
{
    for (int i = 0; i < c->nitems; i++)
        for (int v = 0; v < c->nvalues; v++)
            if (qn_option_index(f, c->items[i], c->values[v]) < 0)
                return cfg_fail(ld->err, at, ld->path, "item '%s' has no answer '%s'",
                                f->items[c->items[i]].id, c->values[v]);
    return 0;
}

/*
 * A min_score no answer of the condition's items reaches would never match: a safety
 * rule that can never call anyone.  Refused at its line, with the highest score there is.
 */
static int check_reachable(struct ld *ld, const config_setting_t *at, const struct qn_form *f,
                           const struct qn_cond *c)
{
    int best = INT_MIN;

    for (int i = 0; i < c->nitems; i++) {
        const struct qn_item *it = &f->items[c->items[i]];
        for (int o = 0; o < it->nopts; o++)
            best = it->opts[o].score > best ? it->opts[o].score : best;
    }
    if (c->min_score <= best)
        return 0;
    return cfg_fail(ld->err, at, ld->path, "'min_score' is %d, but no answer of %s '%s'%s "
                    "scores more than %d: this can never hold", c->min_score,
                    c->nitems > 1 ? "items" : "item", f->items[c->items[0]].id,
                    c->nitems > 1 ? " (and the others)" : "", best);
}

/*
 * A condition group { item(s); answer(s) = [...] | min_score = N; } over the
 * first limit items of f (earlier items only, for show_if).
 */
static int read_cond(struct ld *ld, const config_setting_t *g, const struct qn_form *f, int limit,
                     struct qn_cond *c)
{
    const config_setting_t *vals = config_setting_get_member(g, "answers");
    const config_setting_t *min = config_setting_get_member(g, "min_score");
    int rc;

    if (!config_setting_is_group(g))
        return cfg_fail(ld->err, g, ld->path, "a condition is a group { item = \"id\"; "
                        "answers = [ \"value\" ]; } or { item = \"id\"; min_score = 1; }");
    cfg_rows_warn_unknown(g, NULL, cond_keys);
    if (config_setting_get_member(g, "infusion"))
        return read_infusion_cond(ld, g, limit == QN_ITEMS_MAX, c);
    if (!vals)
        vals = config_setting_get_member(g, "answer");
    if ((rc = read_cond_items(ld, g, f, limit, c)) != 0)
        return rc;
    if (!!vals == !!min)
        return cfg_fail(ld->err, g, ld->path, "give either answers = [ \"value\", ... ] or "
                        "min_score = N");
    if (min) {
        if (config_setting_type(min) != CONFIG_TYPE_INT)
            return cfg_fail(ld->err, min, ld->path, "'min_score' must be a whole number");
        c->by_score = true;
        c->min_score = config_setting_get_int(min);
        return check_reachable(ld, min, f, c);
    }
    if (config_setting_type(vals) == CONFIG_TYPE_STRING) {
        if (!(c->values[c->nvalues++] = read_string(ld, vals, "answer")))
            return HV_ECONFIG;
    } else if (config_setting_is_array(vals) && config_setting_length(vals) >= 1 &&
               config_setting_length(vals) <= QN_VALUES_MAX) {
        for (int i = 0; i < config_setting_length(vals); i++)
            if (!(c->values[c->nvalues++] = read_string(ld, config_setting_get_elem(vals, (unsigned)i),
                                                        "an answer value")))
                return HV_ECONFIG;
    } else {
        return cfg_fail(ld->err, vals, ld->path, "'answers' must be a list [ \"value\", ... ] "
                        "of 1 to %d answer values", QN_VALUES_MAX);
    }
    return check_cond_values(ld, vals, f, c);
}

static const char *const item_keys[] = { "id", "code", "text", "options", "multiple", "show_if",
                                         NULL };

/* exclusive = true only on a multiple choice item's options (list), and not on all of them. */
static int check_exclusive(struct ld *ld, const config_setting_t *list, const struct qn_item *it)
{
    int n = 0;

    for (int o = 0; o < it->nopts; o++) {
        n += it->opts[o].exclusive;
        if (it->opts[o].exclusive && !it->multiple)
            return cfg_fail(ld->err, config_setting_get_elem(list, (unsigned)o), ld->path,
                            "item '%s': 'exclusive' is for the options of a multiple = true item",
                            it->id);
    }
    if (n == it->nopts)
        return cfg_fail(ld->err, list, ld->path, "item '%s': every option is exclusive (write it "
                        "without multiple = true)", it->id);
    return 0;
}

static int read_item(struct ld *ld, const config_setting_t *g, const config_setting_t *answers,
                     struct qn_form *f, int i)
{
    struct qn_item *it = &f->items[i];
    const config_setting_t *opts = config_setting_get_member(g, "options");
    const config_setting_t *cond = config_setting_get_member(g, "show_if");
    int rc;

    cfg_rows_warn_unknown(g, NULL, item_keys);
    if ((rc = read_req_string(ld, g, "id", &it->id)) || (rc = read_opt_string(ld, g, "code", &it->code)) ||
        (rc = read_text(ld, g, "text", true, &it->text)))
        return rc;
    for (int j = 0; j < i; j++)
        if (strcmp(f->items[j].id, it->id) == 0)
            return cfg_fail(ld->err, g, ld->path, "two items have the id '%s'", it->id);
    if (opts && !config_setting_is_list(opts))
        return cfg_fail(ld->err, opts, ld->path, "'options' must be a list ( { ... }, ... )");
    if (!opts && !answers)
        return cfg_fail(ld->err, g, ld->path, "item '%s' has no answers: give it options = "
                        "( ... ), or the form answers = ( ... )", it->id);
    it->own_options = opts != NULL;
    if ((rc = read_bool(ld, g, "multiple", &it->multiple)) != 0 ||
        (rc = read_options(ld, opts ? opts : answers, it)) != 0 ||
        (rc = check_exclusive(ld, opts ? opts : answers, it)) != 0)
        return rc;
    if (cond) {
        it->has_cond = true;
        rc = read_cond(ld, cond, f, i, &it->show_if);  /* earlier items only */
    }
    return rc;
}

/* ---- scores and rules ----------------------------------------------------------------- */

static void score_range(const struct qn_form *f, struct qn_score *s)
{
    s->min = s->max = 0;
    for (int i = 0; i < s->nitems; i++) {
        const struct qn_item *it = &f->items[s->items[i]];
        int lo = it->opts[0].score, hi = lo;
        for (int o = 1; o < it->nopts; o++) {
            lo = it->opts[o].score < lo ? it->opts[o].score : lo;
            hi = it->opts[o].score > hi ? it->opts[o].score : hi;
        }
        s->min += lo;
        s->max += hi;
    }
}

static const char *const band_keys[] = { "from", "to", "label", NULL };

/* Bands must run from the lowest sum to the highest, without gaps or overlaps. */
static int read_bands(struct ld *ld, const config_setting_t *list, struct qn_score *s)
{
    int n = config_setting_length(list), next = s->min, rc;

    if (n < 1 || n > QN_BANDS_MAX)
        return cfg_fail(ld->err, list, ld->path, "'bands' must list 1 to %d bands", QN_BANDS_MAX);
    for (int i = 0; i < n; i++) {
        const config_setting_t *g = config_setting_get_elem(list, (unsigned)i);
        struct qn_band *b = &s->bands[i];
        int from, to;
        cfg_rows_warn_unknown(g, NULL, band_keys);
        if (!config_setting_lookup_int(g, "from", &from) || !config_setting_lookup_int(g, "to", &to))
            return cfg_fail(ld->err, g, ld->path, "a band needs from = N; to = N; (whole numbers)");
        s->nbands = i + 1;
        if ((rc = read_text(ld, g, "label", true, &b->label)) != 0)
            return rc;
        if (from != next || to < from)
            return cfg_fail(ld->err, g, ld->path, "band %d..%d: bands must run without gaps or "
                            "overlaps from %d to %d; this one should start at %d", from, to,
                            s->min, s->max, next);
        b->from = from;
        b->to = to;
        next = to + 1;
    }
    if (next != s->max + 1)
        return cfg_fail(ld->err, list, ld->path, "the bands end at %d, but the score can reach %d",
                        next - 1, s->max);
    return 0;
}

static const char *const score_keys[] = { "id", "code", "text", "items", "bands", NULL };

static int read_score(struct ld *ld, const config_setting_t *g, struct qn_form *f,
                      struct qn_score *s)
{
    const config_setting_t *bands = config_setting_get_member(g, "bands");
    struct qn_cond c;
    int rc;

    cfg_rows_warn_unknown(g, NULL, score_keys);
    memset(&c, 0, sizeof c);
    if ((rc = read_req_string(ld, g, "id", &s->id)) || (rc = read_opt_string(ld, g, "code", &s->code)) ||
        (rc = read_text(ld, g, "text", true, &s->text)) || (rc = read_cond_items(ld, g, f, QN_ITEMS_MAX, &c)))
        return rc;
    if (qn_item_index(f, s->id) >= 0)
        return cfg_fail(ld->err, g, ld->path, "score id '%s' is also an item's id", s->id);
    for (int i = 0; i < c.nitems; i++)
        if (f->items[c.items[i]].multiple)
            return cfg_fail(ld->err, g, ld->path, "score '%s': item '%s' is multiple choice "
                            "(a score counts one answer per item)", s->id, f->items[c.items[i]].id);
    memcpy(s->items, c.items, sizeof c.items);
    s->nitems = c.nitems;
    score_range(f, s);
    if (!bands)
        return 0;
    if (!config_setting_is_list(bands))
        return cfg_fail(ld->err, bands, ld->path, "'bands' must be a list ( { from = 0; to = 4; "
                        "label = \"...\"; }, ... )");
    return read_bands(ld, bands, s);
}

static const char *const rule_keys[] = { "when", "call", "priority", "detail", "message", NULL };

/* priority = "routine" | "assist" | "urgent": the call's, instead of its reason's. */
static int read_priority(struct ld *ld, const config_setting_t *g, struct qn_rule *r)
{
    const config_setting_t *s = config_setting_get_member(g, "priority");
    const char *name = s ? config_setting_get_string(s) : NULL;

    r->priority = -1;
    if (!s)
        return 0;
    if (!r->calls)
        return cfg_fail(ld->err, s, ld->path, "'priority' needs call = \"reason\"");
    if (!name || (r->priority = priority_from_name(name)) < 0)
        return cfg_fail(ld->err, s, ld->path, "'priority' must be \"routine\", \"assist\" or "
                        "\"urgent\"");
    return 0;
}

static int read_rule(struct ld *ld, const config_setting_t *g, struct qn_form *f,
                     struct qn_rule *r)
{
    const config_setting_t *when = config_setting_get_member(g, "when");
    const config_setting_t *call = config_setting_get_member(g, "call");
    const config_setting_t *msg = config_setting_get_member(g, "message");
    int rc;

    cfg_rows_warn_unknown(g, NULL, rule_keys);
    if (!when)
        return cfg_fail(ld->err, g, ld->path, "a rule needs when = { item = \"id\"; ... };");
    if ((rc = read_cond(ld, when, f, QN_ITEMS_MAX, &r->when)) != 0)
        return rc;
    if (call) {
        const char *name = config_setting_get_string(call);
        int reason = name ? reason_from_name(name) : -1;
        if (reason < 0 || reason == REASON_KIOSK_OFFLINE)
            return cfg_fail(ld->err, call, ld->path, "'call' must be a reason a patient's kiosk "
                            "sends: \"help\", \"unwell\", \"safety\" or \"ready\"");
        r->calls = true;
        r->reason = (enum call_reason)reason;
    }
    if (msg) {
        if (config_setting_type(msg) != CONFIG_TYPE_BOOL)
            return cfg_fail(ld->err, msg, ld->path, "'message' must be true or false");
        r->message = config_setting_get_bool(msg);
    }
    if (!r->calls && !r->message)
        return cfg_fail(ld->err, g, ld->path, "a rule must call = \"reason\", show message = true, "
                        "or both");
    if ((rc = read_priority(ld, g, r)) != 0)
        return rc;
    if ((rc = read_opt_string(ld, g, "detail", &r->detail)) != 0)
        return rc;
    if (r->detail && !(r->detail = expand(ld, config_setting_get_member(g, "detail"), r->detail)))
        return HV_ECONFIG;
    if (r->detail && strlen(r->detail) >= HV_DETAIL_MAX)
        return cfg_fail(ld->err, config_setting_get_member(g, "detail"), ld->path,
                        "'detail' must be shorter than %d bytes", HV_DETAIL_MAX);
    return 0;
}

/* ---- a form ------------------------------------------------------------------------------ */

static const char *const form_keys[] = {
    "id", "url", "version", "code", "values", "title", "stem", "intro", "attribution", "answers", "items",
    "scores", "rules", NULL
};

static int read_list(struct ld *ld, const config_setting_t *root, const char *key, int max,
                     const config_setting_t **list)
{
    int rc;

    *list = list_of_groups(ld, root, key, &rc);
    if (rc == 0 && *list && config_setting_length(*list) > max)
        rc = cfg_fail(ld->err, *list, ld->path, "'%s' may have at most %d entries", key, max);
    return rc;
}

/* Haven's canonical URL (QN_URL_BASE "Questionnaire/<id>") and version "1" when the file gives none. */
static int form_defaults(struct ld *ld, const config_setting_t *root, struct qn_form *f)
{
    size_t n = strlen(QN_URL_BASE "Questionnaire/") + strlen(f->id) + 1;

    if (!f->url && (f->url = malloc(n)) != NULL)
        snprintf(f->url, n, QN_URL_BASE "Questionnaire/%s", f->id);
    if (!f->version)
        f->version = strdup("1");
    if (!f->url || !f->version)
        return cfg_fail(ld->err, root, ld->path, "out of memory");
    if (strcspn(f->version, "| \t") != strlen(f->version) || strlen(f->version) > 32)
        return cfg_fail(ld->err, config_setting_get_member(root, "version"), ld->path,
                        "'version' must be short text without '|' or spaces (\"1\", \"2026-12\")");
    return 0;
}

static int read_form(struct ld *ld, const config_setting_t *root, struct qn_form *f)
{
    const config_setting_t *answers, *items, *scores, *rules;
    int rc;

    cfg_rows_warn_unknown(root, NULL, form_keys);
    if ((rc = read_values(ld, root)) != 0)
        return rc;
    if ((rc = read_req_string(ld, root, "id", &f->id)) || (rc = read_opt_string(ld, root, "url", &f->url)) ||
        (rc = read_opt_string(ld, root, "version", &f->version)) ||
        (rc = read_opt_string(ld, root, "code", &f->code)) ||
        (rc = read_text(ld, root, "title", true, &f->title)) ||
        (rc = read_text(ld, root, "stem", false, &f->stem)) ||
        (rc = read_text(ld, root, "intro", false, &f->intro)) ||
        (rc = read_text(ld, root, "attribution", false, &f->attribution)) ||
        (rc = read_list(ld, root, "answers", QN_OPTIONS_MAX, &answers)) ||
        (rc = read_list(ld, root, "items", QN_ITEMS_MAX, &items)) ||
        (rc = read_list(ld, root, "scores", QN_SCORES_MAX, &scores)) ||
        (rc = read_list(ld, root, "rules", QN_RULES_MAX, &rules)))
        return rc;
    if ((rc = form_defaults(ld, root, f)) != 0)
        return rc;
    if (!items || config_setting_length(items) < 1)
        return cfg_fail(ld->err, items, ld->path, "a form needs items = ( { id = \"...\"; "
                        "text = \"...\"; }, ... );");
    for (int i = 0; i < config_setting_length(items); i++) {
        f->nitems = i + 1;
        if ((rc = read_item(ld, config_setting_get_elem(items, (unsigned)i), answers, f, i)) != 0)
            return rc;
    }
    for (int i = 0; scores && i < config_setting_length(scores); i++) {
        f->nscores = i + 1;
        if ((rc = read_score(ld, config_setting_get_elem(scores, (unsigned)i), f, &f->scores[i])))
            return rc;
    }
    for (int i = 0; rules && i < config_setting_length(rules); i++) {
        f->nrules = i + 1;
        if ((rc = read_rule(ld, config_setting_get_elem(rules, (unsigned)i), f, &f->rules[i])))
            return rc;
    }
    return 0;
}

/* The file's name without directory and ".cfg". */
static char *name_of(const char *path)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t n = strlen(base);

    if (n > 4 && strcmp(base + n - 4, ".cfg") == 0)
        n -= 4;
    return strndup(base, n);
}

int qn_form_load(const char *path, struct qn_form *f, struct cfg_error *err)
{
    struct ld ld = { path, err, NULL };
    config_t cfg;
    int rc;

    memset(f, 0, sizeof *f);
    if ((rc = cfg_load(&cfg, path, err)) != 0)
        return rc;
    f->path = strdup(path);
    f->name = name_of(path);
    rc = f->path && f->name ? read_form(&ld, config_root_setting(&cfg), f)
                            : cfg_fail(err, NULL, path, "out of memory");
    config_destroy(&cfg);  /* every string was copied */
    if (rc)
        qn_form_free(f);
    return rc;
}

static void cond_free(struct qn_cond *c)
{
    for (int v = 0; v < c->nvalues; v++)
        free(c->values[v]);
    c->nvalues = 0;
}

void qn_form_free(struct qn_form *f)
{
    for (int i = 0; i < f->nitems; i++) {
        struct qn_item *it = &f->items[i];
        for (int o = 0; o < it->nopts; o++) {
            free(it->opts[o].value);
            free(it->opts[o].code);
            free(it->opts[o].system);
            text_free(&it->opts[o].text);
        }
        free(it->id);
        free(it->code);
        text_free(&it->text);
        cond_free(&it->show_if);
    }
    for (int s = 0; s < f->nscores; s++) {
        free(f->scores[s].id);
        free(f->scores[s].code);
        text_free(&f->scores[s].text);
        for (int b = 0; b < f->scores[s].nbands; b++)
            text_free(&f->scores[s].bands[b].label);
    }
    for (int r = 0; r < f->nrules; r++) {
        cond_free(&f->rules[r].when);
        free(f->rules[r].detail);
    }
    free(f->name);
    free(f->path);
    free(f->id);
    free(f->url);
    free(f->version);
    free(f->code);
    text_free(&f->title);
    text_free(&f->stem);
    text_free(&f->intro);
    text_free(&f->attribution);
    memset(f, 0, sizeof *f);
}

/* ---- the set: kiosk { questionnaires = { ... } } in haven.cfg ---------------------------------- */

static const char *const set_keys[] = {
    "dir", "intake", "infusion", "recovery", "discharge", "crisis_line", NULL
};

/* The directory of the forms: dir, relative to the config file's directory. */
static int set_dir(struct ld *ld, const config_setting_t *g, struct qn_set *set)
{
    const char *dir = "questionnaires";
    char *copy = strdup(ld->path);
    int n;

    config_setting_lookup_string(g, "dir", &dir);
    if (!copy)
        return cfg_fail(ld->err, g, ld->path, "out of memory");
    n = dir[0] == '/' ? snprintf(set->dir, sizeof set->dir, "%s", dir)
                      : snprintf(set->dir, sizeof set->dir, "%s/%s", dirname(copy), dir);
    free(copy);
    if (n < 0 || (size_t)n >= sizeof set->dir)
        return cfg_fail(ld->err, config_setting_get_member(g, "dir"), ld->path, "'dir' is too long");
    return 0;
}

/* The form called name, loaded once however many phases name it. Its index, or < 0. */
static int form_named(struct ld *ld, const config_setting_t *at, struct qn_set *set,
                      const char *name)
{
    char path[PATH_MAX + 80];
    int rc;

    for (int i = 0; i < set->nforms; i++)
        if (strcmp(set->forms[i].name, name) == 0)
            return i;
    if (!name[0] || strchr(name, '/') || strlen(name) > 64)
        return cfg_fail(ld->err, at, ld->path, "'%s' is not a form name (the file's name in "
                        "%s without .cfg)", name, set->dir);
    if (set->nforms == QN_FORMS_MAX)
        return cfg_fail(ld->err, at, ld->path, "at most %d questionnaires", QN_FORMS_MAX);
    snprintf(path, sizeof path, "%s/%s.cfg", set->dir, name);
    if (access(path, R_OK) != 0)
        return cfg_fail(ld->err, at, ld->path, "form '%s': cannot read %s: %s", name, path,
                        strerror(errno));
    if ((rc = qn_form_load(path, &set->forms[set->nforms], ld->err)) != 0)
        return rc;
    return set->nforms++;
}

static int read_phase(struct ld *ld, const config_setting_t *g, struct qn_set *set, enum phase p)
{
    const config_setting_t *list = config_setting_get_member(g, phase_name(p));

    if (!list)
        return 0;
    if (!config_setting_is_array(list) || config_setting_length(list) > QN_FORMS_MAX)
        return cfg_fail(ld->err, list, ld->path, "'%s' must list form names [ \"phq-9\", ... ] "
                        "(at most %d)", phase_name(p), QN_FORMS_MAX);
    for (int i = 0; i < config_setting_length(list); i++) {
        const config_setting_t *e = config_setting_get_elem(list, (unsigned)i);
        const char *name = config_setting_get_string(e);
        int idx = name ? form_named(ld, e, set, name)
                       : cfg_fail(ld->err, e, ld->path, "a form name is text in double quotes");
        if (idx < 0)
            return idx;
        set->phase[p][set->nphase[p]++] = idx;
    }
    return 0;
}

static int read_set(struct ld *ld, const config_setting_t *g, struct qn_set *set)
{
    int rc;

    if (!config_setting_is_group(g))
        return cfg_fail(ld->err, g, ld->path, "'questionnaires' must be a group { intake = "
                        "[ \"phq-9\" ]; ... }");
    cfg_rows_warn_unknown(g, NULL, set_keys);
    if ((rc = set_dir(ld, g, set)) != 0)
        return rc;
    for (int p = PHASE_INTAKE; p < PHASE_COUNT; p++)
        if ((rc = read_phase(ld, g, set, (enum phase)p)) != 0)
            return rc;
    if ((rc = read_text(ld, g, "crisis_line", set->nforms > 0, &set->crisis)) != 0)
        return rc;
    return 0;
}

int qn_set_read(const config_t *cfg, const char *path, struct qn_set **out,
                struct cfg_error *err)
{
    struct qn_set *set = calloc(1, sizeof *set);
    struct ld ld = { path, err, NULL };
    const config_setting_t *g = config_lookup(cfg, "kiosk.questionnaires");
    int rc;

    *out = NULL;
    if (!set)
        return cfg_fail(err, NULL, path, "out of memory");
    if ((rc = g ? read_set(&ld, g, set) : 0) != 0) {
        qn_set_free(set);
        return rc;
    }
    *out = set;
    return 0;
}

int qn_set_load(const char *path, struct qn_set **out, struct cfg_error *err)
{
    config_t cfg;
    int rc;

    *out = NULL;
    if ((rc = cfg_load(&cfg, path, err)) != 0)
        return rc;
    rc = qn_set_read(&cfg, path, out, err);
    config_destroy(&cfg);  /* every string was copied */
    return rc;
}

void qn_set_free(struct qn_set *set)
{
    if (!set)
        return;
    for (int i = 0; i < set->nforms; i++)
        qn_form_free(&set->forms[i]);
    text_free(&set->crisis);
    free(set);
}
