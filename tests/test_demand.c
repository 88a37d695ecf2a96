/*
** test_demand.c — demand lists and intake checks on the bundled corpus:
** chains populated, duplicates merged without losing a source, common needs
** spanning enterprises, filters, and the vague/concrete need checks.
*/
#include "util.h"

static jb_db *db;

static cJSON *demands(jb_demand_opts *o) {
  cJSON *out = NULL;
  /* the bundled corpus's deadlines (2021-22) have passed: list them anyway */
  o->include_expired = 1;
  jb_error err;
  jb_status rc = jb_demands(db, o, &out, &err);
  CHECK(rc == JB_OK, "demands: %s", rc ? err.message : "");
  return out;
}

static const cJSON *chain_group(const cJSON *list, const char *name) {
  const cJSON *g;
  cJSON_ArrayForEach(g, cJSON_GetObjectItem(list, "chains"))
  if (!strcmp(cJSON_GetObjectItem(g, "chain")->valuestring, name)) return g;
  return NULL;
}

TEST(chains_duplicates_common_needs) {
  jb_demand_opts o = {0};
  o.date = "2021-06-01";
  cJSON *d = demands(&o);
  static const char *const must[] = {"油茶", "柑桔", "3D打印"};
  for (int i = 0; i < 3; i++) {
    const cJSON *g = chain_group(d, must[i]);
    CHECK(g && cJSON_GetArraySize(cJSON_GetObjectItem(g, "needs")) >= 5, "chain %s populated", must[i]);
    /* ordered by the documented priority: enterprises asking, then deadline */
    const cJSON *prev = NULL, *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItem(g, "needs")) {
      if (prev) {
        int ep = cJSON_GetObjectItem(prev, "enterprises")->valueint, en = cJSON_GetObjectItem(n, "enterprises")->valueint;
        CHECK(ep >= en, "%s: %s before %s by enterprises asking", must[i], cJSON_GetObjectItem(prev, "id")->valuestring,
              cJSON_GetObjectItem(n, "id")->valuestring);
      }
      CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(n, "experts")) > 0 || 1, "experts listed");
      prev = n;
    }
  }
  /* the four near-duplicates the corpus plants are merged, sources kept */
  static const char *const dups[][2] = {{"need-0029", "need-0039"}, {"need-0105", "need-0114"},
                                         {"need-0003", "need-0017"}, {"need-0043", "need-0054"}};
  for (int i = 0; i < 4; i++) {
    int merged = 0, listed_dup = 0;
    const cJSON *g, *n, *x;
    cJSON_ArrayForEach(g, cJSON_GetObjectItem(d, "chains")) cJSON_ArrayForEach(n, cJSON_GetObjectItem(g, "needs")) {
      listed_dup |= !strcmp(cJSON_GetObjectItem(n, "id")->valuestring, dups[i][1]);
      if (strcmp(cJSON_GetObjectItem(n, "id")->valuestring, dups[i][0])) continue;
      cJSON_ArrayForEach(x, cJSON_GetObjectItem(n, "duplicates")) merged |= !strcmp(cJSON_GetObjectItem(x, "id")->valuestring, dups[i][1]);
    }
    CHECK(merged && !listed_dup, "%s merged into %s", dups[i][1], dups[i][0]);
  }
  /* nothing lost: every open need is listed or is a listed need's duplicate */
  const cJSON *sum = cJSON_GetObjectItem(d, "summary");
  CHECK(cJSON_GetObjectItem(sum, "listed")->valueint + cJSON_GetObjectItem(sum, "duplicates_merged")->valueint ==
            cJSON_GetObjectItem(sum, "needs")->valueint,
        "listed + merged = needs");
  /* common needs span enterprises */
  int common = 0;
  const cJSON *g, *c;
  cJSON_ArrayForEach(g, cJSON_GetObjectItem(d, "chains")) cJSON_ArrayForEach(c, cJSON_GetObjectItem(g, "common_needs")) {
    common++;
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(c, "orgs")) >= 2, "%s spans two or more enterprises",
          cJSON_GetObjectItem(c, "id")->valuestring);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(c, "needs")) >= 2, "%s has member needs", cJSON_GetObjectItem(c, "id")->valuestring);
    CHECK(cJSON_GetObjectItem(c, "title") && cJSON_GetArraySize(cJSON_GetObjectItem(c, "keywords")) > 0,
          "%s has a title and keywords", cJSON_GetObjectItem(c, "id")->valuestring);
  }
  CHECK(common >= 5, "common needs found: %d", common);
  /* the 油茶 post-harvest group (three enterprises) is found */
  char *s = cJSON_PrintUnformatted(d);
  CHECK(strstr(s, "\"needs\":[\"need-0029\",\"need-0045\",\"need-0067\"") != NULL, "油茶 脱壳烘干 common need");
  CHECK(!strstr(s, "\"contact\""), "no contacts unless asked");
  CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(d, "achievements")) > 0, "achievements with the needs they serve");
  free(s);
  cJSON_Delete(d);
}

TEST(filters) {
  jb_demand_opts o = {0};
  o.chain = "柑桔";
  cJSON *d = demands(&o);
  const cJSON *g;
  int groups = 0;
  cJSON_ArrayForEach(g, cJSON_GetObjectItem(d, "chains")) {
    groups++;
    const cJSON *n;
    cJSON_ArrayForEach(n, cJSON_GetObjectItem(g, "needs")) {
      cJSON *r = NULL;
      jb_error err;
      jb_db_get(db, "need", cJSON_GetObjectItem(n, "id")->valuestring, 0, &r, &err);
      char *s = cJSON_PrintUnformatted(r);
      CHECK(strstr(s, "柑桔") || strstr(s, "橘") || strstr(s, "橙"), "--chain 柑桔 lists only citrus needs: %s",
            cJSON_GetObjectItem(n, "id")->valuestring);
      free(s);
      cJSON_Delete(r);
    }
  }
  CHECK(groups >= 1, "citrus listed");
  cJSON_Delete(d);
  jb_demand_opts o2 = {0};
  o2.org = "org-chenyou";
  o2.with_contacts = 1;
  d = demands(&o2);
  char *s = cJSON_PrintUnformatted(d);
  CHECK(strstr(s, "\"contact\"") != NULL, "--with-contacts includes contacts");
  const cJSON *n;
  cJSON_ArrayForEach(g, cJSON_GetObjectItem(d, "chains")) cJSON_ArrayForEach(n, cJSON_GetObjectItem(g, "needs"))
  CHECK(!strcmp(cJSON_GetObjectItem(n, "org")->valuestring, "org-chenyou"), "--org filters");
  free(s);
  cJSON_Delete(d);
  jb_demand_opts o3 = {0};
  o3.chain = "no-such-chain";
  cJSON *out = NULL;
  jb_error err;
  CHECK(jb_demands(db, &o3, &out, &err) == JB_ERR_USAGE, "unknown chain refused");
}

static cJSON *check_record(const char *json) {
  cJSON *rec = cJSON_Parse(json), *out = NULL;
  jb_check_opts o = {0};
  o.need = rec;
  jb_error err;
  CHECK(jb_check(db, &o, &out, &err) == JB_OK, "check runs");
  cJSON_Delete(rec);
  return out;
}

static int has_flag(const cJSON *r, const char *code) {
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItem(r, "flags"))
  if (!strcmp(cJSON_GetObjectItem(f, "code")->valuestring, code)) return 1;
  return 0;
}

TEST(intake_check) {
  cJSON *r = check_record("{\"title\":\"希望专家帮助提升产品质量\"}");
  CHECK(!cJSON_IsTrue(cJSON_GetObjectItem(r, "ok")), "vague need is not ok");
  CHECK(has_flag(r, "no_technical_content") && has_flag(r, "too_short") && has_flag(r, "missing_owner"),
        "vague need flagged: no technical content, too short, no owner");
  cJSON_Delete(r);
  r = check_record("{\"title\":\"油茶鲜果脱壳后烘干含水率不稳定\",\"org\":\"org-chenyou\",\"deadline\":\"2021-12-31\","
                   "\"contact\":{\"name\":\"王工\"},\"chains\":[\"油茶\"],\"keywords\":[\"脱壳\",\"烘干\"],"
                   "\"text\":\"现用滚筒烘干机处理油茶果，茶籽含水率波动在9%~15%之间，霉变率约4%，"
                   "出油率只有18%。希望将含水率稳定控制在8%以下，霉变率降到1%以内，能耗降低20%。\"}");
  /* accepted: the only warning may be that the corpus already has this need */
  const cJSON *f;
  cJSON_ArrayForEach(f, cJSON_GetObjectItem(r, "flags"))
  CHECK(!strcmp(cJSON_GetObjectItem(f, "severity")->valuestring, "info") ||
            !strcmp(cJSON_GetObjectItem(f, "code")->valuestring, "duplicate"),
        "concrete need: unexpected flag %s", cJSON_GetObjectItem(f, "code")->valuestring);
  CHECK(has_flag(r, "duplicate"), "it repeats need-0067 of the corpus, and says so");
  const cJSON *sug = cJSON_GetObjectItem(r, "suggestions");
  CHECK(cJSON_GetObjectItem(sug, "candidates_above_floor")->valueint > 0, "candidates found");
  cJSON_Delete(r);
  /* a stored need that repeats another */
  jb_check_opts o = {0};
  o.need_id = "need-0039";
  jb_error err;
  cJSON *out = NULL;
  CHECK(jb_check(db, &o, &out, &err) == JB_OK, "check a stored need");
  CHECK(has_flag(out, "duplicate"), "need-0039 flagged as a duplicate of need-0029");
  cJSON_Delete(out);
  /* suggestions: a chain from the text of a need that names none */
  r = check_record("{\"title\":\"柑桔黄龙病田间快速检测\",\"text\":\"木虱防控不到位，黄龙病发病率达到12%，需要快速PCR检测方法。\"}");
  char *s = cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "suggestions"));
  CHECK(strstr(s, "柑桔"), "chain 柑桔 suggested: %s", s);
  free(s);
  cJSON_Delete(r);
  jb_check_opts all = {0};
  all.all = 1;
  CHECK(jb_check(db, &all, &out, &err) == JB_OK, "database check");
  const cJSON *sum = cJSON_GetObjectItem(out, "summary");
  CHECK(cJSON_GetObjectItem(sum, "duplicate_groups")->valueint >= 4, "duplicate groups found");
  CHECK(cJSON_GetObjectItem(sum, "vague_needs")->valueint >= 3, "vague needs found: %d",
        cJSON_GetObjectItem(sum, "vague_needs")->valueint);
  cJSON_Delete(out);
}

int main(void) {
  db = open_db("demand.db", 1);
  jb_import_stats st = {0};
  if (import_corpus(db, &st)) return 2;
  RUN(chains_duplicates_common_needs);
  RUN(filters);
  RUN(intake_check);
  jb_db_close(db);
  return test_report();
}
