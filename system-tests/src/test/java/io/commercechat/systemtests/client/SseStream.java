package io.commercechat.systemtests.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;

/**
 * A person's event stream ({@code GET /v1/events}) read the way a browser's EventSource reads it, including resuming
 * with {@code Last-Event-ID}. The stream ends (quietly) when the server goes away.
 */
public final class SseStream implements AutoCloseable {

    /** One event: {@code id:} (the inbox position), {@code event:} and the parsed {@code data:}. */
    public record Event(long id, String name, JsonNode data) {
        @Override
        public String toString() {
            return id + ":" + name + data;
        }
    }

    private final InputStream body;
    private final int status;
    private final Thread reader;
    private volatile boolean ended;
    private final Received<Event> events = new Received<>("event", () -> ended ? "closed" : null);

    private SseStream(HttpResponse<InputStream> response) {
        this.status = response.statusCode();
        this.body = response.body();
        this.reader = new Thread(this::read, "sse-" + response.uri());
        reader.setDaemon(true);
        reader.start();
    }

    /** Connects; {@code lastEventId} null: from the beginning of the inbox. */
    public static SseStream open(String baseUrl, String token, Long lastEventId) {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(baseUrl + "/v1/events"))
                .header("Accept", "text/event-stream").header("Authorization", "Bearer " + token).GET();
        if (lastEventId != null) {
            req.header("Last-Event-ID", Long.toString(lastEventId));
        }
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            return new SseStream(client.send(req.build(), HttpResponse.BodyHandlers.ofInputStream()));
        } catch (Exception e) {
            throw new IllegalStateException("could not open the event stream", e);
        }
    }

    public int status() {
        return status;
    }

    /** True once the server closed the stream or the connection broke. */
    public boolean ended() {
        return ended;
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String id = null;
            String name = "message";
            StringBuilder data = null;
            for (String line; (line = in.readLine()) != null;) {
                if (line.isEmpty()) {
                    if (data != null) {
                        events.add(new Event(id == null ? -1 : Long.parseLong(id), name, Rest.parse(data.toString())));
                    }
                    id = null;
                    name = "message";
                    data = null;
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("event:")) {
                    name = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    String d = line.substring(5);
                    d = d.startsWith(" ") ? d.substring(1) : d;
                    data = data == null ? new StringBuilder(d) : data.append('\n').append(d);
                }
                // comments (": connected", ": keep-alive") carry nothing for the test
            }
        } catch (Exception closed) {
            // the test closed the stream, or the server went away
        } finally {
            ended = true;
        }
    }

    /** Reads events until one matches; returns every event read (the match last). */
    public List<Event> until(Predicate<Event> match, Duration timeout) throws InterruptedException {
        return events.until(match, timeout);
    }

    /** Every event that arrives within the window (for "nothing more arrives" checks). */
    public List<Event> drain(Duration window) throws InterruptedException {
        return events.drain(window);
    }

    @Override
    public void close() {
        try {
            body.close();
        } catch (Exception ignored) {
            // already closed
        }
        reader.interrupt();
    }
}
