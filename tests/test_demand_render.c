/*
** test_demand_render.c — the demand list renderers (src/demand_render.c):
** CSV as Excel needs it, Markdown structure, HTML escaping and
** self-containment, JSON round trip, errors. The list is built by hand after
** docs/demands-schema.md, with hostile strings where enterprises type text.
*/
#include "jiebang.h"
#include "test.h"

/* Two chains, a common need, a merged duplicate, contacts on one need, and
** data that tries to break out of every format. */
static const char *const sample_json =
    "{\"title\":\"辰溪县科技成果转化需求清单\",\"generated\":\"2026-11-24\","
    "\"filters\":{\"chain\":null,\"since\":null,\"status\":\"open\",\"org\":null},"
    "\"thresholds\":{\"duplicate\":0.55,\"common\":0.3,\"min_orgs\":2},"
    "\"priority\":\"chain priority, then enterprises asking, deadline, budget, id\","
    "\"summary\":{\"needs\":4,\"listed\":3,\"duplicates_merged\":1,\"common_needs\":1,"
    "\"chains\":2,\"achievements\":1},"
    "\"chains\":["
    " {\"chain\":\"油茶\",\"parent\":\"现代农业\",\"priority\":10,"
    "  \"common_needs\":[{\"id\":\"common-01\",\"title\":\"油茶果脱壳烘干\","
    "   \"keywords\":[\"脱壳\",\"<b>烘干</b>\"],"
    "   \"orgs\":[{\"id\":\"org-chenyou\",\"name\":\"辰溪县辰油茶油有限公司\"},"
    "            {\"id\":\"org-x\",\"name\":\"\\\"quotes\\\", commas, newlines\\nline2\"}],"
    "   \"needs\":[\"need-0067\",\"need-0029\"],"
    "   \"experts\":[{\"id\":\"exp-0003\",\"name\":\"李明\",\"org\":\"org-csuft\","
    "                \"org_name\":\"中南林业科技大学\",\"score\":0.61}],"
    "   \"achievements\":[{\"id\":\"ach-0001\",\"title\":\"一种油茶果脱壳分选一体机\",\"score\":0.55}]}],"
    "  \"needs\":["
    "   {\"rank\":1,\"id\":\"need-0067\",\"title\":\"<script>alert(1)</script>油茶果烘干\","
    "    \"org\":\"org-chenyou\",\"org_name\":\"辰溪县辰油茶油有限公司\",\"deadline\":\"2021-12-31\","
    "    \"budget\":80,\"created\":\"2021-03-15\",\"status\":\"open\",\"keywords\":[\"烘干\"],"
    "    \"enterprises\":2,\"common_need\":\"common-01\","
    "    \"duplicates\":[{\"id\":\"need-0039\",\"title\":\"油茶果烘干设备\",\"org\":\"org-yongxin\","
    "                    \"similarity\":0.82}],"
    "    \"contact\":{\"name\":\"张三\",\"phone\":\"+86 139 0000 0000\"},"
    "    \"experts\":[{\"id\":\"exp-0003\",\"name\":\"李明\",\"org\":\"org-csuft\","
    "                 \"org_name\":\"中南林业科技大学\",\"score\":0.61},"
    "                {\"id\":\"exp-0004\",\"name\":\"王五\",\"org_name\":\"湖南农业大学\",\"score\":0.5},"
    "                {\"id\":\"exp-0005\",\"name\":\"赵六\",\"org_name\":\"湖南省林科院\",\"score\":0.4},"
    "                {\"id\":\"exp-0006\",\"name\":\"第四名专家\",\"org_name\":\"x\",\"score\":0.3}],"
    "    \"achievements\":[{\"id\":\"ach-0001\",\"title\":\"一种油茶果脱壳分选一体机\",\"score\":0.55}]},"
    "   {\"rank\":2,\"id\":\"need-0029\","
    "    \"title\":\"Tom's \\\"quoted\\\" | pipe *star* [link](x)\","
    "    \"org\":\"org-x\",\"org_name\":\"\\\"quotes\\\", commas, newlines\\nline2\","
    "    \"deadline\":\"2022-06-30\",\"budget\":12.5,\"common_need\":\"common-01\","
    "    \"duplicates\":[],\"experts\":[],\"achievements\":[]}]},"
    " {\"chain\":\"稻花鱼\",\"parent\":\"现代农业\",\"priority\":8,\"common_needs\":[],"
    "  \"needs\":[{\"rank\":1,\"id\":\"need-0058\",\"title\":\"=HYPERLINK(\\\"x\\\")禾花鲤繁育\","
    "   \"org\":\"org-daohuayu\",\"org_name\":\"辰溪稻花鱼合作社\",\"deadline\":\"2022-06-30\","
    "   \"budget\":60,\"experts\":[{\"id\":\"exp-0044\",\"name\":\"戴立平\",\"org\":\"org-hnsc\","
    "   \"score\":0.349}],\"achievements\":[]}]}],"
    "\"achievements\":[{\"id\":\"ach-0001\",\"title\":\"一种油茶果脱壳分选一体机\",\"kind\":\"patent\","
    " \"maturity\":\"中试\",\"org\":\"org-csuft\",\"org_name\":\"中南林业科技大学\",\"chains\":[\"油茶\"],"
    " \"needs\":[{\"id\":\"need-0067\",\"title\":\"油茶果烘干\",\"org_name\":\"辰溪县辰油茶油有限公司\","
    " \"score\":0.55}]}]}";

static const char *const need_ids[] = {"need-0067", "need-0029", "need-0058"};

/* Renders into memory; returns the text (caller frees) and the status. */
static char *render(const cJSON *list, const char *format, jb_status *rc, jb_error *err) {
  char *p = NULL;
  size_t n = 0;
  FILE *f = open_memstream(&p, &n);
  if (!f) return NULL;
  jb_error_clear(err);
  *rc = jb_demand_render(list, format, f, err);
  fclose(f);
  return p;
}

static cJSON *sample(void) {
  cJSON *l = cJSON_Parse(sample_json);
  if (!l) {
    fprintf(stderr, "sample JSON does not parse near: %.40s\n", cJSON_GetErrorPtr());
    exit(2);
  }
  return l;
}

/* Walks the CSV as Excel would: outside quotes every line ends CRLF and
** every field opens with a quote. Returns the number of records, -1 when
** the shape is wrong (and says where). */
static int csv_records(const char *s) {
  int records = 0, inq = 0, at_field = 1;
  for (const char *p = s; *p; p++) {
    if (inq) {
      if (*p == '"' && p[1] == '"') p++;
      else if (*p == '"') inq = 0;
      continue;
    }
    if (at_field && *p != '"' && *p != '\r') {
      fprintf(stderr, "unquoted field at byte %ld: %.30s\n", (long)(p - s), p);
      return -1;
    }
    at_field = 0;
    if (*p == '"') inq = 1;
    else if (*p == ',') at_field = 1;
    else if (*p == '\r' && p[1] == '\n') { records++; p++; at_field = 1; }
    else {
      fprintf(stderr, "stray byte outside quotes at %ld: %.30s\n", (long)(p - s), p);
      return -1;
    }
  }
  return inq ? -1 : records;
}

TEST(csv_opens_in_excel) {
  cJSON *l = sample();
  jb_status rc;
  jb_error err;
  char *s = render(l, "csv", &rc, &err);
  CHECK(rc == JB_OK && s, "csv renders: %s", err.message);
  const char *head = "\xEF\xBB\xBF\"产业链\",\"优先序\",";
  CHECK(!strncmp(s, head, strlen(head)), "BOM then quoted headers: %.40s", s);
  CHECK(csv_records(s + 3) > 0, "quoted fields, CRLF rows");
  /* 1 header + 3 needs, blank, 1 header + 1 common, blank, 1 header + 1 achievement */
  CHECK(csv_records(s + 3) == 10, "record count %d", csv_records(s + 3));
  for (int i = 0; i < JB_ARRAY_LEN_T(need_ids); i++) {
    char want[64];
    snprintf(want, sizeof(want), "\",\"%s\",\"", need_ids[i]);
    CHECK(strstr(s, want) != NULL, "row for %s", need_ids[i]);
  }
  CHECK(strstr(s, "\"\"\"quotes\"\", commas, newlines\nline2\"") != NULL,
        "quotes doubled, newline kept");
  CHECK(strstr(s, "\"'=HYPERLINK(\"\"x\"\")禾花鲤繁育\"") != NULL, "formula neutralised");
  CHECK(strstr(s, ",\"=\"\"+86 139 0000 0000\"\"\"\r\n") != NULL, "phone kept as text for Excel");
  CHECK(strstr(s, "\"联系人\",\"电话\"") != NULL, "contact columns when a need has one");
  CHECK(strstr(s, "need-0039(org-yongxin) 0.82") != NULL, "duplicate source with org");
  CHECK(strstr(s, "李明(中南林业科技大学) 0.61; 王五(湖南农业大学) 0.50; 赵六(湖南省林科院) 0.40\"") != NULL,
        "top 3 experts with scores");
  CHECK(strstr(s, "第四名专家") == NULL, "no fourth expert");
  CHECK(strstr(s, "\"80\"") && strstr(s, "\"12.5\""), "budgets as numbers");
  CHECK(strstr(s, "\"common-01 油茶果脱壳烘干\"") != NULL, "common need named");
  CHECK(strstr(s, "\"need-0067 <script>alert(1)</script>油茶果烘干; need-0029 Tom's") != NULL,
        "common need members with titles");
  CHECK(strstr(s, "\"ach-0001\",\"一种油茶果脱壳分选一体机\",\"专利\",\"中试\"") != NULL, "achievement row");
  free(s);

  /* a phone that is not only digits is data like any other */
  cJSON *chain0 = cJSON_GetArrayItem(cJSON_GetObjectItem(l, "chains"), 0);
  cJSON *n = cJSON_GetArrayItem(cJSON_GetObjectItem(chain0, "needs"), 0);
  cJSON *contact = cJSON_GetObjectItem(n, "contact");
  cJSON_ReplaceItemInObject(contact, "phone", cJSON_CreateString("=1+1\"0"));
  s = render(l, "csv", &rc, &err);
  CHECK(rc == JB_OK && strstr(s, ",\"'=1+1\"\"0\"\r\n"), "hostile phone neutralised");
  free(s);

  /* no contacts anywhere: no contact columns */
  cJSON_DeleteItemFromObject(n, "contact");
  s = render(l, "csv", &rc, &err);
  CHECK(rc == JB_OK && !strstr(s, "联系人"), "no contact columns without contacts");
  free(s);
  cJSON_Delete(l);
}

TEST(markdown_has_structure_and_escapes) {
  cJSON *l = sample();
  jb_status rc;
  jb_error err;
  char *s = render(l, "md", &rc, &err);
  CHECK(rc == JB_OK && s, "md renders: %s", err.message);
  CHECK(!strncmp(s, "# 辰溪县科技成果转化需求清单\n", strlen("# 辰溪县科技成果转化需求清单\n")), "title first");
  const char *want[] = {"- 生成日期：2026-11-24", "- 筛选条件：状态：open", "## 概况", "| 列入清单 | 3 |",
                        "## 1. 油茶（现代农业） · 优先级 10", "## 2. 稻花鱼（现代农业） · 优先级 8",
                        "### 共性需求：油茶果脱壳烘干（common-01）", "## 可转化科技成果",
                        "\\<script\\>alert(1)\\</script\\>", "\\| pipe \\*star\\* \\[link\\](x)",
                        "\"quotes\", commas, newlines line2"};
  for (int i = 0; i < JB_ARRAY_LEN_T(want); i++)
    CHECK(strstr(s, want[i]) != NULL, "md contains %s", want[i]);
  CHECK(strstr(s, "<script>") == NULL, "no raw <script>");
  for (int i = 0; i < JB_ARRAY_LEN_T(need_ids); i++)
    CHECK(strstr(s, need_ids[i]) != NULL, "md lists %s", need_ids[i]);
  /* every table row has the header's number of cells */
  int rows = 0;
  for (const char *p = strstr(s, "\n| 1 | need-0067"); p && p[1] == '|'; p = strchr(p + 1, '\n')) {
    int bars = 0;
    for (const char *q = p + 1; *q && *q != '\n'; q++)
      if (*q == '|' && q[-1] != '\\') bars++;
    CHECK(bars == 11, "row %d has %d cell borders", rows, bars);
    rows++;
  }
  CHECK(rows == 2, "two rows in the first chain's table, got %d", rows);
  free(s);
  s = render(l, "markdown", &rc, &err);
  CHECK(rc == JB_OK && s && s[0] == '#', "format name markdown");
  free(s);
  cJSON_Delete(l);
}

TEST(html_is_escaped_and_self_contained) {
  cJSON *l = sample();
  jb_status rc;
  jb_error err;
  char *s = render(l, "html", &rc, &err);
  CHECK(rc == JB_OK && s, "html renders: %s", err.message);
  CHECK(!strncmp(s, "<!DOCTYPE html>", 15), "doctype");
  CHECK(strstr(s, "<html lang=\"zh-CN\">") && strstr(s, "<meta charset=\"utf-8\">"),
        "lang and charset");
  CHECK(strstr(s, "<script") == NULL, "no <script> at all");
  CHECK(strstr(s, "&lt;script&gt;alert(1)&lt;/script&gt;") != NULL, "title escaped");
  CHECK(strstr(s, "&lt;b&gt;烘干&lt;/b&gt;") != NULL, "keyword escaped");
  CHECK(strstr(s, "Tom&#39;s &quot;quoted&quot;") != NULL, "quotes escaped");
  const char *banned[] = {"http://", "https://", "src=", "url(", "@import", "<link", "<img"};
  for (int i = 0; i < JB_ARRAY_LEN_T(banned); i++)
    CHECK(strstr(s, banned[i]) == NULL, "self-contained: no %s", banned[i]);
  const char *want[] = {"油茶", "稻花鱼", "<thead>", "page-break-inside:avoid", "href=\"#chain-1\"",
                        "id=\"chain-2\"", "Noto Sans CJK SC", "合并重复：need-0039 org-yongxin 相似度 0.82",
                        "<b class=\"sc\">0.61</b>", "张三 +86 139 0000 0000"};
  for (int i = 0; i < JB_ARRAY_LEN_T(want); i++)
    CHECK(strstr(s, want[i]) != NULL, "html contains %s", want[i]);
  for (int i = 0; i < JB_ARRAY_LEN_T(need_ids); i++)
    CHECK(strstr(s, need_ids[i]) != NULL, "html lists %s", need_ids[i]);
  free(s);

  /* bytes that are not UTF-8 and control characters cannot reach the page */
  cJSON_ReplaceItemInObject(l, "title", cJSON_CreateString("坏\xff\x01标题"));
  s = render(l, "html", &rc, &err);
  CHECK(rc == JB_OK && strstr(s, "<h1>坏\xEF\xBF\xBD标题</h1>"), "invalid UTF-8 replaced");
  free(s);
  cJSON_Delete(l);
}

TEST(json_round_trips) {
  cJSON *l = sample();
  jb_status rc;
  jb_error err;
  char *s = render(l, "json", &rc, &err);
  CHECK(rc == JB_OK && s, "json renders: %s", err.message);
  cJSON *back = cJSON_Parse(s);
  CHECK(back && cJSON_Compare(l, back, 1), "json parses back to the same list");
  cJSON_Delete(back);
  free(s);
  cJSON_Delete(l);
}

/* A list with nothing in it, or members of the wrong type, still renders. */
TEST(sparse_lists_render) {
  const char *formats[] = {"json", "csv", "md", "html"};
  const char *lists[] = {"{}",
                         "{\"chains\":{},\"summary\":[],\"achievements\":\"x\",\"filters\":7}",
                         "{\"chains\":[{\"needs\":[{}],\"common_needs\":[{\"needs\":[1,null]}]}]}"};
  for (int j = 0; j < JB_ARRAY_LEN_T(lists); j++) {
    cJSON *l = cJSON_Parse(lists[j]);
    for (int i = 0; i < JB_ARRAY_LEN_T(formats); i++) {
      jb_status rc;
      jb_error err;
      char *s = render(l, formats[i], &rc, &err);
      CHECK(rc == JB_OK && s && *s, "%s of %s: %s", formats[i], lists[j], err.message);
      free(s);
    }
    cJSON_Delete(l);
  }
}

TEST(errors) {
  cJSON *l = sample();
  jb_status rc;
  jb_error err;
  char *s = render(l, "pdf", &rc, &err);
  CHECK(rc == JB_ERR_USAGE && strstr(err.message, "pdf") && strstr(err.message, "xlsx") && s && !*s, "unknown format: %s",
        err.message);
  free(s);
  s = render(l, NULL, &rc, &err);
  CHECK(rc == JB_ERR_USAGE, "no format");
  free(s);
  cJSON *arr = cJSON_CreateArray();
  s = render(arr, "csv", &rc, &err);
  CHECK(rc == JB_ERR_USAGE, "a list that is not an object: %s", err.message);
  free(s);
  cJSON_Delete(arr);
  CHECK(jb_demand_render(l, "csv", NULL, &err) == JB_ERR_USAGE, "no output");
  FILE *full = fopen("/dev/full", "w");
  if (full) {
    CHECK(jb_demand_render(l, "html", full, &err) == JB_ERR_IO, "write error is JB_ERR_IO: %s",
          err.message);
    fclose(full);
  }
  cJSON_Delete(l);
}

int main(void) {
  RUN(csv_opens_in_excel);
  RUN(markdown_has_structure_and_escapes);
  RUN(html_is_escaped_and_self_contained);
  RUN(json_round_trips);
  RUN(sparse_lists_render);
  RUN(errors);
  return test_report();
}
