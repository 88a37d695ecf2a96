/*
** store_attach.c — attached files: a need's Word form, an expert's paper as
** PDF, an achievement's report. One file per record.
**
** The extracted text is stored in `attachment` with the file's SHA-256, size
** and name (the bytes themselves only when asked: --keep-files), and indexed
** as its own search document (kind need_file, achievement_file,
** evidence_file) so that a search names the file it found the words in. The
** match index reads the text as part of its record's document.
**
** Extraction is the slow part (a 300-page PDF takes seconds), so a file
** whose hash and extractor are what is stored is not extracted again.
** Writers only: nothing here runs in a read-only command.
*/
#include "jb_int.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Names what extraction does; stored so that a change to the cleaning or
** the garbage rules re-extracts files on their next import. */
#define JB_EXTRACTOR_VERSION "jiebang-extract-1"

jb_status jb_attach_resolve(const char *base, const char *path, jb_buf *out) {
  jb_buf_reset(out);
  if (path[0] != '/' && base && strcmp(base, "-")) {
    const char *slash = strrchr(base, '/');
    if (slash) {
      jb_buf_add(out, base, (size_t)(slash - base + 1));
    }
  }
  jb_buf_adds(out, path);
  jb_buf_str(out);
  return out->oom ? JB_ERR_NOMEM : JB_OK;
}

const char *jb_attach_check(const char *path) {
  struct stat sb;
  if (stat(path, &sb) != 0) return "no such file";
  if (!S_ISREG(sb.st_mode)) return "not a regular file";
  if (sb.st_size > JB_MAX_FILE_BYTES) return "larger than 64 MB, the limit for one attached file";
  const char *dot = strrchr(path, '.');
  static const char *const ext[] = {".pdf", ".PDF", ".docx", ".DOCX", ".txt", ".TXT", ".text"};
  for (int i = 0; dot && i < JB_ARRAY_LEN(ext); i++)
    if (!strcmp(dot, ext[i])) return NULL;
  return "not a .pdf, .docx or .txt file";
}

static const char *sdoc_kind(const char *kind) {
  return !strcmp(kind, "need") ? "need_file" : !strcmp(kind, "achievement") ? "achievement_file" : "evidence_file";
}

static void record_name(jb_buf *b, const char *kind, const char *ref, const char *sub) {
  jb_buf_reset(b);
  jb_buf_printf(b, "%s %s%s%s", kind, ref, *sub ? "/" : "", sub);
}

static void report(const jb_attacher *a, const char *kind, const char *ref, const char *sub, const char *path,
                   const jb_extract *x, const char *status) {
  if (!a->opts || !a->opts->on_file) return;
  jb_buf rec = {0};
  record_name(&rec, kind, ref, sub);
  jb_file_report r;
  memset(&r, 0, sizeof(r));
  r.record = jb_buf_str(&rec);
  r.file = path;
  r.format = x->format;
  r.status = status;
  r.size = x->size;
  r.chars = x->chars;
  r.dropped = x->dropped;
  r.pages = x->pages;
  r.truncated = x->truncated;
  r.source = a->source;
  r.line = a->line;
  a->opts->on_file(a->opts->file_ctx, &r);
  jb_buf_free(&rec);
}

/* 1 when the stored attachment has this hash and was made by this
** extractor (its stored figures are put in *x for the report). */
static int unchanged(jb_db *db, const char *kind, const char *ref, const char *sub, const char *sha,
                     jb_extract *x, jb_error *err) {
  sqlite3_stmt *st = jb_db_cached(db,
                                  "SELECT format, status, size, chars, dropped, pages FROM attachment"
                                  " WHERE kind=?1 AND ref=?2 AND sub=?3 AND sha256=?4 AND extractor=?5",
                                  err);
  if (!st) return -1;
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, sub, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, sha, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, JB_EXTRACTOR_VERSION, -1, SQLITE_STATIC);
  int same = sqlite3_step(st) == SQLITE_ROW;
  if (same) {
    const char *f = (const char *)sqlite3_column_text(st, 0);
    x->format = !f ? "txt" : !strcmp(f, "pdf") ? "pdf" : !strcmp(f, "docx") ? "docx" : "txt";
    x->size = (long)sqlite3_column_int64(st, 2);
    x->chars = (long)sqlite3_column_int64(st, 3);
    x->dropped = (long)sqlite3_column_int64(st, 4);
    x->pages = sqlite3_column_int(st, 5);
  }
  jb_db_release(st);
  return same;
}

static jb_status store_row(jb_db *db, const jb_attacher *a, const char *kind, const char *ref, const char *sub,
                           const char *path, const jb_extract *x, const void *data, size_t ndata,
                           jb_error *err) {
  sqlite3_stmt *st = jb_db_cached(db,
      "INSERT INTO attachment(kind, ref, sub, name, source, sha256, size, format, status, pages, chars,"
      " dropped, truncated, text, data, extractor, extracted)"
      " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16, strftime('%Y-%m-%dT%H:%M:%SZ','now'))"
      " ON CONFLICT(kind, ref, sub) DO UPDATE SET name=excluded.name, source=excluded.source,"
      " sha256=excluded.sha256, size=excluded.size, format=excluded.format, status=excluded.status,"
      " pages=excluded.pages, chars=excluded.chars, dropped=excluded.dropped, truncated=excluded.truncated,"
      " text=excluded.text, data=excluded.data, extractor=excluded.extractor, extracted=excluded.extracted",
      err);
  if (!st) return JB_ERR_DB;
  const char *base = strrchr(path, '/');
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, sub, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 4, base ? base + 1 : path, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 5, path, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, x->sha256, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 7, x->size);
  sqlite3_bind_text(st, 8, x->format, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 9, x->status, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 10, x->pages);
  sqlite3_bind_int64(st, 11, x->chars);
  sqlite3_bind_int64(st, 12, x->dropped);
  sqlite3_bind_int(st, 13, x->truncated);
  sqlite3_bind_text(st, 14, x->text, -1, SQLITE_STATIC);
  if (data && a->opts && a->opts->keep_files) sqlite3_bind_blob(st, 15, data, (int)ndata, SQLITE_STATIC);
  else sqlite3_bind_null(st, 15);
  sqlite3_bind_text(st, 16, JB_EXTRACTOR_VERSION, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  jb_db_release(st);
  if (rc != SQLITE_DONE) return jb_err_db(err, db->db, rc, "storing an attachment");
  /* the search document: the file's name as its title, its text as body */
  return jb_sdoc_put(db, sdoc_kind(kind), ref, sub, base ? base + 1 : path, "", x->text, err);
}

/* Reads a whole file for --keep-files (the extractor read it too; keeping
** files is the rare case, so it is read twice rather than always held). */
static void *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  jb_buf b = {0};
  char chunk[65536];
  size_t got;
  while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0 && b.n <= JB_MAX_FILE_BYTES) jb_buf_add(&b, chunk, got);
  fclose(f);
  if (b.oom || b.n > JB_MAX_FILE_BYTES) {
    jb_buf_free(&b);
    return NULL;
  }
  *n = b.n;
  return b.p ? b.p : jb_strdup("");
}

jb_status jb_attach_path(jb_db *db, jb_attacher *a, const char *kind, const char *ref, const char *sub,
                         const char *given, int *changed, jb_error *err) {
  jb_buf path = {0};
  jb_extract x;
  memset(&x, 0, sizeof(x));
  void *data = NULL;
  size_t ndata = 0;
  jb_status rc = jb_attach_resolve(a->base, given, &path);
  if (rc) {
    jb_err_set(err, rc, "out of memory");
    return rc;
  }
  const char *why = jb_attach_check(path.p);
  if (why) {
    jb_err_set(err, JB_ERR_INVALID, "%s: %s", path.p, why);
    rc = JB_ERR_INVALID;
    goto done;
  }
  long size = 0;
  if (jb_extract_sha256(path.p, x.sha256, &size)) {
    jb_err_set(err, JB_ERR_IO, "%s: cannot read", path.p);
    rc = JB_ERR_IO;
    goto done;
  }
  int same = unchanged(db, kind, ref, sub, x.sha256, &x, err);
  if (same < 0) {
    rc = JB_ERR_DB;
    goto done;
  }
  if (same) {
    report(a, kind, ref, sub, path.p, &x, "unchanged");
    goto done;
  }
  if (a->bytes + size > JB_MAX_IMPORT_FILE_BYTES) {
    jb_err_set(err, JB_ERR_LIMIT, "%s: the files of one import may total %lld MB; import the rest separately",
               path.p, JB_MAX_IMPORT_FILE_BYTES >> 20);
    rc = JB_ERR_LIMIT;
    goto done;
  }
  a->bytes += size;
  if ((rc = jb_extract_file(path.p, &x, err))) goto done;
  if (a->opts && a->opts->keep_files && !(data = slurp(path.p, &ndata))) {
    rc = JB_ERR_IO;
    jb_err_set(err, rc, "%s: cannot read it again to keep it", path.p);
    goto done;
  }
  if ((rc = store_row(db, a, kind, ref, sub, path.p, &x, data, ndata, err))) goto done;
  if (changed) *changed = 1;
  report(a, kind, ref, sub, path.p, &x, x.status);
done:
  free(data);
  jb_extract_free(&x);
  jb_buf_free(&path);
  return rc;
}

jb_status jb_attach_prune(jb_db *db, const char *expert, jb_error *err) {
  sqlite3_stmt *q = jb_db_cached(db,
                                 "SELECT 1 FROM attachment WHERE kind='evidence' AND ref=?1"
                                 " AND sub NOT IN (SELECT id FROM evidence WHERE expert=?1) LIMIT 1",
                                 err);
  if (!q) return JB_ERR_DB;
  sqlite3_bind_text(q, 1, expert, -1, SQLITE_STATIC);
  int any = jb_step(q, "the attachments", err);
  jb_db_release(q);
  if (any < 0) return (jb_status)-any;
  if (!any) return JB_OK; /* the usual case: no flush (it would make FTS5 write tiny segments) */
  /* the search documents first: deleting one FTS5 has not indexed yet
  ** would corrupt the index, so flush pending ones */
  jb_status rc = jb_fts_flush(db, err);
  if (rc) return rc;
  static const char *const sql[] = {
      "DELETE FROM sdoc WHERE kind='evidence_file' AND ref=?1"
      " AND sub NOT IN (SELECT id FROM evidence WHERE expert=?1)",
      "DELETE FROM attachment WHERE kind='evidence' AND ref=?1"
      " AND sub NOT IN (SELECT id FROM evidence WHERE expert=?1)"};
  for (int i = 0; i < 2; i++) {
    sqlite3_stmt *st = jb_db_cached(db, sql[i], err);
    if (!st) return JB_ERR_DB;
    sqlite3_bind_text(st, 1, expert, -1, SQLITE_STATIC);
    int src = sqlite3_step(st);
    jb_db_release(st);
    if (src != SQLITE_DONE) return jb_err_db(err, db->db, src, "removing attachments of removed evidence");
  }
  return JB_OK;
}

jb_status jb_attach(jb_db *db, const char *kind, const char *id, const char *sub, const char *path,
                    const jb_import_opts *opts, jb_error *err) {
  if (db->readonly) {
    jb_err_set(err, JB_ERR_USAGE, "attach needs a writable database");
    return JB_ERR_USAGE;
  }
  const char *table = !kind ? NULL : !strcmp(kind, "need") ? "SELECT 1 FROM need WHERE id=?1"
                    : !strcmp(kind, "achievement") ? "SELECT 1 FROM achievement WHERE id=?1"
                    : !strcmp(kind, "evidence") ? "SELECT 1 FROM evidence WHERE expert=?1 AND id=?2" : NULL;
  if (!table || (!strcmp(kind, "evidence") && (!sub || !*sub))) {
    jb_err_set(err, JB_ERR_USAGE, "attach to: need ID, achievement ID, or evidence EXPERT EVIDENCE");
    return JB_ERR_USAGE;
  }
  if (strcmp(kind, "evidence")) sub = "";
  jb_status rc = jb_db_exec(db, "BEGIN IMMEDIATE", err);
  if (rc) return rc;
  sqlite3_stmt *st = NULL;
  if ((rc = jb_db_ensure_fts(db, err)) || (rc = jb_fts_begin(db, err))) goto done;
  if (jb_db_prepare(db, table, &st, err)) {
    rc = JB_ERR_DB;
    goto done;
  }
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  if (*sub) sqlite3_bind_text(st, 2, sub, -1, SQLITE_STATIC);
  int found = jb_step(st, "the record to attach to", err);
  sqlite3_finalize(st);
  if (found < 0) {
    rc = (jb_status)-found;
    goto done;
  }
  if (!found) {
    rc = JB_ERR_NOTFOUND;
    if (*sub) jb_err_set(err, rc, "no evidence '%s' of expert '%s'", sub, id);
    else jb_err_set(err, rc, jb_msg(JB_MSG_NOT_FOUND_RECORD), jb_value_label(kind), id);
    goto done;
  }
  jb_attacher a = {NULL, opts, 0, NULL, 0};
  int changed = 0;
  rc = jb_attach_path(db, &a, kind, id, sub, path, &changed, err);
  if (!rc) rc = jb_fts_flush(db, err);
  if (!rc && changed) rc = jb_db_touch(db, err);
  if (!rc) rc = jb_db_exec(db, "COMMIT", err);
done:
  jb_fts_end(db);
  if (rc) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

char *jb_attach_text(jb_db *db, const char *kind, const char *ref, const char *sub) {
  sqlite3_stmt *st = jb_db_cached(db, "SELECT text FROM attachment WHERE kind=?1 AND ref=?2 AND sub=?3", NULL);
  if (!st || !ref) return NULL;
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, ref, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, sub ? sub : "", -1, SQLITE_STATIC);
  char *t = NULL;
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) && *sqlite3_column_text(st, 0))
    t = jb_strdup((const char *)sqlite3_column_text(st, 0));
  jb_db_release(st);
  return t;
}
