#!/bin/sh
# Start the server's sshd in the foreground, as a provider's fresh machine would have it.
#   - host keys: generated on first start if missing (so every container has its own);
#   - root's authorized_keys: from $SSH_AUTHORIZED_KEYS, or from the file named by
#     $SSH_AUTHORIZED_KEYS_FILE (default /etc/testbed/authorized_keys) if mounted.
set -eu

# Docker mounts the cgroup hierarchies read-only into an unprivileged container; a
# Docker engine installed on this "server" needs them writable to run containers.
# With a private cgroup namespace the fresh mounts show only this container's subtree.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  mount -o remount,rw /sys/fs/cgroup 2>/dev/null || echo "testbed: cgroup2 stays read-only" >&2
else
  for dir in /sys/fs/cgroup/*/; do
    name=$(basename "$dir")
    opts=$(awk -v m="/sys/fs/cgroup/$name" '$5 == m { print $NF }' /proc/self/mountinfo | tr ',' '\n' | grep -vE '^(rw|ro)$' | paste -sd, -)
    case $opts in name=*) opts="none,$opts" ;; esac
    { umount "$dir" && mount -t cgroup -o "$opts" cgroup "$dir"; } 2>/dev/null || echo "testbed: $dir stays read-only" >&2
  done
fi

# A real server's root sets its network's kernel settings (Hydron's proxy step sets
# net.ipv4.tcp_migrate_req); Docker mounts /proc/sys read-only. Only net/ is made
# writable: those settings belong to this container's network namespace, the rest of
# /proc/sys is the host's.
{ mount --bind /proc/sys/net /proc/sys/net && mount -o remount,bind,rw /proc/sys/net; } 2>/dev/null \
  || echo "testbed: /proc/sys/net stays read-only" >&2

ssh-keygen -A >/dev/null
mkdir -p /run/sshd            # sshd's privilege-separation dir; /run may be a fresh tmpfs
chmod 0755 /run/sshd

install -d -m 0700 /root/.ssh
keys_file=${SSH_AUTHORIZED_KEYS_FILE:-/etc/testbed/authorized_keys}
if [ -n "${SSH_AUTHORIZED_KEYS:-}" ]; then
  printf '%s\n' "$SSH_AUTHORIZED_KEYS" > /root/.ssh/authorized_keys
elif [ -f "$keys_file" ]; then
  cat "$keys_file" > /root/.ssh/authorized_keys
fi
[ -f /root/.ssh/authorized_keys ] && chmod 0600 /root/.ssh/authorized_keys

exec /usr/sbin/sshd -D -e "$@"
