/*
** cmd_export.c — jiebang export [--with-contacts] [-o FILE]
*/
#include "cli.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "jiebang export [--with-contacts] [--with-history] [-o FILE]\n"
    "  Writes every record as JSON Lines that re-import to the same state.\n"
    "  --with-history adds every change set and earlier version (importing the file into a new\n"
    "  database restores them too).\n"
    "  Contact details are left out unless --with-contacts (use it for backups).";

int cmd_export(cli_ctx *c, int argc, char **argv) {
  static const struct option lo[] = {{"with-contacts", no_argument, 0, 'c'},
                                     {"with-history", no_argument, 0, 'H'},
                                     {"output", required_argument, 0, 'o'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  int flags = 0, ch;
  const char *outpath = NULL;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "cHo:h", lo, NULL)) != -1) {
    switch (ch) {
    case 'c': flags |= JB_EXPORT_WITH_CONTACTS; break;
    case 'H': flags |= JB_EXPORT_WITH_HISTORY; break;
    case 'o': outpath = optarg; break;
    case 'h': printf("usage: %s\n", usage); return 0;
    default: return cli_usage(usage, NULL);
    }
  }
  if (optind != argc) return cli_usage(usage, "unexpected argument '%s'", argv[optind]);
  jb_db *db = NULL;
  int code = cli_open(c, 1, &db);
  if (code) return code;
  FILE *out = stdout;
  if (outpath && !(out = fopen(outpath, "w"))) {
    fprintf(stderr, "jiebang: %s: %s\n", outpath, strerror(errno));
    jb_db_close(db);
    return EXIT_DB;
  }
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_export(db, out, flags, &err);
  jb_db_close(db);
  if (out != stdout && fclose(out) != 0 && !rc) {
    fprintf(stderr, "jiebang: %s: %s\n", outpath, strerror(errno));
    return EXIT_DB;
  }
  return rc ? cli_fail(&err, rc) : 0;
}
