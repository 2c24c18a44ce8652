# shellcheck shell=bash
# Kaldi-style option parsing, sourced by lad.sh and the other stage scripts:
#   options=" stage stop_stage nj "   # the variables --name value may set (spaces around each)
#   help_message="..."
#   . ./parse_options.sh             # consumes the script's arguments
# Unknown options and stray arguments exit with status 2; a repeated option keeps the last value.
# shellcheck disable=SC2154  # options and help_message come from the sourcing script
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) echo "${help_message}"; exit 0 ;;
        --*)
            _name="${1#--}"
            if [ $# -lt 2 ]; then echo "$0: option $1 needs a value" >&2; exit 2; fi
            if [[ ! "${options}" =~ [[:space:]]${_name}[[:space:]] ]]; then
                echo "$0: unknown option: $1" >&2; exit 2
            fi
            printf -v "${_name}" '%s' "$2"
            shift 2
            ;;
        *) echo "$0: unexpected argument: $1" >&2; exit 2 ;;
    esac
done
unset _name
