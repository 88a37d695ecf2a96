/*
** fuzz_common.c — scratch directory, fixture database and checks shared by
** the libFuzzer harnesses (see fuzz_common.h).
*/
#include "fuzz_common.h"
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Set by the build (tests/fuzz/CMakeLists.txt, scripts/fuzz.sh); the
** environment overrides them so that a copied binary still runs. */
#ifndef JBF_FIXTURE
#define JBF_FIXTURE "tests/fuzz/fixture.jsonl"
#endif
#ifndef JBF_LEXICON
#define JBF_LEXICON "corpora/lexicon"
#endif

static char tmpdir[4096];
static char pathbuf[4096 + 256];
static jb_db *open_db;      /* the working copy, closed at exit */
static int open_which = -1;
static sqlite3 *template_db; /* read-only connection to the template, for restores */

void jbf_fail(const char *file, int line, const char *cond, const char *fmt, ...) {
  fprintf(stderr, "\n==jbfuzz== CHECK FAILED at %s:%d: %s\n==jbfuzz== ", file, line, cond);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
  fflush(stderr);
  abort();
}

static void cleanup(void) {
  jb_db_close(open_db);
  open_db = NULL;
  sqlite3_close_v2(template_db);
  template_db = NULL;
  if (!tmpdir[0]) return;
  DIR *d = opendir(tmpdir);
  if (d) {
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      snprintf(pathbuf, sizeof(pathbuf), "%s/%s", tmpdir, e->d_name);
      unlink(pathbuf);
    }
    closedir(d);
  }
  rmdir(tmpdir);
  tmpdir[0] = 0;
}

const char *jbf_tmpdir(void) {
  if (tmpdir[0]) return tmpdir;
  const char *base = getenv("TMPDIR");
  if (!base || !*base) base = "/tmp";
  snprintf(tmpdir, sizeof(tmpdir), "%s/jbfuzz-XXXXXX", base);
  if (!mkdtemp(tmpdir)) {
    fprintf(stderr, "jbfuzz: cannot create %s: %s\n", tmpdir, strerror(errno));
    abort();
  }
  atexit(cleanup);
  return tmpdir;
}

const char *jbf_path(const char *name) {
  snprintf(pathbuf, sizeof(pathbuf), "%s/%s", jbf_tmpdir(), name);
  return pathbuf;
}

const char *jbf_write_file(const char *name, const uint8_t *p, size_t n) {
  const char *path = jbf_path(name);
  FILE *f = fopen(path, "wb");
  JBF_CHECK(f != NULL, "cannot write %s: %s", path, strerror(errno));
  JBF_CHECK(n == 0 || fwrite(p, 1, n, f) == n, "short write to %s", path);
  JBF_CHECK(fclose(f) == 0, "cannot close %s", path);
  return path;
}

static const char *lexicon_dir(void) {
  const char *env = getenv("JIEBANG_LEXICON");
  return env && *env ? env : JBF_LEXICON;
}

static jb_db *open_path(const char *path) {
  jb_open_opts o = {0};
  o.lexicon_dir = lexicon_dir();
  jb_db *db = NULL;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_db_open(path, &o, &db, &err);
  JBF_CHECK(rc == JB_OK, "jb_db_open(%s): %s", path, err.message);
  return db;
}

/* The fixture's lines as a JSON array (all of them, or only the first). */
static cJSON *fixture_records(int which) {
  const char *env = getenv("JBFUZZ_FIXTURE");
  const char *path = env && *env ? env : JBF_FIXTURE;
  FILE *f = fopen(path, "rb");
  JBF_CHECK(f != NULL, "cannot read the fixture %s (set JBFUZZ_FIXTURE): %s", path,
            strerror(errno));
  cJSON *arr = cJSON_CreateArray();
  char line[65536];
  while (fgets(line, sizeof(line), f)) {
    cJSON *r = cJSON_Parse(line);
    JBF_CHECK(r != NULL, "%s: malformed fixture line", path);
    cJSON_AddItemToArray(arr, r);
    if (which == JBF_DB_ONE_ORG) break;
  }
  fclose(f);
  return arr;
}

static const char *template_name(int which) {
  return which == JBF_DB_ONE_ORG ? "template-one-org.db" : "template-fixture.db";
}

static int copy_file(const char *from, const char *to) {
  FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
  char buf[65536];
  size_t n;
  int ok = in && out;
  while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0) ok = fwrite(buf, 1, n, out) == n;
  if (in) fclose(in);
  if (out && fclose(out)) ok = 0;
  return ok ? 0 : -1;
}

/* Copies the template over work.db; the stale WAL and shared-memory files
** of the previous working copy must go too, or SQLite would replay them. */
static jb_db *open_work_copy(int which) {
  char tpl[4096 + 256], work[4096 + 256];
  snprintf(tpl, sizeof(tpl), "%s", jbf_path(template_name(which)));
  snprintf(work, sizeof(work), "%s", jbf_path("work.db"));
  unlink(jbf_path("work.db-wal"));
  unlink(jbf_path("work.db-shm"));
  JBF_CHECK(copy_file(tpl, work) == 0, "cannot copy %s to %s", tpl, work);
  return open_path(work);
}

jb_db *jbf_db_open(int which) {
  char tpl[4096 + 256];
  snprintf(tpl, sizeof(tpl), "%s", jbf_path(template_name(which)));
  if (access(tpl, F_OK) != 0) {
    jb_db *db = open_path(tpl);
    cJSON *recs = fixture_records(which);
    jb_error err;
    jb_error_clear(&err);
    jb_import_stats st = {0};
    jb_status rc = jb_import_json(db, recs, "fixture", NULL, &st, &err);
    JBF_CHECK(rc == JB_OK, "importing the fixture: %s", err.message);
    cJSON_Delete(recs);
    jb_db_close(db); /* checkpoints the WAL: the template is one file */
  }
  jb_db_close(open_db);
  open_db = open_work_copy(which);
  open_which = which;
  sqlite3_close_v2(template_db);
  template_db = NULL;
  JBF_CHECK(sqlite3_open_v2(tpl, &template_db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK,
            "cannot open the template %s", tpl);
  return open_db;
}

long jbf_db_generation(jb_db *db) {
  char *v = jb_meta_get(db, "generation");
  long g = v ? atol(v) : -1;
  free(v);
  return g;
}

/* SQLite's online backup copies the template's pages into the open
** connection: a fraction of a millisecond, where closing and reopening (and
** reloading the lexicon) costs several. The engine's one cache, the match
** index, is keyed by the data generation; that goes back with the data and
** the next write would bring the same number with other content, so the
** index is dropped here, in memory and on disk. */
jb_db *jbf_db_restore(jb_db *db) {
  JBF_CHECK(db == open_db && open_which >= 0, "restoring a database jbf_db_open did not open");
  if (sqlite3_get_autocommit(db->db)) {
    sqlite3_backup *b = sqlite3_backup_init(db->db, "main", template_db, "main");
    int rc = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
    if (b) sqlite3_backup_finish(b);
    if (rc == SQLITE_DONE) {
      jb_match_index_free(db->mx);
      db->mx = NULL;
      /* ... and so is its copy on disk (match_store.c), for the same reason */
      char mx[4096 + 256];
      snprintf(mx, sizeof(mx), "%s.mx", db->path);
      unlink(mx);
      return open_db;
    }
  }
  /* A transaction left open, or the backup failed: start from the file. */
  jb_db_close(open_db);
  unlink(jbf_path("work.db.mx"));
  open_db = NULL;
  open_db = open_work_copy(open_which);
  return open_db;
}

void jbf_check_no_txn(jb_db *db, const char *what) {
  JBF_CHECK(sqlite3_get_autocommit(db->db), "%s left a transaction open", what);
}

void jbf_check_json(const cJSON *j, const char *what) {
  JBF_CHECK(j != NULL, "%s: NULL", what);
  char *s = cJSON_PrintUnformatted(j);
  JBF_CHECK(s != NULL, "%s: cannot be printed as JSON", what);
  size_t n = strlen(s);
  JBF_CHECK(jb_utf8_invalid_at(s, n) < 0, "%s: printed JSON is not valid UTF-8: %s", what, s);
  JBF_CHECK(memchr(s, '\n', n) == NULL, "%s: printed JSON spans lines", what);
  cJSON *back = cJSON_ParseWithLength(s, n);
  JBF_CHECK(back != NULL, "%s: printed JSON does not parse back: %s", what, s);
  cJSON_Delete(back);
  free(s);
}

void jbf_check_error(jb_status rc, const jb_error *err, const char *what) {
  if (rc == JB_OK) return;
  JBF_CHECK(rc > JB_OK && rc <= JB_ERR_INTERNAL, "%s: status %d out of range", what, (int)rc);
  JBF_CHECK(err->message[0] != 0, "%s: failed with %s but left no message", what,
            jb_status_name(rc));
  JBF_CHECK(jb_utf8_invalid_at(err->message, strlen(err->message)) < 0,
            "%s: error message is not valid UTF-8: %s", what, err->message);
}
