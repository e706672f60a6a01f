package io.commercechat.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscaler;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.GRPCRoute;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.Gateway;
import io.fabric8.kubernetes.api.model.gatewayapi.v1.HTTPRoute;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What each overlay must contain beyond the shared invariants. */
class OverlayContentTest {

    private static final List<String> MESH = List.of("chat-service", "account-link-service", "consent-service");

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyResourceIsTypedAndInTheNamespace(String name) {
        Overlay o = Overlay.of(name);
        Set<String> generic = o.all(GenericKubernetesResource.class).stream().map(HasMetadata::getKind).collect(Collectors.toSet());
        // Only CloudNativePG's CRDs have no fabric8 model; everything else must parse as its typed class.
        assertTrue(Set.of("Cluster", "Database").containsAll(generic), name + ": untyped kinds " + generic);
        for (HasMetadata r : o.resources) {
            if (r.getKind().equals("Namespace")) continue;
            assertEquals(Overlay.NAMESPACE, r.getMetadata().getNamespace(), name + ": " + r.getKind() + "/" + r.getMetadata().getName());
        }
        for (String svc : MESH) {
            o.get(Deployment.class, svc);
            o.get(Service.class, svc);
            o.get(ServiceAccount.class, svc);
        }
    }

    @Test
    void prodHasNoSandboxAndNoKeycloak() {
        Overlay prod = Overlay.of("prod");
        for (HasMetadata r : prod.resources) {
            String text = new KubernetesSerialization().asYaml(r).toLowerCase();
            assertFalse(text.contains("sandbox"), "prod mentions the sandbox: " + r.getKind() + "/" + r.getMetadata().getName());
            assertFalse(text.contains("keycloak"), "prod mentions Keycloak: " + r.getKind() + "/" + r.getMetadata().getName());
        }
        ConfigMap oidc = prod.get(ConfigMap.class, "commerce-chat-oidc");
        for (String key : List.of("OIDC_ISSUER", "OIDC_JWKS_URL", "OIDC_AUTH_SERVER_URL")) {
            String v = oidc.getData().get(key);
            assertTrue(v.startsWith("https://") && !v.contains(".svc.cluster.local") && !v.contains(".invalid"), "prod " + key + " = " + v);
        }
    }

    /**
     * Which build prod runs is the overlay's choice, per release: the generated Deployments name the tag the services'
     * application.properties give every build ({@code quarkus.container-image.tag}, 1.0.0), and with imagePullPolicy
     * IfNotPresent a new build pushed under that tag rolls nothing out, while nodes that pulled it at different times run
     * different code. So every service image that prod renders is a digest or the tag prod's kustomization sets for it in
     * {@code images:} (k8s/README.md, "Release a version"), and never that shared tag.
     */
    @Test
    @SuppressWarnings("unchecked")
    void prodRunsTheServiceImagesItsOverlayPinsNotTheTagOfEveryBuild() throws IOException {
        Map<String, Object> kustomization = new KubernetesSerialization().unmarshal(
                Files.readString(Overlay.repoRoot().resolve("k8s/overlays/prod/kustomization.yaml")), Map.class);
        Map<String, Map<String, Object>> pins = ((List<Map<String, Object>>) kustomization.getOrDefault("images", List.of()))
                .stream().collect(Collectors.toMap(i -> (String) i.get("name"), i -> i));
        List<Overlay.Workload> services = Overlay.of("prod").quarkusWorkloads();
        assertEquals(Set.copyOf(MESH), services.stream().map(Overlay.Workload::appName).collect(Collectors.toSet()));
        for (var w : services) {
            java.util.Properties props = applicationProperties(w.appName());
            String repository = props.getProperty("quarkus.container-image.registry") + "/" + props.getProperty("quarkus.container-image.group")
                    + "/" + props.getProperty("quarkus.container-image.name");
            String everyBuild = repository + ":" + props.getProperty("quarkus.container-image.tag");
            String image = w.containers().get(0).getImage();
            Map<String, Object> pin = pins.get(repository);
            boolean byDigest = image.matches("[^@]+@sha256:[0-9a-f]{64}");
            boolean byOverlayTag = pin != null && pin.get("newTag") != null && image.equals(repository + ":" + pin.get("newTag"));
            assertTrue(!image.equals(everyBuild) && (byDigest || byOverlayTag), w.id() + " runs " + image
                    + ": prod must pin each release in its kustomization's images: (newTag or digest for " + repository + ")");
        }
    }

    @Test
    void prodRunsEveryServiceTwiceOnDifferentNodesAndScalesChat() {
        Overlay prod = Overlay.of("prod");
        for (String svc : MESH) {
            Deployment d = prod.get(Deployment.class, svc);
            if (svc.equals("chat-service")) {
                // the autoscaler's to set: a count in the manifest would reset it on every apply
                assertNull(d.getSpec().getReplicas(), "chat-service's replica count is left to its autoscaler");
            } else {
                assertTrue(d.getSpec().getReplicas() >= 2, svc + " replicas");
            }
            var anti = d.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity();
            assertNotNull(anti, svc + " has no pod anti-affinity");
            var terms = anti.getPreferredDuringSchedulingIgnoredDuringExecution();
            assertTrue(terms.stream().anyMatch(t -> "kubernetes.io/hostname".equals(t.getPodAffinityTerm().getTopologyKey())
                    && svc.equals(t.getPodAffinityTerm().getLabelSelector().getMatchLabels().get("app.kubernetes.io/name"))), svc + " anti-affinity");
        }
        HorizontalPodAutoscaler hpa = prod.get(HorizontalPodAutoscaler.class, "chat-service");
        assertEquals("chat-service", hpa.getSpec().getScaleTargetRef().getName());
        assertTrue(hpa.getSpec().getMinReplicas() >= 2);
        assertEquals("cpu", hpa.getSpec().getMetrics().get(0).getResource().getName());
        PodDisruptionBudget pdb = prod.get(PodDisruptionBudget.class, "chat-service");
        assertEquals("chat-service", pdb.getSpec().getSelector().getMatchLabels().get("app.kubernetes.io/name"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void prodDatabaseIsAThreeInstanceSynchronouslyReplicatedCloudNativePgClusterWithItsOwnWalVolumeAndOneDatabaseAndRolePerService() {
        Overlay prod = Overlay.of("prod");
        List<GenericKubernetesResource> clusters = prod.generic("Cluster");
        assertEquals(1, clusters.size());
        GenericKubernetesResource cluster = clusters.get(0);
        assertEquals("postgresql.cnpg.io/v1", cluster.getApiVersion());
        Map<String, Object> spec = WorkloadInvariantsTest.spec(cluster);
        assertEquals(3, ((Number) spec.get("instances")).intValue());
        Map<String, Object> synchronous = (Map<String, Object>) ((Map<String, Object>) spec.get("postgresql")).get("synchronous");
        assertTrue(synchronous != null && ((Number) synchronous.get("number")).intValue() >= 1
                && "required".equals(synchronous.get("dataDurability")),
                "commits acknowledged only once a replica has them: a failover loses nothing a caller was told was written");
        Map<String, Object> wal = (Map<String, Object>) spec.get("walStorage");
        assertTrue(wal != null && wal.get("size") != null, "WAL on a volume of its own (commits must not queue behind data writes)");
        List<Map<String, Object>> roles = (List<Map<String, Object>>) ((Map<String, Object>) spec.get("managed")).get("roles");
        assertEquals(Set.of("consent", "accountlink", "chat"), roles.stream().map(r -> (String) r.get("name")).collect(Collectors.toSet()));
        Map<String, String> databases = prod.generic("Database").stream().map(WorkloadInvariantsTest::spec)
                .collect(Collectors.toMap(s -> (String) s.get("name"), s -> (String) s.get("owner")));
        Map<String, Object> initdb = initdb(spec);
        databases.put((String) initdb.get("database"), (String) initdb.get("owner"));
        assertEquals(Map.of("consent", "consent", "accountlink", "accountlink", "chat", "chat"), databases);
        assertTrue(prod.all(StatefulSet.class).isEmpty(), "prod runs no hand-made StatefulSet database");
    }

    /**
     * PostgreSQL's max_connections covers every pool the services may open at the most pods prod runs (the
     * autoscaler's maximum for chat-service, the fixed count for the others, plus a rolling update's surge):
     * with the default of 100 the database refused connections under load and readiness failed.
     */
    @Test
    @SuppressWarnings("unchecked")
    void prodDatabaseAcceptsEveryConnectionTheServicesMayOpen() throws IOException {
        Overlay prod = Overlay.of("prod");
        Map<String, Object> spec = WorkloadInvariantsTest.spec(prod.generic("Cluster").get(0));
        Map<String, Object> parameters = (Map<String, Object>) ((Map<String, Object>) spec.get("postgresql")).get("parameters");
        int maxConnections = Integer.parseInt((String) parameters.get("max_connections"));
        int needed = connectionsTheServicesMayOpen(Map.of(
                "chat-service", prod.get(HorizontalPodAutoscaler.class, "chat-service").getSpec().getMaxReplicas(),
                "account-link-service", prod.get(Deployment.class, "account-link-service").getSpec().getReplicas(),
                "consent-service", prod.get(Deployment.class, "consent-service").getSpec().getReplicas()));
        assertTrue(maxConnections >= needed + 10, "max_connections " + maxConnections + " < " + needed
                + " the services may open + 10 for CloudNativePG and operators");
    }

    /**
     * Production keeps WAL segments for reuse (a commit that needs a new one waits while 16 MB are written as zeros and
     * flushed: benchmark/README.md), no more than max_wal_size, and its WAL volume holds max_wal_size several times
     * over, for the peaks above it that PostgreSQL allows itself under load.
     */
    @Test
    @SuppressWarnings("unchecked")
    void prodKeepsWalSegmentsForReuseWithinItsWalVolume() throws IOException {
        Map<String, Object> spec = WorkloadInvariantsTest.spec(Overlay.of("prod").generic("Cluster").get(0));
        Map<String, Object> parameters = (Map<String, Object>) ((Map<String, Object>) spec.get("postgresql")).get("parameters");
        long min = postgresBytes((String) parameters.get("min_wal_size"));
        long max = postgresBytes((String) parameters.get("max_wal_size"));
        long volume = Quantity.getAmountInBytes(new Quantity((String) ((Map<String, Object>) spec.get("walStorage")).get("size")))
                .longValueExact();
        assertTrue(min >= 1L << 30, "min_wal_size " + min + " B: under 1 GB a burst after a quiet spell creates segments");
        assertTrue(min <= max, "min_wal_size " + min + " B above max_wal_size " + max + " B");
        assertTrue(volume >= 3 * max, "walStorage " + volume + " B does not hold max_wal_size " + max + " B three times");
    }

    /** A WAL size as postgresql.conf takes it: units are powers of 1024, and a plain number is in MB (their unit). */
    private static long postgresBytes(String size) {
        assertNotNull(size, "not set");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)\\s*(B|kB|MB|GB|TB)?").matcher(size);
        assertTrue(m.matches(), "not a size this check reads (a number, then B, kB, MB, GB or TB): " + size);
        int shift = m.group(2) == null ? 20 : switch (m.group(2)) {
            case "B" -> 0; case "kB" -> 10; case "MB" -> 20; case "GB" -> 30; default -> 40; };
        return Long.parseLong(m.group(1)) << shift;
    }

    /**
     * The same budget in dev, at the 3 chat-service replicas k8s/README.md ("Scale chat-service") tells developers to
     * scale to: PostgreSQL's default of 100 is below the 113 connections those pools alone may open.
     */
    @Test
    void devDatabaseAcceptsEveryConnectionTheServicesMayOpenWithChatScaledToThree() throws IOException {
        Overlay dev = Overlay.of("dev");
        Container postgres = dev.get(StatefulSet.class, "commerce-chat-db").getSpec().getTemplate().getSpec().getContainers().get(0);
        List<String> args = Optional.ofNullable(postgres.getArgs()).orElse(List.of());
        int maxConnections = 100; // PostgreSQL's default
        for (int i = 0; i + 1 < args.size(); i++) {
            if (args.get(i).equals("-c") && args.get(i + 1).startsWith("max_connections=")) {
                maxConnections = Integer.parseInt(args.get(i + 1).substring("max_connections=".length()));
            }
        }
        int needed = connectionsTheServicesMayOpen(Map.of("chat-service", 3,
                "account-link-service", dev.get(Deployment.class, "account-link-service").getSpec().getReplicas(),
                "consent-service", dev.get(Deployment.class, "consent-service").getSpec().getReplicas()));
        assertTrue(maxConnections >= needed + 10, "dev max_connections " + maxConnections + " < " + needed
                + " the services may open with chat-service at 3 replicas + 10 for a developer's psql sessions");
    }

    /**
     * Connections the mesh services' pools may open at these pod counts, plus a rolling update's surge: per pod the
     * reactive pool, the JDBC pool (Flyway at start) and, for chat-service, its LISTEN connection.
     */
    /** A service's application.properties, as its module holds it. */
    private static java.util.Properties applicationProperties(String service) throws IOException {
        java.util.Properties props = new java.util.Properties();
        try (var in = Files.newInputStream(Overlay.repoRoot().resolve(service + "/src/main/resources/application.properties"))) {
            props.load(in);
        }
        return props;
    }

    private static int connectionsTheServicesMayOpen(Map<String, Integer> podsPerService) throws IOException {
        assertEquals(Set.copyOf(MESH), podsPerService.keySet());
        int needed = 0;
        for (String svc : MESH) {
            java.util.Properties props = applicationProperties(svc);
            int perPod = Integer.parseInt(props.getProperty("quarkus.datasource.reactive.max-size"))
                    + Integer.parseInt(props.getProperty("quarkus.datasource.jdbc.max-size"))
                    + (svc.equals("chat-service") ? 1 : 0); // its LISTEN connection
            int pods = podsPerService.get(svc);
            int surge = (pods + 3) / 4; // a rolling update's maxSurge, 25 % rounded up (the Deployments' default)
            needed += (pods + surge) * perPod;
        }
        return needed;
    }

    /**
     * The database pods get Guaranteed QoS (requests equal to limits), as CloudNativePG recommends: a Burstable instance
     * is among the first the kubelet evicts under node memory pressure, and losing the primary is a failover.
     */
    @Test
    @SuppressWarnings("unchecked")
    void prodDatabaseRequestsWhatItIsLimitedTo() {
        Map<String, Object> spec = WorkloadInvariantsTest.spec(Overlay.of("prod").generic("Cluster").get(0));
        Map<String, Object> resources = (Map<String, Object>) spec.get("resources");
        Map<String, Object> requests = (Map<String, Object>) resources.get("requests");
        Map<String, Object> limits = (Map<String, Object>) resources.get("limits");
        for (String kind : List.of("cpu", "memory")) {
            assertNotNull(limits.get(kind), "the database's " + kind + " limit");
            assertEquals(new Quantity(String.valueOf(limits.get(kind))), new Quantity(String.valueOf(requests.get(kind))),
                    "the database's " + kind + " request equals its limit (Guaranteed QoS)");
        }
    }

    @Test
    void bothOverlaysInitialiseTheirDatabaseWithTheCLocale() {
        Map<String, Object> initdb = initdb(WorkloadInvariantsTest.spec(Overlay.of("prod").generic("Cluster").get(0)));
        assertEquals("UTF8", initdb.get("encoding"));
        assertEquals("C", initdb.get("localeCollate"));
        assertEquals("C", initdb.get("localeCType"));
        StatefulSet db = Overlay.of("dev").get(StatefulSet.class, "commerce-chat-db");
        String args = db.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                .filter(e -> e.getName().equals("POSTGRES_INITDB_ARGS")).map(EnvVar::getValue).findFirst().orElse("");
        assertEquals(List.of("--encoding=UTF8", "--locale=C"), List.of(args.split(" ")));
    }

    /** The CloudNativePG Cluster's bootstrap.initdb section. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> initdb(Map<String, Object> clusterSpec) {
        return (Map<String, Object>) ((Map<String, Object>) clusterSpec.get("bootstrap")).get("initdb");
    }

    @Test
    void prodEdgeRoutesRestToChatAndOnlyThePartnerServicesOverGrpc() {
        Overlay prod = Overlay.of("prod");
        assertEquals(1, prod.all(Gateway.class).size());
        HTTPRoute rest = prod.get(HTTPRoute.class, "chat-service-rest");
        Set<String> httpBackends = rest.getSpec().getRules().stream().flatMap(r -> r.getBackendRefs() == null ? java.util.stream.Stream.empty() : r.getBackendRefs().stream())
                .map(b -> b.getName() + ":" + b.getPort()).collect(Collectors.toSet());
        assertEquals(Set.of("chat-service:80"), httpBackends);
        Map<String, String> grpc = prod.all(GRPCRoute.class).stream().flatMap(r -> r.getSpec().getRules().stream())
                .collect(Collectors.toMap(rule -> rule.getMatches().get(0).getMethod().getService(),
                        rule -> rule.getBackendRefs().get(0).getName() + ":" + rule.getBackendRefs().get(0).getPort()));
        assertEquals(Map.of("commercechat.partner.v1.BusinessMessaging", "chat-service:9000",
                "commercechat.partner.v1.PartnerLinkEvents", "account-link-service:9000"), grpc);
    }

    /**
     * Streams through the edge must not be cut by a route timeout. The HTTPRoute says so for SSE itself; a GRPCRoute (v1)
     * has no timeouts field, so what each Gateway implementation needs is k8s/README.md's to say: its section on the
     * partner streams names every server-streaming RPC the GRPCRoutes route (from the proto files), so that a new one
     * is not routed without it.
     */
    @Test
    void prodEdgeStreamsAreNotCutByARouteTimeout() throws IOException {
        Overlay prod = Overlay.of("prod");
        var sse = prod.get(HTTPRoute.class, "chat-service-rest").getSpec().getRules().stream()
                .filter(r -> r.getMatches() != null && r.getMatches().stream()
                        .anyMatch(m -> m.getPath() != null && "/v1/events".equals(m.getPath().getValue())))
                .findFirst().orElseThrow(() -> new AssertionError("no HTTPRoute rule for /v1/events"));
        assertEquals("0s", sse.getTimeouts() == null ? null : sse.getTimeouts().getRequest(), "SSE has no request timeout");

        Set<String> routed = prod.all(GRPCRoute.class).stream().flatMap(r -> r.getSpec().getRules().stream())
                .flatMap(r -> r.getMatches().stream()).map(m -> m.getMethod().getService()).collect(Collectors.toSet());
        Set<String> streaming = new java.util.TreeSet<>();
        try (var protos = Files.walk(Overlay.repoRoot().resolve("proto/src/main/resources"))) {
            for (var file : protos.filter(f -> f.toString().endsWith(".proto")).toList()) {
                streaming.addAll(serverStreamingRpcs(Files.readString(file)));
            }
        }
        Set<String> routedStreaming = streaming.stream().filter(rpc -> routed.contains(rpc.substring(0, rpc.lastIndexOf('/'))))
                .collect(Collectors.toCollection(java.util.TreeSet::new));
        assertFalse(routedStreaming.isEmpty(), "the partner edge routes BusinessMessaging.Subscribe, a stream: " + streaming);
        String readme = Files.readString(Overlay.repoRoot().resolve("k8s/README.md"));
        int from = readme.indexOf("### Partner streams through the Gateway");
        assertTrue(from >= 0, "k8s/README.md has no section \"Partner streams through the Gateway\"");
        int to = java.util.stream.IntStream.of(readme.indexOf("\n## ", from), readme.indexOf("\n### ", from + 1))
                .filter(i -> i >= 0).min().orElse(readme.length());
        String section = readme.substring(from, to);
        for (String rpc : routedStreaming) {
            assertTrue(section.contains("`" + rpc + "`"), "k8s/README.md's partner-stream section does not name " + rpc
                    + ", a server-streaming RPC the prod Gateway routes");
        }
    }

    /** {@code package.Service/Method} of every RPC in a proto file that returns a stream. */
    static Set<String> serverStreamingRpcs(String proto) {
        var pkg = java.util.regex.Pattern.compile("(?m)^package\\s+([\\w.]+)\\s*;").matcher(proto);
        String prefix = pkg.find() ? pkg.group(1) + "." : "";
        Set<String> rpcs = new java.util.TreeSet<>();
        var service = java.util.regex.Pattern.compile("(?s)service\\s+(\\w+)\\s*\\{(.*?)\\n\\}").matcher(proto);
        while (service.find()) {
            var rpc = java.util.regex.Pattern.compile("rpc\\s+(\\w+)\\s*\\([^)]*\\)\\s*returns\\s*\\(\\s*stream\\s").matcher(service.group(2));
            while (rpc.find()) {
                rpcs.add(prefix + service.group(1) + "/" + rpc.group(1));
            }
        }
        return rpcs;
    }

    @Test
    void devRunsOneReplicaEachWithPostgresKeycloakAndTheSandbox() {
        Overlay dev = Overlay.of("dev");
        for (String svc : List.of("chat-service", "account-link-service", "consent-service", "sandbox")) {
            assertEquals(1, dev.get(Deployment.class, svc).getSpec().getReplicas(), svc);
        }
        StatefulSet db = dev.get(StatefulSet.class, "commerce-chat-db");
        assertEquals("postgres:17.6", db.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
        assertEquals(1, db.getSpec().getVolumeClaimTemplates().size(), "PostgreSQL keeps its data on a PVC");
        String init = dev.get(ConfigMap.class, ReferencesTest.hashed(dev, ConfigMap.class, "commerce-chat-db-init")).getData().values().iterator().next();
        for (String database : List.of("consent", "accountlink", "chat")) {
            assertTrue(init.contains(" " + database + "\n"), "init script creates database " + database);
        }
        Deployment keycloak = dev.get(Deployment.class, "keycloak");
        assertEquals("quay.io/keycloak/keycloak:26.5.6", keycloak.getSpec().getTemplate().getSpec().getContainers().get(0).getImage());
        assertTrue(dev.find(Service.class, "sandbox").isPresent());
    }

    /** The realm Keycloak imports in dev is byte for byte the identity module's realm file. */
    @Test
    void devKeycloakImportsTheIdentityModulesRealm() throws IOException {
        String identity = Files.readString(Overlay.repoRoot().resolve("identity/src/main/resources/realm/commerce-chat-realm.json"));
        String copy = Files.readString(Overlay.repoRoot().resolve("k8s/overlays/dev/realm/commerce-chat-realm.json"));
        assertEquals(identity, copy, "k8s/overlays/dev/realm/commerce-chat-realm.json is stale: run k8s/generate.sh --realm-only");
        Overlay dev = Overlay.of("dev");
        ConfigMap realm = dev.get(ConfigMap.class, ReferencesTest.hashed(dev, ConfigMap.class, "keycloak-realm"));
        assertEquals(identity, realm.getData().get("commerce-chat-realm.json"));
        var mounts = dev.get(Deployment.class, "keycloak").getSpec().getTemplate().getSpec().getContainers().get(0).getVolumeMounts();
        assertTrue(mounts.stream().anyMatch(m -> m.getMountPath().equals("/opt/keycloak/data/import")), "realm mounted for --import-realm");
    }

    /**
     * Each dev bank's token-scope is one the realm lets account-link-service ask for, and its tokens carry that bank's
     * audience only: account-link-service's own default scopes give no audience of the mesh, so that a bank is never
     * handed a token the mesh accepts.
     */
    @Test
    void devBanksTokenScopesGiveTheBanksAudienceOnly() throws IOException {
        Overlay dev = Overlay.of("dev");
        var realm = new com.fasterxml.jackson.databind.ObjectMapper().readTree(dev.get(ConfigMap.class,
                ReferencesTest.hashed(dev, ConfigMap.class, "keycloak-realm")).getData().get("commerce-chat-realm.json"));
        com.fasterxml.jackson.databind.JsonNode accountLink = null;
        for (var client : realm.get("clients")) {
            if ("account-link-service".equals(client.get("clientId").asText())) {
                accountLink = client;
            }
        }
        assertNotNull(accountLink);
        List<String> defaults = new java.util.ArrayList<>();
        accountLink.get("defaultClientScopes").forEach(n -> defaults.add(n.asText()));
        assertFalse(defaults.contains("commerce-chat"), "the mesh's audience is asked for, never given by default: " + defaults);
        List<String> optional = new java.util.ArrayList<>();
        accountLink.get("optionalClientScopes").forEach(n -> optional.add(n.asText()));

        java.util.Properties banks = ReferencesTest.banks(dev);
        int checked = 0;
        for (String key : banks.stringPropertyNames()) {
            if (!key.endsWith(".host")) continue;
            String bankId = key.substring("accounts.banks.".length(), key.length() - ".host".length());
            String scope = banks.getProperty("accounts.banks." + bankId + ".token-scope");
            assertNotNull(scope, bankId + ": no token-scope");
            assertTrue(optional.contains(scope), scope + " is not a scope account-link-service may ask for: " + optional);
            List<String> audiences = new java.util.ArrayList<>();
            for (var clientScope : realm.get("clientScopes")) {
                if (!scope.equals(clientScope.get("name").asText())) continue;
                for (var mapper : clientScope.get("protocolMappers")) {
                    assertEquals("oidc-audience-mapper", mapper.get("protocolMapper").asText(), scope + " adds only an audience");
                    audiences.add(mapper.get("config").get("included.custom.audience").asText());
                }
            }
            assertEquals(List.of(bankId), audiences, scope + ": the audience of its tokens");
            checked++;
        }
        assertEquals(1, checked, "dev has the sandbox bank");
    }
}
