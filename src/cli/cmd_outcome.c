/*
** cmd_outcome.c — jiebang outcome NEED CANDIDATE STATE [field=value ...]
**
** Records how a pairing went, through the same path as import (an outcome
** record, patched onto the pairing's stored one).
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* The candidate's type: --type, else the kind of record the id names. */
static const char *candidate_type(cli_ctx *c, const char *id, const char *given) {
  if (given) return given;
  static const char *const types[] = {"expert", "achievement", "org"};
  jb_db *db = NULL;
  if (cli_open(c, CLI_OPEN_READONLY, &db)) return NULL;
  const char *found = NULL;
  for (int i = 0; i < 3 && !found; i++) {
    cJSON *o = NULL;
    jb_error err;
    if (jb_db_get(db, types[i], id, 0, &o, &err) == JB_OK) found = types[i];
    cJSON_Delete(o);
  }
  jb_db_close(db);
  if (!found) cli_say(jb_msg(JB_MSG_OUTCOME_NO_CANDIDATE), id);
  return found;
}

int cmd_outcome(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_OUTCOME);
  static const struct option lo[] = {{"type", required_argument, 0, 't'}, {"force", no_argument, 0, 'f'},
                                     {"dry-run", no_argument, 0, 'n'}, {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  jb_import_opts o = {0};
  const char *type = NULL;
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "t:fnh", lo, NULL)) != -1) {
    switch (ch) {
    case 't': type = optarg; break;
    case 'f': o.force = 1; break;
    case 'n': o.dry_run = 1; break;
    case 'h': printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); return 0;
    default: return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  if (argc - optind < 3) return cli_usage(usage, "give a need, a candidate and a state");
  if (type && strcmp(type, "expert") && strcmp(type, "achievement") && strcmp(type, "org"))
    return cli_usage(usage, "--type: expert, achievement or org");
  const char *ctype = candidate_type(c, argv[optind + 1], type);
  if (!ctype) return EXIT_NOTFOUND;
  char *keys[3];
  const char *vals[3] = {argv[optind], argv[optind + 1], argv[optind + 2]};
  const char *names[3] = {"need", ctype, "state"};
  for (int i = 0; i < 3; i++) {
    keys[i] = malloc(strlen(names[i]) + strlen(vals[i]) + 2);
    if (keys[i]) sprintf(keys[i], "%s=%s", names[i], vals[i]);
  }
  int code = keys[0] && keys[1] && keys[2]
                 ? cli_set_run(c, "outcome", keys, 3, argv + optind + 3, argc - optind - 3, &o)
                 : EXIT_FAILURE_;
  for (int i = 0; i < 3; i++) free(keys[i]);
  return code;
}
