#!/usr/bin/env bash
# Installs the Debian packages swift-caffe needs (build, tests and the data scripts) if missing.
#
# Libraries are checked with dpkg; tools that may come from elsewhere (python3, pip, curl) are
# checked by running them, so a python3 from another source counts. Prints nothing when all is
# present. As root it runs apt-get update once and installs what is missing; otherwise it prints
# the apt-get line to run and exits 1.
set -euo pipefail

# Debian package, then the command that proves it is present ("" = ask dpkg).
REQUIREMENTS=(
  "liblmdb-dev|"
  "libleveldb-dev|"
  "libopenblas-dev|"
  "libcairo2-dev|"
  "libhdf5-dev|"
  "libjpeg62-turbo-dev|"
  "libpng-dev|"
  "graphviz|dot -V"
  "fonts-dejavu-core|"
  "pkg-config|pkg-config --version"
  "gzip|gunzip --version"
  "curl|curl --version"
  "python3|python3 --version"
  "python3-pip|python3 -m pip --version"
)

is_installed() {
  dpkg -s "$1" 2>/dev/null | grep -q '^Status: install ok installed'
}

missing=()
for entry in "${REQUIREMENTS[@]}"; do
  package="${entry%%|*}"
  probe="${entry#*|}"
  if [ -n "$probe" ] && $probe >/dev/null 2>&1; then
    continue
  fi
  is_installed "$package" || missing+=("$package")
done

[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "error: missing Debian packages: ${missing[*]}; install them with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "Installing ${missing[*]}..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "Installed ${missing[*]}."
