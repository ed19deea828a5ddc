# SPDX-License-Identifier: GPL-2.0-or-later
# fish completion for nook (installed into
# $(datadir)/fish/vendor_completions.d): commands, options, profile names
# from `nook profile list`, container names from `nook ps -q`.

function __nook_profiles
    set -l nook (commandline -opc)[1]
    $nook profile list 2>/dev/null | awk 'NR > 1 && $NF != "[shadowed]" { print $1 }'
end

function __nook_containers
    set -l nook (commandline -opc)[1]
    $nook ps -q 2>/dev/null
end

set -l cmds run exec ps stop image profile desktop check help
complete -c nook -f
complete -c nook -n "not __fish_seen_subcommand_from $cmds" -a run -d 'run a command in a new rootless container'
complete -c nook -n "not __fish_seen_subcommand_from $cmds" -a exec -d 'run a command inside a running named container'
complete -c nook -n "not __fish_seen_subcommand_from $cmds" -a ps -d 'list the running named containers'
complete -c nook -n "not __fish_seen_subcommand_from $cmds" -a stop -d 'stop a running named container'
complete -c nook -n "not __fish_seen_subcommand_from $cmds" -a image -d 'pull, import, list and remove OCI images'
complete -c nook -n "not __fish_seen_subcommand_from $cmds" -a profile -d 'list, show or validate profiles'
complete -c nook -n "not __fish_seen_subcommand_from $cmds" -a desktop -d 'install or remove a desktop launcher'
complete -c nook -n "not __fish_seen_subcommand_from $cmds" -a check -d 'check this host and user'
complete -c nook -n "not __fish_seen_subcommand_from $cmds" -a help -d 'show the options of a command'
complete -c nook -n "not __fish_seen_subcommand_from $cmds" -l help -l version

# run
complete -c nook -n "__fish_seen_subcommand_from run" -a "(__nook_profiles)" -d profile
complete -c nook -n "__fish_seen_subcommand_from run" -l rootfs -r -a "(__fish_complete_directories)"
complete -c nook -n "__fish_seen_subcommand_from run" -l image -x
complete -c nook -n "__fish_seen_subcommand_from run" -l store -r -a "(__fish_complete_directories)"
complete -c nook -n "__fish_seen_subcommand_from run" -l bundle -r -a "(__fish_complete_directories)"
complete -c nook -n "__fish_seen_subcommand_from run" -l hostname -x
complete -c nook -n "__fish_seen_subcommand_from run" -l userns -x -a "auto self subuid"
complete -c nook -n "__fish_seen_subcommand_from run" -l uid -x
complete -c nook -n "__fish_seen_subcommand_from run" -l gid -x
complete -c nook -n "__fish_seen_subcommand_from run" -s v -l bind -l volume -r -F
complete -c nook -n "__fish_seen_subcommand_from run" -l tmpfs -x
complete -c nook -n "__fish_seen_subcommand_from run" -s e -l env -x
complete -c nook -n "__fish_seen_subcommand_from run" -s w -l workdir -x
complete -c nook -n "__fish_seen_subcommand_from run" -l network -x -a "none host slirp pasta"
complete -c nook -n "__fish_seen_subcommand_from run" -s p -l publish -x
complete -c nook -n "__fish_seen_subcommand_from run" -l memory -x
complete -c nook -n "__fish_seen_subcommand_from run" -l cpus -x
complete -c nook -n "__fish_seen_subcommand_from run" -l pids -x
complete -c nook -n "__fish_seen_subcommand_from run" -l cap-add -x
complete -c nook -n "__fish_seen_subcommand_from run" -l cap-drop -x
complete -c nook -n "__fish_seen_subcommand_from run" -l seccomp -r -a "default unconfined" -F
complete -c nook -n "__fish_seen_subcommand_from run" -l timeout -x
complete -c nook -n "__fish_seen_subcommand_from run" -l set -x
complete -c nook -n "__fish_seen_subcommand_from run" -l name -x
complete -c nook -n "__fish_seen_subcommand_from run" -l stats-json -r -F
complete -c nook -n "__fish_seen_subcommand_from run" -l verbose
complete -c nook -n "__fish_seen_subcommand_from run" -s t -l tty
complete -c nook -n "__fish_seen_subcommand_from run" -s h -l help

# image
complete -c nook -n "__fish_seen_subcommand_from image; and not __fish_seen_subcommand_from pull import ls rm prune" -a "pull import ls rm prune"
complete -c nook -n "__fish_seen_subcommand_from image" -l store -r -a "(__fish_complete_directories)"
complete -c nook -n "__fish_seen_subcommand_from image" -l tls-verify -x -a "true false"
complete -c nook -n "__fish_seen_subcommand_from image" -l authfile -r -F
complete -c nook -n "__fish_seen_subcommand_from image" -l name -x
complete -c nook -n "__fish_seen_subcommand_from image" -l format -x -a "json table"
complete -c nook -n "__fish_seen_subcommand_from import" -F

# exec, stop, ps, check
complete -c nook -n "__fish_seen_subcommand_from exec stop" -a "(__nook_containers)" -d container
complete -c nook -n "__fish_seen_subcommand_from exec" -s e -l env -x
complete -c nook -n "__fish_seen_subcommand_from exec" -s w -l workdir -x
complete -c nook -n "__fish_seen_subcommand_from exec" -s t -l tty
complete -c nook -n "__fish_seen_subcommand_from exec" -s i -l interactive
complete -c nook -n "__fish_seen_subcommand_from exec" -l verbose
complete -c nook -n "__fish_seen_subcommand_from stop" -s t -l time -x
complete -c nook -n "__fish_seen_subcommand_from ps" -s q -l quiet
complete -c nook -n "__fish_seen_subcommand_from ps" -s a -l all -d "also the user namespace holder"
complete -c nook -n "__fish_seen_subcommand_from check" -l json

# profile, help
complete -c nook -n "__fish_seen_subcommand_from profile; and not __fish_seen_subcommand_from list show validate" -a "list show validate"
complete -c nook -n "__fish_seen_subcommand_from show validate" -a "(__nook_profiles)" -d profile
complete -c nook -n "__fish_seen_subcommand_from show" -l set -x
complete -c nook -n "__fish_seen_subcommand_from desktop; and not __fish_seen_subcommand_from install remove" -a "install remove"
complete -c nook -n "__fish_seen_subcommand_from install remove" -a "(__nook_profiles)" -d profile
complete -c nook -n "__fish_seen_subcommand_from help" -a "$cmds"
