/*
** cmd_undo.c — jiebang undo CHANGE
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int cmd_undo(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_UNDO);
  if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage);
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
  fputs("jiebang: ", stderr);
  fprintf(stderr, jb_msg(JB_MSG_UNDO_DONE), id, (int)cJSON_GetObjectItem(r, "records")->valuedouble);
  if (cJSON_IsNumber(chg)) fprintf(stderr, jb_msg(JB_MSG_UNDO_AS), (int)chg->valuedouble);
  fputc('\n', stderr);
  cJSON_Delete(r);
  return 0;
}
