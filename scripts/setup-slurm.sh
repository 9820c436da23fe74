#!/usr/bin/env bash
# Makes Slurm usable on this machine for mlx's Slurm tests. Safe to run again; needs root on Debian.
#  1. installs Debian's slurm-wlm and munge when sbatch or munged is missing;
#  2. makes munge's folders and key (owned by the munge user) and starts munged as that user.
# The cluster itself (two nodes on this host) is started and stopped per test by scripts/slurm-cluster.sh.
set -euo pipefail
log() { echo "== setup-slurm: $*" >&2; }

if ! command -v sbatch >/dev/null 2>&1 || ! command -v slurmctld >/dev/null 2>&1 || ! command -v munged >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "setup-slurm: Slurm or munge is missing and this is not a root Debian host: install slurm-wlm and munge yourself" >&2
    exit 3
  fi
  log "installing slurm-wlm and munge from Debian"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq slurm-wlm munge >/dev/null
fi

# munged refuses to start unless its folders exist and belong to the munge user, logs and key folder private.
mkdir -p /run/munge /var/log/munge /var/lib/munge /etc/munge
chown munge:munge /run/munge /var/log/munge /var/lib/munge /etc/munge
chmod 0755 /run/munge
chmod 0700 /var/log/munge /etc/munge
if [ ! -s /etc/munge/munge.key ]; then
  log "making a munge key"
  dd if=/dev/urandom bs=1 count=1024 of=/etc/munge/munge.key status=none
fi
chown munge:munge /etc/munge/munge.key
chmod 0400 /etc/munge/munge.key

if ! munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1; then
  log "starting munged as the munge user (log: /var/log/munge/munged.log)"
  runuser -u munge -- /usr/sbin/munged
  for _ in $(seq 1 20); do
    munge -n </dev/null 2>/dev/null | unmunge >/dev/null 2>&1 && break
    sleep 0.25
  done
  munge -n </dev/null | unmunge >/dev/null || { echo "setup-slurm: munged does not answer; see /var/log/munge/munged.log" >&2; exit 3; }
fi
log "munge answers; slurm-wlm $(dpkg-query -W -f='${Version}' slurm-wlm 2>/dev/null || echo "(not from Debian)")"
