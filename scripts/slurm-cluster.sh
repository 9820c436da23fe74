#!/usr/bin/env bash
# A throwaway two-node Slurm cluster on this one host, for tests and benchmarks.
#   scripts/slurm-cluster.sh start <dir>   writes <dir>/slurm.conf, starts slurmctld and slurmd for n1 and n2,
#                                          waits until both nodes are idle, prints `SLURM_CONF=<dir>/slurm.conf`
#   scripts/slurm-cluster.sh stop <dir>    scontrol shutdown, then kills whatever of this cluster is left
#   scripts/slurm-cluster.sh kill-node <dir> n1   kills n1's slurmd and its jobs, as if the machine died
# Each <dir> holds its own state, spool and logs (a fresh folder is a fresh cluster: slurmctld refuses state
# saved under another cluster name). Ports: MLX_SLURM_PORT (default 17000) for the controller, +1 and +2 for
# the nodes. Needs munged running (scripts/setup-slurm.sh) and root.
set -euo pipefail
cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop <dir>" >&2
  exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
conf="$dir/slurm.conf"
export SLURM_CONF="$conf"
port=${MLX_SLURM_PORT:-17000}
host=$(hostname)
log() { echo "== slurm-cluster: $*" >&2; }

pids() { cat "$dir"/run/*.pid 2>/dev/null || true; }

# kill_strays <conf> [node]: slurmstepd processes and job commands of this cluster (of one node when given).
kill_strays() {
  local proc env comm
  for proc in /proc/[0-9]*; do
    env=$(tr '\0' '\n' 2>/dev/null <"$proc/environ") || continue
    grep -qxF "SLURM_CONF=$1" <<<"$env" || continue
    comm=$(cat "$proc/comm" 2>/dev/null) || continue
    if [ "$comm" = slurmstepd ] || grep -q '^SLURM_JOB_ID=' <<<"$env"; then
      if [ -n "${2:-}" ] && ! grep -qxF "SLURMD_NODENAME=$2" <<<"$env"; then continue; fi
      kill -9 "${proc#/proc/}" 2>/dev/null || true
    fi
  done
}

stop() {
  [ -f "$conf" ] && timeout 10 scontrol shutdown >/dev/null 2>&1 || true
  for _ in $(seq 1 40); do
    alive=""
    for pid in $(pids); do kill -0 "$pid" 2>/dev/null && alive="$alive $pid"; done
    [ -z "$alive" ] && break
    sleep 0.25
  done
  for pid in $(pids); do kill -9 "$pid" 2>/dev/null || true; done
  # Job steps and their commands outlive slurmd: end those of this cluster (their environment names its
  # config; a command also has SLURM_JOB_ID, which the process that submitted it does not).
  kill_strays "$conf"
  rm -f "$dir"/run/*.pid
  log "stopped (logs: $dir/log)"
}

start() {
  mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/run"
  cat >"$conf" <<CONF
# Written by scripts/slurm-cluster.sh: two one-CPU nodes on this host.
ClusterName=mlxtest$(basename "$dir" | tr -cd 'a-z0-9' | tail -c 20)
SlurmctldHost=$host
SlurmctldPort=$port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd-%n.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
JobAcctGatherType=jobacct_gather/none
ReturnToService=2
# A dead node is noticed within seconds; its jobs end NODE_FAIL and are not requeued by Slurm (mlx retries).
SlurmdTimeout=6
SlurmctldTimeout=10
MessageTimeout=5
JobRequeue=0
KillWait=3
MinJobAge=300
InactiveLimit=0
SchedulerType=sched/backfill
NodeName=n[1-2] NodeHostname=$host Port=$((port + 1))-$((port + 2)) CPUs=1 RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes=n[1-2] Default=YES MaxTime=INFINITE State=UP
CONF
  stop 2>/dev/null
  slurmctld -f "$conf"
  slurmd -f "$conf" -N n1
  slurmd -f "$conf" -N n2
  for _ in $(seq 1 80); do
    states=$(sinfo -h -N -o '%N %T' 2>/dev/null | sort -u | tr '\n' ' ')
    if [ "$(grep -o ' idle' <<<" $states" | wc -l)" = 2 ]; then
      log "two nodes idle: $states(logs: $dir/log)"
      echo "SLURM_CONF=$conf"
      return 0
    fi
    sleep 0.25
  done
  log "the nodes did not become idle within 20 s: ${states:-no answer}; logs: $dir/log"
  exit 3
}

# kill-node <dir> <node>: what a dead machine looks like: its slurmd, job steps and commands gone at once.
kill_node() {
  local node=${3:?usage: $0 kill-node <dir> <node>}
  kill -9 "$(cat "$dir/run/slurmd-$node.pid")" 2>/dev/null || true
  kill_strays "$conf" "$node"
  log "killed $node (slurmd, its job steps and their commands)"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  kill-node) kill_node "$@" ;;
  *) echo "usage: $0 start|stop|kill-node <dir> [node]" >&2; exit 2 ;;
esac
