package io.commercechat.chat;

import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.notNullValue;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.chat.error.ChatFailure;
import io.commercechat.chat.message.ChatMessage;
import io.commercechat.chat.message.MessageContents;
import io.commercechat.chat.message.repository.MessageWriter;
import io.commercechat.proto.partner.v1.ListConversationsRequest;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.grpc.Status;
import io.restassured.config.HttpClientConfig;
import io.restassured.config.RestAssuredConfig;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.mutiny.sqlclient.Pool;
import io.vertx.mutiny.sqlclient.Row;
import io.vertx.mutiny.sqlclient.Tuple;
import io.vertx.pgclient.PgException;
import jakarta.inject.Inject;
import java.io.IOException;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Sends written together (MessageWriter, send_message_batch(): V5's rules, V7's answer, V8's rounds): many sends at
 * once share transactions, each keeps its own outcome, and a send that breaks its batch fails alone.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class SendBatchesTest extends ChatTestSupport {

    private static final Duration DAY = Duration.ofHours(24);
    private static final Duration WEEK = Duration.ofDays(7);

    @Inject
    MessageWriter writer;

    @Inject
    Pool pool;

    private record Chat(String person, UUID conversation) {}

    @Test
    void manySendsAtOnceShareTransactionsAndEachConversationStaysGapless() throws Exception {
        List<Chat> chats = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            String person = newPerson();
            chats.add(new Chat(person, UUID.fromString(open(person, i % 2 == 0 ? SHOP : BANK))));
        }
        int perChat = 40;
        List<CompletableFuture<MessageWriter.Appended>> answers = new ArrayList<>();
        for (int i = 0; i < perChat; i++) {
            for (Chat chat : chats) {  // interleaved, all asked before any is answered
                answers.add(writer.append(personText(chat, "m-" + i, "message " + i)).subscribeAsCompletionStage());
            }
        }
        Map<UUID, List<Long>> seqs = new HashMap<>();
        for (CompletableFuture<MessageWriter.Appended> a : answers) {
            MessageWriter.Appended done = a.get(30, TimeUnit.SECONDS);
            assertEquals("sent", done.outcome());
            seqs.computeIfAbsent(done.message().conversationId, c -> new ArrayList<>()).add(done.message().seq);
        }
        for (Chat chat : chats) {
            List<Long> s = seqs.get(chat.conversation());
            s.sort(Long::compare);
            List<Long> expected = new ArrayList<>();
            for (long n = 1; n <= perChat; n++) {
                expected.add(n);
            }
            assertEquals(expected, s, "seq 1.." + perChat + " without gap or duplicate in " + chat.conversation());
        }

        UUID[] ids = chats.stream().map(Chat::conversation).toArray(UUID[]::new);
        Row written = pool.preparedQuery("SELECT count(*) AS sends, count(DISTINCT xmin::text) AS transactions"
                + " FROM messages WHERE conversation_id = ANY ($1)").execute(Tuple.of(ids)).await().indefinitely()
                .iterator().next();
        long sends = written.getLong("sends");
        long transactions = written.getLong("transactions");
        assertEquals(chats.size() * perChat, sends);
        assertTrue(transactions * 4 <= sends, sends + " sends asked at once were written in " + transactions
                + " transactions: expected batches of several sends");

        // every sent message is in its person's inbox and, visible to everyone, in its business's, once
        Row events = pool.preparedQuery("SELECT count(*) AS n, count(DISTINCT (participant, message_id)) AS distinct_n"
                + " FROM inbox_events e JOIN messages m ON m.id = e.message_id WHERE m.conversation_id = ANY ($1)")
                .execute(Tuple.of(ids)).await().indefinitely().iterator().next();
        assertEquals(2 * sends, events.getLong("n"));
        assertEquals(2 * sends, events.getLong("distinct_n"));
    }

    @Test
    void aBatchGivesEachSendItsOwnOutcome() {
        String me = newPerson();
        UUID c = UUID.fromString(open(me, SHOP));
        String other = newPerson();
        UUID quiet = UUID.fromString(open(other, SHOP));  // its person has not written
        UUID first = UUID.randomUUID();
        UUID unknownConversation = UUID.randomUUID();
        String order = "order-" + UUID.randomUUID();
        // one statement, as MessageWriter writes a batch: a send, its retry, the same client id with
        // other content, a conversation that does not exist, another person's send into this one, the
        // shop's receipt (answering the person's message of this batch), a second receipt with the same
        // order number, and the shop writing first into a conversation outside the 24-hour window
        UUID[] ids = new UUID[8];
        List<Row> rows = sendBatch(List.of(
                Send.person(c, me, "a", text("hello")).withId(first),
                Send.person(c, me, "a", text("hello")),
                Send.person(c, me, "a", text("changed")),
                Send.person(unknownConversation, me, "b", text("x")),
                Send.person(c, other, "c", text("y")),
                Send.shop(c, "r1", "RECEIPT", receipt(order), order),
                Send.shop(c, "r2", "RECEIPT", receipt(order), order),
                Send.shop(quiet, "late", "TEXT", text("sale!"), null)), ids);
        List<String> outcomes = new ArrayList<>();
        List<UUID> messageIds = new ArrayList<>();
        List<Long> seqs = new ArrayList<>();
        List<Long[]> positions = new ArrayList<>();
        for (Row r : rows) {
            outcomes.add(r.getString("outcome"));
            messageIds.add(r.getUUID("id"));
            seqs.add(r.getLong("seq"));
            positions.add(new Long[] {r.getLong("person_position"), r.getLong("business_position")});
        }
        assertEquals(List.of("sent", "duplicate", "client_message_id_reused", "not_found", "not_found", "sent",
                "order_number_taken", "outside_reply_window"), outcomes);
        assertNull(messageIds.get(0), "a sent message is not echoed back: chat-service holds it");
        assertEquals(1L, seqs.get(0));
        assertEquals(first, messageIds.get(1), "the retry answers with the first message");
        assertEquals(1L, seqs.get(1));
        assertNull(messageIds.get(3));
        assertEquals(2L, seqs.get(5), "the receipt follows the person's message");
        // each sent message names the positions its events took in the person's and the shop's inbox
        for (int item : new int[] {0, 5}) {
            for (Row e : pool.preparedQuery("SELECT participant, position FROM inbox_events WHERE message_id = $1")
                    .execute(Tuple.of(ids[item])).await().indefinitely()) {
                Long expected = positions.get(item)[e.getString("participant").startsWith("p:") ? 0 : 1];
                assertEquals(expected, e.getLong("position"), "item " + item + " in " + e.getString("participant"));
            }
        }
        assertEquals(positions.get(0)[0] + 1, positions.get(5)[0], "the receipt follows in the person's inbox");
        assertEquals(positions.get(0)[1] + 1, positions.get(5)[1], "and in the shop's");
        assertNull(positions.get(2)[0], "a refused send has no inbox position");
        // refused sends leave nothing behind: no message, no gap in seq, no inbox event
        as(me).get("/v1/conversations/" + c + "/messages").then().statusCode(200)
                .body("messages.seq", equalTo(List.of(2, 1)));
        as(other).get("/v1/conversations/" + quiet + "/messages").then().statusCode(200)
                .body("messages.size()", equalTo(0));
        Row events = pool.preparedQuery("SELECT count(*) AS n FROM inbox_events WHERE message_id = ANY ($1)")
                .execute(Tuple.of(ids)).await().indefinitely().iterator().next();
        assertEquals(4, events.getLong("n"), "two messages, each in the person's and the shop's inbox");
    }

    @Test
    void aSendThatBreaksItsBatchFailsAlone() throws Exception {
        String me = newPerson();
        UUID c = UUID.fromString(open(me, SHOP));
        UUID reused = UUID.randomUUID();
        List<CompletableFuture<MessageWriter.Appended>> answers = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            // sends 20 and 40 carry the same message id: whichever is written second breaks the messages key
            MessageWriter.Append a = personText(new Chat(me, c), "k-" + i, "message " + i);
            if (i == 20 || i == 40) {
                a.message().id = reused;
            }
            answers.add(writer.append(a).subscribeAsCompletionStage());
        }
        int sent = 0;
        List<Throwable> failures = new ArrayList<>();
        for (CompletableFuture<MessageWriter.Appended> a : answers) {
            try {
                assertEquals("sent", a.get(30, TimeUnit.SECONDS).outcome());
                sent++;
            } catch (ExecutionException e) {
                failures.add(e.getCause());
            }
        }
        assertEquals(59, sent);
        assertEquals(1, failures.size());
        PgException pg = assertInstanceOf(PgException.class, failures.get(0));
        assertEquals("23505", pg.getSqlState());
        as(me).get("/v1/conversations/" + c + "/messages?limit=100").then().statusCode(200)
                .body("messages.size()", equalTo(59))
                .body("messages[0].seq", equalTo(59));
    }

    @Test
    void sendsBeyondTheWaitingBoundAreRefusedAndNothingOfThemIsStored() throws Exception {
        List<Chat> chats = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String person = newPerson();
            chats.add(new Chat(person, UUID.fromString(open(person, SHOP))));
        }
        // asked far faster than they can be written: the queue behind the batches in flight fills up
        int asked = 20_000;
        List<CompletableFuture<MessageWriter.Appended>> answers = new ArrayList<>(asked);
        for (int i = 0; i < asked; i++) {
            answers.add(writer.append(personText(chats.get(i % chats.size()), "flood-" + i, "flood " + i))
                    .subscribeAsCompletionStage());
        }
        int sent = 0;
        int refused = 0;
        for (CompletableFuture<MessageWriter.Appended> a : answers) {
            try {
                assertEquals("sent", a.get(120, TimeUnit.SECONDS).outcome());
                sent++;
            } catch (ExecutionException e) {
                ChatFailure failure = assertInstanceOf(ChatFailure.class, e.getCause());
                assertEquals(ChatFailure.Kind.UNAVAILABLE, failure.kind());
                refused++;
            }
        }
        assertTrue(refused > 0, "no send was refused: the waiting sends are not bounded");
        UUID[] ids = chats.stream().map(Chat::conversation).toArray(UUID[]::new);
        Row stored = pool.preparedQuery("SELECT count(*) AS n FROM messages WHERE conversation_id = ANY ($1)")
                .execute(Tuple.of(ids)).await().indefinitely().iterator().next();
        assertEquals(sent, stored.getLong("n"), "exactly the sends answered as sent are stored");
    }

    /**
     * A batch waits for a lock at most 5 s (the datasource's lock_timeout): a conversation held by a transaction that does not end (here an open
     * one beside it) makes the batch give up with lock_not_available instead of waiting, and its own locks with it.
     */
    @Test
    void aBatchGivesUpALockHeldTooLong() throws Exception {
        String me = newPerson();
        UUID c = UUID.fromString(open(me, SHOP));
        try (Connection holder = database()) {
            holder.setAutoCommit(false);
            try (var st = holder.prepareStatement("SELECT 1 FROM conversations WHERE id = ? FOR UPDATE")) {
                st.setObject(1, c);
                st.executeQuery().close();
            }
            long start = System.nanoTime();
            PgException e = assertThrows(PgException.class,
                    () -> sendBatch(List.of(Send.person(c, me, "held", text("held"))), new UUID[1]));
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertEquals("55P03", e.getSqlState(), "lock_not_available");
            assertTrue(waited >= 4_500 && waited < 9_000, "gave up after the 5 s lock timeout, not " + waited + " ms");

            // through the writer: its sender hears that nothing was sent (the batch rolled back), before the deadline
            start = System.nanoTime();
            ExecutionException refused = assertThrows(ExecutionException.class, () -> writer.append(personText(
                    new Chat(me, c), "held-2", "held")).subscribeAsCompletionStage().get(12, TimeUnit.SECONDS));
            waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            ChatFailure f = assertInstanceOf(ChatFailure.class, refused.getCause());
            assertEquals("temporarily-unavailable", f.type(), "rolled back: nothing was sent");
            assertTrue(waited >= 4_500 && waited < 5_900, "at the lock timeout, not the send deadline: " + waited + " ms");
            holder.rollback();
        }
        assertEquals(0, inboxHead("p:" + me), "nothing of the refused batches was written");
        assertEquals("sent", writer.append(personText(new Chat(me, c), "held-2", "held")).await().atMost(Duration.ofSeconds(10))
                .outcome(), "sent once the lock is let go");
    }

    /**
     * A second batch is written beside one in flight (chat.send-batches-in-flight, 2 by default) only once a whole batch
     * (64 sends) waits: a few waiting sends wait for the batch in flight, as with one, rather than make smaller batches;
     * a whole one is written at once. Seen here with the batch in flight held on a conversation's lock.
     */
    @Test
    void aSecondBatchIsWrittenBesideTheFirstOnlyForAWholeBatch() throws Exception {
        String me = newPerson();
        Chat held = new Chat(me, UUID.fromString(open(me, SHOP)));
        List<Chat> others = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            String person = newPerson();
            others.add(new Chat(person, UUID.fromString(open(person, SHOP))));
        }
        try (Connection holder = database()) {
            holder.setAutoCommit(false);
            try (var st = holder.prepareStatement("SELECT 1 FROM conversations WHERE id = ? FOR UPDATE")) {
                st.setObject(1, held.conversation());
                st.executeQuery().close();
            }
            CompletableFuture<MessageWriter.Appended> first = writer.append(personText(held, "held", "held"))
                    .subscribeAsCompletionStage();
            waitForSendWaitingOnALock();

            List<CompletableFuture<MessageWriter.Appended>> few = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                few.add(writer.append(personText(others.get(i % 4), "few-" + i, "few " + i)).subscribeAsCompletionStage());
            }
            Thread.sleep(500);
            assertTrue(few.stream().noneMatch(CompletableFuture::isDone), "10 waiting sends wait for the batch in flight");

            List<CompletableFuture<MessageWriter.Appended>> more = new ArrayList<>();
            for (int i = 10; i < 64; i++) {
                more.add(writer.append(personText(others.get(i % 4), "more-" + i, "more " + i)).subscribeAsCompletionStage());
            }
            for (CompletableFuture<MessageWriter.Appended> a : concat(few, more)) {
                assertEquals("sent", a.get(3, TimeUnit.SECONDS).outcome(), "a whole batch is written beside the held one");
            }
            assertFalse(first.isDone(), "the first batch still waits for the lock");
            holder.rollback();
            assertEquals("sent", first.get(10, TimeUnit.SECONDS).outcome(), "sent once the lock is let go");
        }
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** Until a send_message_batch() call waits for a row lock (the first batch is in flight, held). */
    private void waitForSendWaitingOnALock() throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(3);
        while (pool.query("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%send_message_batch%'"
                        + " AND pid <> pg_backend_pid()")
                .execute().await().indefinitely().size() == 0) {
            assertTrue(System.nanoTime() < deadline, "no send waits on the held conversation's lock");
            Thread.sleep(20);
        }
    }

    /**
     * A database that stops answering (the server process and every backend of the service frozen with SIGSTOP, as a
     * cut-off network leaves it) does not hold the replica's sends: a batch is answered 503 "send it again" after
     * chat.send-timeout (6 s in tests) and its slot goes to the next batch; with two such statements still running,
     * sends are refused at once rather than given to the database too. The statements that were only delayed then
     * commit, and the retries get them as the first sends: nothing is sent twice.
     */
    @Test
    void aDatabaseThatDoesNotAnswerFailsSendsAfterTheTimeoutAndTheirRetriesSendNothingTwice() throws Exception {
        Assumptions.assumeFalse(PostgresResource.external(), "signals the embedded PostgreSQL's processes");
        String me = newPerson();
        Chat chat = new Chat(me, UUID.fromString(open(me, SHOP)));
        List<Long> frozen = databaseProcesses();
        List<String> sends = List.of("first", "second", "third");
        try {
            frozen.forEach(pid -> signal("STOP", pid));
            for (String clientId : sends) {
                long start = System.nanoTime();
                ExecutionException e = assertThrows(ExecutionException.class, () -> writer.append(personText(chat, clientId,
                        "body of " + clientId)).subscribeAsCompletionStage().get(12, TimeUnit.SECONDS));
                long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                ChatFailure f = assertInstanceOf(ChatFailure.class, e.getCause());
                assertEquals(ChatFailure.Kind.UNAVAILABLE, f.kind());
                if (clientId.equals("third")) {
                    assertEquals("temporarily-unavailable", f.type(), "refused: two statements are past their deadline");
                    assertTrue(waited < 1_000, "refused at once, not after " + waited + " ms");
                } else {
                    assertEquals("send-unconfirmed", f.type());
                    assertTrue(waited >= 5_900, "answered at the send timeout, not after " + waited + " ms");
                }
            }
        } finally {
            frozen.forEach(pid -> signal("CONT", pid));
        }
        Set<Long> seqs = new HashSet<>();
        for (String clientId : sends) {
            // refused until the delayed statements have ended
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (;;) {
                try {
                    MessageWriter.Appended retry = writer.append(personText(chat, clientId, "body of " + clientId))
                            .await().atMost(Duration.ofSeconds(30));
                    assertTrue(Set.of("sent", "duplicate").contains(retry.outcome()), retry.outcome());
                    seqs.add(retry.message().seq);
                    break;
                } catch (ChatFailure f) {
                    assertEquals("temporarily-unavailable", f.type());
                    assertTrue(System.nanoTime() < deadline, "still refused 30 s after the database answers again");
                    Thread.sleep(100);
                }
            }
        }
        assertEquals(Set.of(1L, 2L, 3L), seqs, "each message once, gapless");
        Row stored = pool.preparedQuery("SELECT count(*) AS n FROM messages WHERE conversation_id = $1")
                .execute(Tuple.of(chat.conversation())).await().indefinitely().iterator().next();
        assertEquals(3, stored.getLong("n"));
    }

    /**
     * Reads and partner calls too: with the database frozen as above, a person's requests and a partner's call are
     * answered "try again" (503 problem+json with Retry-After, gRPC UNAVAILABLE) at chat.request-deadline (9 s in
     * tests), and answered as before once the database is back. Before, they waited for the database with no end. More
     * requests than the pool has connections (20) are caught by it: each gives its connection back once the database
     * answers (a deadline that cancels the work can leave them checked out, quarkus#51576, and every later request waiting).
     */
    @Test
    void aDatabaseThatDoesNotAnswerGetsRequestsATryAgainAtTheRequestDeadline() throws Exception {
        Assumptions.assumeFalse(PostgresResource.external(), "signals the embedded PostgreSQL's processes");
        String me = newPerson();
        String c = open(me, SHOP);
        String history = "/v1/conversations/" + c + "/messages";
        as(me).get(history).then().statusCode(200);
        send(me, c, "before-the-freeze", "hello").statusCode(201);
        // a regression waits for the database: fail then, not hang the build
        RestAssuredConfig patience = RestAssuredConfig.config().httpClient(HttpClientConfig.httpClientConfig()
                .setParam("http.socket.timeout", 30_000).setParam("http.connection.timeout", 30_000));
        int requests = 24;
        ExecutorService callers = Executors.newFixedThreadPool(requests);
        List<Long> frozen = databaseProcesses();
        try {
            frozen.forEach(pid -> signal("STOP", pid));
            long start = System.nanoTime();
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < requests; i++) {
                // reads, and writes in a transaction (marking read)
                boolean write = i % 2 == 1;
                answers.add(callers.submit(() -> (write ? as(me).config(patience).contentType("application/json")
                                .body(Map.of("seq", 1)).post("/v1/conversations/" + c + "/read")
                                : as(me).config(patience).get(history)).then()
                        .contentType("application/problem+json").header("Retry-After", notNullValue())
                        .body("type", equalTo("https://commercechat.example/problems/temporarily-unavailable"))
                        .extract().statusCode()));
            }
            for (Future<Integer> answer : answers) {
                assertEquals(503, answer.get(40, TimeUnit.SECONDS));
            }
            long waited = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
            assertTrue(waited >= 8_900 && waited < 25_000, "answered at the request deadline, not after " + waited + " ms");
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> partner(SHOP)
                    .withDeadlineAfter(30, TimeUnit.SECONDS)
                    .listConversations(ListConversationsRequest.newBuilder().setPageSize(10).build()));
            assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
        } finally {
            frozen.forEach(pid -> signal("CONT", pid));
            callers.shutdownNow();
        }
        // every connection came back, none left in its transaction: more requests than the pool holds are answered
        for (int i = 0; i < requests; i++) {
            as(me).config(patience).get(history).then().statusCode(200);
            as(me).config(patience).contentType("application/json").body(Map.of("seq", 1))
                    .post("/v1/conversations/" + c + "/read").then().statusCode(200);
        }
        try (Connection db = database(); var st = db.createStatement(); var r = st.executeQuery("SELECT count(*) FROM"
                + " pg_stat_activity WHERE datname = current_database() AND state LIKE 'idle in transaction%'")) {
            r.next();
            assertEquals(0, r.getLong(1), "connections left inside their transaction");
        }
    }

    /**
     * The processes that answer this database's clients: the server process that starts new backends (first, so that
     * no new connection answers either) and every client backend but the test's own.
     */
    private static List<Long> databaseProcesses() throws Exception {
        List<Long> found = new ArrayList<>();
        try (Connection db = database(); var st = db.createStatement();
                var r = st.executeQuery("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                        + " AND backend_type = 'client backend' AND pid <> pg_backend_pid()")) {
            while (r.next()) {
                found.add(r.getLong(1));
            }
        }
        found.add(0, ProcessHandle.of(found.get(0)).flatMap(ProcessHandle::parent).orElseThrow().pid());
        return found;
    }

    private static void signal(String signal, long pid) {
        try {
            // the shell's own kill: a minimal image has no /bin/kill (procps)
            Process kill = new ProcessBuilder("sh", "-c", "kill -" + signal + " " + pid).inheritIO().start();
            assertEquals(0, kill.waitFor(), "kill -" + signal + " " + pid);
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void sendsToDifferentConversationsAreWrittenTogetherAndStillSeeEachOther() {
        // each conversation's first send of the batch is written in one round, its second in the next: the
        // shop's receipt answers the person's message of the same batch, a retry answers with its first
        // message (of this batch, or of before a block), and seq and sent_at keep their order
        String ann = newPerson();
        UUID a = UUID.fromString(open(ann, SHOP));
        String cat = newPerson();
        UUID quiet = UUID.fromString(open(cat, SHOP));
        String dan = newPerson();
        UUID blocked = blockedAfterOneMessage(dan);
        UUID[] ids = new UUID[7];
        List<Row> rows = sendBatch(List.of(
                Send.person(a, ann, "a1", text("hello")),
                Send.shop(a, "ra", "TEXT", text("your order has shipped"), null),
                Send.shop(quiet, "rq", "TEXT", text("sale!"), null),
                Send.person(a, ann, "a1", text("hello")),
                Send.person(blocked, dan, "d1", text("before the block")),
                Send.person(blocked, dan, "d2", text("after the block")),
                Send.person(a, ann, "a2", text("thanks"))), ids);
        assertEquals(List.of("sent", "sent", "outside_reply_window", "duplicate", "duplicate", "blocked", "sent"),
                rows.stream().map(r -> r.getString("outcome")).toList());
        assertEquals(List.of(1L, 2L), List.of(rows.get(0).getLong("seq"), rows.get(1).getLong("seq")));
        assertEquals(3L, rows.get(6).getLong("seq"));
        assertEquals(ids[0], rows.get(3).getUUID("id"), "the retry answers with the first message of this batch");
        assertTrue(rows.get(1).getOffsetDateTime("sent_at").isAfter(rows.get(0).getOffsetDateTime("sent_at")),
                "the receipt was written after the message it answers");
        as(cat).get("/v1/conversations/" + quiet + "/messages").then().statusCode(200).body("messages.size()", equalTo(0));
        as(dan).get("/v1/conversations/" + blocked + "/messages").then().statusCode(200)
                .body("messages.seq", equalTo(List.of(1)));
    }

    @Test
    void anOrderNumberGoesToTheFirstSendThatCarriesItWhateverItsConversation() {
        // the receipt into ann's conversation is her conversation's second send, the one into bob's is his
        // first: written by rounds alone, bob's would be written first and take the number
        String ann = newPerson();
        UUID a = UUID.fromString(open(ann, SHOP));
        String bob = newPerson();
        UUID b = UUID.fromString(open(bob, SHOP));
        send(bob, b.toString(), "b0", "hi").statusCode(201);
        String order = "order-" + UUID.randomUUID();
        UUID[] ids = new UUID[4];
        List<Row> rows = sendBatch(List.of(
                Send.person(a, ann, "a1", text("hello")),
                Send.shop(a, "ra", "RECEIPT", receipt(order), order),
                Send.shop(b, "rb", "RECEIPT", receipt(order), order),
                Send.person(b, bob, "b1", text("thanks"))), ids);
        assertEquals(List.of("sent", "sent", "order_number_taken", "sent"),
                rows.stream().map(r -> r.getString("outcome")).toList());
        Row owner = pool.preparedQuery("SELECT message_id FROM receipt_orders WHERE business_id = $1 AND order_number = $2")
                .execute(Tuple.of(SHOP, order)).await().indefinitely().iterator().next();
        assertEquals(ids[1], owner.getUUID("message_id"), "the first receipt with the number has it");
        as(bob).get("/v1/conversations/" + b + "/messages").then().statusCode(200).body("messages.seq", equalTo(List.of(2, 1)));
    }

    @Test
    void aRetryCarryingTheIdOfAnotherSendOfItsRoundIsStillARetry() {
        // a retry's message id is not looked at (the first message keeps its own): here it is the id the other
        // send of the round inserts, and that send stays sent and stored
        String ann = newPerson();
        UUID a = UUID.fromString(open(ann, SHOP));
        String dan = newPerson();
        UUID blocked = blockedAfterOneMessage(dan);
        UUID shared = UUID.randomUUID();
        List<Row> rows = sendBatch(List.of(
                Send.person(a, ann, "a1", text("hello")).withId(shared),
                Send.person(blocked, dan, "d1", text("before the block")).withId(shared)), new UUID[2]);
        assertEquals(List.of("sent", "duplicate"), rows.stream().map(r -> r.getString("outcome")).toList());
        assertEquals(2, rows.size());
        as(ann).get("/v1/conversations/" + a + "/messages").then().statusCode(200)
                .body("messages.id", equalTo(List.of(shared.toString())));
        as(dan).get("/v1/conversations/" + blocked + "/messages").then().statusCode(200)
                .body("messages.seq", equalTo(List.of(1)));
    }

    @Test
    void sendsAndStreamReadsArePlannedOncePerConnection() {
        // V10: without it PostgreSQL planned inbox_read() on every call, and a one-send batch's lock and append too
        for (String function : List.of("send_message_batch", "inbox_read")) {
            Row settings = pool.preparedQuery("SELECT proconfig FROM pg_proc WHERE proname = $1").execute(Tuple.of(function))
                    .await().indefinitely().iterator().next();
            List<String> config = List.of(settings.getArrayOfStrings("proconfig"));
            assertTrue(config.contains("plan_cache_mode=force_generic_plan"), function + " runs with " + config);
            assertTrue(config.contains("enable_seqscan=off"), function + " runs with " + config);
        }
    }

    /** The person's conversation with the shop, in which they wrote "before the block" (client id d1) and then blocked it. */
    private static UUID blockedAfterOneMessage(String person) {
        UUID c = UUID.fromString(open(person, SHOP));
        send(person, c.toString(), "d1", "before the block").statusCode(201);
        as(person).put("/v1/conversations/" + c + "/block").then().statusCode(200);
        return c;
    }

    /** One send of a batch, as MessageWriter hands it to send_message_batch(). */
    private record Send(UUID conversation, String person, String business, String sender, UUID id, String clientId,
            String kind, String content, String orderNumber) {
        static Send person(UUID conversation, String person, String clientId, String content) {
            return new Send(conversation, person, null, "PERSON", UUID.randomUUID(), clientId, "TEXT", content, null);
        }

        static Send shop(UUID conversation, String clientId, String kind, String content, String orderNumber) {
            return new Send(conversation, null, SHOP, "BUSINESS", UUID.randomUUID(), clientId, kind, content, orderNumber);
        }

        Send withId(UUID id) {
            return new Send(conversation, person, business, sender, id, clientId, kind, content, orderNumber);
        }
    }

    /** Calls send_message_batch() with these sends in one statement; {@code ids} receives their message ids. */
    private List<Row> sendBatch(List<Send> sends, UUID[] ids) {
        int n = sends.size();
        for (int i = 0; i < n; i++) {
            ids[i] = sends.get(i).id();
        }
        Tuple args = Tuple.tuple()
                .addArrayOfUUID(sends.stream().map(Send::conversation).toArray(UUID[]::new))
                .addArrayOfString(sends.stream().map(Send::person).toArray(String[]::new))
                .addArrayOfString(sends.stream().map(Send::business).toArray(String[]::new))
                .addArrayOfString(sends.stream().map(Send::sender).toArray(String[]::new))
                .addArrayOfUUID(ids.clone())
                .addArrayOfString(sends.stream().map(Send::clientId).toArray(String[]::new))
                .addArrayOfString(sends.stream().map(Send::kind).toArray(String[]::new))
                .addArrayOfString(sends.stream().map(Send::content).toArray(String[]::new))
                .addArrayOfString(sends.stream().map(s -> "EVERYONE").toArray(String[]::new))
                .addArrayOfString(new String[n])
                .addArrayOfString(new String[n])
                .addArrayOfString(sends.stream().map(Send::orderNumber).toArray(String[]::new))
                .addArrayOfBoolean(sends.stream().map(s -> false).toArray(Boolean[]::new));
        List<Row> rows = new ArrayList<>();
        pool.preparedQuery("SELECT * FROM send_message_batch($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13,"
                + " make_interval(secs => 86400), make_interval(secs => 604800)) ORDER BY item").execute(args)
                .await().indefinitely().forEach(rows::add);
        return rows;
    }

    private static MessageWriter.Append personText(Chat chat, String clientId, String body) {
        ChatMessage m = new ChatMessage();
        m.id = UUID.randomUUID();
        m.conversationId = chat.conversation();
        m.sender = ChatMessage.Sender.PERSON;
        m.clientMessageId = clientId;
        m.kind = "TEXT";
        m.content = text(body);
        m.visibility = ChatMessage.Visibility.EVERYONE;
        return new MessageWriter.Append(chat.conversation(), chat.person(), null, m, null, false, DAY, WEEK);
    }

    private static String receipt(String orderNumber) {
        return "{\"receipt\":{\"orderNumber\":\"" + orderNumber + "\"}}";
    }

    private static String text(String body) {
        return MessageContents.toJson(MessageContents.text(body));
    }
}
