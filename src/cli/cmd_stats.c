/*
** cmd_stats.c — jiebang stats: counts, index and lexicon state as text for a
** person (labels from the catalogue), or the JSON object with --json.
*/
#include "cli.h"
#include <stdio.h>
#include <string.h>

/* jb_db_stats' keys (stable, English) as a person reads them; a key not
** here is printed as it is. */
static const char *label(const char *key) {
  static const struct {
    const char *key;
    jb_msg_id msg;
  } t[] = {{"database", JB_MSG_STATS_DATABASE}, {"orgs", JB_MSG_STATS_ORGS},
           {"needs", JB_MSG_STATS_NEEDS}, {"open_needs", JB_MSG_STATS_OPEN_NEEDS},
           {"expired_needs", JB_MSG_STATS_EXPIRED_NEEDS}, {"experts", JB_MSG_STATS_EXPERTS},
           {"evidence", JB_MSG_STATS_EVIDENCE}, {"achievements", JB_MSG_STATS_ACHIEVEMENTS},
           {"conflicts", JB_MSG_STATS_CONFLICTS}, {"collaborations", JB_MSG_STATS_COLLABORATIONS},
           {"search_documents", JB_MSG_STATS_SEARCH_DOCUMENTS}, {"attachments", JB_MSG_STATS_ATTACHMENTS},
           {"attachments_unusable", JB_MSG_STATS_ATTACHMENTS_UNUSABLE}, {"generation", JB_MSG_STATS_GENERATION},
           {"fulltext_index", JB_MSG_STATS_FULLTEXT_INDEX}, {"tokenizer", JB_MSG_STATS_TOKENIZER},
           {"stale", JB_MSG_STATS_STALE}, {"lexicon", JB_MSG_STATS_LEXICON}, {"dir", JB_MSG_STATS_DIR},
           {"entries", JB_MSG_STATS_ENTRIES}, {"chains", JB_MSG_STATS_CHAINS}, {"hash", JB_MSG_STATS_HASH},
           {"outcomes", JB_MSG_STATS_OUTCOMES}, {"changes", JB_MSG_STATS_CHANGES}};
  for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
    if (!strcmp(key, t[i].key)) return jb_msg(t[i].msg);
  return key;
}

/* One "label  value" line per member; an object's members indented below
** its label. */
static void print_text(const cJSON *o, int indent) {
  const cJSON *e;
  cJSON_ArrayForEach(e, o) {
    const char *l = label(e->string);
    int pad = 24 - indent - cli_text_width(l);
    printf("%*s%s", indent, "", l);
    if (cJSON_IsObject(e)) {
      printf("\n");
      print_text(e, indent + 2);
      continue;
    }
    printf("%*s ", pad > 0 ? pad : 0, "");
    if (cJSON_IsString(e)) printf("%s\n", e->valuestring);
    else if (cJSON_IsBool(e)) printf("%s\n", jb_msg(cJSON_IsTrue(e) ? JB_MSG_YES : JB_MSG_NO));
    else if (cJSON_IsNumber(e)) printf("%.15g\n", e->valuedouble);
    else printf("\n");
  }
}

int cmd_stats(cli_ctx *c, int argc, char **argv) {
  int json = argc == 2 && !strcmp(argv[1], "--json");
  if (cli_help_asked(argc, argv, jb_msg(JB_MSG_USAGE_STATS))) return 0;
  if (argc > 1 && !json) return cli_usage(jb_msg(JB_MSG_USAGE_STATS), jb_msg(JB_MSG_CLI_UNEXPECTED_ARG), argv[1]);
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_READONLY, &db);
  if (code) return code;
  cJSON *out = NULL;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_db_stats(db, &out, &err);
  jb_db_close(db);
  if (rc) return cli_fail(&err, rc);
  if (json) code = cli_print_json(out, 0);
  else print_text(out, 0);
  cJSON_Delete(out);
  return code;
}
