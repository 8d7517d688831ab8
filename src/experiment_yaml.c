/*
 * experiment_yaml.c - what every part of the experiment parser reads the
 * YAML tree with: messages naming file, line, column and key path; nodes,
 * maps, lists and scalars checked against the schema; and the syntax pass
 * over libyaml's events.  Contracts in experiment_parse.h.
 */
#include "experiment_parse.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32            /* the schema needs 5 levels */

/* ---- messages ----------------------------------------------------------- */

/* bs_exp_fail_at with a va_list; returns st (writes nothing without a
 * buffer). */
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

bs_status bs_exp_fail_at(ctx *c, bs_status st, unsigned long line,
                         unsigned long col, const char *path,
                         const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(c, st, line, col, path, fmt, ap);
    va_end(ap);
    return st;
}

bs_status bs_exp_fail(ctx *c, bs_status st, const yaml_node_t *at,
                      const char *path, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail(c, st, at->start_mark.line + 1, at->start_mark.column + 1, path,
          fmt, ap);
    va_end(ap);
    return st;
}

const char *bs_exp_describe(const yaml_node_t *n, char *buf)
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

const char *bs_exp_list_names(const bs_experiment *e, unsigned kinds,
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

const char *bs_exp_key_str(const yaml_node_t *k, char *buf)
{
    const char *d = bs_exp_describe(k, buf);
    return k->type == YAML_SCALAR_NODE ? d + 6 : d;
}

const char *bs_exp_join_keys(const char *const *keys, int n, char *buf)
{
    size_t at = 0;
    for (int i = 0; i < n; i++)
        at += (size_t)snprintf(buf + at, LIST_LEN - at, "%s%s",
                               i ? ", " : "", keys[i]);
    return buf;
}

const char *bs_exp_sub(char *buf, const char *path, const char *key)
{
    size_t a = strlen(path), b = strlen(key);
    if (a + 1 + b >= PATH_LEN) return path;
    memmove(buf, path, a);      /* path may be buf itself */
    buf[a] = '.';
    memcpy(buf + a + 1, key, b + 1);
    return buf;
}

const char *bs_exp_item(char *buf, const char *path, size_t i)
{
    return snprintf(buf, PATH_LEN, "%s[%zu]", path, i) < 0 ? "?" : buf;
}

/* ---- nodes and scalars -------------------------------------------------- */

yaml_node_t *bs_exp_node(ctx *c, int id)
{
    return yaml_document_get_node(c->doc, id);
}

bs_status bs_exp_want(ctx *c, yaml_node_t *n, yaml_node_type_t t,
                      const char *path)
{
    char b[SHOW_LEN];
    if (n->type == t) return BS_OK;
    const char *what = t == YAML_MAPPING_NODE ? "a map"
                     : t == YAML_SEQUENCE_NODE ? "a list" : "a single value";
    return bs_exp_fail(c, BS_ERR_PARSE, n, path, "expected %s, found %s",
                       what, bs_exp_describe(n, b));
}

const char *bs_exp_text_of(const yaml_node_t *n)
{
    if (n->type != YAML_SCALAR_NODE) return NULL;
    const char *s = (const char *)n->data.scalar.value;
    return strlen(s) == n->data.scalar.length ? s : NULL;
}

/* 1 iff n is an unquoted scalar without a tag or anchor (numbers and
 * booleans must be): a node's marks span its properties too, so a plain
 * scalar whose marks span more than its text has them (`!!str 2000`,
 * which YAML makes a string). */
static int is_plain(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE
        && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE
        && n->end_mark.index - n->start_mark.index == n->data.scalar.length;
}

/* The hint for a quoted number or boolean, or "". */
static const char *quote_hint(const yaml_node_t *n)
{
    return n->type == YAML_SCALAR_NODE && !is_plain(n)
         ? " (numbers and booleans are written without quotes or tags)" : "";
}

bs_status bs_exp_fields(ctx *c, yaml_node_t *n, const char *path,
                        const char *const *keys, int n_keys, int n_req,
                        yaml_node_t **vals)
{
    char b[SHOW_LEN], list[LIST_LEN];
    bs_status st = bs_exp_want(c, n, YAML_MAPPING_NODE, path);
    if (st != BS_OK) return st;
    for (int i = 0; i < n_keys; i++) vals[i] = NULL;
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
         p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = bs_exp_node(c, p->key), *v = bs_exp_node(c, p->value);
        const char *s = k ? bs_exp_text_of(k) : NULL;
        int i = 0;
        while (s && i < n_keys && strcmp(s, keys[i]) != 0) i++;
        if (!k || !v)
            return bs_exp_fail(c, BS_ERR_PARSE, n, path, "broken node");
        if (!s || i == n_keys)
            return bs_exp_fail(c, BS_ERR_PARSE, k, path, "unknown key %s "
                               "(allowed keys: %s)", bs_exp_key_str(k, b),
                               bs_exp_join_keys(keys, n_keys, list));
        if (vals[i])
            return bs_exp_fail(c, BS_ERR_PARSE, k, path, "duplicate key '%s' "
                               "(first given at line %lu)", s,
                               (unsigned long)vals[i]->start_mark.line + 1);
        vals[i] = v;
    }
    for (int i = 0; i < n_req; i++)
        if (!vals[i])
            return bs_exp_fail(c, BS_ERR_PARSE, n, path, "missing key '%s' "
                               "(required keys: %s)", keys[i],
                               bs_exp_join_keys(keys, n_req, list));
    return BS_OK;
}

bs_status bs_exp_list_len(ctx *c, yaml_node_t *n, const char *path,
                          size_t min, size_t max, size_t *len)
{
    bs_status st = bs_exp_want(c, n, YAML_SEQUENCE_NODE, path);
    if (st != BS_OK) return st;
    *len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    if (*len < min)
        return bs_exp_fail(c, BS_ERR_PARSE, n, path, "the list is empty: at "
                           "least one entry is required");
    if (*len > max)
        return bs_exp_fail(c, BS_ERR_LIMIT, n, path, "%zu entries exceed "
                           "brainsim's limit of %zu", *len, max);
    return BS_OK;
}

yaml_node_t *bs_exp_elem(ctx *c, yaml_node_t *n, size_t i)
{
    return bs_exp_node(c, n->data.sequence.items.start[i]);
}

int bs_exp_u64(const yaml_node_t *n, uint64_t *out)
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

bs_status bs_exp_uint(ctx *c, yaml_node_t *n, const char *path,
                      uint64_t lo, uint64_t hi, bs_status over,
                      const char *allowed, uint64_t *out)
{
    char b[SHOW_LEN];
    uint64_t v = 0;
    int r = n->type == YAML_SCALAR_NODE ? bs_exp_u64(n, &v) : -1;
    if (r < 0 || (r == 0 && v < lo))
        return bs_exp_fail(c, BS_ERR_PARSE, n, path, "%s is invalid: must be "
                           "%s%s", bs_exp_describe(n, b), allowed,
                           quote_hint(n));
    if (r > 0 || v > hi)
        return bs_exp_fail(c, over, n, path, "%s is invalid: must be %s",
                           bs_exp_describe(n, b), allowed);
    *out = v;
    return BS_OK;
}

bs_status bs_exp_real(ctx *c, yaml_node_t *n, const char *path,
                      double lo, int lo_open, double hi, double *out)
{
    char b[SHOW_LEN], *end = NULL;
    const char *s = is_plain(n) ? bs_exp_text_of(n) : NULL;
    double v = 0.0;
    int ok = s && s[0] && strspn(s, "0123456789.eE+-") == strlen(s);
    if (ok) {
        errno = 0;
        v = strtod(s, &end);
        ok = *end == '\0' && errno != ERANGE && isfinite(v)
          && (lo_open ? v > lo : v >= lo) && v <= hi;
    }
    if (!ok)
        return bs_exp_fail(c, BS_ERR_PARSE, n, path, "%s is invalid: must be "
                           "a number in %c%g, %g]%s", bs_exp_describe(n, b),
                           lo_open ? '(' : '[', lo, hi, quote_hint(n));
    *out = v;
    return BS_OK;
}

bs_status bs_exp_bool(ctx *c, yaml_node_t *n, const char *path, int *out)
{
    char b[SHOW_LEN];
    const char *s = is_plain(n) ? bs_exp_text_of(n) : NULL;
    if (s && (!strcmp(s, "true") || !strcmp(s, "false"))) {
        *out = s[0] == 't';
        return BS_OK;
    }
    return bs_exp_fail(c, BS_ERR_PARSE, n, path, "%s is invalid: must be true "
                       "or false%s", bs_exp_describe(n, b), quote_hint(n));
}

/* ---- the syntax pass ---------------------------------------------------- */

void bs_exp_offset_pos(const char *text, size_t len, size_t off,
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

bs_status bs_exp_yaml_error(ctx *c, const yaml_parser_t *p, const char *text,
                            size_t len)
{
    const char *what = p->problem ? p->problem : "unknown error";
    unsigned long line, col;
    if (p->error == YAML_MEMORY_ERROR)
        return bs_exp_fail_at(c, BS_ERR_NOMEM, 1, 1, "YAML", "out of memory");
    if (p->error == YAML_READER_ERROR) {
        bs_exp_offset_pos(text, len, p->problem_offset, &line, &col);
        if (p->problem_value < 0)
            return bs_exp_fail_at(c, BS_ERR_PARSE, line, col, "YAML", "%s (at "
                                  "offset %zu)", what, p->problem_offset);
        return bs_exp_fail_at(c, BS_ERR_PARSE, line, col, "YAML", "%s (byte "
                              "0x%02X at offset %zu)", what,
                              (unsigned)p->problem_value, p->problem_offset);
    }
    const yaml_mark_t *m = &p->problem_mark;
    const char *tab = char_at(text, len, m->line, m->column) == '\t'
                    ? " (tabs may not indent YAML: use spaces)" : "";
    if (!p->context)
        return bs_exp_fail_at(c, BS_ERR_PARSE, m->line + 1, m->column + 1,
                              "YAML syntax error", "%s%s", what, tab);
    return bs_exp_fail_at(c, BS_ERR_PARSE, m->line + 1, m->column + 1,
                          "YAML syntax error", "%s, %s at line %lu column "
                          "%lu%s", what, p->context,
                          (unsigned long)p->context_mark.line + 1,
                          (unsigned long)p->context_mark.column + 1, tab);
}

/* Why event type t is refused (depth: the nesting after it, *docs: the
 * documents so far, counted here), or NULL. */
static const char *event_refused(yaml_event_type_t t, int depth, int *docs)
{
    if (t == YAML_ALIAS_EVENT)
        return "aliases (*name) are not supported: write the value out";
    if (depth > MAX_DEPTH)
        return "lists and maps nest too deeply";
    if (t == YAML_DOCUMENT_START_EVENT && ++*docs > 1)
        return "a second document: an experiment file holds one";
    return NULL;
}

/* libyaml's scanner is quadratic in the nesting depth: stopping early at
 * MAX_DEPTH keeps the parse linear. */
bs_status bs_exp_prescan(ctx *c, const char *text, size_t len)
{
    yaml_parser_t p;
    yaml_event_t ev;
    bs_status st = BS_OK;
    int docs = 0, depth = 0;
    if (!yaml_parser_initialize(&p))
        return bs_exp_fail_at(c, BS_ERR_NOMEM, 1, 1, "YAML", "out of memory");
    yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
    for (;;) {
        if (!yaml_parser_parse(&p, &ev)) {
            st = bs_exp_yaml_error(c, &p, text, len);
            break;
        }
        yaml_event_type_t t = ev.type;
        unsigned long line = ev.start_mark.line + 1;
        unsigned long col = ev.start_mark.column + 1;
        yaml_event_delete(&ev);
        if (t == YAML_STREAM_END_EVENT) break;
        depth += t == YAML_SEQUENCE_START_EVENT ||
                 t == YAML_MAPPING_START_EVENT;
        depth -= t == YAML_SEQUENCE_END_EVENT || t == YAML_MAPPING_END_EVENT;
        const char *why = event_refused(t, depth, &docs);
        if (why) {
            st = bs_exp_fail_at(c, BS_ERR_PARSE, line, col, "YAML", "%s", why);
            break;
        }
    }
    yaml_parser_delete(&p);
    return st;
}
