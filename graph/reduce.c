/*
 * Transitive reduction of a DAG: the edges u -> v that no longer path from u
 * to v implies.  A diagram that draws only these shows the same orderings
 * with far fewer lines; a dense random graph (100 tasks, 1,119 edges) keeps
 * about 190, and its layout becomes a hundred times cheaper, because every
 * long edge costs Graphviz one virtual node per rank it crosses.
 *
 * The caller numbers the nodes in a topological order (every edge goes from
 * a smaller to a larger number) and lists each node's successors in
 * increasing order.  Nodes are visited from the last to the first; each
 * keeps the set of nodes it reaches as a bitset.  A successor v of u is
 * implied when an earlier-listed successor already reaches it; since any
 * node that reaches v comes before v in the order, the smaller successors
 * are always looked at first, so one pass suffices.  Time O(n * kept / 64 +
 * m), memory n * n / 8 bytes, hence the node limit (Graphviz's tred, in
 * libgvc, works on a cgraph graph by a depth-first search per node and
 * deletes edges in place, which leaves no room for keeping the critical
 * path's edges or counting what was hidden).
 */
#include "graph_internal.h"

#include <stdlib.h>
#include <string.h>

int dr__dag_reduce(size_t n, const uint32_t *off, const uint32_t *succ,
                   unsigned char *implied, size_t *nimplied) {
    size_t hidden = 0;
    if (nimplied != NULL)
        *nimplied = 0;
    if (n > DR__REDUCE_MAX_NODES)
        return DR_ETOOBIG;
    if (n == 0)
        return 0;
    size_t words = (n + 63) / 64;
    uint64_t *reach = calloc(n * words, sizeof(*reach));
    if (reach == NULL)
        return DR_ENOMEM;
    for (size_t u = n; u-- > 0;) {
        uint64_t *ru = reach + u * words;
        for (uint32_t e = off[u]; e < off[u + 1]; e++) {
            uint32_t v = succ[e];
            if (ru[v / 64] >> (v % 64) & 1) {
                implied[e] = 1;
                hidden++;
                continue;
            }
            implied[e] = 0;
            const uint64_t *rv = reach + (size_t)v * words;
            /* v reaches only nodes after it: start at its word. */
            for (size_t w = v / 64; w < words; w++)
                ru[w] |= rv[w];
            ru[v / 64] |= (uint64_t)1 << (v % 64);
        }
    }
    free(reach);
    if (nimplied != NULL)
        *nimplied = hidden;
    return 0;
}
