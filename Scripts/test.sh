#!/usr/bin/env bash
# Runs swift-caffe's whole test suite: installs missing Debian packages, builds, runs `swift test`,
# then checks formatting and doc comments with swift-format (config: .swift-format).
# Usage: bash Scripts/test.sh [extra swift test arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/opt/swift/usr/bin:$PATH"
bash Scripts/install-deps.sh
swift build --build-tests
swift test --skip-build "$@"
swift format lint --strict --recursive Sources Tests
