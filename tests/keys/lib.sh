# SPDX-License-Identifier: ISC
# lib.sh: helpers every keys check sources: a private temp dir, fail/ok.
# usage in a check: . "$(dirname "$0")/lib.sh" "$@"   (arg 1: sotto-keygen)
set -eu
# Never a terminal on stdin: sotto-keygen would ask for a passphrase there.
exec </dev/null
KEYGEN=${1:?usage: $0 SOTTO_KEYGEN}
T=$(mktemp -d "${TMPDIR:-/tmp}/sotto-keys.XXXXXX")
trap 'rm -rf "$T"' EXIT INT TERM
cd "$T"

fail() { echo "FAIL: $*" >&2; exit 1; }
ok() { echo "ok: $*"; }

# The SHA256:... field of an `ssh-keygen -l`-style line.
fpr_of() { printf '%s\n' "$1" | awk '{ print $2 }'; }
# "type base64" of a public key line, comment dropped.
key_of() { printf '%s\n' "$1" | awk '{ print $1 " " $2 }'; }
# File mode in octal, e.g. 600.
mode_of() { stat -c %a "$1"; }
