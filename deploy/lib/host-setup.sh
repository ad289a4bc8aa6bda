# Shell functions deploy/setup-host and deploy/install share (sourced, not run). Debian 12, as root.

# Installs those of the named Debian packages that are missing; a second call with the same list does nothing.
# $1 names the calling script in messages; then optionally --no-install-recommends; the rest are package names.
install_missing_packages() {
  local caller=$1 package options=()
  shift
  if [ "${1:-}" = --no-install-recommends ]; then
    options+=("$1")
    shift
  fi
  local missing=()
  for package in "$@"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    echo "$caller: installing ${missing[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get update -q >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${options[@]}" "${missing[@]}" >&2
  fi
}

# fuse2fs runs as a user of its own, with no login, no home and no groups but its own, and mounts through the
# setuid fusermount3 with allow_other, so that the worker (root) can read the mount: fuse.conf must allow that.
# $1 names the calling script in messages.
ensure_fuse_user() {
  local caller=$1 fuse_user=imginject-fuse
  if ! getent passwd "$fuse_user" >/dev/null; then
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$fuse_user"
    echo "$caller: made the user $fuse_user for fuse2fs" >&2
  fi
  if ! grep -qx '[[:space:]]*user_allow_other[[:space:]]*' /etc/fuse.conf 2>/dev/null; then
    echo user_allow_other >> /etc/fuse.conf
    echo "$caller: allowed allow_other in /etc/fuse.conf (fuse2fs mounts root can read)" >&2
  fi
}

# The dead-letter key: every worker of the broker seals its dead letters with it, and imginject dlq opens them.
# Workers on other hosts need a copy of this very file (same mode); a worker without a usable one does not start.
# Made only when there is none: it is never replaced, since dead letters sealed with it would stay sealed.
# $1 names the calling script in messages.
ensure_dead_letter_key() {
  local caller=$1 key_file=/etc/imginject/dead-letter.key new_key
  if [ ! -e "$key_file" ]; then
    [ -d /etc/imginject ] || install -d -m 0700 -o root -g root /etc/imginject
    new_key=$(mktemp "$key_file.XXXXXX")
    chmod 0600 "$new_key"
    chown root:root "$new_key"
    head -c 32 /dev/urandom > "$new_key"
    mv -n "$new_key" "$key_file"
    rm -f "$new_key"
    echo "$caller: made the dead-letter key $key_file" >&2
  fi
}
