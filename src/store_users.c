/*
** store_users.c — the accounts of the web workbench and the audit trail of
** changes made through it.
**
** Passwords are hashed with Argon2id (libargon2, the reference
** implementation: no crypto of ours). The hash is stored in the encoded
** form, which carries its own salt and parameters, so that raising the cost
** later needs no migration: old hashes still verify.
*/
#include "jb_int.h"
#include <argon2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

/* Argon2id cost: OWASP's second recommended setting (19 MiB, 2 passes, one
** lane), about 30 ms on the office machine. A login is rare; 50 logging in
** at once take under 1 GB for a moment. */
#define PW_T_COST 2
#define PW_M_COST 19456
#define PW_LANES 1
#define PW_SALT 16
#define PW_HASH 32
#define PW_MIN 8   /* characters: a short password falls to guessing even when throttled */
#define PW_MAX 256 /* bytes: bounds the work one login makes */

static const char *const roles[] = {"viewer", "staff", "admin"};

int jb_role_level(const char *role) {
  for (int i = 0; role && i < JB_ARRAY_LEN(roles); i++)
    if (!strcmp(role, roles[i])) return i + 1;
  return 0;
}

static jb_status check_name(const char *name, jb_error *err) {
  size_t n = name ? strlen(name) : 0;
  if (n == 0 || n > 64 || jb_utf8_invalid_at(name, n) >= 0) {
    jb_err_set(err, JB_ERR_USAGE, "a user name is 1..64 bytes of UTF-8");
    return JB_ERR_USAGE;
  }
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)name[i] < 0x20 || name[i] == 0x7f || name[i] == ' ') {
      jb_err_set(err, JB_ERR_USAGE, "a user name has no spaces or control characters");
      return JB_ERR_USAGE;
    }
  return JB_OK;
}

static jb_status hash_password(const char *pw, char *out, size_t outn, jb_error *err) {
  size_t n = strlen(pw);
  long chars = 0;
  for (size_t i = 0; i < n; i++) chars += ((unsigned char)pw[i] & 0xC0) != 0x80;
  if (chars < PW_MIN || n > PW_MAX) {
    jb_err_set(err, JB_ERR_USAGE, "a password has %d to %d characters", PW_MIN, PW_MAX);
    return JB_ERR_USAGE;
  }
  unsigned char salt[PW_SALT];
  if (getrandom(salt, sizeof(salt), 0) != (ssize_t)sizeof(salt)) {
    jb_err_set(err, JB_ERR_IO, "no random bytes for the salt");
    return JB_ERR_IO;
  }
  int rc = argon2id_hash_encoded(PW_T_COST, PW_M_COST, PW_LANES, pw, n, salt, sizeof(salt), PW_HASH, out, outn);
  if (rc != ARGON2_OK) {
    jb_err_set(err, JB_ERR_INTERNAL, "password hashing failed: %s", argon2_error_message(rc));
    return JB_ERR_INTERNAL;
  }
  return JB_OK;
}

/* Runs one UPDATE/INSERT on the account table; `what` names it in errors. */
static jb_status account_write(jb_db *db, const char *sql, const char *a, const char *b, const char *c,
                               const char *what, jb_error *err) {
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, sql, &st, err)) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, a, -1, SQLITE_STATIC);
  if (b) sqlite3_bind_text(st, 2, b, -1, SQLITE_STATIC);
  if (c) sqlite3_bind_text(st, 3, c, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  if (rc == SQLITE_CONSTRAINT) {
    jb_err_set(err, JB_ERR_INVALID, "user '%s' already exists", a);
    return JB_ERR_INVALID;
  }
  if (rc != SQLITE_DONE) return jb_err_db(err, db->db, rc, what);
  if (sqlite3_changes(db->db) == 0) {
    jb_err_set(err, JB_ERR_NOTFOUND, "no user '%s'", a);
    return JB_ERR_NOTFOUND;
  }
  return JB_OK;
}

jb_status jb_user_add(jb_db *db, const char *name, const char *role, const char *password, jb_error *err) {
  jb_status rc = check_name(name, err);
  if (rc) return rc;
  if (!jb_role_level(role)) {
    jb_err_set(err, JB_ERR_USAGE, "role: admin, staff or viewer, got '%s'", role ? role : "");
    return JB_ERR_USAGE;
  }
  char hash[256];
  if ((rc = hash_password(password, hash, sizeof(hash), err))) return rc;
  return account_write(db,
                       "INSERT INTO account(name, role, hash, disabled, created, updated)"
                       " VALUES(?1, ?2, ?3, 0, datetime('now'), datetime('now'))",
                       name, role, hash, "adding a user", err);
}

jb_status jb_user_passwd(jb_db *db, const char *name, const char *password, jb_error *err) {
  char hash[256];
  jb_status rc = hash_password(password, hash, sizeof(hash), err);
  if (rc) return rc;
  /* a new password also lifts a disable: that is how an account comes back */
  return account_write(db, "UPDATE account SET hash=?2, disabled=0, updated=datetime('now') WHERE name=?1", name,
                       hash, NULL, "changing a password", err);
}

jb_status jb_user_disable(jb_db *db, const char *name, jb_error *err) {
  return account_write(db, "UPDATE account SET disabled=1, updated=datetime('now') WHERE name=?1", name, NULL, NULL,
                       "disabling a user", err);
}

jb_status jb_user_list(jb_db *db, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "SELECT name, role, disabled, created, updated FROM account ORDER BY name", &st, err))
    return JB_ERR_DB;
  cJSON *out = cJSON_CreateArray();
  int got;
  while ((got = jb_step(st, "the user accounts", err)) > 0) {
    cJSON *u = cJSON_CreateObject();
    cJSON_AddStringToObject(u, "name", (const char *)sqlite3_column_text(st, 0));
    cJSON_AddStringToObject(u, "role", (const char *)sqlite3_column_text(st, 1));
    cJSON_AddBoolToObject(u, "disabled", sqlite3_column_int(st, 2));
    cJSON_AddStringToObject(u, "created", (const char *)sqlite3_column_text(st, 3));
    cJSON_AddStringToObject(u, "updated", (const char *)sqlite3_column_text(st, 4));
    cJSON_AddItemToArray(out, u);
  }
  sqlite3_finalize(st);
  if (got < 0) {
    cJSON_Delete(out);
    return (jb_status)-got;
  }
  *ppOut = out;
  return JB_OK;
}

jb_status jb_user_verify(jb_db *db, const char *name, const char *password, char role[16], jb_error *err) {
  role[0] = 0;
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "SELECT hash, role, disabled FROM account WHERE name=?1", &st, err)) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, name ? name : "", -1, SQLITE_STATIC);
  char *hash = NULL;
  int disabled = 1;
  /* a read error fails the login like a wrong password would, but says so */
  int got = jb_step(st, "the user account", err);
  if (got > 0) {
    hash = jb_strdup((const char *)sqlite3_column_text(st, 0));
    snprintf(role, 16, "%s", (const char *)sqlite3_column_text(st, 1));
    disabled = sqlite3_column_int(st, 2);
  }
  sqlite3_finalize(st);
  if (got < 0) return (jb_status)-got;
  size_t n = password ? strlen(password) : 0;
  int ok = 0;
  if (hash && n <= PW_MAX) {
    ok = argon2id_verify(hash, password, n) == ARGON2_OK;
  } else {
    /* an unknown name costs what a known one does: timing does not tell
    ** which names exist */
    char dummy[256];
    hash_password("not-a-password-0000", dummy, sizeof(dummy), NULL);
  }
  free(hash);
  if (!ok || disabled) {
    role[0] = 0;
    jb_err_set(err, JB_ERR_NOTFOUND, "wrong user name or password, or the account is disabled");
    return JB_ERR_NOTFOUND;
  }
  return JB_OK;
}

jb_status jb_audit_add(jb_db *db, const char *user, const char *op, const cJSON *detail, jb_error *err) {
  char *d = detail ? cJSON_PrintUnformatted(detail) : NULL;
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "INSERT INTO audit(at, user, op, detail) VALUES(strftime('%Y-%m-%dT%H:%M:%SZ','now'), ?1, ?2, ?3)",
                    &st, err)) {
    free(d);
    return JB_ERR_DB;
  }
  sqlite3_bind_text(st, 1, user, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, op, -1, SQLITE_STATIC);
  if (d) sqlite3_bind_text(st, 3, d, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  sqlite3_finalize(st);
  free(d);
  return rc == SQLITE_DONE ? JB_OK : jb_err_db(err, db->db, rc, "recording the change in the audit trail");
}

jb_status jb_audit_list(jb_db *db, int limit, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db, "SELECT at, user, op, detail FROM audit ORDER BY id DESC LIMIT ?1", &st, err))
    return JB_ERR_DB;
  sqlite3_bind_int(st, 1, limit > 0 ? limit : 100);
  cJSON *out = cJSON_CreateArray();
  int got;
  while ((got = jb_step(st, "the audit trail", err)) > 0) {
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "at", (const char *)sqlite3_column_text(st, 0));
    cJSON_AddStringToObject(a, "user", (const char *)sqlite3_column_text(st, 1));
    cJSON_AddStringToObject(a, "op", (const char *)sqlite3_column_text(st, 2));
    const char *d = (const char *)sqlite3_column_text(st, 3);
    cJSON *dj = d ? cJSON_Parse(d) : NULL;
    cJSON_AddItemToObject(a, "detail", dj ? dj : cJSON_CreateNull());
    cJSON_AddItemToArray(out, a);
  }
  sqlite3_finalize(st);
  if (got < 0) {
    cJSON_Delete(out);
    return (jb_status)-got;
  }
  *ppOut = out;
  return JB_OK;
}

jb_status jb_user_role(jb_db *db, const char *name, char role[16], jb_error *err) {
  role[0] = 0;
  sqlite3_stmt *st = jb_db_cached(db, "SELECT role FROM account WHERE name=?1 AND disabled=0", err);
  if (!st) return JB_ERR_DB;
  sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) snprintf(role, 16, "%s", (const char *)sqlite3_column_text(st, 0));
  jb_db_release(st);
  if (rc == SQLITE_ROW) return JB_OK;
  if (rc != SQLITE_DONE) return jb_err_db(err, db->db, rc, "reading an account");
  jb_err_set(err, JB_ERR_NOTFOUND, "no enabled user '%s'", name);
  return JB_ERR_NOTFOUND;
}
