#!/usr/bin/env bash
# ansible-test sanity on a staged copy of the collection (it must live under ansible_collections/NS/NAME).
set -euo pipefail
# shellcheck source=scripts/lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
# the pip version ansible-test bootstraps into its sanity venvs
pip_ver=$(grep -hoE "pip='[0-9.]+'" "${VENV}"/lib/python3*/site-packages/ansible_test/_internal/python_requirements.py | head -1 | cut -d"'" -f2 || true)
if [ -n "${pip_ver}" ]; then
  cache=~/.ansible/test/cache/get_pip_${pip_ver//./_}.py
  [ -f "${cache}" ] || { mkdir -p "$(dirname "${cache}")"; cp "${ROOT_DIR}/scripts/ansible-test-get-pip.py" "${cache}"; }
fi
dest=$("${ROOT_DIR}/scripts/stage-collection.sh" copy)
cd "${dest}"
exec "${VENV}/bin/ansible-test" sanity --python 3.11 --venv --color no "$@"
