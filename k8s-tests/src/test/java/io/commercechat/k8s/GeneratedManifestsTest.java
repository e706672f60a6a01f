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
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The quarkus-kubernetes output checked into k8s/ is what k8s/generate.sh would write today.
 *
 * <p>Regenerating needs a Maven build of each service (minutes, and the build lock), too slow and
 * too heavy for a unit test. So generate.sh records its inputs in each file's header: every
 * -D property it passed (k8s/generate/&lt;service&gt;.properties), the generation-relevant lines of
 * the service's application.properties and the Quarkus version, plus a SHA-256 of the generated
 * body. This test recomputes the inputs from the checked-in files and the hash from the body:
 * a changed input means "stale, run k8s/generate.sh", a changed body means "edited by hand".
 */
class GeneratedManifestsTest {

    static final String HEADER = "# generated — do not edit; run k8s/generate.sh";
    /** Same filter as relevant_app_lines() in k8s/generate.sh. */
    private static final Pattern RELEVANT_APP_LINE = Pattern.compile("^quarkus\\.(kubernetes|container-image|application\\.name|smallrye-health|http\\.(root-path|non-application-root-path))");

    @ParameterizedTest
    @ValueSource(strings = {"consent-service", "account-link-service", "chat-service", "sandbox"})
    void generatedManifestIsNotStaleAndNotEditedByHand(String service) throws Exception {
        Path root = Overlay.repoRoot();
        Path file = root.resolve(service.equals("sandbox") ? "k8s/sandbox/generated/sandbox.yaml" : "k8s/base/generated/" + service + ".yaml");
        String regenerate = " — run k8s/generate.sh " + service;
        List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        assertEquals(HEADER, lines.get(0), file + " lacks the generated header");

        int bodyStart = 0;
        List<String> inputs = new ArrayList<>();
        List<String> app = new ArrayList<>();
        String contentHash = null;
        String quarkus = null;
        while (bodyStart < lines.size() && lines.get(bodyStart).startsWith("# ")) {
            String l = lines.get(bodyStart++);
            if (l.startsWith("# input: ")) inputs.add(l.substring("# input: ".length()));
            else if (l.startsWith("# app: ")) app.add(l.substring("# app: ".length()));
            else if (l.startsWith("# content-sha256: ")) contentHash = l.substring("# content-sha256: ".length());
            else if (l.startsWith("# service: ")) {
                Matcher m = Pattern.compile("quarkus: ([^;]+);").matcher(l);
                assertTrue(m.find(), l);
                quarkus = m.group(1);
            }
        }
        assertEquals(currentInputs(root.resolve("k8s/generate/" + service + ".properties")), inputs,
                "k8s/generate/" + service + ".properties changed since generation" + regenerate);
        assertEquals(currentAppLines(root.resolve(service + "/src/main/resources/application.properties")), app,
                service + "'s application.properties changed in a way that affects generation" + regenerate);
        assertEquals(quarkusVersion(root), quarkus, "the Quarkus version changed since generation" + regenerate);

        String body = String.join("\n", lines.subList(bodyStart, lines.size())) + "\n";
        assertEquals(contentHash, sha256(body), file + " was edited by hand" + regenerate);
        assertTrue(body.contains("image: ghcr.io/commercechat/" + service + ":1.0.0"), file + " image");
        for (String kind : List.of("kind: Deployment", "kind: Service", "kind: ServiceAccount")) {
            assertTrue(body.contains("\n" + kind + "\n"), file + " has no " + kind);
        }
    }

    private static List<String> currentInputs(Path properties) throws IOException {
        return Files.readAllLines(properties, StandardCharsets.UTF_8).stream()
                .filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    private static List<String> currentAppLines(Path applicationProperties) throws IOException {
        return Files.readAllLines(applicationProperties, StandardCharsets.UTF_8).stream()
                .filter(l -> RELEVANT_APP_LINE.matcher(l).find()).sorted().toList();
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
