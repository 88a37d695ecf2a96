/*
** cmd_delete.c — jiebang delete KIND KEY...
*/
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


int cmd_delete(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_DELETE);
  if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage);
    return 0;
  }
  if (argc < 3) return cli_usage(usage, "give a type and a key");
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_WRITE, &db);
  if (code) return code;
  jb_error err;
  jb_error_clear(&err);
  char *key = jb_history_key(db, argv[1], (const char *const *)argv + 2, argc - 2, &err);
  cJSON *r = NULL;
  jb_status rc = key ? jb_delete(db, argv[1], key, &r, &err) : (err.code ? err.code : JB_ERR_USAGE);
  jb_db_close(db);
  free(key);
  if (rc) return cli_fail(&err, rc);
  int chg = (int)cJSON_GetObjectItem(r, "change")->valuedouble;
  cli_say(jb_msg(JB_MSG_DELETE_DONE), chg, chg);
  cJSON_Delete(r);
  return 0;
}
