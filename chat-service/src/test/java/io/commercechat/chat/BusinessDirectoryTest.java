package io.commercechat.chat;

import static org.hamcrest.Matchers.equalTo;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.chat.business.Business;
import io.commercechat.chat.business.repository.BusinessRepository;
import io.commercechat.chat.business.service.BusinessDirectory;
import io.commercechat.testkit.PostgresResource;
import io.commercechat.testkit.TestIssuerResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.vertx.VertxContextSupport;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The businesses people can chat with are the configuration (here: the sandbox's bank and shop), written at each start:
 * what the table holds beyond it is retired, what it says otherwise is put right.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(TestIssuerResource.class)
class BusinessDirectoryTest extends ChatTestSupport {

    @Inject
    BusinessDirectory directory;

    @Inject
    BusinessRepository businesses;

    @Test
    void aBusinessNoLongerConfiguredKeepsItsConversationsButIsNeitherListedNorOpenToNewOnes() {
        String shop = "retired-" + System.nanoTime();
        update("INSERT INTO businesses (id, display_name, kind) VALUES (?, 'Closed Shop', 'SHOP')", shop);
        String customer = newPerson();
        String conversation = open(customer, shop);
        send(customer, conversation, "c-1", "Are you still open?").statusCode(201);
        update("UPDATE businesses SET display_name = 'Renamed by hand' WHERE id = ?", SHOP);

        directory.apply();  // as at the next start

        List<String> listed = as(customer).get("/v1/businesses").then().statusCode(200).extract().path("businesses.id");
        assertFalse(listed.contains(shop), "retired, so not listed: " + listed);
        assertTrue(listed.containsAll(List.of(BANK, SHOP)), "the configured ones are: " + listed);
        as(customer).get("/v1/businesses").then().body("businesses.find { it.id == 'demo-shop' }.displayName", equalTo("Demo Shop"));
        // the conversation it had stays, with its history
        as(customer).body(Map.of("businessId", shop)).post("/v1/conversations").then().statusCode(200)
                .body("id", equalTo(conversation));
        as(customer).get("/v1/conversations/" + conversation + "/messages").then().statusCode(200)
                .body("messages[0].content.text.body", equalTo("Are you still open?"));
        // nobody starts a new one
        as(newPerson()).body(Map.of("businessId", shop)).post("/v1/conversations").then().statusCode(404)
                .contentType("application/problem+json");
        assertEquals(0, queryLong("SELECT count(*) FROM businesses WHERE id = ? AND listed", shop));
    }

    /**
     * A bank moved to a new business id: the old one is retired before the new one is written (one listed business per
     * partner bank, V15's unique index), and the bank's business is the new one for the assistant and consent views.
     */
    @Test
    void aBankMovedToANewBusinessIdIsFoundUnderItsNewOne() throws Throwable {
        Business moved = new Business();
        moved.id = "sandbox-bank-2";
        moved.displayName = "Sandbox Bank (new)";
        moved.kind = Business.Kind.BANK;
        moved.partnerBankId = BANK;
        Business shop = new Business();
        shop.id = SHOP;
        shop.displayName = "Demo Shop";
        shop.kind = Business.Kind.SHOP;
        try {
            businesses.configure(List.of(moved, shop)).await().atMost(Duration.ofSeconds(30));
            Business found = VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(() -> businesses.findByPartnerBank(BANK)));
            assertEquals("sandbox-bank-2", found.id);
            Map<String, String> names = VertxContextSupport.subscribeAndAwait(() -> Panache.withSession(businesses::bankNames));
            assertEquals("Sandbox Bank (new)", names.get(BANK));
            assertEquals(0, queryLong("SELECT count(*) FROM businesses WHERE id = ? AND listed", BANK));
        } finally {
            directory.apply();
        }
        assertEquals(1, queryLong("SELECT count(*) FROM businesses WHERE id = ? AND listed", BANK), "the configuration again");
    }
}
