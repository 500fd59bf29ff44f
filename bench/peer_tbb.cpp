// The TBB peer (peers.h): oneTBB's flow graph, a continue_node per task
// and a make_edge per dependency.  A continue_node counts the messages of
// its predecessors and runs its body when the last one arrives, then resets
// its count, so one built graph runs again by putting a message into each
// root.  Everything runs in a task_arena of `workers` slots (the calling
// thread takes one), so the pool of threads is the requested size; a
// global_control lets it have them, since TBB's default stops at one thread
// per core (on two cores, 4 workers would silently be 2).
#include "peers.h"

#include <oneapi/tbb/flow_graph.h>
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>

#include <memory>
#include <new>
#include <vector>

namespace flow = oneapi::tbb::flow;

struct peer_tbb {
    peer_dag *d;
    oneapi::tbb::global_control threads;
    oneapi::tbb::task_arena arena;
    std::unique_ptr<flow::graph> g;
    std::vector<std::unique_ptr<flow::continue_node<flow::continue_msg>>> nodes;

    peer_tbb(peer_dag *dag, unsigned workers)
        : d(dag), threads(oneapi::tbb::global_control::max_allowed_parallelism,
                          workers),
          arena(static_cast<int>(workers)) {}
};

extern "C" peer_tbb *peer_tbb_create(peer_dag *d, unsigned workers) {
    try {
        std::unique_ptr<peer_tbb> p(new peer_tbb(d, workers));
        p->arena.execute([&] {
            p->g.reset(new flow::graph);
            p->nodes.reserve(d->n);
            for (size_t t = 0; t < d->n; t++) {
                uint32_t id = static_cast<uint32_t>(t);
                p->nodes.emplace_back(
                    new flow::continue_node<flow::continue_msg>(
                        *p->g, [d, id](const flow::continue_msg &) {
                            peer_body(d, id);
                            return flow::continue_msg();
                        }));
            }
            for (size_t t = 0; t < d->n; t++)
                for (size_t i = d->succ_start[t]; i < d->succ_start[t + 1]; i++)
                    flow::make_edge(*p->nodes[t], *p->nodes[d->succ[i]]);
        });
        return p.release();
    } catch (...) {
        return nullptr;
    }
}

extern "C" int peer_tbb_run(peer_tbb *p) {
    try {
        p->arena.execute([p] {
            for (size_t i = 0; i < p->d->nroots; i++)
                p->nodes[p->d->roots[i]]->try_put(flow::continue_msg());
            p->g->wait_for_all();
        });
        return 0;
    } catch (...) {
        return -1;
    }
}

extern "C" void peer_tbb_destroy(peer_tbb *p) {
    if (p == nullptr)
        return;
    // Nodes go first: each one takes itself off its graph's list.
    p->arena.execute([p] {
        p->g->wait_for_all();
        p->nodes.clear();
        p->g.reset();
    });
    delete p;
}
