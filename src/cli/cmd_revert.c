/*
** cmd_revert.c — jiebang revert KIND KEY... --to VERSION
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>


int cmd_revert(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_REVERT);
  static const struct option lo[] = {{"to", required_argument, 0, 't'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  int ch, version = -1;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "t:h", lo, NULL)) != -1) {
    switch (ch) {
    case 't':
      if ((version = cli_parse_int(optarg, 1, 1 << 30)) < 0) return cli_usage(usage, "--to: a version number");
      break;
    case 'h': printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); return 0;
    default: return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  if (version < 0) return cli_usage(usage, "--to VERSION is required");
  if (argc - optind < 2) return cli_usage(usage, "give a type and a key");
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_WRITE, &db);
  if (code) return code;
  jb_error err;
  jb_error_clear(&err);
  char *key = jb_history_key(db, argv[optind], (const char *const *)argv + optind + 1, argc - optind - 1, &err);
  cJSON *r = NULL;
  jb_status rc = key ? jb_revert(db, argv[optind], key, version, &r, &err) : (err.code ? err.code : JB_ERR_USAGE);
  jb_db_close(db);
  free(key);
  if (rc) return cli_fail(&err, rc);
  const cJSON *chg = cJSON_GetObjectItem(r, "change");
  if (cJSON_IsNumber(chg))
    cli_say(jb_msg(JB_MSG_REVERT_DONE), version,
            (int)chg->valuedouble, (int)chg->valuedouble);
  else
    cli_say(jb_msg(JB_MSG_REVERT_SAME), version);
  cJSON_Delete(r);
  return 0;
}
