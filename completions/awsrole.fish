complete --keep-order --exclusive --command awsrole --condition 'not __awsrole_exec_words >/dev/null' --arguments "(AWSROLE_COMPLETE=fish awsrole -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"

function __awsrole_exec_words
    set -l sub
    set -l after
    set -l found
    for w in (commandline --current-process --tokenize --cut-at-cursor)[2..-1]
        if set -q found[1]
            set -a after $w
        else if not set -q sub[1]
            string match -q -- '-*' $w; and continue
            set sub $w
            test "$sub" = exec; or return 1
        else if test "$w" = --
            set found 1
        end
    end
    set -q found[1]; or return 1
    string escape -- $after
    return 0
end
complete --keep-order --exclusive --command awsrole --condition '__awsrole_exec_words >/dev/null' --arguments '(complete -C (string join " " -- (__awsrole_exec_words) (commandline --current-token)))'
