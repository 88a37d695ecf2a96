#!/usr/bin/env bash
# Installs what jiebang needs to build and test, from Debian's packages, and
# only what is missing (so a machine that has them needs no network).
#   build-essential, cmake, pkg-config  the C toolchain and build
#   libsqlite3-dev   SQLite with FTS5: storage, transactions, full-text index
#   libstemmer-dev   Snowball stemmers: English stemming (printing -> print)
#   libcjson-dev     JSON Lines import/export and the JSON protocol
#   libfriso-dev friso-dict  Chinese words (segmenter + its dictionary) for the terms,
#                    highlights and reasons a person reads, and word boundaries in scoring
#   libzip-dev       opens .xlsx/.docx packages (zip), with size and ratio bounds
#   libexpat1-dev    parses the XML inside them as a stream (no DOCTYPE, no entities)
#   libxlsxwriter-dev  writes .xlsx: proposals, demand lists, templates with drop-downs
#   libpoppler-glib-dev  the text of attached PDFs (poppler, through its C/glib API)
#   python3-docx     tests only: makes the .docx fixtures (tests/fixtures/attach/make.sh)
#   libreoffice-calc-nogui  tests only: makes .xlsx the way a real spreadsheet program does
#   python3-openpyxl  tests only: checks the drop-downs of the .xlsx files written
#   poppler-utils    tests only: pdfinfo/pdftotext measure the printed demand list (pages, fill)
#   zlib1g-dev       CRC-32 of the match index file's sections (damage is detected)
#   python3          runs ../shared/eval/score.py in the quality benchmark, the web security tests
#   libmicrohttpd-dev  GNU libmicrohttpd: the HTTP server of `jiebang web`
#   libargon2-dev    Argon2id password hashing for the workbench's accounts
#   chromium, nodejs, npm, fonts-noto-cjk  the workbench's browser tests (headless
#                    chromium driven by puppeteer-core from npm, pinned in
#                    tests/web/package-lock.json; CJK fonts for the screenshots)
set -euo pipefail
pkgs="build-essential cmake pkg-config libsqlite3-dev libstemmer-dev libcjson-dev libfriso-dev friso-dict
      zlib1g-dev libzip-dev libexpat1-dev
      libxlsxwriter-dev libreoffice-calc-nogui python3-openpyxl libmicrohttpd-dev libargon2-dev chromium
      fonts-noto-cjk libpoppler-glib-dev python3-docx poppler-utils"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
command -v python3 >/dev/null || missing="$missing python3"
# node and npm by command: a NodeSource nodejs (which carries its own npm)
# conflicts with Debian's npm package
command -v node >/dev/null || missing="$missing nodejs"
command -v npm >/dev/null || missing="$missing npm"
if [ -n "$missing" ]; then
  echo "installing:$missing" >&2
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >&2
fi
# puppeteer-core for the browser tests, at the version the lock file pins
here=$(cd "$(dirname "$0")/.." && pwd)
if [ ! -d "$here/tests/web/node_modules/puppeteer-core" ]; then
  echo "installing puppeteer-core into tests/web/node_modules" >&2
  (cd "$here/tests/web" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi
