#!/usr/bin/env bash
# The test command (README, .ci/run): installs what the tests need, then runs the whole xunit suite.
# Datasets are not installed here: the tests fetch them through NormSharp's own fetch code.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$root"
bash "$root/scripts/install-test-deps.sh"
dotnet test "$root/NormSharp.slnx" -c Release --nologo "$@"
