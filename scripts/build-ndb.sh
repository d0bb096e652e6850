#!/usr/bin/env bash
# Fetches Debian sid's mysql-source (pinned in scripts/mysql-source.pin) through a private apt configuration (the
# host's apt sources are never changed), builds the NDB programs, libndbclient and the project's NDB API marker writer,
# and caches the result outside the checkout, keyed by source version and build options: a second run builds nothing.
# Prints each step's time; the result's directory goes to .build/ndb-root.
set -euo pipefail
# shellcheck source=scripts/lib.sh disable=SC1091
. "$(dirname "$0")/lib.sh"
# shellcheck source=scripts/mysql-source.pin disable=SC1091
. "${ROOT_DIR}/scripts/mysql-source.pin"

CACHE="${CLUSTERSEC_CACHE:-/var/cache/clustersec}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
JOBS="${NDB_BUILD_JOBS:-$(nproc)}"
TARGETS=(ndbmtd ndb_mgmd ndb_mgm ndb_restore ndbxfrm ndb_sign_keys ndb_waiter ndb_select_all ndb_desc ndbinfo_select_all ndbclient_so)
CMAKE_OPTS=(-DWITH_NDB=ON -DWITH_NDB_JAVA=OFF -DWITH_ROUTER=OFF -DWITH_UNIT_TESTS=OFF -DWITH_NDB_TEST=OFF
  -DCMAKE_BUILD_TYPE=Release -DWITH_SSL=system -DWITH_FIDO=none -DWITH_AUTHENTICATION_LDAP=OFF
  -DWITH_AUTHENTICATION_KERBEROS=OFF -DWITH_AUTHENTICATION_WEBAUTHN=OFF -DWITH_MYSQLX=OFF -DWITH_ZLIB=bundled
  -DWITH_ZSTD=bundled -DWITH_LZ4=bundled -DWITH_PROTOBUF=bundled -DWITH_ICU=bundled -DWITH_EDITLINE=bundled
  -DWITH_CURL=none)
BUILD_DEPS=(cmake bison g++ libssl-dev libncurses-dev pkg-config libtirpc-dev rpcsvc-proto dpkg-dev)
MARKER_SRC="${ROOT_DIR}/tests/ndb_real/ndb_marker.cpp"

key=$( (echo "${MYSQL_DEB_VERSION}"; printf '%s\n' "${CMAKE_OPTS[@]}" "${TARGETS[@]}") | sha256sum | cut -c1-12)
OUT="${CACHE}/ndb/${MYSQL_DEB_VERSION}-${key}"
APT="${CACHE}/apt-sid"
DEBS="${CACHE}/debs"
mkdir -p "${BUILD_DIR}" "${CACHE}/ndb" "${DEBS}"

t0=$(date +%s); ts=${t0}
step() { local now; now=$(date +%s); info "$1 ($((now - ts)) s)"; ts=${now}; }

build_marker() {
  # The marker writer is small and rebuilt when its source changes (cheap), beside the cached programs.
  local sum; sum=$(sha256sum "${MARKER_SRC}" | cut -c1-12)
  if [ ! -x "${OUT}/bin/ndb_marker" ] || [ "$(cat "${OUT}/bin/.ndb_marker.sum" 2>/dev/null)" != "${sum}" ]; then
    g++ -std=c++17 -O1 -o "${OUT}/bin/ndb_marker.tmp" "${MARKER_SRC}" -I"${OUT}/include" -I"${OUT}/include/ndbapi" \
      -L"${OUT}/lib" -lndbclient -Wl,-rpath,"\$ORIGIN/../lib" -lpthread \
      || die "compiling ${MARKER_SRC} against libndbclient failed"
    mv "${OUT}/bin/ndb_marker.tmp" "${OUT}/bin/ndb_marker"
    echo "${sum}" > "${OUT}/bin/.ndb_marker.sum"
    step "built ndb_marker (NDB API writer)"
  fi
}

if [ -f "${OUT}/.complete" ]; then
  build_marker
  echo "${OUT}" > "${BUILD_DIR}/ndb-root"
  info "NDB ${MYSQL_DEB_VERSION} is cached in ${OUT}: $("${OUT}/bin/ndbmtd" --version 2>/dev/null | head -1)"
  exit 0
fi

info "NDB ${MYSQL_DEB_VERSION} not cached (key ${key}): fetching and building; about 10 minutes on 2 cores"
# 1. The pinned deb, through apt options that point at files of our own (no change to /etc/apt).
deb=$(find "${DEBS}" -maxdepth 1 -name "mysql-source_${MYSQL_DEB_VERSION##*:}_*.deb" | head -1)
if [ -z "${deb}" ]; then
  mkdir -p "${APT}/lists/partial" "${APT}/cache/archives/partial"
  echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${MIRROR} sid main" > "${APT}/sources.list"
  aptopt=(-o "Dir::Etc::sourcelist=${APT}/sources.list" -o Dir::Etc::sourceparts=- -o "Dir::State::Lists=${APT}/lists"
          -o "Dir::Cache=${APT}/cache" -o Acquire::Check-Valid-Until=false -o APT::Get::List-Cleanup=0)
  apt-get "${aptopt[@]}" -qq update || die "apt-get update of Debian sid (${MIRROR}) failed: is the mirror reachable?"
  have=$(apt-cache "${aptopt[@]}" madison mysql-source 2>/dev/null | awk -F'|' '{gsub(/ /,"",$2); print $2}' | sort -u | tr '\n' ' ')
  case " ${have} " in
    *" ${MYSQL_DEB_VERSION} "*) ;;
    *) die "Debian sid no longer has mysql-source ${MYSQL_DEB_VERSION}; it has: ${have:-nothing}. Update MYSQL_DEB_VERSION in scripts/mysql-source.pin." ;;
  esac
  (cd "${DEBS}" && apt-get "${aptopt[@]}" -qq download "mysql-source=${MYSQL_DEB_VERSION}") \
    || die "apt-get download mysql-source=${MYSQL_DEB_VERSION} failed"
  deb=$(find "${DEBS}" -maxdepth 1 -name "mysql-source_*${MYSQL_DEB_VERSION##*:}_*.deb" | head -1)
  step "downloaded $(basename "${deb}") ($(du -m "${deb}" | cut -f1) MB)"
fi
info "source: ${deb}"

# 2. Tool chain from the host's own Debian.
missing=()
for p in "${BUILD_DEPS[@]}"; do dpkg -s "${p}" >/dev/null 2>&1 || missing+=("${p}"); done
if [ "${#missing[@]}" -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -qq update >/dev/null 2>&1 || true
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
  step "installed build tools: ${missing[*]}"
fi

# 3. Unpack, configure, build. A work tree left by an interrupted run is reused: make resumes where it stopped.
WORK="${CACHE}/ndb/work-${key}"
log="${CACHE}/ndb/build-${key}.log"
if [ ! -f "${WORK}/build/CMakeCache.txt" ]; then
  rm -rf "${WORK}"; mkdir -p "${WORK}/src" "${WORK}/build"
  dpkg-deb --fsys-tarfile "${deb}" | tar -xO ./usr/src/mysql/mysql-source.tar.gz | tar -xz -C "${WORK}/src" \
    || die "unpacking ${deb} failed"
  src=$(find "${WORK}/src" -maxdepth 2 -name CMakeLists.txt -printf '%h\n' | head -1)
  [ -d "${src}/storage/ndb" ] || die "no storage/ndb in ${deb}"
  step "unpacked $(basename "${src}")"
  if ! (cd "${WORK}/build" && cmake "${src}" "${CMAKE_OPTS[@]}") > "${log}" 2>&1; then
    die "cmake failed, see ${log}: $(tail -3 "${log}" | tr '\n' ' ')"
  fi
  step "configured"
else
  src=$(find "${WORK}/src" -maxdepth 2 -name CMakeLists.txt -printf '%h\n' | head -1)
  info "resuming the build in ${WORK}"
fi
if ! (cd "${WORK}/build" && make -j"${JOBS}" "${TARGETS[@]}") >> "${log}" 2>&1; then
  # A second, serial pass shows the first real error last (and gets past a compiler killed by memory pressure).
  info "make stopped; one more serial pass"
  if ! (cd "${WORK}/build" && make "${TARGETS[@]}") >> "${log}" 2>&1; then
    last=$(grep -E 'error:|Error [0-9]' "${log}" | tail -3 | tr '\n' ' ')
    die "make failed, see ${log}: ${last}"
  fi
fi
step "built ${TARGETS[*]}"

# 4. Install what the tests use into the cache.
TMPOUT="${OUT}.tmp"; rm -rf "${TMPOUT}"; mkdir -p "${TMPOUT}/bin" "${TMPOUT}/lib" "${TMPOUT}/include"
for t in "${TARGETS[@]}"; do
  [ "${t}" = ndbclient_so ] && continue
  f=$(find "${WORK}/build" -type f -name "${t}" -perm -u+x | head -1)
  [ -n "${f}" ] || die "built ${t} not found"
  install -m 0755 "${f}" "${TMPOUT}/bin/${t}"
done
find "${WORK}/build" -name 'libndbclient.so*' -exec cp -a {} "${TMPOUT}/lib/" \;
[ -e "${TMPOUT}/lib/libndbclient.so" ] || die "libndbclient.so not found in the build"
cp -a "${src}/storage/ndb/include/." "${TMPOUT}/include/"
cp -a "${WORK}/build/storage/ndb/include/." "${TMPOUT}/include/" 2>/dev/null || true
cp -a "${src}/include/." "${TMPOUT}/include/mysql-include/" 2>/dev/null || true
echo "${MYSQL_DEB_VERSION}" > "${TMPOUT}/VERSION"
rm -rf "${OUT}"; mv "${TMPOUT}" "${OUT}"
build_marker
touch "${OUT}/.complete"
rm -rf "${WORK}"
echo "${OUT}" > "${BUILD_DIR}/ndb-root"
info "NDB ${MYSQL_DEB_VERSION} built in $(( $(date +%s) - t0 )) s: ${OUT} ($("${OUT}/bin/ndbmtd" --version | head -1))"
