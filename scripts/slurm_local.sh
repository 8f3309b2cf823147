#!/usr/bin/env bash
# A single-node Slurm on this machine, for trying `dlc batch slurm --submit` without a cluster:
# Debian's munge, slurmctld and slurmd (apt: munge slurmctld slurmd slurm-client), configured
# on localhost in a folder this script owns, started and stopped by the pids they write.
#
#   scripts/slurm_local.sh start DIR   # then: export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm_local.sh stop DIR
#
# No accounting database: jobacct_gather/linux samples each job's memory every second (sstat
# reads it while the job runs), accounting_storage/none keeps no history, so sacct has no MaxRSS;
# jobcomp/filetxt records each job's end in DIR/jobcomp.log. dlc's own log line ("memory: peak RSS
# dlc ..., ffmpeg decoder ..., encoder ...", the kernel's figures) gives each part's peak.
set -euo pipefail

usage() {
  echo "usage: $0 start|stop DIR" >&2
  exit 2
}
[[ $# -eq 2 ]] || usage
action=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
conf="$dir/slurm.conf"

stop_pidfile() {
  local file=$1
  [[ -f "$file" ]] || return 0
  local pid
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  fi
  rm -f "$file"
}

case "$action" in
  stop)
    stop_pidfile "$dir/slurmd.pid"
    stop_pidfile "$dir/slurmctld.pid"
    stop_pidfile "$dir/munge/munged.pid"
    echo "[slurm_local] stopped"
    exit 0
    ;;
  start) ;;
  *) usage ;;
esac

mkdir -p "$dir/state" "$dir/spool" "$dir/munge" "$dir/log"
chmod 0700 "$dir/munge"
if [[ ! -f "$dir/munge/munge.key" ]]; then
  mungekey --create --keyfile="$dir/munge/munge.key"
fi
chmod 0400 "$dir/munge/munge.key"
socket="$dir/munge/munge.socket.2"
# --force: munged refuses a key folder it does not think private enough, and root.
munged --force --key-file="$dir/munge/munge.key" --socket="$socket" --pid-file="$dir/munge/munged.pid" \
  --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed"

host=$(hostname -s)
cpus=$(nproc)
# RealMemory in MB: what the machine has, less 1 GiB for the daemons and the system.
memory=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 - 1024 ))
cat >"$conf" <<CONF
ClusterName=dlclocal
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=task=1
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.log
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU_Memory
ReturnToService=2
MpiDefault=none
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$memory State=UNKNOWN
PartitionName=local Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF

export SLURM_CONF="$conf"
slurmctld -f "$conf"
slurmd -f "$conf"
for _ in $(seq 100); do
  if sinfo -h -o %T 2>/dev/null | grep -qE '^(idle|mixed|allocated)'; then
    echo "[slurm_local] up: export SLURM_CONF=$conf"
    exit 0
  fi
  sleep 0.2
done
echo "[slurm_local] slurmd did not come up; see $dir/log/" >&2
exit 1
