/*
 * libFuzzer target for the journal's reader (dr__journal_read_buffer, what
 * `dagrun run --resume` and `dagrun log` read), on any bytes, for graph
 * "pi" and for any graph.  It must never crash, hang, leak or read out of
 * bounds, and what it accepts is held to its promises: every line is
 * either a valid line or counted bad; the valid lines are the headers and
 * the records; a record has the members of format 1 with their types
 * (its files parse back with dr__journal_file_fp); a note comes with no
 * records.  A mutated line almost never keeps a right checksum, so each
 * input is also read "signed": every line that ends with '}' gets the sum
 * it needs, which lets the fuzzer reach the parser and the checks of
 * members behind the checksum.  Seeds: tests/fuzz/corpus/journal/.
 */
#include "journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_files(const json_t *files) {
    size_t i;
    json_t *f;
    dr__file_fp fp;
    json_array_foreach(files, i, f) {
        if (dr__journal_file_fp(f, &fp) != 0)
            abort();
    }
}

static void check(const char *data, size_t size, const char *graph) {
    dr__jread r;
    dr_error err;
    dr_error_clear(&err);
    if (dr__journal_read_buffer(data, size, "fuzz.jsonl", graph, &r, &err) !=
        0) {
        if (err.text[0] == '\0')
            abort();
        return;
    }
    size_t lines = 0;
    for (size_t i = 0; i < size; i++)
        lines += data[i] == '\n';
    if (size > 0 && data[size - 1] != '\n')
        lines++;
    if (json_array_size(r.lines) + r.bad != lines)
        abort(); /* a line neither used nor counted */
    if (r.note[0] != '\0' && json_array_size(r.records) != 0)
        abort();
    if (memchr(r.note, '\n', sizeof(r.note)) != NULL)
        abort(); /* one line */
    size_t headers = 0, records = 0;
    size_t i;
    json_t *v;
    json_array_foreach(r.lines, i, v) {
        if (json_object_get(v, "sum") != NULL)
            abort();
        if (json_object_get(v, "journal") != NULL) {
            headers++;
            continue;
        }
        records++;
        if (!json_is_string(json_object_get(v, "task")) ||
            !json_is_string(json_object_get(v, "status")) ||
            !json_is_integer(json_object_get(v, "attempt")) ||
            !json_is_number(json_object_get(v, "end")) ||
            !json_is_string(json_object_get(v, "fp")))
            abort();
        check_files(json_object_get(v, "inputs"));
        check_files(json_object_get(v, "outputs"));
    }
    if (headers != r.runs || (headers > 0) != (r.header != NULL))
        abort();
    if (r.note[0] == '\0' && records != json_array_size(r.records))
        abort();
    dr__journal_read_free(&r);
}

/* data with every line "{...}" turned into "{...,"sum":"<its sum>"}" (a
 * line "{}" into "{,"sum":...}", which is not JSON: as it would be). */
static char *signed_copy(const char *data, size_t size, size_t *len) {
    char *out = malloc(size + (size / 2 + 1) * 26 + 1);
    if (out == NULL)
        abort();
    size_t n = 0, at = 0;
    while (at < size) {
        const char *nl = memchr(data + at, '\n', size - at);
        size_t k = nl ? (size_t)(nl - (data + at)) : size - at;
        const char *line = data + at;
        if (k > 0 && line[k - 1] == '}') {
            memcpy(out + n, line, k - 1);
            n += k - 1;
            char tail[32];
            snprintf(tail, sizeof(tail), ",\"sum\":\"%016llx\"}",
                     (unsigned long long)XXH3_64bits(line, k - 1));
            memcpy(out + n, tail, 26);
            n += 26;
        } else {
            memcpy(out + n, line, k);
            n += k;
        }
        at += k;
        if (nl != NULL) {
            out[n++] = '\n';
            at++;
        }
    }
    *len = n;
    return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    check((const char *)data, size, "pi");
    check((const char *)data, size, NULL);
    size_t n;
    char *s = signed_copy((const char *)data, size, &n);
    check(s, n, "pi");
    check(s, n, NULL);
    free(s);
    return 0;
}
