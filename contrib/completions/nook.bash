# SPDX-License-Identifier: GPL-2.0-or-later
# bash completion for nook: commands, options, option values, profile names
# (from `nook profile list`, so the whole search path) and container names
# (from `nook ps -q`). Installed by make install into
# $(datadir)/bash-completion/completions/nook.

_nook_profiles() {
	"$1" profile list 2>/dev/null | awk 'NR > 1 && $NF != "[shadowed]" { print $1 }'
}

_nook_containers() {
	"$1" ps -q 2>/dev/null
}

_nook() {
	local cur prev nook cmd i j
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD - 1]}
	nook=${COMP_WORDS[0]}
	COMPREPLY=()

	local commands="run exec ps stop image profile desktop check help"
	local run_opts="--rootfs --image --store --bundle --hostname --userns --uid --gid --bind --volume --tmpfs --env --workdir
		--network --publish --memory --cpus --pids --cap-add --cap-drop --seccomp --timeout --set
		--name --stats-json --verbose --tty --help -v -e -w -p -t -h"

	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done
	if [[ -z $cmd ]]; then
		COMPREPLY=($(compgen -W "$commands --help --version" -- "$cur"))
		return
	fi

	# after "--" comes the container's command
	for ((j = i + 1; j < COMP_CWORD; j++)); do
		if [[ ${COMP_WORDS[j]} == -- ]]; then
			COMPREPLY=($(compgen -c -- "$cur"))
			return
		fi
	done

	case $cmd in
	run)
		case $prev in
		--rootfs|--store|--workdir|-w) COMPREPLY=($(compgen -d -- "$cur")); return ;;
		--bind|--volume|-v|--stats-json) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		--network) COMPREPLY=($(compgen -W "none host slirp pasta" -- "$cur")); return ;;
		--userns) COMPREPLY=($(compgen -W "auto self subuid" -- "$cur")); return ;;
		--seccomp) COMPREPLY=($(compgen -W "default unconfined" -- "$cur") $(compgen -f -- "$cur")); return ;;
		--hostname|--uid|--gid|--tmpfs|--env|-e|--publish|-p|--memory|--cpus|--pids|--cap-add|--cap-drop|--timeout|--set|--name)
			return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "$run_opts --" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_nook_profiles "$nook")" -- "$cur"))
		fi
		;;
	exec)
		case $prev in
		--env|-e) return ;;
		--workdir|-w) return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--env --workdir --tty --interactive --verbose --help -e -w -t -i" -- "$cur"))
			return
		fi
		# the first word that is not an option (or an option's value) is the name
		local name= k
		for ((k = i + 1; k < COMP_CWORD; k++)); do
			case ${COMP_WORDS[k]} in
			-e|--env|-w|--workdir) ((k++)) ;;
			-*) ;;
			*) name=${COMP_WORDS[k]}; break ;;
			esac
		done
		if [[ -z $name ]]; then
			COMPREPLY=($(compgen -W "$(_nook_containers "$nook")" -- "$cur"))
		else
			COMPREPLY=($(compgen -c -- "$cur"))
		fi
		;;
	stop)
		case $prev in
		--time|-t) return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--time --help -t" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$(_nook_containers "$nook")" -- "$cur"))
		fi
		;;
	ps) COMPREPLY=($(compgen -W "--quiet --all --help -q -a" -- "$cur")) ;;
	image)
		if [[ $COMP_CWORD -eq $((i + 1)) ]]; then
			COMPREPLY=($(compgen -W "pull import ls rm prune --help" -- "$cur"))
			return
		fi
		case $prev in
		--store) COMPREPLY=($(compgen -d -- "$cur")); return ;;
		--authfile) COMPREPLY=($(compgen -f -- "$cur")); return ;;
		--format) COMPREPLY=($(compgen -W "json table" -- "$cur")); return ;;
		--name) return ;;
		esac
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--store --tls-verify=false --authfile --name --format --quiet --help" -- "$cur"))
		elif [[ ${COMP_WORDS[i + 1]} == import ]]; then
			COMPREPLY=($(compgen -f -- "$cur"))
		elif [[ ${COMP_WORDS[i + 1]} == rm ]]; then
			COMPREPLY=($(compgen -W "$("$nook" image ls --format json 2>/dev/null | sed -n 's/^ *"name":"\(.*\)",$/\1/p')" -- "$cur"))
		fi
		;;
	check) COMPREPLY=($(compgen -W "--json --help" -- "$cur")) ;;
	help) [[ $COMP_CWORD -eq $((i + 1)) ]] && COMPREPLY=($(compgen -W "$commands" -- "$cur")) ;;
	desktop)
		if [[ $COMP_CWORD -eq $((i + 1)) ]]; then
			COMPREPLY=($(compgen -W "install remove --help" -- "$cur"))
		elif [[ $COMP_CWORD -eq $((i + 2)) ]]; then
			COMPREPLY=($(compgen -W "$(_nook_profiles "$nook")" -- "$cur") $(compgen -f -X '!*.yaml' -- "$cur"))
		fi
		;;
	profile)
		if [[ $COMP_CWORD -eq $((i + 1)) ]]; then
			COMPREPLY=($(compgen -W "list show validate --help" -- "$cur"))
			return
		fi
		case ${COMP_WORDS[i + 1]} in
		show|validate)
			if [[ $prev == --set ]]; then
				return
			elif [[ $cur == -* ]]; then
				COMPREPLY=($(compgen -W "--set --" -- "$cur"))
			else
				COMPREPLY=($(compgen -W "$(_nook_profiles "$nook")" -- "$cur") $(compgen -f -X '!*.yaml' -- "$cur"))
			fi
			;;
		esac
		;;
	esac
}
complete -F _nook nook
