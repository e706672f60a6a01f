package io.commercechat.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The quarkus-kubernetes output checked into k8s/ is what k8s/generate.sh would write today.
 *
 * <p>Regenerating needs a Maven package of each service (minutes, and the build lock), too slow
 * and too heavy for a unit test. So generate.sh records the inputs of generation in each file's
 * header: the generation-relevant lines of the service's application.properties, the Quarkus
 * extensions of its pom and the Quarkus version, plus a SHA-256 of the generated body. This test
 * recomputes the inputs from the checked-in files and the hash from the body: a changed input
 * means "stale, run k8s/generate.sh &lt;service&gt;", a changed body means "edited by hand".
 */
class GeneratedManifestsTest {

    static final String HEADER = "# generated — do not edit; run k8s/generate.sh ";
    static final List<String> SERVICES = List.of("consent-service", "account-link-service", "chat-service", "sandbox");
    /** Same filter as relevant_app_lines() in k8s/generate.sh: prod-profile lines that shape the output. */
    private static final Pattern RELEVANT_APP_LINE = Pattern.compile(
            "^(%prod\\.)?quarkus\\.(kubernetes|container-image|jib|application\\.(name|version)|smallrye-health|management|shutdown"
                    + "|http\\.(port|root-path|non-application-root-path)|grpc\\.server\\.(use-separate-server|port))[.=]");
    private static final Pattern DEPENDENCIES = Pattern.compile("<dependencies>(.*?)</dependencies>", Pattern.DOTALL);
    private static final Pattern DEPENDENCY = Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL);

    @ParameterizedTest
    @ValueSource(strings = {"consent-service", "account-link-service", "chat-service", "sandbox"})
    void generatedManifestIsNotStaleAndNotEditedByHand(String service) throws Exception {
        Path root = Overlay.repoRoot();
        List<String> problems = staleness(root, service);
        assertTrue(problems.isEmpty(), String.join("\n", problems));

        String body = body(Files.readAllLines(generatedFile(root, service), StandardCharsets.UTF_8));
        assertTrue(body.contains("image: ghcr.io/commercechat/" + service + ":1.0.0"), service + " image");
        for (String kind : List.of("kind: Deployment", "kind: Service", "kind: ServiceAccount")) {
            assertTrue(body.contains("\n" + kind + "\n"), service + " has no " + kind);
        }
    }

    @Test
    void everyServiceIsGeneratedFromItsOwnApplicationProperties() throws IOException {
        Path root = Overlay.repoRoot();
        for (String service : SERVICES) {
            List<String> app = currentAppLines(root.resolve(service + "/src/main/resources/application.properties"));
            assertTrue(app.stream().anyMatch(l -> l.startsWith("quarkus.kubernetes.")), service + " has no quarkus.kubernetes.* configuration");
            assertTrue(app.contains("quarkus.shutdown.delay-enabled=true"), service + " lacks quarkus.shutdown.delay-enabled=true");
            assertTrue(app.contains("quarkus.container-image.build=false"), service + ": image builds must stay off by default");
            assertTrue(quarkusExtensions(root.resolve(service + "/pom.xml")).containsAll(List.of("quarkus-kubernetes", "quarkus-container-image-jib")),
                    service + " lacks quarkus-kubernetes or quarkus-container-image-jib");
            assertTrue(Files.isRegularFile(root.resolve(service + "/src/main/docker/Dockerfile.jvm")), service + " Dockerfile.jvm");
            assertTrue(Files.isRegularFile(root.resolve(service + "/src/main/docker/Dockerfile.native-micro")), service + " Dockerfile.native-micro");
        }
    }

    /** The check above must be able to fail: change each kind of input in a copy and expect it noticed. */
    @Test
    void aChangedInputOrAHandEditIsReported(@TempDir Path copy) throws Exception {
        Path root = Overlay.repoRoot();
        String service = "consent-service";
        for (String f : List.of("pom.xml", service + "/pom.xml", service + "/src/main/resources/application.properties",
                "k8s/base/generated/" + service + ".yaml")) {
            Files.createDirectories(copy.resolve(f).getParent());
            Files.copy(root.resolve(f), copy.resolve(f));
        }
        assertEquals(List.of(), staleness(copy, service));

        Path app = copy.resolve(service + "/src/main/resources/application.properties");
        String original = Files.readString(app);
        Files.writeString(app, original.replace("quarkus.kubernetes.resources.limits.memory=", "quarkus.kubernetes.resources.limits.memory=1"));
        assertTrue(staleness(copy, service).stream().anyMatch(p -> p.contains("application.properties changed")), "changed app line");
        Files.writeString(app, original + "\n%prod.quarkus.kubernetes.replicas=3\n");
        assertTrue(staleness(copy, service).stream().anyMatch(p -> p.contains("application.properties changed")), "added %prod line");
        Files.writeString(app, original + "\n%test.quarkus.kubernetes.replicas=3\n");
        assertEquals(List.of(), staleness(copy, service), "a %test line does not affect generation");
        Files.writeString(app, original);

        Path pom = copy.resolve(service + "/pom.xml");
        String pomText = Files.readString(pom);
        Files.writeString(pom, pomText.replace("<dependencies>",
                "<dependencies>\n    <dependency><groupId>io.quarkus</groupId><artifactId>quarkus-rest</artifactId></dependency>"));
        assertTrue(staleness(copy, service).stream().anyMatch(p -> p.contains("Quarkus extensions changed")), "added extension");
        Files.writeString(pom, pomText);

        Path generated = copy.resolve("k8s/base/generated/" + service + ".yaml");
        Files.writeString(generated, Files.readString(generated).replace("memory: 512Mi", "memory: 1Gi"));
        assertTrue(staleness(copy, service).stream().anyMatch(p -> p.contains("edited by hand")), "hand edit");
    }

    /** What is out of date in the generated file of {@code service} under {@code root}; empty when nothing. */
    static List<String> staleness(Path root, String service) throws IOException, NoSuchAlgorithmException {
        Path file = generatedFile(root, service);
        String regenerate = " — run k8s/generate.sh " + service;
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        List<String> problems = new ArrayList<>();
        if (!lines.get(0).equals(HEADER + service)) {
            problems.add(file + " lacks the header '" + HEADER + service + "'");
            return problems;
        }
        List<String> app = new ArrayList<>();
        List<String> extensions = new ArrayList<>();
        String contentHash = null;
        String quarkus = null;
        for (String l : header(lines)) {
            if (l.startsWith("# app: ")) app.add(l.substring("# app: ".length()));
            else if (l.startsWith("# extension: ")) extensions.add(l.substring("# extension: ".length()));
            else if (l.startsWith("# content-sha256: ")) contentHash = l.substring("# content-sha256: ".length());
            else if (l.startsWith("# service: ")) {
                Matcher m = Pattern.compile("quarkus: ([^;]+);").matcher(l);
                quarkus = m.find() ? m.group(1) : null;
            }
        }
        List<String> currentApp = currentAppLines(root.resolve(service + "/src/main/resources/application.properties"));
        if (!currentApp.equals(app)) {
            problems.add(service + "'s application.properties changed in a way that affects generation" + regenerate
                    + "\n  recorded: " + app + "\n  now:      " + currentApp);
        }
        List<String> currentExtensions = quarkusExtensions(root.resolve(service + "/pom.xml"));
        if (!currentExtensions.equals(extensions)) {
            problems.add(service + "'s Quarkus extensions changed since generation" + regenerate
                    + "\n  recorded: " + extensions + "\n  now:      " + currentExtensions);
        }
        String version = quarkusVersion(root);
        if (!version.equals(quarkus)) problems.add("the Quarkus version changed since generation (" + quarkus + " -> " + version + ")" + regenerate);
        if (!sha256(body(lines)).equals(contentHash)) problems.add(file + " was edited by hand" + regenerate);
        return problems;
    }

    private static Path generatedFile(Path root, String service) {
        return root.resolve(service.equals("sandbox") ? "k8s/sandbox/generated/sandbox.yaml" : "k8s/base/generated/" + service + ".yaml");
    }

    private static List<String> header(List<String> lines) {
        int i = 0;
        while (i < lines.size() && lines.get(i).startsWith("# ")) i++;
        return lines.subList(0, i);
    }

    private static String body(List<String> lines) {
        return String.join("\n", lines.subList(header(lines).size(), lines.size())) + "\n";
    }

    private static List<String> currentAppLines(Path applicationProperties) throws IOException {
        return Files.readAllLines(applicationProperties, StandardCharsets.UTF_8).stream()
                .filter(l -> RELEVANT_APP_LINE.matcher(l).find()).sorted().toList();
    }

    /** Same as quarkus_extensions() in k8s/generate.sh: io.quarkus dependencies outside test scope. */
    static List<String> quarkusExtensions(Path pom) throws IOException {
        Matcher deps = DEPENDENCIES.matcher(Files.readString(pom, StandardCharsets.UTF_8));
        assertTrue(deps.find(), pom + " has no <dependencies>");
        TreeSet<String> found = new TreeSet<>();
        Matcher d = DEPENDENCY.matcher(deps.group(1));
        while (d.find()) {
            String dep = d.group(1);
            if ("io.quarkus".equals(element(dep, "groupId")) && !"test".equals(element(dep, "scope"))) found.add(element(dep, "artifactId"));
        }
        return List.copyOf(found);
    }

    private static String element(String xml, String name) {
        Matcher m = Pattern.compile("<" + name + ">\\s*([^<\\s]+)\\s*</" + name + ">").matcher(xml);
        return m.find() ? m.group(1) : null;
    }

    private static String quarkusVersion(Path root) throws IOException {
        Matcher m = Pattern.compile("<quarkus.platform.version>([^<]+)</quarkus.platform.version>")
                .matcher(Files.readString(root.resolve("pom.xml")));
        assertTrue(m.find());
        return m.group(1);
    }

    private static String sha256(String text) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
    }
}
