/*
 * lazy.h - lazy areas (`lazy: true`, doc/design.md section 1, "Lazy
 * areas"): only neurons that have ever fired are represented; each step
 * the k best inputs among the never-fired neurons are sampled from the top
 * order statistics of their binomial inputs.  Internal to libbrainsim.
 *
 * State, per lazy area, on the host of every rank, replicated identically
 * (every rank computes the same from the same inputs; the one real-valued
 * computation, the sampled tail, runs on rank 0 and its integers are
 * broadcast):
 *   - the support: global ids of the neurons that have fired, by dense
 *     local id in firing order (gid[0..w)), with a hash index gid -> local;
 *   - per fiber into it, the realized sources (global ids of the source
 *     neurons that have fired through the fiber, in realization order) and,
 *     for each, its edges into the support: (local target, Q16.16 weight).
 * Backends never see a lazy area as a target: its slice is empty on every
 * rank (no per-neuron arrays in the pool), and sim_step.c calls this file
 * for it; as a source it offers its winners (global ids) like any area.
 *
 * The graph into a lazy area is drawn as it is needed, so that each pair
 * (source i, support target j) is drawn exactly once, when the later of
 * the two first takes part:
 *   - a source i of fiber f firing for the first time: its edges to the
 *     current support are Bernoulli(p) (the lazy edge stream below);
 *   - a new support neuron j (a sampled winner with sampled input x):
 *     exactly x of the firing sources of the active fibers, chosen
 *     uniformly from their concatenation in fiber order (as brain.py
 *     splits x), plus Bernoulli(p) from every realized source that is not
 *     firing through the fiber (also of fibers not active in the step).
 * Bernoulli(p) edges of realized source i into local ids come from the
 * block scheme of connectome.h over local target ids, Philox keyed by the
 * fiber's key, domain BS_DOMAIN_LAZY; a realized source draws the blocks
 * of the local range that joined, keeping the targets in that range.
 *
 * The sampled tail (lazy_sample.c): with m = n - w never-fired neurons
 * and active fibers f (firing F_f, probability p_f), the input of each is
 * the sum over f of Binomial(F_f, p_f) (exact pmf, by convolution over
 * distinct p), and the top min(k, m) of m i.i.d. such values come from the
 * uniform order statistics V_1 = U_1^(1/m), V_{i+1} = V_i U^(1/(m-i))
 * mapped through the quantile, in log / survival form.
 *
 * Selection: support neurons compete with their exact inputs, sampled
 * ones with (count << 16); ties go to support neurons by local id, then
 * sampled ones in sampling order.  New winners among the sampled join the
 * support in that order, each with a global id drawn uniformly among the
 * never-fired ids (rejection against the support).
 *
 * Streams: the lazy edges use the fiber's key with BS_DOMAIN_LAZY; the
 * area's own draws use bs_stream_key(seed, BS_LAZY_STREAM + area) with
 * domains BS_DOMAIN_LAZY_TAIL (counter: step), BS_DOMAIN_LAZY_PICK
 * (counter: the joiner's local id) and BS_DOMAIN_LAZY_ID (counter: local
 * id).  Same on every backend and rank count.
 */
#ifndef BS_LAZY_H
#define BS_LAZY_H

#include <stdint.h>

#include "brainsim.h"
#include "philox.h"

struct bs_sim;
struct bs_experiment;

enum { BS_DOMAIN_LAZY = 3, BS_DOMAIN_LAZY_TAIL = 4, BS_DOMAIN_LAZY_PICK = 5,
       BS_DOMAIN_LAZY_ID = 6 };
#define BS_LAZY_STREAM 0x50000000u

typedef struct bs_lazy_src {    /* the edges of one realized source */
    uint32_t *tgt;              /* (n) local target ids */
    uint32_t *w;                /* (n) Q16.16 weights */
    uint32_t n, cap;
} bs_lazy_src;

typedef struct bs_lazy_fiber {  /* a fiber into a lazy area */
    uint64_t *ids;              /* (n) source global ids, realization order */
    bs_lazy_src *src;           /* (n) */
    uint64_t n, cap;
    uint64_t *hash;             /* (hcap) index + 1 of ids; 0: empty */
    uint64_t hcap;              /* power of two, > 2 n */
} bs_lazy_fiber;

typedef struct bs_lazy_area {
    uint64_t *gid;              /* (w) support global ids by local id */
    uint64_t w, cap;
    uint64_t *hash;             /* (hcap) local id + 1; 0: empty */
    uint64_t hcap;
    uint64_t *input;            /* (cap + k) inputs of the support, then of
                                   the sampled, Q16.16 (this step) */
    uint8_t *won;               /* (cap) 1: a winner of this step */
    uint64_t *sample;           /* (k + 1) sampled counts, descending;
                                   [k]: how many (the broadcast) */
    uint8_t *pick;              /* (pick_n) scratch of the conditioned draw:
                                   1 at the positions drawn */
    uint64_t *pick_pos;         /* (pick_n) the positions drawn */
    uint64_t pick_n;
    bs_lazy_fiber *fib;         /* (n_fibers) used for fibers into it */
} bs_lazy_area;

/* Creates the (empty) state of every lazy area of s->exp into s->lazy
 * (NULL entries for explicit areas).  Returns BS_OK or BS_ERR_NOMEM with
 * the message in s->err. */
bs_status bs_lazy_create(struct bs_sim *s);

/* Frees s->lazy; accepts NULL.  Can't fail. */
void bs_lazy_destroy(struct bs_sim *s);

/* The step for lazy target area a (its active fibers marked): realizes
 * new firing sources; when a computes (not fixed), its inputs, the sampled
 * tail, the k winners into `next` (ascending global ids, next_inputs),
 * the joiners' ids and edges.  Collective (a broadcast) when a computes.
 * Returns BS_OK, BS_ERR_NOMEM or BS_ERR_MPI with the message in s->err. */
bs_status bs_lazy_step(struct bs_sim *s, int a);

/* Plasticity of active fiber f into lazy area a: every stored edge from a
 * firing source to a new winner (`next`) potentiated.  Can't fail. */
void bs_lazy_plasticity(struct bs_sim *s, int f);

/* The plan of lazy area a of e (`brainsim plan`): its support bound into
 * *support (k x the steps that target it, at most n), its stored edges'
 * bound into *edges (per support neuron and fiber, a high quantile of its
 * edges from the sources that may fire), and the host bytes of both
 * (outside the pool), returned.  Can't fail. */
uint64_t bs_lazy_plan(const struct bs_experiment *e, int a,
                      uint64_t *support, uint64_t *edges);

/* Checkpoints (lazy_checkpoint.c; layout: checkpoint.h, /lazy).
 * bs_lazy_ckpt_collect: the rows of every lazy area into a new *out
 * (n_areas entries, name NULL for explicit areas), BS_OK or BS_ERR_NOMEM
 * with the message.  bs_lazy_ckpt_free: frees them; accepts NULL.
 * bs_lazy_restore: every lazy area from the checkpoint (after the areas'
 * winners and support are read), collective; BS_OK, BS_ERR_CHECKPOINT
 * (corrupt rows: a repeated id, a winner outside the support, a weight
 * above its cap) or BS_ERR_NOMEM, with the message in s->err. */
struct bs_ckpt_lazy;
struct bs_ckpt_reader;
bs_status bs_lazy_ckpt_collect(struct bs_sim *s, struct bs_ckpt_lazy **out);
void bs_lazy_ckpt_free(struct bs_ckpt_lazy **l, int n_areas);
bs_status bs_lazy_restore(struct bs_sim *s, struct bs_ckpt_reader *rd);

/* The Q16.16 weight of edge (src, tgt global id) of fiber f into a lazy
 * area: 0 where it is not stored (no edge, or one end has not fired
 * through the fiber: brain.py's lazy connectomes hold only the support).
 * Can't fail. */
uint64_t bs_lazy_weight_q16(const struct bs_sim *s, int f, uint64_t src,
                            uint64_t tgt);

/* set_assembly and fire on lazy area a: the ids of ids[0..n) (ascending)
 * not in its support join it, in that order, with Bernoulli(p) edges from
 * every realized source of every fiber into a (their firing is not
 * conditioned on any input).  Returns BS_OK or BS_ERR_NOMEM with the
 * message. */
bs_status bs_lazy_add_ids(struct bs_sim *s, int a, const uint64_t *ids,
                          uint64_t n);

/* Support of lazy area a (neurons that ever fired).  Can't fail. */
uint64_t bs_lazy_support(const struct bs_sim *s, int a);

/*
 * The sampled tail (lazy_sample.c): the top min(k, m) of m i.i.d. inputs,
 * each the sum over i < n_groups of Binomial(n_fire[i], p[i]), descending
 * into out[0..), their count returned; uniforms from Philox keyed by key,
 * counter (step, BS_DOMAIN_LAZY_TAIL, draw).  Real arithmetic (libm): call
 * on one rank and broadcast.  Returns the count, or -1 when out of memory.
 */
int64_t bs_lazy_sample_tail(const uint64_t *n_fire, const double *p,
                            int n_groups, uint64_t m, uint64_t k, bs_key2 key,
                            uint64_t step, uint64_t *out);

/* The distribution the sampler draws from: survival S[x] = P(X > x) for
 * x in [0, *n_x) of the sum of Binomial(n_fire[i], p[i]) (S[n_x - 1] = 0),
 * a new array (the caller frees it), or NULL when out of memory.  For
 * tests and the sampler. */
double *bs_lazy_survival(const uint64_t *n_fire, const double *p,
                         int n_groups, uint64_t *n_x);

#endif /* BS_LAZY_H */
