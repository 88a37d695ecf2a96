/*
** store_db.c — opening the database, schema migrations, meta, stats, get,
** reindex and integrity checks.
**
** One SQLite file holds everything. WAL mode lets searches and matches from
** other processes go on while an import writes; foreign keys are on so that
** no need can point at a missing organization.
*/
#include "jb_int.h"
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Schema migrations, applied in order; PRAGMA user_version counts them. Never
** edit a released entry: add a new one. */
static const char *const migrations[] = {
    /* 1: the data model */
    "CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;"
    "CREATE TABLE org(id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL,"
    "  subkind TEXT, region TEXT, parent TEXT, chains TEXT, keywords TEXT,"
    "  description TEXT, doc TEXT NOT NULL);"
    "CREATE TABLE expert(id TEXT PRIMARY KEY, name TEXT, org TEXT REFERENCES org(id),"
    "  rank TEXT, fields TEXT, keywords TEXT, bio TEXT, programs TEXT, region TEXT,"
    "  capacity INTEGER NOT NULL DEFAULT 1, doc TEXT NOT NULL);"
    "CREATE INDEX expert_org ON expert(org);"
    "CREATE TABLE evidence(expert TEXT NOT NULL REFERENCES expert(id) ON DELETE CASCADE,"
    "  id TEXT NOT NULL, kind TEXT, title TEXT, abstract TEXT, year INTEGER,"
    "  doc TEXT NOT NULL, PRIMARY KEY(expert, id));"
    "CREATE TABLE achievement(id TEXT PRIMARY KEY, title TEXT NOT NULL, text TEXT,"
    "  keywords TEXT, kind TEXT, expert TEXT REFERENCES expert(id),"
    "  org TEXT REFERENCES org(id), maturity TEXT, chains TEXT, year INTEGER,"
    "  doc TEXT NOT NULL);"
    "CREATE TABLE need(id TEXT PRIMARY KEY, org TEXT REFERENCES org(id),"
    "  title TEXT NOT NULL, text TEXT, keywords TEXT, chains TEXT, budget REAL,"
    "  deadline TEXT, status TEXT NOT NULL DEFAULT 'open', list TEXT,"
    "  team_size INTEGER NOT NULL DEFAULT 0, created TEXT, doc TEXT NOT NULL);"
    "CREATE INDEX need_status ON need(status);"
    "CREATE INDEX need_list ON need(list);"
    "CREATE TABLE relation(kind TEXT NOT NULL, expert TEXT NOT NULL REFERENCES expert(id),"
    "  org TEXT NOT NULL REFERENCES org(id), year INTEGER, note TEXT, doc TEXT NOT NULL,"
    "  PRIMARY KEY(kind, expert, org));"
    /* One search document per org, need, expert profile, evidence item and
    ** achievement; sdoc_fts indexes it as external content. */
    "CREATE TABLE sdoc(rowid INTEGER PRIMARY KEY, kind TEXT NOT NULL, ref TEXT NOT NULL,"
    "  sub TEXT NOT NULL DEFAULT '', title TEXT, keywords TEXT, body TEXT,"
    "  UNIQUE(kind, ref, sub));"
    "CREATE VIRTUAL TABLE sdoc_fts USING fts5(title, keywords, body,"
    "  content='sdoc', content_rowid='rowid', tokenize='jiebang');"
    "CREATE TRIGGER sdoc_ai AFTER INSERT ON sdoc BEGIN"
    "  INSERT INTO sdoc_fts(rowid, title, keywords, body)"
    "  VALUES (new.rowid, new.title, new.keywords, new.body); END;"
    "CREATE TRIGGER sdoc_ad AFTER DELETE ON sdoc BEGIN"
    "  INSERT INTO sdoc_fts(sdoc_fts, rowid, title, keywords, body)"
    "  VALUES ('delete', old.rowid, old.title, old.keywords, old.body); END;"
    "CREATE TRIGGER sdoc_au AFTER UPDATE ON sdoc BEGIN"
    "  INSERT INTO sdoc_fts(sdoc_fts, rowid, title, keywords, body)"
    "  VALUES ('delete', old.rowid, old.title, old.keywords, old.body);"
    "  INSERT INTO sdoc_fts(rowid, title, keywords, body)"
    "  VALUES (new.rowid, new.title, new.keywords, new.body); END;"
    "INSERT INTO meta VALUES('generation', '0');",
    /* 2: new search documents are indexed in batches by the writer (see
    ** jb_fts_flush): a trigger per row made FTS5 flush its pending terms at
    ** every statement, which doubled the cost of an import. */
    "DROP TRIGGER sdoc_ai;",
    /* 3: FTS5 writes its pending terms out as a new segment every 1 MB by
    ** default, and then merges segments: most of a large import. With 64 MB
    ** (memory only while writing) a 100k-item import took 0.73x the time. */
    "INSERT INTO sdoc_fts(sdoc_fts, rank) VALUES('hashsize', 67108864);",
    /* 4: an evidence item's title and abstract were stored three times (these
    ** columns, the record's JSON, the search document): read from the JSON. */
    "ALTER TABLE evidence DROP COLUMN title; ALTER TABLE evidence DROP COLUMN abstract;",
    /* 5: the web workbench's accounts (Argon2id hashes, encoded with their
    ** salt and cost) and the audit trail of changes made through it: who,
    ** when, which op, and what it touched. */
    "CREATE TABLE account(name TEXT PRIMARY KEY, role TEXT NOT NULL CHECK(role IN ('admin','staff','viewer')),"
    "  hash TEXT NOT NULL, disabled INTEGER NOT NULL DEFAULT 0, created TEXT NOT NULL, updated TEXT NOT NULL);"
    "CREATE TABLE audit(id INTEGER PRIMARY KEY, at TEXT NOT NULL, user TEXT NOT NULL, op TEXT NOT NULL,"
    "  detail TEXT);",
    /* 6: attached files (store_attach.c): one per need, achievement or
    ** evidence item (kind, ref = its id or its expert's, sub = the evidence
    ** id); the extracted text with the file's hash, size and name, and the
    ** bytes only when kept (--keep-files). */
    "CREATE TABLE attachment(kind TEXT NOT NULL, ref TEXT NOT NULL, sub TEXT NOT NULL DEFAULT '',"
    "  name TEXT NOT NULL, source TEXT, sha256 TEXT NOT NULL, size INTEGER NOT NULL,"
    "  format TEXT NOT NULL, status TEXT NOT NULL, pages INTEGER, chars INTEGER, dropped INTEGER,"
    "  truncated INTEGER, text TEXT, data BLOB, extractor TEXT, extracted TEXT,"
    "  PRIMARY KEY(kind, ref, sub));",
    /* 7: change sets, the history of every record, and outcomes of pairings
    ** (store_change.c, store_outcome.c). history.before is the record's
    ** whole previous version; before_rowid its row, so that a deleted record
    ** restored comes back where export listed it. */
    "CREATE TABLE changeset(id INTEGER PRIMARY KEY, at TEXT NOT NULL, user TEXT NOT NULL,"
    "  command TEXT NOT NULL, input TEXT, sha256 TEXT, undoes INTEGER, undone_by INTEGER);"
    "CREATE TABLE history(seq INTEGER PRIMARY KEY, change INTEGER NOT NULL REFERENCES changeset(id),"
    "  kind TEXT NOT NULL, key TEXT NOT NULL, version INTEGER NOT NULL, op TEXT NOT NULL,"
    "  before TEXT, before_rowid INTEGER, UNIQUE(kind, key, version));"
    "CREATE INDEX history_change ON history(change);"
    "CREATE TABLE outcome(need TEXT NOT NULL REFERENCES need(id), ctype TEXT NOT NULL,"
    "  cand TEXT NOT NULL, state TEXT NOT NULL, date TEXT, signed TEXT, value REAL,"
    "  doc TEXT NOT NULL, PRIMARY KEY(need, ctype, cand));"
    "CREATE INDEX outcome_cand ON outcome(ctype, cand, state);",
};

int jb_db_prepare(jb_db *db, const char *sql, sqlite3_stmt **ppStmt, jb_error *err) {
  int rc = sqlite3_prepare_v2(db->db, sql, -1, ppStmt, NULL);
  if (rc != SQLITE_OK) {
    jb_err_db(err, db->db, rc, "preparing a query");
    *ppStmt = NULL;
  }
  return rc;
}

sqlite3_stmt *jb_db_cached(jb_db *db, const char *sql, jb_error *err) {
  for (int i = 0; i < db->ncache; i++)
    if (db->cache[i].sql == sql) return db->cache[i].st;
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v3(db->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL);
  if (rc != SQLITE_OK) {
    jb_err_db(err, db->db, rc, "preparing a query");
    return NULL;
  }
  if (db->ncache < JB_ARRAY_LEN(db->cache)) {
    db->cache[db->ncache].sql = sql;
    db->cache[db->ncache].st = st;
    db->ncache++;
  } else {
    /* full: the statement is still valid, but then finalized on release */
    sqlite3_finalize(st);
    jb_err_set(err, JB_ERR_INTERNAL, "statement cache full");
    return NULL;
  }
  return st;
}

void jb_db_release(sqlite3_stmt *st) {
  if (!st) return;
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
}

jb_status jb_db_exec(jb_db *db, const char *sql, jb_error *err) {
  int rc = sqlite3_exec(db->db, sql, NULL, NULL, NULL);
  if (rc != SQLITE_OK) return jb_err_db(err, db->db, rc, "executing SQL");
  return JB_OK;
}

char *jb_meta_get(jb_db *db, const char *key) {
  sqlite3_stmt *st = NULL;
  char *v = NULL;
  if (sqlite3_prepare_v2(db->db, "SELECT value FROM meta WHERE key=?1", -1, &st, NULL))
    return NULL;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
    v = jb_strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return v;
}

jb_status jb_meta_set(jb_db *db, const char *key, const char *value, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "INSERT INTO meta(key, value) VALUES(?1, ?2) "
                        "ON CONFLICT(key) DO UPDATE SET value=excluded.value", &st, err))
    return err ? err->code : JB_ERR_DB;
  sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) return jb_err_db(err, db->db, rc, "writing meta");
  return JB_OK;
}

/* Every write draws a new instance (and counts the generation); a write
** that may change what needs are matched against (experts, evidence,
** achievements, orgs, relations: anything but needs) also draws a new
** supply_instance. The match index keeps those two parts apart, so that a
** new need re-indexes the needs only (match_index.c). */
static jb_status touch(jb_db *db, int supply, jb_error *err) {
  /* The match index file (DB.mx) is named by instance:generation. The
  ** counter repeats when an older copy of the database is restored and
  ** written to again, so every write also draws a new instance: no two data
  ** states share a name, and a stale DB.mx is never taken for the current. */
  int rc = sqlite3_exec(db->db,
                        "UPDATE meta SET value = CAST(value AS INTEGER) + 1 WHERE key='generation';"
                        "UPDATE meta SET value = lower(hex(randomblob(8))) WHERE key='instance'",
                        NULL, NULL, NULL);
  if (rc == SQLITE_OK && supply)
    rc = sqlite3_exec(db->db, "UPDATE meta SET value = lower(hex(randomblob(8))) WHERE key='supply_instance'",
                      NULL, NULL, NULL);
  if (rc != SQLITE_OK) return jb_err_db(err, db->db, rc, "updating the data generation");
  return JB_OK;
}

jb_status jb_db_touch(jb_db *db, jb_error *err) { return touch(db, 1, err); }

jb_status jb_db_touch_needs(jb_db *db, jb_error *err) { return touch(db, 0, err); }

/* A read-only open of a WAL database needs DB-shm, which SQLite cannot
** create in a read-only directory. When there is no DB-wal (the database
** was closed cleanly: everything is in the main file), nobody can be
** writing it through this directory, and SQLite may read the file as
** immutable: no locks, no -shm. Returns 1 when reopened so. */
static int reopen_immutable(jb_db *db, int src) {
  int prim = src & 0xff;
  if (prim != SQLITE_CANTOPEN && prim != SQLITE_READONLY && prim != SQLITE_IOERR) return 0;
  jb_buf wal = {0}, uri = {0};
  jb_buf_printf(&wal, "%s-wal", db->path);
  struct stat st;
  int has_wal = stat(jb_buf_str(&wal), &st) == 0 && st.st_size > 0;
  jb_buf_free(&wal);
  if (has_wal) return 0;
  /* a URI with the path percent-encoded where it must be */
  jb_buf_adds(&uri, "file:");
  for (const unsigned char *p = (const unsigned char *)db->path; *p; p++) {
    if (*p == '%' || *p == '?' || *p == '#' || *p <= ' ') jb_buf_printf(&uri, "%%%02X", *p);
    else jb_buf_addc(&uri, (char)*p);
  }
  jb_buf_adds(&uri, "?immutable=1");
  sqlite3 *h = NULL;
  int rc = sqlite3_open_v2(jb_buf_str(&uri), &h, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
  jb_buf_free(&uri);
  if (rc == SQLITE_OK) rc = sqlite3_exec(h, "PRAGMA foreign_keys=ON; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
  if (rc == SQLITE_OK) rc = jb_fts5_register(h);
  if (rc != SQLITE_OK) {
    sqlite3_close_v2(h);
    return 0;
  }
  sqlite3_extended_result_codes(h, 1);
  sqlite3_close_v2(db->db);
  db->db = h;
  return 1;
}

/* The message for a database whose first read failed: "not a jiebang
** database" only when the file is not an SQLite database at all. */
static jb_status first_read_error(jb_db *db, int src, jb_error *err) {
  int prim = src & 0xff;
  const char *why = sqlite3_errmsg(db->db);
  jb_buf wal = {0};
  jb_buf_printf(&wal, "%s-wal", db->path);
  struct stat st;
  int has_wal = stat(jb_buf_str(&wal), &st) == 0;
  jb_buf_free(&wal);
  if (prim == SQLITE_NOTADB) {
    jb_err_set(err, JB_ERR_CORRUPT, "%s: not a jiebang database (not an SQLite database file)", db->path);
    return JB_ERR_CORRUPT;
  }
  if (prim == SQLITE_CORRUPT) {
    jb_err_set(err, JB_ERR_CORRUPT, "%s: the database is damaged: %s (run jiebang integrity; restore a backup)",
               db->path, why);
    return JB_ERR_CORRUPT;
  }
  if ((prim == SQLITE_CANTOPEN || prim == SQLITE_READONLY) && has_wal) {
    jb_err_set(err, JB_ERR_IO,
               "%s: cannot read: the database has a write-ahead log (%s-wal) and SQLite must create %s-shm "
               "beside it to read it, but the directory is not writable; copy the database with its -wal "
               "file to a writable directory, or give write access to the directory",
               db->path, db->path, db->path);
    return JB_ERR_IO;
  }
  if (prim == SQLITE_READONLY || prim == SQLITE_CANTOPEN || prim == SQLITE_PERM) {
    jb_err_set(err, JB_ERR_IO, "%s: cannot %s the database: %s (check the permissions of the file and its directory)",
               db->path, db->readonly ? "read" : "write", why);
    return JB_ERR_IO;
  }
  if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED) {
    jb_err_set(err, JB_ERR_BUSY, "%s: the database is locked by another process: %s", db->path, why);
    return JB_ERR_BUSY;
  }
  return jb_err_db(err, db->db, src, "reading the database");
}

/* A valid SQLite file that holds other tables and no jiebang schema is not
** ours: migrating it would add our tables to someone else's database. */
static jb_status check_foreign(jb_db *db, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db,
                    "SELECT (SELECT user_version FROM pragma_user_version),"
                    " (SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'),"
                    " (SELECT count(*) FROM sqlite_schema WHERE name = 'meta')",
                    &st, err))
    return JB_ERR_DB;
  int got = jb_step(st, "the database schema", err);
  int foreign = got > 0 && sqlite3_column_int(st, 0) == 0 && sqlite3_column_int(st, 1) > 0 &&
                sqlite3_column_int(st, 2) == 0;
  sqlite3_finalize(st);
  if (got < 0) return (jb_status)-got;
  if (foreign) {
    jb_err_set(err, JB_ERR_CORRUPT, "%s: not a jiebang database (an SQLite database with other tables)", db->path);
    return JB_ERR_CORRUPT;
  }
  return JB_OK;
}

static jb_status migrate(jb_db *db, jb_error *err) {
  sqlite3_stmt *st = NULL;
  int version = 0;
  if (jb_db_prepare(db, "PRAGMA user_version", &st, err)) return JB_ERR_DB;
  /* unreadable is not version 0: that would run every migration again */
  int got = jb_step(st, "the schema version", err);
  if (got > 0) version = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  if (got < 0) return (jb_status)-got;
  int latest = JB_ARRAY_LEN(migrations);
  if (version > latest) {
    jb_err_set(err, JB_ERR_DB,
               "%s: database schema version %d is newer than this jiebang (%d); upgrade jiebang",
               db->path, version, latest);
    return JB_ERR_DB;
  }
  if (version == latest) return JB_OK;
  if (db->readonly) {
    /* upgrade through a short-lived writable connection, then read on */
    jb_open_opts o = {0};
    o.lexicon_dir = "";
    jb_db *w = NULL;
    jb_status rc = jb_db_open(db->path, &o, &w, err);
    jb_db_close(w);
    if (rc) {
      /* say why the upgrade could not run, not only that it could not */
      char why[700];
      snprintf(why, sizeof(why), "%.600s", err ? err->message : "");
      jb_err_set(err, rc, "%s: the database (schema version %d) needs an upgrade to version %d, which "
                 "needs write access: %s", db->path, version, latest, why);
      return rc;
    }
    return JB_OK;
  }
  for (int v = version; v < latest; v++) {
    jb_status rc = jb_db_exec(db, "BEGIN IMMEDIATE", err);
    if (rc) return rc;
    int src = sqlite3_exec(db->db, migrations[v], NULL, NULL, NULL);
    if (src != SQLITE_OK) {
      jb_err_db(err, db->db, src, "migrating the schema");
      sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
      return JB_ERR_DB;
    }
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA user_version=%d", v + 1);
    if ((rc = jb_db_exec(db, sql, err)) ||
        (v == 0 && (rc = jb_meta_set(db, "fts_tokenizer", JB_TOKENIZER_VERSION, err))) ||
        (rc = jb_db_exec(db, "COMMIT", err))) {
      sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
      return rc;
    }
  }
  return JB_OK;
}

/* New search documents wait in a temporary table until indexed together.
** A temporary table (not a rowid range) because deleted rowids are reused,
** and because it rolls back with the transaction or savepoint it is in. */
jb_status jb_fts_begin(jb_db *db, jb_error *err) {
  jb_status rc = jb_db_exec(db, "CREATE TEMP TABLE IF NOT EXISTS fts_pending(id INTEGER PRIMARY KEY)", err);
  if (!rc) db->fts_active = 1;
  return rc;
}

jb_status jb_fts_pending_add(jb_db *db, sqlite3_int64 rowid, jb_error *err) {
  sqlite3_stmt *st = jb_db_cached(db, "INSERT INTO temp.fts_pending(id) VALUES(?1)", err);
  if (!st) return JB_ERR_DB;
  sqlite3_bind_int64(st, 1, rowid);
  int rc = sqlite3_step(st);
  jb_db_release(st);
  return rc == SQLITE_DONE ? JB_OK : jb_err_db(err, db->db, rc, "noting a new search document");
}

int jb_fts_is_pending(jb_db *db, sqlite3_int64 rowid) {
  if (!db->fts_active) return 0;
  sqlite3_stmt *st = jb_db_cached(db, "SELECT 1 FROM temp.fts_pending WHERE id=?1", NULL);
  if (!st) return 1; /* unknown: flushing is always safe */
  sqlite3_bind_int64(st, 1, rowid);
  int rc = sqlite3_step(st);
  jb_db_release(st);
  return rc != SQLITE_DONE; /* found, or unknown after an error: flushing is safe */
}

jb_status jb_fts_flush(jb_db *db, jb_error *err) {
  if (!db->fts_active) return JB_OK;
  sqlite3_stmt *st = jb_db_cached(db,
                                  "INSERT INTO sdoc_fts(rowid, title, keywords, body)"
                                  " SELECT s.rowid, s.title, s.keywords, s.body FROM temp.fts_pending p"
                                  " JOIN sdoc s ON s.rowid = p.id ORDER BY p.id",
                                  err);
  if (!st) return JB_ERR_DB;
  int rc = sqlite3_step(st);
  jb_db_release(st);
  if (rc != SQLITE_DONE) return jb_err_db(err, db->db, rc, "indexing new search documents");
  return jb_db_exec(db, "DELETE FROM temp.fts_pending", err);
}

void jb_fts_end(jb_db *db) {
  if (db->fts_active) sqlite3_exec(db->db, "DELETE FROM temp.fts_pending", NULL, NULL, NULL);
  db->fts_active = 0;
}

jb_status jb_db_ensure_fts(jb_db *db, jb_error *err) {
  char *v = jb_meta_get(db, "fts_tokenizer");
  int same = v && !strcmp(v, JB_TOKENIZER_VERSION);
  free(v);
  if (same) return JB_OK;
  if (db->readonly) {
    jb_err_set(err, JB_ERR_STALE,
               "the full-text index was built by another tokenizer version; run `jiebang reindex`");
    return JB_ERR_STALE;
  }
  /* Rebuild before anything deletes rows: deleting with a different
  ** tokenizer than the one that indexed them corrupts an FTS5 index. */
  jb_status rc = jb_db_exec(db, "INSERT INTO sdoc_fts(sdoc_fts) VALUES('rebuild')", err);
  if (!rc) rc = jb_meta_set(db, "fts_tokenizer", JB_TOKENIZER_VERSION, err);
  return rc;
}

/* A random identity for this database's data, made here once and drawn
** again by every write (jb_db_touch). The match index file names it with the
** data generation: a database deleted and imported again, or restored from a
** backup, restarts its generation count, but never has the same identity. */
static jb_status ensure_instance(jb_db *db, jb_error *err) {
  /* supply_instance: the same for the part of the data needs are matched
  ** against (see touch()); made here for databases older than it */
  static const char *const keys[] = {"instance", "supply_instance"};
  for (int k = 0; k < 2; k++) {
    char *v = jb_meta_get(db, keys[k]);
    if (v) {
      free(v);
      continue;
    }
    uint64_t r = 0;
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(&r, sizeof(r), 1, f) != 1)
      r = jb_hash64(db->path, strlen(db->path), (uint64_t)time(NULL) ^ (uint64_t)getpid() ^ (uint64_t)k);
    if (f) fclose(f);
    char hex[32];
    snprintf(hex, sizeof(hex), "%016llx", (unsigned long long)r);
    jb_status rc = jb_meta_set(db, keys[k], hex, err);
    if (rc) return rc;
  }
  return JB_OK;
}

static const char *lexicon_dir(const jb_open_opts *opts) {
  if (opts && opts->lexicon_dir) return opts->lexicon_dir;
  const char *env = getenv("JIEBANG_LEXICON");
  if (env && *env) return env;
  return JB_SOURCE_LEXICON;
}

jb_status jb_db_open(const char *path, const jb_open_opts *opts, jb_db **ppDb, jb_error *err) {
  *ppDb = NULL;
  jb_status rc = JB_OK;
  jb_db *db = calloc(1, sizeof(*db));
  if (!db) {
    jb_err_set(err, JB_ERR_NOMEM, "out of memory");
    return JB_ERR_NOMEM;
  }
  db->path = jb_strdup(path);
  db->readonly = opts && opts->readonly;
  db->no_index_save = opts && opts->no_index_save;
  struct stat fst;
  if ((opts && opts->no_create && access(path, F_OK) != 0) ||
      (db->readonly && stat(path, &fst) != 0 && errno == ENOENT)) {
    /* never a new empty database for a command that reads */
    jb_err_set(err, JB_ERR_NOTFOUND, jb_msg(JB_MSG_DB_MISSING), path);
    rc = JB_ERR_NOTFOUND;
    goto done;
  }
  int flags = db->readonly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int src = sqlite3_open_v2(path, &db->db, flags, NULL);
  if (src != SQLITE_OK) {
    jb_err_set(err, JB_ERR_IO, "%s: cannot open database: %s", path,
               db->db ? sqlite3_errmsg(db->db) : sqlite3_errstr(src));
    rc = JB_ERR_IO;
    goto done;
  }
  sqlite3_extended_result_codes(db->db, 1);
  sqlite3_busy_timeout(db->db, opts && opts->busy_timeout_ms ? opts->busy_timeout_ms : 10000);
  if (jb_fts5_register(db->db) != SQLITE_OK) {
    jb_err_set(err, JB_ERR_DB, "cannot register the jiebang FTS5 tokenizer (SQLite without FTS5?)");
    rc = JB_ERR_DB;
    goto done;
  }
  /* The first read: not a database, damaged, or not readable here? */
  src = sqlite3_exec(db->db, "PRAGMA foreign_keys=ON; SELECT count(*) FROM sqlite_schema",
                     NULL, NULL, NULL);
  if (src != SQLITE_OK && db->readonly && reopen_immutable(db, src)) src = SQLITE_OK;
  if (src != SQLITE_OK) {
    rc = first_read_error(db, src, err);
    goto done;
  }
  if ((rc = check_foreign(db, err))) goto done;
  if (!db->readonly) {
    /* WAL: readers in other processes keep answering during an import.
    ** synchronous=NORMAL is durable in WAL mode except for the last commits
    ** before a power loss, never corrupting. */
    sqlite3_exec(db->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
  }
  if ((rc = migrate(db, err))) goto done;
  if (jb_tokenizer_new(&db->tok)) {
    rc = JB_ERR_NOMEM;
    jb_err_set(err, rc, "out of memory");
    goto done;
  }
  if ((rc = jb_lexicon_load(lexicon_dir(opts), db->tok, &db->lex, err))) goto done;
  if (opts && opts->require_lexicon && !jb_lexicon_nterms(db->lex) && !jb_lexicon_nchains(db->lex)) {
    /* without synonyms, terms and chains every score changes: say so */
    jb_err_set(err, JB_ERR_USAGE, jb_msg(JB_MSG_LEXICON_EMPTY), lexicon_dir(opts));
    rc = JB_ERR_USAGE;
    goto done;
  }
  if (!db->readonly && (rc = jb_db_ensure_fts(db, err))) goto done;
  if (!db->readonly && (rc = ensure_instance(db, err))) goto done;
done:
  if (rc) {
    jb_db_close(db);
    return rc;
  }
  *ppDb = db;
  return JB_OK;
}

void jb_db_close(jb_db *db) {
  if (!db) return;
  for (int i = 0; i < db->ncache; i++) sqlite3_finalize(db->cache[i].st);
  jb_mx_release(db);
  jb_lexicon_free(db->lex);
  jb_tokenizer_free(db->tok);
  free(db->user);
  free(db->command);
  free(db->chg.input);
  free(db->chg.sha);
  if (db->db) sqlite3_close_v2(db->db);
  free(db->path);
  free(db);
}

static long count_of(jb_db *db, const char *sql) {
  sqlite3_stmt *st = NULL;
  long n = -1;
  char today[11];
  jb_today(today);
  if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) == SQLITE_OK &&
      (sqlite3_bind_parameter_count(st) == 0 || sqlite3_bind_text(st, 1, today, -1, SQLITE_TRANSIENT) == SQLITE_OK) &&
      sqlite3_step(st) == SQLITE_ROW)
    n = (long)sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

jb_status jb_db_stats(jb_db *db, cJSON **ppOut, jb_error *err) {
  static const struct { const char *name, *sql; } counts[] = {
      {"orgs", "SELECT count(*) FROM org"},
      {"needs", "SELECT count(*) FROM need"},
      {"open_needs", "SELECT count(*) FROM need WHERE status='open'"},
      {"experts", "SELECT count(*) FROM expert"},
      {"evidence", "SELECT count(*) FROM evidence"},
      {"achievements", "SELECT count(*) FROM achievement"},
      {"conflicts", "SELECT count(*) FROM relation WHERE kind='conflict'"},
      {"collaborations", "SELECT count(*) FROM relation WHERE kind='collaboration'"},
      {"expired_needs", "SELECT count(*) FROM need WHERE status='open' AND deadline IS NOT NULL"
                        " AND deadline < substr(?1, 1, length(deadline))"},
      {"outcomes", "SELECT count(*) FROM outcome"},
      {"changes", "SELECT count(*) FROM changeset"},
      {"search_documents", "SELECT count(*) FROM sdoc"},
      {"attachments", "SELECT count(*) FROM attachment"},
      {"attachments_unusable", "SELECT count(*) FROM attachment WHERE status IN ('garbage','no_text')"},
  };
  cJSON *o = cJSON_CreateObject();
  if (!o) return JB_ERR_NOMEM;
  cJSON_AddStringToObject(o, "database", db->path);
  for (int i = 0; i < JB_ARRAY_LEN(counts); i++) {
    long n = count_of(db, counts[i].sql);
    if (n < 0) {
      cJSON_Delete(o);
      return jb_err_db(err, db->db, sqlite3_errcode(db->db), "counting records");
    }
    cJSON_AddNumberToObject(o, counts[i].name, (double)n);
  }
  char *gen = jb_meta_get(db, "generation");
  char *tokv = jb_meta_get(db, "fts_tokenizer");
  char lexhash[32];
  snprintf(lexhash, sizeof(lexhash), "%016llx", (unsigned long long)jb_lexicon_hash(db->lex));
  cJSON_AddNumberToObject(o, "generation", gen ? atof(gen) : 0);
  cJSON *fts = cJSON_AddObjectToObject(o, "fulltext_index");
  cJSON_AddStringToObject(fts, "tokenizer", tokv ? tokv : "");
  cJSON_AddBoolToObject(fts, "stale", !tokv || strcmp(tokv, JB_TOKENIZER_VERSION) != 0);
  /* The match index lives in memory: built on a process's first match and
  ** rebuilt when the generation or the lexicon changes, so never stale. */
  cJSON *lx = cJSON_AddObjectToObject(o, "lexicon");
  cJSON_AddStringToObject(lx, "dir", jb_lexicon_dir(db->lex));
  cJSON_AddNumberToObject(lx, "entries", jb_lexicon_nterms(db->lex));
  cJSON_AddNumberToObject(lx, "chains", jb_lexicon_nchains(db->lex));
  cJSON_AddStringToObject(lx, "hash", lexhash);
  free(gen);
  free(tokv);
  *ppOut = o;
  return JB_OK;
}

jb_status jb_db_reindex(jb_db *db, jb_error *err) {
  if (db->readonly) {
    jb_err_set(err, JB_ERR_USAGE, "reindex needs a writable database");
    return JB_ERR_USAGE;
  }
  jb_status rc = jb_db_exec(db, "BEGIN IMMEDIATE", err);
  if (rc) return rc;
  rc = jb_db_exec(db, "INSERT INTO sdoc_fts(sdoc_fts) VALUES('rebuild')", err);
  if (!rc) rc = jb_meta_set(db, "fts_tokenizer", JB_TOKENIZER_VERSION, err);
  if (!rc) rc = jb_db_exec(db, "COMMIT", err);
  if (rc) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
  /* forget the match index, in memory and on disk: the next match rebuilds it */
  jb_mx_discard(db);
  return rc;
}

jb_status jb_db_check(jb_db *db, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "PRAGMA integrity_check", &st, err)) return JB_ERR_DB;
  int rc = sqlite3_step(st);
  int ok = rc == SQLITE_ROW && !strcmp((const char *)sqlite3_column_text(st, 0), "ok");
  if (!ok && rc == SQLITE_ROW)
    jb_err_set(err, JB_ERR_CORRUPT, "integrity_check: %s", sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  if (!ok) {
    if (rc != SQLITE_ROW) return jb_err_db(err, db->db, rc, "integrity_check");
    return JB_ERR_CORRUPT;
  }
  rc = sqlite3_exec(db->db, "INSERT INTO sdoc_fts(sdoc_fts, rank) VALUES('integrity-check', 1)",
                    NULL, NULL, NULL);
  if (rc != SQLITE_OK) {
    jb_err_set(err, JB_ERR_CORRUPT, "full-text index: %s", sqlite3_errmsg(db->db));
    return JB_ERR_CORRUPT;
  }
  /* the match index files: a cache, checked whole here (a match checks only
  ** the blocks it reads); damaged ones are reported and removed, not an error */
  mx_check_saved(db);
  return JB_OK;
}

static const char *table_of_kind(const char *kind) {
  if (!strcmp(kind, "org")) return "org";
  if (!strcmp(kind, "need")) return "need";
  if (!strcmp(kind, "expert")) return "expert";
  if (!strcmp(kind, "achievement")) return "achievement";
  return NULL;
}

jb_status jb_db_get(jb_db *db, const char *kind, const char *id, int with_contacts,
                    cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  jb_kind k = jb_kind_parse(kind ? kind : "");
  const char *table = k >= 0 ? table_of_kind(jb_kind_name(k)) : NULL;
  if (!table) {
    jb_err_set(err, JB_ERR_USAGE, "unknown type '%s' (org, need, expert, achievement)",
               kind ? kind : "");
    return JB_ERR_USAGE;
  }
  char sql[96];
  snprintf(sql, sizeof(sql), "SELECT doc FROM %s WHERE id=?1", table);
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, sql, &st, err)) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return jb_err_db(err, db->db, rc, "reading a record");
    jb_err_set(err, JB_ERR_NOTFOUND, jb_msg(JB_MSG_NOT_FOUND_RECORD), jb_value_label(jb_kind_name(k)), id);
    return JB_ERR_NOTFOUND;
  }
  cJSON *o = jb_record_public((const char *)sqlite3_column_text(st, 0), with_contacts);
  sqlite3_finalize(st);
  if (!o) return JB_ERR_NOMEM;
  if (k == JB_KIND_NEED) {
    /* derived, not stored: a need open past its deadline is never shown as
    ** plainly open */
    const cJSON *s = cJSON_GetObjectItem(o, "status"), *d = cJSON_GetObjectItem(o, "deadline");
    if (jb_need_expired(cJSON_IsString(s) ? s->valuestring : "open", cJSON_IsString(d) ? d->valuestring : NULL))
      cJSON_AddTrueToObject(o, "expired");
  }
  if (k == JB_KIND_EXPERT) {
    cJSON *papers = cJSON_AddArrayToObject(o, "papers");
    if (jb_db_prepare(db, "SELECT doc FROM evidence WHERE expert=?1 ORDER BY rowid", &st, err)) {
      cJSON_Delete(o);
      return JB_ERR_DB;
    }
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    /* an expert without part of its evidence must not look whole (export
    ** writes experts through here) */
    int got;
    jb_status bad = JB_OK;
    while ((got = jb_step(st, "an expert's evidence", err)) > 0) {
      cJSON *e = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
      if (!e) {
        bad = JB_ERR_CORRUPT;
        jb_err_set(err, bad, "expert %s: a stored evidence record is not JSON", id);
        break;
      }
      cJSON_DeleteItemFromObject(e, "type");
      cJSON_DeleteItemFromObject(e, "expert");
      cJSON_AddItemToArray(papers, e);
    }
    sqlite3_finalize(st);
    if (got < 0 || bad) {
      cJSON_Delete(o);
      return bad ? bad : (jb_status)-got;
    }
  }
  *ppOut = o;
  return JB_OK;
}
