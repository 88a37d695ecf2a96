/*
** test_msg.c — the message catalogue: both languages of every message take
** the same printf conversions, none is empty, and the language switch works.
*/
#include "test.h"
#include "jiebang.h"
#include <ctype.h>

/* The conversions of a format, e.g. "%s%ld%zu", ignoring %% and flags. */
static void conversions(const char *f, char *out, size_t cap) {
  size_t n = 0;
  out[0] = 0;
  for (const char *p = f; *p; p++) {
    if (*p != '%') continue;
    p++;
    if (*p == '%') continue;
    while (*p && strchr("-+ #0123456789.*", *p)) p++;
    char spec[8];
    size_t k = 0;
    while (*p && strchr("hlzjtL", *p) && k < 4) spec[k++] = *p++;
    if (*p) spec[k++] = *p;
    spec[k] = 0;
    if (n + k + 2 < cap) {
      out[n++] = '%';
      memcpy(out + n, spec, k + 1);
      n += k;
    }
    if (!*p) break;
  }
}

TEST(same_conversions) {
  for (int i = 0; i < JB_MSG_COUNT; i++) {
    const char *zh = jb_msg_in((jb_msg_id)i, JB_LANG_ZH), *en = jb_msg_in((jb_msg_id)i, JB_LANG_EN);
    CHECK(*zh && *en, "message %d is empty", i);
    char a[128], b[128];
    conversions(zh, a, sizeof(a));
    conversions(en, b, sizeof(b));
    CHECK(!strcmp(a, b), "message %d: zh \"%s\" takes %s, en \"%s\" takes %s", i, zh, a, en, b);
  }
}

TEST(language_switch) {
  jb_lang l = JB_LANG_EN;
  CHECK(jb_lang_parse("zh_CN.UTF-8", &l) == JB_OK && l == JB_LANG_ZH, "zh_CN.UTF-8");
  CHECK(jb_lang_parse("en", &l) == JB_OK && l == JB_LANG_EN, "en");
  CHECK(jb_lang_parse("EN_us", &l) == JB_OK && l == JB_LANG_EN, "EN_us");
  CHECK(jb_lang_parse("fr", &l) == JB_ERR_USAGE, "fr refused");
  CHECK(jb_lang_parse("zhx", &l) == JB_ERR_USAGE, "zhx refused");
  jb_lang_set(JB_LANG_ZH);
  CHECK(!strcmp(jb_status_str(JB_ERR_NOTFOUND), "未找到"), "zh status text: %s", jb_status_str(JB_ERR_NOTFOUND));
  CHECK(!strcmp(jb_status_name(JB_ERR_NOTFOUND), "not_found"), "codes stay English");
  jb_lang_set(JB_LANG_EN);
  CHECK(!strcmp(jb_status_str(JB_ERR_NOTFOUND), "not found"), "en status text: %s", jb_status_str(JB_ERR_NOTFOUND));
  CHECK(!strcmp(jb_msg((jb_msg_id)-1), ""), "out of range id gives empty text");
}

int main(void) {
  RUN(same_conversions);
  RUN(language_switch);
  return test_report();
}
