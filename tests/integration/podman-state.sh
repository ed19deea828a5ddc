# SPDX-License-Identifier: GPL-2.0-or-later
# podman-state.sh - sourced by tests/integration/podman.sh and
# tests/bench/oci.sh: rootless podman with its whole state under one
# directory of the caller's (never the user's own storage, whose database
# would pin the first run's paths), and gone again at the end.
#
#   podman_state_init DIR DRIVER   write DIR/storage.conf (DRIVER: vfs or
#                                  overlay) and DIR/containers.conf, export
#                                  the environment that points podman there
#   podman_state_end DIR           remove its containers and storage, and end
#                                  its pause process (SIGTERM does not)

podman_state_init() {
	_d=$1
	mkdir -p "$_d/xdg" "$_d/home" "$_d/cfg"
	chmod 0700 "$_d/xdg"
	cat > "$_d/storage.conf" <<EOF_CONF
[storage]
driver = "$2"
graphroot = "$_d/graph"
runroot = "$_d/run"
rootless_storage_path = "$_d/graph"
EOF_CONF
	# the host's cgroups may not be delegated to us: cgroupfs, no pids
	# limit; events in a file rather than the journal
	cat > "$_d/containers.conf" <<EOF_CONF
[containers]
pids_limit = 0
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
EOF_CONF
	export CONTAINERS_STORAGE_CONF="$_d/storage.conf" CONTAINERS_CONF="$_d/containers.conf" \
		XDG_RUNTIME_DIR="$_d/xdg" XDG_CONFIG_HOME="$_d/cfg" XDG_DATA_HOME="$_d/home/.local/share" HOME="$_d/home"
}

podman_state_end() {
	_d=$1
	podman rm -af -t 0 >/dev/null 2>&1 || true
	podman system reset --force >/dev/null 2>&1 || true
	# files of the containers' ids that the reset left (none, normally)
	if [ -d "$_d/graph" ]; then
		podman unshare rm -rf "$_d/graph" "$_d/run" >/dev/null 2>&1 || true
	fi
	# the pause processes that hold podman's user namespace for this state
	for _p in $(pgrep -u "$(id -u)" 2>/dev/null || true); do
		[ "$(cat "/proc/$_p/comm" 2>/dev/null)" = "podman pause" ] || continue
		if tr '\0' '\n' < "/proc/$_p/environ" 2>/dev/null | grep -qx "XDG_RUNTIME_DIR=$_d/xdg"; then
			kill -9 "$_p" 2>/dev/null || true
		fi
	done
	return 0
}
