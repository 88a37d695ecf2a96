/*
** cmd_export.c — jiebang export [--no-contacts] [--with-history] [-o FILE]
*/
#include "cli.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "jiebang export [--no-contacts] [--with-history] [-o FILE]\n"
    "  Writes every record, contact details included, as JSON Lines that re-import to the\n"
    "  same state: a backup. --no-contacts writes a sharing copy, marked as such on its\n"
    "  first line, which import refuses (it would erase the stored contacts).\n"
    "  --with-history adds every change set and earlier version (importing the file into a new\n"
    "  database restores them too). -o FILE is written whole or not at all.";

int cmd_export(cli_ctx *c, int argc, char **argv) {
  static const struct option lo[] = {{"with-contacts", no_argument, 0, 'c'}, /* the default; kept for scripts */
                                     {"no-contacts", no_argument, 0, 'n'},
                                     {"with-history", no_argument, 0, 'H'},
                                     {"output", required_argument, 0, 'o'},
                                     {"help", no_argument, 0, 'h'},
                                     {0, 0, 0, 0}};
  int flags = JB_EXPORT_WITH_CONTACTS, ch;
  const char *outpath = NULL;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "cnHo:h", lo, NULL)) != -1) {
    switch (ch) {
    case 'c': flags |= JB_EXPORT_WITH_CONTACTS; break;
    case 'n': flags |= JB_EXPORT_SHARING; break;
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
  cli_out out;
  if ((code = cli_out_open(&out, outpath, 0))) {
    jb_db_close(db);
    return code;
  }
  jb_error err;
  jb_error_clear(&err);
  jb_status rc = jb_export(db, out.f, flags, &err);
  jb_db_close(db);
  /* a failed export leaves the old backup file as it was */
  return cli_out_close(&out, rc, &err);
}
