/*
** store_table.c — what a table from an office (CSV, Excel's "Unicode text",
** an .xlsx sheet) means: its column headers in Chinese or English, its
** dates in the forms Chinese staff and Excel write, its cells' line breaks,
** and the words staff use for the values of closed sets.
**
** The rule is "forgiving where the meaning is certain, strict where it is
** not": 2025年6月30日 is a date and 企业 is the org kind enterprise, but a
** value that maps to nothing is an error naming the accepted values and the
** closest one, never a silent guess. The header table is documented in
** docs/records.md; keep the two together.
*/
#include "jb_int.h"
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------- headers */

/* Header aliases: kind (JB_KIND_COUNT = any kind), alias, field. Matched
** after trimming spaces, a trailing "*" (required marker) and a trailing
** parenthesised unit: "预算（万元）" is "预算". */
#define ANY JB_KIND_COUNT
static const struct {
  int kind;
  const char *alias, *field;
} header_aliases[] = {
    /* every kind */
    {ANY, "编号", "id"}, {ANY, "ID", "id"}, {ANY, "代码", "id"}, {ANY, "记录类型", "type"},
    {ANY, "关键词", "keywords"}, {ANY, "关键字", "keywords"}, {ANY, "产业链", "chains"},
    {ANY, "所属产业链", "chains"}, {ANY, "产业", "chains"}, {ANY, "地区", "region"},
    {ANY, "所在地区", "region"}, {ANY, "区域", "region"}, {ANY, "联系人", "contact.name"},
    {ANY, "联系电话", "contact.phone"}, {ANY, "电话", "contact.phone"}, {ANY, "手机", "contact.phone"},
    {ANY, "邮箱", "contact.email"}, {ANY, "电子邮箱", "contact.email"}, {ANY, "联系地址", "contact.address"},
    {ANY, "地址", "contact.address"}, {ANY, "年份", "year"}, {ANY, "年度", "year"},
    {ANY, "附件文件", "file"}, {ANY, "附件", "file"},
    /* needs */
    {JB_KIND_NEED, "需求编号", "id"}, {JB_KIND_NEED, "需求名称", "title"}, {JB_KIND_NEED, "标题", "title"},
    {JB_KIND_NEED, "名称", "title"}, {JB_KIND_NEED, "需求标题", "title"}, {JB_KIND_NEED, "榜单名称", "title"},
    {JB_KIND_NEED, "项目名称", "title"}, {JB_KIND_NEED, "需求描述", "text"}, {JB_KIND_NEED, "需求内容", "text"},
    {JB_KIND_NEED, "描述", "text"}, {JB_KIND_NEED, "内容", "text"}, {JB_KIND_NEED, "详细描述", "text"},
    {JB_KIND_NEED, "description", "text"}, {JB_KIND_NEED, "所属企业", "org"}, {JB_KIND_NEED, "企业", "org"},
    {JB_KIND_NEED, "企业编号", "org"}, {JB_KIND_NEED, "需求单位", "org"}, {JB_KIND_NEED, "发榜单位", "org"},
    {JB_KIND_NEED, "预算", "budget"}, {JB_KIND_NEED, "经费", "budget"}, {JB_KIND_NEED, "榜单金额", "budget"},
    {JB_KIND_NEED, "截止日期", "deadline"}, {JB_KIND_NEED, "截止时间", "deadline"},
    {JB_KIND_NEED, "完成时限", "deadline"}, {JB_KIND_NEED, "发布日期", "created"},
    {JB_KIND_NEED, "登记日期", "created"}, {JB_KIND_NEED, "提交日期", "created"}, {JB_KIND_NEED, "状态", "status"},
    {JB_KIND_NEED, "榜单", "list"}, {JB_KIND_NEED, "所属榜单", "list"}, {JB_KIND_NEED, "批次", "list"},
    {JB_KIND_NEED, "团队人数", "team_size"}, {JB_KIND_NEED, "团队规模", "team_size"},
    /* experts */
    {JB_KIND_EXPERT, "专家编号", "id"}, {JB_KIND_EXPERT, "姓名", "name"}, {JB_KIND_EXPERT, "专家姓名", "name"},
    {JB_KIND_EXPERT, "工作单位", "org"}, {JB_KIND_EXPERT, "单位", "org"}, {JB_KIND_EXPERT, "所在单位", "org"},
    {JB_KIND_EXPERT, "职称", "rank"}, {JB_KIND_EXPERT, "研究领域", "fields"}, {JB_KIND_EXPERT, "专业领域", "fields"},
    {JB_KIND_EXPERT, "领域", "fields"}, {JB_KIND_EXPERT, "简介", "bio"}, {JB_KIND_EXPERT, "个人简介", "bio"},
    {JB_KIND_EXPERT, "人才计划", "programs"}, {JB_KIND_EXPERT, "计划", "programs"},
    {JB_KIND_EXPERT, "可承接数", "capacity"}, {JB_KIND_EXPERT, "承接上限", "capacity"},
    /* achievements */
    {JB_KIND_ACHIEVEMENT, "成果编号", "id"}, {JB_KIND_ACHIEVEMENT, "成果名称", "title"},
    {JB_KIND_ACHIEVEMENT, "名称", "title"}, {JB_KIND_ACHIEVEMENT, "标题", "title"},
    {JB_KIND_ACHIEVEMENT, "成果简介", "text"}, {JB_KIND_ACHIEVEMENT, "简介", "text"},
    {JB_KIND_ACHIEVEMENT, "成果描述", "text"}, {JB_KIND_ACHIEVEMENT, "描述", "text"},
    {JB_KIND_ACHIEVEMENT, "成果类型", "kind"}, {JB_KIND_ACHIEVEMENT, "类型", "kind"},
    {JB_KIND_ACHIEVEMENT, "专利号", "patent_no"}, {JB_KIND_ACHIEVEMENT, "完成人", "expert"},
    {JB_KIND_ACHIEVEMENT, "负责专家", "expert"}, {JB_KIND_ACHIEVEMENT, "完成单位", "org"},
    {JB_KIND_ACHIEVEMENT, "所属单位", "org"}, {JB_KIND_ACHIEVEMENT, "成熟度", "maturity"},
    {JB_KIND_ACHIEVEMENT, "技术成熟度", "maturity"},
    /* organizations */
    {JB_KIND_ORG, "单位编号", "id"}, {JB_KIND_ORG, "机构编号", "id"}, {JB_KIND_ORG, "名称", "name"},
    {JB_KIND_ORG, "单位名称", "name"}, {JB_KIND_ORG, "企业名称", "name"}, {JB_KIND_ORG, "机构名称", "name"},
    {JB_KIND_ORG, "类型", "kind"}, {JB_KIND_ORG, "单位类型", "kind"}, {JB_KIND_ORG, "机构类型", "kind"},
    {JB_KIND_ORG, "上级单位", "parent"}, {JB_KIND_ORG, "简介", "description"},
    {JB_KIND_ORG, "单位简介", "description"}, {JB_KIND_ORG, "企业简介", "description"},
    /* evidence */
    {JB_KIND_EVIDENCE, "专家", "expert"}, {JB_KIND_EVIDENCE, "专家编号", "expert"},
    {JB_KIND_EVIDENCE, "类型", "kind"}, {JB_KIND_EVIDENCE, "题目", "title"}, {JB_KIND_EVIDENCE, "标题", "title"},
    {JB_KIND_EVIDENCE, "摘要", "abstract"}, {JB_KIND_EVIDENCE, "期刊", "venue"}, {JB_KIND_EVIDENCE, "出处", "venue"},
    /* conflicts and collaborations */
    {JB_KIND_CONFLICT, "专家", "expert"}, {JB_KIND_CONFLICT, "专家编号", "expert"},
    {JB_KIND_CONFLICT, "单位", "org"}, {JB_KIND_CONFLICT, "企业", "org"}, {JB_KIND_CONFLICT, "说明", "note"},
    {JB_KIND_CONFLICT, "备注", "note"}, {JB_KIND_COLLABORATION, "专家", "expert"},
    {JB_KIND_COLLABORATION, "专家编号", "expert"}, {JB_KIND_COLLABORATION, "单位", "org"},
    {JB_KIND_COLLABORATION, "企业", "org"}, {JB_KIND_COLLABORATION, "说明", "note"},
    {JB_KIND_COLLABORATION, "备注", "note"},
};

/* Headers written for people where the first alias is not the best one:
** the unit or the separator belongs in the header. */
static const struct {
  int kind;
  const char *field, *header;
} header_display[] = {
    {JB_KIND_NEED, "budget", "预算（万元）"},   {ANY, "keywords", "关键词（用；分隔）"},
    {ANY, "chains", "产业链（用；分隔）"},      {JB_KIND_EXPERT, "fields", "研究领域（用；分隔）"},
    {JB_KIND_EXPERT, "programs", "人才计划（用；分隔）"}, {JB_KIND_NEED, "team_size", "团队人数"},
    {JB_KIND_NEED, "org", "所属企业（单位编号）"}, {JB_KIND_EXPERT, "org", "工作单位（单位编号）"},
    {JB_KIND_ACHIEVEMENT, "org", "完成单位（单位编号）"}, {JB_KIND_ACHIEVEMENT, "expert", "完成人（专家编号）"},
    {JB_KIND_ORG, "parent", "上级单位（单位编号）"},
};

const char *jb_field_header(jb_kind k, const char *field) {
  if (jb_lang_get() == JB_LANG_EN) return field;
  for (int i = 0; i < JB_ARRAY_LEN(header_display); i++)
    if ((header_display[i].kind == (int)k || header_display[i].kind == ANY) && !strcmp(header_display[i].field, field))
      return header_display[i].header;
  /* the kind's own alias first (需求编号 before 编号), then any kind's */
  for (int pass = 0; pass < 2; pass++)
    for (int i = 0; i < JB_ARRAY_LEN(header_aliases); i++)
      if ((pass ? header_aliases[i].kind == ANY : header_aliases[i].kind == (int)k) &&
          !strcmp(header_aliases[i].field, field))
        return header_aliases[i].alias;
  return field;
}

/* Strips spaces, a trailing "*"/"＊", "：" and a trailing "(...)"/"（...）". */
static void header_core(const char *h, char *out, size_t cap) {
  while (*h == ' ') h++;
  snprintf(out, cap, "%s", h);
  size_t n = strlen(out);
  for (;;) {
    size_t was = n;
    while (n && (out[n - 1] == ' ' || out[n - 1] == '*' || out[n - 1] == ':')) out[--n] = 0;
    if (n >= 3 && (!strcmp(out + n - 3, "\xEF\xBC\x8A") || !strcmp(out + n - 3, "\xEF\xBC\x9A"))) out[n -= 3] = 0;
    if (n && (out[n - 1] == ')' || (n >= 3 && !strcmp(out + n - 3, "\xEF\xBC\x89")))) {
      char *open = strrchr(out, '(');
      char *wide = NULL;
      for (char *p = out; (p = strstr(p, "\xEF\xBC\x88")); p += 3) wide = p;
      char *cut = open > wide ? open : wide;
      if (cut && cut > out) {
        *cut = 0;
        n = strlen(out);
      }
    }
    if (n == was) break;
  }
}

const char *jb_header_field(jb_kind k, const char *header, char *buf, size_t cap) {
  char core[256];
  header_core(header, core, sizeof(core));
  if (!*core) return NULL;
  for (int i = 0; i < JB_ARRAY_LEN(header_aliases); i++) {
    if (header_aliases[i].kind != ANY && header_aliases[i].kind != (int)k) continue;
    if (!strcmp(core, header_aliases[i].alias)) return header_aliases[i].field;
  }
  /* English: the field name itself, in any case, spaces for underscores */
  size_t n = strlen(core);
  if (n >= cap) return NULL;
  for (size_t i = 0; i <= n; i++) {
    char c = core[i];
    buf[i] = c == ' ' ? '_' : (char)tolower((unsigned char)c);
  }
  return buf;
}

int jb_header_ignored(const char *header) {
  char core[64];
  header_core(header, core, sizeof(core));
  /* a row counter, not an id: staff renumber it freely */
  return !strcmp(core, "序号") || !strcasecmp(core, "no") || !strcasecmp(core, "no.") || !strcmp(core, "#");
}

jb_kind jb_kind_from_headers(char **hdr, int n) {
  int votes[JB_KIND_COUNT] = {0};
  for (int i = 0; i < n; i++) {
    char core[256];
    header_core(hdr[i], core, sizeof(core));
    for (int a = 0; a < JB_ARRAY_LEN(header_aliases); a++)
      if (header_aliases[a].kind != ANY && !strcmp(core, header_aliases[a].alias)) votes[header_aliases[a].kind]++;
  }
  int best = -1, tie = 0;
  for (int k = 0; k < JB_KIND_COUNT; k++) {
    if (!votes[k]) continue;
    if (best < 0 || votes[k] > votes[best]) best = k, tie = 0;
    else if (votes[k] == votes[best]) tie = 1;
  }
  return best < 0 || tie ? JB_KIND_UNKNOWN : (jb_kind)best;
}

jb_kind jb_kind_from_label(const char *name) {
  static const struct {
    const char *label;
    jb_kind k;
  } labels[] = {{"需求", JB_KIND_NEED}, {"技术需求", JB_KIND_NEED}, {"榜单", JB_KIND_NEED},
                {"专家", JB_KIND_EXPERT}, {"人才", JB_KIND_EXPERT}, {"成果", JB_KIND_ACHIEVEMENT},
                {"科技成果", JB_KIND_ACHIEVEMENT}, {"机构", JB_KIND_ORG}, {"单位", JB_KIND_ORG},
                {"企业", JB_KIND_ORG}, {"论文", JB_KIND_EVIDENCE}, {"证据", JB_KIND_EVIDENCE},
                {"回避", JB_KIND_CONFLICT}, {"利益冲突", JB_KIND_CONFLICT}, {"合作", JB_KIND_COLLABORATION},
                {"对接结果", JB_KIND_OUTCOME}};
  char core[128];
  header_core(name, core, sizeof(core));
  for (int i = 0; i < JB_ARRAY_LEN(labels); i++) {
    size_t n = strlen(labels[i].label);
    /* "需求", "需求表", "企业需求清单" all name needs: the label anywhere */
    if (strstr(core, labels[i].label) && n) return labels[i].k;
  }
  return jb_kind_parse(core);
}

/* ------------------------------------------------------------------ cells */

void jb_cell_normalize(char *s) {
  /* Excel stores a cell's line break as CRLF or a lone CR; one LF is what
  ** the text means. */
  char *w = s;
  for (char *r = s; *r; r++) {
    if (*r == '\r') {
      *w++ = '\n';
      if (r[1] == '\n') r++;
    } else {
      *w++ = *r;
    }
  }
  *w = 0;
}

/* ------------------------------------------------------------------ dates */

static int days_in(int y, int m) {
  static const int md[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : md[m - 1];
}

int jb_date_from_serial(double serial, int date1904, char out[11]) {
  if (!isfinite(serial) || serial < 1 || serial > 2958465) return 0;
  /* Days since 1899-12-30 (1900 system, which counts Lotus's phantom
  ** 1900-02-29, so dates after it come out right from this epoch), or
  ** since 1904-01-01. */
  long days = (long)floor(serial) + (date1904 ? 1462 : 0);
  int y = 1899, m = 12, d = 30;
  /* walk years, then months: at most ~8000 steps */
  days += d - 1;
  d = 1;
  while (days >= days_in(y, m)) {
    days -= days_in(y, m);
    if (++m > 12) { m = 1; y++; }
  }
  d += (int)days;
  snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
  return y >= 1900 && y <= 2200;
}

/* Reads up to `max` ASCII or full-width digits; returns the count read. */
static int digits(const char **pp, int max, int *val) {
  const unsigned char *p = (const unsigned char *)*pp;
  int n = 0, v = 0;
  while (n < max) {
    if (isdigit(*p)) {
      v = v * 10 + (*p - '0');
      p++;
    } else if (p[0] == 0xEF && p[1] == 0xBC && p[2] >= 0x90 && p[2] <= 0x99) {
      v = v * 10 + (p[2] - 0x90); /* ０-９ */
      p += 3;
    } else {
      break;
    }
    n++;
  }
  *pp = (const char *)p;
  *val = v;
  return n;
}

/* A separator between date parts: - / . or 年 月 (and 日 at the end). */
static int date_sep(const char **pp, const char *cjk) {
  const char *p = *pp;
  if (*p == '-' || *p == '/' || *p == '.') {
    *pp = p + 1;
    return 1;
  }
  size_t n = strlen(cjk);
  if (!strncmp(p, cjk, n)) {
    *pp = p + n;
    return 1;
  }
  return 0;
}

int jb_date_normalize(const char *in, char out[11]) {
  const char *p = in;
  while (*p == ' ') p++;
  int y = 0, m = 0, d = 0, nd;
  nd = digits(&p, 8, &y);
  if (nd == 8 && !*p) {
    /* 20250630 */
    d = y % 100;
    m = y / 100 % 100;
    y /= 10000;
  } else if (nd == 5 && !*p) {
    /* a date cell saved as its serial number (45838 = 2025-06-30): five
    ** digits cover 1927..2173 and no budget or year column is a date */
    return jb_date_from_serial((double)y, 0, out);
  } else if (nd == 4) {
    if (*p && !date_sep(&p, "年")) return 0;
    if (*p) {
      if (!digits(&p, 2, &m)) return 0;
      if (*p && !date_sep(&p, "月")) return 0;
      if (*p && strncmp(p, " ", 1) && strncmp(p, "T", 1)) {
        if (!digits(&p, 2, &d)) return 0;
        if (!strncmp(p, "日", 3)) p += 3;
        else if (!strncmp(p, "号", 3)) p += 3;
      }
    }
    /* a time of day after the date (Excel's "2025/6/30 0:00:00") is dropped */
    if (*p == ' ' || *p == 'T') {
      const char *t = p + 1;
      while (*t && (isdigit((unsigned char)*t) || *t == ':' || *t == '.' || *t == 'Z')) t++;
      if (*t) return 0;
      p = t;
    }
    while (*p == ' ') p++;
    if (*p) return 0;
  } else {
    return 0;
  }
  if (y < 1900 || y > 2200) return 0;
  if (!m) {
    snprintf(out, 11, "%04u", (unsigned)y % 10000u);
    return 1;
  }
  if (m < 1 || m > 12) return 0;
  if (!d) {
    snprintf(out, 11, "%04u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u);
    return 1;
  }
  if (d < 1 || d > days_in(y, m)) return 0;
  snprintf(out, 11, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
  return 1;
}

/* ------------------------------------------------------------ closed sets */

/* Words staff write for a closed set's values. A synonym applies only where
** its canonical value is allowed, so 专利 is "patent" both for achievements
** and for evidence. Only certain meanings are here: 进行中 (open? paired?)
** is not. */
static const struct {
  const char *syn, *canon;
} value_synonyms[] = {
    {"开放", "open"}, {"待揭榜", "open"}, {"征集中", "open"}, {"未揭榜", "open"}, {"未对接", "open"},
    {"已对接", "paired"}, {"已揭榜", "paired"}, {"已匹配", "paired"},
    {"已关闭", "closed"}, {"关闭", "closed"}, {"已完成", "closed"}, {"已结束", "closed"}, {"已解决", "closed"},
    {"企业", "enterprise"}, {"公司", "enterprise"}, {"高校", "university"}, {"大学", "university"},
    {"高等院校", "university"}, {"科研院所", "institute"}, {"研究所", "institute"}, {"研究院", "institute"},
    {"科研机构", "institute"}, {"平台", "platform"}, {"创新平台", "platform"}, {"协会", "association"},
    {"学会", "association"}, {"商会", "association"}, {"政府", "government"}, {"政府部门", "government"},
    {"医院", "hospital"}, {"卫生院", "hospital"},
    {"专利", "patent"}, {"技术", "technology"}, {"工艺", "technology"}, {"产品", "product"},
    {"品种", "variety"}, {"新品种", "variety"}, {"标准", "standard"}, {"软件", "software"},
    {"软件著作权", "software"}, {"其他", "other"}, {"其它", "other"}, {"论文", "paper"}, {"项目", "project"},
    {"课题", "project"}, {"奖励", "award"}, {"获奖", "award"}, {"奖项", "award"},
    {"研发阶段", "研发"}, {"实验室阶段", "研发"}, {"research", "研发"}, {"lab", "研发"},
    {"小试阶段", "小试"}, {"中试阶段", "中试"}, {"pilot", "中试"}, {"试生产", "小批量"},
    {"小批量生产", "小批量"}, {"量产", "产业化"}, {"规模化生产", "产业化"}, {"industrialized", "产业化"},
};

const char *jb_field_label(const char *kind, const char *field) {
  jb_kind k = kind ? jb_kind_parse(kind) : JB_KIND_UNKNOWN;
  return k == JB_KIND_UNKNOWN ? field : jb_field_header(k, field);
}

const char *jb_value_label(const char *value) {
  static const struct {
    const char *value;
    jb_msg_id label;
  } labels[] = {
      {"open", JB_MSG_VAL_OPEN}, {"paired", JB_MSG_VAL_PAIRED}, {"closed", JB_MSG_VAL_CLOSED},
      {"enterprise", JB_MSG_VAL_ENTERPRISE}, {"university", JB_MSG_VAL_UNIVERSITY},
      {"institute", JB_MSG_VAL_INSTITUTE}, {"platform", JB_MSG_VAL_PLATFORM},
      {"association", JB_MSG_VAL_ASSOCIATION}, {"government", JB_MSG_VAL_GOVERNMENT},
      {"hospital", JB_MSG_VAL_HOSPITAL}, {"patent", JB_MSG_VAL_PATENT}, {"technology", JB_MSG_VAL_TECHNOLOGY},
      {"product", JB_MSG_VAL_PRODUCT}, {"variety", JB_MSG_VAL_VARIETY}, {"standard", JB_MSG_VAL_STANDARD},
      {"software", JB_MSG_VAL_SOFTWARE}, {"other", JB_MSG_VAL_OTHER}, {"paper", JB_MSG_VAL_PAPER},
      {"project", JB_MSG_VAL_PROJECT}, {"award", JB_MSG_VAL_AWARD}, {"expert", JB_MSG_VAL_EXPERT},
      {"achievement", JB_MSG_VAL_ACHIEVEMENT}, {"org", JB_MSG_VAL_ORG}, {"need", JB_MSG_VAL_NEED},
      {"evidence", JB_MSG_VAL_EVIDENCE}, {"conflict", JB_MSG_VAL_CONFLICT},
      {"collaboration", JB_MSG_VAL_COLLABORATION}, {"outcome", JB_MSG_VAL_OUTCOME},
      {"text", JB_MSG_VAL_TEXT}, {"chain", JB_MSG_VAL_CHAIN},
      {"region", JB_MSG_VAL_REGION}, {"program", JB_MSG_VAL_PROGRAM}, {"capacity", JB_MSG_VAL_CAPACITY},
      {"keywords", JB_MSG_VAL_KEYWORDS}, {"body", JB_MSG_VAL_BODY}, {"title", JB_MSG_VAL_TITLE},
      {"profile", JB_MSG_VAL_PROFILE}, {"warning", JB_MSG_CHECK_WARNING}, {"error", JB_MSG_CHECK_ERROR},
      {"info", JB_MSG_CHECK_INFO}};
  for (int i = 0; i < JB_ARRAY_LEN(labels); i++)
    if (!strcmp(value, labels[i].value)) return jb_msg(labels[i].label);
  return value;
}

/* The accept column of a proposal: staff write many words for yes and no.
** Certain ones only: a bare "x" (ticked? crossed out?) is refused. */
static const char *const accept_yes[] = {"是", "接受", "同意", "采纳", "确认", "通过", "√", "✓", "✔", "对",
                                         "yes", "y", "ok", "okay", "true", "1", "accept", "accepted"};
static const char *const accept_no[] = {"否", "不接受", "不同意", "不采纳", "拒绝", "不通过", "不", "×", "✗", "✘",
                                        "no", "n", "false", "0", "reject", "rejected"};

int jb_accept_value(const char *s, const char **suggest) {
  char core[64];
  header_core(s, core, sizeof(core));
  if (suggest) *suggest = NULL;
  if (!*core) return -1;
  for (int i = 0; i < JB_ARRAY_LEN(accept_yes); i++)
    if (!strcasecmp(core, accept_yes[i])) return 1;
  for (int i = 0; i < JB_ARRAY_LEN(accept_no); i++)
    if (!strcasecmp(core, accept_no[i])) return 0;
  if (suggest) {
    const char *c[JB_ARRAY_LEN(accept_yes) + JB_ARRAY_LEN(accept_no)];
    int n = 0;
    for (int i = 0; i < JB_ARRAY_LEN(accept_yes); i++) if (strlen(accept_yes[i]) > 2) c[n++] = accept_yes[i];
    for (int i = 0; i < JB_ARRAY_LEN(accept_no); i++) if (strlen(accept_no[i]) > 2) c[n++] = accept_no[i];
    *suggest = jb_did_you_mean(core, c, n);
  }
  return -2;
}

/* Is s one of the '|'-separated values? */
static int in_set(const char *values, const char *s) {
  size_t n = strlen(s);
  for (const char *p = values; *p;) {
    const char *bar = strchr(p, '|');
    size_t len = bar ? (size_t)(bar - p) : strlen(p);
    if (len == n && !strncmp(p, s, n)) return 1;
    if (!bar) break;
    p = bar + 1;
  }
  return 0;
}

const char *jb_closed_canon(const char *values, const char *s, char *buf, size_t cap) {
  if (in_set(values, s)) return s;
  char core[128];
  header_core(s, core, sizeof(core));
  if (in_set(values, core)) return snprintf(buf, cap, "%s", core) < (int)cap ? buf : NULL;
  /* English in another case: "Open" */
  size_t n = strlen(core);
  if (n < cap) {
    for (size_t i = 0; i <= n; i++) buf[i] = (char)tolower((unsigned char)core[i]);
    if (in_set(values, buf)) return buf;
  }
  for (int i = 0; i < JB_ARRAY_LEN(value_synonyms); i++)
    if ((!strcmp(core, value_synonyms[i].syn) || !strcasecmp(core, value_synonyms[i].syn)) &&
        in_set(values, value_synonyms[i].canon))
      return value_synonyms[i].canon;
  return NULL;
}

/* Edit distance between two short strings, by code point; capped at 9. */
static int distance(const char *a, const char *b) {
  uint32_t x[48], y[48];
  int nx = 0, ny = 0;
  for (size_t i = 0, n = strlen(a); i < n && nx < 48;) {
    int l = jb_utf8_decode((const unsigned char *)a + i, n - i, &x[nx]);
    if (!l) return 9;
    x[nx] = jb_char_fold(x[nx]);
    nx++;
    i += (size_t)l;
  }
  for (size_t i = 0, n = strlen(b); i < n && ny < 48;) {
    int l = jb_utf8_decode((const unsigned char *)b + i, n - i, &y[ny]);
    if (!l) return 9;
    y[ny] = jb_char_fold(y[ny]);
    ny++;
    i += (size_t)l;
  }
  int row[49];
  for (int j = 0; j <= ny; j++) row[j] = j;
  for (int i = 1; i <= nx; i++) {
    int prev = row[0];
    row[0] = i;
    for (int j = 1; j <= ny; j++) {
      int cur = row[j];
      int sub = prev + (x[i - 1] != y[j - 1]);
      int best = row[j] + 1 < row[j - 1] + 1 ? row[j] + 1 : row[j - 1] + 1;
      row[j] = sub < best ? sub : best;
      prev = cur;
    }
  }
  return row[ny] > 9 ? 9 : row[ny];
}

static int cp_len(const char *s) {
  int n = 0;
  for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
  return n;
}

const char *jb_did_you_mean(const char *value, const char *const *cands, int n) {
  const char *best = NULL;
  int bestd = 99;
  for (int i = 0; i < n; i++) {
    const char *c = cands[i];
    if (!c || !*c) continue;
    int d;
    /* 油茶产业 contains 油茶: the candidate inside the value (or around it)
    ** is the likeliest meaning */
    if (strstr(value, c) || strstr(c, value)) d = 0;
    else {
      d = distance(value, c);
      int len = cp_len(c) < cp_len(value) ? cp_len(c) : cp_len(value);
      /* one slip in a short word, two in a longer one; in a two-character
      ** word the slip is not the first character (油查 -> 油茶, but 钙业 is
      ** not 蜂业) */
      if (d > (len >= 5 ? 2 : 1)) continue;
      if (len <= 2 && jb_utf8_decode((const unsigned char *)value, strlen(value), &(uint32_t){0}) &&
          strncmp(value, c, (size_t)jb_utf8_decode((const unsigned char *)value, strlen(value), &(uint32_t){0})))
        continue;
    }
    if (d < bestd) {
      bestd = d;
      best = c;
    }
  }
  return best;
}

const char *jb_closed_suggest(const char *values, const char *s, char *buf, size_t cap) {
  char copy[512];
  const char *cands[96];
  int n = 0;
  snprintf(copy, sizeof(copy), "%s", values);
  for (char *save = NULL, *v = strtok_r(copy, "|", &save); v && n < 32; v = strtok_r(NULL, "|", &save))
    cands[n++] = v;
  int nvalues = n;
  for (int i = 0; i < JB_ARRAY_LEN(value_synonyms) && n < 96; i++)
    if (in_set(values, value_synonyms[i].canon)) cands[n++] = value_synonyms[i].syn;
  const char *hit = jb_did_you_mean(s, cands, n);
  if (!hit) return NULL;
  for (int i = 0; i < nvalues; i++)
    if (hit == cands[i]) return snprintf(buf, cap, "%s", hit) < (int)cap ? buf : NULL;
  for (int i = 0; i < JB_ARRAY_LEN(value_synonyms); i++)
    if (!strcmp(hit, value_synonyms[i].syn) && in_set(values, value_synonyms[i].canon))
      return value_synonyms[i].canon;
  return NULL;
}
