/*
** fuzz_import.c — the shared body of fuzz_import_jsonl and fuzz_import_csv
** (the two differ only in the file name, which selects the reader).
**
** The input becomes a file in the scratch directory, imported into a
** database that holds one org (org-yunjian, so that seeds can refer to it):
**   1. as is: a failure must leave the database exactly as it was (one file
**      is one transaction) and say why; success reports no bad record;
**   2. with skip_invalid: good records stored, every bad one reported;
**   3. when step 2 found no bad record, again: re-importing the same file
**      changes nothing (strict mode only, see below);
**   4. with encoding GB18030 and skip_invalid: the conversion path;
**   5. the same file as ad hoc needs for jb_batch (its own reader), and,
**      when records were stored, what reads them: the match index built
**      over them (jb_batch over the open needs, jb_match, jb_search) and
**      jb_export.
** Afterwards the database must pass jb_db_check (SQLite integrity_check and
** the FTS5 index's own integrity-check), then it is put back.
**
** JBFUZZ_STRICT=1 adds checks of documented behaviour that are not memory
** or integrity safety (the import counters add up, one on_error call per
** counted bad record, re-import idempotency). They are off by default so
** that a long run is not stopped by a known counter bug; turn them on to
** look for such bugs.
*/
#include "fuzz_common.h"
#include <stdlib.h>
#include <string.h>

/* 64 KiB: many records, long fields and rows, in a file that still
** imports in milliseconds. */
#define MAX_INPUT (64 * 1024)

static jb_db *db;
static int strict = -1;
static char *pristine; /* fingerprint of the fixture database */

typedef struct errors_seen {
  long n;
} errors_seen;

static void on_error(void *ctx, const jb_error *e) {
  errors_seen *s = ctx;
  s->n++;
  JBF_CHECK(e->code != JB_OK, "on_error called with status ok");
  JBF_CHECK(e->message[0] != 0, "on_error called without a message");
  JBF_CHECK(jb_utf8_invalid_at(e->message, strlen(e->message)) < 0,
            "on_error message is not valid UTF-8: %s", e->message);
}

/* Every count and the data generation, as one string (caller frees). */
static char *fingerprint(void) {
  cJSON *st = NULL;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_db_stats(db, &st, &err);
  JBF_CHECK(rc == JB_OK, "jb_db_stats: %s", err.message);
  char *s = cJSON_PrintUnformatted(st);
  cJSON_Delete(st);
  JBF_CHECK(s != NULL, "printing stats");
  return s;
}

typedef struct pass_result {
  jb_status rc;
  jb_import_stats st;
  long errors;
} pass_result;

static pass_result import_pass(const char *path, int skip, const char *encoding, const char *what) {
  pass_result r;
  memset(&r, 0, sizeof(r));
  errors_seen seen = {0};
  jb_import_opts o = {0};
  o.skip_invalid = skip;
  o.encoding = encoding;
  o.on_error = on_error;
  o.ctx = &seen;
  jb_error err;
  jb_error_clear(&err);
  const char *paths[1] = {path};
  r.rc = jb_import_files(db, paths, 1, &o, &r.st, &err);
  r.errors = seen.n;
  jbf_check_no_txn(db, what);
  jbf_check_error(r.rc, &err, what);
  JBF_CHECK(r.st.read >= 0 && r.st.inserted >= 0 && r.st.updated >= 0 && r.st.unchanged >= 0 &&
                r.st.invalid >= 0 && r.st.files_failed >= 0 && r.st.files_failed <= 1,
            "%s: negative or impossible counters", what);
  if (r.rc == JB_OK)
    JBF_CHECK(r.errors == 0 && r.st.invalid == 0 && r.st.files_failed == 0,
              "%s: ok, but %ld errors reported, %ld invalid, %ld files failed", what, r.errors,
              r.st.invalid, r.st.files_failed);
  if (strict) {
    long sum = r.st.inserted + r.st.updated + r.st.unchanged + r.st.invalid + r.st.rolled_back;
    JBF_CHECK(r.st.read == sum, "%s: read %ld != inserted+updated+unchanged+invalid+rolled back %ld", what,
              r.st.read, sum);
    if (skip && r.rc != JB_OK && !r.st.files_failed)
      JBF_CHECK(r.errors == r.st.invalid, "%s: %ld bad records reported, %ld counted invalid",
                what, r.errors, r.st.invalid);
  }
  return r;
}

static FILE *devnull(void) {
  static FILE *f;
  if (!f) f = fopen("/dev/null", "w");
  JBF_CHECK(f != NULL, "cannot open /dev/null");
  return f;
}

/* Step 5: the stored records and the file through the readers. */
static void use_records(const char *path, size_t size, int changed) {
  jb_error err;
  jb_error_clear(&err);
  jb_batch_opts b = {0};
  b.needs_file = path;
  b.k = 3;
  b.format = (jb_batch_format)(size % 3);
  b.threads = 1; /* deterministic, and ASan sees one thread at a time */
  jb_status rc = jb_batch(db, &b, devnull(), &err);
  jbf_check_no_txn(db, "jb_batch --needs FILE");
  jbf_check_error(rc, &err, "jb_batch --needs FILE");
  if (!changed) return;

  memset(&b, 0, sizeof(b));
  b.open_needs = 1;
  b.k = 0; /* every candidate */
  b.format = JB_BATCH_JSONL;
  b.threads = 1;
  jb_error_clear(&err);
  rc = jb_batch(db, &b, devnull(), &err);
  jbf_check_no_txn(db, "jb_batch --open");
  jbf_check_error(rc, &err, "jb_batch --open");

  jb_match_opts m = {0};
  m.text = "砂型3DP打印 喷头堵塞 additive manufacturing 油茶";
  m.k = -1;
  m.explain = 1;
  cJSON *out = NULL;
  jb_error_clear(&err);
  rc = jb_match(db, &m, &out, &err);
  if (rc == JB_OK) jbf_check_json(out, "jb_match over imported records");
  else jbf_check_error(rc, &err, "jb_match over imported records");
  cJSON_Delete(out);
  out = NULL;

  jb_search_opts q = {0};
  q.query = "3D打印 需求";
  q.k = 50;
  jb_error_clear(&err);
  rc = jb_search(db, &q, &out, &err);
  if (rc == JB_OK) jbf_check_json(out, "jb_search over imported records");
  else jbf_check_error(rc, &err, "jb_search over imported records");
  cJSON_Delete(out);

  jb_error_clear(&err);
  rc = jb_export(db, devnull(), JB_EXPORT_WITH_CONTACTS, &err);
  jbf_check_no_txn(db, "jb_export");
  JBF_CHECK(rc == JB_OK, "jb_export: %s", err.message);
}

void jbf_import_input(const char *name, const uint8_t *data, size_t size) {
  if (size > MAX_INPUT) return;
  if (!db) {
    db = jbf_db_open(JBF_DB_ONE_ORG);
    const char *e = getenv("JBFUZZ_STRICT");
    strict = e && *e && strcmp(e, "0") != 0;
    pristine = fingerprint();
  }
  const char *path = jbf_write_file(name, data, size);

  pass_result p1 = import_pass(path, 0, NULL, "import");
  if (p1.rc != JB_OK) {
    char *now = fingerprint();
    JBF_CHECK(!strcmp(now, pristine), "a failed import changed the database:\nbefore %s\nafter  %s",
              pristine, now);
    free(now);
    JBF_CHECK(p1.st.files_failed == 1, "a failed import did not count its file as failed");
    JBF_CHECK(p1.errors <= 1, "without skip_invalid, %ld errors were reported", p1.errors);
  }

  pass_result p2 = import_pass(path, 1, NULL, "import --skip-invalid");
  /* Only for a file without bad records: with skip_invalid, a record that
  ** refers to one further down the same file fails the first time and is
  ** stored the second, as documented. */
  if (strict && p2.rc == JB_OK) {
    char *before = fingerprint();
    pass_result p3 = import_pass(path, 1, NULL, "re-import --skip-invalid");
    char *after = fingerprint();
    JBF_CHECK(p3.st.inserted == 0 && p3.st.updated == 0 && !strcmp(before, after),
              "re-importing changed the database: %ld inserted, %ld updated\nbefore %s\nafter  %s",
              p3.st.inserted, p3.st.updated, before, after);
    free(before);
    free(after);
  }

  import_pass(path, 1, "GB18030", "import --skip-invalid --encoding GB18030");

  char *now = fingerprint();
  int changed = strcmp(now, pristine) != 0;
  free(now);
  use_records(path, size, changed);

  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_db_check(db, &err);
  JBF_CHECK(rc == JB_OK, "database fails jb_db_check after importing: %s", err.message);

  if (changed) db = jbf_db_restore(db);
}
