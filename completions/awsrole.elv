
set edit:completion:arg-completer[awsrole] = { |@words|
    var index = (count $words)
    set index = (- $index 1)

    put (env _CLAP_IFS="\n" _CLAP_COMPLETE_INDEX=(to-string $index) AWSROLE_COMPLETE="elvish" awsrole -- $@words) | to-lines
}

