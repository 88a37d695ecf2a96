/*
** cmd_stats.c — jiebang stats
*/
#include "cli.h"
#include <stdio.h>
#include <string.h>

int cmd_stats(cli_ctx *c, int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--json"))
    return cli_usage("jiebang stats [--json]", "unexpected argument '%s'", argv[1]);
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_READONLY, &db);
  if (code) return code;
  cJSON *out = NULL;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_db_stats(db, &out, &err);
  jb_db_close(db);
  if (rc) return cli_fail(&err, rc);
  code = cli_print_json(out, argc == 1);
  cJSON_Delete(out);
  return code;
}
