/*
** test_hostile.c — hostile input: each case gets a clear error or is stored
** exactly; nothing crashes; nothing half-written remains (the database
** passes both integrity checks and holds what it held before).
*/
#include "util.h"

static jb_db *db;
static char *baseline;

/* Imports `content` (n bytes) as file `name`; returns the status and keeps
** the message. */
static jb_status import_bytes(const char *name, const char *content, size_t n, int skip, jb_error *err) {
  const char *path = tmp_path(name);
  FILE *f = fopen(path, "wb");
  fwrite(content, 1, n, f);
  fclose(f);
  jb_import_opts o = {0};
  o.skip_invalid = skip;
  return jb_import_files(db, &path, 1, &o, NULL, err);
}

/* The database is intact and unchanged. */
static void intact(const char *what) {
  jb_error err;
  CHECK(jb_db_check(db, &err) == JB_OK, "%s: integrity: %s", what, err.message);
  char *now = export_all(db);
  CHECK(!strcmp(now, baseline), "%s: database content unchanged", what);
  free(now);
}

TEST(nul_bytes_and_invalid_utf8) {
  jb_error err;
  const char raw[] = "{\"type\":\"need\",\"id\":\"nul\",\"title\":\"a\0b\"}\n";
  CHECK(import_bytes("nul.jsonl", raw, sizeof(raw) - 1, 0, &err) == JB_ERR_PARSE, "NUL byte inside a line refused");
  CHECK(strstr(err.message, "nul.jsonl:1:"), "names the line: %s", err.message);
  intact("NUL");
  /* \u0000 would silently cut the string: refused, not truncated */
  const char esc[] = "{\"type\":\"need\",\"id\":\"nul2\",\"title\":\"a\\u0000b\"}\n";
  CHECK(import_bytes("nul2.jsonl", esc, sizeof(esc) - 1, 0, &err) == JB_ERR_PARSE && strstr(err.message, "u0000"),
        "escaped NUL refused: %s", err.message);
  /* an escaped backslash before u0000 is just text */
  const char ok[] = "{\"type\":\"org\",\"id\":\"bs\",\"name\":\"a\\\\u0000\",\"kind\":\"enterprise\"}\n";
  CHECK(import_bytes("bs.jsonl", ok, sizeof(ok) - 1, 0, &err) == JB_OK, "escaped backslash stored: %s", err.message);
  cJSON *rec = NULL;
  jb_db_get(db, "org", "bs", 0, &rec, &err);
  CHECK(rec && !strcmp(cJSON_GetObjectItem(rec, "name")->valuestring, "a\\u0000"), "stored exactly");
  cJSON_Delete(rec);
  free(baseline);
  baseline = export_all(db);
  const char bad[] = "{\"type\":\"need\",\"id\":\"u\",\"title\":\"\xc3\x28\"}\n";
  CHECK(import_bytes("utf.jsonl", bad, sizeof(bad) - 1, 0, &err) == JB_ERR_PARSE, "invalid UTF-8 refused");
}

TEST(huge_line) {
  size_t n = 10u << 20;
  char *big = malloc(n + 200);
  int off = snprintf(big, 200, "{\"type\":\"need\",\"id\":\"big\",\"title\":\"");
  memset(big + off, 'x', n);
  strcpy(big + off + n, "\"}\n");
  jb_error err;
  CHECK(import_bytes("big.jsonl", big, strlen(big), 0, &err) == JB_ERR_INVALID, "10 MB field refused");
  CHECK(strstr(err.message, "title: too long"), "says which field: %s", err.message);
  /* a 20 MB line is over the line limit, not read whole */
  char *huge = malloc((20u << 20) + 2);
  memset(huge, ' ', 20u << 20);
  huge[0] = '{';
  huge[20u << 20] = '\n';
  CHECK(import_bytes("huge.jsonl", huge, (20u << 20) + 1, 0, &err) == JB_ERR_LIMIT, "20 MB line refused");
  free(big);
  free(huge);
  intact("huge lines");
}

TEST(wide_csv_and_deep_json) {
  /* a CSV row with 100,000 fields */
  size_t n = 100000 * 2 + 64;
  char *csv = malloc(n);
  strcpy(csv, "id,title\n");
  size_t p = strlen(csv);
  for (int i = 0; i < 100000; i++) {
    csv[p++] = 'a';
    csv[p++] = ',';
  }
  csv[p++] = '\n';
  jb_error err;
  CHECK(import_bytes("needs-wide.csv", csv, p, 0, &err) == JB_ERR_LIMIT, "100k-field row refused: %s", err.message);
  CHECK(strstr(err.message, "needs-wide.csv:2:"), "names the row: %s", err.message);
  free(csv);
  /* JSON nested 100,000 deep */
  size_t depth = 100000;
  char *deep = malloc(depth * 2 + 64);
  size_t q = (size_t)sprintf(deep, "{\"type\":\"need\",\"id\":\"deep\",\"title\":\"t\",\"text\":");
  for (size_t i = 0; i < depth; i++) deep[q++] = '[';
  for (size_t i = 0; i < depth; i++) deep[q++] = ']';
  deep[q++] = '}';
  deep[q++] = '\n';
  CHECK(import_bytes("deep.jsonl", deep, q, 0, &err) == JB_ERR_PARSE, "deep nesting refused, got %s", err.message);
  free(deep);
  /* numbers out of range and not numbers */
  const char nums[] = "{\"type\":\"need\",\"id\":\"n\",\"title\":\"t\",\"budget\":1e999}\n";
  jb_status rc = import_bytes("nums.jsonl", nums, sizeof(nums) - 1, 0, &err);
  CHECK(rc == JB_ERR_INVALID || rc == JB_ERR_PARSE, "1e999 refused: %s", err.message);
  const char neg[] = "{\"type\":\"expert\",\"id\":\"e\",\"capacity\":-3}\n";
  CHECK(import_bytes("neg.jsonl", neg, sizeof(neg) - 1, 0, &err) == JB_ERR_INVALID && strstr(err.message, "capacity"),
        "negative capacity refused: %s", err.message);
  intact("wide and deep");
}

TEST(bom_crlf_and_syntax_in_every_field) {
  /* BOM and CRLF line ends; FTS5 and SQL syntax in every text field,
  ** stored exactly and searchable as text */
  const char *evil = "\\\"; DROP TABLE need; -- OR 1=1 NEAR(a b) * ^ \\\"AND\\\" {}";
  /* ids may not hold spaces (TREC output splits on them): the same syntax without */
  const char *evil_id = "\\\";DROP_TABLE_need;--OR_1=1_NEAR(a,b)*^\\\"AND\\\"{}";
  char buf[4096];
  int n = snprintf(buf, sizeof(buf),
                   "\xEF\xBB\xBF{\"type\":\"org\",\"id\":\"evil-org\",\"name\":\"%s\",\"kind\":\"enterprise\","
                   "\"description\":\"%s\",\"keywords\":[\"%s\"]}\r\n"
                   "{\"type\":\"need\",\"id\":\"evil-need\",\"org\":\"evil-org\",\"title\":\"%s\",\"text\":\"%s\","
                   "\"keywords\":[\"%s\"],\"list\":\"%s\"}\r\n"
                   "{\"type\":\"expert\",\"id\":\"evil-exp\",\"name\":\"%s\",\"bio\":\"%s\",\"fields\":[\"%s\"],"
                   "\"papers\":[{\"id\":\"%s\",\"title\":\"%s\",\"abstract\":\"%s\"}]}\r\n",
                   evil, evil, evil, evil, evil, evil, evil, evil, evil, evil, evil_id, evil, evil);
  jb_error err;
  CHECK(import_bytes("evil.jsonl", buf, (size_t)n, 0, &err) == JB_OK, "syntax in every field stored: %s", err.message);
  cJSON *rec = NULL;
  jb_db_get(db, "need", "evil-need", 0, &rec, &err);
  const char *want = "\"; DROP TABLE need; -- OR 1=1 NEAR(a b) * ^ \"AND\" {}";
  CHECK(rec && !strcmp(cJSON_GetObjectItem(rec, "title")->valuestring, want), "stored exactly");
  cJSON_Delete(rec);
  jb_search_opts so = {0};
  so.query = want;
  cJSON *out = NULL;
  jb_status rc = jb_search(db, &so, &out, &err);
  CHECK(rc == JB_OK && cJSON_GetArraySize(cJSON_GetObjectItem(out, "results")) > 0, "found by its own text");
  cJSON_Delete(out);
  jb_match_opts mo = {0};
  mo.need_id = "evil-need";
  CHECK(jb_match(db, &mo, &out, &err) == JB_OK, "matched without error");
  cJSON_Delete(out);
  CHECK(jb_db_check(db, &err) == JB_OK, "integrity after evil records: %s", err.message);
  /* put the baseline back to this state */
  free(baseline);
  baseline = export_all(db);
}

TEST(protocol_limits) {
  static const char *const reqs[] = {
      "{\"op\":\"search\",\"query\":\"油茶\",\"k\":1000001}",
      "{\"op\":\"match\",\"need\":\"need-0058\",\"k\":-1}",
      "{\"op\":\"import\",\"records\":{}}",
      "{\"op\":\"search\",\"query\":123}",
      "{\"op\":\"demands\",\"duplicate\":7}",
      "{\"op\":\"assign\",\"capacity\":100000}",
      "{\"op\":[\"x\"]}",
      "null",
      "\"string\"",
      "{\"op\":\"check\"}",
  };
  for (int i = 0; i < JB_ARRAY_LEN_T(reqs); i++) {
    cJSON *r = jb_serve_line(db, reqs[i], strlen(reqs[i]));
    CHECK(r && cJSON_IsFalse(cJSON_GetObjectItem(r, "ok")) && cJSON_GetObjectItem(r, "error"),
          "request %s answered with an error", reqs[i]);
    cJSON_Delete(r);
  }
  /* a 1 MB text for an ad-hoc match is refused before any work */
  size_t n = 1u << 20;
  char *big = malloc(n + 64);
  int off = sprintf(big, "{\"op\":\"match\",\"text\":\"");
  memset(big + off, 'a', n);
  strcpy(big + off + n, "\"}");
  cJSON *r = jb_serve_line(db, big, strlen(big));
  char *e = r ? cJSON_PrintUnformatted(cJSON_GetObjectItem(r, "error")) : NULL;
  CHECK(e && strstr(e, "limit"), "1 MB match text: limit error");
  free(e);
  cJSON_Delete(r);
  free(big);
}

TEST(controls_bidi_and_bad_ids) {
  /* terminal escapes and bidi overrides are refused with the line, field
  ** and code point; so are ids a TREC run or a person would split or miss */
  static const struct {
    const char *rec, *field;
  } cases[] = {
      {"{\"type\":\"need\",\"id\":\"c1\",\"title\":\"x\\u001b]0;pwned\\u0007\\u001b[2J\"}", "title"},
      {"{\"type\":\"need\",\"id\":\"c2\",\"title\":\"abc\u202Edef\"}", "title"},
      {"{\"type\":\"need\",\"id\":\"c3\",\"title\":\"t\",\"list\":\"a\\tb\"}", "list"},
      {"{\"type\":\"expert\",\"id\":\"e1\",\"name\":\"n\\u007f\"}", "name"},
      {"{\"type\":\"need\",\"id\":\"   \",\"title\":\"t\"}", "id"},
      {"{\"type\":\"need\",\"id\":\"a b\",\"title\":\"t\"}", "id"},
      {"{\"type\":\"need\",\"id\":\"a\\tb\",\"title\":\"t\"}", "id"},
      {"{\"type\":\"need\",\"id\":\"a\u2066b\",\"title\":\"t\"}", "id"},
      {"{\"type\":\"need\",\"id\":\"a\u3000b\",\"title\":\"t\"}", "id"},
      {"{\"type\":\"need\",\"id\":\"a\u200Bb\",\"title\":\"t\"}", "id"},
  };
  for (int i = 0; i < JB_ARRAY_LEN_T(cases); i++) {
    char buf[512], name[32];
    int n = snprintf(buf, sizeof(buf), "\n%s\n", cases[i].rec);
    snprintf(name, sizeof(name), "ctl%d.jsonl", i);
    jb_error err;
    CHECK(import_bytes(name, buf, (size_t)n, 0, &err) == JB_ERR_INVALID, "refused: %s (%s)", cases[i].rec, err.message);
    char where[64];
    snprintf(where, sizeof(where), "%s:2: %s", name, cases[i].field);
    CHECK(strstr(err.message, where), "names line and field '%s': %s", where, err.message);
  }
  intact("controls");
  /* TAB and newlines stay allowed in long text */
  const char ok[] = "{\"type\":\"need\",\"id\":\"tabs-ok\",\"title\":\"t\",\"text\":\"a\\tb\\r\\nc\"}\n";
  jb_error err;
  CHECK(import_bytes("tabs.jsonl", ok, sizeof(ok) - 1, 0, &err) == JB_OK, "TAB/CRLF in text: %s", err.message);
  free(baseline);
  baseline = export_all(db);
}

int main(void) {
  db = open_db("hostile.db", 1);
  jb_import_stats st = {0};
  if (import_corpus(db, &st)) return 2;
  baseline = export_all(db);
  RUN(bom_crlf_and_syntax_in_every_field);
  RUN(nul_bytes_and_invalid_utf8);
  RUN(huge_line);
  RUN(wide_csv_and_deep_json);
  RUN(protocol_limits);
  RUN(controls_bidi_and_bad_ids);
  free(baseline);
  jb_db_close(db);
  return test_report();
}
