/*
 * Structural groups of tasks, for pictures of large graphs and for colours:
 * a collapsed diagram draws one node per group, and the Gantt chart colours
 * a bar by its task's group (the trace's `cat` carries the name, so both
 * pictures agree without the chart ever loading the graph).
 *
 * A group must keep the shape of the graph: a layered graph must still show
 * its layers and the fan-in and fan-out between them.  Three rules are tried
 * on the numbers in the keys (each maximal run of digits):
 *   1. the last number becomes '*':          layer-3-17 -> layer-3-*
 *   2. every number but the last becomes '*': gemm-3-2-1 -> gemm-*-*-1
 *   3. every number becomes '*':              gemm-3-2-1 -> gemm-*-*-*
 * A group that then contains a dependency between two of its own tasks, or
 * that lies on a cycle of groups (potrf-* -> trsm-* -> syrk-* -> potrf-*),
 * would hide the order of its tasks; such groups are split by depth level
 * (the number of tasks on the longest chain that ends at the task, from 1),
 * named "t* (level 3)".  Levels are where "keys do not help": the STG
 * graphs' keys t1..t100 say nothing, and their levels are their layers.
 * Since every dependency goes to a strictly deeper level, the groups that
 * result always form a DAG (a cycle of groups would lie in one strongly
 * connected component of the first grouping, whose groups are all split).
 *
 * Of the rules that give at most `max_groups` groups, the one with the
 * fewest wins (ties: the earlier rule), so a map-reduce is "map-*, reduce",
 * a layered graph one group per layer and a tiled Cholesky one group per
 * kernel and step.  When none fits (a 1,000-layer graph), consecutive levels
 * are taken together in bands ("layer-*-* (levels 4-6)"); groups of one band
 * that would form a cycle are merged ("levels 4-6"); and when even the
 * names are too many, the groups are the bands alone.
 *
 * Every table is bounded by max_groups (a rule is abandoned as soon as it
 * has too many names), so grouping 10 million tasks needs the per-task
 * arrays and little else.  Cost: a few passes over tasks and edges.
 */
#include "graph_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { RULE_LAST = 0, RULE_KEEP_LAST, RULE_ALL, NRULES };

/* -------------------------------------------------------- small tables */

static uint64_t hash_bytes(const char *s, size_t n) {
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
    return h;
}

static uint64_t hash_u64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xFF51AFD7ED558CCDULL;
    x ^= x >> 33;
    return x;
}

/* Up to `limit` entries keyed by a string or by a number. */
typedef struct table {
    size_t cap, n, limit;
    int32_t *slot; /* cap; -1 empty */
    char **name;   /* limit + 1: the entry's name (owned) */
    uint64_t *key; /* limit + 1: numeric key */
} table;

static int table_init(table *t, size_t limit) {
    memset(t, 0, sizeof(*t));
    t->limit = limit;
    t->cap = 16;
    while (t->cap < 2 * limit + 2)
        t->cap *= 2;
    t->slot = malloc(t->cap * sizeof(*t->slot));
    t->name = calloc(limit + 1, sizeof(*t->name));
    t->key = calloc(limit + 1, sizeof(*t->key));
    if (t->slot == NULL || t->name == NULL || t->key == NULL)
        return DR_ENOMEM;
    memset(t->slot, 0xff, t->cap * sizeof(*t->slot));
    return 0;
}

static void table_free(table *t) {
    if (t->name != NULL)
        for (size_t i = 0; i < t->n; i++)
            free(t->name[i]);
    free(t->slot);
    free(t->name);
    free(t->key);
    memset(t, 0, sizeof(*t));
}

/* The id of name s[0..len), added if new.  -1: more than `limit` entries,
 * -2: out of memory. */
static int32_t table_name(table *t, const char *s, size_t len) {
    size_t h = (size_t)hash_bytes(s, len) & (t->cap - 1);
    for (; t->slot[h] >= 0; h = (h + 1) & (t->cap - 1)) {
        const char *e = t->name[t->slot[h]];
        if (strncmp(e, s, len) == 0 && e[len] == '\0')
            return t->slot[h];
    }
    if (t->n == t->limit)
        return -1;
    if ((t->name[t->n] = strndup(s, len)) == NULL)
        return -2;
    t->slot[h] = (int32_t)t->n;
    return (int32_t)t->n++;
}

/* The id of numeric key k, added if new (name set later).  -1: full. */
static int32_t table_key(table *t, uint64_t k, int *added) {
    size_t h = (size_t)hash_u64(k) & (t->cap - 1);
    *added = 0;
    for (; t->slot[h] >= 0; h = (h + 1) & (t->cap - 1))
        if (t->key[t->slot[h]] == k)
            return t->slot[h];
    if (t->n == t->limit)
        return -1;
    t->key[t->n] = k;
    t->slot[h] = (int32_t)t->n;
    *added = 1;
    return (int32_t)t->n++;
}

/* ---------------------------------------------------------- key rules */

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* The rule's pattern of `key` into b (reset first). */
static void pattern(dr__buf *b, const char *key, int rule) {
    b->len = 0;
    size_t runs = 0;
    for (const char *p = key; *p; p++)
        if (is_digit(*p) && (p == key || !is_digit(p[-1])))
            runs++;
    size_t run = 0;
    const char *p = key;
    while (*p) {
        if (!is_digit(*p)) {
            const char *q = p;
            while (*q && !is_digit(*q))
                q++;
            dr__buf_putn(b, p, (size_t)(q - p));
            p = q;
            continue;
        }
        const char *q = p;
        while (is_digit(*q))
            q++;
        run++;
        int star = rule == RULE_ALL || (rule == RULE_LAST && run == runs) ||
                   (rule == RULE_KEEP_LAST && run < runs);
        if (star)
            dr__buf_putn(b, "*", 1);
        else
            dr__buf_putn(b, p, (size_t)(q - p));
        p = q;
    }
    dr__buf_putn(b, "", 0);
}

/* ------------------------------------------------------------ context */

typedef struct ctx {
    const dr_graph *g;
    size_t n;
    const dr_task *topo;
    uint32_t *level; /* 0-based */
    uint32_t depth;  /* levels */
    dr__buf buf;
} ctx;

/* ------------------------------------------------- groups of groups */

/* A grouping being built: task -> id, and each id's name. */
typedef struct grouping {
    uint32_t *of; /* ntasks */
    table ids;    /* names of the ids */
} grouping;

/* Marks the dependencies between different groups in a k x k bit matrix
 * (k <= DR__GROUP_MAX, so at most 2 MB) and the groups holding one of
 * their own; returns NULL when out of memory. */
static uint64_t *quotient(const ctx *c, const uint32_t *of, size_t k,
                          unsigned char *internal) {
    size_t words = (k + 63) / 64;
    uint64_t *adj = calloc(k > 0 ? k * words : 1, sizeof(*adj));
    if (adj == NULL)
        return NULL;
    if (internal != NULL)
        memset(internal, 0, k);
    for (size_t t = 0; t < c->n; t++) {
        size_t nd;
        const dr_task *deps = dr_task_deps(c->g, (dr_task)t, &nd);
        for (size_t j = 0; j < nd; j++) {
            uint32_t a = of[deps[j]], b = of[t];
            if (a == b) {
                if (internal != NULL)
                    internal[a] = 1;
            } else
                adj[a * words + b / 64] |= (uint64_t)1 << (b % 64);
        }
    }
    return adj;
}

/* Tarjan's strongly connected components over the matrix; comp[v] is the
 * component, csize its size.  Recursion depth is at most k. */
typedef struct scc {
    const uint64_t *adj;
    size_t k, words, index, ncomp, top;
    int32_t *idx, *low;
    uint32_t *stack, *comp, *csize;
    unsigned char *on;
} scc;

static void scc_visit(scc *s, uint32_t v) {
    s->idx[v] = s->low[v] = (int32_t)s->index++;
    s->stack[s->top++] = v;
    s->on[v] = 1;
    const uint64_t *row = s->adj + v * s->words;
    for (size_t w = 0; w < s->words; w++)
        for (uint64_t bits = row[w]; bits != 0; bits &= bits - 1) {
            uint32_t u = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(bits));
            if (s->idx[u] < 0) {
                scc_visit(s, u);
                if (s->low[u] < s->low[v])
                    s->low[v] = s->low[u];
            } else if (s->on[u] && s->idx[u] < s->low[v])
                s->low[v] = s->idx[u];
        }
    if (s->low[v] == s->idx[v]) {
        uint32_t u, size = 0;
        do {
            u = s->stack[--s->top];
            s->on[u] = 0;
            s->comp[u] = (uint32_t)s->ncomp;
            size++;
        } while (u != v);
        s->csize[s->ncomp++] = size;
    }
}

/* comp and csize have k entries each.  Returns 0 or DR_ENOMEM. */
static int components(const uint64_t *adj, size_t k, uint32_t *comp,
                      uint32_t *csize, size_t *ncomp) {
    scc s = {.adj = adj,
             .k = k,
             .words = (k + 63) / 64,
             .comp = comp,
             .csize = csize};
    size_t m = k ? k : 1;
    s.idx = malloc(m * sizeof(*s.idx));
    s.low = malloc(m * sizeof(*s.low));
    s.stack = malloc(m * sizeof(*s.stack));
    s.on = calloc(m, 1);
    int rc = DR_ENOMEM;
    if (s.idx && s.low && s.stack && s.on) {
        for (size_t v = 0; v < k; v++)
            s.idx[v] = -1;
        for (size_t v = 0; v < k; v++)
            if (s.idx[v] < 0)
                scc_visit(&s, (uint32_t)v);
        *ncomp = s.ncomp;
        rc = 0;
    }
    free(s.idx);
    free(s.low);
    free(s.stack);
    free(s.on);
    return rc;
}

/* Level range (1-based) of each of k groups. */
static void level_ranges(const ctx *c, const uint32_t *of, size_t k,
                         uint32_t *lo, uint32_t *hi) {
    for (size_t i = 0; i < k; i++) {
        lo[i] = UINT32_MAX;
        hi[i] = 0;
    }
    for (size_t t = 0; t < c->n; t++) {
        uint32_t l = c->level[t] + 1;
        if (l < lo[of[t]])
            lo[of[t]] = l;
        if (l > hi[of[t]])
            hi[of[t]] = l;
    }
}

static char *level_name(const char *base, uint32_t lo, uint32_t hi) {
    char tail[64];
    if (lo == hi)
        snprintf(tail, sizeof(tail), "level %u", lo);
    else
        snprintf(tail, sizeof(tail), "levels %u\xE2\x80\x93%u", lo, hi);
    size_t n = (base ? strlen(base) + 3 : 0) + strlen(tail) + 1;
    char *s = malloc(n);
    if (s == NULL)
        return NULL;
    if (base != NULL)
        snprintf(s, n, "%s (%s)", base, tail);
    else
        snprintf(s, n, "%s", tail);
    return s;
}

/* Base names of a rule: base[t] and the name table.  Returns 0, 1 when
 * there are more than `limit` names, or DR_ENOMEM. */
static int base_names(ctx *c, int rule, size_t limit, uint32_t *base,
                      table *names) {
    int rc = table_init(names, limit);
    if (rc != 0)
        return rc;
    for (size_t t = 0; t < c->n; t++) {
        pattern(&c->buf, dr_task_key(c->g, (dr_task)t), rule);
        if (c->buf.oom)
            return DR_ENOMEM;
        int32_t id = table_name(names, c->buf.s, c->buf.len);
        if (id == -2)
            return DR_ENOMEM;
        if (id < 0)
            return 1;
        base[t] = (uint32_t)id;
    }
    return 0;
}

/*
 * One rule: base names, then the groups with an internal dependency or on
 * a cycle of groups split by level.  On success out->of and out->ids hold
 * the groups.  Returns 0, 1 (more than `limit` groups) or DR_ENOMEM.
 */
static int try_rule(ctx *c, int rule, size_t limit, grouping *out) {
    table names;
    uint64_t *adj = NULL;
    unsigned char *split = NULL;
    uint32_t *comp = NULL, *csize = NULL, *lo = NULL, *hi = NULL;
    int rc = base_names(c, rule, limit, out->of, &names);
    if (rc != 0)
        goto done;
    size_t k = names.n;
    rc = DR_ENOMEM;
    split = malloc(k ? k : 1);
    comp = malloc((k ? k : 1) * sizeof(*comp));
    csize = malloc((k ? k : 1) * sizeof(*csize));
    lo = malloc((k ? k : 1) * sizeof(*lo));
    hi = malloc((k ? k : 1) * sizeof(*hi));
    if (!split || !comp || !csize || !lo || !hi ||
        (adj = quotient(c, out->of, k, split)) == NULL)
        goto done;
    size_t ncomp;
    if ((rc = components(adj, k, comp, csize, &ncomp)) != 0)
        goto done;
    level_ranges(c, out->of, k, lo, hi);
    for (size_t b = 0; b < k; b++)
        split[b] = split[b] || csize[comp[b]] > 1;
    if ((rc = table_init(&out->ids, limit)) != 0)
        goto done;
    for (size_t t = 0; t < c->n; t++) {
        uint32_t b = out->of[t];
        uint64_t key = (uint64_t)b << 32 | (split[b] ? c->level[t] + 1 : 0);
        int added;
        int32_t id = table_key(&out->ids, key, &added);
        if (id < 0) {
            rc = 1;
            goto done;
        }
        if (added) {
            out->ids.name[id] = split[b] && lo[b] != hi[b]
                                    ? level_name(names.name[b], c->level[t] + 1,
                                                 c->level[t] + 1)
                                    : strdup(names.name[b]);
            if (out->ids.name[id] == NULL) {
                rc = DR_ENOMEM;
                goto done;
            }
        }
        out->of[t] = (uint32_t)id;
    }
    rc = 0;
done:
    table_free(&names);
    free(adj);
    free(split);
    free(comp);
    free(csize);
    free(lo);
    free(hi);
    return rc;
}

static uint32_t band_of(uint32_t level, uint32_t bands, uint32_t depth) {
    return (uint32_t)((uint64_t)level * bands / depth);
}

/*
 * Bands of levels: with `base` (names of rule 3), groups are (name, band),
 * groups of one band on a cycle merged; without, groups are the bands.
 * Returns 0, 1 (more than `limit` groups) or DR_ENOMEM.
 */
static int try_bands(ctx *c, const uint32_t *base, const table *names,
                     uint32_t bands, size_t limit, grouping *out) {
    table pairs;
    uint32_t *comp = NULL, *csize = NULL, *lo = NULL, *hi = NULL;
    uint64_t *adj = NULL;
    int rc = table_init(&pairs, limit);
    if (rc != 0)
        goto done;
    for (size_t t = 0; t < c->n; t++) {
        uint64_t key = (uint64_t)(base ? base[t] : 0) << 32 |
                       band_of(c->level[t], bands, c->depth);
        int added;
        int32_t id = table_key(&pairs, key, &added);
        if (id < 0) {
            rc = 1;
            goto done;
        }
        out->of[t] = (uint32_t)id;
    }
    size_t k = pairs.n, ncomp;
    rc = DR_ENOMEM;
    comp = malloc((k ? k : 1) * sizeof(*comp));
    csize = malloc((k ? k : 1) * sizeof(*csize));
    lo = malloc((k ? k : 1) * sizeof(*lo));
    hi = malloc((k ? k : 1) * sizeof(*hi));
    if (!comp || !csize || !lo || !hi ||
        (adj = quotient(c, out->of, k, NULL)) == NULL)
        goto done;
    if ((rc = components(adj, k, comp, csize, &ncomp)) != 0)
        goto done;
    /* Renumber by component: a component of one keeps its name. */
    for (size_t t = 0; t < c->n; t++)
        out->of[t] = comp[out->of[t]];
    level_ranges(c, out->of, ncomp, lo, hi);
    if ((rc = table_init(&out->ids, ncomp)) != 0)
        goto done;
    rc = DR_ENOMEM;
    for (size_t i = 0; i < ncomp; i++) {
        int added;
        table_key(&out->ids, i, &added);
    }
    for (size_t p = 0; p < k; p++) {
        uint32_t cid = comp[p];
        if (out->ids.name[cid] != NULL)
            continue;
        const char *bname =
            base && csize[cid] == 1 ? names->name[pairs.key[p] >> 32] : NULL;
        out->ids.name[cid] = bands == 1 && bname
                                 ? strdup(bname)
                                 : level_name(bname, lo[cid], hi[cid]);
        if (out->ids.name[cid] == NULL)
            goto done;
    }
    rc = 0;
done:
    table_free(&pairs);
    free(adj);
    free(comp);
    free(csize);
    free(lo);
    free(hi);
    return rc;
}

/* The most bands that give at most `limit` groups (at least 1). */
static int best_bands(ctx *c, const uint32_t *base, const table *names,
                      size_t limit, grouping *out) {
    uint32_t good = 1, bad = c->depth + 1;
    while (bad - good > 1) {
        uint32_t mid = good + (bad - good) / 2;
        grouping tmp = {out->of, {0}};
        int rc = try_bands(c, base, names, mid, limit, &tmp);
        table_free(&tmp.ids);
        if (rc < 0)
            return rc;
        if (rc == 0)
            good = mid;
        else
            bad = mid;
    }
    return try_bands(c, base, names, good, limit, out);
}

/* --------------------------------------------------------- the result */

/* Numbers the groups in a topological order of the groups' graph (among
 * ready groups, the shallowest first, then the first made) and fills out. */
static int finish(const ctx *c, grouping *gr, dr__groups *out) {
    size_t k = gr->ids.n, words = (k + 63) / 64;
    uint64_t *adj = quotient(c, gr->of, k, NULL);
    uint32_t *indeg = calloc(k ? k : 1, sizeof(*indeg));
    uint32_t *lo = malloc((k ? k : 1) * sizeof(*lo));
    uint32_t *hi = malloc((k ? k : 1) * sizeof(*hi));
    uint32_t *order = malloc((k ? k : 1) * sizeof(*order));
    unsigned char *done = calloc(k ? k : 1, 1);
    int rc = DR_ENOMEM;
    out->name = calloc(k ? k : 1, sizeof(*out->name));
    out->count = calloc(k ? k : 1, sizeof(*out->count));
    out->level_lo = malloc((k ? k : 1) * sizeof(*out->level_lo));
    out->level_hi = malloc((k ? k : 1) * sizeof(*out->level_hi));
    if (!adj || !indeg || !lo || !hi || !order || !done || !out->name ||
        !out->count || !out->level_lo || !out->level_hi)
        goto fail;
    level_ranges(c, gr->of, k, lo, hi);
    for (size_t a = 0; a < k; a++)
        for (size_t b = 0; b < k; b++)
            if (adj[a * words + b / 64] >> (b % 64) & 1)
                indeg[b]++;
    for (size_t i = 0; i < k; i++) {
        size_t best = k;
        for (size_t v = 0; v < k; v++)
            if (!done[v] && indeg[v] == 0 && (best == k || lo[v] < lo[best]))
                best = v;
        if (best == k) /* cannot happen: the groups form a DAG */
            goto fail;
        done[best] = 1;
        order[best] = (uint32_t)i;
        for (size_t b = 0; b < k; b++)
            if (adj[best * words + b / 64] >> (b % 64) & 1)
                indeg[b]--;
    }
    for (size_t v = 0; v < k; v++) {
        out->name[order[v]] = gr->ids.name[v];
        gr->ids.name[v] = NULL;
        out->level_lo[order[v]] = lo[v];
        out->level_hi[order[v]] = hi[v];
    }
    for (size_t t = 0; t < c->n; t++) {
        gr->of[t] = order[gr->of[t]];
        out->count[gr->of[t]]++;
    }
    out->of = gr->of;
    gr->of = NULL;
    out->n = k;
    rc = 0;
fail:
    free(adj);
    free(indeg);
    free(lo);
    free(hi);
    free(order);
    free(done);
    return rc;
}

void dr__groups_free(dr__groups *gr) {
    if (gr == NULL)
        return;
    if (gr->name != NULL)
        for (size_t i = 0; i < gr->n; i++)
            free(gr->name[i]);
    free(gr->name);
    free(gr->of);
    free(gr->count);
    free(gr->level_lo);
    free(gr->level_hi);
    memset(gr, 0, sizeof(*gr));
}

int dr__graph_group(const dr_graph *g, size_t max_groups, dr__groups *out) {
    memset(out, 0, sizeof(*out));
    ctx c = {g, dr_graph_ntasks(g), dr_graph_topo_order(g), NULL, 0, {0}};
    if (c.topo == NULL && c.n > 0)
        return DR_EINVAL;
    if (max_groups < 1)
        max_groups = 1;
    if (max_groups > DR__GROUP_MAX)
        max_groups = DR__GROUP_MAX;
    size_t m = c.n ? c.n : 1;
    grouping best = {malloc(m * sizeof(uint32_t)), {0}};
    grouping cur = {malloc(m * sizeof(uint32_t)), {0}};
    uint32_t *base = NULL;
    table names = {0};
    int rc = DR_ENOMEM, found = 0;
    c.level = calloc(m, sizeof(*c.level));
    if (best.of == NULL || cur.of == NULL || c.level == NULL)
        goto out;
    for (size_t i = 0; i < c.n; i++) {
        dr_task t = c.topo[i];
        size_t nd;
        const dr_task *deps = dr_task_deps(g, t, &nd);
        uint32_t l = 0;
        for (size_t j = 0; j < nd; j++)
            if (c.level[deps[j]] + 1 > l)
                l = c.level[deps[j]] + 1;
        c.level[t] = l;
        if (l + 1 > c.depth)
            c.depth = l + 1;
    }
    for (int rule = 0; rule < NRULES; rule++) {
        rc = try_rule(&c, rule, max_groups, &cur);
        if (rc < 0)
            goto out;
        if (rc == 0 && (!found || cur.ids.n < best.ids.n)) {
            grouping tmp = best;
            best = cur;
            cur = tmp;
            found = 1;
        }
        table_free(&cur.ids);
    }
    out->by_level = 0;
    if (!found) {
        out->by_level = 1;
        base = malloc(m * sizeof(*base));
        if (base == NULL) {
            rc = DR_ENOMEM;
            goto out;
        }
        rc = base_names(&c, RULE_ALL, max_groups, base, &names);
        if (rc < 0)
            goto out;
        rc = best_bands(&c, rc == 0 ? base : NULL, &names, max_groups, &best);
        if (rc != 0) /* 1 cannot happen: one band is one group */
            goto out;
    }
    rc = finish(&c, &best, out);
out:
    if (rc != 0)
        dr__groups_free(out);
    table_free(&best.ids);
    table_free(&cur.ids);
    table_free(&names);
    free(best.of);
    free(cur.of);
    free(base);
    free(c.level);
    dr__buf_free(&c.buf);
    return rc < 0 ? rc : rc == 0 ? 0 : DR_ENOMEM;
}
