#!/usr/bin/env bash
# Checks and prepares the host: root, disk, podman (+ runc, aardvark-dns), debootstrap,
# and the containers.conf settings measured to work on these machines (ENVIRONMENT.md).
set -euo pipefail
# shellcheck source=scripts/lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"

MIN_FREE_GB="${MIN_FREE_GB:-6}"

[ "$(id -u)" = 0 ] || die "root is required (podman with systemd containers, apt installs, bridge captures). Run as root, e.g. 'sudo make test'."

avail_kb=$(df -Pk "${ROOT_DIR}" | awk 'NR==2 {print $4}')
var_kb=$(df -Pk /var/lib 2>/dev/null | awk 'NR==2 {print $4}')
for pair in "${ROOT_DIR}:${avail_kb}" "/var/lib (container storage):${var_kb}"; do
  kb="${pair##*:}"; where="${pair%:*}"
  if [ "${kb:-0}" -lt $((MIN_FREE_GB * 1024 * 1024)) ]; then
    die "not enough disk space on ${where}: $((kb / 1024)) MiB free, ${MIN_FREE_GB} GiB needed (root file system, node image, containers). Free space or set MIN_FREE_GB."
  fi
done

need_pkgs=()
command -v podman >/dev/null || need_pkgs+=(podman)
command -v runc >/dev/null || need_pkgs+=(runc)
[ -x /usr/lib/podman/aardvark-dns ] || command -v aardvark-dns >/dev/null || need_pkgs+=(aardvark-dns)
command -v debootstrap >/dev/null || need_pkgs+=(debootstrap)
command -v tcpdump >/dev/null || need_pkgs+=(tcpdump)
command -v tshark >/dev/null || need_pkgs+=(tshark)  # reassembles the captured TCP streams (molecule capture check)
command -v openssl >/dev/null || need_pkgs+=(openssl)
command -v rsync >/dev/null || need_pkgs+=(rsync)
command -v shellcheck >/dev/null || need_pkgs+=(shellcheck)
# External judge of the offered TLS suites (nmap --script ssl-enum-ciphers, STARTTLS on 3306).
command -v nmap >/dev/null || need_pkgs+=(nmap)
if [ "${#need_pkgs[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || die "missing ${need_pkgs[*]} and no apt-get: this harness needs a Debian/Ubuntu host (install podman, runc, aardvark-dns, debootstrap, tcpdump by hand)."
  info "installing ${need_pkgs[*]} from Debian"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed: is the Debian mirror reachable?"
  apt-get install -y -qq --no-install-recommends "${need_pkgs[@]}" uidmap slirp4netns containernetworking-plugins >/dev/null \
    || die "apt-get install ${need_pkgs[*]} failed"
fi

# promtool and node_exporter for tests/integration/metrics: Debian's packages downloaded and unpacked into the cache,
# never installed (their services would start and listen on every interface). A second run does nothing. The tests
# read the unpacked root from .build/prometheus-root.
PROM_ROOT="${CLUSTERSEC_CACHE:-/var/cache/clustersec}/prometheus/root"
if [ ! -x "${PROM_ROOT}/usr/bin/promtool" ] || [ ! -x "${PROM_ROOT}/usr/bin/prometheus-node-exporter" ]; then
  prom_debs="$(dirname "${PROM_ROOT}")/debs"
  info "fetching prometheus and prometheus-node-exporter from Debian into ${prom_debs} (unpacked, not installed)"
  rm -rf "${prom_debs}" "${PROM_ROOT}.tmp"; mkdir -p "${prom_debs}" "${PROM_ROOT}.tmp"
  (cd "${prom_debs}" && apt-get download -qq prometheus prometheus-node-exporter 2>/dev/null) \
    || { apt-get update -qq && (cd "${prom_debs}" && apt-get download -qq prometheus prometheus-node-exporter 2>/dev/null); } \
    || die "apt-get download prometheus prometheus-node-exporter failed: is the Debian mirror reachable?"
  for deb in "${prom_debs}"/*.deb; do dpkg-deb -x "${deb}" "${PROM_ROOT}.tmp"; done
  rm -rf "${PROM_ROOT}"; mv "${PROM_ROOT}.tmp" "${PROM_ROOT}"
fi
mkdir -p "${BUILD_DIR}"; echo "${PROM_ROOT}" > "${BUILD_DIR}/prometheus-root"

# A drop-in keeps the operator's own /etc/containers/containers.conf untouched; podman merges
# containers.conf.d/*.conf over it. crun fails on these hybrid-cgroup hosts and podman's default
# nofile limit exceeds the hard limit, so both are set here.
DROPIN=/etc/containers/containers.conf.d/50-clustersec-test.conf
if [ ! -f "${DROPIN}" ]; then
  mkdir -p "$(dirname "${DROPIN}")"
  cat > "${DROPIN}.tmp" <<'CONF'
# Written by clustersec.mysql scripts/setup-host.sh (test harness); safe to delete.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
CONF
  mv "${DROPIN}.tmp" "${DROPIN}"
  info "wrote ${DROPIN}"
fi

podman info >/dev/null 2>&1 || die "podman does not work on this host: $(podman info 2>&1 | tail -1). See docs/development.md, requirements of the test host (runtime runc, ulimits)."
info "host ready: $(podman --version), runtime $(podman info --format '{{.Host.OCIRuntime.Name}}')"
