#!/usr/bin/env bash
# Creates .venv from the pinned development requirement files (requirements-dev.txt,
# requirements-constraints.txt; requirements.txt is the collection's own runtime need); re-runs only when they change.
set -euo pipefail
# shellcheck source=scripts/lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
PY="${PYTHON:-python3}"
command -v "${PY}" >/dev/null || die "python3 not found: install python3 and python3-venv."
stamp="${VENV}/.requirements.sha256"
want=$(cat "${ROOT_DIR}/requirements-dev.txt" "${ROOT_DIR}/requirements-constraints.txt" | sha256sum | cut -d' ' -f1)
if [ -f "${stamp}" ] && [ "$(cat "${stamp}")" = "${want}" ]; then
  exit 0
fi
"${PY}" -m venv "${VENV}" || die "could not create ${VENV}: install python3-venv."
"${VENV}/bin/pip" install -q --upgrade pip 2>&1 | grep -v 'is ignored' || true
"${VENV}/bin/pip" install -q -r "${ROOT_DIR}/requirements-dev.txt" -c "${ROOT_DIR}/requirements-constraints.txt" 2>&1 | grep -v 'is ignored' || true
"${VENV}/bin/python" -c 'import ansible, molecule, testinfra, cryptography' || die "venv install failed (is PyPI reachable?)"
echo "${want}" > "${stamp}"
info "venv ready: $("${VENV}/bin/ansible" --version | sed -n 1p)"
