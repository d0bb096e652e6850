#!/usr/bin/env bash
# Builds a podman image holding a real MySQL server: Debian sid's mysql-server-core and mysql-client-core at the
# version pinned in scripts/mysql-source.pin (the same pin as the NDB build), installed into a debootstrap sid root
# (the sid binaries need sid's glibc, so they cannot run on the bookworm host). Used by
# tests/integration/pxc_real (issue 27). The tag is a hash of the inputs and the image itself is the cache: a second
# run does nothing. The downloaded debs are kept under ${CLUSTERSEC_CACHE:-/var/cache/clustersec}/debs. Prints each
# step's time; the image name goes to .build/mysql-image. About a minute on a fresh machine with a near mirror.
set -euo pipefail
# shellcheck source=scripts/lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/mysql-source.pin disable=SC1091
. "${ROOT_DIR}/scripts/mysql-source.pin"

SUITE=sid
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
CACHE="${CLUSTERSEC_CACHE:-/var/cache/clustersec}"
DEBS="${CACHE}/debs"
MYSQL_DEBS="${DEBS}/mysql-root-${SUITE}"
# openssl: the tests read the served certificate with `openssl s_client -starttls mysql` inside the container.
PACKAGES=("mysql-server-core=${MYSQL_DEB_VERSION}" "mysql-client-core=${MYSQL_DEB_VERSION}" openssl)
inputs_hash=$( (cat "$0"; echo "${SUITE} ${MYSQL_DEB_VERSION}"; printf '%s\n' "${PACKAGES[@]}") | sha256sum | cut -c1-12)
IMAGE="localhost/clustersec-mysql:${MYSQL_DEB_VERSION//[^A-Za-z0-9_.-]/_}-${inputs_hash}"
APT_OPTS=(-o Acquire::Check-Valid-Until=false -o Dpkg::Use-Pty=0)

mkdir -p "${BUILD_DIR}" "${MYSQL_DEBS}" "${DEBS}/debootstrap-${SUITE}"
# One build at a time (the test fixture may call this script too when the setup stage did not run).
exec 9>"${BUILD_DIR}/build-mysql-root.lock"
flock 9

if podman image exists "${IMAGE}"; then
  echo "${IMAGE}" > "${BUILD_DIR}/mysql-image"
  info "MySQL ${MYSQL_DEB_VERSION} image ${IMAGE} is current"
  exit 0
fi

t0=$(date +%s); ts=${t0}
step() { local now; now=$(date +%s); info "$1 ($((now - ts)) s)"; ts=${now}; }
rootfs="${BUILD_DIR}/rootfs-mysql-${SUITE}"
log="${BUILD_DIR}/build-mysql-root.log"
cleanup() {
  if mountpoint -q "${rootfs}/proc" 2>/dev/null; then umount "${rootfs}/proc" || true; fi
  rm -rf --one-file-system "${rootfs}"
}
trap cleanup EXIT
cleanup
: > "${log}"
info "MySQL ${MYSQL_DEB_VERSION} image not built yet: debootstrap ${SUITE} (minbase) into ${rootfs}, log ${log}"

# 1. The sid root (debootstrap keeps its debs in the cache too).
debootstrap --variant=minbase --cache-dir="${DEBS}/debootstrap-${SUITE}" "${SUITE}" "${rootfs}" "${MIRROR}" \
    >> "${log}" 2>&1 || die "debootstrap ${SUITE} failed, see ${log} (is ${MIRROR} reachable?)"
step "debootstrap ${SUITE}"

# 2. The pinned packages, inside the root (sid's Release file reads as expired against these machines' clocks).
in_root() { chroot "${rootfs}" env DEBIAN_FRONTEND=noninteractive LC_ALL=C "$@"; }
mount -t proc proc "${rootfs}/proc"
in_root apt-get "${APT_OPTS[@]}" -qq update >> "${log}" 2>&1 \
  || die "apt-get update inside the ${SUITE} root failed, see ${log}"
for pkg in mysql-server-core mysql-client-core; do
  have=$(in_root apt-cache madison "${pkg}" 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | sort -u | tr '\n' ' ')
  case " ${have} " in
    *" ${MYSQL_DEB_VERSION} "*) ;;
    *) die "Debian ${SUITE} (${MIRROR}) no longer has ${pkg} ${MYSQL_DEB_VERSION}; it has: ${have:-nothing}. Update MYSQL_DEB_VERSION in scripts/mysql-source.pin (one line; scripts/build-ndb.sh uses it too)." ;;
  esac
done
step "apt-get update (${SUITE} has ${MYSQL_DEB_VERSION})"
cp "${MYSQL_DEBS}"/*.deb "${rootfs}/var/cache/apt/archives/" 2>/dev/null || true
in_root apt-get "${APT_OPTS[@]}" -y -q install --no-install-recommends "${PACKAGES[@]}" >> "${log}" 2>&1 \
  || die "apt-get install ${PACKAGES[*]} inside the ${SUITE} root failed, see ${log}"
# Keep what apt downloaded for the next cold build (apt re-downloads only what changed in sid since).
cp -n "${rootfs}"/var/cache/apt/archives/*.deb "${MYSQL_DEBS}/" 2>/dev/null || true
version=$(in_root mysqld --version 2>&1) || die "mysqld --version failed inside the root: ${version}"
[ -f "${rootfs}/usr/lib/mysql/plugin/component_keyring_file.so" ] \
  || die "component_keyring_file.so is not in mysql-server-core ${MYSQL_DEB_VERSION} (/usr/lib/mysql/plugin)"
step "installed ${PACKAGES[*]}: ${version}"

# 3. The image, without apt's lists and archives.
umount "${rootfs}/proc"
rm -rf "${rootfs}"/var/lib/apt/lists/* "${rootfs}"/var/cache/apt/archives/*.deb
tar -C "${rootfs}" -c . | podman import -q --message "clustersec: Debian ${SUITE} with MySQL ${MYSQL_DEB_VERSION}" - "${IMAGE}" \
  >/dev/null || die "podman import of ${rootfs} failed"
step "podman import ${IMAGE}"
echo "${IMAGE}" > "${BUILD_DIR}/mysql-image"
info "MySQL ${MYSQL_DEB_VERSION} image: ${IMAGE} (built in $(( $(date +%s) - t0 )) s)"
