/*
** report_render.c — a progress report (report_progress.c) as JSON, CSV,
** Markdown or a self-contained HTML page that prints on A4, with inline SVG
** charts where a reader would rather look than read: each target as a bar,
** contract value by month against the year's target, value by chain.
*/
#include "jb_int.h"
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *str(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  return cJSON_IsString(j) ? j->valuestring : "";
}

static double num(const cJSON *o, const char *k, int *has) {
  const cJSON *j = cJSON_GetObjectItemCaseSensitive(o, k);
  if (has) *has = cJSON_IsNumber(j);
  return cJSON_IsNumber(j) ? j->valuedouble : 0;
}

/* A figure as people write it: whole numbers without decimals. */
static const char *fig(char out[32], double v) {
  if (fabs(v - round(v)) < 1e-9) snprintf(out, 32, "%.0f", v);
  else snprintf(out, 32, "%.1f", v);
  return out;
}

static const char *state_zh(const char *s) {
  static const char *const m[][2] = {{"proposed", "已推荐"}, {"contacted", "已联系"}, {"accepted", "已接受"},
                                     {"declined", "已婉拒"}, {"signed", "已签约"}, {"completed", "已完成"},
                                     {"abandoned", "已终止"}};
  for (int i = 0; i < JB_ARRAY_LEN(m); i++)
    if (!strcmp(m[i][0], s)) return m[i][1];
  return s;
}

static void html_esc(jb_buf *b, const char *s) {
  for (; *s; s++) {
    switch (*s) {
    case '&': jb_buf_adds(b, "&amp;"); break;
    case '<': jb_buf_adds(b, "&lt;"); break;
    case '>': jb_buf_adds(b, "&gt;"); break;
    case '"': jb_buf_adds(b, "&quot;"); break;
    default: jb_buf_addc(b, *s);
    }
  }
}

static double contract_target(const cJSON *r) {
  const cJSON *t;
  cJSON_ArrayForEach(t, cJSON_GetObjectItem(r, "targets"))
    if (!strcmp(str(t, "metric"), "contract_value")) return num(t, "target", NULL);
  return 0;
}

/* ------------------------------------------------------------- markdown */

static void md(jb_buf *b, const cJSON *r) {
  char f1[32], f2[32];
  const cJSON *x;
  jb_buf_printf(b, "# %d 年科技创新工作要点完成情况\n\n截至 %s；目标文件 `%s`。\n\n## 目标完成情况\n\n",
                (int)num(r, "year", NULL), str(r, "as_of"), str(r, "targets_file"));
  jb_buf_adds(b, "| 指标 | 目标 | 完成 | 单位 | 完成率 | 来源 |\n|---|---:|---:|---|---:|---|\n");
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "targets")) {
    int ht, ha, hs;
    double t = num(x, "target", &ht), a = num(x, "actual", &ha), s = num(x, "share", &hs);
    char share[32] = "—";
    if (hs) snprintf(share, sizeof(share), "%.0f%%", s * 100);
    jb_buf_printf(b, "| %s | %s | %s | %s | %s | %s |\n", str(x, "label"), ht ? fig(f1, t) : "—",
                  ha ? fig(f2, a) : "未填报", str(x, "unit"), share,
                  !strcmp(str(x, "source"), "manual") ? "人工填报" : "记录统计");
  }
  jb_buf_adds(b, "\n## 按月（签约按签约日期，对接按当前状态日期）\n\n| 月份 | 对接 | 签约 | 合同额（万元） | 累计（万元） |\n|---|---:|---:|---:|---:|\n");
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "by_month"))
    jb_buf_printf(b, "| %s | %.0f | %.0f | %s | %s |\n", str(x, "month"), num(x, "pairings", NULL), num(x, "contracts", NULL),
                  fig(f1, num(x, "value", NULL)), fig(f2, num(x, "value_cumulative", NULL)));
  jb_buf_adds(b, "\n## 按产业链\n\n| 产业链 | 需求 | 已联系 | 已对接 | 签约 | 合同额（万元） |\n|---|---:|---:|---:|---:|---:|\n");
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "by_chain"))
    jb_buf_printf(b, "| %s | %.0f | %.0f | %.0f | %.0f | %s |\n", str(x, "chain"), num(x, "needs", NULL),
                  num(x, "contacted", NULL), num(x, "engaged", NULL), num(x, "contracts", NULL), fig(f1, num(x, "value", NULL)));
  jb_buf_adds(b, "\n## 对接状态\n\n| 状态 | 数量 |\n|---|---:|\n");
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "funnel"))
    jb_buf_printf(b, "| %s | %.0f |\n", state_zh(str(x, "state")), num(x, "count", NULL));
  const cJSON *nc = cJSON_GetObjectItem(r, "no_contact");
  jb_buf_printf(b, "\n## 超过 %.0f 天无人联系的需求\n\n", num(nc, "days", NULL));
  if (!cJSON_GetArraySize(cJSON_GetObjectItem(nc, "needs"))) jb_buf_adds(b, "无。\n");
  else jb_buf_adds(b, "| 需求 | 标题 | 企业 | 提出日期 | 天数 |\n|---|---|---|---|---:|\n");
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(nc, "needs"))
    jb_buf_printf(b, "| %s | %s | %s | %s | %.0f |\n", str(x, "id"), str(x, "title"), str(x, "org"), str(x, "created"),
                  num(x, "days", NULL));
  jb_buf_adds(b, "\n## 多次婉拒的专家\n\n");
  if (!cJSON_GetArraySize(cJSON_GetObjectItem(r, "repeated_declines"))) jb_buf_adds(b, "无。\n");
  else jb_buf_adds(b, "| 专家 | 姓名 | 婉拒次数 | 理由 |\n|---|---|---:|---|\n");
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "repeated_declines"))
    jb_buf_printf(b, "| %s | %s | %.0f | %s |\n", str(x, "expert"), str(x, "name"), num(x, "count", NULL), str(x, "reasons"));
}

/* ------------------------------------------------------------------ csv */

static void csv(jb_buf *b, const cJSON *r) {
  char f[4][32];
  const cJSON *x;
  jb_buf_adds(b, "\xEF\xBB\xBF"); /* Excel reads UTF-8 only with a BOM */
  const char *hdr[] = {"section", "key", "label", "target", "actual", "unit", "share", "contracts", "value"};
  for (int i = 0; i < 9; i++) jb_csv_put(b, hdr[i], i == 0);
  jb_buf_adds(b, "\r\n");
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "targets")) {
    int ht, ha, hs;
    double t = num(x, "target", &ht), a = num(x, "actual", &ha), s = num(x, "share", &hs);
    snprintf(f[3], 32, "%.3f", s);
    const char *row[] = {"target", str(x, "metric"), str(x, "label"), ht ? fig(f[0], t) : "", ha ? fig(f[1], a) : "",
                         str(x, "unit"), hs ? f[3] : "", "", ""};
    for (int i = 0; i < 9; i++) jb_csv_put(b, row[i], i == 0);
    jb_buf_adds(b, "\r\n");
  }
  static const char *const sections[] = {"by_month", "by_chain"};
  for (int s = 0; s < 2; s++)
    cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, sections[s])) {
      const char *row[] = {s ? "chain" : "month", str(x, s ? "chain" : "month"), "", "", "", "万元", "",
                           fig(f[0], num(x, "contracts", NULL)), fig(f[1], num(x, "value", NULL))};
      for (int i = 0; i < 9; i++) jb_csv_put(b, row[i], i == 0);
      jb_buf_adds(b, "\r\n");
    }
}

/* ----------------------------------------------------------------- html */

/* Each target as a horizontal bar: filled to its share, a mark at 100%. */
static void svg_targets(jb_buf *b, const cJSON *r) {
  const cJSON *x, *ts = cJSON_GetObjectItem(r, "targets");
  int n = cJSON_GetArraySize(ts), y = 0;
  char f1[32], f2[32];
  jb_buf_printf(b, "<svg class=\"chart\" viewBox=\"0 0 760 %d\" role=\"img\" aria-label=\"目标完成情况\">", n * 34 + 8);
  cJSON_ArrayForEach(x, ts) {
    int ht, ha, hs;
    double t = num(x, "target", &ht), a = num(x, "actual", &ha), s = num(x, "share", &hs);
    double w = hs ? fmin(s, 1.25) * 300 : 0;
    jb_buf_printf(b, "<text x=\"0\" y=\"%d\" class=\"lbl\">", y + 21);
    html_esc(b, str(x, "label"));
    jb_buf_printf(b, "</text><rect x=\"200\" y=\"%d\" width=\"300\" height=\"20\" class=\"track\"/>", y + 6);
    if (hs)
      jb_buf_printf(b, "<rect x=\"200\" y=\"%d\" width=\"%.1f\" height=\"20\" class=\"%s\"/>", y + 6, w,
                    s >= 1 ? "done" : s >= 0.5 ? "mid" : "low");
    jb_buf_printf(b, "<line x1=\"500\" x2=\"500\" y1=\"%d\" y2=\"%d\" class=\"goal\"/>", y + 3, y + 29);
    jb_buf_printf(b, "<text x=\"%d\" y=\"%d\" class=\"val\">", hs && s > 1 ? 582 : 508, y + 21);
    if (ha && ht) jb_buf_printf(b, "%s/%s %s · %.0f%%", fig(f1, a), fig(f2, t), str(x, "unit"), s * 100);
    else if (ha) jb_buf_printf(b, "%s %s", fig(f1, a), str(x, "unit"));
    else jb_buf_printf(b, "目标 %s %s · 未填报", ht ? fig(f2, t) : "—", str(x, "unit"));
    jb_buf_adds(b, "</text>");
    y += 34;
  }
  jb_buf_adds(b, "</svg>\n");
}

/* Contract value by month (columns), its running total (line) and the
** year's target (dashed), on one scale. */
static void svg_months(jb_buf *b, const cJSON *r) {
  const cJSON *x, *ms = cJSON_GetObjectItem(r, "by_month");
  double target = contract_target(r), top = target;
  cJSON_ArrayForEach(x, ms) top = fmax(top, num(x, "value_cumulative", NULL));
  if (top <= 0) top = 1;
  const double H = 200, X0 = 50, W = 52;
  char f[32];
  jb_buf_adds(b, "<svg class=\"chart\" viewBox=\"0 0 700 254\" role=\"img\" aria-label=\"按月合同额\">");
  for (int k = 0; k <= 4; k++) {
    double v = top * k / 4, yy = 10 + H - H * k / 4;
    jb_buf_printf(b, "<line x1=\"%g\" x2=\"690\" y1=\"%.1f\" y2=\"%.1f\" class=\"grid\"/><text x=\"44\" y=\"%.1f\" class=\"ax\" text-anchor=\"end\">%s</text>",
                  X0, yy, yy, yy + 4, fig(f, round(v)));
  }
  int i = 0;
  jb_buf pts = {0};
  cJSON_ArrayForEach(x, ms) {
    double v = num(x, "value", NULL), c = num(x, "value_cumulative", NULL);
    double h = H * v / top, cx = X0 + i * W + 8;
    jb_buf_printf(b, "<rect x=\"%.1f\" y=\"%.1f\" width=\"34\" height=\"%.1f\" class=\"bar\"/>", cx, 10 + H - h, h);
    if (v > 0) jb_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"middle\">%s</text>", cx + 17, 6 + H - h, fig(f, v));
    jb_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"ax\" text-anchor=\"middle\">%d月</text>", cx + 17, H + 28, i + 1);
    jb_buf_printf(&pts, "%.1f,%.1f ", cx + 17, 10 + H - H * c / top);
    i++;
  }
  jb_buf_printf(b, "<polyline points=\"%s\" class=\"cum\"/>", jb_buf_str(&pts));
  jb_buf_free(&pts);
  if (target > 0) {
    double yy = 10 + H - H * target / top;
    jb_buf_printf(b, "<line x1=\"%g\" x2=\"690\" y1=\"%.1f\" y2=\"%.1f\" class=\"goal\"/><text x=\"686\" y=\"%.1f\" class=\"val\" text-anchor=\"end\">全年目标 %s 万元</text>",
                  X0, yy, yy, yy < 24 ? yy + 14 : yy - 4, fig(f, target));
  }
  jb_buf_adds(b, "<text x=\"60\" y=\"246\" class=\"ax\">柱：当月签约合同额（万元）　线：累计</text></svg>\n");
}

/* Contract value by chain, the chains with any contract or engagement. */
static void svg_chains(jb_buf *b, const cJSON *r) {
  const cJSON *x, *cs = cJSON_GetObjectItem(r, "by_chain");
  double top = 0;
  int n = 0;
  cJSON_ArrayForEach(x, cs) if (num(x, "value", NULL) > 0 && n < 14) { top = fmax(top, num(x, "value", NULL)); n++; }
  if (!n) return;
  char f[32];
  jb_buf_printf(b, "<svg class=\"chart\" viewBox=\"0 0 680 %d\" role=\"img\" aria-label=\"按产业链合同额\">", n * 26 + 6);
  int y = 0;
  cJSON_ArrayForEach(x, cs) {
    double v = num(x, "value", NULL);
    if (v <= 0 || y >= n * 26) continue;
    jb_buf_printf(b, "<text x=\"0\" y=\"%d\" class=\"lbl\">", y + 17);
    html_esc(b, str(x, "chain"));
    jb_buf_printf(b, "</text><rect x=\"130\" y=\"%d\" width=\"%.1f\" height=\"18\" class=\"bar\"/><text x=\"%.1f\" y=\"%d\" class=\"val\">%s 万元 · %.0f 份</text>",
                  y + 4, 420 * v / top, 136 + 420 * v / top, y + 17, fig(f, v), num(x, "contracts", NULL));
    y += 26;
  }
  jb_buf_adds(b, "</svg>\n");
}

static const char css[] =
    "@page{size:A4;margin:14mm 14mm 16mm}"
    "body{font-family:'Noto Sans CJK SC','Noto Sans SC','Source Han Sans SC','Microsoft YaHei',sans-serif;"
    "font-size:10.5pt;color:#1a1a1a;max-width:182mm;margin:0 auto;line-height:1.5}"
    "h1{font-size:17pt;margin:0 0 2mm;border-bottom:2px solid #8b1a1a;padding-bottom:2mm}"
    "h2{font-size:12.5pt;margin:6mm 0 2mm;color:#8b1a1a;break-after:avoid}"
    ".meta{color:#555;font-size:9pt;margin-bottom:4mm}"
    "table{border-collapse:collapse;width:100%;font-size:9pt;margin:1mm 0 3mm}"
    "th,td{border:1px solid #bbb;padding:1.2mm 2mm;text-align:left;vertical-align:top}"
    "th{background:#f3ecec}td.n,td.k{text-align:right;white-space:nowrap}td.k{text-align:left}tr{break-inside:avoid}"
    ".chart{width:100%;height:auto;display:block;margin:1mm 0 2mm;break-inside:avoid}"
    ".lbl{font-size:12px;fill:#1a1a1a}.val{font-size:11px;fill:#333}.ax{font-size:10px;fill:#555}"
    ".track{fill:#eee}.done{fill:#2e7d32}.mid{fill:#f0a020}.low{fill:#c62828}.bar{fill:#4a6fa5}"
    ".goal{stroke:#8b1a1a;stroke-width:1.5;stroke-dasharray:4 3}.grid{stroke:#ddd;stroke-width:1}"
    ".cum{fill:none;stroke:#8b1a1a;stroke-width:2}"
    ".note{font-size:8.5pt;color:#555}section{break-inside:auto}";

static void td(jb_buf *b, const char *s, int numeric) {
  /* 1: a figure (right, unbroken); 2: a code or date (unbroken) */
  jb_buf_adds(b, numeric == 1 ? "<td class=\"n\">" : numeric == 2 ? "<td class=\"k\">" : "<td>");
  html_esc(b, s);
  jb_buf_adds(b, "</td>");
}

static void html_tables(jb_buf *b, const cJSON *r) {
  const cJSON *x;
  char f1[32], f2[32];
  jb_buf_adds(b, "<h2>按产业链</h2>");
  svg_chains(b, r);
  jb_buf_adds(b, "<table><tr><th>产业链</th><th>需求</th><th>已联系</th><th>已对接</th><th>签约</th><th>合同额（万元）</th></tr>");
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "by_chain")) {
    jb_buf_adds(b, "<tr>");
    td(b, str(x, "chain"), 0);
    static const char *const k[] = {"needs", "contacted", "engaged", "contracts", "value"};
    for (int i = 0; i < 5; i++) td(b, fig(f1, num(x, k[i], NULL)), 1);
    jb_buf_adds(b, "</tr>");
  }
  jb_buf_adds(b, "</table><h2>对接状态</h2><table><tr>");
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "funnel")) jb_buf_printf(b, "<th>%s</th>", state_zh(str(x, "state")));
  jb_buf_adds(b, "</tr><tr>");
  cJSON_ArrayForEach(x, cJSON_GetObjectItem(r, "funnel")) td(b, fig(f1, num(x, "count", NULL)), 1);
  jb_buf_adds(b, "</tr></table>");
  const cJSON *nc = cJSON_GetObjectItem(r, "no_contact"), *list = cJSON_GetObjectItem(nc, "needs");
  jb_buf_printf(b, "<h2>超过 %.0f 天无人联系的需求（%d 项）</h2>", num(nc, "days", NULL), cJSON_GetArraySize(list));
  if (!cJSON_GetArraySize(list)) jb_buf_adds(b, "<p>无。</p>");
  else jb_buf_adds(b, "<table><tr><th>需求</th><th>标题</th><th>企业</th><th>提出日期</th><th>天数</th></tr>");
  cJSON_ArrayForEach(x, list) {
    jb_buf_adds(b, "<tr>");
    td(b, str(x, "id"), 2), td(b, str(x, "title"), 0), td(b, str(x, "org"), 0), td(b, str(x, "created"), 2);
    td(b, fig(f2, num(x, "days", NULL)), 1);
    jb_buf_adds(b, "</tr>");
  }
  if (cJSON_GetArraySize(list)) jb_buf_adds(b, "</table>");
  list = cJSON_GetObjectItem(r, "repeated_declines");
  jb_buf_adds(b, "<h2>多次婉拒的专家</h2>");
  if (!cJSON_GetArraySize(list)) jb_buf_adds(b, "<p>无。</p>");
  else jb_buf_adds(b, "<table><tr><th>专家</th><th>姓名</th><th>次数</th><th>理由</th></tr>");
  cJSON_ArrayForEach(x, list) {
    jb_buf_adds(b, "<tr>");
    td(b, str(x, "expert"), 0), td(b, str(x, "name"), 0), td(b, fig(f1, num(x, "count", NULL)), 1), td(b, str(x, "reasons"), 0);
    jb_buf_adds(b, "</tr>");
  }
  if (cJSON_GetArraySize(list)) jb_buf_adds(b, "</table>");
}

static void html(jb_buf *b, const cJSON *r) {
  int year = (int)num(r, "year", NULL);
  jb_buf_printf(b, "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>%d 年科技创新工作完成情况</title>"
                   "<style>%s</style></head><body>\n", year, css);
  jb_buf_printf(b, "<h1>辰溪县 %d 年科技创新工作要点 · 完成情况</h1><div class=\"meta\">截至 %s　数据：需求、专家与对接结果记录；"
                   "目标：", year, str(r, "as_of"));
  /* the file's name, not where it lies on the office machine: this is published */
  const char *tf = str(r, "targets_file"), *slash = strrchr(tf, '/');
  html_esc(b, slash ? slash + 1 : tf);
  jb_buf_adds(b, "</div>\n<h2>目标完成情况</h2>");
  svg_targets(b, r);
  jb_buf_adds(b, "<p class=\"note\">绿色：已完成；橙色：过半；红色：未过半；虚线：目标。“人工填报”的指标不在记录中，由科室在目标文件的 actual 列填写。</p>");
  jb_buf_adds(b, "<h2>技术合同成交额（按签约月份）</h2>");
  svg_months(b, r);
  html_tables(b, r);
  jb_buf_adds(b, "</body></html>\n");
}

jb_status jb_progress_render(const cJSON *r, const char *format, FILE *out, jb_error *err) {
  jb_buf b = {0};
  if (!format || !strcmp(format, "json")) {
    char *s = cJSON_PrintUnformatted(r);
    if (s) jb_buf_printf(&b, "%s\n", s);
    free(s);
  } else if (!strcmp(format, "md")) md(&b, r);
  else if (!strcmp(format, "csv")) csv(&b, r);
  else if (!strcmp(format, "html")) html(&b, r);
  else {
    jb_err_set(err, JB_ERR_USAGE, "unknown format '%s' (md, html, json, csv)", format);
    return JB_ERR_USAGE;
  }
  jb_status rc = JB_OK;
  if (b.oom) rc = JB_ERR_NOMEM;
  else if (b.n && fwrite(b.p, 1, b.n, out) != b.n) rc = JB_ERR_IO;
  if (rc) jb_err_set(err, rc, rc == JB_ERR_IO ? "write error" : "out of memory");
  jb_buf_free(&b);
  return rc;
}
