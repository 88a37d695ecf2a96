/*
** test_store.c — import, validation, transactions, export round trip, CSV.
*/
#include "util.h"

static void collect_errors(void *ctx, const jb_error *e) {
  char *buf = ctx;
  strncat(buf, e->message, 8000 - strlen(buf) - 2);
  strcat(buf, "\n");
}

TEST(corpus_imports_in_any_order) {
  jb_db *db = open_db("corpus.db", 1);
  jb_import_stats st = {0};
  CHECK(import_corpus(db, &st) == JB_OK, "bundled corpus imports");
  cJSON *s = NULL;
  jb_error err;
  jb_db_stats(db, &s, &err);
  CHECK(cJSON_GetObjectItem(s, "orgs")->valueint >= 40, "at least 40 orgs");
  CHECK(cJSON_GetObjectItem(s, "needs")->valueint >= 150, "at least 150 needs");
  CHECK(cJSON_GetObjectItem(s, "experts")->valueint >= 250, "at least 250 experts");
  CHECK(cJSON_GetObjectItem(s, "achievements")->valueint >= 120, "at least 120 achievements");
  CHECK(cJSON_GetObjectItem(s, "evidence")->valueint >= 500, "experts have evidence");
  double gen = cJSON_GetObjectItem(s, "generation")->valuedouble;
  cJSON_Delete(s);
  /* the same files again: nothing changes, not even the generation */
  jb_import_stats st2 = {0};
  CHECK(import_corpus(db, &st2) == JB_OK, "re-import");
  CHECK(st2.inserted == 0 && st2.updated == 0 && st2.unchanged == st.read,
        "re-import changes nothing: %ld inserted %ld updated %ld unchanged of %ld", st2.inserted,
        st2.updated, st2.unchanged, st.read);
  jb_db_stats(db, &s, &err);
  CHECK(cJSON_GetObjectItem(s, "generation")->valuedouble == gen, "generation unchanged");
  cJSON_Delete(s);
  CHECK(jb_db_check(db, &err) == JB_OK, "integrity: %s", err.message);
  jb_db_close(db);

  /* reverse order: needs before organizations */
  char paths[16][512];
  const char *pp[16];
  int n = corpus_files(paths, 16);
  for (int i = 0; i < n; i++) pp[i] = paths[n - 1 - i];
  db = open_db("reverse.db", 1);
  CHECK(jb_import_files(db, pp, n, NULL, NULL, &err) == JB_OK, "reverse order imports: %s", err.message);
  jb_db_close(db);
}

/* A need file whose 37th line is broken: the error names line 37 and the
** database content is exactly what it was before. */
TEST(broken_line_37_rolls_back) {
  jb_db *db = open_db("corpus.db", 0);
  char *before = export_all(db);
  char *needs = read_file(SOURCE_DIR "/corpora/chenxi/needs.jsonl");
  CHECK(needs != NULL, "read needs.jsonl");
  /* keep 36 lines, break the 37th, keep the rest */
  char *p = needs;
  for (int i = 0; i < 36 && p; i++) p = strchr(p, '\n') + 1;
  char *end37 = strchr(p, '\n');
  size_t head = (size_t)(p - needs);
  char *file = malloc(strlen(needs) + 64);
  memcpy(file, needs, head);
  /* the 37th record with its tail cut off, and a changed earlier record to
  ** prove that earlier lines of the file are rolled back too */
  size_t l37 = (size_t)(end37 - p);
  memcpy(file + head, p, l37 / 2);
  strcpy(file + head + l37 / 2, end37);
  char *first_title = strstr(file, "\"title\":\"");
  if (first_title) first_title[9] = 'X';
  const char *path = tmp_path("needs-broken.jsonl");
  write_file(path, file);
  jb_error err;
  jb_status rc = jb_import_files(db, &path, 1, NULL, NULL, &err);
  CHECK(rc == JB_ERR_PARSE, "broken line fails with a parse error, got %d", rc);
  char want[600];
  snprintf(want, sizeof(want), "%s:37:", path);
  CHECK(strstr(err.message, want) != NULL, "message names line 37: %s", err.message);
  CHECK(err.line == 37, "err.line is 37, got %ld", err.line);
  char *after = export_all(db);
  CHECK(!strcmp(before, after), "database content unchanged after a failed import");
  free(before);
  free(after);
  free(file);
  free(needs);
  jb_db_close(db);
}

TEST(bad_records_reported_with_line_and_field) {
  jb_db *db = open_db("bad.db", 1);
  const char *orgs = SOURCE_DIR "/corpora/chenxi/organizations.jsonl";
  const char *path = SOURCE_DIR "/corpora/invalid/bad-records.jsonl";
  jb_error err;
  /* the bad file refers to the corpus' organizations */
  CHECK(jb_import_files(db, &orgs, 1, NULL, NULL, &err) == JB_OK, "organizations: %s", err.message);
  char *before = export_all(db);
  CHECK(jb_import_files(db, &path, 1, NULL, NULL, &err) != JB_OK, "strict import fails");
  CHECK(strstr(err.message, "bad-records.jsonl:5:") != NULL, "first error on line 5: %s", err.message);
  char *after = export_all(db);
  CHECK(!strcmp(before, after), "nothing stored from a failed file");
  free(before);
  free(after);

  /* --skip-invalid: every bad line is reported, every good one stored */
  char errors[8192] = "";
  jb_import_opts o = {0};
  o.skip_invalid = 1;
  o.on_error = collect_errors;
  o.ctx = errors;
  jb_import_stats st = {0};
  jb_import_files(db, &path, 1, &o, &st, &err);
  char *expected = read_file(SOURCE_DIR "/corpora/invalid/bad-records.expected");
  CHECK(expected != NULL, "bad-records.expected present");
  int nexp = 0;
  for (char *line = expected; line && *line; nexp++) {
    long lineno = atol(line);
    char *tab = strchr(line, '\t');
    char field[64] = "";
    if (tab) sscanf(tab + 1, "%63[^\t\n]", field);
    char where[600];
    snprintf(where, sizeof(where), "bad-records.jsonl:%ld: %s", lineno, strcmp(field, "-") ? field : "");
    CHECK(strstr(errors, where) != NULL, "error for line %ld field %s reported; got:\n%s", lineno, field, errors);
    line = strchr(line, '\n');
    if (line) line++;
  }
  CHECK(st.invalid == nexp, "%ld invalid records reported, expected %d", st.invalid, nexp);
  CHECK(st.inserted == st.read - nexp, "good records stored: %ld of %ld", st.inserted, st.read);
  free(expected);
  jb_db_close(db);
}

TEST(validation_messages) {
  jb_db *db = open_db("valid.db", 1);
  struct {
    const char *line, *want;
  } cases[] = {
      {"{\"type\":\"org\",\"id\":\"o1\",\"name\":\"甲\",\"kind\":\"company\"}", "kind: 'company' is not one of"},
      {"{\"type\":\"need\",\"id\":\"n1\",\"title\":\"t\",\"org\":\"nope\"}", "org: unknown organization 'nope'"},
      {"{\"type\":\"need\",\"id\":\"n1\"}", "title: missing required field"},
      {"{\"type\":\"need\",\"id\":\"n1\",\"title\":\"t\",\"budget\":\"很多\"}", "budget: expected a number, got a string: '很多'"},
      {"{\"type\":\"need\",\"id\":\"n1\",\"title\":\"t\",\"budget\":1e300}", "budget: 1e+300 is out of range"},
      {"{\"type\":\"need\",\"id\":\"n1\",\"title\":\"t\",\"deadline\":\"2021-02-30\"}", "deadline: not a date"},
      {"{\"type\":\"need\",\"id\":\"n1\",\"title\":\"t\",\"colour\":\"red\"}", "colour: unknown field"},
      {"{\"type\":\"expert\",\"id\":\"e1\",\"capacity\":\"两个\"}", "capacity: expected a number"},
      {"{\"type\":\"expert\",\"id\":\"e1\",\"papers\":[{\"id\":\"p\"}]}", "papers[0].title: missing required field"},
      {"{\"type\":\"widget\",\"id\":\"w\"}", "type: unknown type 'widget'"},
      {"[1,2,3]", "expected a JSON object"},
      {"{\"type\":\"need\",\"id\":\"n1\",\"title\":\"t\"} trailing", "unexpected text after the JSON object"},
      {"{\"type\":\"need\",\"id\":\"n1\",\"title\":\"t\",\"keywords\":\"a;b\"}", "keywords: expected a list of strings"},
  };
  for (int i = 0; i < JB_ARRAY_LEN_T(cases); i++) {
    const char *path = tmp_path("case.jsonl");
    write_file(path, cases[i].line);
    jb_error err;
    jb_status rc = jb_import_files(db, &path, 1, NULL, NULL, &err);
    CHECK(rc != JB_OK, "'%s' is rejected", cases[i].line);
    CHECK(strstr(err.message, cases[i].want) != NULL, "'%s': message '%s' should contain '%s'", cases[i].line,
          err.message, cases[i].want);
    CHECK(strstr(err.message, "case.jsonl:1:") != NULL, "'%s': message names file and line: %s", cases[i].line,
          err.message);
  }
  /* duplicate ids inside one file */
  const char *path = tmp_path("dup.jsonl");
  write_file(path, "{\"type\":\"need\",\"id\":\"d\",\"title\":\"a\"}\n{\"type\":\"need\",\"id\":\"d\",\"title\":\"b\"}\n");
  jb_error err;
  CHECK(jb_import_files(db, &path, 1, NULL, NULL, &err) == JB_ERR_INVALID, "duplicate id rejected");
  CHECK(strstr(err.message, "dup.jsonl:2: id: duplicate record 'd' in this file (first on line 1)") != NULL,
        "duplicate message: %s", err.message);
  /* the same id in two kinds is fine: they are different records */
  write_file(path, "{\"type\":\"org\",\"id\":\"x\",\"name\":\"甲\",\"kind\":\"enterprise\"}\n"
                   "{\"type\":\"need\",\"id\":\"x\",\"title\":\"b\",\"org\":\"x\"}\n");
  CHECK(jb_import_files(db, &path, 1, NULL, NULL, &err) == JB_OK, "ids may repeat across kinds: %s", err.message);
  /* SQL and FTS syntax in text is stored exactly */
  write_file(path, "{\"type\":\"need\",\"id\":\"sql\",\"title\":\"'); DROP TABLE need; -- \\\" AND OR NOT * NEAR(\"}\n");
  CHECK(jb_import_files(db, &path, 1, NULL, NULL, &err) == JB_OK, "SQL text stored: %s", err.message);
  cJSON *got = NULL;
  jb_db_get(db, "need", "sql", 0, &got, &err);
  CHECK(got && !strcmp(cJSON_GetObjectItem(got, "title")->valuestring, "'); DROP TABLE need; -- \" AND OR NOT * NEAR("),
        "stored exactly");
  cJSON_Delete(got);
  jb_db_close(db);
}

TEST(export_round_trip) {
  jb_db *db = open_db("corpus.db", 0);
  char *a = export_all(db);
  jb_db_close(db);
  const char *path = tmp_path("export.jsonl");
  write_file(path, a);
  jb_db *db2 = open_db("roundtrip.db", 1);
  jb_error err;
  CHECK(jb_import_files(db2, &path, 1, NULL, NULL, &err) == JB_OK, "export re-imports: %s", err.message);
  char *b = export_all(db2);
  CHECK(!strcmp(a, b), "import -> export -> import -> export is the identity");
  /* contacts stay out unless asked for */
  char *buf = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&buf, &n);
  jb_export(db2, f, 0, &err);
  fclose(f);
  CHECK(strstr(a, "\"contact\"") != NULL && strstr(buf, "\"contact\"") == NULL,
        "contacts exported only with JB_EXPORT_WITH_CONTACTS");
  free(buf);
  free(a);
  free(b);
  jb_db_close(db2);
}

TEST(csv_utf8_and_gbk) {
  jb_db *db = open_db("csv.db", 1);
  jb_import_stats st = {0};
  CHECK(import_corpus(db, &st) == JB_OK, "corpus");
  const char *utf8 = SOURCE_DIR "/corpora/samples/needs-utf8-bom.csv";
  const char *gbk = SOURCE_DIR "/corpora/samples/needs-gbk.csv";
  jb_error err;
  jb_import_stats s1 = {0};
  CHECK(jb_import_files(db, &utf8, 1, NULL, &s1, &err) == JB_OK, "UTF-8 CSV with BOM: %s", err.message);
  CHECK(s1.inserted == 12, "12 CSV needs, got %ld", s1.inserted);
  cJSON *n = NULL;
  jb_db_get(db, "need", "csv-need-03", 1, &n, &err);
  CHECK(n && strchr(cJSON_GetObjectItem(n, "text")->valuestring, '\n'), "newline inside a quoted field kept");
  cJSON_Delete(n);
  /* GBK without --encoding: a clear error that says what to do */
  CHECK(jb_import_files(db, &gbk, 1, NULL, NULL, &err) == JB_ERR_PARSE, "GBK read as UTF-8 fails");
  CHECK(strstr(err.message, "GB18030") != NULL, "message suggests --encoding GB18030: %s", err.message);
  /* with the encoding, the same records: nothing changes */
  jb_import_opts o = {0};
  o.encoding = "GB18030";
  jb_import_stats s2 = {0};
  CHECK(jb_import_files(db, &gbk, 1, &o, &s2, &err) == JB_OK, "GBK CSV: %s", err.message);
  CHECK(s2.unchanged == 12 && s2.inserted == 0 && s2.updated == 0,
        "GBK rows equal the UTF-8 ones: %ld unchanged %ld inserted %ld updated", s2.unchanged, s2.inserted, s2.updated);
  const char *ev = SOURCE_DIR "/corpora/samples/evidence.csv";
  jb_import_stats s3 = {0};
  CHECK(jb_import_files(db, &ev, 1, NULL, &s3, &err) == JB_OK, "evidence CSV: %s", err.message);
  CHECK(s3.inserted == 10, "10 evidence rows, got %ld", s3.inserted);
  jb_db_close(db);
}

TEST(inline_json_import) {
  jb_db *db = open_db("inline.db", 1);
  cJSON *recs = cJSON_Parse("[{\"type\":\"org\",\"id\":\"o\",\"name\":\"甲\",\"kind\":\"university\"},"
                            "{\"type\":\"expert\",\"id\":\"e\",\"org\":\"o\",\"papers\":[{\"id\":\"p\",\"title\":\"油茶\"}]},"
                            "{\"type\":\"need\",\"id\":\"n\",\"title\":\"t\",\"org\":\"missing\"}]");
  jb_error err;
  jb_import_stats st = {0};
  CHECK(jb_import_json(db, recs, "request", NULL, &st, &err) == JB_ERR_INVALID, "bad third record fails all");
  CHECK(strstr(err.message, "request:3: org: unknown organization 'missing'") != NULL, "message: %s", err.message);
  cJSON *got = NULL;
  CHECK(jb_db_get(db, "org", "o", 0, &got, &err) == JB_ERR_NOTFOUND, "first record rolled back too");
  cJSON_Delete(got);
  cJSON_Delete(recs);
  jb_db_close(db);
}

/* Rows written and then changed inside one file: the batched full-text
** indexing must index before the change, or the index would be corrupt. */
TEST(changes_within_one_file_keep_the_index_sound) {
  jb_db *db = open_db("batchfts.db", 1);
  const char *path = tmp_path("mixed.jsonl");
  write_file(path,
             "{\"type\":\"org\",\"id\":\"o\",\"name\":\"甲大学\",\"kind\":\"university\"}\n"
             "{\"type\":\"expert\",\"id\":\"e\",\"org\":\"o\",\"papers\":[{\"id\":\"p1\",\"title\":\"油茶炭疽病\"},"
             "{\"id\":\"p2\",\"title\":\"柑桔黄龙病\"}]}\n"
             "{\"type\":\"evidence\",\"expert\":\"e\",\"id\":\"p1\",\"title\":\"稻花鱼越冬保种\"}\n"
             "{\"type\":\"evidence\",\"expert\":\"e\",\"id\":\"p3\",\"title\":\"罗汉果甜苷\"}\n");
  jb_error err;
  CHECK(jb_import_files(db, &path, 1, NULL, NULL, &err) == JB_OK, "mixed file: %s", err.message);
  CHECK(jb_db_check(db, &err) == JB_OK, "index sound: %s", err.message);
  static const char *const found[] = {"稻花鱼", "黄龙病", "罗汉果"}, *gone = "炭疽病";
  for (int i = 0; i < 4; i++) {
    jb_search_opts o = {0};
    o.query = i < 3 ? found[i] : gone;
    cJSON *out = NULL;
    jb_search(db, &o, &out, &err);
    int n = out ? cJSON_GetArraySize(cJSON_GetObjectItem(out, "results")) : 0;
    CHECK(i < 3 ? n == 1 : n == 0, "search %s: %d results", o.query, n);
    cJSON_Delete(out);
  }
  /* and the expert record again with a new evidence set, in a second file */
  write_file(path, "{\"type\":\"expert\",\"id\":\"e\",\"org\":\"o\",\"papers\":[{\"id\":\"p9\",\"title\":\"无抗蛋鸡\"}]}\n");
  CHECK(jb_import_files(db, &path, 1, NULL, NULL, &err) == JB_OK, "replace evidence: %s", err.message);
  CHECK(jb_db_check(db, &err) == JB_OK, "index sound after replacing: %s", err.message);
  /* with --skip-invalid, a bad record between good ones */
  write_file(path, "{\"type\":\"need\",\"id\":\"n1\",\"title\":\"一\"}\n{\"type\":\"need\",\"id\":\"n2\",\"org\":\"x\",\"title\":\"二\"}\n"
                   "{\"type\":\"need\",\"id\":\"n3\",\"title\":\"三\"}\n");
  jb_import_opts so = {0};
  so.skip_invalid = 1;
  jb_import_files(db, &path, 1, &so, NULL, &err);
  CHECK(jb_db_check(db, &err) == JB_OK, "index sound after skipping: %s", err.message);
  jb_db_close(db);
}

int main(void) {
  RUN(corpus_imports_in_any_order);
  RUN(changes_within_one_file_keep_the_index_sound);
  RUN(broken_line_37_rolls_back);
  RUN(bad_records_reported_with_line_and_field);
  RUN(validation_messages);
  RUN(export_round_trip);
  RUN(csv_utf8_and_gbk);
  RUN(inline_json_import);
  return test_report();
}
