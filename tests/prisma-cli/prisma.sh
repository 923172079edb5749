#!/usr/bin/env bash
# Runs the real Prisma CLI installed here (`npm ci` in this folder) against the project in the
# current folder: prisma.sh migrate deploy | migrate status | migrate reset --force | migrate diff …
# The tests set it as a project's migrate-command / reset-command. See README.md here.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
export CHECKPOINT_DISABLE=1
export NODE_OPTIONS="--require $HERE/unref-lock-timer.js ${NODE_OPTIONS:-}"
exec "$HERE/node_modules/.bin/prisma" --config "$HERE/prisma.config.ts" "$@"
