package io.commercechat.accounts;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.commercechat.accounts.link.service.FailedLinkConsents;
import io.commercechat.proto.accounts.v1.Link;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.GetConsentRequest;
import io.commercechat.testkit.PostgresResource;
import io.quarkus.scheduler.Scheduler;
import io.quarkus.scheduler.Trigger;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** The sweep that ends the consents of links that ended while consent-service could not be told. */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(MeshResource.class)
class FailedLinkConsentsTest extends MeshTestSupport {

    @Inject
    FailedLinkConsents failedLinkConsents;

    @Inject
    Scheduler scheduler;

    @Inject
    Vertx vertx;

    /**
     * A backlog (consent-service back after an outage) is ended by one run, batch after batch. Before, a run claimed one
     * batch of 20 and stopped: a replica drained 2 a second at the default interval.
     */
    @Test
    void aBacklogOfMoreThanOneBatchIsEndedInOneRun() throws Exception {
        String sub = newPerson();
        List<Link> links = IntStream.range(0, 45).mapToObj(i -> begin(sub).getLink()).toList();
        // the scheduled runs (every second in the tests) would share the backlog with the run under test
        Trigger sweep = scheduler.getScheduledJobs().stream()
                .filter(t -> t.getMethodDescription().endsWith("FailedLinkConsents#endDueConsents")).findFirst().orElseThrow();
        scheduler.pause(sweep.getId());
        try {
            // as LinkFlow.fail leaves links when consent-service cannot be told: failed, their consent's end due now
            try (Connection c = ownDb(); PreparedStatement s = c.prepareStatement("UPDATE links SET status = 'LINK_STATUS_FAILED',"
                    + " status_reason = 'the link could not be completed', consent_end_due_at = now() WHERE id = ANY (?)")) {
                s.setArray(1, c.createArrayOf("uuid", links.stream().map(l -> UUID.fromString(l.getId())).toArray()));
                assertEquals(links.size(), s.executeUpdate());
            }

            onVertxContext(vertx, () -> failedLinkConsents.endDue().replaceWith(true));

            assertEquals(List.of(), stillDue(links), "every link's consent was ended by the one run");
            var consents = consentAs(ISSUER.person(sub));
            for (Link l : links) {
                assertEquals(ConsentStatus.CONSENT_STATUS_REJECTED, consents.getConsent(GetConsentRequest.newBuilder()
                        .setConsentId(l.getConsentId()).build()).getConsent().getStatus(), l.getId());
            }
        } finally {
            scheduler.resume(sweep.getId());
        }
    }

    /** The ids of those links whose consent's end is still due. */
    private static List<String> stillDue(List<Link> links) throws Exception {
        List<String> due = new ArrayList<>();
        try (Connection c = ownDb(); PreparedStatement s = c.prepareStatement(
                "SELECT id FROM links WHERE id = ANY (?) AND consent_end_due_at IS NOT NULL")) {
            s.setArray(1, c.createArrayOf("uuid", links.stream().map(l -> UUID.fromString(l.getId())).toArray()));
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    due.add(r.getString(1));
                }
            }
        }
        return due;
    }
}
