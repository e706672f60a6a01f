package io.commercechat.k8s;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.PodSecurityContext;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What every pod of every overlay must satisfy: probes, resources, restricted security, pinned images. */
class WorkloadInvariantsTest {

    /** registry/repo:tag where the tag is explicit and not "latest" (digests are pinned too). */
    private static final Pattern PINNED = Pattern.compile("^[^@\\s]+:(?!latest$)[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[0-9a-f]{64})?$|^[^@\\s]+@sha256:[0-9a-f]{64}$");

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyContainerHasTheThreeProbesAndRequestsAndLimits(String name) {
        Overlay o = Overlay.of(name);
        List<String> problems = new ArrayList<>();
        for (var w : o.workloads()) {
            for (Container c : w.containers()) {
                String id = w.id() + " container " + c.getName();
                if (c.getLivenessProbe() == null) problems.add(id + ": no livenessProbe");
                if (c.getReadinessProbe() == null) problems.add(id + ": no readinessProbe");
                if (c.getStartupProbe() == null) problems.add(id + ": no startupProbe");
            }
            for (Container c : w.allContainers()) {
                String id = w.id() + " container " + c.getName();
                var r = c.getResources();
                for (String kind : List.of("cpu", "memory")) {
                    if (r == null || r.getRequests() == null || !r.getRequests().containsKey(kind)) problems.add(id + ": no " + kind + " request");
                    if (r == null || r.getLimits() == null || !r.getLimits().containsKey(kind)) problems.add(id + ": no " + kind + " limit");
                }
            }
        }
        assertTrue(problems.isEmpty(), name + ":\n" + String.join("\n", problems));
        assertFalse(o.workloads().isEmpty(), name + " renders no workloads");
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void quarkusServicesProbeSmallRyeHealth(String name) {
        Overlay o = Overlay.of(name);
        for (var w : quarkusServices(name)) {
            Container c = w.containers().get(0);
            assertEquals("/q/health/live", c.getLivenessProbe().getHttpGet().getPath(), w.id());
            assertEquals("/q/health/ready", c.getReadinessProbe().getHttpGet().getPath(), w.id());
            assertEquals("/q/health/started", c.getStartupProbe().getHttpGet().getPath(), w.id());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyContainerRunsWithTheRestrictedSecurityContext(String name) {
        Overlay o = Overlay.of(name);
        assertTrue(o.workloads().size() >= quarkusServices(name).size(), name + ": the workloads to check");
        List<String> problems = new ArrayList<>();
        for (var w : o.workloads()) {
            PodSpec pod = w.template().getSpec();
            PodSecurityContext psc = Optional.ofNullable(pod.getSecurityContext()).orElse(new PodSecurityContext());
            for (Container c : w.allContainers()) {
                String id = w.id() + " container " + c.getName();
                SecurityContext sc = c.getSecurityContext();
                if (sc == null) {
                    problems.add(id + ": no securityContext");
                    continue;
                }
                if (!Boolean.TRUE.equals(firstNonNull(sc.getRunAsNonRoot(), psc.getRunAsNonRoot()))) problems.add(id + ": runAsNonRoot is not true");
                Long uid = firstNonNull(sc.getRunAsUser(), psc.getRunAsUser());
                if (uid != null && uid == 0L) problems.add(id + ": runs as uid 0");
                if (!Boolean.TRUE.equals(sc.getReadOnlyRootFilesystem())) problems.add(id + ": readOnlyRootFilesystem is not true");
                if (!Boolean.FALSE.equals(sc.getAllowPrivilegeEscalation())) problems.add(id + ": allowPrivilegeEscalation is not false");
                if (Boolean.TRUE.equals(sc.getPrivileged())) problems.add(id + ": privileged");
                if (sc.getCapabilities() == null || sc.getCapabilities().getDrop() == null || !sc.getCapabilities().getDrop().contains("ALL")) {
                    problems.add(id + ": capabilities do not drop ALL");
                }
                if (sc.getCapabilities() != null && sc.getCapabilities().getAdd() != null && !sc.getCapabilities().getAdd().isEmpty()) {
                    problems.add(id + ": adds capabilities " + sc.getCapabilities().getAdd());
                }
                var seccomp = firstNonNull(sc.getSeccompProfile(), psc.getSeccompProfile());
                if (seccomp == null || !"RuntimeDefault".equals(seccomp.getType())) problems.add(id + ": seccompProfile is not RuntimeDefault");
            }
            for (Container c : w.containers()) {
                if (!writableTmp(pod, c)) problems.add(w.id() + " container " + c.getName() + ": read-only root filesystem without an emptyDir at /tmp");
            }
            if (Boolean.TRUE.equals(pod.getHostNetwork()) || Boolean.TRUE.equals(pod.getHostPID()) || Boolean.TRUE.equals(pod.getHostIPC())) {
                problems.add(w.id() + ": shares a host namespace");
            }
            if (pod.getVolumes() != null && pod.getVolumes().stream().anyMatch(v -> v.getHostPath() != null)) problems.add(w.id() + ": hostPath volume");
        }
        assertTrue(problems.isEmpty(), name + ":\n" + String.join("\n", problems));
    }

    private static boolean writableTmp(PodSpec pod, Container c) {
        if (c.getVolumeMounts() == null) return false;
        for (VolumeMount m : c.getVolumeMounts()) {
            if (!"/tmp".equals(m.getMountPath()) || Boolean.TRUE.equals(m.getReadOnly())) continue;
            for (Volume v : pod.getVolumes()) {
                if (v.getName().equals(m.getName()) && v.getEmptyDir() != null) return true;
            }
        }
        return false;
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyImageHasAPinnedTag(String name) {
        Overlay o = Overlay.of(name);
        List<String> images = new ArrayList<>();
        o.workloads().forEach(w -> w.allContainers().forEach(c -> images.add(c.getImage())));
        o.generic("Cluster").forEach(c -> images.add(String.valueOf(spec(c).get("imageName"))));
        assertFalse(images.isEmpty());
        for (String image : images) {
            assertTrue(image != null && PINNED.matcher(image).matches(), name + ": image not pinned to a tag: " + image);
        }
        if (name.equals("dev")) {
            // dev runs the images the generated Deployments name; prod pins each release (OverlayContentTest)
            quarkusServices(name).forEach(w -> assertEquals("ghcr.io/commercechat/" + w.appName() + ":1.0.0", w.containers().get(0).getImage(), w.id()));
        }
    }

    /** The overlay's Quarkus services; there must be at least the three of the mesh. */
    private static List<Overlay.Workload> quarkusServices(String name) {
        List<Overlay.Workload> services = Overlay.of(name).quarkusWorkloads();
        assertTrue(services.size() >= 3, name + ": expected the Quarkus services, found " + services.size());
        return services;
    }

    /**
     * The JVM services run G1 with their heap sized from the start, not the image's ParallelGC with the
     * heap kept at its smallest (k8s/README.md, "The JVM in the image"); heap + the rest must fit the limit.
     */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void quarkusServicesRunG1WithAHeapSizedFromTheStart(String name) {
        for (var w : quarkusServices(name)) {
            Container c = w.containers().get(0);
            assertEquals("-XX:+UseG1GC", env(c, "GC_CONTAINER_OPTIONS"), w.id());
            int heapPercent = Integer.parseInt(env(c, "JAVA_MAX_MEM_RATIO"));
            assertTrue(heapPercent >= 50 && heapPercent <= 70, w.id() + ": heap " + heapPercent
                    + " % of the memory limit leaves too much or too little for metaspace, code, threads and direct buffers");
            assertEquals("-XX:InitialRAMPercentage=" + heapPercent, env(c, "JDK_JAVA_OPTIONS"), w.id());
            // a heap of that size from the start uses about the limit at once: the scheduler must reserve it
            assertEquals(c.getResources().getLimits().get("memory"), c.getResources().getRequests().get("memory"),
                    w.id() + ": memory request below the limit the heap is sized from");
        }
    }

    /** Quarkus delays shutdown (readiness DOWN) then drains; Kubernetes must wait longer than both. */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void terminationGracePeriodCoversTheShutdownDelayAndTimeout(String name) {
        for (var w : quarkusServices(name)) {
            Container c = w.containers().get(0);
            Duration delay = duration(env(c, "QUARKUS_SHUTDOWN_DELAY"), w.id());
            Duration timeout = duration(env(c, "QUARKUS_SHUTDOWN_TIMEOUT"), w.id());
            assertTrue(!delay.isZero() && !delay.isNegative(), w.id() + ": no shutdown delay");
            Long grace = w.template().getSpec().getTerminationGracePeriodSeconds();
            assertTrue(grace != null && grace > delay.plus(timeout).toSeconds(),
                    w.id() + ": terminationGracePeriodSeconds " + grace + " must exceed delay " + delay + " + timeout " + timeout);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void everyServiceTargetsADeclaredContainerPort(String name) {
        Overlay o = Overlay.of(name);
        List<String> problems = new ArrayList<>();
        for (Service s : o.all(Service.class)) {
            Map<String, String> selector = s.getSpec().getSelector();
            var pods = o.workloads().stream().filter(w -> selector != null && w.labels().entrySet().containsAll(selector.entrySet())).toList();
            if (pods.isEmpty()) {
                problems.add("Service " + s.getMetadata().getName() + " selects no pods");
                continue;
            }
            for (ServicePort sp : s.getSpec().getPorts()) {
                for (var w : pods) {
                    if (!declares(w.containers(), sp.getTargetPort() == null ? new IntOrString(sp.getPort()) : sp.getTargetPort())) {
                        problems.add("Service " + s.getMetadata().getName() + " port " + sp.getName() + " targets " + sp.getTargetPort() + ", not a port of " + w.id());
                    }
                }
            }
        }
        assertTrue(problems.isEmpty(), name + ":\n" + String.join("\n", problems));
    }

    /** Mesh services offer http (80) and grpc (9000), both onto the container's one port named http. */
    @ParameterizedTest
    @ValueSource(strings = {"dev", "prod"})
    void meshServicesOfferHttpAndGrpcOnTheOneContainerPort(String name) {
        Overlay o = Overlay.of(name);
        for (String svc : List.of("chat-service", "account-link-service", "consent-service")) {
            Service s = o.get(Service.class, svc);
            ServicePort http = s.getSpec().getPorts().stream().filter(p -> "http".equals(p.getName())).findFirst().orElseThrow();
            ServicePort grpc = s.getSpec().getPorts().stream().filter(p -> "grpc".equals(p.getName())).findFirst().orElseThrow(
                    () -> new AssertionError(svc + " has no grpc port"));
            assertEquals(80, http.getPort());
            assertEquals(9000, grpc.getPort());
            assertEquals("http", http.getTargetPort().getStrVal(), svc);
            assertEquals("http", grpc.getTargetPort().getStrVal(), svc);
        }
    }

    static boolean declares(List<Container> containers, IntOrString target) {
        for (Container c : containers) {
            if (c.getPorts() == null) continue;
            for (ContainerPort p : c.getPorts()) {
                if (target.getIntVal() != null ? Objects.equals(p.getContainerPort(), target.getIntVal()) : target.getStrVal().equals(p.getName())) {
                    return true;
                }
            }
        }
        return false;
    }

    static String env(Container c, String name) {
        return c.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst()
                .orElseThrow(() -> new AssertionError(c.getName() + " has no env " + name));
    }

    private static Duration duration(String value, String where) {
        String v = value.trim().toUpperCase(Locale.ROOT);
        if (v.matches("\\d+")) return Duration.ofSeconds(Long.parseLong(v));
        try {
            return Duration.parse(v.startsWith("P") ? v : "PT" + v);
        } catch (RuntimeException e) {
            fail(where + ": not a duration: " + value);
            throw e;
        }
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> spec(GenericKubernetesResource r) {
        return (Map<String, Object>) r.getAdditionalProperties().get("spec");
    }

    @SafeVarargs
    private static <T> T firstNonNull(T... values) {
        for (T v : values) if (v != null) return v;
        return null;
    }
}
