/*
** fuzz_query.c — any user text as a search query (jb_search) and as an ad
** hoc need (jb_match with opts.text), against the fixture database built
** once. Any status is acceptable; what must hold:
**   - no crash, leak or undefined behaviour;
**   - JB_OK comes with a result that prints as JSON and parses back, and
**     never more results than k;
**   - a failure comes with no result and a message saying why.
** The input is copied into a NUL-terminated buffer (the APIs take C strings);
** an embedded NUL simply ends the query.
**
** Search type, k, markers and why_not are taken from the input's length so
** that every byte of the input is query text and seeds read as plain text.
*/
#include "fuzz_common.h"
#include <stdlib.h>
#include <string.h>

static jb_db *db;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  db = jbf_db_open(JBF_DB_FIXTURE);
  return 0;
}

static int count_results(const cJSON *out) {
  const cJSON *r = cJSON_GetObjectItemCaseSensitive(out, "results");
  JBF_CHECK(cJSON_IsArray(r), "result without a \"results\" array");
  return cJSON_GetArraySize(r);
}

static void search(const char *q, size_t size) {
  static const char *const types[] = {NULL, "need", "expert", "achievement", "org"};
  jb_search_opts o = {0};
  o.query = q;
  o.type = types[size % 5];
  o.k = (int)(size % 7); /* 0 = the default 10 */
  if (size % 3 == 1) {
    /* markers that are themselves query syntax and multi-byte */
    o.mark_open = "\"【";
    o.mark_close = "】*";
  }
  cJSON *out = NULL;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_search(db, &o, &out, &err);
  jbf_check_no_txn(db, "jb_search");
  if (rc == JB_OK) {
    jbf_check_json(out, "jb_search result");
    int want = o.k ? o.k : 10;
    int got = count_results(out);
    JBF_CHECK(got <= want, "jb_search returned %d results for k=%d", got, want);
  } else {
    JBF_CHECK(out == NULL, "jb_search failed (%s) but returned a result", jb_status_name(rc));
    jbf_check_error(rc, &err, "jb_search");
  }
  cJSON_Delete(out);
}

static void match(const char *q, size_t size) {
  static const char *const types[] = {NULL, "expert", "achievement", "org"};
  jb_match_opts o = {0};
  o.text = q;
  o.type = types[size % 4];
  o.k = 1 + (int)(size % 5);
  o.explain = 1;
  /* exp-0001 has a declared conflict with org-chenyou: exercise why-not */
  if (size % 2) o.why_not = size % 4 == 1 ? "exp-0001" : "org-hunau";
  cJSON *out = NULL;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_match(db, &o, &out, &err);
  jbf_check_no_txn(db, "jb_match");
  if (rc == JB_OK) {
    jbf_check_json(out, "jb_match result");
    int got = count_results(out);
    JBF_CHECK(got <= o.k, "jb_match returned %d results for k=%d", got, o.k);
  } else {
    JBF_CHECK(out == NULL, "jb_match failed (%s) but returned a result", jb_status_name(rc));
    jbf_check_error(rc, &err, "jb_match");
  }
  cJSON_Delete(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  /* A little over the 8 KiB query limit, so the limit itself is exercised. */
  if (size > 9000) return 0;
  char *q = malloc(size + 1);
  if (!q) return 0;
  memcpy(q, data, size);
  q[size] = 0;
  search(q, size);
  match(q, size);
  free(q);
  return 0;
}
