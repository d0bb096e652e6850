#!/usr/bin/env bash
#
# Ansible managed
#
# Start script of NDB data node 2, owned by clustersec.mysql.ndb_tde.
#   run            start ndbmtd in the foreground (systemd ExecStart)
#   start          start it in the background (hosts without systemd)
#   initial-start  start it once with --initial (node initial restart)
#   stop | status
# The file system password reaches ndbmtd on its standard input or in its private defaults file,
# never on the command line or in the environment (check with: ps -o args -p PID).
set -u -o pipefail

ENCRYPTED_FS=1 # Match with EncryptedFileSystem in config.ini
NDBMTD=/usr/sbin/ndbmtd
NODE_ID=2
RUN_AS=mysql
RUN_DIR=/run/clustersec-ndb
INITIAL_MARKER=/run/clustersec-ndb/ndbmtd-2.initial
PID_FILE=/run/clustersec-ndb/ndbmtd-2.pid
OUT_FILE=/var/lib/mysql-cluster/ndb_2_start.log
STOP_TIMEOUT=300
CONNECTSTRING=mgm1.example:1186,mgm2.example:1187
ARGS=("--ndb-connectstring=${CONNECTSTRING}" --ndb-nodeid="${NODE_ID}" --nodaemon --connect-retries=-1 --logbuffer-size=64K)
# Root-only file holding the password and a line break; opened before ndbmtd drops to ${RUN_AS}.
PASSWORD_FILE=/etc/clustersec-ndb/ndbmtd-2.pw

run() {
  # Encryption keys and table data live in this process's memory: no core dumps.
  ulimit -c 0
  # LockPagesInMainMemory needs an unlimited memlock limit.
  ulimit -l unlimited 2>/dev/null || true
  local initial=()
  # One-shot marker left by the rolling restart: consumed here so a later start is a normal one.
  if [ -e "${INITIAL_MARKER}" ]; then
    rm -f "${INITIAL_MARKER}"
    initial=(--initial)
  fi
  local drop=()
  if [ "$(id -un)" != "${RUN_AS}" ]; then
    drop=(setpriv --reuid="${RUN_AS}" --regid="$(id -g "${RUN_AS}")" --init-groups --)
  fi
  if [ "${ENCRYPTED_FS}" -eq 1 ]; then
    exec "${drop[@]}" "${NDBMTD}" "${ARGS[@]}" "${initial[@]}" --filesystem-password-from-stdin < "${PASSWORD_FILE}"
  else
    exec "${drop[@]}" "${NDBMTD}" "${ARGS[@]}" "${initial[@]}" </dev/null
  fi
}

# A process that exited but was not reaped yet (a zombie) counts as gone.
alive() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
  [ "$(sed -n 's/^.*) \(.\).*$/\1/p' "/proc/$1/stat" 2>/dev/null)" != "Z" ]
}

status() {
  local pid
  pid=$(cat "${PID_FILE}" 2>/dev/null) || return 3
  alive "${pid}" || return 3
  echo "node ${NODE_ID} running (pid ${pid})"
}

start() {
  if status >/dev/null; then
    echo "node ${NODE_ID} already running"
    return 0
  fi
  install -d -m 0700 "${RUN_DIR}"
  # The log is in ${RUN_AS}'s data directory: ${RUN_AS} opens it (root's >> would follow a symlink put there).
  local as_user=()
  if [ "$(id -un)" != "${RUN_AS}" ]; then
    as_user=(setpriv --reuid="${RUN_AS}" --regid="$(id -g "${RUN_AS}")" --init-groups --)
  fi
  # shellcheck disable=SC2016 # single quotes intended: "$1" is the sh -c child's argument (the log file), expanded there
  if ! "${as_user[@]}" sh -c ': >>"$1"' sh "${OUT_FILE}" 2>/dev/null; then
    echo "node ${NODE_ID}: ${RUN_AS} cannot append to ${OUT_FILE}" >&2
    return 1
  fi
  # A session of its own: stop signals the angel and its data node process together. The logger's own stderr
  # is not the caller's: inherited, it would hold a caller's output pipe open for as long as the node runs.
  # shellcheck disable=SC2016 # single quotes intended: "$1" is the sh -c child's argument (the log file), expanded there
  setsid "$0" run </dev/null > >("${as_user[@]}" sh -c 'exec cat >>"$1"' sh "${OUT_FILE}" 2>/dev/null) 2>&1 &
  echo $! >"${PID_FILE}"
  echo "node ${NODE_ID} started (pid $!)"
}

stop() {
  local pid waited=0
  pid=$(cat "${PID_FILE}" 2>/dev/null) || return 0
  if alive "${pid}"; then
    # The angel must go too, so that the next start reads the password again.
    kill -TERM -- "-${pid}" 2>/dev/null || kill -TERM "${pid}"
    while alive "${pid}"; do
      if [ "${waited}" -ge $((STOP_TIMEOUT * 10)) ]; then
        kill -KILL -- "-${pid}" 2>/dev/null || kill -KILL "${pid}"
        break
      fi
      sleep 0.1
      waited=$((waited + 1))
    done
  fi
  rm -f "${PID_FILE}"
  echo "node ${NODE_ID} stopped"
}

case "${1:-}" in
  run) run ;;
  start) start ;;
  initial-start)
    install -d -m 0700 "${RUN_DIR}"
    : >"${INITIAL_MARKER}"
    start
    ;;
  stop) stop ;;
  status) status ;;
  *)
    echo "usage: $0 run|start|initial-start|stop|status" >&2
    exit 2
    ;;
esac
