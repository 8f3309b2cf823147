# Sourced by the bench scripts that watch a dlc job's process tree from /proc (job_tree_memory.sh,
# first_run_memory.sh); not run on its own. Figures in KiB.

field_kib() {  # PID KEY: the KEY: line of /proc/PID/status in KiB, or nothing
  local key value _
  while read -r key value _; do
    if [[ "$key" == "$2:" ]]; then echo "$value"; return; fi
  done 2>/dev/null <"/proc/$1/status" || true
}

mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# watch_tree PID: reads /proc every 0.05 s until PID exits. Sets own (PID's VmHWM), tree (the
# highest sum of PID's and its children's VmRSS at one reading) and child_hwm[CHILD] (each child's
# last VmHWM read before it exited).
watch_tree() {
  local hwm rss sum child c_hwm c_rss
  own=0 tree=0
  unset child_hwm
  declare -gA child_hwm=()
  while kill -0 "$1" 2>/dev/null; do
    hwm="$(field_kib "$1" VmHWM)" rss="$(field_kib "$1" VmRSS)"
    [[ -n "$hwm" && "$hwm" -gt "$own" ]] && own="$hwm"
    sum="${rss:-0}"
    for child in $(pgrep -P "$1" || true); do
      c_hwm="$(field_kib "$child" VmHWM)" c_rss="$(field_kib "$child" VmRSS)"
      [[ -n "$c_hwm" ]] && child_hwm[$child]="$c_hwm"
      sum=$((sum + ${c_rss:-0}))
    done
    ((sum > tree)) && tree="$sum"
    sleep 0.05
  done
}
