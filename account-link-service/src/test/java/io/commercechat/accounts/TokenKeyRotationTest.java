package io.commercechat.accounts;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.accounts.token.service.TokenKeyRotation;
import io.commercechat.accounts.token.service.TokenKeyRotation.Sweep;
import io.commercechat.proto.accounts.v1.GetBalancesRequest;
import io.commercechat.proto.accounts.v1.Link;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.testkit.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.vertx.core.Vertx;
import jakarta.inject.Inject;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * After a key rotation (k1 retired, k2 active in the test configuration) the sweep moves stored bank tokens to the
 * active key, so k1 can be removed; a token under k1 that does not decrypt is tried and left as it is; a token under a
 * key id that is configured nowhere any more is not tried at all (only retiring key ids are swept), and is counted and
 * reported for the operator.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(MeshResource.class)
class TokenKeyRotationTest extends MeshTestSupport {

    private static final SecureRandom RANDOM = new SecureRandom();

    @Inject
    TokenKeyRotation rotation;

    @Inject
    Vertx vertx;

    @Test
    void theSweepResealsOldKeyTokensUnderTheActiveKeyAndCountsThoseNobodyCanRead() throws Exception {
        // three people's links whose tokens were sealed under k1 before the switch (two batches of two in the test config)
        Map<UUID, String> tokens = new LinkedHashMap<>();
        Map<UUID, String> owners = new LinkedHashMap<>();
        Map<UUID, String> accounts = new LinkedHashMap<>();
        for (int i = 0; i < 3; i++) {
            String sub = newPerson();
            Link link = linkAccount(sub);
            UUID linkId = UUID.fromString(link.getId());
            String token = bankToken(linkId);
            storeTokenRow(linkId, encrypt(linkId, "k1", token));
            tokens.put(linkId, token);
            owners.put(linkId, sub);
            accounts.put(linkId, link.getAccounts(0).getId());
        }
        UUID firstLink = tokens.keySet().iterator().next();
        // a token under a key id removed from the configuration (nobody can read it any more) ...
        UUID lostLink = UUID.fromString(linkAccount(newPerson()).getId());
        String retired = "retired-" + UUID.randomUUID().toString().substring(0, 8);
        TokenRow lost = new TokenRow(retired, random(12), random(48));
        storeTokenRow(lostLink, lost);
        // ... and one under k1 that does not decrypt: sealed for another link, then copied onto this one
        UUID movedLink = UUID.fromString(linkAccount(newPerson()).getId());
        TokenRow moved = tokenRow(firstLink);
        storeTokenRow(movedLink, moved);

        Sweep sweep = onVertxContext(vertx, rotation::sweep);
        String log = serviceLog();

        for (Map.Entry<UUID, String> e : tokens.entrySet()) {
            TokenRow row = tokenRow(e.getKey());
            assertEquals("k2", row.keyId(), "re-sealed under the active key id");
            assertEquals(e.getValue(), decrypt(e.getKey(), row), "the same token, bound to the same link");
            // and the person's link keeps working with it
            assertFalse(person(owners.get(e.getKey())).getBalances(GetBalancesRequest.newBuilder()
                    .setAccountId(accounts.get(e.getKey())).setPurpose(Purpose.PURPOSE_ACCOUNT_OVERVIEW).build())
                    .getBalancesList().isEmpty());
        }
        // the token that does not decrypt was tried, under the retiring key, and left as it was
        assertTrue(log.contains("bank token of link " + movedLink + " under key id k1 does not decrypt; left as it is"),
                "the sweep tried the token that does not decrypt");
        assertUnchanged(moved, tokenRow(movedLink));
        // the token under a key id configured nowhere is not tried: no key could open it, so trying could not change the
        // row either (comparing the row before and after could not fail); a sweep that tried every non-active key id
        // would report it as not decrypting, and count it so
        assertFalse(log.contains("bank token of link " + lostLink), "the sweep tried the token under " + retired);
        assertTrue(sweep.resealed() >= 3, "re-sealed " + sweep.resealed());
        assertTrue(sweep.undecryptable() >= 1, "the moved token is counted, not re-sealed");
        assertEquals(1L, sweep.remaining().get(retired), sweep.remaining().toString());
        assertTrue(sweep.unconfigured().contains(retired), sweep.unconfigured().toString());
        assertTrue(sweep.unreadable() >= 1);

        // what an operator sees: the gauge by key id, and a log line that names no token
        String metrics = metrics();
        assertEquals("1.0", metric(metrics, retired, "false"), "unreadable tokens under " + retired);
        assertEquals(Double.toString(sweep.remaining().getOrDefault("k1", 0L)), metric(metrics, "k1", "true"));
        assertTrue(log.contains("key ids [" + retired + "] are no longer configured"), "the unreadable tokens are reported");
        tokens.values().forEach(token -> assertFalse(log.contains(token), "the log holds a bank token"));

        // nothing left to do for the next sweep
        Sweep again = onVertxContext(vertx, rotation::sweep);
        assertEquals(0, again.resealed());
        assertEquals(sweep.remaining(), again.remaining());
    }

    private static void assertUnchanged(TokenRow before, TokenRow after) {
        assertEquals(before.keyId(), after.keyId());
        assertArrayEquals(before.nonce(), after.nonce());
        assertArrayEquals(before.ciphertext(), after.ciphertext());
    }

    /** The gauge's value for one key id, as Prometheus scrapes it. */
    private static String metric(String metrics, String keyId, String configured) {
        return metrics.lines()
                .filter(l -> l.startsWith("accounts_bank_tokens_inactive_key{") && l.contains("key_id=\"" + keyId + "\"")
                        && l.contains("configured=\"" + configured + "\""))
                .map(l -> l.substring(l.lastIndexOf(' ') + 1))
                .findFirst().orElseThrow(() -> new AssertionError("no gauge for key id " + keyId + " in\n" + metrics));
    }

    private static byte[] random(int length) {
        byte[] bytes = new byte[length];
        RANDOM.nextBytes(bytes);
        return bytes;
    }
}
