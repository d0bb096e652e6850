#!/usr/bin/env bash
# Builds the test node image from a local debootstrap root file system (no registry is
# reachable). The tag is a content hash of the inputs, so the image is rebuilt only when they change.
set -euo pipefail
# shellcheck source=scripts/lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
SUITE=bookworm
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
inputs_hash=$( (cat "${ROOT_DIR}/images/node/Containerfile" "$0"; echo "${SUITE}") | sha256sum | cut -c1-12)
base_hash=$( (echo "${SUITE} minbase"; grep -E '^(SUITE|MIRROR)=' "$0") | sha256sum | cut -c1-12)
BASE="localhost/clustersec-base:${base_hash}"
NODE="localhost/clustersec-node:${inputs_hash}"
mkdir -p "${BUILD_DIR}"
if podman image exists "${NODE}"; then
  info "node image ${NODE} is current"
else
  if ! podman image exists "${BASE}"; then
    rootfs="${BUILD_DIR}/rootfs-${SUITE}"
    rm -rf "${rootfs}"
    info "debootstrap ${SUITE} (minbase) into ${rootfs}"
    debootstrap --variant=minbase "${SUITE}" "${rootfs}" "${MIRROR}" > "${BUILD_DIR}/debootstrap.log" 2>&1 \
      || die "debootstrap failed, see ${BUILD_DIR}/debootstrap.log (is ${MIRROR} reachable?)"
    tar -C "${rootfs}" -c . | podman import - "${BASE}" >/dev/null
    rm -rf "${rootfs}"
  fi
  info "building ${NODE}"
  podman build -q --build-arg "BASE_IMAGE=${BASE}" -t "${NODE}" "${ROOT_DIR}/images/node" >/dev/null \
    || die "podman build of the node image failed"
fi
echo "${NODE}" > "${BUILD_DIR}/node-image"
info "node image: ${NODE}"
