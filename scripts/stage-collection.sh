#!/usr/bin/env bash
# Places the collection under .build/collections/ansible_collections/clustersec/mysql.
#   copy: a copy of the files git tracks plus untracked, non-ignored ones (what ansible-test sees)
#   link: a symlink to the checkout, for molecule/unit runs that should see edits live
set -euo pipefail
# shellcheck source=scripts/lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
mode="${1:-copy}"
case "${mode}" in
  copy)
    dest="${BUILD_DIR}/collections/ansible_collections/clustersec/mysql"
    rm -rf "${dest}"; mkdir -p "${dest}"
    (cd "${ROOT_DIR}" && git ls-files -co --exclude-standard -z | rsync -a --from0 --files-from=- ./ "${dest}/")
    # ansible-test wants a git-less tree or a clean one; a fresh repo makes it list exactly these files.
    (cd "${dest}" && git init -q && git add -A && git -c user.email=ci@invalid -c user.name=ci commit -qm staged >/dev/null)
    echo "${dest}";;
  link)
    dest="${BUILD_DIR}/link/ansible_collections/clustersec"
    mkdir -p "${dest}"; ln -sfn "${ROOT_DIR}" "${dest}/mysql"
    echo "${BUILD_DIR}/link";;
  *) die "usage: $0 copy|link";;
esac
