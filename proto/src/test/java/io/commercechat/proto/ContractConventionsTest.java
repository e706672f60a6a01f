package io.commercechat.proto;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.DescriptorProtos.FileDescriptorSet;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor.Type;
import com.google.protobuf.Descriptors.FileDescriptor;
import com.google.protobuf.Descriptors.MethodDescriptor;
import com.google.protobuf.Descriptors.ServiceDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Compiles every contract with the real protoc and checks the conventions of DESIGN.md section 3,
 * so a contract that breaks them fails the build instead of surprising a consumer.
 */
class ContractConventionsTest {

    private static final Pattern VERSIONED_PACKAGE = Pattern.compile("commercechat\\.[a-z]+\\.v[0-9]+");
    private static final Set<String> REQUIRED_SERVICES = Set.of(
            "commercechat.consent.v1.ConsentService",
            "commercechat.accounts.v1.AccountService",
            "commercechat.partner.v1.BankConnector",
            "commercechat.partner.v1.BusinessMessaging",
            "commercechat.partner.v1.PartnerLinkEvents");
    private static final String MONEY = "commercechat.common.v1.Money";
    private static final String TIMESTAMP = "google.protobuf.Timestamp";

    @Test
    void contractsFollowTheConventions() throws Exception {
        List<FileDescriptor> files = compile(Path.of(System.getProperty("proto.root")));
        assertEquals(List.of(), violations(files));
        Set<String> services = files.stream().flatMap(f -> f.getServices().stream())
                .map(ServiceDescriptor::getFullName).collect(Collectors.toSet());
        assertTrue(services.containsAll(REQUIRED_SERVICES), "missing services: " + services);
    }

    @Test
    void theCheckerRejectsABrokenContract() throws Exception {
        Path broken = Path.of(getClass().getResource("/broken").toURI());
        List<String> found = violations(compile(broken));
        String all = String.join("\n", found);
        for (String expected : List.of("not versioned", "java_multiple_files", "RED", "floating point",
                "created_at", "price", "ListItems response", "page_size", "next_page_token",
                "Follow", "after_position")) {
            assertTrue(all.contains(expected), "expected a violation mentioning '" + expected + "' in:\n" + all);
        }
    }

    static List<String> violations(List<FileDescriptor> files) {
        List<String> out = new ArrayList<>();
        Map<String, String> messageUsedBy = new HashMap<>();
        for (FileDescriptor file : files) {
            if (file.getPackage().startsWith("google.protobuf")) {
                continue;
            }
            if (!VERSIONED_PACKAGE.matcher(file.getPackage()).matches()) {
                out.add(file.getName() + ": package " + file.getPackage() + " is not versioned (commercechat.<area>.v1)");
            } else if (!file.getName().startsWith(file.getPackage().replace('.', '/') + "/")) {
                out.add(file.getName() + ": path does not follow package " + file.getPackage());
            }
            if (!file.getOptions().getJavaMultipleFiles()) {
                out.add(file.getName() + ": java_multiple_files must be true");
            }
            for (EnumDescriptor e : file.getEnumTypes()) {
                checkEnum(e, out);
            }
            for (Descriptor m : file.getMessageTypes()) {
                checkMessage(m, out);
            }
            for (ServiceDescriptor service : file.getServices()) {
                for (MethodDescriptor rpc : service.getMethods()) {
                    checkRpc(rpc, messageUsedBy, out);
                }
            }
        }
        return out;
    }

    private static void checkEnum(EnumDescriptor e, List<String> out) {
        String prefix = upperSnake(e.getName()) + "_";
        if (e.getValues().isEmpty() || !e.getValues().get(0).getName().equals(prefix + "UNSPECIFIED")
                || e.getValues().get(0).getNumber() != 0) {
            out.add("enum " + e.getFullName() + ": value 0 must be " + prefix + "UNSPECIFIED");
        }
        e.getValues().stream().filter(v -> !v.getName().startsWith(prefix))
                .forEach(v -> out.add("enum " + e.getFullName() + ": value " + v.getName() + " lacks prefix " + prefix));
    }

    private static void checkMessage(Descriptor m, List<String> out) {
        for (FieldDescriptor f : m.getFields()) {
            String where = m.getFullName() + "." + f.getName();
            if (f.getType() == Type.FLOAT || f.getType() == Type.DOUBLE) {
                out.add(where + ": floating point is not allowed (money is Money or minor units)");
            }
            if (f.getName().endsWith("_at") && !isMessage(f, TIMESTAMP)) {
                out.add(where + ": *_at fields must be google.protobuf.Timestamp");
            }
            if (Stream.of("amount", "price", "total").anyMatch(f.getName()::contains) && !isMessage(f, MONEY)) {
                out.add(where + ": money fields must be " + MONEY);
            }
        }
        m.getNestedTypes().forEach(n -> checkMessage(n, out));
        m.getEnumTypes().forEach(e -> checkEnum(e, out));
    }

    private static void checkRpc(MethodDescriptor rpc, Map<String, String> usedBy, List<String> out) {
        String name = rpc.getService().getName() + "." + rpc.getName();
        Descriptor in = rpc.getInputType();
        Descriptor res = rpc.getOutputType();
        if (!in.getName().endsWith(rpc.getName() + "Request")) {
            out.add(name + ": " + rpc.getName() + " request must be <Rpc>Request, was " + in.getName());
        }
        if (!res.getName().endsWith(rpc.getName() + "Response")) {
            out.add(name + ": " + rpc.getName() + " response must be <Rpc>Response, was " + res.getName());
        }
        for (Descriptor d : List.of(in, res)) {
            String previous = usedBy.putIfAbsent(d.getFullName(), name);
            if (previous != null && !previous.equals(name)) {
                out.add(name + ": message " + d.getName() + " is already used by " + previous);
            }
        }
        if (rpc.getName().startsWith("List")) {
            requireField(in, "page_size", Type.INT32, name, out);
            requireField(in, "page_token", Type.STRING, name, out);
            requireField(res, "next_page_token", Type.STRING, name, out);
        }
        if (rpc.isServerStreaming()) {
            requireField(in, "after_position", Type.INT64, name + " (resumable stream)", out);
        }
    }

    private static void requireField(Descriptor d, String field, Type type, String rpc, List<String> out) {
        FieldDescriptor f = d.findFieldByName(field);
        if (f == null || f.getType() != type || f.isRepeated()) {
            out.add(rpc + ": " + d.getName() + " needs " + type.name().toLowerCase() + " " + field);
        }
    }

    private static boolean isMessage(FieldDescriptor f, String fullName) {
        return f.getType() == Type.MESSAGE && f.getMessageType().getFullName().equals(fullName);
    }

    private static String upperSnake(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toUpperCase();
    }

    /** Runs protoc over every .proto below root and links the resulting descriptor set. */
    static List<FileDescriptor> compile(Path root) throws Exception {
        Path work = Files.createTempDirectory("contracts");
        Path wellKnown = work.resolve("include");
        for (String wkt : List.of("timestamp", "duration", "empty")) {
            Path target = wellKnown.resolve("google/protobuf/" + wkt + ".proto");
            Files.createDirectories(target.getParent());
            try (InputStream in = FileDescriptor.class.getResourceAsStream("/google/protobuf/" + wkt + ".proto")) {
                Files.copy(in, target);
            }
        }
        List<String> protos;
        try (Stream<Path> walk = Files.walk(root)) {
            protos = walk.filter(p -> p.toString().endsWith(".proto")).map(p -> root.relativize(p).toString()).sorted().toList();
        }
        Path out = work.resolve("contracts.pb");
        List<String> cmd = new ArrayList<>(List.of(protoc(), "-I" + root, "-I" + wellKnown,
                "--include_imports", "--descriptor_set_out=" + out));
        cmd.addAll(protos);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String log = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "protoc timed out");
        assertEquals(0, p.exitValue(), "protoc failed:\n" + log);
        FileDescriptorSet set = FileDescriptorSet.parseFrom(Files.readAllBytes(out));
        Map<String, FileDescriptor> built = new HashMap<>();
        // --include_imports writes dependencies before dependents.
        for (var proto : set.getFileList()) {
            FileDescriptor[] deps = proto.getDependencyList().stream().map(built::get).toArray(FileDescriptor[]::new);
            built.put(proto.getName(), FileDescriptor.buildFrom(proto, deps));
        }
        Set<String> ours = new TreeSet<>(protos);
        return built.values().stream().filter(f -> ours.contains(f.getName())).toList();
    }

    private static String protoc() throws IOException {
        Path protoc = Path.of(System.getProperty("protoc.path"));
        protoc.toFile().setExecutable(true);
        return protoc.toString();
    }
}
