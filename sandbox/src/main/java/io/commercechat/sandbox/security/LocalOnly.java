package io.commercechat.sandbox.security;

import io.vertx.core.net.SocketAddress;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * What the parts that answer to this machine only (the agent console, the test hooks) check: that a path is theirs
 * however it is spelled, and that a connection comes from the loopback.
 */
public final class LocalOnly {

    private LocalOnly() {}

    /**
     * Whether the connection's peer is this machine's loopback (127.0.0.0/8, ::1). The connection's own address, not
     * the request's: with forwarded headers enabled, {@code request.remoteAddress()} is what a client claims.
     * {@code kubectl port-forward} connects inside the pod's network namespace to 127.0.0.1, so it is loopback.
     */
    public static boolean isLoopback(SocketAddress peer) {
        if (peer == null || !peer.isInetSocket() || peer.hostAddress() == null) {
            return false; // a Unix domain socket, or no address at all
        }
        String ip = peer.hostAddress();
        if (!ip.matches("[0-9A-Fa-f:.]+")) {
            return false; // not an address literal (a zone id, a name): never resolved here
        }
        try {
            return InetAddress.getByName(ip).isLoopbackAddress(); // a literal: no lookup
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * {@code prefix} (e.g. /agent) and everything below it, however spelled: repeated slashes, a matrix parameter
     * ({@code /agent;x/status} reaches the resource too), an encoded slash or another letter case address it as well.
     */
    public static boolean isUnder(String prefix, String normalizedPath) {
        String path = normalizedPath == null ? "" : normalizedPath.replaceAll("/{2,}", "/").toLowerCase(Locale.ROOT);
        if (!path.startsWith(prefix)) {
            return false;
        }
        if (path.length() == prefix.length()) {
            return true;
        }
        // a name character makes it another name (/agents); anything else (/, ;, %2F, \) is still below the prefix
        char next = path.charAt(prefix.length());
        return !(Character.isLetterOrDigit(next) || next == '-' || next == '_' || next == '.' || next == '~');
    }
}
