/*
** cmd_history.c — jiebang history KIND KEY... [--json] [--retention DAYS]
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *str(const cJSON *o, const char *k) {
  const cJSON *j = cJSON_GetObjectItem(o, k);
  return cJSON_IsString(j) ? j->valuestring : "";
}

static void print_text(const cJSON *h) {
  printf("%s ", jb_value_label(str(h, "kind")));
  for (const char *p = str(h, "key"); *p; p++) putchar(*p == '\t' ? ' ' : *p);
  putchar('\n');
  const cJSON *v;
  cJSON_ArrayForEach(v, cJSON_GetObjectItem(h, "versions")) {
    const cJSON *ch = cJSON_GetObjectItem(v, "change");
    printf("v%d", (int)cJSON_GetObjectItem(v, "version")->valuedouble);
    if (ch) printf(jb_msg(JB_MSG_HIST_VERSION_CHANGE), (int)ch->valuedouble, str(v, "at"), str(v, "user"), str(v, "command"));
    if (*str(v, "sha256")) printf(jb_msg(JB_MSG_HIST_INPUT), str(v, "input"), str(v, "sha256"));
    printf("  [%s]\n", cli_op_label(str(v, "op")));
    const cJSON *rec = cJSON_GetObjectItem(v, "record");
    if (cJSON_IsNull(rec)) printf("%s", jb_msg(JB_MSG_HIST_ABSENT));
    else if (!strcmp(str(v, "op"), "insert") || !ch) printf(jb_msg(JB_MSG_HIST_FIELDS), cJSON_GetArraySize(rec) - 1);
    else cli_print_diff(cJSON_GetObjectItem(v, "diff"), str(h, "kind"), "  ");
  }
  const cJSON *ret = cJSON_GetObjectItem(h, "retention");
  if (*str(ret, "pruned_before"))
    printf(jb_msg(JB_MSG_HIST_PRUNED), str(ret, "pruned_before"),
           (int)cJSON_GetObjectItem(ret, "days")->valuedouble);
}

int cmd_history(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_HISTORY);
  static const struct option lo[] = {{"json", no_argument, 0, 'j'}, {"retention", required_argument, 0, 'r'},
                                     {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int json = 0, ch, days = -1;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "jr:h", lo, NULL)) != -1) {
    switch (ch) {
    case 'j': json = 1; break;
    case 'r':
      if ((days = cli_parse_int(optarg, 0, 100000)) < 0) return cli_usage(usage, "--retention: days, 0..100000");
      break;
    case 'h': printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); return 0;
    default: return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  jb_db *db = NULL;
  jb_error err;
  jb_error_clear(&err);
  if (days >= 0) {
    int code = cli_open(c, CLI_OPEN_WRITE, &db);
    if (code) return code;
    jb_status rc = jb_history_retention(db, days, &err);
    jb_db_close(db);
    if (rc) return cli_fail(&err, rc);
    if (days) cli_say(jb_msg(JB_MSG_HIST_KEPT_DAYS), days);
    else cli_say("%s", jb_msg(JB_MSG_HIST_KEPT_FOREVER));
    return 0;
  }
  if (argc - optind < 2) return cli_usage(usage, "%s", jb_msg(JB_MSG_HIST_NEED_KEY));
  int code = cli_open(c, CLI_OPEN_READONLY, &db);
  if (code) return code;
  char *key = jb_history_key(db, argv[optind], (const char *const *)argv + optind + 1, argc - optind - 1, &err);
  cJSON *h = NULL;
  jb_status rc = key ? jb_history(db, argv[optind], key, &h, &err) : (err.code ? err.code : JB_ERR_USAGE);
  jb_db_close(db);
  free(key);
  if (rc) return cli_fail(&err, rc);
  if (json) code = cli_print_json(h, 0);
  else print_text(h);
  cJSON_Delete(h);
  return code;
}
