/*
** cmd_changes.c — jiebang changes [-n N] [--json]
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>


int cmd_changes(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_CHANGES);
  static const struct option lo[] = {{"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int json = 0, n = 20, ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "n:jh", lo, NULL)) != -1) {
    switch (ch) {
    case 'n':
      if ((n = cli_parse_int(optarg, 1, 1000000)) < 0) return cli_usage(usage, "-n: a count");
      break;
    case 'j': json = 1; break;
    case 'h': printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); return 0;
    default: return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_READONLY, &db);
  if (code) return code;
  jb_error err;
  jb_error_clear(&err);
  cJSON *arr = NULL;
  jb_status rc = jb_changes(db, n, &arr, &err);
  jb_db_close(db);
  if (rc) return cli_fail(&err, rc);
  if (json) code = cli_print_json(arr, 0);
  else {
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) {
      printf(jb_msg(JB_MSG_CHANGES_ROW), (int)cJSON_GetObjectItem(x, "id")->valuedouble,
             cJSON_GetObjectItem(x, "at")->valuestring, cJSON_GetObjectItem(x, "user")->valuestring,
             (int)cJSON_GetObjectItem(x, "records")->valuedouble, cJSON_GetObjectItem(x, "command")->valuestring);
      const cJSON *in = cJSON_GetObjectItem(x, "input");
      if (cJSON_IsString(in)) printf(jb_msg(JB_MSG_CHANGES_FILE), in->valuestring);
      const cJSON *u = cJSON_GetObjectItem(x, "undone_by");
      if (u) printf(jb_msg(JB_MSG_CHANGES_UNDONE_BY), (int)u->valuedouble);
      putchar('\n');
    }
  }
  cJSON_Delete(arr);
  return code;
}
