#!/usr/bin/env bash
# make demo: three MariaDB Galera nodes in systemd containers on a podman network of their own,
# converged by playbooks/site.yml through inventories/demo/hosts.yml, then a report. The plays reach the nodes as a
# production controller does: SSH as the image's non-root user ops with become (sudo), pipelining and ControlPersist.
# Only provisioning goes through podman, as a cloud-init would: the demo's key into ops' authorized_keys.
# make demo-clean: removes exactly the containers, network and files this script made.
set -euo pipefail
# shellcheck source=scripts/lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
NET=clustersec-demo
SUBNET=10.213.8.0/24
NODES=(demo-node1 demo-node2 demo-node3)
LABEL=io.clustersec.demo=1
# The demo's SSH key, ssh_config and ControlPersist sockets (read by inventories/demo/hosts.yml).
SSH_DIR="${BUILD_DIR}/demo-ssh"
export PATH="${VENV}/bin:${PATH}" ANSIBLE_COLLECTIONS_PATH="${BUILD_DIR}/link"

clean() {
  # Stop the SSH masters ControlPersist left behind while their nodes still answer.
  if [ -d "${SSH_DIR}/cp" ]; then
    for sock in "${SSH_DIR}"/cp/*; do
      if [ -S "$sock" ]; then ssh -o ControlPath="$sock" -O exit demo >/dev/null 2>&1 || true; fi
    done
  fi
  for n in "${NODES[@]}"; do
    if podman container exists "$n"; then
      [ "$(podman inspect -f '{{index .Config.Labels "io.clustersec.demo"}}' "$n")" = 1 ] \
        || die "container $n exists but was not made by the demo; not touching it"
      podman rm -f -t 5 "$n" >/dev/null
    fi
  done
  if podman network exists "${NET}"; then podman network rm "${NET}" >/dev/null; fi
  rm -rf "${BUILD_DIR}/demo-pki" "${BUILD_DIR}/demo-report".* "${SSH_DIR}"
  info "demo removed"
}

# The demo's own key lets ops log in (provisioning, through podman like a cloud-init), an ssh_config names each
# node's address, and the plays then wait for nothing else: every later step goes over SSH.
ssh_access() {
  mkdir -p "${SSH_DIR}/cp"
  chmod 0700 "${SSH_DIR}" "${SSH_DIR}/cp"
  [ -f "${SSH_DIR}/key" ] || ssh-keygen -q -t ed25519 -N "" -C clustersec-demo -f "${SSH_DIR}/key"
  local n addr
  for n in "${NODES[@]}"; do
    podman exec -i "$n" sh -c 'cat > /home/ops/.ssh/authorized_keys && chown ops:ops /home/ops/.ssh/authorized_keys \
      && chmod 0600 /home/ops/.ssh/authorized_keys' < "${SSH_DIR}/key.pub" >/dev/null
  done
  {
    for n in "${NODES[@]}"; do
      addr=$(podman inspect -f "{{(index .NetworkSettings.Networks \"${NET}\").IPAddress}}" "$n")
      [ -n "$addr" ] || die "no address of $n on ${NET}"
      printf 'Host %s\n  HostName %s\n' "$n" "$addr"
    done
    printf 'Host demo-node*\n  User ops\n  IdentityFile %s\n  IdentitiesOnly yes\n' "${SSH_DIR}/key"
    # Throwaway containers on the demo's own network: their host keys are new on every make demo.
    printf '  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n'
  } > "${SSH_DIR}/ssh_config"
  chmod 0600 "${SSH_DIR}/ssh_config"
  for n in "${NODES[@]}"; do
    for _ in $(seq 60); do
      ssh -F "${SSH_DIR}/ssh_config" -o BatchMode=yes -o ConnectTimeout=2 "$n" sudo -n true 2>/dev/null && continue 2
      sleep 1
    done
    die "$n: no SSH login as ops with sudo within 60 s (ssh -F ${SSH_DIR}/ssh_config $n)"
  done
}

# A statement on a node as production would run it: over SSH as ops, the client as root through sudo.
node_sql() {
  ssh -F "${SSH_DIR}/ssh_config" -o BatchMode=yes "$1" sudo mariadb -N -B <<< "$2"
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
  ssh_access
  cd "${ROOT_DIR}"
  ansible-playbook -i inventories/demo/hosts.yml playbooks/site.yml
  ansible-playbook -i inventories/demo/hosts.yml playbooks/verify_encryption.yml \
    -e verify_encryption_report_dir="${BUILD_DIR}" -e verify_encryption_report_name=demo-report \
    -e verify_encryption_create_probe_user=true || true
  echo
  for n in "${NODES[@]}"; do
    node_sql "$n" "SELECT '$n', VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS
      WHERE VARIABLE_NAME IN ('WSREP_LOCAL_STATE_COMMENT','WSREP_CLUSTER_SIZE','SSL_CIPHER')" | paste -sd' '
    node_sql "$n" "SHOW SESSION STATUS LIKE 'Ssl_cipher'" | sed "s/^/  $n client-server TLS: /"
  done
  [ -f "${BUILD_DIR}/demo-report.md" ] && cat "${BUILD_DIR}/demo-report.md"
}

case "${1:-up}" in
  up) up;;
  clean) clean;;
  *) die "usage: $0 up|clean";;
esac
