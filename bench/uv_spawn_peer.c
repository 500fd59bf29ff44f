/*
 * The second peer of bench/commands.sh: N commands, W at a time, started
 * with libuv's uv_spawn exactly as dagrun starts them (own process group)
 * and nothing else: no graph, no log files, no worker threads.  Timing it
 * next to dagrun and make separates what libuv's process start costs from
 * what dagrun adds on top.
 *
 *   dagrun_bench_uv_spawn N W COMMAND [ARGS...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

static uv_loop_t *loop;
static char **command;
static long started, total;
static int failed;

static void start_one(void);

static void on_exit_cb(uv_process_t *p, int64_t status, int signal) {
    if (status != 0 || signal != 0)
        failed = 1;
    uv_close((uv_handle_t *)p, (uv_close_cb)free);
    if (started < total)
        start_one();
}

static void start_one(void) {
    uv_process_t *p = malloc(sizeof(*p));
    uv_process_options_t o = {0};
    o.file = command[0];
    o.args = command;
    o.exit_cb = on_exit_cb;
    o.flags = UV_PROCESS_DETACHED;
    started++;
    int rc = p == NULL ? UV_ENOMEM : uv_spawn(loop, p, &o);
    if (rc != 0) {
        fprintf(stderr, "uv_spawn: %s\n", uv_strerror(rc));
        exit(1);
    }
}

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: %s N WORKERS COMMAND [ARGS...]\n", argv[0]);
        return 2;
    }
    total = atol(argv[1]);
    long workers = atol(argv[2]);
    command = argv + 3;
    loop = uv_default_loop();
    for (long i = 0; i < workers && started < total; i++)
        start_one();
    uv_run(loop, UV_RUN_DEFAULT);
    return failed;
}
