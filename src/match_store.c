/*
** match_store.c — the match index on disk, beside the database (DB.mx).
**
** Building the index tokenizes every document: seconds for a county, a
** minute for 100,000 experts and achievements. Every process that matches
** would pay that; instead the first one writes the index here and the next
** ones read it back in a fraction of the time. The file names the state it
** was built from — the data generation, the lexicon's hash, the tokenizer
** version and the document field weights — and is ignored (then rewritten)
** when any differs. It is written to a temporary name and renamed, so a
** reader never sees half a file and two writers do not mix.
**
** Layout: a fixed header, then sections in a fixed order, each array
** preceded by its length. Native byte order and struct layout: the file is
** a cache for this machine, not an exchange format (the header's sizes
** catch a mismatch).
*/
#include "match_int.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MX_MAGIC "JBMX0001"

typedef struct mx_header {
  char magic[8];
  char tokenizer[32];
  char generation[64]; /* instance:generation */
  uint64_t lexhash;
  double fw[4];
  uint32_t sizes[4];   /* sizeof mx_posting, mx_fwd, mx_doc, mx_unit: layout check */
} mx_header;

static char *index_path(const jb_db *db) {
  if (!db->path || !*db->path || !strcmp(db->path, ":memory:")) return NULL;
  jb_buf b = {0};
  jb_buf_printf(&b, "%s.mx", db->path);
  return b.p;
}

static void fill_header(mx_header *h, const char *generation, uint64_t lexhash, const mx_weights *w) {
  memset(h, 0, sizeof(*h));
  memcpy(h->magic, MX_MAGIC, 8);
  snprintf(h->tokenizer, sizeof(h->tokenizer), "%s", JB_TOKENIZER_VERSION);
  snprintf(h->generation, sizeof(h->generation), "%s", generation);
  h->lexhash = lexhash;
  h->fw[0] = w->w_title;
  h->fw[1] = w->w_keywords;
  h->fw[2] = w->w_body;
  h->fw[3] = w->unigram > 0;
  h->sizes[0] = sizeof(mx_posting);
  h->sizes[1] = sizeof(mx_fwd);
  h->sizes[2] = sizeof(mx_doc);
  h->sizes[3] = sizeof(mx_unit);
}

/* ---------------------------------------------------------------- write */

typedef struct wr {
  FILE *f;
  int bad;
} wr;

static void put(wr *w, const void *p, size_t n) {
  if (!w->bad && n && fwrite(p, 1, n, w->f) != n) w->bad = 1;
}

static void put_u64(wr *w, uint64_t v) { put(w, &v, sizeof(v)); }

static void put_str(wr *w, const char *s) {
  uint32_t n = s ? (uint32_t)strlen(s) : UINT32_MAX;
  put(w, &n, sizeof(n));
  if (s) put(w, s, n);
}

static void put_coll(wr *w, const mx_coll *c) {
  put_u64(w, c->ndocs);
  put(w, c->docs, sizeof(mx_doc) * c->ndocs);
  put_u64(w, c->nfwd);
  put(w, c->fwd, sizeof(mx_fwd) * c->nfwd);
  put_u64(w, c->nterms_alloc);
  put(w, c->off, sizeof(uint64_t) * ((size_t)c->nterms_alloc + 1));
  put(w, c->npost, sizeof(uint32_t) * c->nterms_alloc);
  put(w, c->post, sizeof(mx_posting) * (c->off ? c->off[c->nterms_alloc] : 0));
  put(w, &c->avglen, sizeof(c->avglen));
  put(w, &c->maxyear, sizeof(c->maxyear));
}

static void put_pairs(wr *w, const mx_pair *v, uint32_t n) {
  put_u64(w, n);
  for (uint32_t i = 0; i < n; i++) {
    put_str(w, v[i].key);
    put_str(w, v[i].note);
    put(w, &v[i].year, sizeof(v[i].year));
  }
}

int mx_save(jb_db *db, const jb_match_index *mx) {
  char *path = index_path(db);
  if (!path) return -1;
  jb_buf tmp = {0};
  jb_buf_printf(&tmp, "%s.%ld.tmp", path, (long)getpid());
  wr w = {fopen(jb_buf_str(&tmp), "wb"), 0};
  if (!w.f) {
    free(path);
    jb_buf_free(&tmp);
    return -1;
  }
  mx_weights fw;
  mx_weights_default(&fw);
  fw.w_title = mx->fw[0];
  fw.w_keywords = mx->fw[1];
  fw.w_body = mx->fw[2];
  fw.unigram = mx->fw[3];
  mx_header h;
  fill_header(&h, mx->generation, mx->lexhash, &fw);
  put(&w, &h, sizeof(h));
  put_u64(&w, mx->terms.n);
  for (uint32_t i = 0; i < mx->terms.n; i++) put_str(&w, mx->terms.text[i]);
  put_u64(&w, mx->nunits);
  for (uint32_t i = 0; i < mx->nunits; i++) {
    const mx_unit *u = &mx->units[i];
    put(&w, u, sizeof(*u)); /* the pointers in it are rewritten on load */
    put_str(&w, u->id);
    put_str(&w, u->name);
    put_str(&w, u->org);
    put_str(&w, u->region);
    put_str(&w, u->list);
  }
  put_pairs(&w, mx->conflicts, mx->nconflicts);
  put_pairs(&w, mx->collabs, mx->ncollabs);
  put_u64(&w, mx->norgs);
  for (uint32_t i = 0; i < mx->norgs; i++) {
    put_str(&w, mx->orgs[i].id);
    put_str(&w, mx->orgs[i].parent);
    put_str(&w, mx->orgs[i].name);
  }
  put_coll(&w, &mx->supply);
  put_coll(&w, &mx->demand);
  put(&w, MX_MAGIC, 8); /* the end: a cut file is rejected */
  int bad = w.bad | (fclose(w.f) != 0);
  if (!bad) bad = rename(tmp.p, path) != 0;
  if (bad) unlink(tmp.p);
  free(path);
  jb_buf_free(&tmp);
  return bad ? -1 : 0;
}

/* ----------------------------------------------------------------- read */

typedef struct rd {
  FILE *f;
  int bad;
} rd;

static void get(rd *r, void *p, size_t n) {
  if (!r->bad && n && fread(p, 1, n, r->f) != n) r->bad = 1;
}

static uint64_t get_u64(rd *r) {
  uint64_t v = 0;
  get(r, &v, sizeof(v));
  return v;
}

/* Sizes read from the file are bounded before use: a damaged file must not
** make us allocate without limit. */
#define MX_SANE(n) ((n) < ((uint64_t)1 << 40))

static char *get_str(rd *r) {
  uint32_t n = 0;
  get(r, &n, sizeof(n));
  if (r->bad || n == UINT32_MAX) return NULL;
  if (n > (1u << 26)) { r->bad = 1; return NULL; }
  char *s = malloc((size_t)n + 1);
  if (!s) { r->bad = 1; return NULL; }
  get(r, s, n);
  s[n] = 0;
  return s;
}

static void *get_array(rd *r, uint64_t n, size_t size) {
  if (r->bad || !MX_SANE(n)) { r->bad = 1; return NULL; }
  void *p = malloc(n ? n * size : 1);
  if (!p) { r->bad = 1; return NULL; }
  get(r, p, n * size);
  return p;
}

static void get_coll(rd *r, mx_coll *c) {
  uint64_t n = get_u64(r);
  c->docs = get_array(r, n, sizeof(mx_doc));
  c->ndocs = c->capdocs = (uint32_t)n;
  n = get_u64(r);
  c->fwd = get_array(r, n, sizeof(mx_fwd));
  c->nfwd = c->capfwd = n;
  n = get_u64(r);
  c->nterms_alloc = (uint32_t)n;
  c->off = get_array(r, n + 1, sizeof(uint64_t));
  c->npost = get_array(r, n, sizeof(uint32_t));
  c->post = get_array(r, c->off && !r->bad ? c->off[n] : 0, sizeof(mx_posting));
  get(r, &c->avglen, sizeof(c->avglen));
  get(r, &c->maxyear, sizeof(c->maxyear));
}

static mx_pair *get_pairs(rd *r, uint32_t *n) {
  uint64_t k = get_u64(r);
  if (!MX_SANE(k)) { r->bad = 1; return NULL; }
  mx_pair *v = calloc(k ? k : 1, sizeof(mx_pair));
  if (!v) { r->bad = 1; return NULL; }
  *n = (uint32_t)k;
  for (uint64_t i = 0; i < k && !r->bad; i++) {
    v[i].key = get_str(r);
    v[i].note = get_str(r);
    get(r, &v[i].year, sizeof(v[i].year));
  }
  return v;
}

static int rebuild_term_hash(mx_terms *t) {
  uint32_t ns = 4096;
  while (ns < t->n * 2 + 1) ns *= 2;
  t->slots = calloc(ns, sizeof(uint32_t));
  if (!t->slots) return -1;
  t->nslots = ns;
  for (uint32_t i = 0; i < t->n; i++) {
    const char *s = t->text[i];
    uint32_t h = (uint32_t)jb_hash64(s, strlen(s), 7) & (ns - 1);
    while (t->slots[h]) h = (h + 1) & (ns - 1);
    t->slots[h] = i + 1;
  }
  return 0;
}

jb_match_index *mx_load(jb_db *db, const mx_weights *w, const char *generation) {
  char *path = index_path(db);
  if (!path) return NULL;
  rd r = {fopen(path, "rb"), 0};
  free(path);
  if (!r.f) return NULL;
  mx_header want, have;
  fill_header(&want, generation, jb_lexicon_hash(db->lex), w);
  get(&r, &have, sizeof(have));
  if (r.bad || memcmp(&want, &have, sizeof(want))) {
    fclose(r.f);
    return NULL; /* built from another state: the caller rebuilds */
  }
  jb_match_index *mx = calloc(1, sizeof(*mx));
  if (!mx) {
    fclose(r.f);
    return NULL;
  }
  uint64_t n = get_u64(&r);
  if (!MX_SANE(n)) r.bad = 1;
  if (!r.bad) {
    mx->terms.text = calloc(n ? n : 1, sizeof(char *));
    mx->terms.cap = (uint32_t)n;
    if (!mx->terms.text) r.bad = 1;
  }
  for (uint64_t i = 0; i < n && !r.bad; i++) {
    mx->terms.text[i] = get_str(&r);
    if (!mx->terms.text[i]) r.bad = 1;
    else mx->terms.n++;
  }
  n = get_u64(&r);
  if (!r.bad && MX_SANE(n)) {
    mx->units = calloc(n ? n : 1, sizeof(mx_unit));
    mx->capunits = (uint32_t)n;
    if (!mx->units) r.bad = 1;
  } else {
    r.bad = 1;
  }
  for (uint64_t i = 0; i < n && !r.bad; i++) {
    mx_unit *u = &mx->units[i];
    get(&r, u, sizeof(*u));
    u->id = u->name = u->org = u->region = u->list = NULL;
    mx->nunits++;
    u->id = get_str(&r);
    u->name = get_str(&r);
    u->org = get_str(&r);
    u->region = get_str(&r);
    u->list = get_str(&r);
    if (!u->id) r.bad = 1;
  }
  if (!r.bad) mx->conflicts = get_pairs(&r, &mx->nconflicts);
  if (!r.bad) mx->collabs = get_pairs(&r, &mx->ncollabs);
  n = get_u64(&r);
  if (!r.bad && MX_SANE(n)) {
    mx->orgs = calloc(n ? n : 1, sizeof(mx_orgref));
    if (!mx->orgs) r.bad = 1;
  } else {
    r.bad = 1;
  }
  for (uint64_t i = 0; i < n && !r.bad; i++) {
    mx->orgs[i].id = get_str(&r);
    mx->orgs[i].parent = get_str(&r);
    mx->orgs[i].name = get_str(&r);
    mx->norgs++;
  }
  if (!r.bad) get_coll(&r, &mx->supply);
  if (!r.bad) get_coll(&r, &mx->demand);
  char end[8] = {0};
  get(&r, end, 8);
  if (memcmp(end, MX_MAGIC, 8)) r.bad = 1;
  fclose(r.f);
  if (!r.bad && rebuild_term_hash(&mx->terms)) r.bad = 1;
  if (r.bad) {
    jb_match_index_free(mx);
    return NULL;
  }
  mx->generation = jb_strdup(generation);
  mx->lexhash = jb_lexicon_hash(db->lex);
  memcpy(mx->fw, want.fw, sizeof(mx->fw));
  return mx;
}
