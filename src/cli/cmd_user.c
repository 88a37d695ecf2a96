/*
** cmd_user.c — jiebang user add|passwd|disable|list: the workbench's
** accounts. A password is read from the terminal (twice, without echo) or
** from one line of stdin, never from the command line, where other users
** of the machine could see it in the process list.
*/
#include "cli.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>


/* One line from f without its end; 0, or -1 at end of input or when too long. */
static int read_secret(FILE *f, char *buf, size_t n) {
  if (!fgets(buf, (int)n, f)) return -1;
  size_t l = strlen(buf);
  if (l && buf[l - 1] != '\n' && !feof(f)) return -1; /* longer than the buffer */
  while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r')) buf[--l] = 0;
  return 0;
}

static int ask_password(char *pw, size_t n) {
  if (!isatty(STDIN_FILENO)) return read_secret(stdin, pw, n);
  struct termios old, quiet;
  if (tcgetattr(STDIN_FILENO, &old)) return -1;
  quiet = old;
  quiet.c_lflag &= ~(tcflag_t)ECHO;
  char again[512];
  fputs("password: ", stderr);
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
  int rc = read_secret(stdin, pw, n);
  fputs("\nagain: ", stderr);
  if (!rc) rc = read_secret(stdin, again, sizeof(again));
  tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
  fputs("\n", stderr);
  if (!rc && strcmp(pw, again)) {
    fputs("jiebang: the two passwords differ\n", stderr);
    rc = -1;
  }
  memset(again, 0, sizeof(again));
  return rc;
}

int cmd_user(cli_ctx *c, int argc, char **argv) {
  const char *usage = jb_msg(JB_MSG_USAGE_USER);
  static const struct option lo[] = {{"role", required_argument, 0, 'r'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
  const char *role = NULL;
  int ch;
  optind = 1;
  while ((ch = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
    if (ch == 'r') role = optarg;
    else if (ch == 'h') { printf("%s%s\n", jb_msg(JB_MSG_CLI_USAGE), usage); return 0; }
    else return cli_usage(usage, jb_msg(JB_MSG_CLI_BAD_OPTION), argv[optind - 1]);
  }
  int n = argc - optind;
  const char *verb = n > 0 ? argv[optind] : "";
  int list = !strcmp(verb, "list");
  if (!list && strcmp(verb, "add") && strcmp(verb, "passwd") && strcmp(verb, "disable"))
    return cli_usage(usage, "%s", jb_msg(JB_MSG_CLI_USER_VERB));
  if (n != (list ? 1 : 2)) return cli_usage(usage, jb_msg(list ? JB_MSG_CLI_USER_LIST_ARGS : JB_MSG_CLI_USER_ONE_NAME), verb);
  if (!strcmp(verb, "add") && !role) return cli_usage(usage, "%s", jb_msg(JB_MSG_CLI_USER_NEEDS_ROLE));
  if (role && strcmp(verb, "add")) return cli_usage(usage, "%s", jb_msg(JB_MSG_CLI_USER_ROLE_ONLY_ADD));
  if (role && !jb_role_level(role)) return cli_usage(usage, jb_msg(JB_MSG_CLI_USER_BAD_ROLE), role);
  const char *name = list ? NULL : argv[optind + 1];
  char pw[512] = "";
  if ((!strcmp(verb, "add") || !strcmp(verb, "passwd")) && ask_password(pw, sizeof(pw))) {
    fputs("jiebang: no password read (one line on stdin, or typed twice on the terminal)\n", stderr);
    return EXIT_USAGE;
  }
  jb_db *db = NULL;
  /* adding the first user may come before any import: it may create the database */
  int code = cli_open(c, list ? CLI_OPEN_READONLY : !strcmp(verb, "add") ? CLI_OPEN_CREATE : CLI_OPEN_WRITE, &db);
  if (code) return code;
  jb_error err;
  jb_error_clear(&err);
  jb_status rc;
  cJSON *out = NULL;
  if (list) rc = jb_user_list(db, &out, &err);
  else if (!strcmp(verb, "add")) rc = jb_user_add(db, name, role, pw, &err);
  else if (!strcmp(verb, "passwd")) rc = jb_user_passwd(db, name, pw, &err);
  else rc = jb_user_disable(db, name, &err);
  memset(pw, 0, sizeof(pw));
  jb_db_close(db);
  if (rc) return cli_fail(&err, rc);
  if (list) {
    const cJSON *u;
    cJSON_ArrayForEach(u, out) {
      printf("%s\t%s\t%s\n", cJSON_GetObjectItemCaseSensitive(u, "name")->valuestring,
             cJSON_GetObjectItemCaseSensitive(u, "role")->valuestring,
             cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(u, "disabled")) ? "disabled" : "enabled");
    }
    cJSON_Delete(out);
  } else {
    cli_say(jb_msg(!strcmp(verb, "add") ? JB_MSG_CLI_USER_ADDED : !strcmp(verb, "passwd") ? JB_MSG_CLI_USER_PASSWD : JB_MSG_CLI_USER_DISABLED), name);
  }
  return 0;
}
