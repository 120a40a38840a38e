#!/usr/bin/env bash
# A throwaway S3 server for the test suite: a single-node Ceph cluster (one
# monitor, one OSD on the in-RAM `memstore` object store, radosgw with the
# `beast` frontend), living entirely under STATE_DIR and bound to 127.0.0.1.
#
#   scripts/s3-test-server.sh start STATE_DIR   # prints one line of JSON
#   scripts/s3-test-server.sh stop  STATE_DIR   # kills the daemons, removes STATE_DIR
#
# `start` prints exactly one line of JSON on stdout (also written to
# STATE_DIR/server.json):
#   {"endpoint":"http://127.0.0.1:PORT","accessKeyId":"...","secretAccessKey":"...",
#    "region":"us-east-1","pids":[...],"startSeconds":N.NN}
# Everything else goes to stderr.
#
# Environment:
#   LAKE_S3_ACCESS_KEY / LAKE_S3_SECRET_KEY  S3 credentials (default lake-test-access / lake-test-secret)
#   LAKE_S3_START_TIMEOUT                    seconds before `start` gives up (default 60)
#   LAKE_S3_MEMSTORE_BYTES                   OSD capacity; data lives in RAM (default 1 GiB)
#   LAKE_S3_OWNER_PID                        if set, a watchdog stops the server when that process exits
#   LAKE_S3_KEEP_STATE=1                     keep STATE_DIR (logs) when `start` fails
#
# Needs the Debian packages radosgw, ceph-mon and ceph-osd (see scripts/install-test-deps.sh).
# Works as root (the daemons then run as root: no --setuser is passed) and as an ordinary user.
set -euo pipefail

SCRIPT_PATH="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)/$(basename -- "${BASH_SOURCE[0]}")"
MARKER=.lake-s3-test-server
PROG="s3-test-server"

log() { printf '[%s] %s\n' "$PROG" "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
  cat >&2 <<EOF
usage: $0 start STATE_DIR
       $0 stop  STATE_DIR
EOF
  exit 2
}

now() { date +%s.%N; }
elapsed_since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }

abs_path() {
  case "$1" in
    /*) printf '%s' "$1" ;;
    *) printf '%s/%s' "$PWD" "$1" ;;
  esac
}

json_escape() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/\\t}
  s=${s//$'\r'/\\r}
  printf '%s' "$s"
}

# ---------------------------------------------------------------------------
# process helpers

# True when PID is alive and its command line mentions STATE_DIR (guards
# against killing an unrelated process that reused a recorded PID).
owned_pid_alive() {
  local pid=$1 state=$2 cmd
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  # a zombie has an empty cmdline; treat it as gone
  cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") || return 1
  [[ -n "$cmd" && "$cmd" == *"$state"* ]]
}

# wait_gone PID STATE_DIR TENTHS: waits up to TENTHS/10 s for PID to exit.
wait_gone() {
  local pid=$1 state=$2 i
  for ((i = 0; i < $3; i++)); do
    owned_pid_alive "$pid" "$state" || return 0
    sleep 0.1
  done
  ! owned_pid_alive "$pid" "$state"
}

# kill_recorded STATE_DIR: stops every recorded PID, newest first (radosgw,
# then the OSD, then the monitor: a daemon whose monitor is already gone waits
# a long time for it on SIGTERM). SIGTERM, then SIGKILL after a short wait.
# Never kills the calling shell itself.
kill_recorded() {
  local state=$1 pidfile="$1/pids" name pid lines=() i failed=0
  [[ -f "$pidfile" ]] || return 0
  mapfile -t lines <"$pidfile"
  for ((i = ${#lines[@]} - 1; i >= 0; i--)); do
    read -r name pid <<<"${lines[i]}" || true
    [[ -n "${pid:-}" ]] || continue
    [[ "$pid" == "$$" || "$pid" == "${BASHPID:-$$}" ]] && continue
    owned_pid_alive "$pid" "$state" || continue
    kill -TERM "$pid" 2>/dev/null || true
    wait_gone "$pid" "$state" 30 && continue
    log "$name (pid $pid) still running 3 s after SIGTERM, sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    wait_gone "$pid" "$state" 30 && continue
    log "warning: could not kill $name (pid $pid)"
    failed=1
  done
  return "$failed"
}

# ---------------------------------------------------------------------------
# stop

cmd_stop() {
  local state
  state=$(abs_path "$1")
  if [[ ! -e "$state" ]]; then
    return 0
  fi
  if [[ ! -f "$state/$MARKER" ]]; then
    # an empty directory (a start that failed before writing anything) just goes
    if [[ -d "$state" && -z "$(ls -A -- "$state")" ]]; then
      rmdir -- "$state"
      return 0
    fi
    die "$state is not a state directory of this script (no $MARKER); refusing to delete it"
  fi
  kill_recorded "$state" || true
  rm -rf -- "$state"
}

# ---------------------------------------------------------------------------
# watchdog: stops the server once the owner process is gone

cmd_watch() {
  local state=$1 owner=$2
  while kill -0 "$owner" 2>/dev/null && [[ -d "$state" ]]; do
    sleep 1
  done
  if [[ -f "$state/$MARKER" ]]; then
    log "owner process $owner is gone; stopping the S3 test server in $state"
    cmd_stop "$state" || true
  fi
}

# ---------------------------------------------------------------------------
# start

require_binaries() {
  local missing=() pkgs=() b pkg
  # binary:package
  for b in ceph-mon:ceph-mon ceph-osd:ceph-osd radosgw:radosgw radosgw-admin:ceph-common \
    ceph:ceph-common monmaptool:ceph-base; do
    pkg=${b#*:}
    b=${b%%:*}
    if ! command -v "$b" >/dev/null 2>&1; then
      missing+=("$b")
      [[ " ${pkgs[*]-} " == *" $pkg "* ]] || pkgs+=("$pkg")
    fi
  done
  if ((${#missing[@]})); then
    die "missing ${missing[*]} (Debian package(s) ${pkgs[*]}); install with: apt-get install -y --no-install-recommends radosgw ceph-mon ceph-osd   (or run scripts/install-test-deps.sh)"
  fi
}

# Prints a TCP port on 127.0.0.1 that is free right now.
free_port() {
  local py
  for py in /usr/bin/python3 python3; do
    if command -v "$py" >/dev/null 2>&1; then
      "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()' && return 0
    fi
  done
  if command -v node >/dev/null 2>&1; then
    node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });' && return 0
  fi
  # last resort: random port from the dynamic range that refuses connections
  local p i
  for ((i = 0; i < 50; i++)); do
    p=$((49152 + RANDOM % 16000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  return 1
}

# rgw_answers PORT: true when radosgw answers HTTP on 127.0.0.1:PORT (and not
# some other server that happens to have the port: RGW sets x-amz-request-id).
rgw_answers() {
  local port=$1
  (
    exec 3<>"/dev/tcp/127.0.0.1/$port" || exit 1
    printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    IFS= read -r -t 2 line <&3 || exit 1
    [[ "$line" == HTTP/* ]] || exit 1
    while IFS= read -r -t 2 line <&3; do
      line=${line%$'\r'}
      [[ -n "$line" ]] || break
      shopt -s nocasematch
      [[ "$line" == x-amz-request-id:* ]] && exit 0
      shopt -u nocasematch
    done
    exit 1
  ) 2>/dev/null
}

# State used by the start steps and by the failure handler.
STATE=
DEADLINE=
FAIL_LOG=()
STARTED_OK=0
STEP_PID=
BIND_CONFLICT=0
RGW_PORT=
ACCESS_KEY=
SECRET_KEY=
MEMSTORE_BYTES=
START_TIMEOUT=60
declare -A DAEMON_PID=()
declare -A DAEMON_LOG=()

remaining() { awk -v d="$DEADLINE" -v n="$(now)" 'BEGIN { r = int(d - n); if (r < 1) r = 1; printf "%d", r }'; }
past_deadline() { awk -v d="$DEADLINE" -v n="$(now)" 'BEGIN { exit !(n >= d) }'; }

record_pid() { printf '%s %s\n' "$1" "$2" >>"$STATE/pids"; }

# start_daemon NAME LOGFILE CMD...: runs CMD in the foreground mode of the
# daemon, in the background of this script, output to STATE/log/NAME.out.
start_daemon() {
  local name=$1 logfile=$2
  shift 2
  "$@" </dev/null >>"$STATE/log/$name.out" 2>&1 &
  DAEMON_PID[$name]=$!
  DAEMON_LOG[$name]=$logfile
  record_pid "$name" "$!"
}

# daemon_dead PID: true when PID has exited (a zombie child counts as exited).
daemon_dead() {
  kill -0 "$1" 2>/dev/null || return 0
  [[ "$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null)" == Z ]]
}

# Fails (with the name of the failed daemon in FAIL_LOG) when a started daemon
# exited, or could not bind its port (then BIND_CONFLICT=1: another process
# took the port we picked, and a new attempt with other ports may work).
check_daemons() {
  local name pid
  for name in "${!DAEMON_PID[@]}"; do
    pid=${DAEMON_PID[$name]}
    # the monitor does not exit when its port is taken: it retries forever
    if [[ "$name" == mon ]] && grep -q 'unable to bind' "${DAEMON_LOG[mon]}" 2>/dev/null; then
      BIND_CONFLICT=1
      FAIL_LOG+=("$name")
      log "the monitor could not bind its port (taken by another process)"
      return 1
    fi
    if daemon_dead "$pid"; then
      local rc=0
      wait "$pid" 2>/dev/null || rc=$?
      FAIL_LOG+=("$name")
      # radosgw exits with EADDRINUSE (98) when its port is taken; its last
      # log lines may not be flushed by then
      if ((rc == 98)) || grep -q -E 'failed to bind|unable to bind' "${DAEMON_LOG[$name]}" "$STATE/log/$name.out" 2>/dev/null; then
        BIND_CONFLICT=1
        log "$name (pid $pid) could not bind its port (taken by another process; exit status $rc)"
      else
        log "$name (pid $pid) exited unexpectedly (exit status $rc)"
      fi
      return 1
    fi
  done
}

# end_step_process PID: SIGTERM (which `timeout` passes on to its child, so no
# orphan is left), SIGKILL if it has not ended within a second.
end_step_process() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for ((i = 0; i < 20; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# step DESCRIPTION LOGNAME CMD...: runs CMD (output appended to
# STATE/log/LOGNAME.out) while watching the daemons and the deadline.
step() {
  local what=$1 logname=$2 cpid rc t
  shift 2
  t=$(now)
  "$@" </dev/null >>"$STATE/log/$logname.out" 2>&1 &
  cpid=$!
  STEP_PID=$cpid
  while kill -0 "$cpid" 2>/dev/null; do
    if ! check_daemons; then
      end_step_process "$cpid"
      log "failed while: $what"
      return 1
    fi
    if past_deadline; then
      end_step_process "$cpid"
      FAIL_LOG+=("$logname" "${!DAEMON_PID[@]}")
      log "timed out (LAKE_S3_START_TIMEOUT=${START_TIMEOUT}s) while: $what"
      return 1
    fi
    sleep 0.05
  done
  rc=0
  wait "$cpid" || rc=$?
  STEP_PID=
  if ((rc != 0)); then
    FAIL_LOG+=("$logname")
    log "failed (exit $rc) while: $what"
    return 1
  fi
  log "$what: $(elapsed_since "$t") s"
}

print_log_tail() {
  local name=$1 f
  for f in "$STATE/log/$name.out" "${DAEMON_LOG[$name]:-}"; do
    [[ -n "$f" && -s "$f" ]] || continue
    log "---- last lines of $f ----"
    # skip the long boilerplate of Ceph's crash dumps (log level tables)
    grep -v -E '^ +-?[0-9]+/ ?-?[0-9]+ [a-z_]+$' "$f" | tail -n 25 >&2 || true
  done
}

on_start_exit() {
  local rc=$?
  if ((STARTED_OK)); then
    return
  fi
  trap - EXIT INT TERM
  if [[ -n "$STEP_PID" ]]; then
    end_step_process "$STEP_PID"
  fi
  if [[ -n "$STATE" && -d "$STATE" ]]; then
    local name seen=" "
    for name in "${FAIL_LOG[@]}"; do
      [[ "$seen" == *" $name "* ]] && continue
      seen+="$name "
      print_log_tail "$name"
    done
    kill_recorded "$STATE" || true
    if [[ "${LAKE_S3_KEEP_STATE:-}" == 1 ]]; then
      log "start failed; state kept in $STATE (remove it with: $0 stop $STATE)"
    else
      rm -rf -- "$STATE"
      log "start failed; stopped what was started and removed $STATE (set LAKE_S3_KEEP_STATE=1 to keep the logs)"
    fi
  fi
  ((rc != 0)) || rc=1
  exit "$rc"
}

write_conf() {
  local fsid=$1 mon_port=$2 rgw_port=$3 memstore_bytes=$4 s=$STATE
  cat >"$s/ceph.conf" <<EOF
# Generated by scripts/s3-test-server.sh: a throwaway single-node cluster.
[global]
fsid = $fsid
mon_host = v2:127.0.0.1:$mon_port
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_msgr1 = false
ms_bind_ipv6 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc
keyring = $s/keyring
run_dir = $s/run
crash_dir = $s/crash
log_file = $s/log/\$cluster-\$name.log
mon_cluster_log_file = $s/log/\$cluster.log
log_to_stderr = false
err_to_stderr = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_crush_chooseleaf_type = 0
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_allow_pool_delete = true

[mon]
mon_data = $s/mon/\$cluster-\$id
admin_socket = $s/run/\$cluster-\$name.asok
paxos_propose_interval = 0.05

[osd]
osd_data = $s/osd/\$cluster-\$id
admin_socket = $s/run/\$cluster-\$name.asok
osd_objectstore = memstore
memstore_device_bytes = $memstore_bytes

[client]
auth_client_required = none
ms_mon_client_mode = crc

[client.rgw]
admin_socket = $s/run/\$cluster-\$name.asok
rgw_data = $s/rgw/\$cluster-\$id
rgw_frontends = beast endpoint=127.0.0.1:$rgw_port
rgw_thread_pool_size = 128
rgw_enable_usage_log = false
rgw_enable_ops_log = false
# memstore keeps every byte in RAM: let garbage collection free deleted data soon
rgw_gc_obj_min_wait = 60
rgw_gc_processor_period = 60
EOF
}

# One attempt at starting the cluster on freshly picked ports. Returns non-zero
# on failure (BIND_CONFLICT=1 when a port we picked was taken meanwhile).
# Sets RGW_PORT.
start_attempt() {
  local mon_port rgw_port fsid uuid conf=$STATE/ceph.conf t_rgw
  mon_port=$(free_port) || { log "could not find a free TCP port"; return 1; }
  rgw_port=$(free_port) || { log "could not find a free TCP port"; return 1; }
  while [[ "$rgw_port" == "$mon_port" ]]; do rgw_port=$(free_port); done
  fsid=$(cat /proc/sys/kernel/random/uuid)
  uuid=$(cat /proc/sys/kernel/random/uuid)
  write_conf "$fsid" "$mon_port" "$rgw_port" "$MEMSTORE_BYTES"
  log "starting Ceph (mon 127.0.0.1:$mon_port, radosgw 127.0.0.1:$rgw_port) in $STATE"

  # 1. monitor
  step "creating the monitor map" mon-mkfs \
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" "$STATE/monmap" || return 1
  step "creating the monitor store" mon-mkfs \
    ceph-mon -c "$conf" --mkfs -i a --monmap "$STATE/monmap" || return 1
  start_daemon mon "$STATE/log/ceph-mon.a.log" ceph-mon -c "$conf" -i a -f

  # 2. OSD (`ceph osd new` also waits for the monitor to answer)
  step "registering the OSD with the monitor" osd-new \
    timeout "$(remaining)" ceph -c "$conf" --connect-timeout "$(remaining)" osd new "$uuid" 0 || return 1
  step "creating the OSD store" osd-mkfs \
    ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$uuid" || return 1
  start_daemon osd "$STATE/log/ceph-osd.0.log" ceph-osd -c "$conf" -i 0 -f

  # 3. S3 user (creates the rgw pools, so it also waits for the OSD to serve them)
  step "creating the S3 user" rgw-user \
    radosgw-admin -c "$conf" user create --uid=lake-test --display-name="lake test" \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" || return 1

  # 4. radosgw
  start_daemon rgw "$STATE/log/ceph-client.rgw.log" radosgw -c "$conf" -n client.rgw -f
  t_rgw=$(now)
  until rgw_answers "$rgw_port"; do
    if ! check_daemons; then
      log "failed while: waiting for radosgw to answer HTTP"
      return 1
    fi
    if past_deadline; then
      FAIL_LOG+=("${!DAEMON_PID[@]}")
      log "timed out (LAKE_S3_START_TIMEOUT=${START_TIMEOUT}s) waiting for radosgw to answer HTTP on 127.0.0.1:$rgw_port"
      return 1
    fi
    sleep 0.05
  done
  log "waiting for radosgw to answer HTTP: $(elapsed_since "$t_rgw") s"
  RGW_PORT=$rgw_port
}

# Empties STATE (but for the marker) after a failed attempt.
reset_state() {
  kill_recorded "$STATE" || true
  find "$STATE" -mindepth 1 -maxdepth 1 ! -name "$MARKER" -exec rm -rf -- {} +
  : >"$STATE/pids"
  mkdir -p "$STATE"/{mon,osd/ceph-0,rgw/ceph-rgw,log,run,crash}
  DAEMON_PID=()
  DAEMON_LOG=()
  FAIL_LOG=()
  BIND_CONFLICT=0
}

cmd_start() {
  local t0 region=us-east-1 attempt max_attempts=3
  t0=$(now)
  STATE=$(abs_path "$1")
  START_TIMEOUT=${LAKE_S3_START_TIMEOUT:-60}
  [[ "$START_TIMEOUT" =~ ^[0-9]+$ ]] || die "LAKE_S3_START_TIMEOUT must be a number of seconds"
  DEADLINE=$(awk -v a="$t0" -v t="$START_TIMEOUT" 'BEGIN { printf "%.3f", a + t }')
  ACCESS_KEY=${LAKE_S3_ACCESS_KEY:-lake-test-access}
  SECRET_KEY=${LAKE_S3_SECRET_KEY:-lake-test-secret}
  MEMSTORE_BYTES=${LAKE_S3_MEMSTORE_BYTES:-1073741824}
  [[ "$MEMSTORE_BYTES" =~ ^[0-9]+$ ]] || die "LAKE_S3_MEMSTORE_BYTES must be a number of bytes"

  require_binaries
  [[ -r /proc/sys/kernel/random/uuid ]] || die "/proc/sys/kernel/random/uuid is not readable"

  if [[ -e "$STATE" ]]; then
    [[ -d "$STATE" ]] || die "$STATE exists and is not a directory"
    [[ -z "$(ls -A -- "$STATE")" ]] || die "$STATE is not empty; give a fresh or empty directory"
  fi
  mkdir -p -- "$STATE"
  : >"$STATE/$MARKER"
  : >"$STATE/pids"
  trap on_start_exit EXIT
  trap 'log "interrupted"; exit 130' INT TERM
  mkdir -p "$STATE"/{mon,osd/ceph-0,rgw/ceph-rgw,log,run,crash}

  # Settings from the environment must not leak into this cluster.
  unset CEPH_ARGS CEPH_CONF || true

  for ((attempt = 1; ; attempt++)); do
    BIND_CONFLICT=0
    start_attempt && break
    if ((BIND_CONFLICT)) && ((attempt < max_attempts)) && ! past_deadline; then
      log "another process took a port picked for this server; retrying with other ports"
      reset_state
      continue
    fi
    exit 1
  done

  # 5. optional watchdog
  if [[ -n "${LAKE_S3_OWNER_PID:-}" ]]; then
    [[ "$LAKE_S3_OWNER_PID" =~ ^[0-9]+$ ]] || die "LAKE_S3_OWNER_PID must be a PID"
    "$BASH" "$SCRIPT_PATH" watch "$STATE" "$LAKE_S3_OWNER_PID" </dev/null >>"$STATE/log/watchdog.out" 2>&1 &
    record_pid watchdog "$!"
  fi

  local secs json
  secs=$(elapsed_since "$t0")
  json=$(printf '{"endpoint":"http://127.0.0.1:%s","accessKeyId":"%s","secretAccessKey":"%s","region":"%s","pids":[%s,%s,%s],"startSeconds":%s}' \
    "$RGW_PORT" "$(json_escape "$ACCESS_KEY")" "$(json_escape "$SECRET_KEY")" "$region" \
    "${DAEMON_PID[mon]}" "${DAEMON_PID[osd]}" "${DAEMON_PID[rgw]}" "$secs")
  printf '%s\n' "$json" >"$STATE/server.json"
  STARTED_OK=1
  trap - EXIT INT TERM
  log "radosgw answers on http://127.0.0.1:$RGW_PORT (started in ${secs} s)"
  printf '%s\n' "$json"
}

# ---------------------------------------------------------------------------

main() {
  (($# >= 1)) || usage
  case "$1" in
    start)
      (($# == 2)) || usage
      [[ -n "$2" ]] || usage
      cmd_start "$2"
      ;;
    stop)
      (($# == 2)) || usage
      [[ -n "$2" ]] || usage
      cmd_stop "$2"
      ;;
    watch) # internal
      (($# == 3)) || usage
      cmd_watch "$2" "$3"
      ;;
    -h | --help | help) usage ;;
    *) usage ;;
  esac
}

main "$@"
