/*
** cli.h — shared pieces of the jiebang command-line tool. The tool uses only
** the engine's public header, jiebang.h.
*/
#ifndef JB_CLI_H
#define JB_CLI_H

#include "jiebang.h"

/* Exit codes, one meaning each (documented in README). */
enum {
  EXIT_OK_ = 0,
  EXIT_FAILURE_ = 1,   /* generic failure, e.g. write error on stdout */
  EXIT_USAGE = 2,      /* bad command line */
  EXIT_DATA = 3,       /* bad input data: parse errors, invalid records */
  EXIT_NOTFOUND = 4,   /* the named record does not exist */
  EXIT_DB = 5,         /* database or I/O failure, busy, corrupt */
  EXIT_LIMIT = 6,      /* a limit was exceeded */
  EXIT_INTERRUPTED = 130 /* stopped by SIGINT/SIGTERM (the shell's 128+2) */
};

typedef struct cli_ctx {
  const char *db_path;     /* --db, JIEBANG_DB, or ./jiebang.db */
  const char *lexicon_dir; /* --lexicon or NULL */
  const char *user;        /* --user, $JIEBANG_USER, else the OS user: recorded with changes */
  char *command;           /* the command line, recorded with changes */
  const char *db_from;     /* where db_path came from: "--db", "JIEBANG_DB" or NULL (default) */
  int no_lexicon;          /* --no-lexicon: run without the domain lexicon */
  const char *prog;
} cli_ctx;

typedef struct cli_cmd {
  const char *name;
  int (*fn)(cli_ctx *c, int argc, char **argv);
  jb_msg_id summary; /* what it does, from the catalogue */
} cli_cmd;

int cmd_import(cli_ctx *c, int argc, char **argv);
int cmd_export(cli_ctx *c, int argc, char **argv);
int cmd_search(cli_ctx *c, int argc, char **argv);
int cmd_get(cli_ctx *c, int argc, char **argv);
int cmd_stats(cli_ctx *c, int argc, char **argv);
int cmd_serve(cli_ctx *c, int argc, char **argv);
int cmd_reindex(cli_ctx *c, int argc, char **argv);
int cmd_integrity(cli_ctx *c, int argc, char **argv);
int cmd_match(cli_ctx *c, int argc, char **argv);
int cmd_batch(cli_ctx *c, int argc, char **argv);
int cmd_demands(cli_ctx *c, int argc, char **argv);
int cmd_check(cli_ctx *c, int argc, char **argv);
int cmd_assign(cli_ctx *c, int argc, char **argv);
int cmd_set(cli_ctx *c, int argc, char **argv);
int cmd_outcome(cli_ctx *c, int argc, char **argv);
int cmd_history(cli_ctx *c, int argc, char **argv);
int cmd_revert(cli_ctx *c, int argc, char **argv);
int cmd_undo(cli_ctx *c, int argc, char **argv);
int cmd_delete(cli_ctx *c, int argc, char **argv);
int cmd_changes(cli_ctx *c, int argc, char **argv);
int cmd_report(cli_ctx *c, int argc, char **argv);
int cmd_learn(cli_ctx *c, int argc, char **argv);
int cmd_template(cli_ctx *c, int argc, char **argv);
int cmd_publish(cli_ctx *c, int argc, char **argv);
int cmd_web(cli_ctx *c, int argc, char **argv);
int cmd_user(cli_ctx *c, int argc, char **argv);
int cmd_attach(cli_ctx *c, int argc, char **argv);

/* Prints what changed, record by record ([{"kind","key","op","changes"}]),
** as "KIND KEY: op" and "  field: old → new" lines on stdout. */
int cli_print_changes(const cJSON *changes);
/* Prints one record's field differences, indented. */
void cli_print_diff(const cJSON *diff, const char *kind, const char *indent);
/* insert, update, delete (a change's op) as a person reads them. */
const char *cli_op_label(const char *op);
/* Prints an import's (or set's) counts and its change set to stderr. */
void cli_print_stats(const jb_import_stats *st, int dry_run);
/* Stores one record from its key fields ("name=value") and the user's
** field=value arguments through jb_set: the shared tail of set and outcome. */
int cli_set_run(cli_ctx *c, const char *kind, char **keys, int nkeys, char **fields, int nfields,
                jb_import_opts *o);
/* The OS user's name (never NULL). */
const char *cli_os_user(void);
/* argv joined by spaces (caller frees), recorded as the change's command. */
char *cli_join_args(int argc, char **argv);
/* Opens the database named by the context; prints the error and returns an
** exit code on failure, 0 on success. Only CLI_OPEN_CREATE may create a new
** database file: a command that reads says where it looked instead. A
** command that may write records its user and command line with the changes. */
#define CLI_OPEN_WRITE 0
#define CLI_OPEN_READONLY 1
#define CLI_OPEN_CREATE 2
int cli_open(cli_ctx *c, int mode, jb_db **ppDb);
/* Prints "jiebang: message" to stderr and returns the exit code for rc. */
int cli_fail(const jb_error *err, jb_status rc);
int cli_exit_code(jb_status rc);
/* Prints "jiebang: " and a catalogue format with its arguments, and a
** newline, to stderr. */
void cli_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Columns s takes on a terminal: 2 for a wide (CJK, full-width) character,
** 1 for any other; for aligning Chinese labels. */
int cli_text_width(const char *s);
/* 1 (after printing the usage to stdout) when the only argument is --help
** or -h: for commands without options of their own. */
int cli_help_asked(int argc, char **argv, const char *usage);
/* Prints a usage error and returns EXIT_USAGE. */
int cli_usage(const char *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes a JSON value and a newline to stdout; returns 0 or an exit code. */
int cli_print_json(const cJSON *o, int pretty);
/* Flushes stdout and reports a write error (a full disk, a closed pipe). */
int cli_finish(int code);
/* Handles --set NAME=VALUE (ch 'S') and --weights FILE (ch 'W') into w. */
int cli_weight_option(cJSON *w, int ch, const char *arg);
/* fmt (one %ld) formatted with n, in a static buffer (four in rotation). */
const char *cli_count(const char *fmt, long n) __attribute__((format(printf, 1, 0)));
/* jb_import_opts.on_file for the CLI: one line on stderr per attached file
** (ctx: an int, nonzero = only files whose text could not be used). */
void cli_file_report(void *ctx, const jb_file_report *r);
/* Progress on stderr: on a terminal, one line rewritten in place; otherwise
** (a log, a pipe) a line every few seconds. `what` is a catalogue format
** taking done and total (%ld %ld). */
void cli_progress(const char *what, long done, long total);
/* 1 (after saying so) when stdout is a terminal: binary output (xlsx) needs
** -o FILE or a redirection. */
int cli_binary_to_tty(void);
/* Ends a progress line left open on a terminal. */
void cli_progress_end(void);
/* --progress: lines every second even on a terminal's behalf in a log. */
void cli_progress_always(void);
/* Parses a positive int option value; returns -1 when invalid. */
int cli_parse_int(const char *s, int lo, int hi);

/* A whole small input file ("-" = stdin), NUL-terminated (caller frees);
** a directory, a read error or more than `max` bytes print an error and
** return NULL with the exit code in *code. */
char *cli_read_file(const char *path, size_t max, int *code);

/* Makes stdout and stderr neutralise terminal controls and bidi overrides
** (jb_text_safe_fwrite) in everything written to them, and removes
** unfinished output files on SIGINT, SIGTERM and SIGHUP. Called once by
** main before any output. */
void cli_stdio_init(void);

/* Where a command's result goes: `-o FILE` through the engine's atomic
** writer (whole or not at all), else stdout. Text is neutralised either way;
** `raw` (CLI_OUT_RAW) passes bytes unchanged, for binary formats (xlsx) and
** legacy encodings, which must never be altered. */
#define CLI_OUT_RAW 1
typedef struct cli_out {
  FILE *f;             /* write here */
  jb_outfile *file;    /* NULL for stdout */
  FILE *filter;        /* the neutralising stream over file, or NULL */
  const char *path;
} cli_out;
/* Opens the output (path NULL or "-" = stdout); prints the error and
** returns an exit code on failure, 0 on success. */
int cli_out_open(cli_out *o, const char *path, int flags);
/* Finishes the output after the command wrote it with result `rc` (err
** says why when not JB_OK). A write error is reported once as "NAME: write
** error: reason" with exit 1, the same for every command; with rc, err is
** reported; either way a file is dropped and its target left as it was.
** Otherwise the file is committed. Returns the command's exit code. */
int cli_out_close(cli_out *o, jb_status rc, const jb_error *err);

#endif
