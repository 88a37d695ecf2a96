/*
** match_int.h — the match index shared by match_index.c (building),
** match_score.c (scoring one need) and match_batch.c (many needs, threads).
**
** The index is built from the tables, or mapped from its files beside the
** database (match_store.c), and kept current by mx_get(): a write of needs
** only rebuilds the needs part, any other change both parts (see struct
** jb_match_index). It holds two collections of documents, each with its
** own term statistics:
**   supply: expert evidence (papers, patents, projects), expert profiles,
**           achievements, and institution profiles;
**   demand: needs (for matching an expert or achievement to needs).
** A unit is what gets ranked (an expert, achievement, org or need); an
** expert is one unit with many documents.
*/
#ifndef JB_MATCH_INT_H
#define JB_MATCH_INT_H

#include "jb_int.h"
#include <stdatomic.h>

typedef enum mx_type { MX_EXPERT = 0, MX_ACHIEVEMENT, MX_ORG, MX_NEED, MX_NTYPES } mx_type;

/* "expert", "achievement", "org", "need": the names in requests and output. */
const char *mx_type_name(mx_type t);

typedef struct mx_posting {
  uint32_t doc;
  float tf;        /* field-weighted term frequency */
} mx_posting;

typedef struct mx_fwd {
  uint32_t term;
  float tf;
} mx_fwd;

typedef struct mx_doc {
  uint32_t unit;
  uint32_t fwd, nfwd;  /* slice of the collection's forward list */
  float len;           /* field-weighted length */
  float vnorm;         /* Euclidean norm of its tf-idf vector (cosine) */
  int16_t year;        /* 0 = unknown */
  uint8_t profile;     /* 1: the unit's own profile, 0: an evidence document */
  int64_t rowid;       /* evidence/achievement/need rowid, for explanations */
} mx_doc;

/* What of a mapped collection's forward list and postings is still to be
** checked (match_store.c). They are most of the index file (940 MB of 975
** at 100k items); checking them whole made a fresh process read all of it
** before answering. Instead each 64 KiB block carries its own CRC-32 and is
** checked (checksum, then every term id, document id, order and weight in
** it) the first time a posting list or forward list in it is read, through
** mx_post() and mx_fwd_of(). A block that fails is never read: the list
** reads as empty and `damaged` is set, and the caller that produced an
** answer from this index throws the answer away, reports the damage and
** answers again from a rebuilt index (jb_match; mx_get_checked checks all
** blocks up front for the commands that read most of them anyway). */
#define MX_BLOCK_BYTES 65536u
typedef struct mx_lazy {
  const uint32_t *crc[2];         /* per block CRC-32: forward list (0), postings (1) */
  uint64_t nblk[2];
  _Atomic unsigned char *state[2];/* per block: 0 unchecked, 1 good, 2 bad */
  uint32_t nterms;                /* bound of the forward list's term ids */
  int part;                       /* MX_PART_*: whose file, for the report */
  _Atomic int damaged;
  const char *why;                /* the first failed check (a literal) */
} mx_lazy;

typedef struct mx_coll {
  mx_doc *docs;
  uint32_t ndocs, capdocs;
  mx_fwd *fwd;
  size_t nfwd, capfwd;
  /* postings of term t (term ids are global, see mx_terms): npost[t] of
  ** them at post + off[t], one flat array once built */
  mx_posting *post;
  uint64_t *off;
  uint32_t *npost;
  uint32_t nterms_alloc;
  double avglen;
  int maxyear;         /* newest dated document: recency is relative to it */
  int mapped;          /* the arrays are in the index file's mapping (read-only) */
  mx_lazy *lazy;       /* mapped and not yet checked whole, else NULL */
} mx_coll;

/* Checks the blocks under term t's postings / forward entries [from, to)
** (match_store.c): 0 when good, -1 when damaged (then c->lazy->damaged). */
int mx_lazy_post(const mx_coll *c, uint32_t t);
int mx_lazy_fwd(const mx_coll *c, uint64_t from, uint64_t to);
/* Checks every block not checked yet (drop: let the mapped pages go after,
** for a file's mapping only): 0, and c->lazy is then NULL; -1 damaged. */
int mx_verify_coll(mx_coll *c, int drop);
void mx_lazy_free(mx_lazy *lz);

/* Term t's postings: their number (0 for a term the collection does not
** have, or whose block is damaged) and *p. Every read of postings and of
** forward lists goes through these two: they check a mapped block first. */
static inline uint32_t mx_post(const mx_coll *c, uint32_t t, const mx_posting **p) {
  *p = c->post;
  if (t >= c->nterms_alloc || !c->off || !c->npost[t]) return 0;
  if (c->lazy && mx_lazy_post(c, t)) return 0;
  *p = c->post + c->off[t];
  return c->npost[t];
}

/* Document d's forward list (term ids ascending): its length and *f. */
static inline uint32_t mx_fwd_of(const mx_coll *c, uint32_t d, const mx_fwd **f) {
  const mx_doc *x = &c->docs[d];
  *f = c->fwd + x->fwd;
  if (!x->nfwd) return 0;
  if (c->lazy && mx_lazy_fwd(c, x->fwd, (uint64_t)x->fwd + x->nfwd)) return 0;
  return x->nfwd;
}

typedef struct mx_unit {
  uint8_t type;        /* mx_type */
  uint8_t programs;    /* MX_PROG_* bits */
  uint8_t open;        /* needs: status open */
  int16_t capacity;
  char *id;
  char *name;
  char *org;           /* owner / employer org id, or NULL */
  char *region;
  char *list;          /* needs: challenge list */
  uint64_t chains;     /* bit i = lexicon chain i */
  uint64_t family;     /* chains and their parent chains (derived on load) */
  uint32_t org_unit;   /* experts: the unit of their institution, or UINT32_MAX (derived) */
  uint32_t inventor;   /* achievements: the unit of their inventor, or UINT32_MAX (derived) */
  uint32_t region_key[3]; /* hashes of the region's first 1, 2, 3 levels, 0 = none (derived) */
  int16_t engaged;     /* experts: pairings accepted or under contract (outcomes; derived) */
  uint32_t doc0, ndocs;/* documents in its collection */
  uint64_t content;    /* needs: hash of the row it was built from (a needs-part
                       ** rebuild reuses the document of an unchanged need) */
} mx_unit;

#define MX_PROG_COMMISSIONER 1  /* 科技特派员, 三区人才: serve counties */
#define MX_PROG_TALENT 2        /* 湖湘青年英才, 五溪英才, 靶向引才 */

typedef struct mx_terms {
  char **text;
  uint32_t n, cap;
  uint32_t *slots;     /* open addressing: term id + 1, 0 = empty */
  uint32_t nslots;
} mx_terms;

/* An expert-organization relation (declared conflict or collaboration). */
typedef struct mx_pair {
  char *key;            /* "expert\torg" */
  char *note;
  int year;
} mx_pair;

typedef struct mx_orgref {
  char *id, *parent, *name;
} mx_orgref;

struct jb_match_index {
  mx_terms terms;
  mx_pair *conflicts, *collabs;  /* sorted by key */
  uint32_t nconflicts, ncollabs;
  /* Pairings the candidate declined, "need\tctype\tcand" sorted, note the
  ** reason and year the year of the date: read from the outcomes on every
  ** load (mx_prepare), never saved in the index file. */
  mx_pair *declined;
  uint32_t ndeclined;
  mx_orgref *orgs;               /* every org with its parent, sorted by id */
  uint32_t norgs;
  mx_coll supply, demand;
  mx_unit *units;
  uint32_t nunits, capunits;
  uint32_t type_lo[MX_NTYPES + 1]; /* units of type t: [type_lo[t], type_lo[t+1]) */
  char *generation;
  uint64_t lexhash;
  double fw[4];         /* title, keywords, body weights, unigrams on: as built */
  char **stop;          /* stemmed English stopwords, sorted */
  int nstop;
  struct mx_scratch *spare; /* see mx_scratch_take() */
  /* Two parts, each with its own state and its own file (match_store.c):
  ** supply — every unit but needs, terms [0, nterms_supply), relations,
  ** orgs, the supply collection — built from the data named by
  ** supply_state; and needs — the need units (last, after type_lo[MX_NEED])
  ** and the terms after nterms_supply, the demand collection — built from
  ** the data named by generation. A write that changed needs only leaves
  ** supply_state as it was: then only the needs part is rebuilt. */
  uint32_t nterms_supply;
  char *supply_state;
  int inventors_known;  /* the supply units' inventor fields are set (built, or read from the file) */
  int supply_ready;     /* and their other derived fields (mx_prepare): a needs refresh skips them */
  /* the parts' files when loaded from them: their collections' arrays and
  ** strings point into these mappings, read-only */
  const uint32_t *saved_slots; /* the supply part's term table, in its file (mx_load) */
  uint32_t nsaved_slots;
  void *map[2];
  size_t maplen[2];
  int map_owned[2];     /* munmap on free (0: a caller's buffer, see mx_decode) */
  /* the norms of the needs' tf-idf vectors (dm_norms), computed on first use
  ** and dropped whenever the needs part is replaced: every intake check
  ** needs them, and computing them took half of a check at 10,000 needs */
  float *demand_norms;
};
typedef struct jb_match_index jb_match_index;

/* Builds (or returns the current) index for db; document field weights come
** from w, so an index built with other field weights is rebuilt. */
struct mx_weights;
jb_status mx_get(jb_db *db, const struct mx_weights *w, jb_match_index **ppMx, jb_error *err);
/* mx_get, every block of a mapped index checked first (a damaged file is
** reported, discarded and rebuilt): for the commands that read most of the
** index anyway (batch, assign, demands, check) or show what they compute as
** they go. */
jb_status mx_get_checked(jb_db *db, const struct mx_weights *w, jb_match_index **ppMx, jb_error *err);
/* Checks every block not checked yet: 0, or -1 when damaged (reported). */
int mx_verify(jb_db *db, jb_match_index *mx);
/* 1 when a read of this index met a damaged block since it was loaded: an
** answer computed from it must not be shown (reported on stderr once, when
** this is asked). */
int mx_damaged(jb_db *db, const jb_match_index *mx);
/* The features of a text: its tokens minus noise (kind 0), English word
** pairs (kind 1) and, when asked, single CJK characters (kind 2). Documents
** and queries both go through here. */
typedef int (*mx_feature_cb)(void *ctx, const char *f, int n, int kind, int start, int end);
int mx_features(const jb_match_index *mx, jb_tokenizer *tok, const char *text, int unigrams,
                void *ctx, mx_feature_cb cb);
/* The index kept beside the database so that a process need not rebuild it
** (match_store.c): DB.mx holds the supply part, DB.mx.needs the needs part.
** Load returns NULL when the supply part's file is absent, damaged or built
** from another state; *needs_ok tells whether the needs part came with it,
** current (else the caller rebuilds that part alone, reusing what
** an older needs part, if one was loaded, holds). Save writes a part atomically
** (MX_PART_SUPPLY, MX_PART_NEEDS). */
#define MX_PART_SUPPLY 0
#define MX_PART_NEEDS 1
jb_match_index *mx_load(jb_db *db, const struct mx_weights *w, const char *supply_state, const char *generation,
                        int *needs_ok);
int mx_save(jb_db *db, const jb_match_index *mx, int part);
/* The index in the bytes of a supply part's file, checked (checksums, and
** every offset against what it points into) and used in place: buf must
** outlive the index. NULL with *why set when damaged (or *stale set when
** intact but built from another state). The loader's core, also for the
** fuzz harness, which passes state NULL (any state will do) and may first
** make the checksums of its bytes right with mx_fix_checksums (to reach
** the checks behind them). */
jb_match_index *mx_decode(const void *buf, size_t n, const char *supply_state, uint64_t lexhash,
                          const double fw[4], const char **why, int *stale);
/* The needs part from the bytes of its file, onto an index holding the
** supply part only; -1 with *why or *stale as above,
** the index then as it was. generation NULL: any state will do. */
int mx_decode_needs(jb_match_index *mx, const void *buf, size_t n, const char *generation, const char **why,
                    int *stale);
void mx_fix_checksums(void *buf, size_t n);
/* The file of a part beside the database (caller frees), or NULL for an
** in-memory database. */
char *mx_index_path(const jb_db *db, int part);
void mx_report_damage(const char *path, const char *why);
/* The term lookup table, from the term texts (after a load). */
int mx_rebuild_term_hash(mx_terms *t);
/* The same from the supply part's saved table (its first nsaved terms,
** nslots slots; NULL or too small: rebuilt): copied, the others added. */
int mx_term_hash_from(mx_terms *t, const uint32_t *slots, uint32_t nslots, uint32_t nsaved);
/* The supply part's table to save (caller frees) and its size. */
uint32_t *mx_term_slots_save(const jb_match_index *mx, uint32_t *nslots);
uint32_t mx_term_slots_for(uint32_t n);
/* 1 when p is inside one of the index files' mappings (not to be freed). */
int mx_in_map(const jb_match_index *mx, const void *p);
/* Term id of a normalized token, or UINT32_MAX. */
uint32_t mx_term_find(const jb_match_index *mx, const char *tok, int n);
/* 1 when a normalized token carries no topic: stopword, number, lone CJK char. */
int mx_is_noise(const jb_match_index *mx, const char *tok, int n);
/* Chains (bits) mentioned in a text, via the lexicon's chain keywords. */
uint64_t mx_chains_in_text(jb_db *db, jb_tokenizer *tok, const char *text);
uint64_t mx_chains_from_json(jb_db *db, const char *json);
int mx_unit_find(const jb_match_index *mx, mx_type type, const char *id);
/* Derives what lookups need (type ranges, each expert's institution unit,
** each achievement's inventor, chain families) after a build or a load. */
jb_status mx_prepare(jb_db *db, jb_match_index *mx, jb_error *err);
uint64_t mx_family_bits(jb_db *db, uint64_t chains);
/* Hashes of a region path's first 1, 2 and 3 levels (湖南省 / 湖南省/怀化市 / …),
** 0 where the path is shorter: comparing regions is then comparing integers. */
void mx_region_keys(const char *region, uint32_t key[3]);
/* The parent org of an org, or NULL; its name, or NULL. */
const char *mx_org_parent(const jb_match_index *mx, const char *org);
const char *mx_org_name(const jb_match_index *mx, const char *org);
/* The conflict (collab = 0) or collaboration (collab = 1) of an expert with
** an org, or NULL. */
const mx_pair *mx_relation(const jb_match_index *mx, int collab, const char *expert, const char *org);

/* match_outcome.c: declined pairings and engagements, read on every prepare. */
jb_status mx_load_outcomes(jb_db *db, jb_match_index *mx, jb_error *err);
void mx_outcomes_free(jb_match_index *mx);
/* The declined pairing of need with candidate u (reason in note), or NULL. */
const mx_pair *mx_declined(const jb_match_index *mx, const char *need, const mx_unit *u);

/* ---- scoring (match_score.c) ---- */

/* Weights of the score; see match_score.c for the defaults and why. */
typedef struct mx_weights {
  double k1, b;            /* BM25 */
  double w_title, w_keywords, w_body;  /* field weights, documents and queries */
  double max_terms;        /* query terms kept, by weight */
  double evidence_decay;   /* weight of the 2nd, 3rd ... best evidence */
  double long_need;        /* need length from which the *_long weights apply */
  double cosine_long, max_terms_long, evidence_decay_long;
  double cosine;           /* share of tf-idf cosine (vs BM25) in text similarity */
  double phrase;           /* weight of English word-pair features */
  double unigram;          /* weight of single CJK characters (0: not indexed) */
  double qtf_log;          /* 1: need term weight 1 + ln(tf) */
  double recency;          /* per-year discount of old evidence */
  double prf_docs, prf_terms, prf_weight;  /* pseudo-relevance feedback */
  double org_via_experts;  /* an institution's score from its best expert */
  double chain, region, program;  /* structured boosts (multiplicative) */
  double floor;            /* minimum score listed */
} mx_weights;

void mx_weights_default(mx_weights *w);
jb_status mx_weights_apply(mx_weights *w, const cJSON *overrides, jb_error *err);
cJSON *mx_weights_json(const mx_weights *w);

/* A need as a query: see need.h. */
struct nd_need;

typedef struct mx_hit {
  uint32_t unit;
  double score, text;
  double chain, region, program;
  uint32_t best_doc;
  uint32_t via;        /* institutions: 1 + the expert unit that lifted it, or 0 */
} mx_hit;

/* Per-thread scratch space for scoring. */
typedef struct mx_scratch mx_scratch;
mx_scratch *mx_scratch_new(const jb_match_index *mx);
/* The index keeps one scratch space for its single-threaded callers (it is
** O(documents) to set up): take it (or a new one), give it back (the index
** then owns it; NULL is ignored). Threads use mx_scratch_new() instead. */
mx_scratch *mx_scratch_take(jb_match_index *mx);
void mx_scratch_give(jb_match_index *mx, mx_scratch *s);
void mx_scratch_free(mx_scratch *s);

/* Scores the supply units of the allowed types (bit mask of 1<<mx_type) for
** a need. Returns hits sorted best first (ties by type and id): keep > 0, at
** most the best `keep` with positive text relevance; keep == 0, all of
** those; keep < 0, every unit of the types, also those scoring 0. With
** apply_floor, hits below the floor are dropped. The array is owned by the
** scratch space and valid until the next call. Hits may include candidates
** the need excludes (callers ask nd_excluded() and say why); an institution
** is lifted only by experts the need does not exclude. */
int mx_score_need(jb_db *db, const jb_match_index *mx, mx_scratch *s, jb_tokenizer *tok,
                  const mx_weights *w, const struct nd_need *need, unsigned types, int keep,
                  int apply_floor, mx_hit **hits);

/* What scoring one need on one thread takes, travelling together: the
** database, its index, a scratch space, a tokenizer and the weights. */
typedef struct mx_ctx {
  jb_db *db;
  jb_match_index *mx;
  mx_scratch *s;
  jb_tokenizer *tok;
  mx_weights w;
} mx_ctx;

/* A hit as JSON with its explanation (components, terms, evidence), from the
** query left in s by the mx_score_need() that produced it (caller owns).
** NULL when its evidence cannot be read (sqlite3_errmsg says why) or out of
** memory: callers fail rather than show a hit without its reasons. */
cJSON *mx_hit_json(jb_db *db, const jb_match_index *mx, const mx_scratch *s, const mx_weights *w,
                   const mx_hit *h, int rank, const char *need_org, int explain, const mx_coll *c);

/* The query left in the scratch space by the last mx_score_need(). */
int mx_query_terms(const mx_scratch *s);
/* The document score below which the last mx_score_need() skipped units
** (0: it skipped none); for tests and profiles. */
double mx_last_cut(const mx_scratch *s);
/* A copy of that query, so that hits scored on one thread (or earlier) can
** be explained later with mx_hit_json(): save (caller frees with free()),
** restore into any scratch space of the same index (-1: out of memory). */
typedef struct mx_query mx_query;
mx_query *mx_query_save(const mx_scratch *s);
int mx_query_restore(mx_scratch *s, const mx_query *q);
uint32_t mx_query_term(const mx_scratch *s, int i, int *from_feedback);
double mx_term_contrib(const mx_scratch *s, const mx_coll *c, const mx_weights *w, int i,
                       double tf, double len, double vnorm);

/* ---- need-to-need similarity (demand.c), also used by check.c ---- */

/* A need as a tf-idf vector over the needs, without single CJK characters. */
typedef struct dm_vec {
  uint32_t *term;
  float *w;
  int n, cap;
  double norm;
} dm_vec;

void dm_vec_free(dm_vec *v);
int dm_vec_of_doc(const jb_match_index *mx, uint32_t doc, dm_vec *v);
int dm_vec_of_text(const jb_match_index *mx, jb_tokenizer *tok, const mx_weights *w, const char *title,
                   const cJSON *keywords, const char *text, dm_vec *v);
/* Norms of every need's vector, one per demand document: the index's own
** copy (mx->demand_norms), computed on the first call; NULL: out of memory. */
const float *dm_norms(jb_match_index *mx);
/* Cosine of v with every need: sim[] (zeroed by the caller, one per demand
** document) gets the values, touched[] the documents set. */
void dm_similar(const jb_match_index *mx, const dm_vec *v, const float *norms, float *sim, uint32_t *touched,
                uint32_t *ntouched);

#endif
