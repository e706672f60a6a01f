#!/usr/bin/env bash
# Regenerates everything under k8s/ that is derived from another part of the repository:
#   - k8s/base/generated/<service>.yaml and k8s/sandbox/generated/sandbox.yaml: the Deployment,
#     Service and ServiceAccount that quarkus-kubernetes generates at build time, with the
#     properties in k8s/generate/<service>.properties passed on the command line (-D...);
#   - k8s/overlays/dev/realm/commerce-chat-realm.json: a copy of the identity module's realm
#     (kustomize only reads files inside the kustomization's own directory).
# k8s-tests checks that none of these is stale or edited by hand.
#
# Usage: k8s/generate.sh [service...]        (default: all four services)
#        k8s/generate.sh --realm-only         (only copy the realm; no Maven build)
# Maven runs through the shared lock (COMMERCECHAT_MVN_LOCK, default /tmp/commercechat-mvn.lock).
# A service whose pom does not yet depend on io.quarkus:quarkus-kubernetes is built from a scratch
# copy with that dependency added (the service's own files are never touched).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K8S="$ROOT/k8s"
LOCK="${COMMERCECHAT_MVN_LOCK:-/tmp/commercechat-mvn.lock}"
ALL=(consent-service account-link-service chat-service sandbox)
HEADER='# generated — do not edit; run k8s/generate.sh'

copy_realm() {
  mkdir -p "$K8S/overlays/dev/realm"
  cp "$ROOT/identity/src/main/resources/realm/commerce-chat-realm.json" \
     "$K8S/overlays/dev/realm/commerce-chat-realm.json"
  echo "realm copied to k8s/overlays/dev/realm/commerce-chat-realm.json"
}

# The application.properties lines that change what quarkus-kubernetes generates; recorded in the
# header so that the staleness test notices when they change (k8s-tests GeneratedManifestsTest).
relevant_app_lines() {
  grep -E '^quarkus\.(kubernetes|container-image|application\.name|smallrye-health|http\.(root-path|non-application-root-path))' \
    "$ROOT/$1/src/main/resources/application.properties" | LC_ALL=C sort || true
}

output_for() {
  if [[ "$1" == sandbox ]]; then echo "$K8S/sandbox/generated/sandbox.yaml"
  else echo "$K8S/base/generated/$1.yaml"; fi
}

quarkus_version() {
  sed -n 's:.*<quarkus.platform.version>\(.*\)</quarkus.platform.version>.*:\1:p' "$ROOT/pom.xml" | head -1
}

generate() {
  local svc="$1" props="$K8S/generate/$1.properties" args=() line moddir workdir=""
  [[ -f "$props" ]] || { echo "no $props" >&2; exit 1; }
  while IFS= read -r line; do
    [[ -z "$line" || "$line" == \#* ]] && continue
    args+=("-D$line")
  done < "$props"

  if grep -q '<artifactId>quarkus-kubernetes</artifactId>' "$ROOT/$svc/pom.xml"; then
    moddir="$ROOT/$svc"
    (cd "$ROOT" && flock "$LOCK" ./mvnw -B -q package -Dmaven.test.skip=true -pl "$svc" "${args[@]}")
  else
    echo "$svc: pom has no io.quarkus:quarkus-kubernetes yet (see k8s/SERVICE-CONFIG.md); building a scratch copy" >&2
    workdir="$(mktemp -d -t commercechat-k8s-gen.XXXXXX)"
    trap 'rm -rf "$workdir"' EXIT
    cp "$ROOT/pom.xml" "$workdir/pom.xml"
    mkdir "$workdir/$svc"
    (cd "$ROOT/$svc" && tar cf - --exclude=./target .) | (cd "$workdir/$svc" && tar xf -)
    python3 - "$workdir/$svc/pom.xml" <<'EOF'
import sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
dep = ("<dependencies>\n    <dependency>\n      <groupId>io.quarkus</groupId>\n"
       "      <artifactId>quarkus-kubernetes</artifactId>\n    </dependency>")
open(p, "w", encoding="utf-8").write(s.replace("<dependencies>", dep, 1))
EOF
    moddir="$workdir/$svc"
    (cd "$ROOT" && flock "$LOCK" ./mvnw -B -q package -Dmaven.test.skip=true -f "$moddir/pom.xml" "${args[@]}")
  fi

  local raw="$moddir/target/kubernetes/kubernetes.yml" out body
  [[ -f "$raw" ]] || { echo "$svc: quarkus-kubernetes wrote no $raw" >&2; exit 1; }
  out="$(output_for "$svc")"
  mkdir -p "$(dirname "$out")"
  body="$(cat "$raw")"
  {
    echo "$HEADER"
    echo "# service: $svc; quarkus: $(quarkus_version); inputs: k8s/generate/$svc.properties"
    echo "# content-sha256: $(printf '%s\n' "$body" | sha256sum | cut -d' ' -f1)"
    while IFS= read -r line; do echo "# input: $line"; done < <(grep -vE '^(#|$)' "$props")
    while IFS= read -r line; do [[ -n "$line" ]] && echo "# app: $line"; done < <(relevant_app_lines "$svc")
    printf '%s\n' "$body"
  } > "$out"
  if [[ -n "$workdir" ]]; then rm -rf "$workdir"; trap - EXIT; fi
  echo "wrote ${out#$ROOT/}"
}

if [[ "${1:-}" == --realm-only ]]; then copy_realm; exit 0; fi
copy_realm
if [[ $# -gt 0 ]]; then services=("$@"); else services=("${ALL[@]}"); fi
for svc in "${services[@]}"; do generate "$svc"; done
