/*
** web_server.c — the workbench's HTTP server on GNU libmicrohttpd.
**
** Routes:
**   GET  /, /assets/...        the pages, compiled in (web_assets.c)
**   GET  /auth/me              who is logged in, and the CSRF token
**   POST /auth/login, logout   sessions (HttpOnly, SameSite=Strict cookie)
**   POST /api/<op>             the protocol's op, through jb_serve_request()
**   GET  /print/demands        the demand list's printable HTML (the engine's)
**   POST /admin/users, audit   accounts and the audit trail (admins)
**
** Every POST needs the session's CSRF token in X-CSRF-Token and a JSON body;
** a viewer's changing op is refused; bodies and JSON depth are bounded.
** Each connection has its own thread (a slow or half-open client holds only
** its own, and is dropped after CONN_TIMEOUT_S); requests share a pool of
** database connections, one per request at a time.
*/
#include "web.h"
#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BODY (8 << 20)   /* an uploaded CSV/JSONL file: bigger loads go through `jiebang import` */
#define MAX_LOGIN_BODY 4096  /* name and password */
#define MAX_JSON_DEPTH 32    /* the deepest request we make is 4 levels */
#define CONN_TIMEOUT_S 15    /* idle or trickling connections are closed after this */
#define CONN_LIMIT 256       /* threads at most, one per connection */
#define PER_IP_LIMIT 64      /* one address cannot take all of them */
#define POOL_WAIT_S 60       /* a request waits this long for a free database connection */

static const char CSP_PAGES[] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
/* the engine's printable HTML carries its style inline and no script at all */
static const char CSP_PRINT[] = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'";

/* ------------------------------------------------------------ db pool */

static struct {
  jb_db **db;
  int *busy;
  int *warm;               /* has loaded its match index (warm_up) */
  int n;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} pool = {NULL, NULL, NULL, 0, PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

static web_opts opts;

/* A free database connection, waiting up to POOL_WAIT_S. Engine work
** (want_warm) takes only connections that have loaded their match index:
** at 100k items a load is seconds of CPU, and four connections loading at
** once on two cores made the first users wait 20-30 s; the warm-up thread
** loads them one after another, so the first is ready in a quarter of the
** time and serves while the others load. Logins and accounts need no index. */
static int pool_take(int want_warm) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += POOL_WAIT_S;
  pthread_mutex_lock(&pool.mu);
  for (;;) {
    for (int i = 0; i < pool.n; i++)
      if (!pool.busy[i] && (!want_warm || pool.warm[i])) {
        pool.busy[i] = 1;
        pthread_mutex_unlock(&pool.mu);
        return i;
      }
    if (pthread_cond_timedwait(&pool.cv, &pool.mu, &until) == ETIMEDOUT) break;
  }
  pthread_mutex_unlock(&pool.mu);
  return -1;
}

/* Waits for connection i itself (the warm-up visits each one). */
static void pool_take_index(int i) {
  pthread_mutex_lock(&pool.mu);
  while (pool.busy[i]) pthread_cond_wait(&pool.cv, &pool.mu);
  pool.busy[i] = 1;
  pthread_mutex_unlock(&pool.mu);
}

static void pool_give_warm(int i, int warm) {
  pthread_mutex_lock(&pool.mu);
  pool.busy[i] = 0;
  if (warm) pool.warm[i] = 1;
  pthread_cond_broadcast(&pool.cv); /* a warm-up may wait for this very one */
  pthread_mutex_unlock(&pool.mu);
}

static void pool_give(int i) { pool_give_warm(i, 0); }

static void pool_all_warm(void) {
  pthread_mutex_lock(&pool.mu);
  for (int i = 0; i < pool.n; i++) pool.warm[i] = 1;
  pthread_cond_broadcast(&pool.cv);
  pthread_mutex_unlock(&pool.mu);
}

/* ------------------------------------------------------------ responses */

typedef struct request {
  char *body;
  size_t n, cap, limit;
  int too_big;
} request;

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status, const char *mime, const void *p,
                                size_t n, const char *csp, const char *cookie) {
  struct MHD_Response *r = MHD_create_response_from_buffer(n, (void *)p, MHD_RESPMEM_MUST_COPY);
  if (!r) return MHD_NO;
  MHD_add_response_header(r, "Content-Type", mime);
  MHD_add_response_header(r, "Content-Security-Policy", csp ? csp : CSP_PAGES);
  MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(r, "X-Frame-Options", "DENY");
  MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
  MHD_add_response_header(r, "Cache-Control", "no-store");
  if (cookie) MHD_add_response_header(r, "Set-Cookie", cookie);
  enum MHD_Result rc = MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
  return rc;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, const cJSON *j, const char *cookie) {
  char *s = cJSON_PrintUnformatted(j);
  if (!s) return MHD_NO;
  enum MHD_Result rc = send_buf(c, status, "application/json; charset=utf-8", s, strlen(s), NULL, cookie);
  free(s);
  return rc;
}

/* An error the page shows as it is: the message is for a person, in Chinese. */
static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *code, const char *msg) {
  cJSON *j = cJSON_CreateObject();
  cJSON_AddBoolToObject(j, "ok", 0);
  cJSON *e = cJSON_AddObjectToObject(j, "error");
  cJSON_AddStringToObject(e, "code", code);
  cJSON_AddStringToObject(e, "message", msg);
  enum MHD_Result rc = send_json(c, status, j, NULL);
  cJSON_Delete(j);
  return rc;
}

/* ------------------------------------------------------------ requests */

static const char *client_addr(struct MHD_Connection *c, char *buf, size_t n) {
  /* behind the TLS proxy every request comes from it: the proxy names the
  ** client (README's nginx/caddy setup sets X-Real-IP) */
  const char *real = opts.behind_tls ? MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Real-IP") : NULL;
  if (real && *real && strlen(real) < n) {
    snprintf(buf, n, "%s", real);
    return buf;
  }
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  snprintf(buf, n, "?");
  if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET)
    inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, buf, (socklen_t)n);
  else if (ci && ci->client_addr && ci->client_addr->sa_family == AF_INET6)
    inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)ci->client_addr)->sin6_addr, buf, (socklen_t)n);
  return buf;
}

/* Nesting depth of JSON text, strings skipped; stops counting past max. */
static int json_depth(const char *p, size_t n, int max) {
  int d = 0, worst = 0, in_str = 0;
  for (size_t i = 0; i < n && worst <= max; i++) {
    char ch = p[i];
    if (in_str) {
      if (ch == '\\') i++;
      else if (ch == '"') in_str = 0;
    } else if (ch == '"') {
      in_str = 1;
    } else if (ch == '{' || ch == '[') {
      if (++d > worst) worst = d;
    } else if (ch == '}' || ch == ']') {
      d--;
    }
  }
  return worst;
}

/* The request body as a JSON object, or NULL after answering why not. */
static cJSON *body_json(struct MHD_Connection *c, request *rq, enum MHD_Result *sent) {
  const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
  if (!ct || strncmp(ct, "application/json", 16)) {
    *sent = send_error(c, 415, "usage", "请求格式应为 JSON（Content-Type: application/json）");
    return NULL;
  }
  if (rq->too_big) {
    *sent = send_error(c, 413, "limit", "请求过大：上传文件不能超过 8 MB，更大的文件请由管理员用 jiebang import 导入");
    return NULL;
  }
  if (json_depth(rq->body ? rq->body : "", rq->n, MAX_JSON_DEPTH) > MAX_JSON_DEPTH) {
    *sent = send_error(c, 400, "limit", "请求的 JSON 嵌套过深（最多 32 层）");
    return NULL;
  }
  cJSON *j = rq->n ? cJSON_ParseWithLength(rq->body, rq->n) : NULL;
  if (!cJSON_IsObject(j)) {
    cJSON_Delete(j);
    *sent = send_error(c, 400, "parse", "请求不是有效的 JSON 对象");
    return NULL;
  }
  return j;
}

static int session_of(struct MHD_Connection *c, web_session *s) {
  return web_session_get(MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "jb_session"), s);
}

static int csrf_ok(struct MHD_Connection *c, const web_session *s) {
  const char *t = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-CSRF-Token");
  return t && web_token_equal(t, s->csrf);
}

static cJSON *me_json(const web_session *s) {
  static const char *const role_names[] = {"", "viewer", "staff", "admin"};
  cJSON *j = cJSON_CreateObject();
  cJSON_AddBoolToObject(j, "ok", 1);
  cJSON_AddStringToObject(j, "user", s->user);
  cJSON_AddStringToObject(j, "role", role_names[s->role > 0 && s->role < 4 ? s->role : 0]);
  cJSON_AddStringToObject(j, "csrf", s->csrf);
  return j;
}

static enum MHD_Result do_login(struct MHD_Connection *c, request *rq) {
  enum MHD_Result sent = MHD_NO;
  cJSON *b = body_json(c, rq, &sent);
  if (!b) return sent;
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(b, "name");
  const cJSON *pw = cJSON_GetObjectItemCaseSensitive(b, "password");
  if (!cJSON_IsString(name) || !cJSON_IsString(pw) || strlen(name->valuestring) > 64) {
    cJSON_Delete(b);
    return send_error(c, 400, "usage", "请填写用户名和密码");
  }
  char addr[64];
  client_addr(c, addr, sizeof(addr));
  int wait = web_throttle_wait(name->valuestring, addr);
  if (wait > 0) {
    char msg[160];
    snprintf(msg, sizeof(msg), "登录失败次数过多，请 %d 秒后再试", wait);
    cJSON_Delete(b);
    return send_error(c, 429, "throttled", msg);
  }
  int i = pool_take(0);
  if (i < 0) {
    cJSON_Delete(b);
    return send_error(c, 503, "busy", "服务器繁忙，请稍后再试");
  }
  char role[16];
  jb_status rc = jb_user_verify(pool.db[i], name->valuestring, pw->valuestring, role, NULL);
  pool_give(i);
  web_throttle_result(name->valuestring, addr, rc == JB_OK);
  web_session s;
  if (rc || web_session_new(name->valuestring, jb_role_level(role), &s)) {
    cJSON_Delete(b);
    return send_error(c, 401, "auth", "用户名或密码错误，或账号已停用");
  }
  cJSON_Delete(b);
  char cookie[256];
  snprintf(cookie, sizeof(cookie), "jb_session=%s; Path=/; HttpOnly; SameSite=Strict%s", s.token,
           opts.behind_tls ? "; Secure" : "");
  cJSON *j = me_json(&s);
  enum MHD_Result r = send_json(c, 200, j, cookie);
  cJSON_Delete(j);
  return r;
}

/* Who may call an op. Viewers change nothing; staff record needs and
** outcomes one at a time; only admins import files or many records. */
static const char *refused(const web_session *s, const char *op, const cJSON *req) {
  int writes = jb_serve_op_writes(op);
  if (writes <= 0 || s->role >= 3) return NULL;
  if (s->role < 2) return "只读账号（viewer）不能修改数据";
  if (!strcmp(op, "import")) {
    const cJSON *recs = cJSON_GetObjectItemCaseSensitive(req, "records");
    if (!cJSON_IsArray(recs) || cJSON_GetArraySize(recs) > 1) return "只有管理员可以批量导入";
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(recs, 0), "type");
    if (!cJSON_IsString(t) || strcmp(t->valuestring, "need")) return "工作人员只能录入需求；其他记录由管理员导入";
  }
  return NULL;
}

static unsigned status_of(const char *code) {
  static const struct {
    const char *code;
    unsigned status;
  } map[] = {{"usage", 400}, {"parse", 400}, {"invalid", 422}, {"not_found", 404}, {"limit", 413},
             {"busy", 503}, {"stale", 503}};
  for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
    if (!strcmp(code, map[i].code)) return map[i].status;
  return 500;
}

/* What a change touched, for the audit trail: the op's counts and ids. */
static cJSON *audit_detail(const cJSON *req, const cJSON *result) {
  cJSON *d = cJSON_CreateObject();
  static const char *const keep[] = {"read", "inserted", "updated", "unchanged", "invalid", "changes"};
  for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(result, keep[i]);
    if (v) cJSON_AddItemToObject(d, keep[i], cJSON_Duplicate(v, 1));
  }
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(req, "name");
  if (cJSON_IsString(name)) cJSON_AddStringToObject(d, "file", name->valuestring);
  return d;
}

static enum MHD_Result do_api(struct MHD_Connection *c, request *rq, const web_session *s, const char *op) {
  size_t n = strlen(op);
  if (n == 0 || n > 32 || strspn(op, "abcdefghijklmnopqrstuvwxyz_") != n || jb_serve_op_writes(op) < 0)
    return send_error(c, 404, "not_found", "没有这个操作");
  enum MHD_Result sent = MHD_NO;
  cJSON *req = body_json(c, rq, &sent);
  if (!req) return sent;
  const char *why = refused(s, op, req);
  if (why) {
    cJSON_Delete(req);
    return send_error(c, 403, "forbidden", why);
  }
  cJSON_DeleteItemFromObjectCaseSensitive(req, "op");
  cJSON_DeleteItemFromObjectCaseSensitive(req, "id");
  /* enterprises' and experts' phone numbers are for the people who call
  ** them: a viewer reads records without contacts, whatever it asks */
  if (s->role < 2) cJSON_DeleteItemFromObjectCaseSensitive(req, "with_contacts");
  /* the person behind the request is the session's, never the client's say:
  ** ops that keep a history record it with what they change */
  cJSON_DeleteItemFromObjectCaseSensitive(req, "user");
  cJSON_AddStringToObject(req, "user", s->user);
  cJSON_AddStringToObject(req, "op", op);
  /* an outcome names who recorded it ("by"): the session's user, whatever
  ** the page sent; history records the same name with the change */
  if (!strcmp(op, "outcome")) {
    cJSON *fields = cJSON_GetObjectItemCaseSensitive(req, "fields");
    if (!fields) fields = cJSON_AddObjectToObject(req, "fields");
    if (cJSON_IsObject(fields)) {
      cJSON_DeleteItemFromObjectCaseSensitive(fields, "by");
      cJSON_AddStringToObject(fields, "by", s->user);
    }
  }
  int i = pool_take(1);
  if (i < 0) {
    cJSON_Delete(req);
    return send_error(c, 503, "busy", "服务器繁忙，请稍后再试");
  }
  char role[16];
  if (jb_user_role(pool.db[i], s->user, role, NULL)) {
    /* disabled (or removed) since logging in: the session ends now */
    pool_give(i);
    cJSON_Delete(req);
    web_session_end_user(s->user);
    return send_error(c, 401, "auth", "账号已停用或不存在，请重新登录");
  }
  cJSON *resp = jb_serve_request(pool.db[i], req);
  const cJSON *ok = cJSON_GetObjectItemCaseSensitive(resp, "ok");
  if (cJSON_IsTrue(ok) && jb_serve_op_writes(op) > 0 &&
      !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(req, "dry_run"))) {
    cJSON *d = audit_detail(req, cJSON_GetObjectItemCaseSensitive(resp, "result"));
    jb_audit_add(pool.db[i], s->user, op, d, NULL);
    cJSON_Delete(d);
  }
  pool_give(i);
  cJSON_Delete(req);
  if (!resp) return send_error(c, 500, "nomem", "服务器内存不足");
  unsigned status = 200;
  if (!cJSON_IsTrue(ok)) {
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "error"), "code");
    status = status_of(cJSON_IsString(code) ? code->valuestring : "");
  }
  enum MHD_Result r = send_json(c, status, resp, NULL);
  cJSON_Delete(resp);
  return r;
}

static enum MHD_Result do_print_demands(struct MHD_Connection *c) {
  cJSON *req = cJSON_CreateObject();
  cJSON_AddStringToObject(req, "op", "demands");
  cJSON_AddStringToObject(req, "format", "html");
  static const char *const params[] = {"chain", "status", "org", "since"};
  for (size_t k = 0; k < sizeof(params) / sizeof(params[0]); k++) {
    const char *v = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, params[k]);
    if (v && *v) cJSON_AddStringToObject(req, params[k], v);
  }
  int i = pool_take(1);
  if (i < 0) {
    cJSON_Delete(req);
    return send_error(c, 503, "busy", "服务器繁忙，请稍后再试");
  }
  cJSON *resp = jb_serve_request(pool.db[i], req);
  pool_give(i);
  cJSON_Delete(req);
  const cJSON *text = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(resp, "result"), "text");
  enum MHD_Result r;
  if (cJSON_IsString(text))
    r = send_buf(c, 200, "text/html; charset=utf-8", text->valuestring, strlen(text->valuestring), CSP_PRINT, NULL);
  else
    r = send_error(c, 400, "usage", "无法生成需求清单：请检查筛选条件");
  cJSON_Delete(resp);
  return r;
}

/* Accounts from the browser (admins): list, add, passwd, disable. */
static enum MHD_Result do_admin(struct MHD_Connection *c, request *rq, const web_session *s, const char *what) {
  if (s->role < 3) return send_error(c, 403, "forbidden", "只有管理员可以管理用户和查看审计记录");
  enum MHD_Result sent = MHD_NO;
  cJSON *b = body_json(c, rq, &sent);
  if (!b) return sent;
  const cJSON *action = cJSON_GetObjectItemCaseSensitive(b, "action");
  const cJSON *name = cJSON_GetObjectItemCaseSensitive(b, "name");
  const cJSON *role = cJSON_GetObjectItemCaseSensitive(b, "role");
  const cJSON *pw = cJSON_GetObjectItemCaseSensitive(b, "password");
  const char *a = cJSON_IsString(action) ? action->valuestring : "list";
  int i = pool_take(0);
  if (i < 0) {
    cJSON_Delete(b);
    return send_error(c, 503, "busy", "服务器繁忙，请稍后再试");
  }
  jb_db *db = pool.db[i];
  jb_error err;
  jb_error_clear(&err);
  cJSON *out = NULL;
  jb_status rc = JB_OK;
  const char *nm = cJSON_IsString(name) ? name->valuestring : "";
  if (!strcmp(what, "audit")) {
    rc = jb_audit_list(db, 200, &out, &err);
  } else if (!strcmp(a, "list")) {
    rc = jb_user_list(db, &out, &err);
  } else if (!strcmp(a, "add") || !strcmp(a, "passwd") || !strcmp(a, "disable")) {
    const char *p = cJSON_IsString(pw) ? pw->valuestring : "";
    rc = !strcmp(a, "add") ? jb_user_add(db, nm, cJSON_IsString(role) ? role->valuestring : "", p, &err)
         : !strcmp(a, "passwd") ? jb_user_passwd(db, nm, p, &err)
                                : jb_user_disable(db, nm, &err);
    if (!rc) {
      cJSON *d = cJSON_CreateObject();
      cJSON_AddStringToObject(d, "account", nm);
      if (cJSON_IsString(role)) cJSON_AddStringToObject(d, "role", role->valuestring);
      char opname[32];
      snprintf(opname, sizeof(opname), "user %s", a);
      jb_audit_add(db, s->user, opname, d, NULL);
      cJSON_Delete(d);
      if (strcmp(a, "add")) web_session_end_user(nm);
      out = cJSON_CreateObject();
    }
  } else {
    rc = JB_ERR_USAGE;
    snprintf(err.message, sizeof(err.message), "unknown action");
  }
  pool_give(i);
  cJSON_Delete(b);
  if (rc) return send_error(c, status_of(jb_status_name(rc)), jb_status_name(rc), err.message);
  cJSON *j = cJSON_CreateObject();
  cJSON_AddBoolToObject(j, "ok", 1);
  cJSON_AddItemToObject(j, "result", out);
  enum MHD_Result r = send_json(c, 200, j, NULL);
  cJSON_Delete(j);
  return r;
}

static enum MHD_Result send_asset(struct MHD_Connection *c, const char *url) {
  /* the table is the whole file system: a path is found exactly or not at
  ** all; these are refused outright so that the answer is plain */
  if (strstr(url, "..") || strchr(url, '\\') || strchr(url, '%') || strstr(url, "//"))
    return send_error(c, 400, "usage", "非法路径");
  const web_asset *a = web_asset_find(!strcmp(url, "/") ? "/index.html" : url);
  if (!a) return send_error(c, 404, "not_found", "没有这个页面");
  return send_buf(c, 200, a->mime, a->data, a->size, NULL, NULL);
}

static enum MHD_Result route(struct MHD_Connection *c, const char *url, const char *method, request *rq) {
  int get = !strcmp(method, "GET") || !strcmp(method, "HEAD"), post = !strcmp(method, "POST");
  if (!get && !post) return send_error(c, 405, "usage", "不支持的请求方法");
  if (get && (!strcmp(url, "/") || !strncmp(url, "/assets/", 8) || !strcmp(url, "/index.html")))
    return send_asset(c, url);
  if (post && !strcmp(url, "/auth/login")) return do_login(c, rq);
  web_session s;
  if (!session_of(c, &s)) return send_error(c, 401, "auth", "请先登录");
  if (get && !strcmp(url, "/auth/me")) {
    cJSON *j = me_json(&s);
    enum MHD_Result r = send_json(c, 200, j, NULL);
    cJSON_Delete(j);
    return r;
  }
  if (get && !strcmp(url, "/print/demands")) return do_print_demands(c);
  if (get) return send_error(c, 404, "not_found", "没有这个页面");
  if (!csrf_ok(c, &s)) return send_error(c, 403, "csrf", "缺少或错误的 CSRF 令牌：请刷新页面后重试");
  if (!strcmp(url, "/auth/logout")) {
    web_session_end(s.token);
    return send_buf(c, 200, "application/json", "{\"ok\":true}", 11, NULL,
                    "jb_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
  }
  if (!strncmp(url, "/api/", 5)) return do_api(c, rq, &s, url + 5);
  if (!strcmp(url, "/admin/users")) return do_admin(c, rq, &s, "users");
  if (!strcmp(url, "/admin/audit")) return do_admin(c, rq, &s, "audit");
  return send_error(c, 404, "not_found", "没有这个操作");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                              const char *version, const char *upload, size_t *upload_size, void **con_cls) {
  request *rq = *con_cls;
  if (!rq) {
    if (!(rq = calloc(1, sizeof(*rq)))) return MHD_NO;
    rq->limit = !strcmp(url, "/auth/login") ? MAX_LOGIN_BODY : MAX_BODY;
    *con_cls = rq;
    return MHD_YES;
  }
  if (*upload_size) {
    /* a body over the limit is read and dropped, then answered with 413 */
    if (!rq->too_big && rq->n + *upload_size > rq->limit) {
      rq->too_big = 1;
      free(rq->body);
      rq->body = NULL;
      rq->n = rq->cap = 0;
    }
    if (!rq->too_big) {
      if (rq->n + *upload_size + 1 > rq->cap) {
        size_t cap = (rq->n + *upload_size + 1) * 2;
        if (cap > rq->limit + 1) cap = rq->limit + 1;
        char *nb = realloc(rq->body, cap);
        if (!nb) return MHD_NO;
        rq->body = nb;
        rq->cap = cap;
      }
      memcpy(rq->body + rq->n, upload, *upload_size);
      rq->n += *upload_size;
      rq->body[rq->n] = 0;
    }
    *upload_size = 0;
    return MHD_YES;
  }
  return route(c, url, method, rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe) {
  request *rq = *con_cls;
  if (rq) free(rq->body);
  free(rq);
  *con_cls = NULL;
}

/* Each database connection loads (maps and checks) the match index on its
** first match: at 100k items that took 5.6 s. The server answers at once and
** this thread does it for every connection in the background, through the
** same dispatcher, so the first people to open a need page do not wait. */
static void *warm_up(void *arg) {
  cJSON *req = cJSON_Parse("{\"op\":\"match\",\"text\":\"技术需求\",\"k\":1}");
  for (int i = 0; i < pool.n && req; i++) {
    pool_take_index(i);
    cJSON_Delete(jb_serve_request(pool.db[i], req));
    pool_give_warm(i, 1);
  }
  cJSON_Delete(req);
  pool_all_warm(); /* out of memory above: each loads on first use */
  return NULL;
}

static int parse_listen(const char *s, struct sockaddr_in *sa) {
  char host[64];
  const char *colon = strrchr(s, ':');
  if (!colon || colon - s >= (long)sizeof(host)) return -1;
  memcpy(host, s, (size_t)(colon - s));
  host[colon - s] = 0;
  char *end = NULL;
  long port = strtol(colon + 1, &end, 10);
  if (!*(colon + 1) || *end || port < 1 || port > 65535) return -1;
  memset(sa, 0, sizeof(*sa));
  sa->sin_family = AF_INET;
  sa->sin_port = htons((uint16_t)port);
  if (inet_pton(AF_INET, *host ? host : "0.0.0.0", &sa->sin_addr) != 1) return -1;
  return 0;
}

int web_run(const web_opts *o) {
  opts = *o;
  if (!opts.listen) opts.listen = "127.0.0.1:8080";
  struct sockaddr_in sa;
  if (parse_listen(opts.listen, &sa)) {
    fprintf(stderr, "jiebang web: --listen wants ADDRESS:PORT (e.g. 127.0.0.1:8080), got '%s'\n", opts.listen);
    return 2;
  }
  pool.n = opts.threads > 0 ? opts.threads : 4;
  /* Each connection has a thread, and glibc gives threads their own malloc
  ** arenas (up to 8 per core): with 50 sessions the freed memory of big
  ** answers stayed spread over 16 arenas and RSS climbed to 400 MB on the
  ** bundled corpus. Engine work runs at most pool.n at a time, so that many
  ** arenas suffice: measured 175 MB peak, 110 MB after (bench/web_load.py). */
  mallopt(M_ARENA_MAX, pool.n);
  pool.db = calloc((size_t)pool.n, sizeof(jb_db *));
  pool.busy = calloc((size_t)pool.n, sizeof(int));
  pool.warm = calloc((size_t)pool.n, sizeof(int));
  int code = 0;
  for (int i = 0; i < pool.n && !code; i++) {
    jb_open_opts oo = {0};
    oo.lexicon_dir = opts.lexicon_dir;
    /* every connection builds the same index after a write: one writes
    ** its files for other processes (at 100k the supply part is 1 GB) */
    oo.no_index_save = i > 0;
    jb_error err;
    jb_error_clear(&err);
    if (jb_db_open(opts.db_path, &oo, &pool.db[i], &err)) {
      fprintf(stderr, "jiebang web: %s\n", err.message);
      code = 5;
    }
  }
  cJSON *users = NULL;
  if (!code && !jb_user_list(pool.db[0], &users, NULL) && cJSON_GetArraySize(users) == 0)
    fprintf(stderr, "jiebang web: no accounts yet: add one with 'jiebang user add NAME --role admin'\n");
  cJSON_Delete(users);
  web_auth_init(opts.idle_seconds, opts.absolute_seconds);
  /* SIGINT/SIGTERM are taken by sigwait below: block them before the
  ** server's threads start, so that they inherit the mask */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  struct MHD_Daemon *d = NULL;
  if (!code) {
    d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0,
                         NULL, NULL, handle, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
                         MHD_OPTION_NOTIFY_COMPLETED, completed, NULL, MHD_OPTION_CONNECTION_TIMEOUT,
                         (unsigned)CONN_TIMEOUT_S, MHD_OPTION_CONNECTION_LIMIT, (unsigned)CONN_LIMIT,
                         MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)PER_IP_LIMIT, MHD_OPTION_END);
    if (!d) {
      fprintf(stderr, "jiebang web: cannot listen on %s (in use, or not this machine's address?)\n", opts.listen);
      code = 1;
    }
  }
  if (d) {
    fprintf(stderr, "jiebang web: http://%s/ (%d database connections; Ctrl-C stops)\n", opts.listen, pool.n);
    pthread_t warm;
    int warming = !pthread_create(&warm, NULL, warm_up, NULL);
    if (!warming) pool_all_warm(); /* each loads on first use */
    int sig = 0;
    sigwait(&set, &sig);
    fprintf(stderr, "jiebang web: stopping\n");
    MHD_stop_daemon(d);
    if (warming) pthread_join(warm, NULL);
  }
  for (int i = 0; i < pool.n; i++) jb_db_close(pool.db[i]);
  free(pool.db);
  free(pool.busy);
  free(pool.warm);
  return code;
}
