/*
** msg.c — the message catalogue (include/jiebang_msgs.def) as two tables,
** and the process's language.
*/
#include "jb_int.h"
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const msgs_zh[JB_MSG_COUNT + 1] = {
#define JB_MSG(id, zh, en) [JB_MSG_##id] = zh,
#include "jiebang_msgs.def"
#undef JB_MSG
};

static const char *const msgs_en[JB_MSG_COUNT + 1] = {
#define JB_MSG(id, zh, en) [JB_MSG_##id] = en,
#include "jiebang_msgs.def"
#undef JB_MSG
};

/* -1 until set or first read; batch threads read it, hence atomic. */
static atomic_int current_lang = -1;

jb_status jb_lang_parse(const char *s, jb_lang *lang) {
  if (!s) return JB_ERR_USAGE;
  /* the language part of a locale name: "zh_CN.UTF-8" -> "zh" */
  size_t n = strcspn(s, "_-.@");
  if ((n == 2 && !strncasecmp(s, "zh", 2)) || (n == 2 && !strncasecmp(s, "cn", 2)) ||
      !strcasecmp(s, "chinese") || !strcmp(s, "中文")) {
    *lang = JB_LANG_ZH;
    return JB_OK;
  }
  if ((n == 2 && !strncasecmp(s, "en", 2)) || !strcasecmp(s, "english")) {
    *lang = JB_LANG_EN;
    return JB_OK;
  }
  return JB_ERR_USAGE;
}

void jb_lang_set(jb_lang lang) {
  atomic_store(&current_lang, lang == JB_LANG_EN ? JB_LANG_EN : JB_LANG_ZH);
}

jb_lang jb_lang_get(void) {
  int l = atomic_load(&current_lang);
  if (l >= 0) return (jb_lang)l;
  /* An unreadable JIEBANG_LANG falls back to Chinese here; the CLI reports
  ** it at start, where the user sees it. */
  jb_lang env = JB_LANG_ZH;
  const char *e = getenv("JIEBANG_LANG");
  if (e && *e && jb_lang_parse(e, &env)) env = JB_LANG_ZH;
  int expected = -1;
  atomic_compare_exchange_strong(&current_lang, &expected, (int)env);
  return (jb_lang)atomic_load(&current_lang);
}

const char *jb_msg_in(jb_msg_id id, jb_lang lang) {
  if ((int)id < 0 || id >= JB_MSG_COUNT) return "";
  const char *s = lang == JB_LANG_EN ? msgs_en[id] : msgs_zh[id];
  return s ? s : "";
}

const char *jb_msg(jb_msg_id id) { return jb_msg_in(id, jb_lang_get()); }
