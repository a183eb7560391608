
_clap_complete_awsrole() {
    local IFS=$'\013'
    local _CLAP_COMPLETE_INDEX=${COMP_CWORD}
    local _CLAP_COMPLETE_COMP_TYPE=${COMP_TYPE}
    if compopt +o nospace 2> /dev/null; then
        local _CLAP_COMPLETE_SPACE=false
    else
        local _CLAP_COMPLETE_SPACE=true
    fi
    local words=("${COMP_WORDS[@]}")
    if [[ "${BASH_VERSINFO[0]}" -ge 4 ]]; then
        words[COMP_CWORD]="$2"
    fi
    COMPREPLY=( $( \
        _CLAP_IFS="$IFS" \
        _CLAP_COMPLETE_INDEX="$_CLAP_COMPLETE_INDEX" \
        _CLAP_COMPLETE_COMP_TYPE="$_CLAP_COMPLETE_COMP_TYPE" \
        _CLAP_COMPLETE_SPACE="$_CLAP_COMPLETE_SPACE" \
        AWSROLE_COMPLETE="bash" \
        "awsrole" -- "${words[@]}" \
    ) )
    if [[ $? != 0 ]]; then
        unset COMPREPLY
    elif [[ $_CLAP_COMPLETE_SPACE == false ]] && [[ "${COMPREPLY-}" =~ [=/:]$ ]]; then
        compopt -o nospace
    fi
}
if [[ "${BASH_VERSINFO[0]}" -eq 4 && "${BASH_VERSINFO[1]}" -ge 4 || "${BASH_VERSINFO[0]}" -gt 4 ]]; then
    complete -o nospace -o bashdefault -o nosort -F _awsrole_complete awsrole
else
    complete -o nospace -o bashdefault -F _awsrole_complete awsrole
fi


_awsrole_exec_offset() {
    local i sub=
    for ((i = 1; i < COMP_CWORD; i++)); do
        if [[ -z $sub ]]; then
            [[ ${COMP_WORDS[i]} == -* ]] && continue
            sub=${COMP_WORDS[i]}
            [[ $sub == exec ]] || return 1
        elif [[ ${COMP_WORDS[i]} == -- ]]; then
            _awsrole_offset=$((i + 1))
            return 0
        fi
    done
    return 1
}
_awsrole_complete() {
    local _awsrole_offset
    if ! _awsrole_exec_offset; then
        _clap_complete_awsrole "$@"
        return
    fi
    compopt +o nospace 2>/dev/null
    if declare -F _comp_command_offset >/dev/null; then
        _comp_command_offset "$_awsrole_offset"
    elif declare -F _command_offset >/dev/null; then
        _command_offset "$_awsrole_offset"
    elif ((COMP_CWORD == _awsrole_offset)); then
        COMPREPLY=($(compgen -c -- "$2"))
    else
        COMPREPLY=($(compgen -f -- "$2"))
    fi
}
