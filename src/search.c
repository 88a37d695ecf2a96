/*
** search.c — full-text search: turning any user text into a safe FTS5 query
** (with lexicon synonyms), ranking with field-weighted BM25, and snippets.
**
** User text never reaches FTS5 as syntax: every phrase is quoted with its
** quotes doubled, so "C++", "3D-printing", AND, OR, NOT, '*' and '"' are
** just text. A query is split into phrases where the text has separators;
** a lexicon term or synonym (longest match) becomes an OR group of its
** members, so 增材制造 also finds 3D打印 and "additive manufacturing".
** Phrases are AND-ed; when that finds nothing, they are OR-ed (mode "any").
*/
#include "jb_int.h"
#include <stdlib.h>
#include <string.h>

/* Field weights for bm25(): a match in a title or keyword list says more
** about what a record is than one in its body text. */
#define W_TITLE 4.0
#define W_KEYWORDS 2.5
#define W_BODY 1.0
/* Groups beyond this are dropped: a pasted page is not a query. */
#define MAX_GROUPS 32

typedef struct qtok {
  char *norm;
  int start, end;
} qtok;

typedef struct qtoks {
  qtok *v;
  int n, cap;
  int oom;
} qtoks;

static int collect_cb(void *ctx, int tflags, const char *tok, int ntok, int s, int e) {
  qtoks *q = ctx;
  if (q->n == q->cap) {
    int cap = q->cap ? q->cap * 2 : 32;
    qtok *v = realloc(q->v, sizeof(*v) * (size_t)cap);
    if (!v) { q->oom = 1; return 1; }
    q->v = v;
    q->cap = cap;
  }
  q->v[q->n].norm = jb_strndup(tok, (size_t)ntok);
  if (!q->v[q->n].norm) { q->oom = 1; return 1; }
  q->v[q->n].start = s;
  q->v[q->n].end = e;
  q->n++;
  return 0;
}

static void qtoks_free(qtoks *q) {
  for (int i = 0; i < q->n; i++) free(q->v[i].norm);
  free(q->v);
}

static int add_group(jb_query *q) {
  struct jb_qgroup *g = realloc(q->groups, sizeof(*g) * (size_t)(q->ngroups + 1));
  if (!g) return -1;
  q->groups = g;
  memset(&q->groups[q->ngroups], 0, sizeof(*g));
  q->ngroups++;
  return 0;
}

static int add_alt(struct jb_qgroup *g, const char *s, size_t n) {
  for (int i = 0; i < g->nalts; i++)
    if (strlen(g->alts[i]) == n && !strncmp(g->alts[i], s, n)) return 0;
  char **a = realloc(g->alts, sizeof(char *) * (size_t)(g->nalts + 1));
  if (!a) return -1;
  g->alts = a;
  if (!(g->alts[g->nalts] = jb_strndup(s, n))) return -1;
  g->nalts++;
  return 0;
}

void jb_query_clear(jb_query *q) {
  for (int i = 0; i < q->ngroups; i++) {
    for (int j = 0; j < q->groups[i].nalts; j++) free(q->groups[i].alts[j]);
    free(q->groups[i].alts);
  }
  free(q->groups);
  memset(q, 0, sizeof(*q));
}

jb_status jb_query_parse(jb_db *db, const char *text, jb_query *q, jb_error *err) {
  memset(q, 0, sizeof(*q));
  size_t n = strlen(text);
  if (n > JB_MAX_QUERY_BYTES) {
    jb_err_set(err, JB_ERR_LIMIT, "query is %zu bytes; the limit is %d", n, JB_MAX_QUERY_BYTES);
    return JB_ERR_LIMIT;
  }
  if (jb_utf8_invalid_at(text, n) >= 0) {
    jb_err_set(err, JB_ERR_PARSE, "query is not valid UTF-8");
    return JB_ERR_PARSE;
  }
  qtoks t = {0};
  jb_tokenize(db->tok, JB_TOKENIZE_QUERY, text, (int)n, &t, collect_cb);
  if (t.oom) {
    qtoks_free(&t);
    jb_err_set(err, JB_ERR_NOMEM, "out of memory parsing the query");
    return JB_ERR_NOMEM;
  }
  char **norms = malloc(sizeof(char *) * (size_t)(t.n ? t.n : 1));
  if (!norms) {
    qtoks_free(&t);
    return JB_ERR_NOMEM;
  }
  for (int i = 0; i < t.n; i++) norms[i] = t.v[i].norm;
  int i = 0, oom = 0;
  while (i < t.n && q->ngroups < MAX_GROUPS && !oom) {
    char *key = NULL;
    int len = jb_lexicon_longest(db->lex, norms, t.n, i, &key);
    if (add_group(q)) { oom = 1; break; }
    struct jb_qgroup *g = &q->groups[q->ngroups - 1];
    if (len > 0) {
      const char *const *members = NULL;
      int nm = jb_lexicon_synonyms(db->lex, key, &members);
      /* the user's own spelling first, then the group's */
      oom |= add_alt(g, text + t.v[i].start, (size_t)(t.v[i + len - 1].end - t.v[i].start));
      for (int m = 0; m < nm && !oom; m++) oom |= add_alt(g, members[m], strlen(members[m]));
      free(key);
      i += len;
      continue;
    }
    /* a phrase: tokens that touch in the text, up to where a lexicon entry starts */
    int j = i + 1;
    while (j < t.n && t.v[j].start <= t.v[j - 1].end &&
           !jb_lexicon_longest(db->lex, norms, t.n, j, NULL))
      j++;
    oom |= add_alt(g, text + t.v[i].start, (size_t)(t.v[j - 1].end - t.v[i].start));
    i = j;
  }
  free(norms);
  qtoks_free(&t);
  if (oom) {
    jb_query_clear(q);
    jb_err_set(err, JB_ERR_NOMEM, "out of memory parsing the query");
    return JB_ERR_NOMEM;
  }
  return JB_OK;
}

static void quote_phrase(jb_buf *out, const char *s) {
  jb_buf_addc(out, '"');
  for (; *s; s++) {
    if (*s == '"') jb_buf_addc(out, '"');
    jb_buf_addc(out, *s);
  }
  jb_buf_addc(out, '"');
}

int jb_query_fts(const jb_query *q, int any, jb_buf *out) {
  jb_buf_reset(out);
  for (int i = 0; i < q->ngroups; i++) {
    if (i) jb_buf_adds(out, any ? " OR " : " AND ");
    jb_buf_addc(out, '(');
    for (int j = 0; j < q->groups[i].nalts; j++) {
      if (j) jb_buf_adds(out, " OR ");
      quote_phrase(out, q->groups[i].alts[j]);
    }
    jb_buf_addc(out, ')');
  }
  jb_buf_str(out);
  return out->oom ? -1 : 0;
}

static const char *kind_filter(const char *type, jb_error *err, int *bad) {
  *bad = 0;
  if (!type || !*type) return "";
  if (!strcmp(type, "need")) return " AND s.kind IN ('need','need_file')";
  if (!strcmp(type, "expert")) return " AND s.kind IN ('expert','evidence','evidence_file')";
  if (!strcmp(type, "achievement")) return " AND s.kind IN ('achievement','achievement_file')";
  if (!strcmp(type, "org")) return " AND s.kind='org'";
  *bad = 1;
  jb_err_set(err, JB_ERR_USAGE, "unknown --type '%s' (need, expert, achievement, org)", type);
  return NULL;
}

/* Display name of a result: an org's or expert's name, a need's title, in
** *out (NULL when the record has none). Returns SQLite's result: anything
** but SQLITE_ROW or SQLITE_DONE is a read error. */
static int display_name(jb_db *db, const char *kind, const char *ref, char **out) {
  const char *sql = !strcmp(kind, "org") ? "SELECT name FROM org WHERE id=?1"
                  : !strcmp(kind, "need") ? "SELECT title FROM need WHERE id=?1"
                  : !strcmp(kind, "achievement") ? "SELECT title FROM achievement WHERE id=?1"
                  : "SELECT coalesce(name, id) FROM expert WHERE id=?1";
  sqlite3_stmt *st = NULL;
  *out = NULL;
  int rc = sqlite3_prepare_v2(db->db, sql, -1, &st, NULL);
  if (rc) return rc;
  sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
  rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *out = jb_strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return rc;
}

static int run_search(jb_db *db, const char *fts, const char *filter, int limit,
                      const char *mo, const char *mc, int k, cJSON *results, jb_error *err) {
  /* Ranking first, then highlights and snippets for the listed documents
  ** only: computed in the ranking query, they cost as much as the ranking
  ** for every matching document, listed or not. */
  jb_buf sql = {0};
  if (*filter)
    jb_buf_printf(&sql,
                  "SELECT s.kind, s.ref, s.sub, bm25(sdoc_fts, %g, %g, %g) AS r, s.rowid"
                  " FROM sdoc_fts JOIN sdoc s ON s.rowid = sdoc_fts.rowid"
                  " WHERE sdoc_fts MATCH ?1%s ORDER BY r, s.kind, s.ref LIMIT ?2",
                  W_TITLE, W_KEYWORDS, W_BODY, filter);
  else /* no filter on the kind: rank in the full-text index alone, then look
       ** up the listed rows (at 1M items, a lookup per matching row was most
       ** of a broad query's time) */
    jb_buf_printf(&sql,
                  "SELECT s.kind, s.ref, s.sub, t.r, s.rowid FROM"
                  " (SELECT rowid, bm25(sdoc_fts, %g, %g, %g) AS r FROM sdoc_fts"
                  "  WHERE sdoc_fts MATCH ?1 ORDER BY r, rowid LIMIT ?2) t"
                  " JOIN sdoc s ON s.rowid = t.rowid ORDER BY t.r, s.kind, s.ref",
                  W_TITLE, W_KEYWORDS, W_BODY);
  sqlite3_stmt *st = NULL, *sn = NULL;
  int rc = jb_db_prepare(db, jb_buf_str(&sql), &st, err);
  jb_buf_free(&sql);
  if (!rc)
    rc = jb_db_prepare(db,
                       "SELECT highlight(sdoc_fts, 0, ?2, ?3), snippet(sdoc_fts, 2, ?2, ?3, '…', 20),"
                       " snippet(sdoc_fts, 1, ?2, ?3, '…', 12) FROM sdoc_fts WHERE sdoc_fts MATCH ?1 AND rowid = ?4",
                       &sn, err);
  if (rc) {
    sqlite3_finalize(st);
    return -1;
  }
  sqlite3_bind_text(st, 1, fts, -1, SQLITE_STATIC);
  sqlite3_bind_int(st, 2, limit);
  sqlite3_bind_text(sn, 1, fts, -1, SQLITE_STATIC);
  sqlite3_bind_text(sn, 2, mo, -1, SQLITE_STATIC);
  sqlite3_bind_text(sn, 3, mc, -1, SQLITE_STATIC);
  int count = 0;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW && count < k) {
    const char *kind = (const char *)sqlite3_column_text(st, 0);
    const char *ref = (const char *)sqlite3_column_text(st, 1);
    /* an attached file's words belong to its record (kind "need_file" ...) */
    int file = strstr(kind, "_file") != NULL;
    const char *type = !strncmp(kind, "evidence", 8) ? "expert" : !strncmp(kind, "need", 4) ? "need"
                       : !strncmp(kind, "achievement", 11) ? "achievement" : kind;
    /* one result per record: the best-scoring document of an expert wins */
    int dup = 0;
    cJSON *prev;
    cJSON_ArrayForEach(prev, results) {
      if (!strcmp(cJSON_GetObjectItem(prev, "type")->valuestring, type) &&
          !strcmp(cJSON_GetObjectItem(prev, "id")->valuestring, ref)) {
        dup = 1;
        break;
      }
    }
    if (dup) continue;
    cJSON *r = cJSON_CreateObject();
    cJSON_AddStringToObject(r, "type", type);
    cJSON_AddStringToObject(r, "id", ref);
    char *name = NULL;
    int nrc = display_name(db, type, ref, &name);
    if (nrc != SQLITE_ROW && nrc != SQLITE_DONE) {
      cJSON_Delete(r);
      rc = nrc;
      break;
    }
    cJSON_AddStringToObject(r, "name", name ? name : ref);
    free(name);
    /* bm25() is smaller-is-better; show it as a positive relevance */
    cJSON_AddNumberToObject(r, "score", -sqlite3_column_double(st, 3));
    sqlite3_reset(sn);
    sqlite3_bind_int64(sn, 4, sqlite3_column_int64(st, 4));
    int src = sqlite3_step(sn);
    if (src != SQLITE_ROW) {
      cJSON_Delete(r);
      rc = src == SQLITE_DONE ? SQLITE_CORRUPT : src; /* ranked, then not found: the index is damaged */
      break;
    }
    const char *title = (const char *)sqlite3_column_text(sn, 0);
    const char *body = (const char *)sqlite3_column_text(sn, 1);
    const char *kw = (const char *)sqlite3_column_text(sn, 2);
    const char *field = "title";
    const char *snip = title;
    if (body && strstr(body, mo)) { field = "body"; snip = body; }
    else if (kw && strstr(kw, mo)) { field = "keywords"; snip = kw; }
    else if (!(title && strstr(title, mo)) && body && *body) { field = "body"; snip = body; }
    if (!strcmp(kind, "evidence")) {
      cJSON *ev = cJSON_AddObjectToObject(r, "evidence");
      cJSON_AddStringToObject(ev, "id", (const char *)sqlite3_column_text(st, 2));
      cJSON_AddStringToObject(ev, "title", title ? title : "");
      field = !strcmp(field, "title") ? "evidence title" : "evidence";
    } else if (file) {
      /* the title of a file's search document is the file's name */
      if (!strcmp(kind, "evidence_file")) {
        cJSON *ev = cJSON_AddObjectToObject(r, "evidence");
        cJSON_AddStringToObject(ev, "id", (const char *)sqlite3_column_text(st, 2));
      }
      field = "file";
      if (!(body && strstr(body, mo)) && title && strstr(title, mo)) snip = title;
      else snip = body;
      char *fname = title ? jb_strdup(title) : NULL; /* highlight marks stripped below */
      if (fname) {
        jb_buf plain = {0};
        size_t nmo = strlen(mo), nmc = strlen(mc);
        for (const char *q = fname; *q;) {
          if (nmo && !strncmp(q, mo, nmo)) q += nmo;
          else if (nmc && !strncmp(q, mc, nmc)) q += nmc;
          else jb_buf_addc(&plain, *q++);
        }
        cJSON_AddStringToObject(r, "file", jb_buf_str(&plain));
        jb_buf_free(&plain);
        free(fname);
      }
    }
    cJSON_AddStringToObject(r, "matched_in", field);
    cJSON_AddStringToObject(r, "snippet", snip ? snip : "");
    cJSON_AddItemToArray(results, r);
    count++;
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    jb_err_db(err, db->db, rc, "searching");
    sqlite3_finalize(st);
    sqlite3_finalize(sn);
    return -1;
  }
  sqlite3_finalize(st);
  sqlite3_finalize(sn);
  return count;
}

jb_status jb_search(jb_db *db, const jb_search_opts *opts, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  int k = opts->k ? opts->k : 10;
  if (k < 0 || k > JB_MAX_K) {
    jb_err_set(err, JB_ERR_LIMIT, "k must be 1..%d, got %d", JB_MAX_K, k);
    return JB_ERR_LIMIT;
  }
  int bad;
  const char *filter = kind_filter(opts->type, err, &bad);
  if (bad) return JB_ERR_USAGE;
  jb_query q;
  jb_status rc = jb_query_parse(db, opts->query ? opts->query : "", &q, err);
  if (rc) return rc;
  if (!q.ngroups) {
    jb_err_set(err, JB_ERR_USAGE, "the query has no searchable words");
    return JB_ERR_USAGE;
  }
  if ((rc = jb_db_ensure_fts(db, err))) {
    jb_query_clear(&q);
    return rc;
  }
  const char *mo = opts->mark_open ? opts->mark_open : "[";
  const char *mc = opts->mark_close ? opts->mark_close : "]";
  cJSON *out = cJSON_CreateObject();
  cJSON_AddStringToObject(out, "query", opts->query);
  cJSON *exp = cJSON_AddArrayToObject(out, "groups");
  for (int i = 0; i < q.ngroups; i++) {
    cJSON *g = cJSON_CreateArray();
    for (int j = 0; j < q.groups[i].nalts; j++)
      cJSON_AddItemToArray(g, cJSON_CreateString(q.groups[i].alts[j]));
    cJSON_AddItemToArray(exp, g);
  }
  cJSON *results = cJSON_CreateArray();
  jb_buf fts = {0};
  /* fetch more documents than k: several may belong to one expert */
  int limit = k * 8 + 32;
  jb_query_fts(&q, 0, &fts);
  int n = run_search(db, jb_buf_str(&fts), filter, limit, mo, mc, k, results, err);
  const char *mode = "all";
  if (n == 0 && q.ngroups > 1) {
    mode = "any";
    jb_query_fts(&q, 1, &fts);
    n = run_search(db, jb_buf_str(&fts), filter, limit, mo, mc, k, results, err);
  }
  jb_buf_free(&fts);
  jb_query_clear(&q);
  if (n < 0) {
    cJSON_Delete(results);
    cJSON_Delete(out);
    return err ? err->code : JB_ERR_DB;
  }
  cJSON_AddStringToObject(out, "mode", mode);
  cJSON_AddNumberToObject(out, "count", n);
  cJSON_AddItemToObject(out, "results", results);
  *ppOut = out;
  return JB_OK;
}
