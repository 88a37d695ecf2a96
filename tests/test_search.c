/*
** test_search.c — full-text search on the bundled corpus: Chinese inside
** longer runs, synonyms across languages, and any user text being safe.
*/
#include "util.h"

static jb_db *db;

static cJSON *search(const char *q, const char *type, int k, jb_status *rc) {
  jb_search_opts o = {0};
  o.query = q;
  o.type = type;
  o.k = k;
  cJSON *out = NULL;
  jb_error err;
  *rc = jb_search(db, &o, &out, &err);
  return out;
}

/* Does some result of `type` have a record text containing `needle`? */
static int has_type(const cJSON *out, const char *type) {
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(out, "results"))
  if (!strcmp(cJSON_GetObjectItem(r, "type")->valuestring, type)) return 1;
  return 0;
}

/* The stored record of a result, as text, for content checks. */
static char *record_text(const cJSON *r) {
  cJSON *rec = NULL;
  jb_error err;
  if (jb_db_get(db, cJSON_GetObjectItem(r, "type")->valuestring, cJSON_GetObjectItem(r, "id")->valuestring, 0,
                &rec, &err))
    return NULL;
  char *s = cJSON_PrintUnformatted(rec);
  cJSON_Delete(rec);
  return s;
}

TEST(two_char_words_inside_runs) {
  jb_status rc;
  cJSON *out = search("无抗", NULL, 30, &rc);
  CHECK(rc == JB_OK && cJSON_GetArraySize(cJSON_GetObjectItem(out, "results")) >= 5, "无抗 finds records");
  CHECK(has_type(out, "need") && has_type(out, "expert") && has_type(out, "achievement"),
        "无抗 finds needs, experts and achievements");
  /* every hit really contains 无抗 (inside 无抗蛋鸡, 无抗饲料 ...) */
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(out, "results")) {
    const char *snip = cJSON_GetObjectItem(r, "snippet")->valuestring;
    const cJSON *ev = cJSON_GetObjectItem(r, "evidence");
    CHECK(strstr(snip, "[无抗]") || (ev && strstr(cJSON_GetObjectItem(ev, "title")->valuestring, "无抗")),
          "hit %s highlights 无抗: %s", cJSON_GetObjectItem(r, "id")->valuestring, snip);
  }
  cJSON_Delete(out);
  out = search("稻花鱼", NULL, 30, &rc);
  CHECK(has_type(out, "need") && has_type(out, "expert") && has_type(out, "achievement"),
        "稻花鱼 finds needs, experts and achievements");
  cJSON_Delete(out);
  out = search("科技", "org", 50, &rc);
  int found = 0;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(out, "results")) found |= !strcmp(cJSON_GetObjectItem(r, "id")->valuestring, "org-csuft");
  CHECK(found, "科技 finds 中南林业科技大学");
  cJSON_Delete(out);
  out = search("茶", "need", 10, &rc);
  CHECK(rc == JB_OK && cJSON_GetArraySize(cJSON_GetObjectItem(out, "results")) > 0, "one-character query 茶 matches");
  cJSON_Delete(out);
}

/* 增材制造 and "additive manufacturing" reach records that only say 3D打印/3DP. */
static void synonym_case(const char *q) {
  jb_status rc;
  cJSON *out = search(q, NULL, 50, &rc);
  CHECK(rc == JB_OK, "%s searches", q);
  int other_words = 0;
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(out, "results")) {
    char *t = record_text(r);
    if (t && (strstr(t, "3D打印") || strstr(t, "3DP")) && !strstr(t, q)) other_words++;
    free(t);
  }
  CHECK(other_words >= 3, "'%s' finds %d records that say 3D打印/3DP but not '%s'", q, other_words, q);
  CHECK(has_type(out, "need") && has_type(out, "expert") && has_type(out, "achievement"),
        "'%s' finds needs, experts and achievements", q);
  cJSON_Delete(out);
}

TEST(synonyms_across_languages) {
  synonym_case("增材制造");
  synonym_case("additive manufacturing");
  /* English stemming: printing -> print */
  jb_status rc;
  cJSON *out = search("printed", NULL, 10, &rc);
  CHECK(rc == JB_OK && cJSON_GetArraySize(cJSON_GetObjectItem(out, "results")) > 0, "printed matches print*");
  cJSON_Delete(out);
}

TEST(any_text_is_safe) {
  static const char *queries[] = {"C++", "3D-printing", "\"", "\"\"\"", "AND", "OR NOT", "*", "NEAR(a b)",
                                  "a:b", "'); DROP TABLE need; --", "^油茶", "油茶 OR", "(", ")", "-", "{}", "\\"};
  for (int i = 0; i < JB_ARRAY_LEN_T(queries); i++) {
    jb_status rc;
    cJSON *out = search(queries[i], NULL, 10, &rc);
    CHECK(rc == JB_OK || rc == JB_ERR_USAGE, "query '%s' gives results or a usage message, got %d", queries[i], rc);
    cJSON_Delete(out);
  }
  jb_status rc;
  cJSON *out = search("", NULL, 10, &rc);
  CHECK(rc == JB_ERR_USAGE && !out, "empty query is a usage error");
  char *huge = malloc(100001);
  memset(huge, 'x', 100000);
  huge[100000] = 0;
  out = search(huge, NULL, 10, &rc);
  CHECK(rc == JB_ERR_LIMIT, "100 KB query is refused with a limit error, got %d", rc);
  /* a long but allowed query of many words still answers */
  char *many = malloc(8000);
  many[0] = 0;
  for (int i = 0; i < 600; i++) strcat(many, i % 2 ? "油茶 " : "AND ");
  out = search(many, NULL, 10, &rc);
  CHECK(rc == JB_OK, "600-word query answers, got %d", rc);
  cJSON_Delete(out);
  out = search("\xff\xfe", NULL, 10, &rc);
  CHECK(rc == JB_ERR_PARSE, "invalid UTF-8 query refused");
  free(huge);
  free(many);
}

TEST(type_filter_and_k) {
  jb_status rc;
  cJSON *out = search("油茶", "expert", 7, &rc);
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(out, "results")) == 7, "k=7 gives 7");
  const cJSON *r;
  cJSON_ArrayForEach(r, cJSON_GetObjectItem(out, "results"))
  CHECK(!strcmp(cJSON_GetObjectItem(r, "type")->valuestring, "expert"), "only experts");
  cJSON_Delete(out);
  out = search("油茶", "widget", 7, &rc);
  CHECK(rc == JB_ERR_USAGE, "unknown type refused");
  out = search("油茶", NULL, 100000, &rc);
  CHECK(rc == JB_ERR_LIMIT, "k over the limit refused");
}

int main(void) {
  db = open_db("search.db", 1);
  jb_import_stats st = {0};
  if (import_corpus(db, &st)) return 2;
  RUN(two_char_words_inside_runs);
  RUN(synonyms_across_languages);
  RUN(any_text_is_safe);
  RUN(type_filter_and_k);
  jb_db_close(db);
  return test_report();
}
