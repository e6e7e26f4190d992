# bash completion for konnectctl: commands, and program names from the running daemon.
_konnectctl_names() {
    # The first column of `konnectctl status` (GROUP:NAME or NAME), plus GROUP:* for groups.
    local opts=("${@}")
    konnectctl "${opts[@]}" status 2>/dev/null | awk '{ print $1; if (index($1, ":")) { split($1, g, ":"); print g[1] ":*" } }' | sort -u
}

_konnectctl() {
    local cur prev words cword
    _init_completion -n : || return
    local commands="status start stop restart signal pid reread reload update avail add remove tail clear maintail events wait logreopen shutdown reexec version convert help"
    local opts=() i cmd="" cmd_at=0
    for ((i = 1; i < cword; i++)); do
        case "${words[i]}" in
            -c|--config|-s|--socket) opts+=("${words[i]}" "${words[i+1]}"); ((i++)) ;;
            --config=*|--socket=*|--json) opts+=("${words[i]}") ;;
            -*) ;;
            *) cmd="${words[i]}"; cmd_at=$i; break ;;
        esac
    done
    if [[ -z "$cmd" ]]; then
        case "$prev" in
            -c|--config) _filedir; return ;;
            -s|--socket) _filedir; return ;;
        esac
        if [[ "$cur" == -* ]]; then
            COMPREPLY=($(compgen -W "-c --config -s --socket --json -h --help" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi
    local nth=$((cword - cmd_at))  # which word after the command is being completed
    case "$cmd" in
        status|start|stop|restart|pid|clear|events)
            COMPREPLY=($(compgen -W "all $(_konnectctl_names "${opts[@]}")" -- "$cur")) ;;
        wait)
            case "$prev" in
                --timeout) return ;;
                --state) COMPREPLY=($(compgen -W "RUNNING STOPPED STARTING BACKOFF STOPPING EXITED FATAL" -- "$cur")); return ;;
            esac
            if [[ "$cur" == -* ]]; then
                COMPREPLY=($(compgen -W "--timeout --state" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "all $(_konnectctl_names "${opts[@]}")" -- "$cur"))
            fi ;;
        signal)
            if ((nth == 1)); then
                COMPREPLY=($(compgen -W "HUP INT QUIT KILL USR1 USR2 TERM" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "all $(_konnectctl_names "${opts[@]}")" -- "$cur"))
            fi ;;
        tail)
            [[ "$prev" == -n ]] && return
            local named=0 j
            for ((j = cmd_at + 1; j < cword; j++)); do
                if [[ "${words[j]}" == -n ]]; then ((j++)); continue; fi
                [[ "${words[j]}" == -* ]] || named=1
            done
            if [[ "$cur" == -* ]]; then
                COMPREPLY=($(compgen -W "-f -n" -- "$cur"))
            elif ((named)); then
                COMPREPLY=($(compgen -W "stdout stderr" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$(_konnectctl_names "${opts[@]}")" -- "$cur"))
            fi ;;
        maintail)
            COMPREPLY=($(compgen -W "-f -n" -- "$cur")) ;;
        reload|update|reread|add|remove)
            COMPREPLY=($(compgen -W "--dry-run $(konnectctl "${opts[@]}" avail 2>/dev/null | awk '{print $1}')" -- "$cur")) ;;
        convert)
            _filedir 'conf|ini' ;;
        help)
            COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
    esac
    __ltrim_colon_completions "$cur"
}
complete -F _konnectctl konnectctl
