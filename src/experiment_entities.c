/*
 * experiment_entities.c - the areas, stimuli and fibers of an experiment
 * (their lists, each entry checked against the schema and the entities
 * before it; contracts in experiment_parse.h), their names (checked when
 * declared, indexed, resolved when referred to) and the name queries of
 * experiment.h.
 */
#include "connectome.h"
#include "experiment_parse.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- names ------------------------------------------------------------- */

/* Kind (into *kind) and index of an existing name, or -1 (linear; used
 * while building, before the index). */
static int find_name(const bs_experiment *e, const char *s, int *kind)
{
    int (*const find[])(const bs_experiment *, const char *) = {
        [REF_AREA] = bs_experiment_area,
        [REF_STIM] = bs_experiment_stim,
        [REF_FIBER] = bs_experiment_fiber,
        [REF_SNAP] = bs_experiment_snapshot};
    for (int k = REF_AREA; k <= REF_SNAP; k++) {
        int i = find[k](e, s);
        if (i >= 0) {
            *kind = k;
            return i;
        }
    }
    return -1;
}

bs_status bs_exp_check_name(ctx *c, yaml_node_t *at, const char *path,
                            const char *s, int is_fiber)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRST"
                             "UVWXYZ0123456789_.->";
    char b[SHOW_LEN];
    int kind, i;
    size_t len = s ? strlen(s) : 0;
    if (!s || len == 0 || len >= BS_NAME_MAX
        || strspn(s, ok) != len || (!is_fiber && strchr(s, '>'))
        || !strcmp(s, ".") || !strcmp(s, ".."))   /* HDF5 group names */
        return bs_exp_fail(c, BS_ERR_PARSE, at, path, "%s is invalid: a name "
                           "is 1 to %d characters from A-Z a-z 0-9 _ . -%s, "
                           "not '.' or '..'",
                           s ? bs_exp_describe(at, b) : "a missing name",
                           BS_NAME_MAX - 1, is_fiber ? " >" : "");
    if ((i = find_name(c->e, s, &kind)) >= 0 && kind == REF_SNAP)
        return bs_exp_fail(c, BS_ERR_PARSE, at, path, "name '%s' is already "
                           "used by a snapshot (schedule[%d], line %d; names "
                           "are unique across areas, stimuli, fibers and "
                           "snapshots)", s, c->e->snapshots[i].op,
                           c->e->snapshots[i].line);
    if (i >= 0)
        return bs_exp_fail(c, BS_ERR_PARSE, at, path, "name '%s' is already "
                           "used by %s (names are unique across areas, "
                           "stimuli, fibers and snapshots)", s,
                           REF_WORD[kind]);
    return BS_OK;
}

bs_status bs_exp_get_name(ctx *c, yaml_node_t *n, const char *path,
                          char *dst)
{
    bs_status st = bs_exp_want(c, n, YAML_SCALAR_NODE, path);
    if (st == BS_OK) st = bs_exp_check_name(c, n, path, bs_exp_text_of(n), 0);
    if (st == BS_OK) strcpy(dst, bs_exp_text_of(n));
    return st;
}


/* qsort/bsearch order of name_ref: by name. */
static int ref_cmp(const void *a, const void *b)
{
    return strcmp(((const name_ref *)a)->name, ((const name_ref *)b)->name);
}

bs_status bs_exp_index_names(ctx *c)
{
    bs_experiment *e = c->e;
    int n = e->n_areas + e->n_stims + e->n_fibers, at = 0;
    c->refs = malloc((size_t)n * sizeof *c->refs);
    if (!c->refs)
        return bs_exp_fail_at(c, BS_ERR_NOMEM, 1, 1, "top level",
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

bs_status bs_exp_resolve(ctx *c, yaml_node_t *n, const char *path,
                         unsigned kinds, int *kind, int *idx)
{
    char b[SHOW_LEN], l1[LIST_LEN];
    bs_status st = bs_exp_want(c, n, YAML_SCALAR_NODE, path);
    const char *s = bs_exp_text_of(n);
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
    const char *wanted = kinds == 1u << REF_AREA ? "an area"
                       : kinds == 1u << REF_FIBER ? "a fiber"
                       : kinds & (1u << REF_STIM) ? "an area or a stimulus"
                       : "an area or a fiber";
    return bs_exp_fail(c, BS_ERR_PARSE, n, path, "%s is invalid: %s%s; must "
                       "name %s (%s)", bs_exp_describe(n, b),
                       i >= 0 ? "it is " : "no such name",
                       i >= 0 ? REF_WORD[k] : "", wanted,
                       bs_exp_list_names(c->e, kinds, l1));
}

/* ---- areas, stimuli, fibers --------------------------------------------- */

/* Area entry n at path into *a: name, n, k (1..n), beta (default: the
 * experiment's), lazy (default false).  As every reader
 * (experiment_parse.h). */
static bs_status parse_area(ctx *c, yaml_node_t *n, const char *path,
                            bs_area_spec *a)
{
    static const char *const keys[] = {"name", "n", "k", "beta", "lazy"};
    char kp[PATH_LEN], range[80];
    yaml_node_t *v[5];
    bs_status st = bs_exp_fields(c, n, path, keys, 5, 3, v);
    if (st == BS_OK)
        st = bs_exp_get_name(c, v[0], bs_exp_sub(kp, path, "name"), a->name);
    if (st == BS_OK)
        st = bs_exp_uint(c, v[1], bs_exp_sub(kp, path, "n"), 1, BS_MAX_NEURONS,
                         BS_ERR_LIMIT, "an integer in 1..1099511627776 (2^40)",
                         &a->n_neurons);
    if (st != BS_OK) return st;
    snprintf(range, sizeof range, "an integer in 1..n (n = %llu)",
             (unsigned long long)a->n_neurons);
    st = bs_exp_uint(c, v[2], bs_exp_sub(kp, path, "k"), 1, a->n_neurons,
                     BS_ERR_PARSE, range, &a->k);
    if (st == BS_OK && a->k > BS_MAX_K)
        return bs_exp_fail(c, BS_ERR_LIMIT, v[2], kp, "k = %llu exceeds "
                           "brainsim's limit of 16777216 (2^24)",
                           (unsigned long long)a->k);
    a->beta = c->e->beta;
    if (st == BS_OK && v[3])
        st = bs_exp_real(c, v[3], bs_exp_sub(kp, path, "beta"), 0, 0, MAX_BETA,
                         &a->beta);
    if (st == BS_OK && v[4])
        st = bs_exp_bool(c, v[4], bs_exp_sub(kp, path, "lazy"), &a->lazy);
    a->line = (int)n->start_mark.line + 1;
    a->col = (int)n->start_mark.column + 1;
    return st;
}

/* Stimulus entry n at path into *s: name, k.  As every reader. */
static bs_status parse_stim(ctx *c, yaml_node_t *n, const char *path,
                            bs_stim_spec *s)
{
    static const char *const keys[] = {"name", "k"};
    char kp[PATH_LEN];
    yaml_node_t *v[2];
    bs_status st = bs_exp_fields(c, n, path, keys, 2, 2, v);
    if (st == BS_OK)
        st = bs_exp_get_name(c, v[0], bs_exp_sub(kp, path, "name"), s->name);
    if (st == BS_OK)
        st = bs_exp_uint(c, v[1], bs_exp_sub(kp, path, "k"), 1, BS_MAX_K,
                         BS_ERR_LIMIT, "an integer in 1..16777216 (2^24)",
                         &s->k);
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
    bs_status st = bs_exp_resolve(c, v[0], bs_exp_sub(kp, path, "from"),
                                  1u << REF_AREA | 1u << REF_STIM, &kind,
                                  &f->src);
    f->src_is_stim = kind == REF_STIM;
    if (st == BS_OK)
        st = bs_exp_resolve(c, v[1], bs_exp_sub(kp, path, "to"),
                            1u << REF_AREA, &kind, &f->dst);
    for (int j = 0; st == BS_OK && j < e->n_fibers; j++) {
        const bs_fiber_spec *g = &e->fibers[j];
        if (g->src == f->src && g->src_is_stim == f->src_is_stim
            && g->dst == f->dst)
            return bs_exp_fail(c, BS_ERR_PARSE, n, path, "a fiber from '%s' "
                               "to '%s' already exists (fibers[%d], '%s', "
                               "line %d)", bs_exp_text_of(v[0]),
                               bs_exp_text_of(v[1]), j, g->name, g->line);
    }
    if (st != BS_OK) return st;
    if (v[2]) {
        st = bs_exp_want(c, v[2], YAML_SCALAR_NODE,
                         bs_exp_sub(kp, path, "name"));
        if (st == BS_OK)
            st = bs_exp_check_name(c, v[2], kp, bs_exp_text_of(v[2]), 1);
        if (st == BS_OK) strcpy(f->name, bs_exp_text_of(v[2]));
        return st;
    }
    char dflt[2 * BS_NAME_MAX + 4];
    snprintf(dflt, sizeof dflt, "%s->%s", bs_exp_text_of(v[0]),
             bs_exp_text_of(v[1]));
    if (strlen(dflt) >= BS_NAME_MAX)
        return bs_exp_fail(c, BS_ERR_PARSE, n, path, "the default name '%s' "
                           "is longer than %d bytes: give the fiber a 'name'",
                           dflt, BS_NAME_MAX - 1);
    st = bs_exp_check_name(c, n, bs_exp_sub(kp, path, "name"), dflt, 1);
    if (st == BS_OK) strcpy(f->name, dflt);
    return st;
}

/* Fiber entry n at path into *f: its ends and name (fiber_ends), p
 * (default: defaults.p, which must then be set), beta (default: the
 * target area's), cap.  As every reader. */
static bs_status parse_fiber(ctx *c, yaml_node_t *n, const char *path,
                             bs_fiber_spec *f)
{
    static const char *const keys[] = {"from", "to", "name", "p", "beta",
                                       "cap"};
    char kp[PATH_LEN];
    yaml_node_t *v[6];
    bs_status st = bs_exp_fields(c, n, path, keys, 6, 2, v);
    if (st == BS_OK) st = fiber_ends(c, n, path, v, f);
    if (st != BS_OK) return st;
    f->line = (int)n->start_mark.line + 1;
    f->col = (int)n->start_mark.column + 1;
    f->p = c->e->p;
    if (v[3])
        st = bs_exp_real(c, v[3], bs_exp_sub(kp, path, "p"), BS_P_MIN, 0, 1.0,
                         &f->p);
    else if (f->p <= 0)
        return bs_exp_fail(c, BS_ERR_PARSE, n, bs_exp_sub(kp, path, "p"),
                           "fiber '%s' has no p and defaults.p is not set: "
                           "give a number in (0, 1]", f->name);
    f->beta = c->e->areas[f->dst].beta;
    f->beta_given = v[4] != NULL;
    if (st == BS_OK && v[4])
        st = bs_exp_real(c, v[4], bs_exp_sub(kp, path, "beta"), 0, 0, MAX_BETA,
                         &f->beta);
    f->cap = 0;
    if (st == BS_OK && v[5])
        st = bs_exp_real(c, v[5], bs_exp_sub(kp, path, "cap"), 1, 0, MAX_CAP,
                         &f->cap);
    return st;
}

bs_status bs_exp_entities(ctx *c, yaml_node_t *n, int kind, size_t min)
{
    static const char *const keys[] = {"areas", "stimuli", "fibers"};
    static const size_t size[] = {sizeof(bs_area_spec), sizeof(bs_stim_spec),
                                  sizeof(bs_fiber_spec)};
    bs_experiment *e = c->e;
    char path[PATH_LEN];
    size_t len = 0;
    bs_status st = n ? bs_exp_list_len(c, n, keys[kind], min, BS_MAX_ENTITIES,
                                       &len)
                     : BS_OK;
    void *arr = st == BS_OK ? calloc(len ? len : 1, size[kind]) : NULL;
    if (st != BS_OK) return st;
    if (!arr)
        return bs_exp_fail_at(c, BS_ERR_NOMEM, 1, 1, keys[kind],
                              "out of memory");
    if (kind == REF_AREA) e->areas = arr;
    else if (kind == REF_STIM) e->stims = arr;
    else e->fibers = arr;
    for (size_t i = 0; i < len && st == BS_OK; i++) {
        yaml_node_t *x = bs_exp_elem(c, n, i);
        bs_exp_item(path, keys[kind], i);
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

/* ---- queries ------------------------------------------------------------ */

/* Index of the entry named `name` among the n entries of `stride` bytes
 * at base, whose name field (char[BS_NAME_MAX]) is at offset `at`, or -1
 * (also for a NULL base or name).  The one lookup of the four queries. */
static int lookup(const void *base, size_t stride, size_t at, int n,
                  const char *name)
{
    const char *p = base;
    for (int i = 0; p && name && i < n; i++)
        if (strcmp(p + (size_t)i * stride + at, name) == 0) return i;
    return -1;
}

int bs_experiment_area(const bs_experiment *e, const char *name)
{
    return e ? lookup(e->areas, sizeof *e->areas,
                      offsetof(bs_area_spec, name), e->n_areas, name) : -1;
}

int bs_experiment_stim(const bs_experiment *e, const char *name)
{
    return e ? lookup(e->stims, sizeof *e->stims,
                      offsetof(bs_stim_spec, name), e->n_stims, name) : -1;
}

int bs_experiment_fiber(const bs_experiment *e, const char *name)
{
    return e ? lookup(e->fibers, sizeof *e->fibers,
                      offsetof(bs_fiber_spec, name), e->n_fibers, name) : -1;
}

int bs_experiment_snapshot(const bs_experiment *e, const char *name)
{
    return e ? lookup(e->snapshots, sizeof *e->snapshots,
                      offsetof(bs_snapshot_spec, name), e->n_snapshots, name)
             : -1;
}
