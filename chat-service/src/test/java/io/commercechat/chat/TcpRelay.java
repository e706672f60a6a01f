package io.commercechat.chat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Relays TCP connections on 127.0.0.1 to a target, and can make the connections open now (or one of them) go silent
 * the way a cut network leaves them: nothing more passes either way and neither end is told (no FIN, no RST), or close
 * them; connections opened afterwards are relayed again. A test stand-in for the network between two real services, not
 * for a service.
 */
final class TcpRelay implements AutoCloseable {

    private final ServerSocket server;
    private final int targetPort;
    private final List<Connection> open = new CopyOnWriteArrayList<>();
    private volatile boolean refusing;

    private record Connection(Socket client, Socket target, boolean[] silent) {}

    TcpRelay(int targetPort) throws IOException {
        this.targetPort = targetPort;
        this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread accept = new Thread(this::accept, "tcp-relay-" + targetPort);
        accept.setDaemon(true);
        accept.start();
    }

    int port() {
        return server.getLocalPort();
    }

    /** Every connection open now stops passing bytes, and stays open. */
    void silenceOpenConnections() {
        open.forEach(TcpRelay::silence);
    }

    /** Every connection open now is closed at both ends, as when the target restarts. */
    void closeOpenConnections() throws IOException {
        for (Connection c : open) {
            open.remove(c);
            c.client().close();
            c.target().close();
        }
    }

    /** The connection that reaches the target from this local port (the client port the target sees) goes silent. */
    void silenceConnectionFrom(int targetSidePort) {
        List<Connection> from = open.stream().filter(c -> c.target().getLocalPort() == targetSidePort).toList();
        if (from.isEmpty()) {
            throw new IllegalStateException("no connection relayed from port " + targetSidePort);
        }
        from.forEach(TcpRelay::silence);
    }

    private static void silence(Connection c) {
        synchronized (c.silent()) {
            c.silent()[0] = true;
        }
    }

    /** While on, each new connection is closed at once, as by a target that cannot be reached. */
    void refuseNewConnections(boolean refuse) {
        refusing = refuse;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket client = server.accept();
                if (refusing) {
                    client.close();
                    continue;
                }
                Socket target = new Socket();
                try {
                    target.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), targetPort), 5_000);
                } catch (IOException e) {
                    client.close();  // the target refused: so is the client
                    continue;
                }
                Connection c = new Connection(client, target, new boolean[1]);
                open.add(c);
                pump(c, client, target);
                pump(c, target, client);
            } catch (IOException e) {
                // the relay was closed
            }
        }
    }

    private static void pump(Connection c, Socket from, Socket to) throws IOException {
        InputStream in = from.getInputStream();
        OutputStream out = to.getOutputStream();
        Thread t = new Thread(() -> {
            byte[] buffer = new byte[16 * 1024];
            try {
                for (int n; (n = in.read(buffer)) >= 0; ) {
                    synchronized (c.silent()) {
                        if (c.silent()[0]) {
                            return;  // swallowed, and nothing more is read: the sender's bytes wait in its buffers
                        }
                    }
                    out.write(buffer, 0, n);
                    out.flush();
                }
                to.shutdownOutput();
            } catch (IOException e) {
                // one side closed: the other sees it on its next read or write
            }
        }, "tcp-relay-pump");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (Connection c : open) {
            c.client().close();
            c.target().close();
        }
    }
}
