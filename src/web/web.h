/*
** web.h — the staff workbench (`jiebang web`): an HTTP server (GNU
** libmicrohttpd) that serves the pages compiled into the binary and answers
** POST /api/<op> through the protocol's dispatcher, jb_serve_request(), so
** the browser runs the very operations `jiebang serve` runs.
**
**   web_server.c   listening, routing, the API, static files, limits
**   web_auth.c     sessions, CSRF tokens, login throttling
**   web_assets.c   generated at build time from web/ (cmake/embed.cmake)
*/
#ifndef JB_WEB_H
#define JB_WEB_H

#include "jiebang.h"
#include <stddef.h>
#include <time.h>

typedef struct web_opts {
  const char *db_path;
  const char *lexicon_dir;
  const char *listen;      /* "127.0.0.1:8080" (the default) or "0.0.0.0:80" */
  int threads;             /* database connections: requests served at once; 0 = 4 */
  int behind_tls;          /* a TLS reverse proxy in front: Secure cookies, X-Real-IP */
  int idle_seconds;        /* session idle expiry; 0 = 30 minutes */
  int absolute_seconds;    /* session absolute expiry; 0 = 12 hours */
} web_opts;

/* Serves until SIGINT or SIGTERM. Returns 0, or an exit code after printing
** why it could not start. */
int web_run(const web_opts *o);

/* ------------------------------------------------------------ web_assets.c */

typedef struct web_asset {
  const char *path;        /* "/index.html", "/assets/app.js" */
  const char *mime;
  const unsigned char *data;
  size_t size;
} web_asset;

/* The embedded file at exactly `path`, or NULL: no file system is looked at,
** so no path can reach outside the pages. */
const web_asset *web_asset_find(const char *path);

/* -------------------------------------------------------------- web_auth.c */

#define WEB_TOKEN_HEX 64 /* 32 random bytes */

typedef struct web_session {
  char token[WEB_TOKEN_HEX + 1]; /* the cookie */
  char csrf[WEB_TOKEN_HEX + 1];  /* sent back in X-CSRF-Token on every POST */
  char user[65];
  int role;                      /* jb_role_level() */
  time_t created, seen;
} web_session;

void web_auth_init(int idle_seconds, int absolute_seconds);
/* A new session for a user who just logged in; copied to *out. 0 or -1 when
** no random bytes could be had. */
int web_session_new(const char *user, int role, web_session *out);
/* Looks up a cookie's token; refreshes its idle time. 1 and a copy in *out
** when valid and unexpired, else 0. */
int web_session_get(const char *token, web_session *out);
void web_session_end(const char *token);
/* Ends every session of a user (disabled, or a new password). */
void web_session_end_user(const char *user);
/* Equal strings, in time that does not depend on where they differ. */
int web_token_equal(const char *a, const char *b);

/* Login throttling, per account and per address. web_throttle_wait returns
** how many seconds a login for this name from this address must wait (0 =
** go ahead); web_throttle_result records the outcome. */
int web_throttle_wait(const char *user, const char *addr);
void web_throttle_result(const char *user, const char *addr, int ok);

#endif
