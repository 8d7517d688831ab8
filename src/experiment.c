/*
 * experiment.c - parses and validates experiment YAML (contract and file
 * format: experiment.h; DESIGN section 6).
 *
 * Two libyaml passes over the text: an event pass that reports syntax errors
 * and rejects what the document API would hide or choke on (aliases, which
 * could make the tree cyclic or exponentially large; a second document;
 * nesting deeper than MAX_DEPTH), then yaml_parser_load builds the node tree
 * that the walkers below check against the schema.  Walkers descend only
 * where the schema expects, so the input's depth never drives recursion.
 * Everything allocated hangs off the experiment under construction as soon
 * as it exists, so every error path frees it all with bs_experiment_destroy.
 *
 * Decisions beyond the header:
 * - the text is UTF-8 (a leading BOM is skipped), at most 64 MiB, no NUL;
 * - numbers and booleans are plain (unquoted) scalars; integers are decimal
 *   digits without sign, '_' or leading zero (YAML 1.1 reads 010 as octal);
 *   reals are strtod syntax from [0-9.eE+-] (C locale), finite, not
 *   underflowing; booleans are exactly true / false;
 * - anchors may appear but aliases may not;
 * - e->p is 0 when defaults.p is absent (then every fiber must give p);
 * - rounds is 0 for operations other than project; a project needs at
 *   least one fiber in the experiment;
 * - sizes beyond brainsim's limits (n, k, entity counts, rounds, total
 *   steps, file size) fail with BS_ERR_LIMIT, all else with BS_ERR_PARSE;
 * - snapshot names join the name space of areas, stimuli and fibers (an
 *   expectation's overlap may name either); `expect` is read after the
 *   schedule, so it can name every snapshot wherever it is taken;
 * - fire_subset's count is llround(fraction * k) (halves round up), fixed
 *   at parse time, and must be at least 1;
 * - without `name`, the experiment's name is the source name's last path
 *   component without its extension ("examples/merge.yaml" -> "merge").
 */
#include "experiment.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define MAX_TEXT_BYTES ((size_t)64 << 20)
#define MAX_ROUNDS UINT64_C(1000000000)
#define MAX_TOTAL_STEPS UINT64_C(1000000000000)
#define MAX_CAP 65535.0
#define MAX_BETA 10.0
#define DEFAULT_BETA 0.05
#define PATH_LEN 96
#define SHOW_LEN 64
#define MAX_DEPTH 32            /* the schema needs 5 levels */
#define LIST_LEN 240

enum { REF_AREA, REF_STIM, REF_FIBER, REF_SNAP };
static const char *const REF_WORD[] = {"an area", "a stimulus", "a fiber",
                                       "a snapshot"};

typedef struct name_ref {       /* one entry of the sorted name index */
    const char *name;
    int kind;                   /* REF_* */
    int idx;
} name_ref;

typedef struct ctx {
    const char *src;            /* name used in messages */
    char *err; size_t err_len;  /* caller's message buffer (may be NULL) */
    yaml_document_t *doc;
    bs_experiment *e;           /* under construction */
    name_ref *refs; int n_refs; /* all names sorted, built before schedule */
} ctx;

/* ---- messages ----------------------------------------------------------- */

static bs_status vfail(ctx *c, bs_status st, unsigned long line,
                       unsigned long col, const char *path, const char *fmt,
                       va_list ap)
{
    if (!c->err || c->err_len == 0) return st;
    int n = snprintf(c->err, c->err_len, "%s:%lu:%lu: %s: ", c->src, line,
                     col, path);
    if (n >= 0 && (size_t)n < c->err_len)
        vsnprintf(c->err + n, c->err_len - (size_t)n, fmt, ap);
    return st;
}

/* Writes "src:line:col: path: what" at 1-based line, col; returns st. */
static bs_status fail_pos(ctx *c, bs_status st, unsigned long line,
                          unsigned long col, const char *path,
                          const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(c, st, line, col, path, fmt, ap);
    va_end(ap);
    return st;
}

/* Same, at the start of node `at`; returns st. */
static bs_status fail(ctx *c, bs_status st, const yaml_node_t *at,
                      const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(c, st, at->start_mark.line + 1, at->start_mark.column + 1, path,
          fmt, ap);
    va_end(ap);
    return st;
}

/* "value 'x'" (printable, truncated), "a list" or "a map", into buf. */
static const char *describe(const yaml_node_t *n, char *buf)
{
    if (n->type == YAML_SEQUENCE_NODE) return "a list";
    if (n->type != YAML_SCALAR_NODE) return "a map";
    const unsigned char *v = n->data.scalar.value;
    size_t len = n->data.scalar.length, i, o = 0;
    memcpy(buf, "value '", 7);
    o = 7;
    for (i = 0; i < len && o < SHOW_LEN - 6; i++)
        buf[o++] = (v[i] < 0x20 || v[i] == 0x7f) ? '?' : (char)v[i];
    if (i < len) { memcpy(buf + o, "...", 3); o += 3; }
    buf[o++] = '\'';
    buf[o] = '\0';
    return buf;
}

/* Writes "areas: A, B; stimuli: s" for the kinds in mask `kinds` (bits
 * 1 << REF_*) into buf (LIST_LEN bytes).  Each kind writes at most `share`
 * bytes (names stop, with " ...", where the next would not fit), so three
 * kinds fit in LIST_LEN. */
static const char *list_names(const bs_experiment *e, unsigned kinds,
                              char *buf)
{
    static const char *const label[] = {"areas", "stimuli", "fibers"};
    const int count[] = {e->n_areas, e->n_stims, e->n_fibers};
    size_t at = 0, share = (LIST_LEN - 1) / 3;
    buf[0] = '\0';
    for (int k = 0; k < 3; k++) {
        if (!(kinds & (1u << k))) continue;
        size_t end = at + share;
        at += (size_t)sprintf(buf + at, "%s%s:%s", at ? "; " : "", label[k],
                              count[k] ? "" : " none");
        for (int i = 0; i < count[k]; i++) {
            const char *s = k == REF_AREA ? e->areas[i].name
                          : k == REF_STIM ? e->stims[i].name
                          : e->fibers[i].name;
            if (at + strlen(s) + 6 > end) {
                at += (size_t)sprintf(buf + at, " ...");
                break;
            }
            at += (size_t)sprintf(buf + at, "%s %s", i ? "," : "", s);
        }
    }
    return buf;
}

/* A key for messages: "'x'" (printable, truncated) or "a list", "a map". */
static const char *key_str(const yaml_node_t *k, char *buf)
{
    const char *d = describe(k, buf);
    return k->type == YAML_SCALAR_NODE ? d + 6 : d;
}

static const char *join_keys(const char *const *keys, int n, char *buf)
{
    size_t at = 0;
    for (int i = 0; i < n; i++)
        at += (size_t)snprintf(buf + at, LIST_LEN - at, "%s%s",
                               i ? ", " : "", keys[i]);
    return buf;
}

/* Key paths "path.key" and "path[i]" in buf (PATH_LEN bytes; schema
 * paths are far shorter, a longer one would only be truncated). */
static const char *sub(char *buf, const char *path, const char *key)
{
    size_t a = strlen(path), b = strlen(key);
    if (a + 1 + b >= PATH_LEN) return path;
    memmove(buf, path, a);      /* path may be buf itself */
    buf[a] = '.';
    memcpy(buf + a + 1, key, b + 1);
    return buf;
}

static const char *item(char *buf, const char *path, size_t i)
{
    return snprintf(buf, PATH_LEN, "%s[%zu]", path, i) < 0 ? "?" : buf;
}

/* ---- nodes and scalars -------------------------------------------------- */

static yaml_node_t *node(ctx *c, int id)
{
    return yaml_document_get_node(c->doc, id);
}

static bs_status want(ctx *c, yaml_node_t *n, yaml_node_type_t t,
                      const char *path)
{
    char b[SHOW_LEN];
    if (n->type == t) return BS_OK;
    return fail(c, BS_ERR_PARSE, n, path, "expected %s, found %s",
                t == YAML_MAPPING_NODE ? "a map" : t == YAML_SEQUENCE_NODE
                ? "a list" : "a single value", describe(n, b));
}

/* The scalar's text when it holds no NUL byte, else NULL. */
static const char *text_of(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE) return NULL;
    const char *s = (const char *)n->data.scalar.value;
    return strlen(s) == n->data.scalar.length ? s : NULL;
}

static int is_plain(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE
        && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

static const char *quote_hint(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && !is_plain(n)
         ? " (numbers and booleans are written without quotes)" : "";
}

/*
 * Reads mapping `n` at `path` whose keys must be among keys[0..n_keys-1],
 * the first n_req of them required: vals[i] receives the value node of
 * keys[i], or NULL.  Fails on a non-map, a non-scalar, unknown or repeated
 * key, or a missing required key.
 */
static bs_status fields(ctx *c, yaml_node_t *n, const char *path,
                        const char *const *keys, int n_keys, int n_req,
                        yaml_node_t **vals)
{
    char b[SHOW_LEN], list[LIST_LEN];
    bs_status st = want(c, n, YAML_MAPPING_NODE, path);
    if (st != BS_OK) return st;
    for (int i = 0; i < n_keys; i++) vals[i] = NULL;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
        const char *s = k ? text_of(k) : NULL;
        int i = 0;
        while (s && i < n_keys && strcmp(s, keys[i]) != 0) i++;
        if (!k || !v) return fail(c, BS_ERR_PARSE, n, path, "broken node");
        if (!s || i == n_keys)
            return fail(c, BS_ERR_PARSE, k, path, "unknown key %s (allowed "
                        "keys: %s)", key_str(k, b), join_keys(keys, n_keys,
                        list));
        if (vals[i])
            return fail(c, BS_ERR_PARSE, k, path, "duplicate key '%s' "
                        "(first given at line %lu)", s,
                        (unsigned long)vals[i]->start_mark.line + 1);
        vals[i] = v;
    }
    for (int i = 0; i < n_req; i++)
        if (!vals[i])
            return fail(c, BS_ERR_PARSE, n, path, "missing key '%s' "
                        "(required keys: %s)", keys[i],
                        join_keys(keys, n_req, list));
    return BS_OK;
}

/* Length of list `n` in min..max (above max: BS_ERR_LIMIT). */
static bs_status list_len(ctx *c, yaml_node_t *n, const char *path,
                          size_t min, size_t max, size_t *len)
{
    bs_status st = want(c, n, YAML_SEQUENCE_NODE, path);
    if (st != BS_OK) return st;
    *len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (*len < min)
        return fail(c, BS_ERR_PARSE, n, path, "the list is empty: at least "
                    "one entry is required");
    if (*len > max)
        return fail(c, BS_ERR_LIMIT, n, path, "%zu entries exceed "
                    "brainsim's limit of %zu", *len, max);
    return BS_OK;
}

/* Item i of sequence n (checked by list_len). */
static yaml_node_t *elem(ctx *c, yaml_node_t *n, size_t i)
{
    return node(c, n->data.sequence.items.start[i]);
}

/* Parses decimal digits (no sign, '_' or leading zero): 0 ok, 1 overflow,
 * -1 not an integer. */
static int parse_u64(const yaml_node_t *n, uint64_t *out)
{
    const unsigned char *s = n->data.scalar.value;
    size_t len = n->data.scalar.length;
    uint64_t v = 0;
    if (!is_plain(n) || len == 0 || (len > 1 && s[0] == '0')) return -1;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10) return 1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* Integer in lo..hi at n; `allowed` describes the range; a value above hi
 * fails with `over`, any other bad value with BS_ERR_PARSE. */
static bs_status get_uint(ctx *c, yaml_node_t *n, const char *path,
                          uint64_t lo, uint64_t hi, bs_status over,
                          const char *allowed, uint64_t *out)
{
    char b[SHOW_LEN];
    uint64_t v = 0;
    int r = n->type == YAML_SCALAR_NODE ? parse_u64(n, &v) : -1;
    if (r < 0 || (r == 0 && v < lo))
        return fail(c, BS_ERR_PARSE, n, path, "%s is invalid: must be %s%s",
                    describe(n, b), allowed, quote_hint(n));
    if (r > 0 || v > hi)
        return fail(c, over, n, path, "%s is invalid: must be %s",
                    describe(n, b), allowed);
    *out = v;
    return BS_OK;
}

/* Finite real in [lo, hi] (or (lo, hi] when lo_open) at n. */
static bs_status get_real(ctx *c, yaml_node_t *n, const char *path,
                          double lo, int lo_open, double hi, double *out)
{
    char b[SHOW_LEN], *end = NULL;
    const char *s = is_plain(n) ? text_of(n) : NULL;
    double v = 0.0;
    int ok = s && s[0] && strspn(s, "0123456789.eE+-") == strlen(s);
    if (ok) {
        errno = 0;
        v = strtod(s, &end);
        ok = *end == '\0' && errno != ERANGE && isfinite(v)
          && (lo_open ? v > lo : v >= lo) && v <= hi;
    }
    if (!ok)
        return fail(c, BS_ERR_PARSE, n, path, "%s is invalid: must be a "
                    "number in %c%g, %g]%s", describe(n, b),
                    lo_open ? '(' : '[', lo, hi, quote_hint(n));
    *out = v;
    return BS_OK;
}

static bs_status get_bool(ctx *c, yaml_node_t *n, const char *path, int *out)
{
    char b[SHOW_LEN];
    const char *s = is_plain(n) ? text_of(n) : NULL;
    if (s && (!strcmp(s, "true") || !strcmp(s, "false"))) {
        *out = s[0] == 't';
        return BS_OK;
    }
    return fail(c, BS_ERR_PARSE, n, path, "%s is invalid: must be true or "
                "false%s", describe(n, b), quote_hint(n));
}

/* ---- names -------------------------------------------------------------- */

/* Kind and index of an existing name (linear; used while building). */
static int find_name(const bs_experiment *e, const char *s, int *kind)
{
    int i;
    if ((i = bs_experiment_area(e, s)) >= 0) { *kind = REF_AREA; return i; }
    if ((i = bs_experiment_stim(e, s)) >= 0) { *kind = REF_STIM; return i; }
    if ((i = bs_experiment_fiber(e, s)) >= 0) { *kind = REF_FIBER; return i; }
    if ((i = bs_experiment_snapshot(e, s)) >= 0) { *kind = REF_SNAP; return i; }
    return -1;
}

/* Checks a new name: 1..BS_NAME_MAX-1 bytes of [A-Za-z0-9_.-] (and '>' for
 * fibers), not used yet; at names the node to blame. */
static bs_status check_name(ctx *c, yaml_node_t *at, const char *path,
                            const char *s, int is_fiber)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
                             "UVWXYZ0123456789_.->";
    char b[SHOW_LEN];
    int kind, i;
    size_t len = s ? strlen(s) : 0;
    if (!s || len == 0 || len >= BS_NAME_MAX
        || strspn(s, ok) != len || (!is_fiber && strchr(s, '>')))
        return fail(c, BS_ERR_PARSE, at, path, "%s is invalid: a name is 1 "
                    "to %d characters from A-Z a-z 0-9 _ . -%s",
                    s ? describe(at, b) : "a missing name", BS_NAME_MAX - 1,
                    is_fiber ? " >" : "");
    if ((i = find_name(c->e, s, &kind)) >= 0 && kind == REF_SNAP)
        return fail(c, BS_ERR_PARSE, at, path, "name '%s' is already used by "
                    "a snapshot (schedule[%d], line %d; names are unique "
                    "across areas, stimuli, fibers and snapshots)", s,
                    c->e->snapshots[i].op, c->e->snapshots[i].line);
    if (i >= 0)
        return fail(c, BS_ERR_PARSE, at, path, "name '%s' is already used by "
                    "%s (names are unique across areas, stimuli, fibers and "
                    "snapshots)", s, REF_WORD[kind]);
    return BS_OK;
}

static bs_status get_name(ctx *c, yaml_node_t *n, const char *path,
                          char *dst)
{
    bs_status st = want(c, n, YAML_SCALAR_NODE, path);
    if (st == BS_OK) st = check_name(c, n, path, text_of(n), 0);
    if (st == BS_OK) strcpy(dst, text_of(n));
    return st;
}

static int ref_cmp(const void *a, const void *b)
{
    return strcmp(((const name_ref *)a)->name, ((const name_ref *)b)->name);
}

/* Builds the sorted index of every name for the schedule's lookups. */
static bs_status index_names(ctx *c)
{
    bs_experiment *e = c->e;
    int n = e->n_areas + e->n_stims + e->n_fibers, at = 0;
    c->refs = malloc((size_t)n * sizeof *c->refs);
    if (!c->refs) return fail_pos(c, BS_ERR_NOMEM, 1, 1, "top level",
                                  "out of memory");
    for (int i = 0; i < e->n_areas; i++)
        c->refs[at++] = (name_ref){e->areas[i].name, REF_AREA, i};
    for (int i = 0; i < e->n_stims; i++)
        c->refs[at++] = (name_ref){e->stims[i].name, REF_STIM, i};
    for (int i = 0; i < e->n_fibers; i++)
        c->refs[at++] = (name_ref){e->fibers[i].name, REF_FIBER, i};
    qsort(c->refs, (size_t)n, sizeof *c->refs, ref_cmp);
    c->n_refs = n;
    return BS_OK;
}

/*
 * Resolves the scalar n to an entity whose kind is in `kinds` (bit mask of
 * 1 << REF_*); *kind and *idx receive it.  Fails naming what the name is, or
 * that it is unknown, and listing the names of the wanted kinds.
 */
static bs_status resolve(ctx *c, yaml_node_t *n, const char *path,
                         unsigned kinds, int *kind, int *idx)
{
    char b[SHOW_LEN], l1[LIST_LEN];
    bs_status st = want(c, n, YAML_SCALAR_NODE, path);
    const char *s = text_of(n);
    int k = -1, i = s ? -1 : -2;
    if (st != BS_OK) return st;
    if (s && c->refs) {
        name_ref key = {s, 0, 0}, *r = bsearch(&key, c->refs,
                          (size_t)c->n_refs, sizeof key, ref_cmp);
        if (r) { k = r->kind; i = r->idx; }
    } else if (s) {
        i = find_name(c->e, s, &k);
    }
    if (i >= 0 && (kinds & (1u << k))) { *kind = k; *idx = i; return BS_OK; }
    return fail(c, BS_ERR_PARSE, n, path, "%s is invalid: %s%s; must name "
                "%s (%s)", describe(n, b), i >= 0 ? "it is " : "no such name",
                i >= 0 ? REF_WORD[k] : "", kinds == 1u << REF_AREA ? "an area"
                : kinds == 1u << REF_FIBER ? "a fiber"
                : kinds & (1u << REF_STIM) ? "an area or a stimulus"
                : "an area or a fiber", list_names(c->e, kinds, l1));
}

/* ---- areas, stimuli, fibers --------------------------------------------- */

static bs_status parse_area(ctx *c, yaml_node_t *n, const char *path,
                            bs_area_spec *a)
{
    static const char *const keys[] = {"name", "n", "k", "beta"};
    char kp[PATH_LEN], range[80];
    yaml_node_t *v[4];
    bs_status st = fields(c, n, path, keys, 4, 3, v);
    if (st == BS_OK) st = get_name(c, v[0], sub(kp, path, "name"), a->name);
    if (st == BS_OK)
        st = get_uint(c, v[1], sub(kp, path, "n"), 1, BS_MAX_NEURONS,
                      BS_ERR_LIMIT, "an integer in 1..1099511627776 (2^40)",
                      &a->n_neurons);
    if (st != BS_OK) return st;
    snprintf(range, sizeof range, "an integer in 1..n (n = %llu)",
             (unsigned long long)a->n_neurons);
    st = get_uint(c, v[2], sub(kp, path, "k"), 1, a->n_neurons,
                  BS_ERR_PARSE, range, &a->k);
    if (st == BS_OK && a->k > BS_MAX_K)
        return fail(c, BS_ERR_LIMIT, v[2], kp, "k = %llu exceeds brainsim's "
                    "limit of 16777216 (2^24)", (unsigned long long)a->k);
    a->beta = c->e->beta;
    if (st == BS_OK && v[3])
        st = get_real(c, v[3], sub(kp, path, "beta"), 0, 0, MAX_BETA,
                      &a->beta);
    a->line = (int)n->start_mark.line + 1;
    a->col = (int)n->start_mark.column + 1;
    return st;
}

static bs_status parse_stim(ctx *c, yaml_node_t *n, const char *path,
                            bs_stim_spec *s)
{
    static const char *const keys[] = {"name", "k"};
    char kp[PATH_LEN];
    yaml_node_t *v[2];
    bs_status st = fields(c, n, path, keys, 2, 2, v);
    if (st == BS_OK) st = get_name(c, v[0], sub(kp, path, "name"), s->name);
    if (st == BS_OK)
        st = get_uint(c, v[1], sub(kp, path, "k"), 1, BS_MAX_K, BS_ERR_LIMIT,
                      "an integer in 1..16777216 (2^24)", &s->k);
    s->line = (int)n->start_mark.line + 1;
    s->col = (int)n->start_mark.column + 1;
    return st;
}

/* Source, target and name of fiber f (n at path); the fibers before it
 * are in c->e. */
static bs_status fiber_ends(ctx *c, yaml_node_t *n, const char *path,
                            yaml_node_t **v, bs_fiber_spec *f)
{
    const bs_experiment *e = c->e;
    char kp[PATH_LEN];
    int kind = 0;
    bs_status st = resolve(c, v[0], sub(kp, path, "from"),
                           1u << REF_AREA | 1u << REF_STIM, &kind, &f->src);
    f->src_is_stim = kind == REF_STIM;
    if (st == BS_OK)
        st = resolve(c, v[1], sub(kp, path, "to"), 1u << REF_AREA, &kind,
                     &f->dst);
    for (int j = 0; st == BS_OK && j < e->n_fibers; j++) {
        const bs_fiber_spec *g = &e->fibers[j];
        if (g->src == f->src && g->src_is_stim == f->src_is_stim
            && g->dst == f->dst)
            return fail(c, BS_ERR_PARSE, n, path, "a fiber from '%s' to '%s' "
                        "already exists (fibers[%d], '%s', line %d)",
                        text_of(v[0]), text_of(v[1]), j, g->name, g->line);
    }
    if (st != BS_OK) return st;
    if (v[2]) {
        st = want(c, v[2], YAML_SCALAR_NODE, sub(kp, path, "name"));
        if (st == BS_OK) st = check_name(c, v[2], kp, text_of(v[2]), 1);
        if (st == BS_OK) strcpy(f->name, text_of(v[2]));
        return st;
    }
    char dflt[2 * BS_NAME_MAX + 4];
    snprintf(dflt, sizeof dflt, "%s->%s", text_of(v[0]), text_of(v[1]));
    if (strlen(dflt) >= BS_NAME_MAX)
        return fail(c, BS_ERR_PARSE, n, path, "the default name '%s' is "
                    "longer than %d bytes: give the fiber a 'name'", dflt,
                    BS_NAME_MAX - 1);
    st = check_name(c, n, sub(kp, path, "name"), dflt, 1);
    if (st == BS_OK) strcpy(f->name, dflt);
    return st;
}

static bs_status parse_fiber(ctx *c, yaml_node_t *n, const char *path,
                             bs_fiber_spec *f)
{
    static const char *const keys[] = {"from", "to", "name", "p", "beta",
                                       "cap"};
    char kp[PATH_LEN];
    yaml_node_t *v[6];
    bs_status st = fields(c, n, path, keys, 6, 2, v);
    if (st == BS_OK) st = fiber_ends(c, n, path, v, f);
    if (st != BS_OK) return st;
    f->line = (int)n->start_mark.line + 1;
    f->col = (int)n->start_mark.column + 1;
    f->p = c->e->p;
    if (v[3])
        st = get_real(c, v[3], sub(kp, path, "p"), 0, 1, 1.0, &f->p);
    else if (f->p <= 0)
        return fail(c, BS_ERR_PARSE, n, sub(kp, path, "p"), "fiber '%s' has "
                    "no p and defaults.p is not set: give a number in "
                    "(0, 1]", f->name);
    f->beta = c->e->areas[f->dst].beta;
    if (st == BS_OK && v[4])
        st = get_real(c, v[4], sub(kp, path, "beta"), 0, 0, MAX_BETA,
                      &f->beta);
    f->cap = 0;
    if (st == BS_OK && v[5])
        st = get_real(c, v[5], sub(kp, path, "cap"), 1, 0, MAX_CAP, &f->cap);
    return st;
}

/* Parses list `n` (may be NULL: empty) of areas, stimuli or fibers (kind)
 * into c->e, counting entries as they succeed. */
static bs_status parse_list(ctx *c, yaml_node_t *n, int kind, size_t min)
{
    static const char *const keys[] = {"areas", "stimuli", "fibers"};
    static const size_t size[] = {sizeof(bs_area_spec), sizeof(bs_stim_spec),
                                  sizeof(bs_fiber_spec)};
    bs_experiment *e = c->e;
    char path[PATH_LEN];
    size_t len = 0;
    bs_status st = n ? list_len(c, n, keys[kind], min, BS_MAX_ENTITIES, &len)
                     : BS_OK;
    void *arr = st == BS_OK ? calloc(len ? len : 1, size[kind]) : NULL;
    if (st != BS_OK) return st;
    if (!arr) return fail_pos(c, BS_ERR_NOMEM, 1, 1, keys[kind], "out of "
                              "memory");
    if (kind == REF_AREA) e->areas = arr;
    else if (kind == REF_STIM) e->stims = arr;
    else e->fibers = arr;
    for (size_t i = 0; i < len && st == BS_OK; i++) {
        yaml_node_t *x = elem(c, n, i);
        item(path, keys[kind], i);
        if (kind == REF_AREA)
            st = parse_area(c, x, path, &e->areas[e->n_areas]);
        else if (kind == REF_STIM)
            st = parse_stim(c, x, path, &e->stims[e->n_stims]);
        else
            st = parse_fiber(c, x, path, &e->fibers[e->n_fibers]);
        if (st == BS_OK)
            (*(kind == REF_AREA ? &e->n_areas : kind == REF_STIM
               ? &e->n_stims : &e->n_fibers))++;
    }
    return st;
}

/* ---- schedule ----------------------------------------------------------- */

static bs_status parse_fiber_list(ctx *c, yaml_node_t *n, const char *path,
                                  bs_op *op)
{
    char ip[PATH_LEN];
    size_t len;
    int kind;
    bs_status st = list_len(c, n, path, 0, (size_t)INT32_MAX, &len);
    if (st != BS_OK) return st;
    if (len == 0)
        return fail(c, BS_ERR_PARSE, n, path, "the list is empty: omit "
                    "'fibers' to project along every fiber");
    if (len > (size_t)c->e->n_fibers)        /* a repeat or unknown name */
        len = (size_t)c->e->n_fibers + 1;    /* stops the loop in time */
    op->fibers = malloc(len * sizeof *op->fibers);
    if (!op->fibers) return fail(c, BS_ERR_NOMEM, n, path, "out of memory");
    op->n_fibers = 0;
    for (size_t i = 0; i < len; i++) {
        yaml_node_t *x = elem(c, n, i);
        int f;
        st = resolve(c, x, item(ip, path, i), 1u << REF_FIBER, &kind, &f);
        for (int j = 0; st == BS_OK && j < op->n_fibers; j++)
            if (op->fibers[j] == f)
                st = fail(c, BS_ERR_PARSE, x, ip, "fiber '%s' is listed "
                          "twice", c->e->fibers[f].name);
        if (st != BS_OK) return st;
        op->fibers[op->n_fibers++] = f;
    }
    return BS_OK;
}

static bs_status parse_project(ctx *c, yaml_node_t *n, const char *path,
                               bs_op *op)
{
    static const char *const keys[] = {"fibers", "rounds"};
    char kp[PATH_LEN];
    yaml_node_t *v[2];
    bs_status st = fields(c, n, path, keys, 2, 0, v);
    if (st != BS_OK) return st;
    if (c->e->n_fibers == 0)
        return fail(c, BS_ERR_PARSE, n, path, "the experiment has no fibers "
                    "to project along");
    op->rounds = 1;
    if (v[1])
        st = get_uint(c, v[1], sub(kp, path, "rounds"), 1, MAX_ROUNDS,
                      BS_ERR_LIMIT, "an integer in 1..1000000000",
                      &op->rounds);
    if (st == BS_OK && v[0])
        st = parse_fiber_list(c, v[0], sub(kp, path, "fibers"), op);
    if (st != BS_OK) return st;
    c->e->total_steps += op->rounds;
    if (c->e->total_steps > MAX_TOTAL_STEPS)
        return fail(c, BS_ERR_LIMIT, v[1] ? v[1] : n, path, "the schedule "
                    "exceeds brainsim's limit of 10^12 steps in total");
    return BS_OK;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* The k distinct ids < n of list `n` for area a, sorted, into op. */
static bs_status parse_neurons(ctx *c, yaml_node_t *n, const char *path,
                               const bs_area_spec *a, bs_op *op)
{
    char ip[PATH_LEN], range[80];
    size_t len;
    bs_status st = list_len(c, n, path, 0, (size_t)-1, &len);
    if (st != BS_OK) return st;
    if (len != a->k)
        return fail(c, BS_ERR_PARSE, n, path, "%zu ids given: must be "
                    "exactly k = %llu distinct ids of area '%s'", len,
                    (unsigned long long)a->k, a->name);
    op->neurons = malloc(len * sizeof *op->neurons);
    if (!op->neurons) return fail(c, BS_ERR_NOMEM, n, path, "out of memory");
    snprintf(range, sizeof range, "an id in 0..n-1 (n = %llu)",
             (unsigned long long)a->n_neurons);
    for (size_t i = 0; i < len && st == BS_OK; i++)
        st = get_uint(c, elem(c, n, i), item(ip, path, i), 0,
                      a->n_neurons - 1, BS_ERR_PARSE, range, &op->neurons[i]);
    if (st != BS_OK) return st;
    qsort(op->neurons, len, sizeof *op->neurons, cmp_u64);
    for (size_t i = 1; i < len; i++) {
        if (op->neurons[i] != op->neurons[i - 1]) continue;
        uint64_t v = op->neurons[i], x = 0;
        int seen = 0;
        for (size_t j = 0; j < len; j++) {       /* blame the 2nd copy */
            yaml_node_t *y = elem(c, n, j);
            if (parse_u64(y, &x) == 0 && x == v && seen++)
                return fail(c, BS_ERR_PARSE, y, item(ip, path, j), "id %llu "
                            "is listed twice: the k ids must be distinct",
                            (unsigned long long)v);
        }
    }
    return BS_OK;
}

static bs_status parse_set_assembly(ctx *c, yaml_node_t *n, const char *path,
                                    bs_op *op)
{
    static const char *const keys[] = {"area", "neurons", "random", "fix"};
    char kp[PATH_LEN];
    yaml_node_t *v[4];
    int kind;
    bs_status st = fields(c, n, path, keys, 4, 1, v);
    if (st == BS_OK)
        st = resolve(c, v[0], sub(kp, path, "area"), 1u << REF_AREA, &kind,
                     &op->area);
    if (st == BS_OK && v[2])
        st = get_bool(c, v[2], sub(kp, path, "random"), &op->random);
    if (st == BS_OK && v[3])
        st = get_bool(c, v[3], sub(kp, path, "fix"), &op->fix);
    if (st != BS_OK) return st;
    if (v[1] && op->random)
        return fail(c, BS_ERR_PARSE, v[2], sub(kp, path, "random"), "give "
                    "either 'neurons' or 'random: true', not both");
    if (!v[1] && !op->random)
        return fail(c, BS_ERR_PARSE, n, path, "missing key 'neurons' (or "
                    "'random: true'): the assembly must be given");
    if (v[1])
        st = parse_neurons(c, v[1], sub(kp, path, "neurons"),
                           &c->e->areas[op->area], op);
    return st;
}

/* checkpoint: PATH, a non-empty file path of at most 4095 bytes. */
static bs_status parse_checkpoint(ctx *c, yaml_node_t *v, const char *path,
                                  bs_op *op)
{
    char b[SHOW_LEN];
    const char *s = text_of(v);
    if (!s || !s[0] || strlen(s) > 4095)
        return fail(c, BS_ERR_PARSE, v, path, "value %s is invalid: must be "
                    "a file path (1 to 4095 bytes)", describe(v, b));
    size_t len = strlen(s) + 1;
    op->path = malloc(len);
    if (op->path)
        memcpy(op->path, s, len);
    if (!op->path)
        return fail(c, BS_ERR_NOMEM, v, path, "out of memory");
    return BS_OK;
}

/* snapshot: {area: A, name: x}; the name is new across every kind. */
static bs_status parse_snapshot(ctx *c, yaml_node_t *n, const char *path,
                                bs_op *op)
{
    static const char *const keys[] = {"area", "name"};
    char kp[PATH_LEN];
    yaml_node_t *v[2];
    int kind;
    bs_experiment *e = c->e;
    bs_status st = fields(c, n, path, keys, 2, 2, v);
    if (st == BS_OK)
        st = resolve(c, v[0], sub(kp, path, "area"), 1u << REF_AREA, &kind,
                     &op->area);
    if (st != BS_OK) return st;
    if (e->n_snapshots == BS_MAX_ENTITIES)
        return fail(c, BS_ERR_LIMIT, n, path, "more than %d snapshots "
                    "exceed brainsim's limit", BS_MAX_ENTITIES);
    if (e->n_snapshots % 16 == 0) {
        bs_snapshot_spec *more = realloc(e->snapshots,
            ((size_t)e->n_snapshots + 16) * sizeof *more);
        if (!more) return fail(c, BS_ERR_NOMEM, n, path, "out of memory");
        e->snapshots = more;
    }
    bs_snapshot_spec *sp = &e->snapshots[e->n_snapshots];
    memset(sp, 0, sizeof *sp);
    st = get_name(c, v[1], sub(kp, path, "name"), sp->name);
    if (st != BS_OK) return st;
    sp->area = op->area;
    sp->op = (int)(op - e->ops);
    sp->line = (int)v[1]->start_mark.line + 1;
    sp->col = (int)v[1]->start_mark.column + 1;
    op->snapshot = e->n_snapshots++;
    return BS_OK;
}

/* fire_subset: {area: A, fraction: f}, f in (0, 1] with round(f k) >= 1. */
static bs_status parse_fire_subset(ctx *c, yaml_node_t *n, const char *path,
                                   bs_op *op)
{
    static const char *const keys[] = {"area", "fraction"};
    char kp[PATH_LEN];
    yaml_node_t *v[2];
    int kind;
    bs_status st = fields(c, n, path, keys, 2, 2, v);
    if (st == BS_OK)
        st = resolve(c, v[0], sub(kp, path, "area"), 1u << REF_AREA, &kind,
                     &op->area);
    if (st == BS_OK)
        st = get_real(c, v[1], sub(kp, path, "fraction"), 0, 1, 1.0,
                      &op->fraction);
    if (st != BS_OK) return st;
    const bs_area_spec *a = &c->e->areas[op->area];
    op->n_fire = (uint64_t)llround(op->fraction * (double)a->k);
    if (op->n_fire < 1)
        return fail(c, BS_ERR_PARSE, v[1], kp, "fraction %g of k = %llu of "
                    "area '%s' rounds to no neuron: must fire at least one",
                    op->fraction, (unsigned long long)a->k, a->name);
    if (op->n_fire > a->k) op->n_fire = a->k;
    return BS_OK;
}

static bs_status parse_op(ctx *c, yaml_node_t *n, const char *path,
                          bs_op *op)
{
    static const char *const ops[BS_OP_N_KINDS] = {"project", "fix", "unfix",
        "set_assembly", "inhibit", "disinhibit", "checkpoint", "snapshot",
        "fire_subset", "reset"};
    char b[SHOW_LEN], list[LIST_LEN], kp[PATH_LEN];
    bs_status st = want(c, n, YAML_MAPPING_NODE, path);
    if (st != BS_OK) return st;
    yaml_node_pair_t *p = n->data.mapping.pairs.start;
    long n_keys = n->data.mapping.pairs.top - p;
    op->n_fibers = -1; op->area = -1; op->target = -1; op->snapshot = -1;
    op->line = (int)n->start_mark.line + 1;
    op->col = (int)n->start_mark.column + 1;
    if (n_keys != 1)
        return fail(c, BS_ERR_PARSE, n_keys ? node(c, p[1].key) : n, path,
                    "a schedule item is a map with exactly one key, the "
                    "operation (%ld keys given; one of: %s)", n_keys,
                    join_keys(ops, BS_OP_N_KINDS, list));
    yaml_node_t *k = node(c, p->key), *v = node(c, p->value);
    const char *s = text_of(k);
    int i = 0, kind;
    while (s && i < BS_OP_N_KINDS && strcmp(s, ops[i]) != 0) i++;
    if (!s || i == BS_OP_N_KINDS)
        return fail(c, BS_ERR_PARSE, k, path, "unknown operation %s (allowed: "
                    "%s)", key_str(k, b), join_keys(ops, BS_OP_N_KINDS,
                    list));
    op->kind = (bs_op_kind)i;
    sub(kp, path, ops[i]);
    switch (op->kind) {
    case BS_OP_PROJECT: return parse_project(c, v, kp, op);
    case BS_OP_SET_ASSEMBLY: return parse_set_assembly(c, v, kp, op);
    case BS_OP_FIX: case BS_OP_UNFIX: case BS_OP_RESET:
        return resolve(c, v, kp, 1u << REF_AREA, &kind, &op->area);
    case BS_OP_CHECKPOINT:
        return parse_checkpoint(c, v, kp, op);
    case BS_OP_SNAPSHOT:
        return parse_snapshot(c, v, kp, op);
    case BS_OP_FIRE_SUBSET:
        return parse_fire_subset(c, v, kp, op);
    default:
        st = resolve(c, v, kp, 1u << REF_AREA | 1u << REF_FIBER, &kind,
                     &op->target);
        op->target_is_fiber = kind == REF_FIBER;
        return st;
    }
}

static bs_status parse_schedule(ctx *c, yaml_node_t *n)
{
    char path[PATH_LEN];
    size_t len;
    bs_status st = list_len(c, n, "schedule", 1, (size_t)INT32_MAX, &len);
    if (st != BS_OK) return st;
    c->e->ops = calloc(len, sizeof *c->e->ops);
    if (!c->e->ops) return fail(c, BS_ERR_NOMEM, n, "schedule", "out of "
                                "memory");
    c->e->n_ops = (int)len;
    for (size_t i = 0; i < len && st == BS_OK; i++)
        st = parse_op(c, elem(c, n, i), item(path, "schedule", i),
                      &c->e->ops[i]);
    return st;
}

/* ---- expectations ------------------------------------------------------- */

/* "snapshots: a, b" (names stop, with " ...", before LIST_LEN / 2). */
static const char *list_snapshots(const bs_experiment *e, char *buf)
{
    size_t at = (size_t)sprintf(buf, "snapshots:%s", e->n_snapshots ? ""
                                : " none");
    for (int i = 0; i < e->n_snapshots; i++) {
        if (at + strlen(e->snapshots[i].name) + 6 > LIST_LEN / 2) {
            at += (size_t)sprintf(buf + at, " ...");
            break;
        }
        at += (size_t)sprintf(buf + at, "%s %s", i ? "," : "",
                              e->snapshots[i].name);
    }
    return buf;
}

/* One set of an overlap: a snapshot (*set its index) or an area's current
 * winners (*set -1); *area receives the area. */
static bs_status expect_set(ctx *c, yaml_node_t *n, const char *path,
                            int *set, int *area)
{
    char b[SHOW_LEN], l1[LIST_LEN], l2[LIST_LEN];
    bs_status st = want(c, n, YAML_SCALAR_NODE, path);
    const char *s = text_of(n);
    int i;
    if (st != BS_OK) return st;
    if (s && (i = bs_experiment_snapshot(c->e, s)) >= 0) {
        *set = i;
        *area = c->e->snapshots[i].area;
        return BS_OK;
    }
    if (s && (i = bs_experiment_area(c->e, s)) >= 0) {
        *set = -1;
        *area = i;
        return BS_OK;
    }
    return fail(c, BS_ERR_PARSE, n, path, "%s is invalid: no snapshot or "
                "area of that name; must name a snapshot or an area (%s; "
                "%s)", describe(n, b), list_snapshots(c->e, l1),
                list_names(c->e, 1u << REF_AREA, l2));
}

/* overlap: [x, y], two sets of the same area. */
static bs_status expect_overlap(ctx *c, yaml_node_t *n, const char *path,
                                bs_expect *x)
{
    char ip[PATH_LEN];
    int area[2];
    bs_status st = want(c, n, YAML_SEQUENCE_NODE, path);
    if (st != BS_OK) return st;
    size_t len = (size_t)(n->data.sequence.items.top
                          - n->data.sequence.items.start);
    if (len != 2)
        return fail(c, BS_ERR_PARSE, n, path, "%zu names given: must be two "
                    "(snapshots, or areas for their current winners)", len);
    for (size_t i = 0; i < 2 && st == BS_OK; i++)
        st = expect_set(c, elem(c, n, i), item(ip, path, i), &x->set[i],
                        &area[i]);
    if (st != BS_OK) return st;
    if (area[0] != area[1])
        return fail(c, BS_ERR_PARSE, n, path, "'%s' holds winners of area "
                    "'%s' and '%s' of area '%s': an overlap compares two sets "
                    "of the same area", text_of(elem(c, n, 0)),
                    c->e->areas[area[0]].name, text_of(elem(c, n, 1)),
                    c->e->areas[area[1]].name);
    x->area = area[0];
    return BS_OK;
}

/* The bounds min, max (v[0], v[1]) and by (v[2]) of expectation x. */
static bs_status expect_bounds(ctx *c, yaml_node_t *n, const char *path,
                               yaml_node_t **v, bs_expect *x)
{
    static const char *const kinds[] = {"overlap", "support",
                                        "support_stable", "converged"};
    char kp[PATH_LEN];
    const char *all = "an integer in 0..18446744073709551615";
    int bounded = x->kind == BS_EXPECT_OVERLAP || x->kind == BS_EXPECT_SUPPORT;
    bs_status st = BS_OK;
    for (int i = 0; i < 2 && st == BS_OK; i++) {
        const char *key = i ? "max" : "min";
        if (!v[i]) continue;
        if (!bounded)
            return fail(c, BS_ERR_PARSE, v[i], sub(kp, path, key), "'%s' "
                        "applies to overlap and support, not to %s", key,
                        kinds[x->kind]);
        st = get_uint(c, v[i], sub(kp, path, key), 0, UINT64_MAX,
                      BS_ERR_PARSE, all, i ? &x->max : &x->min);
        *(i ? &x->has_max : &x->has_min) = 1;
    }
    if (st != BS_OK) return st;
    if (bounded && !x->has_min && !x->has_max)
        return fail(c, BS_ERR_PARSE, n, path, "%s needs a bound: give 'min', "
                    "'max' or both", kinds[x->kind]);
    if (x->has_min && x->has_max && x->min > x->max)
        return fail(c, BS_ERR_PARSE, v[1], sub(kp, path, "max"), "max %llu "
                    "is below min %llu", (unsigned long long)x->max,
                    (unsigned long long)x->min);
    if (v[2] && x->kind != BS_EXPECT_CONVERGED)
        return fail(c, BS_ERR_PARSE, v[2], sub(kp, path, "by"), "'by' "
                    "applies to converged, not to %s", kinds[x->kind]);
    if (v[2]) {
        x->has_by = 1;
        st = get_uint(c, v[2], sub(kp, path, "by"), 0, MAX_TOTAL_STEPS,
                      BS_ERR_PARSE, "a step number in 0..10^12", &x->by);
    }
    return st;
}

static bs_status parse_expect_item(ctx *c, yaml_node_t *n, const char *path,
                                   bs_expect *x)
{
    static const char *const keys[] = {"overlap", "support", "support_stable",
                                       "converged", "min", "max", "by"};
    char kp[PATH_LEN], list[LIST_LEN];
    yaml_node_t *v[7];
    int kind, n_kinds = 0;
    bs_status st = fields(c, n, path, keys, 7, 0, v);
    if (st != BS_OK) return st;
    x->line = (int)n->start_mark.line + 1;
    x->col = (int)n->start_mark.column + 1;
    x->set[0] = x->set[1] = -1;
    for (int i = BS_EXPECT_N_KINDS - 1; i >= 0; i--)
        if (v[i]) { x->kind = (bs_expect_kind)i; n_kinds++; }
    if (n_kinds != 1)
        return fail(c, BS_ERR_PARSE, n, path, "an expectation has exactly "
                    "one of %s (%d given)", join_keys(keys, BS_EXPECT_N_KINDS,
                    list), n_kinds);
    sub(kp, path, keys[x->kind]);
    if (x->kind == BS_EXPECT_OVERLAP)
        st = expect_overlap(c, v[0], kp, x);
    else
        st = resolve(c, v[x->kind], kp, 1u << REF_AREA, &kind, &x->area);
    if (st == BS_OK)
        st = expect_bounds(c, n, path, v + 4, x);
    return st;
}

static bs_status parse_expects(ctx *c, yaml_node_t *n)
{
    char path[PATH_LEN];
    size_t len;
    bs_status st = list_len(c, n, "expect", 1, BS_MAX_ENTITIES, &len);
    if (st != BS_OK) return st;
    c->e->expects = calloc(len, sizeof *c->e->expects);
    if (!c->e->expects) return fail(c, BS_ERR_NOMEM, n, "expect", "out of "
                                    "memory");
    for (size_t i = 0; i < len && st == BS_OK; i++) {
        st = parse_expect_item(c, elem(c, n, i), item(path, "expect", i),
                               &c->e->expects[i]);
        if (st == BS_OK) c->e->n_expects++;
    }
    return st;
}

/* name: the verdict's prefix; by default the base name of the source
 * without its extension. */
static bs_status parse_exp_name(ctx *c, yaml_node_t *n)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
                             "UVWXYZ0123456789_.-";
    char b[SHOW_LEN];
    bs_experiment *e = c->e;
    if (!n) {
        const char *base = strrchr(c->src, '/');
        base = base ? base + 1 : c->src;
        size_t len = strlen(base);
        const char *dot = strrchr(base, '.');
        if (dot && dot > base) len = (size_t)(dot - base);
        if (len >= BS_NAME_MAX) len = BS_NAME_MAX - 1;
        memcpy(e->name, base, len);
        e->name[len] = '\0';
        return BS_OK;
    }
    bs_status st = want(c, n, YAML_SCALAR_NODE, "name");
    const char *s = text_of(n);
    size_t len = s ? strlen(s) : 0;
    if (st != BS_OK) return st;
    if (!s || len == 0 || len >= BS_NAME_MAX || strspn(s, ok) != len)
        return fail(c, BS_ERR_PARSE, n, "name", "%s is invalid: a name is 1 "
                    "to %d characters from A-Z a-z 0-9 _ . -", describe(n, b),
                    BS_NAME_MAX - 1);
    memcpy(e->name, s, len + 1);
    return BS_OK;
}

/* ---- top level ---------------------------------------------------------- */

static bs_status parse_defaults(ctx *c, yaml_node_t *n)
{
    static const char *const keys[] = {"p", "beta"};
    yaml_node_t *v[2];
    bs_status st = fields(c, n, "defaults", keys, 2, 0, v);
    if (st == BS_OK && v[0])
        st = get_real(c, v[0], "defaults.p", 0, 1, 1.0, &c->e->p);
    if (st == BS_OK && v[1])
        st = get_real(c, v[1], "defaults.beta", 0, 0, MAX_BETA, &c->e->beta);
    return st;
}

static bs_status parse_root(ctx *c)
{
    static const char *const keys[] = {"areas", "schedule", "seed",
                                       "defaults", "stimuli", "fibers",
                                       "name", "expect"};
    char list[LIST_LEN];
    bs_experiment *e = c->e;
    yaml_node_t *v[8], *root = yaml_document_get_root_node(c->doc);
    if (!root)
        return fail_pos(c, BS_ERR_PARSE, 1, 1, "top level", "the experiment "
                        "is empty: expected a map with keys %s",
                        join_keys(keys, 8, list));
    bs_status st = fields(c, root, "top level", keys, 8, 2, v);
    e->seed = 1;
    e->beta = DEFAULT_BETA;
    if (st == BS_OK && v[2])
        st = get_uint(c, v[2], "seed", 0, UINT64_MAX, BS_ERR_PARSE,
                      "an integer in 0..18446744073709551615", &e->seed);
    if (st == BS_OK && v[3]) st = parse_defaults(c, v[3]);
    if (st == BS_OK) st = parse_list(c, v[0], REF_AREA, 1);
    if (st == BS_OK) st = parse_list(c, v[4], REF_STIM, 0);
    if (st == BS_OK) st = parse_list(c, v[5], REF_FIBER, 0);
    if (st == BS_OK) st = index_names(c);
    if (st == BS_OK) st = parse_schedule(c, v[1]);
    if (st == BS_OK) st = parse_exp_name(c, v[6]);
    if (st == BS_OK && v[7]) st = parse_expects(c, v[7]);
    return st;
}

/* ---- entry points ------------------------------------------------------- */

/* Line and column (1-based) of byte offset `off` of text. */
static void offset_pos(const char *text, size_t len, size_t off,
                       unsigned long *line, unsigned long *col)
{
    *line = 1; *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n') { ++*line; *col = 1; }
        else if (((unsigned char)text[i] & 0xc0) != 0x80) ++*col;
    }
}

/* Byte at 0-based line, column (in characters) of text, or -1. */
static int char_at(const char *text, size_t len, size_t line, size_t col)
{
    size_t i = 0;
    for (; line > 0 && i < len; i++)
        if (text[i] == '\n') line--;
    for (; i < len && text[i] != '\n'; i++) {
        if (((unsigned char)text[i] & 0xc0) == 0x80) continue;
        if (col-- == 0) return (unsigned char)text[i];
    }
    return -1;
}

/* Reports the error held by parser p. */
static bs_status yaml_error(ctx *c, const yaml_parser_t *p, const char *text,
                            size_t len)
{
    const char *what = p->problem ? p->problem : "unknown error";
    unsigned long line, col;
    if (p->error == YAML_MEMORY_ERROR)
        return fail_pos(c, BS_ERR_NOMEM, 1, 1, "YAML", "out of memory");
    if (p->error == YAML_READER_ERROR) {
        offset_pos(text, len, p->problem_offset, &line, &col);
        if (p->problem_value < 0)
            return fail_pos(c, BS_ERR_PARSE, line, col, "YAML", "%s (at "
                            "offset %zu)", what, p->problem_offset);
        return fail_pos(c, BS_ERR_PARSE, line, col, "YAML", "%s (byte 0x%02X "
                        "at offset %zu)", what, (unsigned)p->problem_value,
                        p->problem_offset);
    }
    const yaml_mark_t *m = &p->problem_mark;
    int tab = char_at(text, len, m->line, m->column) == '\t';
    if (!p->context)
        return fail_pos(c, BS_ERR_PARSE, m->line + 1, m->column + 1,
                        "YAML syntax error", "%s%s", what, tab ? " (tabs "
                        "may not indent YAML: use spaces)" : "");
    return fail_pos(c, BS_ERR_PARSE, m->line + 1, m->column + 1,
                    "YAML syntax error", "%s, %s at line %lu column %lu%s",
                    what, p->context,
                    (unsigned long)p->context_mark.line + 1,
                    (unsigned long)p->context_mark.column + 1,
                    tab ? " (tabs may not indent YAML: use spaces)" : "");
}

/* Event pass: syntax errors, aliases, a second document, and nesting deeper
 * than MAX_DEPTH (libyaml's scanner is quadratic in the nesting depth, so
 * stopping early keeps the parse linear). */
static bs_status prescan(ctx *c, const char *text, size_t len)
{
    yaml_parser_t p;
    yaml_event_t ev;
    bs_status st = BS_OK;
    int docs = 0, depth = 0;
    if (!yaml_parser_initialize(&p))
        return fail_pos(c, BS_ERR_NOMEM, 1, 1, "YAML", "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    for (;;) {
        if (!yaml_parser_parse(&p, &ev)) { st = yaml_error(c, &p, text, len);
                                           break; }
        yaml_event_type_t t = ev.type;
        unsigned long line = ev.start_mark.line + 1;
        unsigned long col = ev.start_mark.column + 1;
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT) break;
        depth += t == YAML_SEQUENCE_START_EVENT || t == YAML_MAPPING_START_EVENT;
        depth -= t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT;
        if (t == YAML_ALIAS_EVENT || depth > MAX_DEPTH
            || (t == YAML_DOCUMENT_START_EVENT && ++docs > 1)) {
            st = fail_pos(c, BS_ERR_PARSE, line, col, "YAML", t ==
                          YAML_ALIAS_EVENT ? "aliases (*name) are not "
                          "supported: write the value out" : depth > MAX_DEPTH
                          ? "lists and maps nest too deeply" : "a second "
                          "document: an experiment file holds one");
            break;
        }
    }
    yaml_parser_delete(&p);
    return st;
}

static char *dup_str(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) { memcpy(d, s, len); d[len] = '\0'; }
    return d;
}

/* Checks the raw text and fills the owned copies of e. */
static bs_status take_text(ctx *c, const char *text, size_t len)
{
    const char *nul = memchr(text, '\0', len);
    unsigned long line, col;
    if (len > MAX_TEXT_BYTES)
        return fail_pos(c, BS_ERR_LIMIT, 1, 1, "file", "%zu bytes exceed "
                        "the limit of 64 MiB", len);
    if (nul) {
        offset_pos(text, len, (size_t)(nul - text), &line, &col);
        return fail_pos(c, BS_ERR_PARSE, line, col, "file", "a NUL byte: "
                        "an experiment file is text");
    }
    c->e->source_name = dup_str(c->src, strlen(c->src));
    c->e->text = dup_str(text, len);
    c->e->text_len = len;
    if (!c->e->source_name || !c->e->text)
        return fail_pos(c, BS_ERR_NOMEM, 1, 1, "file", "out of memory");
    return BS_OK;
}

/* Loads the YAML tree of text (UTF-8; a leading BOM is skipped, as libyaml
 * would otherwise shift line 1) and walks it into c->e. */
static bs_status parse_yaml(ctx *c, const char *text, size_t len)
{
    yaml_parser_t p;
    yaml_document_t doc;
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    bs_status st = prescan(c, text, len);
    if (st != BS_OK) return st;
    if (!yaml_parser_initialize(&p))
        return fail_pos(c, BS_ERR_NOMEM, 1, 1, "YAML", "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    if (!yaml_parser_load(&p, &doc)) {
        st = yaml_error(c, &p, text, len);
    } else {
        c->doc = &doc;
        st = parse_root(c);
        c->doc = NULL;
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&p);
    return st;
}

bs_status bs_experiment_parse(const char *text, size_t len, const char *name,
                              bs_experiment **out, char *err, size_t err_len)
{
    ctx c = {name ? name : "<text>", err, err_len, NULL, NULL, NULL, 0};
    if (err && err_len) err[0] = '\0';
    if (out) *out = NULL;
    if (!out || (!text && len))
        return fail_pos(&c, BS_ERR_ARG, 1, 1, "arguments", "NULL text or "
                        "result pointer");
    if (!text) text = "";
    if (!(c.e = calloc(1, sizeof *c.e)))
        return fail_pos(&c, BS_ERR_NOMEM, 1, 1, "file", "out of memory");
    bs_status st = take_text(&c, text, len);
    if (st == BS_OK) st = parse_yaml(&c, text, len);
    free(c.refs);
    if (st != BS_OK) bs_experiment_destroy(&c.e);
    *out = c.e;
    return st;
}

/* Reads all of f, up to MAX_TEXT_BYTES + 1 bytes, into *buf (owned by the
 * caller) and *len; on error *buf is NULL and err says why. */
static bs_status read_all(FILE *f, const char *path, char **buf, size_t *len,
                          char *err, size_t err_len)
{
    size_t cap = 0, n = 0, got = 1;
    char *b = NULL;
    bs_status st = BS_OK;
    while (got > 0 && st == BS_OK) {
        if (n == cap) {
            size_t want = cap ? 2 * cap : 65536;
            if (want > MAX_TEXT_BYTES + 1) want = MAX_TEXT_BYTES + 1;
            if (want == cap) break;
            char *nb = realloc(b, want);
            if (!nb) { st = BS_ERR_NOMEM; break; }
            b = nb; cap = want;
        }
        got = fread(b + n, 1, cap - n, f);
        n += got;
    }
    if (st == BS_OK && ferror(f)) st = BS_ERR_IO;
    if (st == BS_OK && n > MAX_TEXT_BYTES) st = BS_ERR_LIMIT;
    if (st != BS_OK && err && err_len)
        snprintf(err, err_len, "%s: %s%s", path, st == BS_ERR_IO
                 ? "cannot read: " : st == BS_ERR_LIMIT ? "larger than the "
                 "64 MiB limit of experiment files" : "out of memory",
                 st == BS_ERR_IO ? strerror(errno) : "");
    if (st != BS_OK) { free(b); b = NULL; n = 0; }
    *buf = b; *len = n;
    return st;
}

bs_status bs_experiment_load(const char *path, bs_experiment **out,
                             char *err, size_t err_len)
{
    char *text = NULL;
    size_t len = 0;
    if (out) *out = NULL;
    if (!path || !out) {
        if (err && err_len) snprintf(err, err_len, "NULL path or result");
        return BS_ERR_ARG;
    }
    FILE *f = fopen(path, "rb");
    if (!f) {
        if (err && err_len)
            snprintf(err, err_len, "%s: cannot open: %s", path,
                     strerror(errno));
        return BS_ERR_IO;
    }
    bs_status st = read_all(f, path, &text, &len, err, err_len);
    fclose(f);
    if (st == BS_OK)
        st = bs_experiment_parse(text, len, path, out, err, err_len);
    free(text);
    return st;
}

/* ---- queries ------------------------------------------------------------ */

int bs_experiment_area(const bs_experiment *e, const char *name)
{
    for (int i = 0; e && name && i < e->n_areas; i++)
        if (strcmp(e->areas[i].name, name) == 0) return i;
    return -1;
}

int bs_experiment_stim(const bs_experiment *e, const char *name)
{
    for (int i = 0; e && name && i < e->n_stims; i++)
        if (strcmp(e->stims[i].name, name) == 0) return i;
    return -1;
}

int bs_experiment_fiber(const bs_experiment *e, const char *name)
{
    for (int i = 0; e && name && i < e->n_fibers; i++)
        if (strcmp(e->fibers[i].name, name) == 0) return i;
    return -1;
}

int bs_experiment_snapshot(const bs_experiment *e, const char *name)
{
    for (int i = 0; e && name && i < e->n_snapshots; i++)
        if (strcmp(e->snapshots[i].name, name) == 0) return i;
    return -1;
}

void bs_op_describe(const bs_experiment *e, int i, char *buf, size_t len)
{
    static const char *const verb[BS_OP_N_KINDS] = {"project", "fix",
        "unfix", "set_assembly", "inhibit", "disinhibit", "checkpoint",
        "snapshot", "fire_subset", "reset"};
    if (!buf || len == 0) return;
    buf[0] = '\0';
    if (!e || i < 0 || i >= e->n_ops) return;
    const bs_op *op = &e->ops[i];
    size_t at = (size_t)snprintf(buf, len, "%s ", verb[op->kind]);
    if (op->kind == BS_OP_PROJECT) {
        for (int j = 0; j < op->n_fibers && at < len; j++)
            at += (size_t)snprintf(buf + at, len - at, "%s%s", j ? "," : "",
                                   e->fibers[op->fibers[j]].name);
        if (at < len)
            snprintf(buf + at, len - at, "%s x%llu", op->n_fibers < 0
                     ? "all" : "", (unsigned long long)op->rounds);
    } else if (op->kind == BS_OP_CHECKPOINT) {
        if (at < len)
            snprintf(buf + at, len - at, "%s", op->path);
    } else if (op->kind == BS_OP_SNAPSHOT) {
        if (at < len)
            snprintf(buf + at, len - at, "%s as %s", e->areas[op->area].name,
                     e->snapshots[op->snapshot].name);
    } else if (op->kind == BS_OP_FIRE_SUBSET) {
        if (at < len)
            snprintf(buf + at, len - at, "%s %g (%llu)",
                     e->areas[op->area].name, op->fraction,
                     (unsigned long long)op->n_fire);
    } else if (op->kind == BS_OP_INHIBIT || op->kind == BS_OP_DISINHIBIT) {
        if (at < len)
            snprintf(buf + at, len - at, "%s", op->target_is_fiber
                     ? e->fibers[op->target].name : e->areas[op->target].name);
    } else if (at < len) {
        snprintf(buf + at, len - at, "%s%s%s", e->areas[op->area].name,
                 op->kind != BS_OP_SET_ASSEMBLY ? ""
                 : op->random ? " random" : " neurons", op->fix ? " fix" : "");
    }
}

void bs_experiment_destroy(bs_experiment **e)
{
    if (!e || !*e) return;
    bs_experiment *x = *e;
    for (int i = 0; x->ops && i < x->n_ops; i++) {
        free(x->ops[i].fibers);
        free(x->ops[i].neurons);
        free(x->ops[i].path);
    }
    free(x->ops);
    free(x->snapshots);
    free(x->expects);
    free(x->fibers);
    free(x->stims);
    free(x->areas);
    free(x->text);
    free(x->source_name);
    free(x);
    *e = NULL;
}
