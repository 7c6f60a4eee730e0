#!/usr/bin/env bash
# Installs what chainrule needs on a fresh machine: Graphviz's `dot` program (for drawing
# graphs) and this package with its extras. Extras to install: $1 (default test,torch,plots,fast,data).
set -euo pipefail
cd "$(dirname "$0")"
extras="${1:-test,torch,plots,fast,data}"

if ! command -v dot >/dev/null 2>&1; then
  echo "install.sh: Graphviz's dot is missing; installing it" >&2
  if command -v apt-get >/dev/null 2>&1; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq graphviz >/dev/null
  elif command -v brew >/dev/null 2>&1; then
    brew install graphviz
  else
    echo "install.sh: install Graphviz yourself (https://graphviz.org/download/)" >&2
    exit 1
  fi
fi

python -m pip install --quiet -e ".[${extras}]"
echo "install.sh: ready ($(dot -V 2>&1); extras: ${extras})" >&2
