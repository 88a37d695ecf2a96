#!/usr/bin/env bash
# web_test.sh JIEBANG [SHOT_DIR] — the workbench end to end: a database of the
# bundled corpus plus hostile records, four accounts, `jiebang web` on a free
# loopback port; then the HTTP security tests (web_security_test.py) and the
# browser tests (tests/web/browser_test.js in Debian's chromium). Screenshots
# go to SHOT_DIR (default build/web-shots) for a person to look at.
set -u
jb=$(realpath "$1")
src=$(cd "$(dirname "$0")/.." && pwd)
shots=${2:-$(dirname "$jb")/web-shots}
tmp=$(mktemp -d)
pid=
pid2=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  [ -n "$pid2" ] && kill "$pid2" 2>/dev/null && wait "$pid2" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
export JIEBANG_DB=$tmp/t.db JIEBANG_LEXICON=$src/corpora/lexicon JB=$jb
"$jb" import -q "$src"/corpora/chenxi/*.jsonl "$src/tests/web/hostile.jsonl" || exit 1
export ADMIN_PW=admin-pass-1 STAFF_PW=staff-pass-1 VIEWER_PW=viewer-pass-1 THROTTLED_PW=throttled-pass-1
echo "$ADMIN_PW" | "$jb" user add admin --role admin 2>/dev/null || exit 1
echo "$STAFF_PW" | "$jb" user add staff1 --role staff 2>/dev/null || exit 1
echo "$STAFF_PW" | "$jb" user add staff2 --role staff 2>/dev/null || exit 1
echo "$VIEWER_PW" | "$jb" user add viewer1 --role viewer 2>/dev/null || exit 1
echo "$THROTTLED_PW" | "$jb" user add throttled1 --role viewer 2>/dev/null || exit 1
# the password never comes from the command line, and short ones are refused
if echo short | "$jb" user add bad --role staff 2>/dev/null; then echo "FAIL: a short password was accepted"; exit 1; fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$jb" web --listen 127.0.0.1:"$port" 2>"$tmp/web.log" &
pid=$!
# a second server on the same database with sessions that expire in seconds
# (2 idle, 6 absolute), for the expiry and per-address throttling tests:
# the address it throttles is throttled on it alone
port2=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
JIEBANG_WEB_IDLE_SECONDS=2 JIEBANG_WEB_ABSOLUTE_SECONDS=6 "$jb" web --listen 127.0.0.1:"$port2" --threads 1 \
  2>"$tmp/web2.log" &
pid2=$!
# how long until it answers (README: "well under a second")
python3 - "$port" <<'PY' || { cat "$tmp/web.log"; exit 1; }
import socket, sys, time
t0 = time.time()
while time.time() - t0 < 20:
    try:
        socket.create_connection(("127.0.0.1", int(sys.argv[1]))).close()
        print("web: listening after %.3f s" % (time.time() - t0))
        sys.exit(0)
    except OSError:
        time.sleep(0.01)
sys.exit(1)
PY
fail=0
python3 "$src/tests/web_security_test.py" "http://127.0.0.1:$port" || fail=1
python3 "$src/tests/web_session_test.py" "http://127.0.0.1:$port2" 2 6 || { fail=1; cat "$tmp/web2.log"; }
if [ -d "$src/tests/web/node_modules/puppeteer-core" ] && [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
  # NODE_PATH: the test file is run from the source tree, its modules beside it
  (cd "$src/tests/web" && IMPORT_FILE=$src/tests/web/needs.csv node browser_test.js "http://127.0.0.1:$port" "$shots") || fail=1
  echo "screenshots: $shots"
else
  echo "FAIL: browser tests need chromium and tests/web/node_modules (scripts/install-deps.sh installs both)"
  fail=1
fi
kill "$pid"; wait "$pid"; rc=$?
pid=
# a clean stop (SIGTERM) exits 0: under ASan this is where leaks would show
[ "$rc" = 0 ] || { echo "FAIL: jiebang web exited $rc on SIGTERM"; cat "$tmp/web.log"; fail=1; }
exit $fail
