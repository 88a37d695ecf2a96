/*
** fuzz_index.c — any bytes as a match index file (DB.mx), through the
** loader's core (mx_decode) and, when it accepts them, through everything
** that reads an index: preparing the lookups, scoring a need against every
** type, explaining the hits, and need-to-need similarity. What must hold:
**   - no crash, leak or undefined behaviour, whatever the bytes;
**   - a refused file comes with the reason (the first check that failed).
** (The bytes of names and terms are guarded by the checksums alone: with
** them made right, an accepted file may hold invalid UTF-8 there.)
**
** The first byte of the input picks the mode; the rest is the file:
**   bit 0 clear: as is — the checksums guard (random damage must be refused);
**   bit 0 set:   with its checksums made right first (mx_fix_checksums), so
**                that the fuzzer gets past them to the bounds and structure
**                checks behind, which must hold on their own;
**   bit 1 clear: the file is a supply part (DB.mx);
**   bit 1 set:   the file is a needs part (DB.mx.needs), loaded on top of
**                the fixture database's own supply part.
** Seeds (tests/fuzz/seeds/index/) are real index files of small databases.
*/
#include "fuzz_common.h"
#include "match_int.h"
#include "need.h"
#include <stdlib.h>
#include <string.h>

static jb_db *db;
static mx_weights w;
static void *supply;     /* the fixture's supply part, for needs-part inputs */
static size_t nsupply;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  db = jbf_db_open(JBF_DB_FIXTURE);
  mx_weights_default(&w);
  jb_match_index *mx = NULL;
  jb_error err;
  jb_error_clear(&err);
  JBF_CHECK(mx_get(db, &w, &mx, &err) == JB_OK, "building the fixture's index: %s", err.message);
  char *path = mx_index_path(db, MX_PART_SUPPLY);
  FILE *f = fopen(path, "rb");
  JBF_CHECK(f != NULL, "the fixture's index file %s", path);
  fseek(f, 0, SEEK_END);
  nsupply = (size_t)ftell(f);
  rewind(f);
  supply = malloc(nsupply);
  JBF_CHECK(supply && fread(supply, 1, nsupply, f) == nsupply, "reading %s", path);
  fclose(f);
  free(path);
  return 0;
}

static void score_and_explain(jb_match_index *mx) {
  mx_scratch *s = mx_scratch_new(mx);
  JBF_CHECK(s != NULL, "mx_scratch_new failed");
  static const char *const kw[] = {"砂型", "粘结剂", "neural network"};
  cJSON *keywords = cJSON_CreateStringArray(kw, 3);
  /* a need as need.c makes one, with an owner: the eligibility rules run too */
  nd_need need = {0};
  char title[] = "砂型3D打印喷头堵塞与禾花鲤苗种繁育";
  char text[] = "binder jetting printhead clogging; transfer learning for fish breeding 种质提纯 规模化繁育";
  char org[] = "org-yunjian", region[] = "湖南省/怀化市/辰溪县", id[] = "need-0058";
  char *owners[] = {org};
  need.id = id;
  need.title = title;
  need.text = text;
  need.keywords = keywords;
  need.org = org;
  need.region = region;
  need.owners = owners;
  need.nowners = 1;
  mx_hit *hits = NULL;
  unsigned types = 1u << MX_EXPERT | 1u << MX_ACHIEVEMENT | 1u << MX_ORG;
  int n = mx_score_need(db, mx, s, db->tok, &w, &need, types, 5, 1, &hits);
  for (int i = 0; i < n; i++) {
    cJSON *j = mx_hit_json(db, mx, s, &w, &hits[i], i + 1, need.org, 1, &mx->supply);
    /* printed, not checked: the text of names and terms is guarded by the
    ** checksums alone (an accepted file may hold any bytes there) */
    char *txt = cJSON_PrintUnformatted(j);
    free(txt);
    cJSON_Delete(j);
  }
  n = mx_score_need(db, mx, s, db->tok, &w, &need, types, -1, 0, &hits);
  (void)n;
  cJSON_Delete(keywords);
  mx_scratch_free(s);
}

static void similar_needs(jb_match_index *mx) {
  uint32_t nd = mx->demand.ndocs;
  const float *norms = dm_norms(mx); /* kept with the index: not freed here */
  float *sim = calloc(nd ? nd : 1, sizeof(float));
  uint32_t *touched = calloc(nd ? nd : 1, sizeof(uint32_t));
  if (norms && sim && touched && nd) {
    dm_vec v = {0};
    if (!dm_vec_of_doc(mx, 0, &v)) {
      uint32_t nt = 0;
      dm_similar(mx, &v, norms, sim, touched, &nt);
      JBF_CHECK(nt <= nd, "dm_similar touched %u of %u documents", nt, nd);
    }
    dm_vec_free(&v);
  }
  free(sim);
  free(touched);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t n = size - 1;
  /* a copy: the index is used in place and needs its arrays aligned */
  void *buf = malloc(n ? n : 1);
  if (!buf) return 0;
  memcpy(buf, data + 1, n);
  if (data[0] & 1) mx_fix_checksums(buf, n);
  const char *why = NULL;
  int stale = 0;
  jb_match_index *mx = NULL;
  if (data[0] & 2) {
    mx = mx_decode(supply, nsupply, NULL, 0, NULL, &why, &stale);
    JBF_CHECK(mx != NULL, "the fixture's supply part was refused: %s", why);
    if (mx_decode_needs(mx, buf, n, NULL, &why, &stale)) {
      JBF_CHECK(why != NULL && *why, "mx_decode_needs refused a file without saying why");
      JBF_CHECK(mx->demand.ndocs == 0 && !mx->map[MX_PART_NEEDS], "a refused needs part left traces");
    }
  } else {
    mx = mx_decode(buf, n, NULL, 0, NULL, &why, &stale);
    if (!mx) JBF_CHECK(why != NULL && *why, "mx_decode refused a file without saying why");
  }
  if (mx && mx_rebuild_term_hash(&mx->terms)) {
    jb_match_index_free(mx);
    mx = NULL;
  }
  if (mx) {
    jb_error err;
    jb_error_clear(&err);
    JBF_CHECK(mx_prepare(db, mx, &err) == JB_OK, "preparing an accepted index: %s", err.message);
    score_and_explain(mx);
    similar_needs(mx);
    jb_match_index_free(mx);
  }
  free(buf);
  return 0;
}
