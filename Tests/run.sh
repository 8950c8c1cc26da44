#!/usr/bin/env bash
# The test command of README.md (and of CI, through .ci/run):
#
#   bash Tests/run.sh
#
# 1. swift build           debug build of the package, including `sluice`
# 2. swift test            unit and in-process tests (Tests/Sluice*Tests)
# 3. pytest Tests/live     live tests: .build/debug/sluice on port 0, driven by
#                          boto3 and the aws CLI over both SQS protocols
#
# Stops at the first step that fails, with that step's exit status.
# Needs the Swift toolchain, libsqlite3-dev, and the Python packages of
# Tests/requirements.txt (pip install -r Tests/requirements.txt).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    PATH="/opt/swift/usr/bin:$PATH"
fi

step() { printf '\n==> %s\n' "$*"; }

if ! python3 -c 'import boto3, pytest' 2>/dev/null; then
    echo "Tests/run.sh: the live tests need boto3 and pytest:" >&2
    echo "    python3 -m pip install -r Tests/requirements.txt" >&2
    exit 1
fi

step "swift build"
swift build

step "swift test"
swift test

# The live tests start this binary; tell them where it is.
SLUICE_BIN="$(swift build --show-bin-path)/sluice"
export SLUICE_BIN

step "python3 -m pytest Tests/live -q"
status=0
python3 -m pytest Tests/live -q || status=$?
if [ "$status" -eq 5 ]; then
    echo "Tests/run.sh: pytest collected no live tests in Tests/live" >&2
fi
exit "$status"
