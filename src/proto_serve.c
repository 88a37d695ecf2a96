/*
** proto_serve.c — the JSON protocol: one request object per line in, one
** response object per line out.
**
**   {"id":1, "op":"search", "query":"油茶"}
**   -> {"id":1, "ok":true, "result":{...}}
**   -> {"id":1, "ok":false, "error":{"code":"invalid", "message":"..."}}
**
** A malformed line gets an error response with "id":null and the stream
** goes on. Every op takes the same parameters as the CLI command of the
** same name; limits (k, query length, records per import) bound each
** request's memory and time.
*/
#include "jb_int.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_IMPORT_RECORDS 10000 /* per request: bigger loads go through files */

typedef cJSON *(*op_fn)(jb_db *db, const cJSON *req, jb_error *err);

static cJSON *error_response(const cJSON *id, jb_status code, const char *message) {
  cJSON *r = cJSON_CreateObject();
  if (!r) return NULL;
  cJSON_AddItemToObject(r, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
  cJSON_AddBoolToObject(r, "ok", 0);
  cJSON *e = cJSON_AddObjectToObject(r, "error");
  cJSON_AddStringToObject(e, "code", jb_status_name(code));
  cJSON_AddStringToObject(e, "message", message);
  return r;
}

/* Parameter readers: absent gives the default; a wrong type is an error. */
static int str_param(const cJSON *req, const char *name, const char **out, jb_error *err) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(req, name);
  if (!j || cJSON_IsNull(j)) return 0;
  if (!cJSON_IsString(j)) {
    jb_err_set(err, JB_ERR_USAGE, "parameter '%s' must be a string", name);
    return -1;
  }
  if (jb_utf8_invalid_at(j->valuestring, strlen(j->valuestring)) >= 0) {
    jb_err_set(err, JB_ERR_PARSE, "parameter '%s' is not valid UTF-8", name);
    return -1;
  }
  *out = j->valuestring;
  return 0;
}

static int int_param(const cJSON *req, const char *name, int lo, int hi, int *out, jb_error *err) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(req, name);
  if (!j || cJSON_IsNull(j)) return 0;
  if (!cJSON_IsNumber(j) || j->valuedouble != floor(j->valuedouble) || j->valuedouble < lo ||
      j->valuedouble > hi) {
    jb_err_set(err, JB_ERR_LIMIT, "parameter '%s' must be a whole number %d..%d", name, lo, hi);
    return -1;
  }
  *out = (int)j->valuedouble;
  return 0;
}

static cJSON *op_search(jb_db *db, const cJSON *req, jb_error *err) {
  jb_search_opts o = {0};
  int k = 10;
  if (str_param(req, "query", &o.query, err) || str_param(req, "type", &o.type, err) ||
      int_param(req, "k", 1, JB_MAX_K, &k, err))
    return NULL;
  if (!o.query) {
    jb_err_set(err, JB_ERR_USAGE, "search needs \"query\"");
    return NULL;
  }
  o.k = k;
  cJSON *out = NULL;
  jb_search(db, &o, &out, err);
  return out;
}

static cJSON *op_get(jb_db *db, const cJSON *req, jb_error *err) {
  const char *type = NULL, *id = NULL;
  if (str_param(req, "type", &type, err) || str_param(req, "record", &id, err)) return NULL;
  if (!type || !id) {
    jb_err_set(err, JB_ERR_USAGE, "get needs \"type\" and \"record\" (the record's id)");
    return NULL;
  }
  const cJSON *wc = cJSON_GetObjectItemCaseSensitive(req, "with_contacts");
  cJSON *out = NULL;
  jb_db_get(db, type, id, cJSON_IsTrue(wc), &out, err);
  return out;
}

static cJSON *op_stats(jb_db *db, const cJSON *req, jb_error *err) {
  cJSON *out = NULL;
  jb_db_stats(db, &out, err);
  return out;
}

#define MAX_CHANGES_LISTED 1000 /* per-record lines of an import's answer */

static void collect_change(void *ctx, const char *type, const char *id, long line, int change) {
  cJSON *arr = cJSON_GetObjectItemCaseSensitive((cJSON *)ctx, "changes");
  if (!change || cJSON_GetArraySize(arr) >= MAX_CHANGES_LISTED) return;
  cJSON *c = cJSON_CreateObject();
  cJSON_AddNumberToObject(c, "line", (double)line);
  cJSON_AddStringToObject(c, "type", type);
  cJSON_AddStringToObject(c, "id", id);
  cJSON_AddStringToObject(c, "change", change == 1 ? "insert" : "update");
  cJSON_AddItemToArray(arr, c);
}

/* Each bad record's message names its line and field ("x.csv:7: title: ..."). */
static void collect_error(void *ctx, const jb_error *e) {
  cJSON *arr = cJSON_GetObjectItemCaseSensitive((cJSON *)ctx, "errors");
  if (cJSON_GetArraySize(arr) < 100) cJSON_AddItemToArray(arr, cJSON_CreateString(e->message));
}

static void write_flags(const cJSON *req, jb_import_opts *o) {
  o->replace = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "replace"));
  o->force = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "force"));
  o->dry_run = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "dry_run"));
  if (o->dry_run) o->changes = cJSON_CreateArray();
}

/* The counts of an import or set; a dry run's changes; the change set. */
static cJSON *import_result(const jb_import_stats *st, jb_import_opts *o) {
  cJSON *out = cJSON_CreateObject();
  cJSON_AddNumberToObject(out, "read", (double)st->read);
  cJSON_AddNumberToObject(out, "inserted", (double)st->inserted);
  cJSON_AddNumberToObject(out, "updated", (double)st->updated);
  cJSON_AddNumberToObject(out, "unchanged", (double)st->unchanged);
  cJSON_AddNumberToObject(out, "invalid", (double)st->invalid);
  if (st->last_change) cJSON_AddNumberToObject(out, "change", (double)st->last_change);
  if (o->dry_run) {
    cJSON_AddItemToObject(out, "changes", o->changes);
    o->changes = NULL;
  }
  return out;
}

/* The record's key parameters (as in the CLI) into one history key. */
static int history_key(jb_db *db, const cJSON *req, const char **type, char **key, jb_error *err) {
  const char *p[3] = {NULL, NULL, NULL};
  if (str_param(req, "type", type, err) || str_param(req, "record", &p[0], err)) return -1;
  int n = 0;
  if (*type && (!strcmp(*type, "conflict") || !strcmp(*type, "collaboration"))) {
    if (str_param(req, "expert", &p[0], err) || str_param(req, "org", &p[1], err)) return -1;
    n = 2;
  } else if (*type && !strcmp(*type, "outcome")) {
    if (str_param(req, "need", &p[0], err) || str_param(req, "candidate", &p[1], err)) return -1;
    n = 2;
  } else {
    n = 1;
  }
  for (int i = 0; i < n; i++)
    if (!p[i]) {
      jb_err_set(err, JB_ERR_USAGE, "give \"type\" and the record's key: \"record\" (an id); \"expert\" and "
                                    "\"org\" for a relation; \"need\" and \"candidate\" for an outcome");
      return -1;
    }
  *key = jb_history_key(db, *type, p, n, err);
  return *key ? 0 : -1;
}

/* Builds the one-record patch and imports it: the same path as import. */
static cJSON *set_record(jb_db *db, const cJSON *req, const char *type, const cJSON *fields, jb_error *err) {
  cJSON *rec = cJSON_CreateObject(), *arr = cJSON_CreateArray();
  cJSON_AddStringToObject(rec, "type", type);
  /* the key first, as a record is written, then the fields */
  static const char *const keys[] = {"record", "need", "expert", "achievement", "org", "state"};
  for (int i = 0; i < JB_ARRAY_LEN(keys); i++) {
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(req, keys[i]);
    if (k) cJSON_AddItemToObject(rec, i == 0 ? "id" : keys[i], cJSON_Duplicate(k, 1));
  }
  const cJSON *j;
  cJSON_ArrayForEach(j, fields) {
    if (cJSON_GetObjectItemCaseSensitive(rec, j->string)) cJSON_DeleteItemFromObjectCaseSensitive(rec, j->string);
    cJSON_AddItemToObject(rec, j->string, cJSON_Duplicate(j, 1));
  }
  cJSON_AddItemToArray(arr, rec);
  jb_import_opts o = {0};
  write_flags(req, &o);
  jb_import_stats st = {0};
  cJSON *out = NULL;
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(rec, "id");
  cJSON *got = NULL;
  if (strcmp(type, "outcome") && cJSON_IsString(id) && jb_db_get(db, type, id->valuestring, 0, &got, err)) {
    /* set changes a stored record; import adds new ones */
  } else if (!jb_import_json(db, arr, "set", &o, &st, err)) {
    out = import_result(&st, &o);
  }
  cJSON_Delete(got);
  cJSON_Delete(o.changes);
  cJSON_Delete(arr);
  return out;
}

/* Records inline ("records": [...]) or a file's contents ("text" with its
** file "name", which says CSV or JSON Lines). "dry_run" validates and
** reports what would change, then stores nothing. */
static cJSON *op_import(jb_db *db, const cJSON *req, jb_error *err) {
  const cJSON *records = cJSON_GetObjectItemCaseSensitive(req, "records");
  const char *text = NULL, *name = NULL;
  jb_import_opts o = {0};
  if (str_param(req, "text", &text, err) || str_param(req, "name", &name, err) ||
      str_param(req, "type", &o.type, err) || str_param(req, "encoding", &o.encoding, err))
    return NULL;
  if (!cJSON_IsArray(records) == !text) {
    jb_err_set(err, JB_ERR_USAGE, "import needs \"records\" (a list of record objects) or \"text\" (a file's contents)");
    return NULL;
  }
  if (records && cJSON_GetArraySize(records) > MAX_IMPORT_RECORDS) {
    jb_err_set(err, JB_ERR_LIMIT, "at most %d records per import request; import a file instead",
               MAX_IMPORT_RECORDS);
    return NULL;
  }
  o.skip_invalid = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "skip_invalid"));
  write_flags(req, &o); /* replace, force, dry_run (with the field-by-field diff) */
  /* a preview goes past bad records to list them all: it stores nothing */
  if (o.dry_run) o.skip_invalid = 1;
  /* the lists are filled as the import goes; the counts go first when done */
  cJSON *out = cJSON_CreateObject();
  cJSON_AddArrayToObject(out, "errors");
  cJSON_AddArrayToObject(out, "changes");
  o.on_error = collect_error;
  o.on_record = collect_change;
  o.ctx = out;
  jb_import_stats st = {0};
  jb_status rc = text ? jb_import_text(db, name ? name : "upload.jsonl", text, strlen(text), &o, &st, err)
                      : jb_import_json(db, records, "records", &o, &st, err);
  int bad_data = rc == JB_ERR_INVALID || rc == JB_ERR_PARSE || rc == JB_ERR_LIMIT || rc == JB_ERR_NOTFOUND;
  /* a dry run answers with every bad record; a real import fails on one */
  if (rc && !((o.skip_invalid || o.dry_run) && bad_data)) {
    cJSON_Delete(out);
    cJSON_Delete(o.changes);
    return NULL;
  }
  jb_error_clear(err);
  cJSON *res = cJSON_CreateObject();
  cJSON_AddNumberToObject(res, "read", (double)st.read);
  cJSON_AddNumberToObject(res, "inserted", (double)st.inserted);
  cJSON_AddNumberToObject(res, "updated", (double)st.updated);
  cJSON_AddNumberToObject(res, "unchanged", (double)st.unchanged);
  cJSON_AddNumberToObject(res, "invalid", (double)st.invalid);
  cJSON_AddItemToObject(res, "errors", cJSON_DetachItemFromObject(out, "errors"));
  cJSON_AddItemToObject(res, "changes", cJSON_DetachItemFromObject(out, "changes"));
  if (o.dry_run) cJSON_AddTrueToObject(res, "dry_run");
  /* the change set made (for undo), or a dry run's field: old -> new */
  if (st.last_change) cJSON_AddNumberToObject(res, "change", (double)st.last_change);
  if (o.changes) cJSON_AddItemToObject(res, "diff", o.changes);
  cJSON_Delete(out);
  return res;
}

/* set and outcome: {"type","record"|key fields,"fields":{name: value}}, a
** patch through the import path (values as JSON, null clears). */
static cJSON *op_set(jb_db *db, const cJSON *req, jb_error *err) {
  const char *type = NULL;
  if (str_param(req, "type", &type, err)) return NULL;
  const cJSON *fields = cJSON_GetObjectItemCaseSensitive(req, "fields");
  if (!type || !cJSON_IsObject(fields)) {
    jb_err_set(err, JB_ERR_USAGE, "set needs \"type\", the record's key (\"record\": id, or \"expert\" and "
                                  "\"org\") and \"fields\": {name: value}");
    return NULL;
  }
  return set_record(db, req, type, fields, err);
}

static cJSON *op_outcome(jb_db *db, const cJSON *req, jb_error *err) {
  const cJSON *fields = cJSON_GetObjectItemCaseSensitive(req, "fields");
  if (fields && !cJSON_IsObject(fields)) {
    jb_err_set(err, JB_ERR_USAGE, "\"fields\" must be an object");
    return NULL;
  }
  return set_record(db, req, "outcome", fields, err);
}

/* The outcomes of one need: what its page shows beside each candidate. */
static cJSON *op_outcomes(jb_db *db, const cJSON *req, jb_error *err) {
  const char *need = NULL;
  if (str_param(req, "need", &need, err)) return NULL;
  if (!need) {
    jb_err_set(err, JB_ERR_USAGE, "outcomes needs \"need\": a need id");
    return NULL;
  }
  cJSON *out = NULL;
  jb_outcomes_of_need(db, need, &out, err);
  return out;
}

/* `report progress` as JSON: the year's targets from the bundled work plan
** (no file from the request: a client names no path on the server). */
static cJSON *op_progress(jb_db *db, const cJSON *req, jb_error *err) {
  jb_progress_opts o = {0};
  if (int_param(req, "year", 1900, 2200, &o.year, err) || str_param(req, "as_of", &o.as_of, err) ||
      int_param(req, "stale_days", 1, 3650, &o.stale_days, err))
    return NULL;
  if (o.as_of && (strlen(o.as_of) != 10 || !jb_date_valid(o.as_of))) {
    jb_err_set(err, JB_ERR_USAGE, "as_of is a date, YYYY-MM-DD: '%s' is not one", o.as_of);
    return NULL;
  }
  cJSON *out = NULL;
  jb_progress(db, &o, &out, err);
  cJSON_DeleteItemFromObjectCaseSensitive(out, "targets_file"); /* nor learns one */
  return out;
}

static cJSON *op_history(jb_db *db, const cJSON *req, jb_error *err) {
  char *key = NULL;
  const char *type = NULL;
  if (history_key(db, req, &type, &key, err)) return NULL;
  cJSON *out = NULL;
  jb_history(db, type, key, &out, err);
  free(key);
  return out;
}

static cJSON *op_revert(jb_db *db, const cJSON *req, jb_error *err) {
  char *key = NULL;
  const char *type = NULL;
  int version = 0;
  if (int_param(req, "to", 1, 1 << 30, &version, err) || history_key(db, req, &type, &key, err)) return NULL;
  cJSON *out = NULL;
  if (!version) jb_err_set(err, JB_ERR_USAGE, "revert needs \"to\": a version number");
  else jb_revert(db, type, key, version, &out, err);
  free(key);
  return out;
}

static cJSON *op_delete(jb_db *db, const cJSON *req, jb_error *err) {
  char *key = NULL;
  const char *type = NULL;
  if (history_key(db, req, &type, &key, err)) return NULL;
  cJSON *out = NULL;
  jb_delete(db, type, key, &out, err);
  free(key);
  return out;
}

static cJSON *op_undo(jb_db *db, const cJSON *req, jb_error *err) {
  int change = 0;
  if (int_param(req, "change", 1, 2147483647, &change, err)) return NULL;
  if (!change) {
    jb_err_set(err, JB_ERR_USAGE, "undo needs \"change\": a change set id");
    return NULL;
  }
  cJSON *out = NULL;
  jb_undo(db, change, &out, err);
  return out;
}

static cJSON *op_changes(jb_db *db, const cJSON *req, jb_error *err) {
  int n = 20;
  if (int_param(req, "n", 1, JB_MAX_K, &n, err)) return NULL;
  cJSON *out = NULL;
  jb_changes(db, n, &out, err);
  return out;
}

static cJSON *op_match(jb_db *db, const cJSON *req, jb_error *err) {
  jb_match_opts o = {0};
  int k = 10;
  if (str_param(req, "need", &o.need_id, err) || str_param(req, "text", &o.text, err) ||
      str_param(req, "expert", &o.expert_id, err) ||
      str_param(req, "achievement", &o.achievement_id, err) ||
      str_param(req, "type", &o.type, err) || str_param(req, "why_not", &o.why_not, err) ||
      int_param(req, "k", 1, JB_MAX_K, &k, err))
    return NULL;
  if (o.text && strlen(o.text) > JB_MAX_FIELD_BYTES) {
    jb_err_set(err, JB_ERR_LIMIT, "text is longer than %d bytes", JB_MAX_FIELD_BYTES);
    return NULL;
  }
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(req, "weights");
  if (w && !cJSON_IsNull(w)) {
    if (!cJSON_IsObject(w)) {
      jb_err_set(err, JB_ERR_USAGE, "\"weights\" must be an object of name: number");
      return NULL;
    }
    o.weights = w;
  }
  o.k = k;
  o.explain = 1;
  cJSON *out = NULL;
  jb_match(db, &o, &out, err);
  return out;
}

static int num_param(const cJSON *req, const char *name, double lo, double hi, double *out, jb_error *err) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(req, name);
  if (!j || cJSON_IsNull(j)) return 0;
  if (!cJSON_IsNumber(j) || !isfinite(j->valuedouble) || j->valuedouble < lo || j->valuedouble > hi) {
    jb_err_set(err, JB_ERR_USAGE, "parameter '%s' must be a number %g..%g", name, lo, hi);
    return -1;
  }
  *out = j->valuedouble;
  return 0;
}

typedef jb_status (*render_fn)(const cJSON *obj, const char *format, FILE *out, jb_error *err);

/* A result in another format than JSON comes back as one string:
** {"format", "text"}. Takes ownership of obj. */
static cJSON *as_text(cJSON *obj, const char *format, render_fn render, jb_error *err) {
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  jb_status rc = f ? render(obj, format, f, err) : JB_ERR_NOMEM;
  if (f) fclose(f);
  cJSON_Delete(obj);
  cJSON *out = NULL;
  if (!rc) {
    out = cJSON_CreateObject();
    cJSON_AddStringToObject(out, "format", format);
    cJSON_AddStringToObject(out, "text", buf ? buf : "");
  }
  free(buf);
  return out;
}

static cJSON *op_assign(jb_db *db, const cJSON *req, jb_error *err) {
  jb_assign_opts o = {0};
  o.min_score = -1;
  double ms = -1;
  /* No file names over the protocol: its client is not the server's user,
  ** and a path would let it read any file the server can (an error quotes
  ** the line it stopped at) or hang it on /dev/zero. Files are the CLI's. */
  static const char *const file_params[] = {"needs_file", "fix_file", "forbid_file", "capacities_file"};
  for (int i = 0; i < JB_ARRAY_LEN(file_params); i++)
    if (cJSON_GetObjectItemCaseSensitive(req, file_params[i])) {
      jb_err_set(err, JB_ERR_USAGE, "'%s' names a file on the server: not accepted over the protocol",
                 file_params[i]);
      return NULL;
    }
  if (str_param(req, "list", &o.list, err) || str_param(req, "targets", &o.targets, err) ||
      str_param(req, "program", &o.program, err) || str_param(req, "region", &o.region, err) ||
      int_param(req, "capacity", 1, 100, &o.capacity, err) ||
      int_param(req, "candidates", 1, 1000, &o.candidates, err) || num_param(req, "min_score", 0, 100, &ms, err))
    return NULL;
  if (o.targets && strcmp(o.targets, "orgs") && strcmp(o.targets, "enterprises") && strcmp(o.targets, "chains")) {
    jb_err_set(err, JB_ERR_USAGE, "targets: \"orgs\" or \"chains\" (a targets file is the CLI's)");
    return NULL;
  }
  o.min_score = ms;
  o.open_needs = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "open"));
  o.fair = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "fair"));
  const cJSON *w = cJSON_GetObjectItemCaseSensitive(req, "weights");
  if (cJSON_IsObject(w)) o.weights = w;
  o.fix = cJSON_GetObjectItemCaseSensitive(req, "fix");
  o.forbid = cJSON_GetObjectItemCaseSensitive(req, "forbid");
  const char *format = "json";
  if (str_param(req, "format", &format, err)) return NULL;
  cJSON *out = NULL;
  if (jb_assign(db, &o, &out, err) || !strcmp(format, "json")) return out;
  return as_text(out, format, jb_assign_render, err);
}

static cJSON *op_demands(jb_db *db, const cJSON *req, jb_error *err) {
  jb_demand_opts o = {0};
  const char *format = "json";
  if (str_param(req, "chain", &o.chain, err) || str_param(req, "since", &o.since, err) ||
      str_param(req, "status", &o.status, err) || str_param(req, "org", &o.org, err) ||
      str_param(req, "format", &format, err) || int_param(req, "k", 1, 20, &o.k, err) ||
      int_param(req, "min_orgs", 1, 1000, &o.min_orgs, err) ||
      num_param(req, "duplicate", 0.01, 1, &o.dup_threshold, err) ||
      num_param(req, "common", 0.01, 1, &o.common_threshold, err))
    return NULL;
  o.with_contacts = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "with_contacts"));
  o.include_expired = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "include_expired"));
  cJSON *list = NULL;
  if (jb_demands(db, &o, &list, err)) return NULL;
  if (!strcmp(format, "json")) return list;
  return as_text(list, format, jb_demand_render, err);
}

static cJSON *op_check(jb_db *db, const cJSON *req, jb_error *err) {
  jb_check_opts o = {0};
  if (str_param(req, "need", &o.need_id, err)) return NULL;
  const cJSON *rec = cJSON_GetObjectItemCaseSensitive(req, "record");
  if (rec && !cJSON_IsNull(rec)) o.need = rec;
  o.all = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "all"));
  o.no_candidates = cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(req, "candidates"));
  cJSON *out = NULL;
  jb_check(db, &o, &out, err);
  return out;
}

static cJSON *op_needs(jb_db *db, const cJSON *req, jb_error *err) {
  jb_need_list_opts o = {0};
  if (str_param(req, "query", &o.query, err) || str_param(req, "status", &o.status, err) ||
      str_param(req, "chain", &o.chain, err) || str_param(req, "org", &o.org, err) ||
      str_param(req, "list", &o.list, err) || str_param(req, "deadline_from", &o.deadline_from, err) ||
      str_param(req, "deadline_to", &o.deadline_to, err))
    return NULL;
  if (o.query && strlen(o.query) > JB_MAX_QUERY_BYTES) {
    jb_err_set(err, JB_ERR_LIMIT, "query is longer than %d bytes", JB_MAX_QUERY_BYTES);
    return NULL;
  }
  cJSON *out = NULL;
  if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "facets"))) jb_need_facets(db, &out, err);
  else jb_need_list(db, &o, &out, err);
  return out;
}

static cJSON *op_dashboard(jb_db *db, const cJSON *req, jb_error *err) {
  const char *as_of = NULL;
  if (str_param(req, "as_of", &as_of, err)) return NULL;
  cJSON *out = NULL;
  jb_dashboard(db, as_of, &out, err);
  return out;
}

static cJSON *op_ops(jb_db *db, const cJSON *req, jb_error *err);

/* `writes` marks the ops that change data: the web workbench lets only
** staff and admins call them, and records who did. */
static const struct {
  const char *name;
  op_fn fn;
  int writes;
  const char *summary;
} ops[] = {
    {"search", op_search, 0, "full-text search: query, type?, k?"},
    {"match", op_match, 0, "rank supply for a need: need | text | expert | achievement, type?, k?, why_not?, weights?"},
    {"assign", op_assign, 0,
     "揭榜挂帅 proposal: list | open | targets, fair?, min_score?, capacity?, program?, region?, fix?, forbid?, "
     "format? (json, csv, md)"},
    {"demands", op_demands, 0, "demand list: chain?, since?, status?, org?, k?, format? (json, csv, md, html)"},
    {"check", op_check, 0, "intake quality: need (id) | record (a need object) | all; candidates? (false: no top_candidates)"},
    {"get", op_get, 0, "one record: type, record"},
    {"needs", op_needs, 0, "list needs: query?, status?, chain?, org?, list?, deadline_from?, deadline_to?; facets?"},
    {"dashboard", op_dashboard, 0, "what needs attention today: as_of?"},
    {"import", op_import, 1,
     "store records (a stored record is patched): records[] | text + name (a file's contents), skip_invalid?, "
     "dry_run? (diff: field old -> new), type?, replace?, force?"},
    {"set", op_set, 1, "change a record's fields: type, record (or expert+org), fields{}, dry_run?"},
    {"outcome", op_outcome, 1, "record how a pairing went: need, expert|achievement|org, state, fields{}?, force?, dry_run?"},
    {"outcomes", op_outcomes, 0, "the outcomes recorded for a need: need"},
    {"progress", op_progress, 0, "report progress (json): the year's work-plan targets against the records: year?, as_of?, stale_days?"},
    {"history", op_history, 0, "every version of a record: type, record (or expert+org, need+candidate)"},
    {"revert", op_revert, 1, "make a version current again: type, record ..., to"},
    {"delete", op_delete, 1, "delete a record (reversible): type, record ..."},
    {"undo", op_undo, 1, "reverse a change set: change"},
    {"changes", op_changes, 0, "the latest change sets: n?"},
    {"stats", op_stats, 0, "counts and index state"},
    {"ops", op_ops, 0, "this list"},
};

int jb_serve_op_writes(const char *op) {
  for (int i = 0; op && i < JB_ARRAY_LEN(ops); i++)
    if (!strcmp(ops[i].name, op)) return ops[i].writes;
  return -1;
}

static cJSON *op_ops(jb_db *db, const cJSON *req, jb_error *err) {
  cJSON *out = cJSON_CreateObject();
  for (int i = 0; i < JB_ARRAY_LEN(ops); i++) cJSON_AddStringToObject(out, ops[i].name, ops[i].summary);
  return out;
}

cJSON *jb_serve_line(jb_db *db, const char *line, size_t n) {
  if (jb_utf8_invalid_at(line, n) >= 0)
    return error_response(NULL, JB_ERR_PARSE, "request is not valid UTF-8");
  if (memchr(line, 0, n)) return error_response(NULL, JB_ERR_PARSE, "NUL byte in the request");
  if (jb_json_nul_escape_at(line, n) >= 0)
    return error_response(NULL, JB_ERR_PARSE, "\\u0000 (NUL) in a string is not allowed");
  const char *end = NULL;
  cJSON *req = cJSON_ParseWithLengthOpts(line, n, &end, 0);
  if (!req) return error_response(NULL, JB_ERR_PARSE, "malformed JSON request");
  while (end && end < line + n && (*end == ' ' || *end == '\t' || *end == '\r')) end++;
  if (end != line + n) {
    cJSON_Delete(req);
    return error_response(NULL, JB_ERR_PARSE, "one JSON object per line");
  }
  cJSON *resp = jb_serve_request(db, req);
  cJSON_Delete(req);
  return resp;
}

cJSON *jb_serve_request(jb_db *db, const cJSON *req) {
  if (!cJSON_IsObject(req)) return error_response(NULL, JB_ERR_USAGE, "a request is a JSON object with \"op\"");
  const char *dup = jb_json_duplicate_key(req);
  if (dup) {
    /* which of the two values was meant? (imported records too) */
    char msg[200];
    snprintf(msg, sizeof(msg), "key '%.120s' appears twice in one object", dup);
    return error_response(cJSON_GetObjectItemCaseSensitive(req, "id"), JB_ERR_PARSE, msg);
  }
  const cJSON *id = cJSON_GetObjectItemCaseSensitive(req, "id");
  const cJSON *op = cJSON_GetObjectItemCaseSensitive(req, "op");
  cJSON *resp = NULL;
  if (!cJSON_IsString(op)) {
    resp = error_response(id, JB_ERR_USAGE, "missing \"op\" (try {\"op\":\"ops\"})");
  } else {
    int i = 0;
    while (i < JB_ARRAY_LEN(ops) && strcmp(ops[i].name, op->valuestring)) i++;
    if (i == JB_ARRAY_LEN(ops)) {
      resp = error_response(id, JB_ERR_USAGE, "unknown op (try {\"op\":\"ops\"})");
    } else {
      jb_error err;
      jb_error_clear(&err);
      /* the person behind a request, recorded with what it changes */
      const cJSON *user = cJSON_GetObjectItemCaseSensitive(req, "user");
      char cmd[64];
      snprintf(cmd, sizeof(cmd), "serve %s", ops[i].name);
      jb_db_set_actor(db, cJSON_IsString(user) && *user->valuestring ? user->valuestring : NULL, cmd);
      cJSON *result = ops[i].fn(db, req, &err);
      if (!result) {
        resp = error_response(id, err.code ? err.code : JB_ERR_INTERNAL,
                              err.message[0] ? err.message : "failed");
      } else {
        resp = cJSON_CreateObject();
        cJSON_AddItemToObject(resp, "id", id ? cJSON_Duplicate(id, 1) : cJSON_CreateNull());
        cJSON_AddBoolToObject(resp, "ok", 1);
        cJSON_AddItemToObject(resp, "result", result);
      }
    }
  }
  return resp;
}
