#!/usr/bin/env bash
# Sets chainrule up on a fresh machine: Graphviz's `dot` program (to draw graphs), a Python
# environment, and this package with the extras named in $1 (default test,plots,fast,data: the
# engine, the tests, plots and NumPy; add torch for the PyTorch comparisons, as in
# `./install.sh test,torch,plots,fast,data`).
#
# The environment is the active virtual environment if there is one ($VIRTUAL_ENV), else
# .venv in this folder, made here with `python3 -m venv`. `./run` uses the same rule.
# Needs no root: without it, whatever needs an administrator is named at the end.
# Exit status: 0 ready; 1 failed; 2 the Python part is ready but `dot` is missing.
set -euo pipefail
cd "$(dirname "$0")"
extras="${1:-test,plots,fast,data}"
start=$SECONDS
step() { printf '\ninstall.sh [%s/4] %s\n' "$1" "$2" >&2; }
say() { printf 'install.sh: %s\n' "$*" >&2; }
todo=()  # what an administrator still has to install
set +u  # "${todo[@]}" of an empty array is an error for bash before 4.4 under set -u


# Runs a command as root: directly when root, through sudo when it may be used, else fails.
as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1 && { sudo -n true 2>/dev/null || [ -t 0 ]; }; then
    sudo "$@"
  else
    return 1
  fi
}

apt_updated=""
apt_install() {  # apt_install PACKAGE...: installs Debian/Ubuntu packages, if allowed
  command -v apt-get >/dev/null 2>&1 || return 1
  if [ -z "$apt_updated" ]; then
    as_root apt-get update -qq || return 1
    apt_updated=1
  fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

step 1 "Graphviz's dot program (draws graphs)"
if command -v dot >/dev/null 2>&1; then
  say "found $(command -v dot)"
else
  say "dot is missing; trying to install Graphviz"
  if command -v apt-get >/dev/null 2>&1; then
    apt_install graphviz || todo+=("graphviz   (an administrator runs: apt-get install graphviz)")
  elif command -v brew >/dev/null 2>&1; then
    brew install graphviz || todo+=("graphviz   (brew install graphviz)")
  else
    todo+=("graphviz   (see https://graphviz.org/download/ for your system)")
  fi
fi

step 2 "Python environment"
if [ -n "${VIRTUAL_ENV:-}" ]; then
  py="$VIRTUAL_ENV/bin/python"
  say "using the active virtual environment $VIRTUAL_ENV"
  [ -x "$py" ] || { say "$py does not exist: activate a working virtual environment"; exit 1; }
else
  base="$(command -v python3 || command -v python || true)"
  [ -n "$base" ] || { say "no python3 found: install Python 3.10 or newer"; exit 1; }
  if ! "$base" -c 'import sys; sys.exit(sys.version_info < (3, 10))'; then
    say "$base is Python $("$base" -c 'import sys; print(sys.version.split()[0])'); chainrule needs 3.10 or newer"
    exit 1
  fi
  if [ -x .venv/bin/python ]; then
    say "using .venv (made earlier)"
  else
    say "making .venv with $base -m venv"
    if ! "$base" -m venv .venv >/dev/null 2>&1; then
      rm -rf .venv
      venv_pkg="python3-venv"
      versioned="$("$base" -c 'import sys; print(f"python3.{sys.version_info[1]}-venv")')"
      say "Python's venv module is missing; trying to install $venv_pkg"
      if apt_install "$venv_pkg" && "$base" -m venv .venv; then
        :
      else
        rm -rf .venv
        say "cannot make a virtual environment: $base lacks the venv module."
        say "An administrator installs it with: apt-get install $venv_pkg"
        say "(or $versioned for this Python); then run ./install.sh again."
        for item in "${todo[@]}"; do say "also missing: $item"; done
        exit 1
      fi
    fi
  fi
  py="$PWD/.venv/bin/python"
fi
say "Python: $("$py" -c 'import sys; print(sys.executable, sys.version.split()[0])')"

step 3 "chainrule and its extras: ${extras}"
without_torch="$(printf '%s' ",$extras," | sed -E 's/,(torch|bench|dev),/,/g; s/,(torch|bench|dev),/,/g; s/^,//; s/,$//')"  # bench and dev bring torch too
[ -n "$without_torch" ] || without_torch=test
if [[ ",$extras," == *",torch,"* ]] && [ "$(uname -s)" = Linux ] \
   && ! "$py" -c 'import torch' >/dev/null 2>&1; then
  # On Linux pip may pick PyTorch's CUDA build (several GB). Say so before downloading it.
  torch_req="$(sed -n 's/^torch = \["\([^"]*\)"\].*/\1/p' pyproject.toml)"
  torch_file="$("$py" -m pip install --dry-run --no-deps --quiet --report - "${torch_req:-torch}" 2>/dev/null \
    | "$py" -c 'import json, sys; print(json.load(sys.stdin)["install"][0]["download_info"]["url"])' \
    2>/dev/null || true)"
  if [ -n "$torch_file" ] && [[ "$torch_file" != *"%2Bcpu"* && "$torch_file" != *"+cpu"* ]]; then
    say "warning: pip would install PyTorch's CUDA build ($torch_file), several GB."
    say "To avoid it, install the CPU build from PyTorch's own index first:"
    say "  $py -m pip install torch --index-url https://download.pytorch.org/whl/cpu"
    say "or leave 'torch' out: ./install.sh ${without_torch}"
  fi
fi
pip_log="$(mktemp)"
trap 'rm -f "$pip_log"' EXIT
set +e
"$py" -m pip install --progress-bar off -e ".[${extras}]" 2>&1 | tee "$pip_log" \
  | grep -v -E "^(Requirement already satisfied|WARNING: Location .* is ignored)" >&2
pip_status=${PIPESTATUS[0]}
set -e
if [ "$pip_status" -ne 0 ]; then
  platform="$(uname -s) $(uname -m), Python $("$py" -c 'import sys; print(sys.version.split()[0])')"
  if grep -Eq "(No matching distribution found for|satisfies the requirement) torch" "$pip_log"; then
    say "pip failed: PyPI has no PyTorch wheel for this platform ($platform)."
    say "Install without PyTorch (its comparison tests are then skipped): ./install.sh ${without_torch}"
    say "or install a torch build for this platform first (see https://pytorch.org), then run this again."
  elif failed="$(grep -E "^ERROR: " "$pip_log" | head -n 1)" && [ -n "$failed" ]; then
    say "pip failed installing the extras ${extras} on ${platform}: ${failed#ERROR: }"
  else
    say "pip failed installing the extras ${extras} on ${platform} (its output is above)"
  fi
  exit 1
fi

step 4 "checks"
ok=1
if "$py" -c 'import nn; from autograd._distribution import check; check(thorough=True)'; then
  say "import autograd, nn: ok ($("$py" -c 'import autograd; print(autograd.__file__)'))"
else
  say "import autograd, nn: FAILED (above)"
  exit 1
fi
if command -v dot >/dev/null 2>&1 && dot_version="$(dot -V 2>&1)"; then
  say "dot -V: ${dot_version}"
else
  say "dot -V: FAILED: Graphviz's dot does not run"
  ok=0
  [ ${#todo[@]} -gt 0 ] || todo+=("graphviz   (an administrator runs: apt-get install graphviz)")
fi
elapsed=$((SECONDS - start))
if [ "$ok" -eq 1 ]; then
  say "ready in ${elapsed} s (extras: ${extras}). Run Python here with ./run, e.g. ./run -m pytest"
  exit 0
fi
say "the Python part is ready in ${elapsed} s (extras: ${extras}), but not everything:"
for item in "${todo[@]}"; do say "  missing: $item"; done
say "Until then drawing graphs fails, and the tests that need dot are skipped (failed under CI=true)."
exit 2
