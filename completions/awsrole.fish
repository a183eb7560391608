complete --keep-order --exclusive --command awsrole --arguments "(COMPLETE=fish awsrole -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
