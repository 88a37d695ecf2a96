/*
** fuzz_common.h — what the libFuzzer harnesses share: a private scratch
** directory, a small database built once from fixture.jsonl, a cheap way to
** put that database back after an input changed it, and checks that fail
** loudly (abort, which libFuzzer reports as a crash with the input saved).
**
** Every input runs against the same database state: a harness that lets an
** input write (serve's import op, the import harnesses) calls
** jbf_db_restore() afterwards, so a crash reproduces from its one input file.
*/
#ifndef JB_FUZZ_COMMON_H
#define JB_FUZZ_COMMON_H

#include "jb_int.h"
#include <stddef.h>
#include <stdint.h>

/* Which records the template database holds. */
#define JBF_DB_FIXTURE 0  /* every record of fixture.jsonl (orgs, needs, experts, ...) */
#define JBF_DB_ONE_ORG 1  /* only its first line: org-yunjian */

/* The scratch directory ($TMPDIR or /tmp, jbfuzz-XXXXXX), created on first
** use and removed at exit. Never NULL (aborts when it cannot be made). */
const char *jbf_tmpdir(void);
/* A path inside the scratch directory (static buffer, valid until the next
** call). */
const char *jbf_path(const char *name);

/* Builds the template database once and opens a working copy of it; aborts
** on failure (a harness without its database would fuzz nothing). The
** returned handle belongs to the caller; jbf_db_restore may replace it. */
jb_db *jbf_db_open(int which);
/* The data generation of the working copy (bumped by every write). */
long jbf_db_generation(jb_db *db);
/* Closes db, copies the template over the working copy and reopens it. */
jb_db *jbf_db_restore(jb_db *db);

/* Every API call must leave the connection outside any transaction (a
** forgotten BEGIN or SAVEPOINT would hold the write lock and swallow the next
** call's changes into it). Aborts otherwise. */
void jbf_check_no_txn(jb_db *db, const char *what);

/* Writes p[0..n) to a file in the scratch directory; returns its path. */
const char *jbf_write_file(const char *name, const uint8_t *p, size_t n);

/* A check that must hold for every input: prints what failed and aborts. */
#define JBF_CHECK(cond, ...)                                              \
  do {                                                                    \
    if (!(cond)) jbf_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);        \
  } while (0)
void jbf_fail(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((noreturn, format(printf, 4, 5)));

/* Prints a cJSON tree and parses the text back: a response that does not
** survive the round trip would break the line protocol. Aborts otherwise. */
void jbf_check_json(const cJSON *j, const char *what);
/* A failed call must say why: a status name and a non-empty message. */
void jbf_check_error(jb_status rc, const jb_error *err, const char *what);

/* The body of the two import harnesses: writes the input to a file called
** `name` (needs.jsonl, needs.csv) and imports it into the one-org database
** with jb_import_files, then again with skip_invalid, then with --encoding
** GB18030; the database must pass jb_db_check afterwards, and is put back
** for the next input. See fuzz_import.c for every check. */
void jbf_import_input(const char *name, const uint8_t *data, size_t size);

#endif /* JB_FUZZ_COMMON_H */
