/*
** cmd_set.c — jiebang set KIND ID field=value ... [--dry-run]
**
** The same validation and patch as import (jb_set builds a one-row table
** and imports it): one path for every change to a record.
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Runs jb_set with `keys` (already "name=value") then the user's fields; the
** shared tail of set and outcome. */
int cli_set_run(cli_ctx *c, const char *kind, char **keys, int nkeys, char **fields, int nfields,
                jb_import_opts *o) {
  int n = nkeys + nfields;
  const char **all = calloc((size_t)n + 1, sizeof(char *));
  if (!all) return EXIT_FAILURE_;
  for (int i = 0; i < nkeys; i++) all[i] = keys[i];
  for (int i = 0; i < nfields; i++) all[nkeys + i] = fields[i];
  jb_db *db = NULL;
  int code = cli_open(c, CLI_OPEN_WRITE, &db);
  if (code) {
    free(all);
    return code;
  }
  if (o->dry_run && !(o->changes = cJSON_CreateArray())) code = EXIT_FAILURE_;
  jb_import_stats st = {0};
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = code ? JB_ERR_NOMEM : jb_set(db, kind, all, n, o, &st, &err);
  jb_db_close(db);
  free(all);
  if (o->dry_run) cli_print_changes(o->changes);
  cJSON_Delete(o->changes);
  if (rc) return cli_fail(&err, rc);
  cli_print_stats(&st, o->dry_run);
  return 0;
}

int cmd_set(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_SET);
  static const struct option lo[] = {{"dry-run", no_argument, 0, 'n'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  jb_import_opts o = {0};
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "+nh", lo, NULL)) != -1) {
    switch (ch) {
    case 'n': o.dry_run = 1; break;
    case 'h': printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); return 0;
    default: return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
    }
  }
  if (argc - optind < 3) return cli_usage(usage, "give a type, an id and at least one field=value");
  const char *kind = argv[optind];
  int rel = !strcmp(kind, "conflict") || !strcmp(kind, "collaboration");
  int nk = rel ? 2 : 1;
  if (argc - optind < 1 + nk + 1) return cli_usage(usage, "give the record's key and at least one field=value");
  char *keys[2] = {NULL, NULL};
  int code = 0;
  for (int i = 0; i < nk && !code; i++) {
    const char *name = rel ? (i ? "org" : "expert") : "id";
    if (strchr(argv[optind + 1 + i], '=')) code = cli_usage(usage, "'%s': expected the record's %s", argv[optind + 1 + i], name);
    else if ((keys[i] = malloc(strlen(name) + strlen(argv[optind + 1 + i]) + 2)))
      sprintf(keys[i], "%s=%s", name, argv[optind + 1 + i]);
  }
  if (!code) code = cli_set_run(c, kind, keys, nk, argv + optind + 1 + nk, argc - optind - 1 - nk, &o);
  free(keys[0]);
  free(keys[1]);
  return code;
}
