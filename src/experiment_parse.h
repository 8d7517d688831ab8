/*
 * experiment_parse.h - the parse context and the helpers that the parts of
 * the experiment parser share (bs_experiment_parse of experiment.h):
 *   experiment.c           entry points, the top-level map, the lifetime
 *   experiment_yaml.c      messages, YAML nodes and scalars, names, and
 *                          the syntax pass (the helpers below)
 *   experiment_entities.c  areas, stimuli, fibers; the name queries
 *   experiment_schedule.c  schedule operations; bs_op_describe
 *   experiment_expect.c    expectations and the experiment's name
 * Internal to libbrainsim (includes yaml.h).
 *
 * Every function that reads a node checks it against the schema and
 * returns BS_OK, or a status (BS_ERR_PARSE; BS_ERR_LIMIT for sizes beyond
 * brainsim's limits; BS_ERR_NOMEM) with the message written to c->err as
 * "src:line:col: path: what is wrong and what is allowed" (bs_exp_fail).
 * What they allocate hangs off c->e at once, so bs_experiment_destroy
 * frees it on every error path.
 */
#ifndef BS_EXPERIMENT_PARSE_H
#define BS_EXPERIMENT_PARSE_H

#include <stddef.h>
#include <stdint.h>
#include <yaml.h>

#include "experiment.h"

#define MAX_ROUNDS UINT64_C(1000000000)
#define MAX_TOTAL_STEPS UINT64_C(1000000000000)
#define MAX_CAP 65535.0
#define MAX_BETA 10.0
#define PATH_LEN 96             /* bytes of a key path ("fibers[3].p") */
#define SHOW_LEN 64             /* bytes of a value shown in a message */

/* The words for REF_AREA .. REF_SNAP in messages ("an area", ...). */
static const char *const REF_WORD[] __attribute__((unused)) = {
    "an area", "a stimulus", "a fiber", "a snapshot"};
#define LIST_LEN 240            /* bytes of a list of names or keys */

/* Kinds of named things; masks of kinds are bits 1 << REF_*. */
enum { REF_AREA, REF_STIM, REF_FIBER, REF_SNAP };

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

/* ---- messages (each returns st, or writes into buf and returns it) ---- */

/* Writes "src:line:col: path: what" at 1-based line, col; returns st. */
bs_status bs_exp_fail_at(ctx *c, bs_status st, unsigned long line,
                         unsigned long col, const char *path,
                         const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Same, at the start of node `at`; returns st. */
bs_status bs_exp_fail(ctx *c, bs_status st, const yaml_node_t *at,
                      const char *path, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* "value 'x'" (printable, truncated), "a list" or "a map", into buf
 * (SHOW_LEN bytes); returns the text. */
const char *bs_exp_describe(const yaml_node_t *n, char *buf);

/* Writes "areas: A, B; stimuli: s" for the kinds in mask `kinds` (areas,
 * stimuli, fibers) into buf (LIST_LEN bytes) and returns buf.  Each kind
 * writes at most a third (names stop, with " ...", where the next would
 * not fit). */
const char *bs_exp_list_names(const bs_experiment *e, unsigned kinds,
                              char *buf);

/* A key for messages: "'x'" (printable, truncated) or "a list", "a map",
 * in buf (SHOW_LEN bytes); returns it. */
const char *bs_exp_key_str(const yaml_node_t *k, char *buf);

/* keys[0..n) joined by ", " into buf (LIST_LEN bytes); returns buf. */
const char *bs_exp_join_keys(const char *const *keys, int n, char *buf);

/* Key paths "path.key" and "path[i]" into buf (PATH_LEN bytes; path may
 * be buf); return buf (sub: path itself, untouched, when the result would
 * not fit; item: "?" when snprintf fails). */
const char *bs_exp_sub(char *buf, const char *path, const char *key);
const char *bs_exp_item(char *buf, const char *path, size_t i);

/* ---- YAML nodes and scalars ------------------------------------------- */

/* Node `id` of the document, or NULL. */
yaml_node_t *bs_exp_node(ctx *c, int id);

/* BS_OK when n is of type t, else fails naming what was found. */
bs_status bs_exp_want(ctx *c, yaml_node_t *n, yaml_node_type_t t,
                      const char *path);

/* The scalar's text when it holds no NUL byte, else NULL. */
const char *bs_exp_text_of(const yaml_node_t *n);

/*
 * Reads mapping `n` at `path` whose keys must be among keys[0..n_keys-1],
 * the first n_req of them required: vals[i] receives the value node of
 * keys[i], or NULL.  Fails on a non-map, a non-scalar, unknown or repeated
 * key, or a missing required key.
 */
bs_status bs_exp_fields(ctx *c, yaml_node_t *n, const char *path,
                        const char *const *keys, int n_keys, int n_req,
                        yaml_node_t **vals);

/* Length of list `n` into *len, in min..max (above max: BS_ERR_LIMIT). */
bs_status bs_exp_list_len(ctx *c, yaml_node_t *n, const char *path,
                          size_t min, size_t max, size_t *len);

/* Item i of sequence n (checked by bs_exp_list_len). */
yaml_node_t *bs_exp_elem(ctx *c, yaml_node_t *n, size_t i);

/* Parses the plain scalar n as decimal digits (no sign, '_' or leading
 * zero) into *out: returns 0, 1 on overflow, -1 when not an integer. */
int bs_exp_u64(const yaml_node_t *n, uint64_t *out);

/* Integer in lo..hi at n into *out; `allowed` describes the range; a value
 * above hi fails with `over`, any other bad value with BS_ERR_PARSE. */
bs_status bs_exp_uint(ctx *c, yaml_node_t *n, const char *path,
                      uint64_t lo, uint64_t hi, bs_status over,
                      const char *allowed, uint64_t *out);

/* Finite real in [lo, hi] (or (lo, hi] when lo_open) at n into *out. */
bs_status bs_exp_real(ctx *c, yaml_node_t *n, const char *path, double lo,
                      int lo_open, double hi, double *out);

/* true or false at n into *out (1 or 0). */
bs_status bs_exp_bool(ctx *c, yaml_node_t *n, const char *path, int *out);

/* ---- names ------------------------------------------------------------ */

/* Checks a new name s (at names the node to blame): 1..BS_NAME_MAX-1
 * bytes of [A-Za-z0-9_.-] (and '>' for fibers), not used yet by an area,
 * stimulus, fiber or snapshot. */
bs_status bs_exp_check_name(ctx *c, yaml_node_t *at, const char *path,
                            const char *s, int is_fiber);

/* The new name at scalar n (bs_exp_check_name) into dst (BS_NAME_MAX). */
bs_status bs_exp_get_name(ctx *c, yaml_node_t *n, const char *path,
                          char *dst);

/* Builds c->refs, the sorted index of every area, stimulus and fiber name
 * for the schedule's lookups (BS_ERR_NOMEM when out of memory). */
bs_status bs_exp_index_names(ctx *c);

/*
 * Resolves the scalar n to an entity whose kind is in `kinds` (bit mask of
 * 1 << REF_*); *kind and *idx receive it.  Fails naming what the name is, or
 * that it is unknown, and listing the names of the wanted kinds.
 */
bs_status bs_exp_resolve(ctx *c, yaml_node_t *n, const char *path,
                         unsigned kinds, int *kind, int *idx);

/* ---- the syntax pass (libyaml) ---------------------------------------- */

/* Line and column (1-based) of byte offset `off` of text.  Can't fail. */
void bs_exp_offset_pos(const char *text, size_t len, size_t off,
                       unsigned long *line, unsigned long *col);

/* Reports the error held by parser p (the text it parsed: text, len
 * bytes): BS_ERR_PARSE with its position, or BS_ERR_NOMEM. */
bs_status bs_exp_yaml_error(ctx *c, const yaml_parser_t *p, const char *text,
                            size_t len);

/* Event pass over text: syntax errors, aliases, a second document, and
 * nesting deeper than the schema allows fail with BS_ERR_PARSE. */
bs_status bs_exp_prescan(ctx *c, const char *text, size_t len);

/* ---- the parts of the document ---------------------------------------- */

/* List `n` (NULL: empty, allowed when min is 0) of areas, stimuli or
 * fibers (kind: REF_AREA, REF_STIM, REF_FIBER) into c->e, counted as they
 * succeed. */
bs_status bs_exp_entities(ctx *c, yaml_node_t *n, int kind, size_t min);

/* The schedule list `n` (NULL: none) into c->e->ops (needs c->refs). */
bs_status bs_exp_schedule(ctx *c, yaml_node_t *n);

/* One schedule item n (path "operation") appended to c->e->ops (needs
 * c->refs); on failure c->e is as before. */
bs_status bs_exp_schedule_item(ctx *c, yaml_node_t *n);

/* The expect list `n` into c->e->expects (after the schedule: it may name
 * every snapshot). */
bs_status bs_exp_expects(ctx *c, yaml_node_t *n);

/* The scalar `name` (NULL: the base name of c->src without its extension)
 * into c->e->name. */
bs_status bs_exp_parse_name(ctx *c, yaml_node_t *n);

#endif /* BS_EXPERIMENT_PARSE_H */
