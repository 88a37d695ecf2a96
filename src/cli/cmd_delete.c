/*
** cmd_delete.c — jiebang delete KIND KEY...
*/
#include "cli.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "jiebang delete KIND KEY...\n"
    "  Deletes a record, reversibly (jiebang undo CHANGE, or revert). Refuses while other\n"
    "  records refer to it. KEY: an id; EXPERT ORG for a relation; NEED CANDIDATE for an outcome.";

int cmd_delete(cli_ctx *c, int argc, char **argv) {
  if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
    printf("usage: %s\n", usage);
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
  fprintf(stderr, "jiebang: deleted as change %d (undo: jiebang undo %d)\n", chg, chg);
  cJSON_Delete(r);
  return 0;
}
