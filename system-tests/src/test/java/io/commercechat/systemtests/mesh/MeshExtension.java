package io.commercechat.systemtests.mesh;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives a test class the running mesh ({@code @ExtendWith(MeshExtension.class)}, then a {@link Mesh} parameter).
 * One mesh serves every test class of the run (it takes about a minute to start); it is stopped when the run ends.
 * A mesh that failed to start is not tried again by the next class: it fails at once with the same cause.
 */
public final class MeshExtension implements ParameterResolver {

    /** The outcome of the one start: a mesh, or why there is none. Closed by JUnit at the end of the run. */
    private record Started(Mesh mesh, RuntimeException failure) implements AutoCloseable {
        @Override
        public void close() {
            if (mesh != null) {
                mesh.close();
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Mesh.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        // the root store outlives every test class and closes what it holds at the end of the run
        Started started = context.getRoot().getStore(ExtensionContext.Namespace.create(MeshExtension.class))
                .computeIfAbsent(Started.class, k -> start(), Started.class);
        if (started.failure() != null) {
            throw new IllegalStateException("the mesh did not start: " + started.failure().getMessage(), started.failure());
        }
        return started.mesh();
    }

    private static Started start() {
        try {
            Mesh mesh = Mesh.start();
            System.out.printf("mesh ready in %.1f s: keycloak %s, chat-service %s, consent-service %s,"
                            + " account-link-service %s, sandbox %s; logs in %s%n", mesh.startup().toMillis() / 1000.0,
                    mesh.issuer(), mesh.chat().baseUrl(), mesh.consent().baseUrl(), mesh.accountLink().baseUrl(),
                    mesh.sandbox().baseUrl(), mesh.dir().resolve("logs"));
            return new Started(mesh, null);
        } catch (RuntimeException e) {
            return new Started(null, e);
        }
    }
}
