# shellcheck shell=bash
# Shared helpers for the project's scripts: messages that say what is missing and how to fix it.
die() { printf 'ERROR: %s\n' "$*" >&2; exit 2; }
info() { printf '==> %s\n' "$*"; }
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${ROOT_DIR}/.build"
VENV="${ROOT_DIR}/.venv"
export ROOT_DIR BUILD_DIR VENV
