/*
 * experiment.c - parses and validates experiment YAML (contract and file
 * format: experiment.h; doc/design.md section 6): the entry points (parse, load,
 * destroy), the raw text, and the top-level map, whose parts are read by
 * experiment_entities.c, experiment_schedule.c and experiment_expect.c
 * with the helpers of experiment_yaml.c (experiment_parse.h).
 *
 * Two libyaml passes over the text: an event pass that reports syntax errors
 * and rejects what the document API would hide or choke on (aliases, which
 * could make the tree cyclic or exponentially large; a second document;
 * nesting deeper than the schema needs), then yaml_parser_load builds the
 * node tree that the walkers check against the schema.  Walkers descend only
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
 * - the schedule is optional: absent or [] the experiment has nothing to
 *   run, and operations are appended one at a time (bs_experiment_parse_op);
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
#define _POSIX_C_SOURCE 200809L   /* fdopen */
#include "experiment.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "connectome.h"
#include "experiment_parse.h"

#define MAX_TEXT_BYTES ((size_t)64 << 20)
#define DEFAULT_BETA 0.05

/* ---- top level ---------------------------------------------------------- */

/* defaults: {p, beta} into c->e. */
static bs_status parse_defaults(ctx *c, yaml_node_t *n)
{
    static const char *const keys[] = {"p", "beta"};
    yaml_node_t *v[2];
    bs_status st = bs_exp_fields(c, n, "defaults", keys, 2, 0, v);
    if (st == BS_OK && v[0])
        st = bs_exp_real(c, v[0], "defaults.p", BS_P_MIN, 0, 1.0, &c->e->p);
    if (st == BS_OK && v[1])
        st = bs_exp_real(c, v[1], "defaults.beta", 0, 0, MAX_BETA,
                         &c->e->beta);
    return st;
}

/* The top-level map, its parts in the order they depend on each other:
 * entities, the name index, the schedule, the name, the expectations. */
static bs_status parse_root(ctx *c)
{
    static const char *const keys[] = {"areas", "schedule", "seed",
                                       "defaults", "stimuli", "fibers",
                                       "name", "expect"};
    char list[LIST_LEN];
    bs_experiment *e = c->e;
    yaml_node_t *v[8], *root = yaml_document_get_root_node(c->doc);
    if (!root)
        return bs_exp_fail_at(c, BS_ERR_PARSE, 1, 1, "top level", "the "
                              "experiment is empty: expected a map with keys "
                              "%s", bs_exp_join_keys(keys, 8, list));
    bs_status st = bs_exp_fields(c, root, "top level", keys, 8, 1, v);
    e->seed = 1;
    e->beta = DEFAULT_BETA;
    if (st == BS_OK && v[2])
        st = bs_exp_uint(c, v[2], "seed", 0, UINT64_MAX, BS_ERR_PARSE,
                         "an integer in 0..18446744073709551615", &e->seed);
    if (st == BS_OK && v[3]) st = parse_defaults(c, v[3]);
    if (st == BS_OK) st = bs_exp_entities(c, v[0], REF_AREA, 1);
    if (st == BS_OK) st = bs_exp_entities(c, v[4], REF_STIM, 0);
    if (st == BS_OK) st = bs_exp_entities(c, v[5], REF_FIBER, 0);
    if (st == BS_OK) st = bs_exp_index_names(c);
    if (st == BS_OK) st = bs_exp_schedule(c, v[1]);
    if (st == BS_OK) st = bs_exp_parse_name(c, v[6]);
    if (st == BS_OK && v[7]) st = bs_exp_expects(c, v[7]);
    return st;
}

/* ---- entry points ------------------------------------------------------- */

/* A NUL-terminated copy of s[0..len) (free()); NULL when out of memory. */
static char *dup_str(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (d) { memcpy(d, s, len); d[len] = '\0'; }
    return d;
}

/* Checks the raw text (size, no NUL) and fills the owned copies of c->e:
 * BS_ERR_LIMIT, BS_ERR_PARSE or BS_ERR_NOMEM with the message. */
static bs_status take_text(ctx *c, const char *text, size_t len)
{
    const char *nul = memchr(text, '\0', len);
    unsigned long line, col;
    if (len > MAX_TEXT_BYTES)
        return bs_exp_fail_at(c, BS_ERR_LIMIT, 1, 1, "file", "%zu bytes "
                              "exceed the limit of 64 MiB", len);
    if (nul) {
        bs_exp_offset_pos(text, len, (size_t)(nul - text), &line, &col);
        return bs_exp_fail_at(c, BS_ERR_PARSE, line, col, "file", "a NUL "
                              "byte: an experiment file is text");
    }
    c->e->source_name = dup_str(c->src, strlen(c->src));
    c->e->text = dup_str(text, len);
    c->e->text_len = len;
    if (!c->e->source_name || !c->e->text)
        return bs_exp_fail_at(c, BS_ERR_NOMEM, 1, 1, "file", "out of memory");
    return BS_OK;
}

/* Loads the YAML tree of text (UTF-8) and hands it to walk (which reads
 * c->doc) to fill c->e.  Returns walk's status, or the prescan's or
 * libyaml's error naming the position. */
static bs_status parse_yaml(ctx *c, const char *text, size_t len,
                            bs_status (*walk)(ctx *))
{
    yaml_parser_t p;
    yaml_document_t doc;
    bs_status st = bs_exp_prescan(c, text, len);
    if (st != BS_OK) return st;
    if (!yaml_parser_initialize(&p))
        return bs_exp_fail_at(c, BS_ERR_NOMEM, 1, 1, "YAML", "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    if (!yaml_parser_load(&p, &doc)) {
        st = bs_exp_yaml_error(c, &p, text, len);
    } else {
        c->doc = &doc;
        st = walk(c);
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
        return bs_exp_fail_at(&c, BS_ERR_ARG, 1, 1, "arguments", "NULL text "
                              "or result pointer");
    if (!text) text = "";
    if (!(c.e = calloc(1, sizeof *c.e)))
        return bs_exp_fail_at(&c, BS_ERR_NOMEM, 1, 1, "file", "out of memory");
    bs_status st = take_text(&c, text, len);
    /* a leading BOM is skipped, as libyaml would otherwise shift line 1 */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    if (st == BS_OK) st = parse_yaml(&c, text, len, parse_root);
    free(c.refs);
    if (st != BS_OK) bs_experiment_destroy(&c.e);
    *out = c.e;
    return st;
}

/* Appends the schedule item at the root of c->doc to c->e. */
static bs_status parse_op_root(ctx *c)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    return root ? bs_exp_schedule_item(c, root)
                : bs_exp_fail_at(c, BS_ERR_PARSE, 1, 1, "operation", "the "
                                 "operation is empty: expected a one-key "
                                 "map such as 'fix: A'");
}

bs_status bs_experiment_parse_op(bs_experiment *e, const char *text,
                                 size_t len, const char *name, char *err,
                                 size_t err_len)
{
    ctx c = {name ? name : "<operation>", err, err_len, NULL, e, NULL, 0};
    if (err && err_len) err[0] = '\0';
    if (!e || (!text && len))
        return bs_exp_fail_at(&c, BS_ERR_ARG, 1, 1, "arguments", "NULL "
                              "experiment or text");
    if (!text) text = "";
    if (len > MAX_TEXT_BYTES)
        return bs_exp_fail_at(&c, BS_ERR_LIMIT, 1, 1, "operation", "%zu bytes "
                              "exceed the limit of 64 MiB", len);
    const char *nul = memchr(text, '\0', len);
    if (nul) {
        unsigned long line, col;
        bs_exp_offset_pos(text, len, (size_t)(nul - text), &line, &col);
        return bs_exp_fail_at(&c, BS_ERR_PARSE, line, col, "operation", "a "
                              "NUL byte: an operation is text");
    }
    bs_status st = bs_exp_index_names(&c);
    if (st == BS_OK)
        st = parse_yaml(&c, text, len, parse_op_root);
    free(c.refs);
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
    /* non-blocking, so that a FIFO cannot block the open; regular files
     * only (a FIFO or a device would block or never end) */
    struct stat sb;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    const char *why = fd < 0 ? strerror(errno) : NULL;
    if (fd >= 0 && (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)))
        why = S_ISDIR(sb.st_mode) ? "is a directory, not a regular file"
            : S_ISFIFO(sb.st_mode) ? "is a FIFO, not a regular file"
            : "is not a regular file";
    FILE *f = why ? NULL : fdopen(fd, "rb");
    if (!f) {
        if (err && err_len)
            snprintf(err, err_len, "%s: cannot open: %s", path,
                     why ? why : strerror(errno));
        if (fd >= 0)
            close(fd);
        return BS_ERR_IO;
    }
    bs_status st = read_all(f, path, &text, &len, err, err_len);
    fclose(f);
    if (st == BS_OK)
        st = bs_experiment_parse(text, len, path, out, err, err_len);
    free(text);
    return st;
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
