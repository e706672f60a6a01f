#!/usr/bin/env bash
# Regenerates everything under k8s/ that is derived from another part of the repository:
#   - k8s/base/generated/<service>.yaml and k8s/sandbox/generated/sandbox.yaml: the Deployment,
#     Service and ServiceAccount that quarkus-kubernetes writes at package time
#     (<service>/target/kubernetes/kubernetes.yml), from the quarkus.kubernetes.* lines in the
#     service's own application.properties;
#   - k8s/overlays/dev/realm/commerce-chat-realm.json: a copy of the identity module's realm
#     (kustomize only reads files inside the kustomization's own directory).
# k8s-tests (GeneratedManifestsTest) fails when one of these is stale or edited by hand.
#
# Usage: k8s/generate.sh [service...]        (default: all four services; ~2-3 min of Maven each)
#        k8s/generate.sh --realm-only         (only copy the realm; no Maven build)
# Maven runs through the shared lock (COMMERCECHAT_MVN_LOCK, default /tmp/commercechat-mvn.lock),
# one service at a time; MVN_ARGS adds options (e.g. MVN_ARGS=-o for offline).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
K8S="$ROOT/k8s"
LOCK="${COMMERCECHAT_MVN_LOCK:-/tmp/commercechat-mvn.lock}"
ALL=(consent-service account-link-service chat-service sandbox)

copy_realm() {
  mkdir -p "$K8S/overlays/dev/realm"
  cp "$ROOT/identity/src/main/resources/realm/commerce-chat-realm.json" \
     "$K8S/overlays/dev/realm/commerce-chat-realm.json"
  echo "realm copied to k8s/overlays/dev/realm/commerce-chat-realm.json"
}

# The inputs that decide what quarkus-kubernetes generates, recorded in the header so that the
# staleness test can recompute them from the checked-in files. Keep both filters identical to
# k8s-tests GeneratedManifestsTest (RELEVANT_APP_LINE, quarkusExtensions()).
#  1. application.properties lines for the prod profile (unprofiled or %prod.) under these prefixes:
relevant_app_lines() {
  grep -E '^(%prod\.)?quarkus\.(kubernetes|container-image|jib|application\.(name|version)|smallrye-health|management|shutdown|http\.(port|root-path|non-application-root-path)|grpc\.server\.(use-separate-server|port))[.=]' \
    "$ROOT/$1/src/main/resources/application.properties" | LC_ALL=C sort || true
}
#  2. the Quarkus extensions the pom depends on outside test scope (they add probes, ports,
#     annotations: smallrye-health, micrometer, grpc, ...);
quarkus_extensions() {
  python3 - "$ROOT/$1/pom.xml" <<'PY'
import re, sys
pom = open(sys.argv[1], encoding="utf-8").read()
deps = re.search(r"<dependencies>(.*?)</dependencies>", pom, re.S).group(1)
found = set()
for d in re.findall(r"<dependency>(.*?)</dependency>", deps, re.S):
    g = re.search(r"<groupId>\s*([^<\s]+)\s*</groupId>", d)
    a = re.search(r"<artifactId>\s*([^<\s]+)\s*</artifactId>", d)
    s = re.search(r"<scope>\s*([^<\s]+)\s*</scope>", d)
    if g and a and g.group(1) == "io.quarkus" and (s is None or s.group(1) != "test"):
        found.add(a.group(1))
print("\n".join(sorted(found)))
PY
}
#  3. the Quarkus version.
quarkus_version() {
  sed -n 's:.*<quarkus.platform.version>\(.*\)</quarkus.platform.version>.*:\1:p' "$ROOT/pom.xml" | head -1
}

output_for() {
  if [[ "$1" == sandbox ]]; then echo "$K8S/sandbox/generated/sandbox.yaml"
  else echo "$K8S/base/generated/$1.yaml"; fi
}

generate() {
  local svc="$1" raw out body line
  grep -q '<artifactId>quarkus-kubernetes</artifactId>' "$ROOT/$svc/pom.xml" || {
    echo "$svc: pom.xml has no io.quarkus:quarkus-kubernetes dependency" >&2; exit 1; }
  raw="$ROOT/$svc/target/kubernetes/kubernetes.yml"
  rm -f "$raw"
  # Tests are not compiled (other work in progress must not block this); image builds stay off.
  (cd "$ROOT" && flock "$LOCK" ./mvnw -B -q ${MVN_ARGS:-} package -pl "$svc" \
      -Dmaven.test.skip=true -Dquarkus.container-image.build=false)
  [[ -f "$raw" ]] || { echo "$svc: quarkus-kubernetes wrote no ${raw#$ROOT/}" >&2; exit 1; }
  out="$(output_for "$svc")"
  mkdir -p "$(dirname "$out")"
  body="$(cat "$raw")"
  {
    echo "# generated — do not edit; run k8s/generate.sh $svc"
    echo "# service: $svc; quarkus: $(quarkus_version); from $svc/src/main/resources/application.properties by quarkus-kubernetes"
    echo "# content-sha256: $(printf '%s\n' "$body" | sha256sum | cut -d' ' -f1)"
    while IFS= read -r line; do [[ -n "$line" ]] && echo "# app: $line"; done < <(relevant_app_lines "$svc")
    while IFS= read -r line; do [[ -n "$line" ]] && echo "# extension: $line"; done < <(quarkus_extensions "$svc")
    printf '%s\n' "$body"
  } > "$out"
  echo "wrote ${out#$ROOT/}"
}

if [[ "${1:-}" == --realm-only ]]; then copy_realm; exit 0; fi
copy_realm
if [[ $# -gt 0 ]]; then services=("$@"); else services=("${ALL[@]}"); fi
for svc in "${services[@]}"; do
  [[ " ${ALL[*]} " == *" $svc "* ]] || { echo "unknown service $svc (one of: ${ALL[*]})" >&2; exit 1; }
  generate "$svc"
done
