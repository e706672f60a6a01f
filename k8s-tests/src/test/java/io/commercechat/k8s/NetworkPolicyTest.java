package io.commercechat.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.networking.v1.IPBlock;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPeer;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicyPort;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Evaluates the overlays' NetworkPolicies the way a CNI does (a connection needs the source's
 * egress and the destination's ingress; a pod no policy selects for a direction is open in that
 * direction) over every pair of the overlay's pods and a set of outside peers, and compares the
 * allowed (from, to, port) set with the edges of DESIGN.md section 1, exactly.
 */
class NetworkPolicyTest {

    /** A pod (of the overlay or outside it) or an outside IP address, with the ports it listens on. */
    record Peer(String name, String namespace, Map<String, String> namespaceLabels, Map<String, String> podLabels,
            String ip, List<Port> ports) {
        boolean inOverlay() {
            return ip == null && Overlay.NAMESPACE.equals(namespace);
        }
    }

    record Port(int number, String protocol, String name) {
        @Override
        public String toString() {
            return number + "/" + protocol;
        }
    }

    private static final List<Peer> OUTSIDE = List.of(
            pod("edge", "gateway-system", Map.of("commercechat.io/edge", "true"), Map.of("app", "edge-proxy"), new Port(8443, "TCP", "https")),
            pod("prometheus", "monitoring", Map.of("commercechat.io/monitoring", "true"), Map.of("app", "prometheus"), new Port(9090, "TCP", "web")),
            pod("elsewhere", "elsewhere", Map.of(), Map.of("app", "curious"), new Port(8080, "TCP", "http")),
            pod("kube-dns", "kube-system", Map.of(), Map.of("k8s-app", "kube-dns"), new Port(53, "UDP", "dns"), new Port(53, "TCP", "dns-tcp")),
            pod("cnpg-operator", "cnpg-system", Map.of(), Map.of("app.kubernetes.io/name", "cloudnative-pg"), new Port(9443, "TCP", "webhook")),
            ip("partner-bank", "192.0.2.10", 443),
            ip("oidc-provider", "198.51.100.10", 443),
            ip("api-server", "203.0.113.1", 443, 6443),
            ip("internet", "93.184.216.34", 443));

    private static final Set<String> DEV = Set.of(
            // people and partners through the edge; people also log in (Keycloak) and authorise at the sandbox bank
            "edge -> chat-service:8080/TCP", "edge -> account-link-service:8080/TCP",
            "edge -> sandbox:8080/TCP", "edge -> keycloak:8080/TCP",
            // the sandbox plays the partners
            "sandbox -> chat-service:8080/TCP", "sandbox -> account-link-service:8080/TCP",
            // the mesh
            "chat-service -> account-link-service:8080/TCP", "chat-service -> consent-service:8080/TCP",
            "account-link-service -> consent-service:8080/TCP", "account-link-service -> sandbox:8080/TCP",
            // databases
            "chat-service -> commerce-chat-db:5432/TCP", "account-link-service -> commerce-chat-db:5432/TCP",
            "consent-service -> commerce-chat-db:5432/TCP",
            // identity provider
            "chat-service -> keycloak:8080/TCP", "account-link-service -> keycloak:8080/TCP",
            "consent-service -> keycloak:8080/TCP", "sandbox -> keycloak:8080/TCP",
            // metrics scraping
            "prometheus -> chat-service:8080/TCP", "prometheus -> account-link-service:8080/TCP",
            "prometheus -> consent-service:8080/TCP");

    private static final Set<String> PROD = Set.of(
            "edge -> chat-service:8080/TCP", "edge -> account-link-service:8080/TCP",
            "chat-service -> account-link-service:8080/TCP", "chat-service -> consent-service:8080/TCP",
            "account-link-service -> consent-service:8080/TCP", "account-link-service -> partner-bank:443/TCP",
            "chat-service -> commerce-chat-db:5432/TCP", "account-link-service -> commerce-chat-db:5432/TCP",
            "consent-service -> commerce-chat-db:5432/TCP",
            "chat-service -> oidc-provider:443/TCP", "account-link-service -> oidc-provider:443/TCP",
            "consent-service -> oidc-provider:443/TCP",
            // CloudNativePG: replication and status between instances, the operator (every instance on 8000 and 5432,
            // as its networking documentation requires), the API server
            "commerce-chat-db -> commerce-chat-db:5432/TCP", "commerce-chat-db -> commerce-chat-db:8000/TCP",
            "cnpg-operator -> commerce-chat-db:8000/TCP", "cnpg-operator -> commerce-chat-db:5432/TCP",
            "commerce-chat-db -> api-server:443/TCP", "commerce-chat-db -> api-server:6443/TCP",
            // metrics scraping
            "prometheus -> chat-service:8080/TCP", "prometheus -> account-link-service:8080/TCP",
            "prometheus -> consent-service:8080/TCP");

    @Test
    void devAllowsExactlyTheDesignedEdges() {
        assertExactly(Overlay.of("dev"), DEV);
    }

    @Test
    void prodAllowsExactlyTheDesignedEdges() {
        assertExactly(Overlay.of("prod"), PROD);
    }

    /** Readable spot checks of what must stay closed (the exact comparison above covers all of them). */
    @Test
    void consentServiceIsNeverReachableFromOutsideTheMeshAndTheEdgeSeesNoDatabase() {
        for (String name : List.of("dev", "prod")) {
            Set<String> allowed = allowed(Overlay.of(name));
            for (String denied : List.of("edge -> consent-service:8080/TCP", "elsewhere -> chat-service:8080/TCP",
                    "edge -> commerce-chat-db:5432/TCP", "consent-service -> chat-service:8080/TCP",
                    "consent-service -> account-link-service:8080/TCP", "chat-service -> partner-bank:443/TCP",
                    "chat-service -> internet:443/TCP", "sandbox -> consent-service:8080/TCP",
                    "sandbox -> commerce-chat-db:5432/TCP", "account-link-service -> chat-service:8080/TCP",
                    "prometheus -> commerce-chat-db:5432/TCP", "prometheus -> sandbox:8080/TCP")) {
                assertFalse(allowed.contains(denied), name + " allows " + denied);
            }
        }
    }

    @Test
    void everyPodReachesClusterDnsAndNothingElseOutsideUnlessDesigned() {
        for (String name : List.of("dev", "prod")) {
            Overlay o = Overlay.of(name);
            Set<String> dns = new TreeSet<>();
            allowedWithDns(o).stream().filter(e -> e.contains("-> kube-dns:")).forEach(dns::add);
            Set<String> expected = new TreeSet<>();
            peers(o).stream().filter(Peer::inOverlay).map(Peer::name).distinct()
                    .forEach(p -> { expected.add(p + " -> kube-dns:53/UDP"); expected.add(p + " -> kube-dns:53/TCP"); });
            assertEquals(expected, dns, name);
        }
    }

    private static void assertExactly(Overlay o, Set<String> expected) {
        Set<String> actual = allowed(o);
        Set<String> unexpected = new TreeSet<>(actual);
        unexpected.removeAll(expected);
        Set<String> missing = new TreeSet<>(expected);
        missing.removeAll(actual);
        assertTrue(unexpected.isEmpty() && missing.isEmpty(),
                o + ": NetworkPolicies do not match the design.\nallowed but not designed: " + unexpected
                        + "\ndesigned but not allowed: " + missing);
    }

    /** Allowed edges other than DNS (checked on its own). */
    static Set<String> allowed(Overlay o) {
        Set<String> all = allowedWithDns(o);
        all.removeIf(e -> e.contains("-> kube-dns:"));
        return all;
    }

    static Set<String> allowedWithDns(Overlay o) {
        List<NetworkPolicy> policies = o.all(NetworkPolicy.class);
        assertFalse(policies.isEmpty(), o + " has no NetworkPolicies");
        List<Peer> peers = peers(o);
        Set<String> edges = new TreeSet<>();
        for (Peer from : peers) {
            for (Peer to : peers) {
                if (!from.inOverlay() && !to.inOverlay()) continue; // not ours to govern
                for (Port port : to.ports()) {
                    if (egressAllows(policies, from, to, port) && ingressAllows(policies, from, to, port)) {
                        edges.add(from.name() + " -> " + to.name() + ":" + port);
                    }
                }
            }
        }
        return edges;
    }

    private static boolean egressAllows(List<NetworkPolicy> policies, Peer from, Peer to, Port port) {
        if (!from.inOverlay()) return true;
        List<NetworkPolicy> selecting = policies.stream().filter(p -> types(p).contains("Egress") && selects(p, from)).toList();
        if (selecting.isEmpty()) return true;
        return selecting.stream().anyMatch(p -> Optional.ofNullable(p.getSpec().getEgress()).orElse(List.of()).stream()
                .anyMatch(r -> peersMatch(r.getTo(), p, to) && portsMatch(r.getPorts(), to, port)));
    }

    private static boolean ingressAllows(List<NetworkPolicy> policies, Peer from, Peer to, Port port) {
        if (!to.inOverlay()) return true;
        List<NetworkPolicy> selecting = policies.stream().filter(p -> types(p).contains("Ingress") && selects(p, to)).toList();
        if (selecting.isEmpty()) return true;
        return selecting.stream().anyMatch(p -> Optional.ofNullable(p.getSpec().getIngress()).orElse(List.of()).stream()
                .anyMatch(r -> peersMatch(r.getFrom(), p, from) && portsMatch(r.getPorts(), to, port)));
    }

    private static List<String> types(NetworkPolicy p) {
        List<String> t = p.getSpec().getPolicyTypes();
        if (t != null && !t.isEmpty()) return t;
        return p.getSpec().getEgress() != null ? List.of("Ingress", "Egress") : List.of("Ingress");
    }

    private static boolean selects(NetworkPolicy p, Peer pod) {
        return pod.inOverlay() && matches(p.getSpec().getPodSelector(), pod.podLabels());
    }

    private static boolean peersMatch(List<NetworkPolicyPeer> rulePeers, NetworkPolicy policy, Peer peer) {
        if (rulePeers == null || rulePeers.isEmpty()) return true;
        for (NetworkPolicyPeer rp : rulePeers) {
            if (rp.getIpBlock() != null) {
                if (peer.ip() != null && inBlock(rp.getIpBlock(), peer.ip())) return true;
                continue;
            }
            if (peer.ip() != null) continue;
            boolean namespaceOk = rp.getNamespaceSelector() == null
                    ? peer.namespace().equals(Optional.ofNullable(policy.getMetadata().getNamespace()).orElse(Overlay.NAMESPACE))
                    : matches(rp.getNamespaceSelector(), peer.namespaceLabels());
            boolean podOk = rp.getPodSelector() == null || matches(rp.getPodSelector(), peer.podLabels());
            if (namespaceOk && podOk) return true;
        }
        return false;
    }

    private static boolean portsMatch(List<NetworkPolicyPort> rulePorts, Peer to, Port port) {
        if (rulePorts == null || rulePorts.isEmpty()) return true;
        for (NetworkPolicyPort rp : rulePorts) {
            String protocol = Optional.ofNullable(rp.getProtocol()).orElse("TCP");
            if (!protocol.equals(port.protocol())) continue;
            if (rp.getPort() == null) return true;
            if (rp.getPort().getIntVal() != null) {
                int lo = rp.getPort().getIntVal();
                int hi = rp.getEndPort() != null ? rp.getEndPort() : lo;
                if (port.number() >= lo && port.number() <= hi) return true;
            } else if (rp.getPort().getStrVal().equals(port.name())) {
                return true;
            }
        }
        return false;
    }

    static boolean matches(LabelSelector selector, Map<String, String> labels) {
        if (selector == null) return true;
        Map<String, String> l = labels == null ? Map.of() : labels;
        if (selector.getMatchLabels() != null && !l.entrySet().containsAll(selector.getMatchLabels().entrySet())) return false;
        for (LabelSelectorRequirement r : Optional.ofNullable(selector.getMatchExpressions()).orElse(List.of())) {
            String v = l.get(r.getKey());
            boolean ok = switch (r.getOperator()) {
                case "In" -> v != null && r.getValues().contains(v);
                case "NotIn" -> v == null || !r.getValues().contains(v);
                case "Exists" -> v != null;
                case "DoesNotExist" -> v == null;
                default -> throw new AssertionError("unknown selector operator " + r.getOperator());
            };
            if (!ok) return false;
        }
        return true;
    }

    private static boolean inBlock(IPBlock block, String ip) {
        if (!inCidr(block.getCidr(), ip)) return false;
        return Optional.ofNullable(block.getExcept()).orElse(List.of()).stream().noneMatch(e -> inCidr(e, ip));
    }

    private static boolean inCidr(String cidr, String ip) {
        try {
            String[] parts = cidr.split("/");
            byte[] net = InetAddress.getByName(parts[0]).getAddress();
            byte[] addr = InetAddress.getByName(ip).getAddress();
            if (net.length != addr.length) return false;
            int bits = Integer.parseInt(parts[1]);
            int total = net.length * 8;
            BigInteger mask = bits == 0 ? BigInteger.ZERO : BigInteger.ONE.shiftLeft(bits).subtract(BigInteger.ONE).shiftLeft(total - bits);
            return new BigInteger(1, net).and(mask).equals(new BigInteger(1, addr).and(mask));
        } catch (UnknownHostException e) {
            throw new AssertionError("bad CIDR " + cidr, e);
        }
    }

    /** The overlay's pods (one per workload; CloudNativePG instances from the Cluster) plus the outside peers. */
    static List<Peer> peers(Overlay o) {
        Map<String, String> nsLabels = new HashMap<>(o.find(Namespace.class, Overlay.NAMESPACE)
                .map(n -> Optional.ofNullable(n.getMetadata().getLabels()).orElse(Map.of())).orElse(Map.of()));
        nsLabels.put("kubernetes.io/metadata.name", Overlay.NAMESPACE);
        List<Peer> peers = new ArrayList<>();
        for (var w : o.workloads()) {
            List<Port> ports = new ArrayList<>();
            w.containers().forEach(c -> Optional.ofNullable(c.getPorts()).orElse(List.of()).forEach((ContainerPort p) ->
                    ports.add(new Port(p.getContainerPort(), Optional.ofNullable(p.getProtocol()).orElse("TCP"), p.getName()))));
            peers.add(new Peer(w.appName(), Overlay.NAMESPACE, nsLabels, w.labels(), null, ports));
        }
        for (GenericKubernetesResource cluster : o.generic("Cluster")) {
            Map<String, String> labels = new HashMap<>(inheritedLabels(cluster));
            labels.put("cnpg.io/cluster", cluster.getMetadata().getName());
            peers.add(new Peer(labels.getOrDefault("app.kubernetes.io/name", cluster.getMetadata().getName()), Overlay.NAMESPACE,
                    nsLabels, labels, null, List.of(new Port(5432, "TCP", "postgresql"), new Port(8000, "TCP", "status"))));
        }
        peers.addAll(OUTSIDE);
        return peers;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> inheritedLabels(GenericKubernetesResource cluster) {
        Map<String, Object> inherited = (Map<String, Object>) WorkloadInvariantsTest.spec(cluster).getOrDefault("inheritedMetadata", Map.of());
        return (Map<String, String>) inherited.getOrDefault("labels", Map.of());
    }

    private static Peer pod(String name, String namespace, Map<String, String> nsLabels, Map<String, String> podLabels, Port... ports) {
        Map<String, String> ns = new HashMap<>(nsLabels);
        ns.put("kubernetes.io/metadata.name", namespace);
        return new Peer(name, namespace, ns, podLabels, null, List.of(ports));
    }

    private static Peer ip(String name, String address, int... ports) {
        List<Port> p = new ArrayList<>();
        for (int port : ports) p.add(new Port(port, "TCP", null));
        return new Peer(name, null, Map.of(), Map.of(), address, p);
    }
}
