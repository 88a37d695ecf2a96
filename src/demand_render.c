/*
** demand_render.c — the demand list (需求清单) as JSON, CSV, Markdown or HTML,
** for staff to publish to 潇湘科技要素大市场 and to technology brokers.
**
** jb_demand_render() (declared in jiebang.h) writes `list`, the object
** jb_demands() builds (docs/demands-schema.md), to `out` as format "json"
** (pretty), "csv" (UTF-8 with BOM, CRLF, every field quoted: what Chinese
** Excel opens correctly), "xlsx" (the CSV's tables as three sheets),
** "md"/"markdown" or "html" (one self-contained file with an A4 print layout). `list` and `format` are borrowed and not
** changed; `out` is flushed, not closed. JB_ERR_USAGE for an unknown format
** or a list that is not an object, JB_ERR_IO when writing fails,
** JB_ERR_NOMEM.
**
** Every string in the list is user input (titles, names and keywords typed
** by enterprises and staff). Each target has one escaping function —
** csv_text, md_text, html_text — and data reaches the output only through
** it: put() substitutes its arguments escaped and nothing else.
**
** The whole document is built in memory and written once: a county's list
** is a few hundred needs, well under a megabyte, and a failed allocation
** then never leaves half a report behind.
*/
#include "jb_int.h"
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Recommendations shown per need or common need. The JSON keeps all of
** them; in a spreadsheet cell or a printed row more than three names stop
** being read, and brokers contact the first few anyway. */
#define DR_TOP 3

#define DR_UNTITLED "科技成果转化需求清单"

/* ------------------------------------------------------------- reading */

static const char *str(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(v) ? v->valuestring : NULL;
}

static const char *str_or(const cJSON *o, const char *k, const char *dflt) {
  const char *s = str(o, k);
  return s && *s ? s : dflt;
}

/* The member if it is an array, else NULL (cJSON_ArrayForEach accepts NULL),
** so a malformed member renders as an empty list instead of failing. */
static const cJSON *arr(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsArray(v) ? v : NULL;
}

static const cJSON *obj(const cJSON *o, const char *k) {
  const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsObject(v) ? v : NULL;
}

static int num(const cJSON *o, const char *k, double *v) {
  const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
  if (!cJSON_IsNumber(x)) return 0;
  *v = x->valuedouble;
  return 1;
}

/* A number as text in out[32]: integers without a decimal point (budget
** 80, not 80.000000), others to 6 significant digits. */
static const char *fmtnum(char *out, double v) {
  snprintf(out, 32, v == floor(v) && fabs(v) < 1e15 ? "%.0f" : "%g", v);
  return out;
}

/* A number member as text in out[32], "" when absent. */
static const char *numstr(char *out, const cJSON *o, const char *k) {
  double v;
  out[0] = 0;
  return num(o, k, &v) ? fmtnum(out, v) : out;
}

/* A scalar or an array of scalars as plain text; null and absent are empty. */
static void add_value(jb_buf *b, const cJSON *v, const char *sep) {
  char n[32];
  const cJSON *e;
  int i = 0;
  if (cJSON_IsString(v)) jb_buf_adds(b, v->valuestring);
  else if (cJSON_IsNumber(v)) jb_buf_adds(b, fmtnum(n, v->valuedouble));
  else if (cJSON_IsBool(v)) jb_buf_adds(b, cJSON_IsTrue(v) ? "是" : "否");
  else if (cJSON_IsArray(v)) {
    cJSON_ArrayForEach(e, v) {
      if (i++) jb_buf_adds(b, sep);
      add_value(b, e, sep);
    }
  }
}

static const cJSON *find_by_id(const cJSON *a, const char *id) {
  const cJSON *e;
  const char *x;
  if (!id) return NULL;
  cJSON_ArrayForEach(e, a) {
    if ((x = str(e, "id")) && !strcmp(x, id)) return e;
  }
  return NULL;
}

/* Title of a need of this chain, listed or merged as a duplicate, so that a
** common need's members read as more than bare ids. */
static const char *need_title(const cJSON *chain, const char *id) {
  const cJSON *nd, *hit = find_by_id(arr(chain, "needs"), id);
  if (hit) return str(hit, "title");
  cJSON_ArrayForEach(nd, arr(chain, "needs")) {
    if ((hit = find_by_id(arr(nd, "duplicates"), id))) return str(hit, "title");
  }
  return NULL;
}

/* A chain's priority as text, "" when absent or 0 (the 未分类 group). */
static const char *priority(char *out, const cJSON *chain) {
  double v;
  return num(chain, "priority", &v) && v > 0 ? fmtnum(out, v) : "";
}

/* The organization's name, else its id, else "". */
static const char *org_of(const cJSON *o) { return str_or(o, "org_name", str_or(o, "org", "")); }

/* ------------------------------------------------ shared text, all formats */

typedef void (*escape_fn)(jb_buf *b, const char *s);

/* Appends fmt with each "%s" replaced by the next argument (a string, NULL
** reads as empty) passed through esc. Only %s is understood: the literal
** parts are ours, everything substituted is escaped. */
static void put(jb_buf *b, escape_fn esc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  for (const char *p = fmt, *q; *p; p = q + 2) {
    q = strstr(p, "%s");
    jb_buf_add(b, p, q ? (size_t)(q - p) : strlen(p));
    if (!q) break;
    esc(b, va_arg(ap, const char *));
  }
  va_end(ap);
}

/* How one element of a list reads: the member that labels it (and one to
** follow, for "need-0067 油茶果烘干"), the organization behind it (in
** parentheses in text, set apart on the page) and the member that is its
** score. Every format prints elements through item_label, so a name reads
** the same in the spreadsheet, the Markdown and the printout. */
typedef struct item_kind {
  const char *key, *key2; /* key2: NULL for none */
  int with_org;
  int need_titles;        /* elements are need ids: add the chain's title */
  const char *score_key;  /* NULL: no score */
} item_kind;

static const item_kind K_EXPERT = {"name", NULL, 1, 0, "score"};
static const item_kind K_ACH = {"title", NULL, 0, 0, "score"};
static const item_kind K_DUP = {"id", NULL, 1, 0, "similarity"};
static const item_kind K_ACH_NEED = {"id", "title", 1, 0, "score"};
static const item_kind K_MEMBER = {"id", NULL, 0, 1, NULL};
static const item_kind K_PLAIN = {"name", NULL, 0, 0, NULL}; /* strings, organizations */

static void item_label(jb_buf *t, const cJSON *e, const item_kind *k, const cJSON *chain) {
  const char *title;
  if (!cJSON_IsObject(e)) {
    title = k->need_titles && cJSON_IsString(e) ? need_title(chain, e->valuestring) : NULL;
    add_value(t, e, "");
    if (title) jb_buf_printf(t, " %s", title);
    return;
  }
  jb_buf_adds(t, str_or(e, k->key, str_or(e, "id", "?")));
  if (k->key2) jb_buf_printf(t, " %s", str_or(e, k->key2, ""));
}

/* Frees a scratch buffer; an allocation that failed in it fails the whole
** document, which would otherwise be silently short. */
static void scratch_done(jb_buf *b, jb_buf *t) {
  b->oom |= t->oom;
  jb_buf_free(t);
}

/* The lists of a common need, in the order every format shows them; the
** recommendations are the ones capped at DR_TOP. */
static const struct common_list {
  const char *label, *key;
  const item_kind *k;
  int max;
} common_lists[] = {{"关键词", "keywords", &K_PLAIN, 0},
                    {"企业", "orgs", &K_PLAIN, 0},
                    {"成员需求", "needs", &K_MEMBER, 0},
                    {"推荐专家", "experts", &K_EXPERT, DR_TOP},
                    {"推荐成果", "achievements", &K_ACH, DR_TOP}};
#define COMMON_END (common_lists + JB_ARRAY_LEN(common_lists))

/* One element as text: "label(org) 0.61". */
static void item_text(jb_buf *t, const cJSON *e, const item_kind *k, const cJSON *chain) {
  double s;
  item_label(t, e, k, chain);
  if (k->with_org && *org_of(e)) jb_buf_printf(t, "(%s)", org_of(e));
  if (k->score_key && num(e, k->score_key, &s)) jb_buf_printf(t, " %.2f", s);
}

/* Up to `max` elements (0 = all) joined by `sep` into the scratch buffer t
** (reset first); returns its text. */
static const char *items(jb_buf *t, const cJSON *a, const item_kind *k, int max,
                         const cJSON *chain, const char *sep) {
  const cJSON *e;
  int i = 0;
  jb_buf_reset(t);
  cJSON_ArrayForEach(e, a) {
    if (max && i >= max) break;
    if (i++) jb_buf_adds(t, sep);
    item_text(t, e, k, chain);
  }
  return jb_buf_str(t);
}

static const char *kind_zh(const char *k) {
  static const char *const map[][2] = {{"patent", "专利"}, {"technology", "技术"}, {"product", "产品"},
                                       {"variety", "品种"}, {"standard", "标准"}};
  for (int i = 0; k && i < JB_ARRAY_LEN(map); i++)
    if (!strcmp(k, map[i][0])) return map[i][1];
  return k;
}

/* Labels of the header blocks; members not named here are shown by key. */
typedef const char *const label_map[2];
static label_map filter_labels[] = {{"chain", "产业链"}, {"since", "起始日期"}, {"status", "状态"},
                                    {"org", "企业"}, {NULL, NULL}};
static label_map threshold_labels[] = {{"duplicate", "查重阈值"}, {"common", "共性阈值"},
                                       {"min_orgs", "共性最少企业数"}, {NULL, NULL}};
static label_map summary_labels[] = {{"needs", "需求总数"}, {"listed", "列入清单"},
                                     {"duplicates_merged", "合并重复"}, {"common_needs", "共性需求"},
                                     {"chains", "产业链"}, {"achievements", "可转化成果"},
                                     {"expired_left_out", "已过截止日期、未列入"}, {NULL, NULL}};

static const char *label_of(label_map *map, const char *k) {
  for (; map[0][0]; map++)
    if (!strcmp(map[0][0], k)) return map[0][1];
  return k;
}

/* "产业链：油茶；状态：open" for the members of an object that are set, into
** t; `none` when none is. */
static const char *members(jb_buf *t, const cJSON *o, label_map *map, const char *none) {
  const cJSON *e;
  int i = 0;
  jb_buf_reset(t);
  cJSON_ArrayForEach(e, o) {
    if (cJSON_IsNull(e) || !e->string) continue;
    jb_buf_printf(t, "%s%s：", i++ ? "；" : "", label_of(map, e->string));
    /* a closed set's value (status open) as a person reads it (开放) */
    if (cJSON_IsString(e)) jb_buf_adds(t, jb_value_label(e->valuestring));
    else add_value(t, e, "、");
  }
  return i ? jb_buf_str(t) : none;
}

/* The header block and summary, as (label, value) rows; Markdown and HTML
** lay the rows out their own way. */
typedef void (*row_fn)(jb_buf *b, const char *label, const char *value);

static void meta_rows(jb_buf *b, const cJSON *list, row_fn row) {
  jb_buf t = {0};
  row(b, "生成日期", str_or(list, "generated", ""));
  row(b, "筛选条件", members(&t, obj(list, "filters"), filter_labels, "无"));
  /* the thresholds stay in the JSON: a reader needs the order in words */
  (void)threshold_labels;
  if (str(list, "priority")) row(b, "排列顺序", str(list, "priority"));
  char floor[64];
  double f;
  if (num(obj(list, "thresholds"), "min_score", &f)) {
    snprintf(floor, sizeof(floor), "只列出匹配度不低于 %.2f 的专家和成果", f);
    row(b, "推荐", floor);
  }
  scratch_done(b, &t);
}

static void summary_rows(jb_buf *b, const cJSON *list, row_fn row) {
  const cJSON *e;
  jb_buf t = {0};
  cJSON_ArrayForEach(e, obj(list, "summary")) {
    jb_buf_reset(&t);
    add_value(&t, e, "、");
    row(b, label_of(summary_labels, e->string), jb_buf_str(&t));
  }
  scratch_done(b, &t);
}

static int any_contact(const cJSON *list) {
  const cJSON *c, *nd;
  cJSON_ArrayForEach(c, arr(list, "chains")) {
    cJSON_ArrayForEach(nd, arr(c, "needs")) {
      if (obj(nd, "contact")) return 1;
    }
  }
  return 0;
}

/* ------------------------------------------------------------------ CSV */

/* A field, preceded by a comma unless it is the first of its row; user
** text (`data`) that a spreadsheet would run as a formula is neutralised
** by the one CSV writer (io_csv.c). Numbers we format ourselves go through
** csv_num and are left alone. */
static void csv_field(jb_buf *b, const char *s, int first, int data) {
  jb_csv_field(b, s, (first ? JB_CSV_FIRST : 0) | (data ? 0 : JB_CSV_NUMBER));
}

static void csv_text(jb_buf *b, const char *s) { csv_field(b, s, 0, 1); }

static void csv_num(jb_buf *b, const cJSON *o, const char *k) {
  char n[32];
  csv_field(b, numstr(n, o, k), 0, 0);
}

/* Excel turns an 11-digit mobile number into 1.39746E+10 and drops a
** landline's leading 0, even quoted. A phone made only of digits, spaces
** and + - ( ) is written as the text formula ="..."; with nothing else
** allowed in it, the formula can only ever show the number. */
static void csv_phone(jb_buf *b, const char *s) {
  if (!s || !*s || s[strspn(s, "0123456789 +-()")]) {
    csv_text(b, s);
    return;
  }
  jb_buf_printf(b, ",\"=\"\"%s\"\"\"", s);
}

static void csv_row(jb_buf *b, const char *const *cells, int n) {
  for (int i = 0; i < n; i++) csv_field(b, cells[i], i == 0, 1);
  jb_buf_adds(b, "\r\n");
}

static void csv_need(jb_buf *b, jb_buf *t, const cJSON *chain, const cJSON *nd, int contacts) {
  const cJSON *common = find_by_id(arr(chain, "common_needs"), str(nd, "common_need"));
  csv_field(b, str(chain, "chain"), 1, 1);
  csv_num(b, nd, "rank");
  csv_text(b, str(nd, "id"));
  csv_text(b, str(nd, "title"));
  csv_text(b, org_of(nd));
  csv_text(b, str(nd, "deadline"));
  csv_num(b, nd, "budget");
  jb_buf_reset(t);
  if (str(nd, "common_need"))
    jb_buf_printf(t, "%s %s", str(nd, "common_need"), str_or(common, "title", ""));
  csv_text(b, jb_buf_str(t));
  csv_text(b, items(t, arr(nd, "duplicates"), &K_DUP, 0, chain, "; "));
  csv_text(b, items(t, arr(nd, "experts"), &K_EXPERT, DR_TOP, chain, "; "));
  csv_text(b, items(t, arr(nd, "achievements"), &K_ACH, DR_TOP, chain, "; "));
  if (contacts) {
    csv_text(b, str(obj(nd, "contact"), "name"));
    csv_phone(b, str(obj(nd, "contact"), "phone"));
  }
  jb_buf_adds(b, "\r\n");
}

static void csv_needs(jb_buf *b, jb_buf *t, const cJSON *list) {
  static const char *const hdr[] = {"产业链", "优先序", "需求编号", "需求名称", "企业", "截止日期", "预算(万元)",
                                    "共性需求", "重复来源", "推荐专家", "推荐成果", "联系人", "电话"};
  const cJSON *c, *nd;
  int contacts = any_contact(list);
  csv_row(b, hdr, JB_ARRAY_LEN(hdr) - (contacts ? 0 : 2));
  cJSON_ArrayForEach(c, arr(list, "chains")) {
    cJSON_ArrayForEach(nd, arr(c, "needs")) csv_need(b, t, c, nd, contacts);
  }
}

static void csv_commons(jb_buf *b, jb_buf *t, const cJSON *list) {
  static const char *const hdr[] = {"共性需求编号", "产业链", "名称", "关键词", "企业", "成员需求", "推荐专家", "推荐成果"};
  const cJSON *c, *cm;
  jb_buf_adds(b, "\r\n");
  csv_row(b, hdr, JB_ARRAY_LEN(hdr));
  cJSON_ArrayForEach(c, arr(list, "chains")) {
    cJSON_ArrayForEach(cm, arr(c, "common_needs")) {
      csv_field(b, str(cm, "id"), 1, 1);
      csv_text(b, str(c, "chain"));
      csv_text(b, str(cm, "title"));
      for (const struct common_list *L = common_lists; L < COMMON_END; L++)
        csv_text(b, items(t, arr(cm, L->key), L->k, L->max, c, "; "));
      jb_buf_adds(b, "\r\n");
    }
  }
}

static void csv_achievements(jb_buf *b, jb_buf *t, const cJSON *list) {
  static const char *const hdr[] = {"可转化科技成果编号", "成果名称", "类型", "成熟度", "所属单位", "产业链", "可服务需求"};
  const cJSON *a;
  jb_buf_adds(b, "\r\n");
  csv_row(b, hdr, JB_ARRAY_LEN(hdr));
  cJSON_ArrayForEach(a, arr(list, "achievements")) {
    csv_field(b, str(a, "id"), 1, 1);
    csv_text(b, str(a, "title"));
    csv_text(b, kind_zh(str(a, "kind")));
    csv_text(b, str(a, "maturity"));
    csv_text(b, org_of(a));
    csv_text(b, items(t, arr(a, "chains"), &K_PLAIN, 0, NULL, "; "));
    csv_text(b, items(t, arr(a, "needs"), &K_ACH_NEED, 0, NULL, "; "));
    jb_buf_adds(b, "\r\n");
  }
}

/* Excel reads a CSV in the local code page (GBK in China) unless it starts
** with the UTF-8 byte order mark. */
static void render_csv(jb_buf *b, const cJSON *list) {
  jb_buf t = {0};
  jb_buf_adds(b, "\xEF\xBB\xBF");
  csv_needs(b, &t, list);
  csv_commons(b, &t, list);
  csv_achievements(b, &t, list);
  scratch_done(b, &t);
}

/* ------------------------------------------------------------- Markdown */

/* Data as inline Markdown: a line break would end a table row and `|` a
** cell; the rest is punctuation CommonMark reads as emphasis, links, code,
** raw HTML (<script>), entities or a heading's closing #s. A backslash
** makes any of them literal. */
static void md_text(jb_buf *b, const char *s) { jb_md_text(b, s); }

static void md_meta_row(jb_buf *b, const char *label, const char *value) {
  put(b, md_text, "- %s：%s\n", label, value);
}

static void md_stat_row(jb_buf *b, const char *label, const char *value) {
  put(b, md_text, "| %s | %s |\n", label, value);
}

static void md_header(jb_buf *b, const cJSON *list) {
  put(b, md_text, "# %s\n\n", str_or(list, "title", DR_UNTITLED));
  meta_rows(b, list, md_meta_row);
  jb_buf_adds(b, "\n## 概况\n\n| 项目 | 数量 |\n|---|---:|\n");
  summary_rows(b, list, md_stat_row);
}

static void md_need(jb_buf *b, jb_buf *t, const cJSON *chain, const cJSON *nd, int contacts) {
  char rank[32], budget[32];
  put(b, md_text, "| %s | %s | %s", numstr(rank, nd, "rank"), str(nd, "id"), str(nd, "title"));
  if (cJSON_GetArraySize(arr(nd, "duplicates")))
    put(b, md_text, "（合并：%s）", items(t, arr(nd, "duplicates"), &K_DUP, 0, chain, "；"));
  put(b, md_text, " | %s | %s | %s | %s", org_of(nd), str(nd, "deadline"),
      numstr(budget, nd, "budget"), str(nd, "common_need"));
  put(b, md_text, " | %s", items(t, arr(nd, "experts"), &K_EXPERT, DR_TOP, chain, "；"));
  put(b, md_text, " | %s", items(t, arr(nd, "achievements"), &K_ACH, DR_TOP, chain, "；"));
  if (contacts)
    put(b, md_text, " | %s %s", str(obj(nd, "contact"), "name"), str(obj(nd, "contact"), "phone"));
  jb_buf_adds(b, " |\n");
}

static void md_commons(jb_buf *b, jb_buf *t, const cJSON *chain) {
  const cJSON *cm;
  cJSON_ArrayForEach(cm, arr(chain, "common_needs")) {
    put(b, md_text, "\n### 共性需求：%s（%s）\n\n", str(cm, "title"), str(cm, "id"));
    for (const struct common_list *L = common_lists; L < COMMON_END; L++)
      put(b, md_text, "- %s：%s\n", L->label, items(t, arr(cm, L->key), L->k, L->max, chain, "；"));
  }
}

static void md_chain(jb_buf *b, jb_buf *t, const cJSON *chain, int i, int contacts) {
  const cJSON *nd;
  char pr[32];
  jb_buf_printf(b, "\n## %d. ", i);
  put(b, md_text, "%s", str_or(chain, "chain", "未分类"));
  if (str_or(chain, "parent", NULL)) put(b, md_text, "（%s）", str(chain, "parent"));
  if (*priority(pr, chain)) put(b, md_text, " · 优先级 %s", pr);
  jb_buf_printf(b, "\n\n| 序 | 编号 | 需求名称 | 企业 | 截止日期 | 预算(万元) | 共性需求 | 推荐专家 | 推荐成果 |%s\n"
                   "|---:|---|---|---|---|---:|---|---|---|%s\n",
                contacts ? " 联系人 |" : "", contacts ? "---|" : "");
  cJSON_ArrayForEach(nd, arr(chain, "needs")) md_need(b, t, chain, nd, contacts);
  md_commons(b, t, chain);
}

static void md_achievements(jb_buf *b, jb_buf *t, const cJSON *list) {
  const cJSON *a;
  jb_buf_adds(b, "\n## 可转化科技成果\n\n| 编号 | 成果名称 | 类型 | 成熟度 | 所属单位 | 产业链 | 可服务需求 |\n"
                 "|---|---|---|---|---|---|---|\n");
  cJSON_ArrayForEach(a, arr(list, "achievements")) {
    put(b, md_text, "| %s | %s | %s | %s | %s", str(a, "id"), str(a, "title"),
        kind_zh(str(a, "kind")), str(a, "maturity"), org_of(a));
    put(b, md_text, " | %s", items(t, arr(a, "chains"), &K_PLAIN, 0, NULL, "、"));
    put(b, md_text, " | %s |\n", items(t, arr(a, "needs"), &K_ACH_NEED, 0, NULL, "；"));
  }
}

static void render_md(jb_buf *b, const cJSON *list) {
  const cJSON *c;
  jb_buf t = {0};
  int i = 0, contacts = any_contact(list);
  md_header(b, list);
  cJSON_ArrayForEach(c, arr(list, "chains")) md_chain(b, &t, c, ++i, contacts);
  md_achievements(b, &t, list);
  scratch_done(b, &t);
}

/* ----------------------------------------------------------------- HTML */

/* Data as HTML text or attribute value. Bytes that are not UTF-8 become
** U+FFFD and C0 controls other than TAB/LF/CR are dropped: neither may
** appear in an HTML document. */
static void html_text(jb_buf *b, const char *s) {
  static const char *const ent[] = {['&'] = "&amp;", ['<'] = "&lt;", ['>'] = "&gt;",
                                    ['"'] = "&quot;", ['\''] = "&#39;"};
  size_t n = s ? strlen(s) : 0;
  uint32_t cp;
  for (size_t i = 0; i < n;) {
    unsigned char c = (unsigned char)s[i];
    int len = jb_utf8_decode((const unsigned char *)s + i, n - i, &cp);
    if (len == 0) jb_buf_adds(b, "\xEF\xBF\xBD");
    else if (c < JB_ARRAY_LEN(ent) && ent[c]) jb_buf_adds(b, ent[c]);
    else if (c >= 0x20 || c == '\t' || c == '\n' || c == '\r') jb_buf_add(b, s + i, (size_t)len);
    i += len ? (size_t)len : 1;
  }
}

void jb_html_text(jb_buf *b, const char *s) { html_text(b, s); }

/* A list of items, one <li> each, the organization and score set apart. */
static void html_items(jb_buf *b, jb_buf *t, const cJSON *a, const item_kind *k, int max,
                       const cJSON *chain) {
  const cJSON *e;
  int i = 0;
  double s;
  if (!cJSON_GetArraySize(a)) return;
  jb_buf_adds(b, "<ul>");
  cJSON_ArrayForEach(e, a) {
    if (max && i++ >= max) break;
    jb_buf_reset(t);
    item_label(t, e, k, chain);
    put(b, html_text, "<li>%s", jb_buf_str(t));
    if (k->with_org && *org_of(e)) put(b, html_text, " <span class=\"o\">%s</span>", org_of(e));
    if (k->score_key && num(e, k->score_key, &s)) jb_buf_printf(b, " <b class=\"sc\">%.2f</b>", s);
    jb_buf_adds(b, "</li>");
  }
  jb_buf_adds(b, "</ul>");
}

/* Sizes in pt and mm so that screen and A4 print agree; CJK fonts named for
** Linux (Noto, Source Han) then Windows and macOS. table-layout: fixed with
** overflow-wrap: anywhere keeps a long unbroken id or URL inside its cell. */
static const char html_style[] =
    "@page{size:A4;margin:14mm 12mm}*{box-sizing:border-box}"
    "body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"Microsoft YaHei\","
    "\"PingFang SC\",sans-serif;font-size:10pt;line-height:1.45;color:#1a1a1a;"
    "max-width:190mm;margin:0 auto;padding:8mm 4mm}"
    "h1{font-size:20pt;margin:0 0 4mm;color:#8b1a1a}"
    "h2{font-size:14pt;margin:8mm 0 3mm;padding-bottom:1mm;border-bottom:2px solid #8b1a1a}"
    "h2 small{font-size:10pt;color:#666;font-weight:normal;margin-left:3mm}"
    "h3{font-size:10.5pt;margin:0 0 1.5mm}"
    ".cover{border:1px solid #ccc;border-top:6px solid #8b1a1a;padding:6mm 7mm;margin-bottom:6mm}"
    ".meta{margin:0;color:#333}.meta dt{float:left;clear:left;width:20mm;color:#777}"
    ".meta dd{margin:0 0 1mm 20mm}"
    ".stats{display:flex;flex-wrap:wrap;gap:3mm;margin-top:5mm}"
    ".stat{flex:1 1 25mm;border:1px solid #ddd;background:#faf7f2;padding:2mm;text-align:center}"
    ".stat b{display:block;font-size:16pt;color:#8b1a1a}.stat span{font-size:8.5pt;color:#555}"
    ".toc ol{columns:2;column-gap:8mm;padding-left:6mm;margin:0}.toc li{break-inside:avoid}"
    ".toc a{color:#1a1a1a;text-decoration:none}.toc .n{color:#777;font-size:8.5pt}"
    "table{width:100%;border-collapse:collapse;table-layout:fixed;font-size:8.5pt}"
    "th,td{border:1px solid #ccc;padding:1.2mm 1.5mm;vertical-align:top;text-align:left;"
    "overflow-wrap:anywhere}"
    "thead{display:table-header-group}th{background:#f0e9e0}"
    "tr{page-break-inside:avoid;break-inside:avoid}"
    "td.r{text-align:right;font-variant-numeric:tabular-nums}"
    ".id{display:block;color:#777;font-size:7.5pt}.dup{display:block;color:#8b4513;font-size:7.5pt}"
    ".desc{color:#333;font-size:7.5pt;margin-top:1mm;line-height:1.35}.tag.exp{border-color:#c00;color:#c00}"
    ".tag{display:inline-block;border:1px solid #c9b79c;background:#faf7f2;border-radius:2mm;"
    "padding:0 1.5mm;margin:0 1mm 1mm 0;font-size:8pt}"
    "ul{margin:0;padding:0;list-style:none}li{margin-bottom:.6mm}"
    ".o{color:#666;font-size:7.5pt}"
    ".sc{font-weight:normal;color:#2a6e3f;font-variant-numeric:tabular-nums}"
    /* a common need's card is full width with two columns inside: half the
    ** height of a stacked card, so it rarely has to move to the next page */
    ".card{border:1px solid #ccc;border-left:4px solid #c9b79c;padding:2.5mm 3mm;font-size:8.5pt;"
    "margin-top:3mm;break-inside:avoid;page-break-inside:avoid}"
    ".cols{display:grid;grid-template-columns:1fr 1fr;column-gap:5mm}"
    ".card dl{margin:0}.card dt{color:#777;margin-top:1mm}.card dd{margin:0}"
    /* lists in a card or a table cell run on, one line for several items */
    ".card li,.achievements li{display:inline;margin-right:2.5mm}"
    /* a need: head line, description, recommendations in two columns */
    ".need{border-top:1px solid #ccc;padding:1.6mm 0 1.4mm;break-inside:avoid;page-break-inside:avoid}"
    ".nh{font-size:9.5pt;line-height:1.35}.nh b{font-weight:600}"
    ".rk{display:inline-block;min-width:6mm;color:#8b1a1a;font-weight:bold}"
    ".nh .i{color:#777;font-size:7.5pt}.at{float:right;color:#444;font-size:8pt;margin-left:3mm}"
    ".need .desc{margin:.8mm 0 .8mm 6mm}"
    ".rec{display:grid;grid-template-columns:1fr 1fr;column-gap:5mm;margin-left:6mm;font-size:8pt}"
    ".rec ul{display:inline}.rec li{display:inline;margin-right:2.5mm}"
    ".lb{color:#8b1a1a;margin-right:1.5mm;font-size:7.5pt}"
    "footer{margin-top:8mm;color:#999;font-size:8pt;text-align:center}"
    /* padding: a collapsed table border straddles the page edge and is cut */
    "@media print{body{max-width:none;padding:0 .5mm}"
    "h2,h3{page-break-after:avoid;break-after:avoid}"
    "th,.stat,.tag{-webkit-print-color-adjust:exact;print-color-adjust:exact}}";

static void html_meta_row(jb_buf *b, const char *label, const char *value) {
  put(b, html_text, "<dt>%s</dt><dd>%s</dd>", label, value);
}

static void html_stat_row(jb_buf *b, const char *label, const char *value) {
  put(b, html_text, "<div class=\"stat\"><b>%s</b><span>%s</span></div>", value, label);
}

static void html_cover(jb_buf *b, const cJSON *list) {
  put(b, html_text, "<header class=\"cover\"><h1>%s</h1><dl class=\"meta\">",
      str_or(list, "title", DR_UNTITLED));
  meta_rows(b, list, html_meta_row);
  jb_buf_adds(b, "</dl><div class=\"stats\">");
  summary_rows(b, list, html_stat_row);
  jb_buf_adds(b, "</div></header>\n");
}

/* Links use the chain's position, never its name: an id made from data
** would need escaping rules of its own and could collide. */
static void html_toc(jb_buf *b, const cJSON *list) {
  const cJSON *c;
  int i = 0;
  jb_buf_adds(b, "<nav class=\"toc\"><h2>目录</h2><ol>");
  cJSON_ArrayForEach(c, arr(list, "chains")) {
    jb_buf_printf(b, "<li><a href=\"#chain-%d\">", ++i);
    put(b, html_text, "%s</a> <span class=\"n\">", str_or(c, "chain", "未分类"));
    jb_buf_printf(b, "%d 项需求", cJSON_GetArraySize(arr(c, "needs")));
    if (cJSON_GetArraySize(arr(c, "common_needs")))
      jb_buf_printf(b, " · %d 项共性需求", cJSON_GetArraySize(arr(c, "common_needs")));
    jb_buf_adds(b, "</span></li>");
  }
  jb_buf_adds(b, "<li><a href=\"#achievements\">可转化科技成果</a></li></ol></nav>\n");
}

/* One need as a block the page's full width: its head on one line (rank,
** title, enterprise, deadline, budget), its description below in full
** width, then its recommendations side by side. In a table's narrow
** column the description ran to twenty lines and a row that did not fit
** left most of a page empty; a block is a third as tall. */
static void html_need(jb_buf *b, jb_buf *t, const cJSON *chain, const cJSON *nd) {
  const cJSON *ct = obj(nd, "contact"), *d;
  char rank[32], budget[32], sim[48];
  double s;
  put(b, html_text, "<div class=\"need\"><div class=\"nh\"><span class=\"rk\">%s</span><b>%s</b> <span class=\"i\">%s</span>",
      numstr(rank, nd, "rank"), str(nd, "title"), str(nd, "id"));
  if (str(nd, "common_need"))
    put(b, html_text, " <span class=\"tag\">共性 %s</span>", str(nd, "common_need"));
  if (cJSON_IsTrue(cJSON_GetObjectItem(nd, "expired"))) jb_buf_adds(b, " <span class=\"tag exp\">已过截止日期</span>");
  put(b, html_text, "<span class=\"at\">%s", org_of(nd));
  if (ct) put(b, html_text, " · %s %s", str(ct, "name"), str(ct, "phone"));
  if (str(nd, "deadline")) put(b, html_text, " · 截止 %s", str(nd, "deadline"));
  if (*numstr(budget, nd, "budget")) put(b, html_text, " · %s 万元", budget);
  jb_buf_adds(b, "</span></div>");
  cJSON_ArrayForEach(d, arr(nd, "duplicates")) {
    sim[0] = 0;
    if (num(d, "similarity", &s)) snprintf(sim, sizeof(sim), " 相似度 %.2f", s);
    put(b, html_text, "<span class=\"dup\" title=\"%s\">合并重复：%s %s%s</span>", str(d, "title"),
        str(d, "id"), org_of(d), sim);
  }
  /* the description: what the enterprise needs and the targets it sets */
  if (str(nd, "text")) put(b, html_text, "<div class=\"desc\">%s</div>", str(nd, "text"));
  jb_buf_adds(b, "<div class=\"rec\"><div><span class=\"lb\">推荐专家</span>");
  if (cJSON_GetArraySize(arr(nd, "experts"))) html_items(b, t, arr(nd, "experts"), &K_EXPERT, DR_TOP, chain);
  else jb_buf_adds(b, "<span class=\"o\">无</span>");
  jb_buf_adds(b, "</div><div><span class=\"lb\">推荐成果</span>");
  if (cJSON_GetArraySize(arr(nd, "achievements"))) html_items(b, t, arr(nd, "achievements"), &K_ACH, DR_TOP, chain);
  else jb_buf_adds(b, "<span class=\"o\">无</span>");
  jb_buf_adds(b, "</div></div></div>\n");
}

static void html_commons(jb_buf *b, jb_buf *t, const cJSON *chain) {
  const cJSON *cm, *kw;
  if (!cJSON_GetArraySize(arr(chain, "common_needs"))) return;
  jb_buf_adds(b, "<div class=\"cards\">");
  cJSON_ArrayForEach(cm, arr(chain, "common_needs")) {
    put(b, html_text, "<div class=\"card\"><h3>共性需求：%s<span class=\"id\">%s</span></h3><div>",
        str(cm, "title"), str(cm, "id"));
    cJSON_ArrayForEach(kw, arr(cm, "keywords")) {
      if (cJSON_IsString(kw)) put(b, html_text, "<span class=\"tag\">%s</span>", kw->valuestring);
    }
    /* keywords above as tags; who asks on the left, recommendations right */
    jb_buf_adds(b, "</div><div class=\"cols\"><dl>");
    for (const struct common_list *L = common_lists + 1; L < COMMON_END; L++) {
      jb_buf_printf(b, "%s<dt>%s</dt><dd>", L->max && !L[-1].max ? "</dl><dl>" : "", L->label);
      html_items(b, t, arr(cm, L->key), L->k, L->max, chain);
      jb_buf_adds(b, "</dd>");
    }
    jb_buf_adds(b, "</dl></div></div>");
  }
  jb_buf_adds(b, "</div>\n");
}

/* Column widths as <col> percentages: with table-layout: fixed the table
** never grows past the page, whatever the data. */
static void html_table_head(jb_buf *b, const char *const *cols, const int *pct, int n) {
  jb_buf_adds(b, "<table><colgroup>");
  for (int i = 0; i < n; i++) jb_buf_printf(b, "<col style=\"width:%d%%\">", pct[i]);
  jb_buf_adds(b, "</colgroup><thead><tr>");
  for (int i = 0; i < n; i++) jb_buf_printf(b, "<th>%s</th>", cols[i]);
  jb_buf_adds(b, "</tr></thead><tbody>\n");
}

static void html_chain(jb_buf *b, jb_buf *t, const cJSON *chain, int i) {
  const cJSON *nd;
  char pr[32];
  /* no chain starts a page of its own, not even the first after the
  ** contents: a break left pages half empty; headings are kept with what
  ** follows them instead (h2 break-after: avoid) */

  jb_buf_printf(b, "<section class=\"chain\" id=\"chain-%d\"><h2>%d. ", i, i);
  put(b, html_text, "%s<small>%s", str_or(chain, "chain", "未分类"), str(chain, "parent"));
  if (*priority(pr, chain))
    put(b, html_text, "%s优先级 %s", str_or(chain, "parent", NULL) ? " · " : "", pr);
  jb_buf_adds(b, "</small></h2>\n");
  cJSON_ArrayForEach(nd, arr(chain, "needs")) html_need(b, t, chain, nd);
  html_commons(b, t, chain);
  jb_buf_adds(b, "</section>\n");
}

static void html_achievements(jb_buf *b, jb_buf *t, const cJSON *list) {
  static const char *const cols[] = {"成果", "类型", "成熟度", "所属单位", "产业链", "可服务需求"};
  static const int pct[] = {24, 7, 8, 15, 10, 36};
  const cJSON *a;
  jb_buf_adds(b, "<section class=\"achievements\" id=\"achievements\"><h2>可转化科技成果</h2>\n");
  html_table_head(b, cols, pct, JB_ARRAY_LEN(cols));
  cJSON_ArrayForEach(a, arr(list, "achievements")) {
    put(b, html_text, "<tr><td>%s<span class=\"id\">%s</span></td>", str(a, "title"), str(a, "id"));
    put(b, html_text, "<td>%s</td><td>%s</td><td>%s</td>", kind_zh(str(a, "kind")),
        str(a, "maturity"), org_of(a));
    put(b, html_text, "<td>%s</td><td>", items(t, arr(a, "chains"), &K_PLAIN, 0, NULL, "、"));
    html_items(b, t, arr(a, "needs"), &K_ACH_NEED, 0, NULL);
    jb_buf_adds(b, "</td></tr>\n");
  }
  jb_buf_adds(b, "</tbody></table></section>\n");
}

static void render_html(jb_buf *b, const cJSON *list) {
  const cJSON *c;
  jb_buf t = {0};
  int i = 0;
  put(b, html_text,
      "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>%s</title>",
      str_or(list, "title", DR_UNTITLED));
  jb_buf_printf(b, "<style>%s</style></head><body>\n", html_style);
  html_cover(b, list);
  html_toc(b, list);
  cJSON_ArrayForEach(c, arr(list, "chains")) html_chain(b, &t, c, ++i);
  html_achievements(b, &t, list);
  jb_buf_adds(b, "<footer>jiebang " JIEBANG_VERSION " 生成</footer></body></html>\n");
  scratch_done(b, &t);
}

/* --------------------------------------------------------------- Excel */

/* The CSV's three tables as three sheets through the one xlsx writer
** (xlsx_out.c): names beside ids, the description and recommendations in
** wrapped cells (one per line), widths that fit, a frozen header row. */
typedef struct xrow {
  char *cell[16];
  int n, oom;
} xrow;

/* A copy of s as the row's next cell (the scratch buffers change under it). */
static void xlsx_add(xrow *r, const char *s) {
  char *c = jb_strdup(s ? s : "");
  if (!c) r->oom = 1;
  r->cell[r->n++] = c;
}

/* Writes the row and empties it. */
static jb_status xlsx_put(jb_xlsx *x, xrow *r, jb_error *err) {
  jb_status rc = JB_OK;
  if (r->oom) {
    jb_err_set(err, JB_ERR_NOMEM, "%s", jb_msg(JB_MSG_STATUS_NOMEM));
    rc = JB_ERR_NOMEM;
  } else {
    rc = jb_xlsx_row(x, (const char *const *)r->cell, err);
  }
  for (int i = 0; i < r->n; i++) free(r->cell[i]);
  memset(r, 0, sizeof(*r));
  return rc;
}

static jb_status xlsx_needs(jb_xlsx *x, jb_buf *t, const cJSON *list, jb_error *err) {
  const jb_xcol cols[] = {{"产业链", 10, 1, 0, NULL},     {"优先序", 7, 0, 1, NULL},
                          {"需求编号", 11, 0, 0, NULL},   {"需求名称", 28, 1, 0, NULL},
                          {"企业", 20, 1, 0, NULL},       {"需求描述", 60, 1, 0, NULL},
                          {"截止日期", 12, 1, 0, NULL},   {"预算(万元)", 9, 0, 1, NULL},
                          {"共性需求", 20, 1, 0, NULL},   {"重复来源", 20, 1, 0, NULL},
                          {"推荐专家", 30, 1, 0, NULL},   {"推荐成果", 30, 1, 0, NULL},
                          {"联系人", 10, 0, 0, NULL},     {"电话", 14, 0, 0, NULL}};
  int contacts = any_contact(list);
  jb_status rc = jb_xlsx_sheet(x, "需求清单", cols, JB_ARRAY_LEN(cols) - (contacts ? 0 : 2), err);
  const cJSON *c, *nd;
  cJSON_ArrayForEach(c, arr(list, "chains")) {
    cJSON_ArrayForEach(nd, arr(c, "needs")) {
      if (rc) return rc;
      xrow row = {0};
      char rank[32], budget[32];
      const cJSON *common = find_by_id(arr(c, "common_needs"), str(nd, "common_need"));
      xlsx_add(&row, str(c, "chain"));
      xlsx_add(&row, numstr(rank, nd, "rank"));
      xlsx_add(&row, str(nd, "id"));
      xlsx_add(&row, str(nd, "title"));
      xlsx_add(&row, org_of(nd));
      xlsx_add(&row, str(nd, "text"));
      jb_buf_reset(t);
      jb_buf_printf(t, "%s%s", str_or(nd, "deadline", ""),
                    cJSON_IsTrue(cJSON_GetObjectItem(nd, "expired")) ? "\n已过截止日期" : "");
      xlsx_add(&row, jb_buf_str(t));
      xlsx_add(&row, numstr(budget, nd, "budget"));
      jb_buf_reset(t);
      if (str(nd, "common_need")) jb_buf_printf(t, "%s %s", str(nd, "common_need"), str_or(common, "title", ""));
      xlsx_add(&row, jb_buf_str(t));
      xlsx_add(&row, items(t, arr(nd, "duplicates"), &K_DUP, 0, c, "\n"));
      xlsx_add(&row, items(t, arr(nd, "experts"), &K_EXPERT, DR_TOP, c, "\n"));
      xlsx_add(&row, items(t, arr(nd, "achievements"), &K_ACH, DR_TOP, c, "\n"));
      if (contacts) {
        xlsx_add(&row, str(obj(nd, "contact"), "name"));
        xlsx_add(&row, str(obj(nd, "contact"), "phone"));
      }
      rc = xlsx_put(x, &row, err);
    }
  }
  return rc;
}

static jb_status xlsx_commons(jb_xlsx *x, jb_buf *t, const cJSON *list, jb_error *err) {
  const jb_xcol cols[] = {{"共性需求编号", 12, 0, 0, NULL}, {"产业链", 10, 1, 0, NULL}, {"名称", 28, 1, 0, NULL},
                          {"关键词", 24, 1, 0, NULL},       {"企业", 24, 1, 0, NULL},   {"成员需求", 14, 1, 0, NULL},
                          {"推荐专家", 30, 1, 0, NULL},     {"推荐成果", 30, 1, 0, NULL}};
  jb_status rc = jb_xlsx_sheet(x, "共性需求", cols, JB_ARRAY_LEN(cols), err);
  const cJSON *c, *cm;
  cJSON_ArrayForEach(c, arr(list, "chains")) {
    cJSON_ArrayForEach(cm, arr(c, "common_needs")) {
      if (rc) return rc;
      xrow row = {0};
      xlsx_add(&row, str(cm, "id"));
      xlsx_add(&row, str(c, "chain"));
      xlsx_add(&row, str(cm, "title"));
      for (const struct common_list *L = common_lists; L < COMMON_END; L++)
        xlsx_add(&row, items(t, arr(cm, L->key), L->k, L->max, c, "\n"));
      rc = xlsx_put(x, &row, err);
    }
  }
  return rc;
}

static jb_status xlsx_achievements(jb_xlsx *x, jb_buf *t, const cJSON *list, jb_error *err) {
  const jb_xcol cols[] = {{"成果编号", 11, 0, 0, NULL}, {"成果名称", 30, 1, 0, NULL}, {"类型", 8, 0, 0, NULL},
                          {"成熟度", 8, 0, 0, NULL},    {"所属单位", 24, 1, 0, NULL}, {"产业链", 14, 1, 0, NULL},
                          {"可服务需求", 40, 1, 0, NULL}};
  jb_status rc = jb_xlsx_sheet(x, "可转化成果", cols, JB_ARRAY_LEN(cols), err);
  const cJSON *a;
  cJSON_ArrayForEach(a, arr(list, "achievements")) {
    if (rc) return rc;
    xrow row = {0};
    xlsx_add(&row, str(a, "id"));
    xlsx_add(&row, str(a, "title"));
    xlsx_add(&row, kind_zh(str(a, "kind")));
    xlsx_add(&row, str(a, "maturity"));
    xlsx_add(&row, org_of(a));
    xlsx_add(&row, items(t, arr(a, "chains"), &K_PLAIN, 0, NULL, "、"));
    xlsx_add(&row, items(t, arr(a, "needs"), &K_ACH_NEED, 0, NULL, "\n"));
    rc = xlsx_put(x, &row, err);
  }
  return rc;
}

static jb_status render_xlsx(const cJSON *list, FILE *out, jb_error *err) {
  jb_xlsx *x = NULL;
  jb_buf t = {0};
  jb_status rc = jb_xlsx_new(&x, err);
  if (!rc) rc = xlsx_needs(x, &t, list, err);
  if (!rc) rc = xlsx_commons(x, &t, list, err);
  if (!rc) rc = xlsx_achievements(x, &t, list, err);
  if (!rc) rc = jb_xlsx_finish(x, out, err);
  jb_xlsx_free(x);
  jb_buf_free(&t);
  return rc;
}

/* ------------------------------------------------------------- dispatch */

static void render_json(jb_buf *b, const cJSON *list) {
  char *s = cJSON_Print(list);
  if (!s) {
    b->oom = 1;
    return;
  }
  jb_buf_adds(b, s);
  jb_buf_addc(b, '\n');
  free(s);
}

static const struct {
  const char *name;
  void (*render)(jb_buf *b, const cJSON *list);
} formats[] = {{"json", render_json}, {"csv", render_csv},   {"md", render_md},
               {"markdown", render_md}, {"html", render_html}};

jb_status jb_demand_render(const cJSON *list, const char *format, FILE *out, jb_error *err) {
  jb_buf b = {0};
  jb_status rc = JB_OK;
  int f = -1;
  for (int i = 0; format && i < JB_ARRAY_LEN(formats); i++)
    if (!strcmp(format, formats[i].name)) f = i;
  if (format && !strcmp(format, "xlsx") && cJSON_IsObject(list) && out) return render_xlsx(list, out, err);
  if (f < 0) {
    jb_err_set(err, JB_ERR_USAGE, jb_msg(JB_MSG_FORMAT_UNKNOWN), format ? format : "", "json, csv, md, html, xlsx");
    return JB_ERR_USAGE;
  }
  if (!cJSON_IsObject(list) || !out) {
    jb_err_set(err, JB_ERR_USAGE, "demand list: %s", out ? "not a JSON object" : "no output");
    return JB_ERR_USAGE;
  }
  formats[f].render(&b, list);
  errno = 0;
  if (b.oom) {
    jb_err_set(err, JB_ERR_NOMEM, "out of memory rendering the demand list as %s", format);
    rc = JB_ERR_NOMEM;
  } else if (fwrite(b.p, 1, b.n, out) != b.n || fflush(out) != 0 || ferror(out)) {
    jb_err_set(err, JB_ERR_IO, "writing the demand list: %s",
               errno ? strerror(errno) : "write failed");
    rc = JB_ERR_IO;
  }
  jb_buf_free(&b);
  return rc;
}
