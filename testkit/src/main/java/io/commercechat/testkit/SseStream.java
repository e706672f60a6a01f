package io.commercechat.testkit;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A Server-Sent-Events stream read the way a browser's EventSource reads it, including resuming with
 * {@code Last-Event-ID}. Event data stays text: callers parse the JSON they expect. The stream ends (quietly) when
 * the server goes away; {@link #close()} drops the connection as a lost network would.
 */
public final class SseStream implements AutoCloseable {

    /** One event: {@code id:} (-1 without one), {@code event:} ("message" without one) and the {@code data:} text. */
    public record Event(long id, String name, String data) {
        @Override
        public String toString() {
            return id + ":" + name + " " + data;
        }
    }

    private final Received<Event> events = new Received<>("event", this::endReason);
    private final BlockingQueue<String> comments = new LinkedBlockingQueue<>();
    private final InputStream body;
    private final Thread reader;
    private final int status;
    private final String contentType;
    private volatile boolean closedByTest;
    /** Why the stream ended; null while it is open. */
    private volatile String end;

    private SseStream(HttpResponse<InputStream> response) {
        this.status = response.statusCode();
        this.contentType = response.headers().firstValue("content-type").orElse("");
        this.body = response.body();
        this.reader = new Thread(this::read, "sse-" + response.uri());
        reader.setDaemon(true);
        reader.start();
    }

    /** A person's event stream, chat-service's {@code GET /v1/events}; see {@link #open}. */
    public static SseStream personEvents(String baseUrl, String token, Long lastEventId) {
        return open(baseUrl + "/v1/events", token, lastEventId);
    }

    /**
     * Connects and waits for the response headers. {@code token} null: no Authorization header;
     * {@code lastEventId} null: from the beginning.
     */
    public static SseStream open(String url, String token, Long lastEventId) {
        HttpRequest.Builder req = HttpRequest.newBuilder(URI.create(url)).header("Accept", "text/event-stream").GET();
        if (token != null) {
            req.header("Authorization", "Bearer " + token);
        }
        if (lastEventId != null) {
            req.header("Last-Event-ID", Long.toString(lastEventId));
        }
        try {
            HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            return new SseStream(client.send(req.build(), HttpResponse.BodyHandlers.ofInputStream()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while opening the event stream " + url, e);
        } catch (Exception e) {
            throw new IllegalStateException("could not open the event stream " + url, e);
        }
    }

    public int status() {
        return status;
    }

    public String contentType() {
        return contentType;
    }

    /** True once the server closed the stream, the connection broke or the test closed it. */
    public boolean ended() {
        return end != null;
    }

    private String endReason() {
        return end;
    }

    private void read() {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8))) {
            String id = null;
            String name = "message";
            StringBuilder data = null;
            for (String line; (line = in.readLine()) != null;) {
                if (line.isEmpty()) {
                    if (data != null) {
                        events.add(new Event(id == null ? -1 : Long.parseLong(id), name, data.toString()));
                    }
                    id = null;
                    name = "message";
                    data = null;
                } else if (line.startsWith(":")) {
                    comments.add(line.substring(1).trim());
                } else if (line.startsWith("id:")) {
                    id = line.substring(3).trim();
                } else if (line.startsWith("event:")) {
                    name = line.substring(6).trim();
                } else if (line.startsWith("data:")) {
                    String d = line.substring(5);
                    d = d.startsWith(" ") ? d.substring(1) : d;
                    data = data == null ? new StringBuilder(d) : data.append('\n').append(d);
                }
            }
            end = closedByTest ? "closed by the test" : "the server closed it";
        } catch (Exception e) {
            end = closedByTest ? "closed by the test" : e.toString();
        }
    }

    /** The next event, or null after the timeout. */
    public Event next(Duration timeout) throws InterruptedException {
        return events.next(timeout);
    }

    /** Reads events until one matches; returns every event read (the match last). */
    public List<Event> until(Predicate<Event> match, Duration timeout) throws InterruptedException {
        return events.until(match, timeout);
    }

    /** Reads events until {@code n} of the given name arrived; returns every event read, the others too. */
    public List<Event> take(int n, String name, Duration timeout) throws InterruptedException {
        if (n <= 0) {
            return new ArrayList<>();
        }
        int[] matched = {0};
        return events.until(e -> e.name().equals(name) && ++matched[0] == n,
                () -> "only " + matched[0] + " of " + n + " '" + name + "' events", timeout);
    }

    /** Every event that arrives within the window (for "nothing more arrives" checks). */
    public List<Event> drain(Duration window) throws InterruptedException {
        return events.drain(window);
    }

    /** The next comment line's text without the colon (": keep-alive" gives "keep-alive"), or null after the timeout. */
    public String nextComment(Duration timeout) throws InterruptedException {
        return comments.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Drops the connection mid-stream, as a lost network would. */
    @Override
    public void close() {
        closedByTest = true;
        try {
            body.close();
        } catch (Exception ignored) {
            // already closed
        }
        reader.interrupt();
    }
}
