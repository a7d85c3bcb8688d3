#!/usr/bin/env bash
# System packages some tests use (Debian 12). Idempotent; a no-op when everything is present.
#   openmpi-bin, libopenmpi-dev   the distributed (MPI) tests launch `mpirun -np 2` (tests/NormSharp.Tests/Distributed)
# On a fresh machine the package lists may be missing: the first install then fails and is retried after
# `apt-get update`. When nothing can be installed the distributed tests fail with the same hint (never skip).
#   python3-torch, libopenblas0-pthread
#                                 the PyTorch interop tests run tests/interop/check_torch.py with /usr/bin/python3
#                                 (about 45 s to install after an apt-get update)
set -euo pipefail
need=()
command -v mpirun >/dev/null 2>&1 || need+=(openmpi-bin libopenmpi-dev)
/usr/bin/python3 -c 'import torch' >/dev/null 2>&1 || need+=(python3-torch libopenblas0-pthread)
if ((${#need[@]} == 0)); then exit 0; fi
if [[ $(id -u) -ne 0 ]]; then
  echo "install-test-deps: missing ${need[*]}; run: sudo apt-get install -y ${need[*]}" >&2
  exit 0
fi
echo "install-test-deps: installing ${need[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq "${need[@]}" >/dev/null 2>&1; then
  if ! { apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; }; then
    echo "install-test-deps: could not install ${need[*]} (see apt's messages above); the MPI tests will fail" >&2
    exit 1
  fi
fi
command -v mpirun >/dev/null 2>&1 || { echo "install-test-deps: ${need[*]} installed but mpirun is not on PATH" >&2; exit 1; }
