# shellcheck shell=bash
# How lad.sh launches its jobs. "local" runs them on this machine. For a cluster, set
# cmd_backend=slurm and adjust the options; every job command is prefixed with the
# matching *_cmd (e.g. srun ... python -m lad.bin.lad_train ...).
cmd_backend=local

case "${cmd_backend}" in
    local)
        train_cmd=""
        decode_cmd=""
        ;;
    slurm)
        train_cmd="srun --partition=gpu --gres=gpu:4 --cpus-per-task=16 --mem=256G --time=48:00:00"
        decode_cmd="srun --partition=gpu --gres=gpu:1 --cpus-per-task=8 --mem=64G --time=4:00:00"
        ;;
    *)
        echo "cmd.sh: unknown cmd_backend ${cmd_backend}" >&2
        exit 1
        ;;
esac
export train_cmd decode_cmd
