/*
** cmd_undo.c — jiebang undo CHANGE
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "jiebang undo CHANGE\n"
    "  Reverses a whole change set (an import file, a set, an outcome, a delete ...) as a new\n"
    "  change set; `jiebang changes` lists them. Refuses when a record was changed again later.";

int cmd_undo(cli_ctx *c, int argc, char **argv) {
  if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: %s\n", usage);
    return 0;
  }
  if (argc != 2) return cli_usage(usage, "give one change id");
  int id = cli_parse_int(argv[1], 1, 2147483647);
  if (id < 0) return cli_usage(usage, "'%s' is not a change id", argv[1]);
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_WRITE, &db);
  if (code) return code;
  jb_error err;
  jb_error_clear(&err);
  cJSON *r = NULL;
  jb_status rc = jb_undo(db, id, &r, &err);
  jb_db_close(db);
  if (rc) return cli_fail(&err, rc);
  const cJSON *chg = cJSON_GetObjectItem(r, "change");
  fprintf(stderr, "jiebang: change %d undone (%d records)", id, (int)cJSON_GetObjectItem(r, "records")->valuedouble);
  if (cJSON_IsNumber(chg)) fprintf(stderr, " as change %d", (int)chg->valuedouble);
  fputc('\n', stderr);
  cJSON_Delete(r);
  return 0;
}
