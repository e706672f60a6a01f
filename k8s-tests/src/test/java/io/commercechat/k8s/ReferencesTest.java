package io.commercechat.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import java.io.IOException;
import java.io.StringReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every name a pod or a configuration value points at exists in the same overlay. */
class ReferencesTest {

    private static final String CLUSTER_DNS = "." + Overlay.NAMESPACE + ".svc.cluster.local";
    private static final Pattern DNS_ADDRESS = Pattern.compile("([a-z0-9-]+)\\." + Pattern.quote(Overlay.NAMESPACE) + "\\.svc\\.cluster\\.local(?::(\\d+))?");

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyReferencedConfigMapAndSecretKeyExists(String name) {
        Overlay o = Overlay.of(name);
        List<String> problems = new ArrayList<>();
        int references = 0;
        for (var w : o.workloads()) {
            for (Container c : w.allContainers()) {
                String id = w.id() + " container " + c.getName();
                for (EnvVar e : Optional.ofNullable(c.getEnv()).orElse(List.of())) {
                    if (e.getValueFrom() == null) continue;
                    var cm = e.getValueFrom().getConfigMapKeyRef();
                    var sk = e.getValueFrom().getSecretKeyRef();
                    if (cm != null && !Boolean.TRUE.equals(cm.getOptional())) {
                        references++;
                        if (!configMapKeys(o, cm.getName()).contains(cm.getKey())) problems.add(id + " env " + e.getName() + ": ConfigMap " + cm.getName() + " has no key " + cm.getKey());
                    }
                    if (sk != null && !Boolean.TRUE.equals(sk.getOptional())) {
                        references++;
                        if (!secretKeys(o, sk.getName()).contains(sk.getKey())) problems.add(id + " env " + e.getName() + ": Secret " + sk.getName() + " has no key " + sk.getKey());
                    }
                }
                for (EnvFromSource ef : Optional.ofNullable(c.getEnvFrom()).orElse(List.of())) {
                    references++;
                    if (ef.getConfigMapRef() != null && o.find(ConfigMap.class, ef.getConfigMapRef().getName()).isEmpty()) problems.add(id + ": envFrom ConfigMap " + ef.getConfigMapRef().getName() + " is missing");
                    if (ef.getSecretRef() != null && o.find(Secret.class, ef.getSecretRef().getName()).isEmpty()) problems.add(id + ": envFrom Secret " + ef.getSecretRef().getName() + " is missing");
                }
            }
            for (Volume v : Optional.ofNullable(w.template().getSpec().getVolumes()).orElse(List.of())) {
                if (v.getConfigMap() != null) {
                    references++;
                    Set<String> keys = configMapKeys(o, v.getConfigMap().getName());
                    if (o.find(ConfigMap.class, v.getConfigMap().getName()).isEmpty()) problems.add(w.id() + ": volume ConfigMap " + v.getConfigMap().getName() + " is missing");
                    for (KeyToPath k : Optional.ofNullable(v.getConfigMap().getItems()).orElse(List.of())) if (!keys.contains(k.getKey())) problems.add(w.id() + ": volume key " + k.getKey() + " missing");
                }
                if (v.getSecret() != null) {
                    references++;
                    Set<String> keys = secretKeys(o, v.getSecret().getSecretName());
                    if (o.find(Secret.class, v.getSecret().getSecretName()).isEmpty()) problems.add(w.id() + ": volume Secret " + v.getSecret().getSecretName() + " is missing");
                    for (KeyToPath k : Optional.ofNullable(v.getSecret().getItems()).orElse(List.of())) if (!keys.contains(k.getKey())) problems.add(w.id() + ": volume key " + k.getKey() + " missing");
                }
            }
        }
        // CloudNativePG reads the roles' passwords from the services' DB Secrets (basic-auth).
        for (GenericKubernetesResource cluster : o.generic("Cluster")) {
            for (String secret : cnpgSecretNames(cluster)) {
                references++;
                Set<String> keys = secretKeys(o, secret);
                if (!keys.containsAll(Set.of("username", "password"))) problems.add("Cluster " + cluster.getMetadata().getName() + ": Secret " + secret + " is missing or lacks username/password");
            }
        }
        assertTrue(problems.isEmpty(), name + ":\n" + String.join("\n", problems));
        assertTrue(references > 10, name + ": suspiciously few references checked: " + references);
    }

    /**
     * Every environment variable a service's pod gets is one the service reads: a {@code ${VAR}} in its
     * application.properties, the environment form of a property it sets there or of one of its {@code @ConfigMapping}
     * (CONSENT_CALLERS_END_CONSENTS for consent.callers.end-consents), or Quarkus', the JVM's or the image's own. A
     * ConfigMap that several services get (the OIDC settings) needs each key read by one of them. A misspelt name would
     * otherwise be ignored without a word, and the service would run on its default (for a caller list: nobody).
     */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyEnvironmentVariableOfAServiceIsOneItReads(String name) throws Exception {
        Overlay o = Overlay.of(name);
        Map<String, Set<String>> unreadBy = new java.util.TreeMap<>();  // "variable (source)" -> services that do not read it
        Map<String, Set<String>> givenTo = new java.util.TreeMap<>();
        for (var w : o.quarkusWorkloads()) {
            Predicate<String> reads = readsVariable(w.appName());
            for (Container c : w.containers()) {
                Map<String, String> given = new java.util.TreeMap<>();  // variable -> where it comes from
                Optional.ofNullable(c.getEnv()).orElse(List.of()).forEach(e -> given.put(e.getName(), w.id() + " env"));
                for (EnvFromSource ef : Optional.ofNullable(c.getEnvFrom()).orElse(List.of())) {
                    if (ef.getConfigMapRef() != null) {
                        configMapKeys(o, ef.getConfigMapRef().getName()).forEach(k -> given.put(k, "ConfigMap " + ef.getConfigMapRef().getName()));
                    }
                    if (ef.getSecretRef() != null) {
                        secretKeys(o, ef.getSecretRef().getName()).forEach(k -> given.put(k, "Secret " + ef.getSecretRef().getName()));
                    }
                }
                for (var v : given.entrySet()) {
                    String key = v.getKey() + " (" + v.getValue() + ")";
                    givenTo.computeIfAbsent(key, k -> new java.util.TreeSet<>()).add(w.appName());
                    if (!reads.test(v.getKey()) && !v.getKey().matches("(QUARKUS|JAVA|JDK|GC|KUBERNETES)_.*")) {
                        unreadBy.computeIfAbsent(key, k -> new java.util.TreeSet<>()).add(w.appName());
                    }
                }
            }
        }
        List<String> problems = unreadBy.entrySet().stream().filter(e -> e.getValue().equals(givenTo.get(e.getKey())))
                .map(e -> e.getKey() + " is given to " + e.getValue() + " and read by none of them").toList();
        assertTrue(problems.isEmpty(), name + ":\n" + String.join("\n", problems));
        assertTrue(givenTo.size() > 20, name + ": suspiciously few variables checked: " + givenTo.size());
    }

    /**
     * Whether the service reads an environment variable: its application.properties names it in {@code ${...}} or sets
     * a property of that environment form, or the variable is its @ConfigMapping prefix followed by names of the
     * mapping's methods (the environment form of a property the mapping declares, nested groups included).
     */
    private static Predicate<String> readsVariable(String service) throws IOException {
        Path module = Overlay.repoRoot().resolve(service);
        String properties = Files.readString(module.resolve("src/main/resources/application.properties"));
        Set<String> read = new java.util.HashSet<>();
        for (String line : properties.split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#") || !l.contains("=")) continue;
            read.add(envForm(l.substring(0, l.indexOf('=')).strip().replaceFirst("^%[^.]+\\.", "")));
        }
        var placeholders = Pattern.compile("\\$\\{([A-Z0-9_]+)").matcher(properties);
        while (placeholders.find()) read.add(placeholders.group(1));
        List<String> prefixes = new ArrayList<>();
        Set<String> members = new java.util.HashSet<>();
        try (var files = Files.walk(module.resolve("src/main/java"))) {
            for (Path f : files.filter(f -> f.toString().endsWith(".java")).toList()) {
                String java = Files.readString(f);
                var mapping = Pattern.compile("@ConfigMapping\\(prefix = \"([^\"]+)\"\\)").matcher(java);
                if (!mapping.find()) continue;
                prefixes.add(envForm(mapping.group(1)));
                var method = Pattern.compile("(?m)^\\s+(?:[\\w<>, ?]+)\\s+(\\w+)\\(\\);").matcher(java);
                while (method.find()) members.add(envForm(method.group(1).replaceAll("([a-z0-9])([A-Z])", "$1-$2")));
            }
        }
        return variable -> read.contains(variable) || prefixes.stream().anyMatch(prefix -> variable.startsWith(prefix + "_")
                && splitsInto(variable.substring(prefix.length() + 1), members));
    }

    /** Whether {@code rest} is one or more of {@code names} joined by '_'. */
    private static boolean splitsInto(String rest, Set<String> names) {
        if (names.contains(rest)) return true;
        for (String n : names) {
            if (rest.startsWith(n + "_") && splitsInto(rest.substring(n.length() + 1), names)) return true;
        }
        return false;
    }

    private static String envForm(String property) {
        return property.toUpperCase(java.util.Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
    }

    /** Every gRPC client address (HOST/PORT pair) in a ConfigMap is a Service of the overlay with that grpc port. */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void grpcClientAddressesResolveToServicesOfTheOverlay(String name) {
        Overlay o = Overlay.of(name);
        int checked = 0;
        for (ConfigMap cm : o.all(ConfigMap.class)) {
            Map<String, String> data = Optional.ofNullable(cm.getData()).orElse(Map.of());
            for (var e : data.entrySet()) {
                if (!e.getKey().endsWith("_GRPC_HOST")) continue;
                String portKey = e.getKey().replace("_GRPC_HOST", "_GRPC_PORT");
                String where = cm.getMetadata().getName() + "/" + e.getKey();
                assertTrue(data.containsKey(portKey), where + ": no " + portKey);
                assertTrue(e.getValue().endsWith(CLUSTER_DNS), where + ": not a Kubernetes DNS name of namespace " + Overlay.NAMESPACE + ": " + e.getValue());
                assertGrpcService(o, where, e.getValue(), Integer.parseInt(data.get(portKey)));
                checked++;
            }
        }
        // Partner banks: the sandbox in dev (in-cluster); real banks in prod are external.
        Properties banks = banks(o);
        for (String key : banks.stringPropertyNames()) {
            if (!key.endsWith(".host")) continue;
            String host = banks.getProperty(key);
            int port = Integer.parseInt(banks.getProperty(key.replace(".host", ".port")));
            // account-link-service will not start without it: its token for the bank is asked for with that scope
            assertNotNull(banks.getProperty(key.replace(".host", ".token-scope")), key + ": no token-scope");
            if ("prod".equals(name)) {
                assertFalse(host.endsWith(".svc.cluster.local"), key + ": prod banks are external, not " + host);
                assertEquals("true", banks.getProperty(key.replace(".host", ".tls")), key + ": prod banks are reached over TLS");
            } else {
                assertGrpcService(o, key, host, port);
            }
            checked++;
        }
        assertTrue(checked >= ("dev".equals(name) ? 6 : 4), name + ": gRPC addresses checked: " + checked);
    }

    /** Any other in-cluster address in configuration (JDBC URLs, the dev OIDC issuer) names a real Service port. */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void inClusterUrlsInConfigMapsNameServicesOfTheOverlay(String name) {
        Overlay o = Overlay.of(name);
        Set<String> cnpgServices = new HashSet<>();
        o.generic("Cluster").forEach(c -> List.of("-rw", "-ro", "-r").forEach(s -> cnpgServices.add(c.getMetadata().getName() + s)));
        List<String> problems = new ArrayList<>();
        for (ConfigMap cm : o.all(ConfigMap.class)) {
            for (String value : Optional.ofNullable(cm.getData()).orElse(Map.of()).values()) {
                Matcher m = DNS_ADDRESS.matcher(value);
                while (m.find()) {
                    String svc = m.group(1);
                    Integer port = m.group(2) == null ? null : Integer.valueOf(m.group(2));
                    if (cnpgServices.contains(svc)) continue; // created by the CloudNativePG operator
                    Optional<Service> s = o.find(Service.class, svc);
                    if (s.isEmpty()) problems.add(cm.getMetadata().getName() + ": " + m.group() + " is not a Service of the overlay");
                    else if (port != null && s.get().getSpec().getPorts().stream().noneMatch(p -> port.equals(p.getPort()))) problems.add(cm.getMetadata().getName() + ": " + m.group() + " - no such port");
                }
            }
        }
        assertTrue(problems.isEmpty(), name + ":\n" + String.join("\n", problems));
    }

    /**
     * A gRPC client's in-cluster address is a headless Service (DNS answers every ready pod, so a round_robin client
     * spreads its calls over the replicas; base/grpc-peers.yaml) whose grpc port is the pods' own port: without a
     * cluster IP nothing translates ports.
     */
    private static void assertGrpcService(Overlay o, String where, String host, int port) {
        String svc = host.substring(0, host.length() - CLUSTER_DNS.length());
        Service s = o.find(Service.class, svc).orElseThrow(() -> new AssertionError(where + ": " + host + " is not a Service of overlay " + o));
        assertEquals("None", s.getSpec().getClusterIP(), where + ": Service " + svc + " is not headless, so one connection reaches one pod");
        ServicePort grpc = s.getSpec().getPorts().stream().filter(p -> p.getPort() == port && "grpc".equals(p.getName())).findFirst()
                .orElseThrow(() -> new AssertionError(where + ": Service " + svc + " has no grpc port " + port));
        List<Integer> podPorts = o.workloads().stream().filter(w -> selects(s, w.template().getMetadata().getLabels()))
                .flatMap(w -> w.containers().stream()).flatMap(c -> Optional.ofNullable(c.getPorts()).orElse(List.of()).stream())
                .filter(p -> grpc.getTargetPort().getStrVal() == null ? p.getContainerPort().equals(grpc.getTargetPort().getIntVal())
                        : grpc.getTargetPort().getStrVal().equals(p.getName()))
                .map(ContainerPort::getContainerPort).toList();
        assertFalse(podPorts.isEmpty(), where + ": Service " + svc + " selects no pod with port " + grpc.getTargetPort());
        assertTrue(podPorts.stream().allMatch(p -> p == port), where + ": Service " + svc + " offers " + port + " but its pods listen on " + podPorts);
    }

    private static boolean selects(Service s, Map<String, String> podLabels) {
        return s.getSpec().getSelector() != null && podLabels != null && podLabels.entrySet().containsAll(s.getSpec().getSelector().entrySet());
    }

    /** Each service's gRPC clients spread their calls over every address their peer's name resolves to. */
    @ParameterizedTest
    @ValueSource(strings = {"chat-service", "sandbox"})
    void grpcClientsSpreadTheirCallsOverEveryReplica(String service) throws IOException {
        Properties p = shipped(service);
        Pattern host = Pattern.compile("quarkus\\.grpc\\.clients\\.([a-z0-9-]+)\\.host");
        List<String> clients = p.stringPropertyNames().stream().map(host::matcher).filter(Matcher::matches).map(m -> m.group(1)).sorted().toList();
        assertFalse(clients.isEmpty(), service + " has no gRPC clients");
        for (String client : clients) {
            assertEquals("round_robin", p.getProperty("quarkus.grpc.clients." + client + ".load-balancing-policy"),
                    service + " client " + client + ": pick_first sends every call down one connection to one replica");
        }
    }

    /**
     * Each partner bank account-link-service knows is a bank business people can chat with, and each bank business
     * names a bank account-link-service knows: otherwise a person could link a bank with no chat for it (no assistant,
     * no conversation), or open a bank's chat whose "Link account" finds no bank.
     */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyPartnerBankIsABankBusinessAndTheOtherWayRound(String name) {
        Overlay o = Overlay.of(name);
        Set<String> banks = new java.util.TreeSet<>();
        banks(o).stringPropertyNames().stream().filter(k -> k.endsWith(".host"))
                .forEach(k -> banks.add(k.substring("accounts.banks.".length(), k.length() - ".host".length())));
        Properties businesses = properties(o, "chat-service-businesses", "businesses.properties");
        Set<String> bankBusinesses = new java.util.TreeSet<>();
        for (String key : businesses.stringPropertyNames()) {
            if (key.endsWith(".kind") && "BANK".equals(businesses.getProperty(key))) {
                String id = key.substring("chat.businesses.".length(), key.length() - ".kind".length());
                String bank = businesses.getProperty("chat.businesses." + id + ".partner-bank-id");
                assertNotNull(bank, name + ": bank business " + id + " names no partner-bank-id");
                bankBusinesses.add(bank);
            }
        }
        assertFalse(banks.isEmpty(), name + ": no partner bank configured");
        assertEquals(banks, bankBusinesses, name + ": partner banks (account-link-service-banks) and bank businesses"
                + " (chat-service-businesses) differ");
    }

    /**
     * The caller lists the cluster gives consent-service (environment variables, which override its
     * application.properties) are the lists it ships with, which ConsentCallersAsShippedIT checks on the packaged jar:
     * a grant added here alone would reach production untested.
     */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void consentServicesCallerListsAreTheOnesItShipsWith(String name) throws IOException {
        Properties shipped = shipped("consent-service");
        Overlay o = Overlay.of(name);
        Map<String, String> data = o.get(ConfigMap.class, hashed(o, ConfigMap.class, "consent-service-config")).getData();
        int lists = 0;
        for (var e : data.entrySet()) {
            if (!e.getKey().startsWith("CONSENT_CALLERS_") || e.getKey().equals("CONSENT_CALLERS_CLIENT_CLAIM")) continue;
            String property = "consent.callers." + e.getKey().substring("CONSENT_CALLERS_".length()).toLowerCase(java.util.Locale.ROOT).replace('_', '-');
            assertEquals(shipped.getProperty(property), e.getValue(), name + ": " + e.getKey() + " differs from " + property + " as shipped");
            lists++;
        }
        assertTrue(lists >= 6, name + ": caller lists checked: " + lists);
        assertFalse(data.containsKey("CONSENT_CALLERS_ACT_FOR_PERSON"), name + ": no service acts for a person named in a request");
    }

    /** A service's application.properties as it ships (profiled lines keep their %profile. prefix). */
    private static Properties shipped(String service) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newBufferedReader(Overlay.repoRoot().resolve(service).resolve("src/main/resources/application.properties"))) {
            p.load(in);
        }
        return p;
    }

    static Properties banks(Overlay o) {
        return properties(o, "account-link-service-banks", "banks.properties");
    }

    private static Properties properties(Overlay o, String configMap, String key) {
        Properties p = new Properties();
        try {
            p.load(new StringReader(o.get(ConfigMap.class, hashed(o, ConfigMap.class, configMap)).getData().get(key)));
        } catch (IOException e) {
            throw new AssertionError(e);
        }
        return p;
    }

    /** Generated ConfigMaps/Secrets carry a content hash suffix; find the one whose name starts with the base name. */
    static <T extends io.fabric8.kubernetes.api.model.HasMetadata> String hashed(Overlay o, Class<T> type, String base) {
        return o.all(type).stream().map(r -> r.getMetadata().getName())
                .filter(n -> n.equals(base) || n.matches(Pattern.quote(base) + "-[a-z0-9]{10}")).findFirst()
                .orElseThrow(() -> new AssertionError(o + " has no " + type.getSimpleName() + " " + base));
    }

    private static Set<String> configMapKeys(Overlay o, String name) {
        return o.find(ConfigMap.class, name).map(cm -> {
            Set<String> keys = new HashSet<>();
            if (cm.getData() != null) keys.addAll(cm.getData().keySet());
            if (cm.getBinaryData() != null) keys.addAll(cm.getBinaryData().keySet());
            return keys;
        }).orElse(Set.of());
    }

    private static Set<String> secretKeys(Overlay o, String name) {
        return o.find(Secret.class, name).map(s -> {
            Set<String> keys = new HashSet<>();
            if (s.getData() != null) keys.addAll(s.getData().keySet());
            if (s.getStringData() != null) keys.addAll(s.getStringData().keySet());
            return keys;
        }).orElse(Set.of());
    }

    @SuppressWarnings("unchecked")
    static List<String> cnpgSecretNames(GenericKubernetesResource cluster) {
        Map<String, Object> spec = WorkloadInvariantsTest.spec(cluster);
        List<String> names = new ArrayList<>();
        Map<String, Object> managed = (Map<String, Object>) spec.getOrDefault("managed", Map.of());
        for (Map<String, Object> role : (List<Map<String, Object>>) managed.getOrDefault("roles", List.of())) {
            names.add((String) ((Map<String, Object>) role.get("passwordSecret")).get("name"));
        }
        Map<String, Object> bootstrap = (Map<String, Object>) spec.getOrDefault("bootstrap", Map.of());
        Map<String, Object> initdb = (Map<String, Object>) bootstrap.getOrDefault("initdb", Map.of());
        if (initdb.get("secret") != null) names.add((String) ((Map<String, Object>) initdb.get("secret")).get("name"));
        return names;
    }
}
