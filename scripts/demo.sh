#!/usr/bin/env bash
# make demo: three MariaDB Galera nodes in systemd containers on a podman network of their own,
# converged by playbooks/site.yml through inventories/demo/hosts.yml, then a report.
# make demo-clean: removes exactly the containers, network and files this script made.
set -euo pipefail
# shellcheck source=scripts/lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
NET=clustersec-demo
SUBNET=10.213.8.0/24
NODES=(demo-node1 demo-node2 demo-node3)
LABEL=io.clustersec.demo=1
export PATH="${VENV}/bin:${PATH}" ANSIBLE_COLLECTIONS_PATH="${BUILD_DIR}/link"

clean() {
  for n in "${NODES[@]}"; do
    if podman container exists "$n"; then
      [ "$(podman inspect -f '{{index .Config.Labels "io.clustersec.demo"}}' "$n")" = 1 ] \
        || die "container $n exists but was not made by the demo; not touching it"
      podman rm -f -t 5 "$n" >/dev/null
    fi
  done
  if podman network exists "${NET}"; then podman network rm "${NET}" >/dev/null; fi
  rm -rf "${BUILD_DIR}/demo-pki" "${BUILD_DIR}/demo-report".*
  info "demo removed"
}

up() {
  image=$(cat "${BUILD_DIR}/node-image")
  "${ROOT_DIR}/scripts/stage-collection.sh" link >/dev/null
  podman network exists "${NET}" || podman network create --subnet "${SUBNET}" --label "${LABEL}" "${NET}" >/dev/null
  for n in "${NODES[@]}"; do
    podman container exists "$n" && continue
    podman run -d --name "$n" --hostname "$n" --network "${NET}" --label "${LABEL}" \
      --systemd=always --tmpfs /run --tmpfs /tmp "${image}" /sbin/init >/dev/null
  done
  for n in "${NODES[@]}"; do
    podman exec "$n" systemctl is-system-running --wait >/dev/null 2>&1 || true
  done
  cd "${ROOT_DIR}"
  ansible-playbook -i inventories/demo/hosts.yml playbooks/site.yml
  ansible-playbook -i inventories/demo/hosts.yml playbooks/verify_encryption.yml \
    -e verify_encryption_report_dir="${BUILD_DIR}" -e verify_encryption_report_name=demo-report \
    -e verify_encryption_create_probe_user=true || true
  echo
  for n in "${NODES[@]}"; do
    podman exec "$n" mariadb -N -B -e "SELECT '$n', VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
      WHERE VARIABLE_NAME IN ('WSREP_LOCAL_STATE_COMMENT','WSREP_CLUSTER_SIZE','SSL_CIPHER')" | paste -sd' '
    podman exec "$n" mariadb -N -B -e "SHOW SESSION STATUS LIKE 'Ssl_cipher'" | sed "s/^/  $n client-server TLS: /"
  done
  [ -f "${BUILD_DIR}/demo-report.md" ] && cat "${BUILD_DIR}/demo-report.md"
}

case "${1:-up}" in
  up) up;;
  clean) clean;;
  *) die "usage: $0 up|clean";;
esac
