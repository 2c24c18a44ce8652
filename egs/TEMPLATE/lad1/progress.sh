# shellcheck shell=bash
# Sourced by lad.sh and egs/audio_mlqa/eval1/run.sh (after their log function): long commands
# whose output goes to a log file, with a line on the console every ${LAD_PROGRESS_EVERY:-30} s.
#   logged <log file> <command...>           the output appended to the log; on failure its end
#   logged_progress <log file> <command...>  logged, and every 30 s the log's last "progress:"
#                                            line (lad.log.Progress: done/total, rate, ETA)
#   logged_training <exp> <command...>       logged to <exp>/logs/train.log, and every 30 s
#                                            lad.bin.train_progress's line (epoch, updates, ETA)

logged() {
    local logfile="$1"; shift
    if ! "$@" >> "${logfile}" 2>&1; then
        tail -n 30 "${logfile}" >&2
        log "FAILED (full log: ${logfile})"
        exit 1
    fi
}

# watch_progress <pid> <command printing one line...>: while <pid> runs, print the line every
# LAD_PROGRESS_EVERY seconds; then wait for <pid> and return its status
watch_progress() {
    local pid="$1"; shift
    local every="${LAD_PROGRESS_EVERY:-30}" waited=0 line
    while kill -0 "${pid}" 2> /dev/null; do
        sleep 1  # a finished command is noticed within a second
        waited=$((waited + 1))
        if [ $((waited % every)) -eq 0 ] && kill -0 "${pid}" 2> /dev/null; then
            line="$("$@" 2> /dev/null || true)"
            [ -z "${line}" ] || log "  ${line}"
        fi
    done
    wait "${pid}"
}

last_progress_line() {  # the last "progress: ..." line of a log file, from "progress:" on
    grep -a -o 'progress: .*' "$1" 2> /dev/null | tail -n 1
}

logged_progress() {
    local logfile="$1"; shift
    logged "${logfile}" "$@" &
    watch_progress $! last_progress_line "${logfile}"
}

logged_training() {
    local exp="$1"; shift
    logged "${exp}/logs/train.log" "$@" &
    watch_progress $! python -m lad.bin.train_progress --exp "${exp}"
}
