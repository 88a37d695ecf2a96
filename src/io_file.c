/*
** io_file.c — the one way jiebang writes a file: whole or not at all.
**
** A file is written to a temporary file in the target's own directory (so
** that rename() is atomic: same file system), created exclusively under an
** unpredictable name (O_CREAT|O_EXCL|O_NOFOLLOW: a planted file or symlink
** makes the creation fail, it is never written through), then flushed,
** fsync'ed, renamed over the target and the directory fsync'ed so that the
** rename itself survives a power cut. Until the rename the target is
** untouched; on any error the temporary file is removed. A kill -9 can
** leave the hidden temporary file behind (".NAME.jb-XXXXXXXXXXXXXXXX.tmp"),
** never a half-written target.
**
** A target that exists and is not a regular file (/dev/stdout, /dev/null, a
** pipe) cannot be replaced by rename: it is written directly, as the user
** asked. A symlink to a regular file is followed and its destination
** replaced, as fopen() would.
**
** Temporary files still open are listed so that a signal handler can remove
** them (jb_outfile_abort_all): Ctrl-C leaves nothing behind.
*/
#define _GNU_SOURCE /* getentropy, O_NOFOLLOW, O_DIRECTORY, realpath */
#include "jb_int.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

struct jb_outfile {
  FILE *f;
  char *path;       /* the target as it will be named (symlinks resolved) */
  char *tmp;        /* the temporary file, or NULL when writing directly */
  int slot;         /* index in open_tmps, or -1 */
};

/* Temporary paths a signal handler may have to remove. A fixed array of
** atomic pointers: the handler can read it without a lock. Writers beyond
** the array still work; they are just not cleaned up on a signal. */
#define JB_OUTFILE_SLOTS 32
static _Atomic(char *) open_tmps[JB_OUTFILE_SLOTS];

static int slot_take(char *tmp) {
  for (int i = 0; i < JB_OUTFILE_SLOTS; i++) {
    char *expect = NULL;
    if (atomic_compare_exchange_strong(&open_tmps[i], &expect, tmp)) return i;
  }
  return -1;
}

static void slot_give(int i) {
  if (i >= 0) atomic_store(&open_tmps[i], NULL);
}

void jb_outfile_abort_all(void) {
  /* async-signal-safe: atomic loads and unlink() only */
  for (int i = 0; i < JB_OUTFILE_SLOTS; i++) {
    char *p = atomic_load(&open_tmps[i]);
    if (p) unlink(p);
  }
}

static jb_status fail_errno(jb_error *err, const char *path, const char *doing) {
  int e = errno;
  jb_err_set(err, e == ENOMEM ? JB_ERR_NOMEM : JB_ERR_IO, "%s: %s: %s", path, doing, strerror(e));
  return e == ENOMEM ? JB_ERR_NOMEM : JB_ERR_IO;
}

/* The directory part of path ("." for a bare name), caller frees. */
static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return jb_strdup(".");
  if (slash == path) return jb_strdup("/");
  return jb_strndup(path, (size_t)(slash - path));
}

/* Resolves a symlinked target to its destination; other paths unchanged. */
static char *resolve_target(const char *path) {
  struct stat ls;
  if (lstat(path, &ls) == 0 && S_ISLNK(ls.st_mode)) {
    char *real = realpath(path, NULL);
    if (real) return real;
  }
  return jb_strdup(path);
}

static jb_status open_tmp(jb_outfile *o, const struct stat *old, jb_error *err) {
  char *dir = dir_of(o->path);
  const char *slash = strrchr(o->path, '/');
  const char *base = slash ? slash + 1 : o->path;
  jb_buf name = {0};
  int fd = -1;
  for (int attempt = 0; attempt < 64 && fd < 0; attempt++) {
    unsigned char rnd[8];
    if (getentropy(rnd, sizeof(rnd)) != 0) {
      uint64_t h = jb_hash64(&name, sizeof(name), (uint64_t)getpid() ^ (uint64_t)(jb_now() * 1e9));
      memcpy(rnd, &h, sizeof(rnd));
    }
    jb_buf_reset(&name);
    jb_buf_printf(&name, "%s%s.%s.jb-", dir, strcmp(dir, "/") ? "/" : "", base);
    for (int i = 0; i < 8; i++) jb_buf_printf(&name, "%02x", rnd[i]);
    jb_buf_adds(&name, ".tmp");
    if (name.oom) break;
    /* 0666 minus the umask, as fopen() would create the target */
    fd = open(name.p, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  free(dir);
  if (fd < 0) {
    jb_status rc = name.oom ? JB_ERR_NOMEM : fail_errno(err, o->path, "cannot create a temporary file beside it");
    if (name.oom) jb_err_set(err, rc, "out of memory");
    jb_buf_free(&name);
    return rc;
  }
  /* replacing a file keeps its permissions, as writing into it would */
  if (old && fchmod(fd, old->st_mode & 07777) != 0) { /* not fatal: the umask's mode stays */ }
  o->tmp = name.p; /* ownership moves from the buffer */
  o->slot = slot_take(o->tmp);
  o->f = fdopen(fd, "wb");
  if (!o->f) {
    jb_status rc = fail_errno(err, o->tmp, "cannot open");
    close(fd);
    return rc;
  }
  return JB_OK;
}

jb_status jb_outfile_open(const char *path, jb_outfile **ppOut, jb_error *err) {
  *ppOut = NULL;
  if (!path || !*path) {
    jb_err_set(err, JB_ERR_USAGE, "an output file needs a name");
    return JB_ERR_USAGE;
  }
  jb_outfile *o = calloc(1, sizeof(*o));
  if (!o || !(o->path = resolve_target(path))) {
    free(o);
    jb_err_set(err, JB_ERR_NOMEM, "out of memory");
    return JB_ERR_NOMEM;
  }
  o->slot = -1;
  struct stat st;
  int exists = stat(o->path, &st) == 0;
  jb_status rc = JB_OK;
  if (exists && S_ISDIR(st.st_mode)) {
    errno = EISDIR;
    rc = fail_errno(err, path, "cannot write");
  } else if (exists && !S_ISREG(st.st_mode)) {
    /* a device or a pipe: no rename possible, write straight to it */
    if (!(o->f = fopen(o->path, "wb"))) rc = fail_errno(err, path, "cannot open");
  } else if (exists && access(o->path, W_OK) != 0) {
    /* rename() would replace a read-only file the user could not write */
    rc = fail_errno(err, path, "cannot write");
  } else {
    rc = open_tmp(o, exists ? &st : NULL, err);
  }
  if (rc) {
    jb_outfile_abort(o);
    return rc;
  }
  *ppOut = o;
  return JB_OK;
}

FILE *jb_outfile_stream(jb_outfile *o) { return o ? o->f : NULL; }

static void outfile_free(jb_outfile *o) {
  slot_give(o->slot);
  free(o->tmp);
  free(o->path);
  free(o);
}

void jb_outfile_abort(jb_outfile *o) {
  if (!o) return;
  if (o->f) fclose(o->f);
  if (o->tmp) unlink(o->tmp);
  outfile_free(o);
}

/* fsync of the directory makes the rename durable; file systems that cannot
** fsync a directory (EINVAL) give no stronger guarantee to ask for. */
static int sync_dir(const char *path) {
  char *dir = dir_of(path);
  int fd = dir ? open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  free(dir);
  if (fd < 0) return -1;
  int rc = fsync(fd);
  if (rc != 0 && (errno == EINVAL || errno == EROFS)) rc = 0;
  close(fd);
  return rc;
}

jb_status jb_outfile_commit(jb_outfile *o, jb_error *err) {
  if (!o) return JB_OK;
  jb_status rc = JB_OK;
  FILE *f = o->f;
  o->f = NULL;
  if (!o->tmp) {
    /* direct write to a device or pipe */
    if (fflush(f) != 0 || ferror(f)) rc = fail_errno(err, o->path, "write error");
    if (fclose(f) != 0 && !rc) rc = fail_errno(err, o->path, "write error");
    outfile_free(o);
    return rc;
  }
  if (fflush(f) != 0 || ferror(f)) rc = fail_errno(err, o->path, "write error");
  else if (fsync(fileno(f)) != 0) rc = fail_errno(err, o->path, "cannot sync to disk");
  if (fclose(f) != 0 && !rc) rc = fail_errno(err, o->path, "write error");
  if (!rc && rename(o->tmp, o->path) != 0) rc = fail_errno(err, o->path, "cannot replace");
  if (rc) {
    unlink(o->tmp);
  } else {
    slot_give(o->slot); /* renamed: nothing left to clean up */
    o->slot = -1;
    if (sync_dir(o->path) != 0) rc = fail_errno(err, o->path, "written, but its directory cannot be synced");
  }
  outfile_free(o);
  return rc;
}

jb_status jb_outfile_write(const char *path, const void *p, size_t n, jb_error *err) {
  jb_outfile *o = NULL;
  jb_status rc = jb_outfile_open(path, &o, err);
  if (rc) return rc;
  if (n && fwrite(p, 1, n, o->f) != n) {
    rc = fail_errno(err, path, "write error");
    jb_outfile_abort(o);
    return rc;
  }
  return jb_outfile_commit(o, err);
}

/* ------------------------------------------------------------ input files */

FILE *jb_input_open(const char *path, jb_error *err) {
  if (!path || !*path) {
    jb_err_set(err, JB_ERR_USAGE, "an input file needs a name");
    return NULL;
  }
  if (!strcmp(path, "-")) return stdin;
  FILE *f = fopen(path, "rb");
  if (!f) {
    fail_errno(err, path, "cannot open");
    return NULL;
  }
  /* fopen() opens a directory, and every read then fails: it would read as
  ** an empty file (a --forbid list dropped without a word) */
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
    fclose(f);
    errno = EISDIR;
    fail_errno(err, path, "cannot read");
    return NULL;
  }
  return f;
}

jb_status jb_input_close(FILE *f, const char *path, jb_error *err) {
  if (!f) return JB_OK;
  int bad = ferror(f);
  int e = errno;
  if (f != stdin) fclose(f);
  if (!bad) return JB_OK;
  errno = e ? e : EIO;
  return fail_errno(err, path, "read error (the input is incomplete)");
}
