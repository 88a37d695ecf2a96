/*
** cmd_changes.c — jiebang changes [-n N] [--json]
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>

static const char usage[] = "jiebang changes [-n N] [--json]\n  The latest N change sets (default 20), newest first.";

int cmd_changes(cli_ctx *c, int argc, char **argv) {
  static const struct option lo[] = {{"json", no_argument, 0, 'j'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int json = 0, n = 20, ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "n:jh", lo, NULL)) != -1) {
    switch (ch) {
    case 'n':
      if ((n = cli_parse_int(optarg, 1, 1000000)) < 0) return cli_usage(usage, "-n: a count");
      break;
    case 'j': json = 1; break;
    case 'h': printf("usage: %s\n", usage); return 0;
    default: return cli_usage(usage, NULL);
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
      printf("%-5d %s  %-10s %5d records  %.200s", (int)cJSON_GetObjectItem(x, "id")->valuedouble,
             cJSON_GetObjectItem(x, "at")->valuestring, cJSON_GetObjectItem(x, "user")->valuestring,
             (int)cJSON_GetObjectItem(x, "records")->valuedouble, cJSON_GetObjectItem(x, "command")->valuestring);
      const cJSON *in = cJSON_GetObjectItem(x, "input");
      if (cJSON_IsString(in)) printf("  [file %s]", in->valuestring);
      const cJSON *u = cJSON_GetObjectItem(x, "undone_by");
      if (u) printf("  (undone by %d)", (int)u->valuedouble);
      putchar('\n');
    }
  }
  cJSON_Delete(arr);
  return code;
}
