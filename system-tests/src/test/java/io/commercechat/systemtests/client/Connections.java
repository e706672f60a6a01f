package io.commercechat.systemtests.client;

/** Closing what a test class opened (streams, clients, the browser). */
public final class Connections {

    private Connections() {
    }

    /** Closes each of the (possibly null) connections; one that the server already dropped is fine. */
    public static void closeAll(AutoCloseable... connections) {
        for (AutoCloseable c : connections) {
            if (c != null) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // already closed by the other side
                }
            }
        }
    }
}
