complete --keep-order --exclusive --command awsrole --arguments "(AWSROLE_COMPLETE=fish awsrole -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
