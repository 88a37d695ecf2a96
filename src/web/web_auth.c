/*
** web_auth.c — sessions, CSRF tokens and login throttling of the workbench.
**
** Sessions live in this process's memory: a restart logs everyone out,
** which is acceptable for an office tool and keeps tokens off the disk. The
** tables are fixed-size, so no client can make them grow: when full, the
** oldest entry gives way.
*/
#include "web.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#define MAX_SESSIONS 1024 /* a county bureau has tens of staff; room for many devices each */
#define MAX_THROTTLE 4096 /* names and addresses with recent failures */

static web_session sessions[MAX_SESSIONS];
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int idle_s = 30 * 60, absolute_s = 12 * 3600;

void web_auth_init(int idle_seconds, int absolute_seconds) {
  if (idle_seconds > 0) idle_s = idle_seconds;
  if (absolute_seconds > 0) absolute_s = absolute_seconds;
}

static int random_hex(char out[WEB_TOKEN_HEX + 1]) {
  unsigned char b[WEB_TOKEN_HEX / 2];
  if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) return -1;
  for (size_t i = 0; i < sizeof(b); i++) snprintf(out + 2 * i, 3, "%02x", b[i]);
  return 0;
}

int web_token_equal(const char *a, const char *b) {
  size_t na = strlen(a), nb = strlen(b);
  unsigned char d = na != nb;
  for (size_t i = 0; i < na && i < nb; i++) d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}

static int expired(const web_session *s, time_t now) {
  return !s->token[0] || now - s->seen > idle_s || now - s->created > absolute_s;
}

int web_session_new(const char *user, int role, web_session *out) {
  web_session s;
  memset(&s, 0, sizeof(s));
  if (random_hex(s.token) || random_hex(s.csrf)) return -1;
  snprintf(s.user, sizeof(s.user), "%s", user);
  s.role = role;
  s.created = s.seen = time(NULL);
  pthread_mutex_lock(&mu);
  int slot = 0;
  for (int i = 0; i < MAX_SESSIONS; i++) {
    if (expired(&sessions[i], s.created)) {
      slot = i;
      break;
    }
    if (sessions[i].seen < sessions[slot].seen) slot = i; /* least recently used */
  }
  sessions[slot] = s;
  pthread_mutex_unlock(&mu);
  *out = s;
  return 0;
}

int web_session_get(const char *token, web_session *out) {
  if (!token || strlen(token) != WEB_TOKEN_HEX) return 0;
  time_t now = time(NULL);
  int found = 0;
  pthread_mutex_lock(&mu);
  for (int i = 0; i < MAX_SESSIONS; i++) {
    web_session *s = &sessions[i];
    if (!s->token[0] || !web_token_equal(s->token, token)) continue;
    if (expired(s, now)) {
      memset(s, 0, sizeof(*s));
    } else {
      s->seen = now;
      *out = *s;
      found = 1;
    }
    break;
  }
  pthread_mutex_unlock(&mu);
  return found;
}

void web_session_end(const char *token) {
  if (!token) return;
  pthread_mutex_lock(&mu);
  for (int i = 0; i < MAX_SESSIONS; i++)
    if (sessions[i].token[0] && web_token_equal(sessions[i].token, token)) memset(&sessions[i], 0, sizeof(sessions[i]));
  pthread_mutex_unlock(&mu);
}

void web_session_end_user(const char *user) {
  pthread_mutex_lock(&mu);
  for (int i = 0; i < MAX_SESSIONS; i++)
    if (sessions[i].token[0] && !strcmp(sessions[i].user, user)) memset(&sessions[i], 0, sizeof(sessions[i]));
  pthread_mutex_unlock(&mu);
}

/* ------------------------------------------------------------ throttling */

/* After FREE_FAILS failures within WINDOW_S, each further attempt waits
** BASE_WAIT_S doubled per failure, up to MAX_WAIT_S. An address gets more
** failures than a name (a whole office may sit behind one address). */
#define WINDOW_S (15 * 60)
#define NAME_FREE_FAILS 5
#define ADDR_FREE_FAILS 20
#define BASE_WAIT_S 30
#define MAX_WAIT_S (15 * 60)

typedef struct failure {
  char key[96]; /* "u:NAME" or "a:ADDRESS" */
  int fails;
  time_t last;
} failure;

static failure fails[MAX_THROTTLE];

static failure *find(const char *key, int create, time_t now) {
  int empty = -1, oldest = 0;
  for (int i = 0; i < MAX_THROTTLE; i++) {
    if (fails[i].key[0] && !strcmp(fails[i].key, key)) {
      if (now - fails[i].last > WINDOW_S) fails[i].fails = 0;
      return &fails[i];
    }
    if (!fails[i].key[0] && empty < 0) empty = i;
    if (fails[i].last < fails[oldest].last) oldest = i;
  }
  if (!create) return NULL;
  int slot = empty >= 0 ? empty : oldest;
  memset(&fails[slot], 0, sizeof(fails[slot]));
  snprintf(fails[slot].key, sizeof(fails[slot].key), "%s", key);
  return &fails[slot];
}

static int wait_for(const failure *f, int free_fails, time_t now) {
  if (!f || f->fails < free_fails) return 0;
  int shift = f->fails - free_fails;
  long wait = shift > 5 ? MAX_WAIT_S : (long)BASE_WAIT_S << shift;
  if (wait > MAX_WAIT_S) wait = MAX_WAIT_S;
  long left = (long)(f->last + wait - now);
  return left > 0 ? (int)left : 0;
}

int web_throttle_wait(const char *user, const char *addr) {
  char ku[96], ka[96];
  snprintf(ku, sizeof(ku), "u:%s", user);
  snprintf(ka, sizeof(ka), "a:%s", addr);
  time_t now = time(NULL);
  pthread_mutex_lock(&mu);
  int a = wait_for(find(ku, 0, now), NAME_FREE_FAILS, now);
  int b = wait_for(find(ka, 0, now), ADDR_FREE_FAILS, now);
  pthread_mutex_unlock(&mu);
  return a > b ? a : b;
}

void web_throttle_result(const char *user, const char *addr, int ok) {
  char ku[96], ka[96];
  snprintf(ku, sizeof(ku), "u:%s", user);
  snprintf(ka, sizeof(ka), "a:%s", addr);
  time_t now = time(NULL);
  pthread_mutex_lock(&mu);
  if (ok) {
    /* the account's count starts again; the address keeps its record so
    ** that one good password does not reset guessing at other names */
    failure *f = find(ku, 0, now);
    if (f) memset(f, 0, sizeof(*f));
  } else {
    failure *f = find(ku, 1, now);
    f->fails++;
    f->last = now;
    f = find(ka, 1, now);
    f->fails++;
    f->last = now;
  }
  pthread_mutex_unlock(&mu);
}
