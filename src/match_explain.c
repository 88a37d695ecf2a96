/*
** match_explain.c — jb_match(): ranking with reasons, conflicts of interest,
** "why not" and reverse matching (needs for an expert or achievement).
**
** The reasons a staff member sees come from the same numbers that ranked
** the candidate: each component, the need's terms found in the best piece
** of evidence (joined into the words they form in its text, so 无抗蛋鸡 and
** not 无抗/抗蛋/蛋鸡), and that evidence with the terms marked.
*/
#include "match_int.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static int parse_types(const char *type, unsigned *mask, jb_error *err) {
  if (!type || !*type) {
    *mask = 1u << MX_EXPERT | 1u << MX_ACHIEVEMENT | 1u << MX_ORG;
    return 0;
  }
  for (int i = 0; i < MX_NTYPES; i++)
    if (!strcmp(type, mx_type_name((mx_type)i)) || (i == MX_ORG && !strcmp(type, "institution"))) {
      *mask = 1u << i;
      return 0;
    }
  jb_err_set(err, JB_ERR_USAGE, "unknown type '%s' (expert, achievement, org, need)", type);
  return -1;
}

/* ------------------------------------------------------- the need's data */

typedef struct need_rec {
  char *id, *title, *text, *org, *org_name, *region;
  char *file_text;         /* its attached file's text, or NULL */
  cJSON *keywords;
  uint64_t chains;
} need_rec;

static void need_rec_free(need_rec *n) {
  free(n->id);
  free(n->title);
  free(n->text);
  free(n->org);
  free(n->org_name);
  free(n->region);
  free(n->file_text);
  cJSON_Delete(n->keywords);
  memset(n, 0, sizeof(*n));
}

static char *dupcol(sqlite3_stmt *st, int i) {
  const unsigned char *s = sqlite3_column_text(st, i);
  return s ? jb_strdup((const char *)s) : NULL;
}

static jb_status load_need(jb_db *db, const char *id, need_rec *n, jb_error *err) {
  memset(n, 0, sizeof(*n));
  sqlite3_stmt *st = NULL;
  if (jb_db_prepare(db,
                    "SELECT n.id, n.title, n.text, n.keywords, n.chains, n.org, o.name,"
                    " coalesce(json_extract(n.doc, '$.region'), o.region)"
                    " FROM need n LEFT JOIN org o ON o.id = n.org WHERE n.id = ?1",
                    &st, err))
    return JB_ERR_DB;
  sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return jb_err_db(err, db->db, rc, "reading the need");
    jb_err_set(err, JB_ERR_NOTFOUND, "no need with id '%s'", id);
    return JB_ERR_NOTFOUND;
  }
  n->id = dupcol(st, 0);
  n->title = dupcol(st, 1);
  n->text = dupcol(st, 2);
  const char *kw = (const char *)sqlite3_column_text(st, 3);
  n->keywords = kw ? cJSON_Parse(kw) : NULL;
  n->chains = mx_chains_from_json(db, (const char *)sqlite3_column_text(st, 4));
  n->org = dupcol(st, 5);
  n->org_name = dupcol(st, 6);
  n->region = dupcol(st, 7);
  sqlite3_finalize(st);
  n->file_text = jb_attach_text(db, "need", n->id, "");
  if (!n->chains) {
    jb_buf t = {0};
    jb_buf_printf(&t, "%s %s", n->title ? n->title : "", n->text ? n->text : "");
    n->chains = mx_chains_in_text(db, db->tok, jb_buf_str(&t));
    jb_buf_free(&t);
  }
  return JB_OK;
}

static mx_need as_query(const need_rec *n) {
  mx_need q = {n->id, n->title, n->text, n->keywords, n->chains, n->org, n->region, n->file_text};
  return q;
}

/* --------------------------------------------------- conflicts of interest */

/* Why a candidate may not be paired with a need's owner, or NULL (caller
** frees): same organization, one organization hosting the other (a
** platform and its university), or a declared conflict. */
char *mx_conflict_reason(const jb_match_index *mx, const mx_unit *u, const char *need_org) {
  if (!need_org || !*need_org) return NULL;
  jb_buf b = {0};
  const char *uorg = u->type == MX_ORG ? u->id : u->org;
  const char *p1 = mx_org_parent(mx, uorg), *p2 = mx_org_parent(mx, need_org);
  if (uorg && !strcmp(uorg, need_org))
    jb_buf_printf(&b, "same organization as the need's owner (%s)", need_org);
  else if ((p1 && !strcmp(p1, need_org)) || (p2 && uorg && !strcmp(p2, uorg)))
    jb_buf_printf(&b, "%s and the need's owner %s belong together (host organization)", uorg, need_org);
  else if (u->type == MX_EXPERT) {
    const mx_pair *c = mx_relation(mx, 0, u->id, need_org);
    if (c) jb_buf_printf(&b, "declared conflict of interest with %s: %s", need_org, c->note ? c->note : "");
  }
  return b.n ? b.p : NULL;
}

static char *collaboration_note(const jb_match_index *mx, const mx_unit *u, const char *need_org) {
  if (!need_org || u->type != MX_EXPERT) return NULL;
  const mx_pair *c = mx_relation(mx, 1, u->id, need_org);
  if (!c) return NULL;
  jb_buf b = {0};
  jb_buf_printf(&b, "worked with %s before", need_org);
  if (c->year) jb_buf_printf(&b, " (%d)", c->year);
  if (c->note && *c->note) jb_buf_printf(&b, ": %s", c->note);
  return b.p;
}

/* ---------------------------------------------------------- explanations */

typedef struct doc_text {
  char *id, *kind, *title, *body;
  char *file_name, *file_text;  /* its attached file, or NULL */
  int year;
} doc_text;

static void doc_text_free(doc_text *d) {
  free(d->id);
  free(d->kind);
  free(d->title);
  free(d->body);
  free(d->file_name);
  free(d->file_text);
  memset(d, 0, sizeof(*d));
}

/* The attached file of the document's record, for the passage that matched. */
static void fetch_file(jb_db *db, const mx_unit *u, const mx_doc *d, doc_text *out) {
  const char *kind = u->type == MX_EXPERT ? "evidence" : u->type == MX_ACHIEVEMENT ? "achievement"
                     : u->type == MX_NEED ? "need" : NULL;
  if (!kind || !out->id || (u->type == MX_EXPERT && d->profile)) return;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db->db, "SELECT name, text FROM attachment WHERE kind=?1 AND ref=?2 AND sub=?3", -1,
                         &st, NULL))
    return;
  sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 2, u->type == MX_EXPERT ? u->id : out->id, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 3, u->type == MX_EXPERT ? out->id : "", -1, SQLITE_STATIC);
  if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 1) && *sqlite3_column_text(st, 1)) {
    out->file_name = dupcol(st, 0);
    out->file_text = dupcol(st, 1);
  }
  sqlite3_finalize(st);
}

/* Fetches the text of a document of the index for display; -1 when it
** cannot be read (an explanation without its evidence would look whole). */
static int fetch_doc(jb_db *db, const mx_unit *u, const mx_doc *d, doc_text *out) {
  memset(out, 0, sizeof(*out));
  const char *sql;
  int byid = 0;
  if (u->type == MX_EXPERT && !d->profile)
    sql = "SELECT id, coalesce(kind, 'paper'), doc ->> '$.title', doc ->> '$.abstract', year FROM evidence"
          " WHERE rowid=?1";
  else if (u->type == MX_EXPERT) {
    sql = "SELECT 'profile', 'profile', coalesce(fields, ''), coalesce(bio, ''), 0 FROM expert WHERE id=?1";
    byid = 1;
  } else if (u->type == MX_ACHIEVEMENT)
    sql = "SELECT id, coalesce(kind, 'achievement'), title, text, year FROM achievement WHERE rowid=?1";
  else if (u->type == MX_ORG)
    sql = "SELECT id, 'profile', name, description, 0 FROM org WHERE rowid=?1";
  else
    sql = "SELECT id, 'need', title, text, 0 FROM need WHERE rowid=?1";
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL)) return -1;
  if (byid) sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
  else sqlite3_bind_int64(st, 1, d->rowid);
  int got = sqlite3_step(st);
  if (got == SQLITE_ROW) {
    out->id = dupcol(st, 0);
    out->kind = dupcol(st, 1);
    out->title = dupcol(st, 2);
    out->body = dupcol(st, 3);
    out->year = sqlite3_column_int(st, 4);
    if (byid && out->title && out->title[0] == '[') {
      /* fields are stored as a JSON list: show them as text */
      cJSON *a = cJSON_Parse(out->title);
      jb_buf t = {0};
      const cJSON *e;
      cJSON_ArrayForEach(e, a) if (cJSON_IsString(e)) {
        if (t.n) jb_buf_adds(&t, "、");
        jb_buf_adds(&t, e->valuestring);
      }
      cJSON_Delete(a);
      free(out->title);
      out->title = jb_strdup(jb_buf_str(&t));
      jb_buf_free(&t);
    }
  }
  sqlite3_finalize(st);
  if (got == SQLITE_ROW) fetch_file(db, u, d, out);
  return got == SQLITE_ROW || got == SQLITE_DONE ? 0 : -1;
}

typedef struct span {
  int start, end;
  double w;
  int feedback;    /* every term in it came from feedback */
} span;

typedef struct qslot {
  uint32_t term;
  int i;           /* its index in the query */
} qslot;

typedef struct span_ctx {
  const jb_match_index *mx;
  const mx_scratch *s;
  const mx_coll *c;
  const mx_doc *d;
  const mx_weights *w;
  span *v;
  int n, cap;
  qslot *q;        /* the query's terms sorted by term id: a long file has */
  int nq;          /* hundreds of thousands of tokens to look up */
} span_ctx;

static int cmp_qslot(const void *a, const void *b) {
  uint32_t x = ((const qslot *)a)->term, y = ((const qslot *)b)->term;
  return x < y ? -1 : x > y;
}

/* The query terms of the last match, sorted for lookup (x->q owned by x). */
static void query_slots(span_ctx *x) {
  int nq = mx_query_terms(x->s);
  x->q = malloc(sizeof(qslot) * (size_t)(nq ? nq : 1));
  x->nq = 0;
  if (!x->q) return;
  for (int i = 0; i < nq; i++) {
    x->q[x->nq].term = mx_query_term(x->s, i, NULL);
    x->q[x->nq++].i = i;
  }
  jb_qsort(x->q, (size_t)x->nq, sizeof(qslot), cmp_qslot);
}

static int query_index(const span_ctx *x, uint32_t term) {
  int lo = 0, hi = x->nq;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (x->q[mid].term == term) return x->q[mid].i;
    if (x->q[mid].term < term) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

static double doc_tf(const mx_coll *c, const mx_doc *d, uint32_t term) {
  uint32_t lo = 0, hi = d->nfwd;
  while (lo < hi) {
    uint32_t mid = (lo + hi) / 2;
    uint32_t t = c->fwd[d->fwd + mid].term;
    if (t == term) return c->fwd[d->fwd + mid].tf;
    if (t < term) lo = mid + 1;
    else hi = mid;
  }
  return 0;
}

static int span_cb(void *ctx, int tflags, const char *tok, int ntok, int st, int en) {
  span_ctx *x = ctx;
  uint32_t cp;
  /* single CJK characters score a little but explain nothing: not marked */
  if ((unsigned char)tok[0] >= 0x80 && jb_utf8_decode((const unsigned char *)tok, (size_t)ntok, &cp) == ntok)
    return 0;
  uint32_t term = mx_term_find(x->mx, tok, ntok);
  if (term == UINT32_MAX) return 0;
  int i = query_index(x, term);
  if (i >= 0) {
    int fb = 0;
    mx_query_term(x->s, i, &fb);
    double tf = doc_tf(x->c, x->d, term);
    double contrib = tf > 0 ? mx_term_contrib(x->s, x->c, x->w, i, tf, x->d->len, x->d->vnorm) : 0;
    /* overlapping bigrams of the same origin join into the word they spell;
    ** the need's own terms and feedback terms stay apart */
    if (x->n && st <= x->v[x->n - 1].end) {
      span *p = &x->v[x->n - 1];
      if (p->feedback == fb) {
        if (en > p->end) p->end = en;
        p->w += contrib / (tf > 0 ? tf : 1); /* share of the term per occurrence */
        return 0;
      }
      if (en <= p->end) return 0;
      st = p->end; /* clip: spans never overlap */
    }
    if (x->n == x->cap) {
      int cap = x->cap ? x->cap * 2 : 32;
      span *v = realloc(x->v, sizeof(*v) * (size_t)cap);
      if (!v) return 1;
      x->v = v;
      x->cap = cap;
    }
    x->v[x->n].start = st;
    x->v[x->n].end = en;
    x->v[x->n].w = contrib / (tf > 0 ? tf : 1);
    x->v[x->n].feedback = fb;
    x->n++;
    return 0;
  }
  return 0;
}

/* Marks spans in s[from, to) with the markers. */
static void mark_text(jb_buf *out, const char *s, int from, int to, const span *v, int n,
                      const char *mo, const char *mc) {
  int p = from;
  for (int i = 0; i < n; i++) {
    if (v[i].end <= from || v[i].start >= to) continue;
    int a = v[i].start < from ? from : v[i].start, b = v[i].end > to ? to : v[i].end;
    jb_buf_add(out, s + p, (size_t)(a - p));
    jb_buf_adds(out, mo);
    jb_buf_add(out, s + a, (size_t)(b - a));
    jb_buf_adds(out, mc);
    p = b;
  }
  jb_buf_add(out, s + p, (size_t)(to - p));
}

/* Moves a byte offset back/forward to a UTF-8 character boundary. */
static int char_start(const char *s, int i) {
  while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80) i--;
  return i;
}

/* Window of about `bytes` around the heaviest span. */
static void snippet(jb_buf *out, const char *s, const span *v, int n, int bytes, const char *mo,
                    const char *mc) {
  int len = (int)strlen(s);
  int best = -1;
  for (int i = 0; i < n; i++)
    if (best < 0 || v[i].w > v[best].w) best = i;
  int from = 0;
  if (best >= 0 && v[best].start > bytes / 4) from = char_start(s, v[best].start - bytes / 4);
  int to = from + bytes >= len ? len : char_start(s, from + bytes);
  if (from > 0) jb_buf_adds(out, "…");
  mark_text(out, s, from, to, v, n, mo, mc);
  if (to < len) jb_buf_adds(out, "…");
}

/* The passage of about `bytes` whose marked spans weigh the most (spans are
** in text order; two pointers, one pass): in a 50-page file, where the
** matching words gather, not where the heaviest single word first occurs.
** Sets *from to its start and returns its weight. */
static double best_window(const char *s, const span *v, int n, int bytes, int *from) {
  double best = 0, sum = 0;
  int j = 0;
  *from = 0;
  for (int i = 0; i < n; i++) {
    while (j < n && v[j].end - v[i].start <= bytes) sum += v[j++].w;
    if (sum > best) {
      best = sum;
      *from = v[i].start;
    }
    sum -= v[i].w;
  }
  int back = *from > bytes / 8 ? bytes / 8 : *from; /* a little context before it */
  *from = char_start(s, *from - back);
  return best;
}

/* Bytes of an attached file's text searched for the passage to quote. */
#define EXPLAIN_FILE_BYTES (1 << 20)

/* The best passage of a long text, marked. */
static void passage(jb_buf *out, const char *s, const span *v, int n, int from, int bytes) {
  int len = (int)strlen(s);
  int to = from + bytes >= len ? len : char_start(s, from + bytes);
  if (from > 0) jb_buf_adds(out, "…");
  mark_text(out, s, from, to, v, n, "[", "]");
  if (to < len) jb_buf_adds(out, "…");
}

static void spans_of(span_ctx *x, jb_tokenizer *tok, const char *text) {
  x->n = 0;
  if (text) jb_tokenize(tok, JB_TOKENIZE_QUERY, text, (int)strlen(text), x, span_cb);
}

typedef struct term_out {
  char *text;
  double w;
  int feedback;
} term_out;

static void add_terms(term_out **terms, int *nterms, const char *s, const span *v, int n) {
  for (int i = 0; i < n; i++) {
    int len = v[i].end - v[i].start;
    if (len <= 3 && (unsigned char)s[v[i].start] >= 0x80) continue; /* a clipped lone character */
    int k = 0;
    while (k < *nterms && !((int)strlen((*terms)[k].text) == len && !strncmp((*terms)[k].text, s + v[i].start, (size_t)len)))
      k++;
    if (k < *nterms) {
      if (v[i].w > (*terms)[k].w) (*terms)[k].w = v[i].w;
      continue;
    }
    term_out *t = realloc(*terms, sizeof(term_out) * (size_t)(*nterms + 1));
    if (!t) return;
    *terms = t;
    (*terms)[*nterms].text = jb_strndup(s + v[i].start, (size_t)len);
    (*terms)[*nterms].w = v[i].w;
    (*terms)[*nterms].feedback = v[i].feedback;
    (*nterms)++;
  }
}

static int cmp_term_out(const void *a, const void *b) {
  const term_out *x = a, *y = b;
  if (x->w != y->w) return x->w > y->w ? -1 : 1;
  return strcmp(x->text, y->text);
}

static double round4(double v) { return round(v * 10000) / 10000; }

/* Adds "terms" and "evidence" for the hit's best document; -1 when the
** document cannot be read. */
static int explain_doc(jb_db *db, const jb_match_index *mx, const mx_scratch *s, const mx_coll *c,
                       const mx_weights *w, uint32_t docidx, cJSON *r) {
  if (docidx == UINT32_MAX || docidx >= c->ndocs) return 0;
  const mx_doc *d = &c->docs[docidx];
  const mx_unit *u = &mx->units[d->unit];
  doc_text dt;
  if (fetch_doc(db, u, d, &dt)) {
    doc_text_free(&dt);
    return -1;
  }
  span_ctx x = {mx, s, c, d, w, NULL, 0, 0, NULL, 0};
  query_slots(&x);
  term_out *terms = NULL;
  int nterms = 0;
  jb_buf title = {0}, body = {0};
  spans_of(&x, db->tok, dt.title);
  add_terms(&terms, &nterms, dt.title ? dt.title : "", x.v, x.n);
  if (dt.title) mark_text(&title, dt.title, 0, (int)strlen(dt.title), x.v, x.n, "[", "]");
  spans_of(&x, db->tok, dt.body);
  add_terms(&terms, &nterms, dt.body ? dt.body : "", x.v, x.n);
  if (dt.body) snippet(&body, dt.body, x.v, x.n, 240, "[", "]");
  int from = 0, in_file = 0;
  double wbody = dt.body ? best_window(dt.body, x.v, x.n, 240, &from) : 0;
  if (dt.file_text) {
    /* the attached file: its best passage replaces the abstract's when it
    ** weighs more (the need's words gather there). Its first MB is read
    ** (a 300-page paper): explaining stays bounded however long the file. */
    if (strlen(dt.file_text) > EXPLAIN_FILE_BYTES) dt.file_text[char_start(dt.file_text, EXPLAIN_FILE_BYTES)] = 0;
    spans_of(&x, db->tok, dt.file_text);
    double wfile = best_window(dt.file_text, x.v, x.n, 240, &from);
    if (wfile > wbody) {
      jb_buf_reset(&body);
      passage(&body, dt.file_text, x.v, x.n, from, 240);
      in_file = 1;
      /* the terms of that passage, not of every page */
      int a = 0;
      while (a < x.n && x.v[a].end <= from) a++;
      int b = a;
      while (b < x.n && x.v[b].start < from + 240) b++;
      add_terms(&terms, &nterms, dt.file_text, x.v + a, b - a);
    }
  }
  jb_qsort(terms, (size_t)nterms, sizeof(term_out), cmp_term_out);
  cJSON *ta = cJSON_AddArrayToObject(r, "terms");
  for (int i = 0; i < nterms; i++) {
    if (i < 10) {
      cJSON *t = cJSON_CreateObject();
      cJSON_AddStringToObject(t, "term", terms[i].text);
      cJSON_AddNumberToObject(t, "weight", round4(terms[i].w));
      if (terms[i].feedback) cJSON_AddBoolToObject(t, "feedback", 1);
      cJSON_AddItemToArray(ta, t);
    }
    free(terms[i].text);
  }
  free(terms);
  cJSON *ev = cJSON_AddObjectToObject(r, "evidence");
  cJSON_AddStringToObject(ev, "id", dt.id ? dt.id : "");
  cJSON_AddStringToObject(ev, "kind", dt.kind ? dt.kind : "");
  cJSON_AddStringToObject(ev, "title", jb_buf_str(&title));
  cJSON_AddStringToObject(ev, "snippet", jb_buf_str(&body));
  if (dt.file_name) cJSON_AddStringToObject(ev, "file", dt.file_name);
  if (in_file) cJSON_AddStringToObject(ev, "snippet_from", "file");
  if (dt.year) cJSON_AddNumberToObject(ev, "year", dt.year);
  free(x.v);
  free(x.q);
  jb_buf_free(&title);
  jb_buf_free(&body);
  doc_text_free(&dt);
  return 0;
}

cJSON *mx_hit_json(jb_db *db, const jb_match_index *mx, const mx_scratch *s, const mx_weights *w,
                       const mx_hit *h, int rank, const char *need_org, int explain, const mx_coll *c) {
  const mx_unit *u = &mx->units[h->unit];
  cJSON *r = cJSON_CreateObject();
  cJSON_AddNumberToObject(r, "rank", rank);
  cJSON_AddStringToObject(r, "type", mx_type_name((mx_type)u->type));
  cJSON_AddStringToObject(r, "id", u->id);
  cJSON_AddStringToObject(r, "name", u->name ? u->name : u->id);
  if (u->org && u->type != MX_ORG) cJSON_AddStringToObject(r, "org", u->org);
  cJSON_AddNumberToObject(r, "score", round4(h->score));
  if (!explain) return r;
  cJSON *comp = cJSON_AddObjectToObject(r, "components");
  cJSON_AddNumberToObject(comp, "text", round4(h->text));
  cJSON_AddNumberToObject(comp, "chain", h->chain);
  cJSON_AddNumberToObject(comp, "region", h->region);
  cJSON_AddNumberToObject(comp, "program", h->program);
  if (u->type == MX_EXPERT) cJSON_AddNumberToObject(comp, "capacity", u->capacity);
  if (h->via) {
    const mx_unit *e = &mx->units[h->via - 1];
    cJSON *via = cJSON_AddObjectToObject(r, "via");
    cJSON_AddStringToObject(via, "expert", e->id);
    cJSON_AddStringToObject(via, "name", e->name ? e->name : e->id);
  }
  /* for an institution lifted by an expert, best_doc is that expert's */
  if (explain_doc(db, mx, s, c, w, h->best_doc, r)) {
    cJSON_Delete(r);
    return NULL;
  }
  char *collab = collaboration_note(mx, u, need_org);
  if (collab) {
    cJSON_AddStringToObject(r, "note", collab);
    free(collab);
  }
  return r;
}

/* ---------------------------------------------------------------- match */

typedef struct match_run {
  jb_db *db;
  jb_match_index *mx;
  mx_scratch *s;
  mx_weights w;
} match_run;

static jb_status run_open(jb_db *db, const cJSON *weights, match_run *m, jb_error *err) {
  memset(m, 0, sizeof(*m));
  m->db = db;
  mx_weights_default(&m->w);
  if (weights && mx_weights_apply(&m->w, weights, err)) return JB_ERR_USAGE;
  jb_status rc = mx_get(db, &m->w, &m->mx, err);
  if (rc) return rc;
  if (!(m->s = mx_scratch_take(m->mx))) {
    jb_err_set(err, JB_ERR_NOMEM, "out of memory");
    return JB_ERR_NOMEM;
  }
  return JB_OK;
}

static void run_close(match_run *m) {
  if (m->s) mx_scratch_give(m->mx, m->s);
}

/* The reason a scored candidate is left out, or NULL (caller frees). */
static char *exclusion(match_run *m, const mx_unit *u, const char *need_org) {
  char *why = mx_conflict_reason(m->mx, u, need_org);
  if (why) return why;
  if (u->type == MX_EXPERT && u->capacity <= 0) return jb_strdup("no capacity (capacity 0)");
  return NULL;
}

static cJSON *query_json(const need_rec *n, const char *text) {
  cJSON *q = cJSON_CreateObject();
  if (n && n->id) {
    cJSON_AddStringToObject(q, "need", n->id);
    cJSON_AddStringToObject(q, "title", n->title ? n->title : "");
    if (n->org) cJSON_AddStringToObject(q, "org", n->org);
    if (n->org_name) cJSON_AddStringToObject(q, "org_name", n->org_name);
  } else {
    cJSON_AddStringToObject(q, "text", text ? text : "");
  }
  return q;
}

static void add_chains(jb_db *db, cJSON *o, const char *name, uint64_t bits) {
  cJSON *a = cJSON_AddArrayToObject(o, name);
  for (int i = 0; i < jb_lexicon_nchains(db->lex) && i < 64; i++)
    if (bits >> i & 1) cJSON_AddItemToArray(a, cJSON_CreateString(jb_lexicon_chain(db->lex, i)->name));
}

static cJSON *why_not(match_run *m, const mx_hit *hits, int nhits, unsigned types, const need_rec *n,
                      const char *cand, int k, int listed_rank) {
  cJSON *o = cJSON_CreateObject();
  cJSON_AddStringToObject(o, "id", cand);
  int ui = -1;
  for (int t = 0; t < MX_NEED && ui < 0; t++) ui = mx_unit_find(m->mx, (mx_type)t, cand);
  if (ui < 0) {
    cJSON_AddStringToObject(o, "reason", "no expert, achievement or institution has this id");
    return o;
  }
  const mx_unit *u = &m->mx->units[ui];
  cJSON_AddStringToObject(o, "type", mx_type_name((mx_type)u->type));
  cJSON_AddStringToObject(o, "name", u->name ? u->name : u->id);
  if (listed_rank > 0) {
    cJSON_AddNumberToObject(o, "rank", listed_rank);
    cJSON_AddStringToObject(o, "reason", "it is in the list");
    return o;
  }
  if (!(types >> u->type & 1)) {
    cJSON_AddStringToObject(o, "reason", "filtered out by the requested type");
    return o;
  }
  int pos = -1;
  for (int i = 0; i < nhits; i++)
    if (hits[i].unit == (uint32_t)ui) { pos = i; break; }
  char *ex = exclusion(m, u, n ? n->org : NULL);
  if (ex) {
    cJSON_AddStringToObject(o, "reason", ex);
    free(ex);
  } else if (pos < 0) {
    cJSON_AddStringToObject(o, "reason", "its text relevance is below the floor: too few of the need's terms in its documents");
  } else {
    jb_buf b = {0};
    jb_buf_printf(&b, "ranked below the %d listed", k);
    cJSON_AddStringToObject(o, "reason", jb_buf_str(&b));
    jb_buf_free(&b);
  }
  if (pos >= 0) {
    cJSON_AddNumberToObject(o, "score", round4(hits[pos].score));
    cJSON_AddNumberToObject(o, "text", round4(hits[pos].text));
  }
  cJSON_AddNumberToObject(o, "floor", m->w.floor);
  return o;
}

static jb_status match_forward(match_run *m, const jb_match_opts *o, unsigned types, cJSON *out,
                               jb_error *err) {
  need_rec n;
  memset(&n, 0, sizeof(n));
  jb_status rc = JB_OK;
  if (o->need_id) {
    if ((rc = load_need(m->db, o->need_id, &n, err))) return rc;
  } else {
    n.title = jb_strdup(o->text);
    n.chains = mx_chains_in_text(m->db, m->db->tok, o->text);
  }
  mx_need q = as_query(&n);
  mx_hit *hits = NULL;
  int k = o->k > 0 ? o->k : 10;
  /* The list plus room for left-out candidates (conflicts of interest, no
  ** capacity), more room while that was not enough; all of them to answer
  ** why-not. A small room keeps the top-k pruning tight. */
  int nh, room = 32;
  for (;;) {
    int keep = o->why_not || k + room >= (int)m->mx->nunits ? 0 : k + room;
    nh = mx_score_need(m->db, m->mx, m->s, m->db->tok, &m->w, &q, types, keep, 1, &hits);
    if (nh < keep || keep == 0) break; /* every candidate above the floor is in */
    int usable = 0;
    for (int i = 0; i < nh && usable < k; i++) {
      char *ex = exclusion(m, &m->mx->units[hits[i].unit], n.org);
      usable += !ex;
      free(ex);
    }
    if (usable >= k) break;
    room *= 8;
  }
  if (nh < 0) {
    need_rec_free(&n);
    jb_err_set(err, JB_ERR_NOMEM, "out of memory scoring");
    return JB_ERR_NOMEM;
  }
  cJSON *qj = query_json(&n, o->text);
  add_chains(m->db, qj, "chains", n.chains);
  cJSON_AddItemToObject(out, "query", qj);
  cJSON *res = cJSON_AddArrayToObject(out, "results");
  cJSON *excluded = cJSON_AddArrayToObject(out, "excluded");
  int listed = 0, why_rank = 0;
  for (int i = 0; i < nh && listed < k; i++) {
    const mx_unit *u = &m->mx->units[hits[i].unit];
    char *ex = exclusion(m, u, n.org);
    if (ex) {
      if (cJSON_GetArraySize(excluded) < 20) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "type", mx_type_name((mx_type)u->type));
        cJSON_AddStringToObject(e, "id", u->id);
        cJSON_AddStringToObject(e, "name", u->name ? u->name : u->id);
        cJSON_AddNumberToObject(e, "score", round4(hits[i].score));
        cJSON_AddStringToObject(e, "reason", ex);
        cJSON_AddItemToArray(excluded, e);
      }
      free(ex);
      continue;
    }
    listed++;
    if (o->why_not && !strcmp(u->id, o->why_not)) why_rank = listed;
    cJSON *hj = mx_hit_json(m->db, m->mx, m->s, &m->w, &hits[i], listed, n.org, o->explain, &m->mx->supply);
    if (!hj) {
      need_rec_free(&n);
      jb_err_set(err, JB_ERR_DB, "cannot read the evidence of %s %s: %s", mx_type_name((mx_type)u->type), u->id,
                 sqlite3_errmsg(m->db->db));
      return JB_ERR_DB;
    }
    cJSON_AddItemToArray(res, hj);
  }
  cJSON_AddNumberToObject(out, "candidates", nh);
  if (o->why_not) cJSON_AddItemToObject(out, "why_not", why_not(m, hits, nh, types, &n, o->why_not, k, why_rank));
  need_rec_free(&n);
  return JB_OK;
}

/* Needs for an expert or achievement: candidate needs come from the unit's
** strongest terms searched in the needs; each is then scored the forward
** way, so the score and rank shown are the ones that need would give. */
static jb_status match_reverse(match_run *m, const jb_match_opts *o, cJSON *out, jb_error *err) {
  mx_type t = o->expert_id ? MX_EXPERT : MX_ACHIEVEMENT;
  const char *id = o->expert_id ? o->expert_id : o->achievement_id;
  int ui = mx_unit_find(m->mx, t, id);
  if (ui < 0) {
    jb_err_set(err, JB_ERR_NOTFOUND, "no %s with id '%s'", mx_type_name((mx_type)t), id);
    return JB_ERR_NOTFOUND;
  }
  const mx_unit *u = &m->mx->units[ui];
  const mx_coll *sup = &m->mx->supply, *dem = &m->mx->demand;
  /* term weights of the unit: tf-idf over its documents, by demand idf */
  int k = o->k > 0 ? o->k : 10;
  double *acc = calloc(dem->ndocs ? dem->ndocs : 1, sizeof(double));
  if (!acc) return JB_ERR_NOMEM;
  for (uint32_t d = u->doc0; d < u->doc0 + u->ndocs; d++) {
    const mx_doc *doc = &sup->docs[d];
    for (uint32_t j = 0; j < doc->nfwd; j++) {
      const mx_fwd *f = &sup->fwd[doc->fwd + j];
      if (f->term >= dem->nterms_alloc || !dem->npost[f->term]) continue;
      double df = dem->npost[f->term];
      double idf = log(1.0 + (dem->ndocs - df + 0.5) / (df + 0.5));
      double qw = f->tf / (doc->len > 0 ? doc->len : 1) * idf;
      for (uint32_t p = 0; p < dem->npost[f->term]; p++) {
        const mx_posting *ps = &mx_postings(dem, f->term)[p];
        acc[ps->doc] += qw * idf * ps->tf * (m->w.k1 + 1) /
                        (ps->tf + m->w.k1 * (1 - m->w.b + m->w.b * dem->docs[ps->doc].len / dem->avglen));
      }
    }
  }
  /* candidates: the best open needs by that reverse score */
  int ncand = k * 3 < 30 ? 30 : k * 3;
  uint32_t *cand = calloc((size_t)ncand, sizeof(uint32_t));
  int nc = 0;
  for (uint32_t d = 0; d < dem->ndocs && cand; d++) {
    const mx_unit *nu = &m->mx->units[dem->docs[d].unit];
    if (acc[d] <= 0 || !nu->open) continue;
    int pos = nc < ncand ? nc++ : ncand;
    if (pos == ncand && acc[d] <= acc[cand[ncand - 1]]) continue;
    if (pos == ncand) pos--;
    while (pos > 0 && acc[cand[pos - 1]] < acc[d]) { cand[pos] = cand[pos - 1]; pos--; }
    cand[pos] = d;
  }
  free(acc);
  cJSON *qj = cJSON_CreateObject();
  cJSON_AddStringToObject(qj, mx_type_name((mx_type)t), u->id);
  cJSON_AddStringToObject(qj, "name", u->name ? u->name : u->id);
  cJSON_AddItemToObject(out, "query", qj);
  typedef struct rev { uint32_t need; mx_hit hit; int rank; char *why; } rev;
  rev *rv = calloc((size_t)(nc ? nc : 1), sizeof(rev));
  int nr = 0;
  unsigned types = 1u << t;
  for (int i = 0; i < nc && rv; i++) {
    const mx_unit *nu = &m->mx->units[dem->docs[cand[i]].unit];
    need_rec n;
    if (load_need(m->db, nu->id, &n, err)) continue;
    mx_need q = as_query(&n);
    /* rank among every candidate of this type, as the forward match would */
    mx_hit *hits = NULL;
    int nh = mx_score_need(m->db, m->mx, m->s, m->db->tok, &m->w, &q, types, 0, 1, &hits);
    for (int h = 0; h < nh; h++)
      if (hits[h].unit == (uint32_t)ui) {
        rv[nr].need = dem->docs[cand[i]].unit;
        rv[nr].hit = hits[h];
        rv[nr].rank = h + 1;
        rv[nr].why = mx_conflict_reason(m->mx, u, n.org);
        nr++;
        break;
      }
    need_rec_free(&n);
  }
  free(cand);
  /* best forward score first; ties by need id */
  for (int i = 1; i < nr; i++)
    for (int j = i; j > 0; j--) {
      int swap = rv[j].hit.score > rv[j - 1].hit.score ||
                 (rv[j].hit.score == rv[j - 1].hit.score &&
                  strcmp(m->mx->units[rv[j].need].id, m->mx->units[rv[j - 1].need].id) < 0);
      if (!swap) break;
      rev tmp = rv[j];
      rv[j] = rv[j - 1];
      rv[j - 1] = tmp;
    }
  cJSON *res = cJSON_AddArrayToObject(out, "results");
  int listed = 0;
  for (int i = 0; i < nr; i++) {
    if (listed < k) {
      const mx_unit *nu = &m->mx->units[rv[i].need];
      cJSON *r = cJSON_CreateObject();
      cJSON_AddNumberToObject(r, "rank", ++listed);
      cJSON_AddStringToObject(r, "type", "need");
      cJSON_AddStringToObject(r, "id", nu->id);
      cJSON_AddStringToObject(r, "name", nu->name ? nu->name : nu->id);
      if (nu->org) cJSON_AddStringToObject(r, "org", nu->org);
      cJSON_AddNumberToObject(r, "score", round4(rv[i].hit.score));
      cJSON_AddNumberToObject(r, "rank_for_need", rv[i].rank);
      if (rv[i].why) cJSON_AddStringToObject(r, "conflict", rv[i].why);
      if (o->explain) {
        cJSON *comp = cJSON_AddObjectToObject(r, "components");
        cJSON_AddNumberToObject(comp, "text", round4(rv[i].hit.text));
        cJSON_AddNumberToObject(comp, "chain", rv[i].hit.chain);
        cJSON_AddNumberToObject(comp, "region", rv[i].hit.region);
        cJSON_AddNumberToObject(comp, "program", rv[i].hit.program);
      }
      cJSON_AddItemToArray(res, r);
    }
    free(rv[i].why);
  }
  free(rv);
  return JB_OK;
}

jb_status jb_match(jb_db *db, const jb_match_opts *o, cJSON **ppOut, jb_error *err) {
  *ppOut = NULL;
  int given = !!o->need_id + !!o->text + !!o->expert_id + !!o->achievement_id;
  if (given != 1) {
    jb_err_set(err, JB_ERR_USAGE, "give exactly one of: a need id, --text, an expert id, an achievement id");
    return JB_ERR_USAGE;
  }
  if (o->k > JB_MAX_K) {
    jb_err_set(err, JB_ERR_LIMIT, "k must be at most %d", JB_MAX_K);
    return JB_ERR_LIMIT;
  }
  if (o->text && (strlen(o->text) > JB_MAX_FIELD_BYTES || jb_utf8_invalid_at(o->text, strlen(o->text)) >= 0)) {
    jb_err_set(err, JB_ERR_LIMIT, "--text must be valid UTF-8 of at most %d bytes", JB_MAX_FIELD_BYTES);
    return JB_ERR_LIMIT;
  }
  unsigned types;
  if (parse_types(o->type, &types, err)) return JB_ERR_USAGE;
  if ((types >> MX_NEED & 1) && !o->expert_id && !o->achievement_id) {
    jb_err_set(err, JB_ERR_USAGE, "needs are matched to an expert or achievement: use 'match expert ID'");
    return JB_ERR_USAGE;
  }
  match_run m;
  jb_status rc = run_open(db, o->weights, &m, err);
  if (rc) {
    run_close(&m);
    return rc;
  }
  cJSON *out = cJSON_CreateObject();
  if (o->expert_id || o->achievement_id) rc = match_reverse(&m, o, out, err);
  else rc = match_forward(&m, o, types, out, err);
  if (!rc) cJSON_AddItemToObject(out, "weights", mx_weights_json(&m.w));
  run_close(&m);
  if (rc) {
    cJSON_Delete(out);
    return rc;
  }
  *ppOut = out;
  return JB_OK;
}
