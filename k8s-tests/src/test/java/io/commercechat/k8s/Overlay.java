package io.commercechat.k8s;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** One overlay of k8s/, rendered by {@code kubectl kustomize} and parsed into typed fabric8 objects. */
final class Overlay {

    static final String NAMESPACE = "commerce-chat";
    private static final Map<String, Overlay> RENDERED = new ConcurrentHashMap<>();
    private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

    final String name;
    final List<HasMetadata> resources;

    private Overlay(String name, List<HasMetadata> resources) {
        this.name = name;
        this.resources = resources;
    }

    /** Renders the overlay once per test run; skips the calling test when kubectl is not installed. */
    static Overlay of(String name) {
        assumeTrue(kubectl().isPresent(), "kubectl is not installed (or not on PATH / KUBECTL): the k8s overlay"
                + " tests are skipped. Install kubectl 1.27+ to run them.");
        return RENDERED.computeIfAbsent(name, Overlay::render);
    }

    /** The repository root; COMMERCECHAT_REPO_ROOT points the tests at another checkout. */
    static Path repoRoot() {
        String override = System.getenv("COMMERCECHAT_REPO_ROOT");
        String root = override != null && !override.isBlank() ? override : System.getProperty("commercechat.repo.root", "..");
        return Path.of(root).toAbsolutePath().normalize();
    }

    static Optional<String> kubectl() {
        String explicit = System.getenv("KUBECTL");
        if (explicit != null && !explicit.isBlank()) {
            return Optional.of(explicit).filter(k -> Files.isExecutable(Path.of(k)));
        }
        return Stream.of(System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator))
                .map(dir -> Path.of(dir, "kubectl"))
                .filter(Files::isExecutable)
                .map(Path::toString)
                .findFirst();
    }

    private static Overlay render(String name) {
        String yaml = run(kubectl().orElseThrow(), "kustomize", repoRoot().resolve("k8s/overlays/" + name).toString());
        List<HasMetadata> parsed = new ArrayList<>();
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (doc.isBlank()) {
                continue;
            }
            Object o = SERIALIZATION.unmarshal(doc);
            if (!(o instanceof HasMetadata h)) {
                throw new AssertionError(name + ": a rendered document is not a Kubernetes resource: " + doc);
            }
            parsed.add(h);
        }
        return new Overlay(name, List.copyOf(parsed));
    }

    static String run(String... command) {
        try {
            Path out = Files.createTempFile("k8s-tests", ".out");
            Path err = Files.createTempFile("k8s-tests", ".err");
            Process p = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            if (!p.waitFor(2, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError(String.join(" ", command) + " did not finish in 2 minutes");
            }
            String stdout = Files.readString(out, StandardCharsets.UTF_8);
            String stderr = Files.readString(err, StandardCharsets.UTF_8);
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
            if (p.exitValue() != 0) {
                throw new AssertionError(String.join(" ", command) + " failed (" + p.exitValue() + "):\n" + stderr);
            }
            return stdout;
        } catch (IOException e) {
            throw new AssertionError("could not run " + String.join(" ", command), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    <T extends HasMetadata> List<T> all(Class<T> type) {
        return resources.stream().filter(type::isInstance).map(type::cast).toList();
    }

    <T extends HasMetadata> Optional<T> find(Class<T> type, String name) {
        return all(type).stream().filter(r -> r.getMetadata().getName().equals(name)).findFirst();
    }

    <T extends HasMetadata> T get(Class<T> type, String name) {
        return find(type, name).orElseThrow(() -> new AssertionError(
                this.name + " has no " + type.getSimpleName() + " named " + name));
    }

    List<GenericKubernetesResource> generic(String kind) {
        return all(GenericKubernetesResource.class).stream().filter(g -> g.getKind().equals(kind)).toList();
    }

    /** Deployments and StatefulSets: everything that runs pods we define. */
    List<Workload> workloads() {
        List<Workload> w = new ArrayList<>();
        all(Deployment.class).forEach(d -> w.add(new Workload("Deployment/" + d.getMetadata().getName(),
                d.getSpec().getTemplate(), d.getSpec().getReplicas())));
        all(StatefulSet.class).forEach(s -> w.add(new Workload("StatefulSet/" + s.getMetadata().getName(),
                s.getSpec().getTemplate(), s.getSpec().getReplicas())));
        return w;
    }

    /** The workloads quarkus-kubernetes generated: our services. */
    List<Workload> quarkusWorkloads() {
        return workloads().stream().filter(w -> "quarkus".equals(w.labels().get("app.kubernetes.io/managed-by"))).toList();
    }

    @Override
    public String toString() {
        return name;
    }

    record Workload(String id, PodTemplateSpec template, Integer replicas) {
        Map<String, String> labels() {
            return template.getMetadata().getLabels();
        }

        String appName() {
            return labels().get("app.kubernetes.io/name");
        }

        List<Container> containers() {
            return template.getSpec().getContainers();
        }

        List<Container> allContainers() {
            List<Container> c = new ArrayList<>(template.getSpec().getContainers());
            if (template.getSpec().getInitContainers() != null) {
                c.addAll(template.getSpec().getInitContainers());
            }
            return c;
        }
    }
}
