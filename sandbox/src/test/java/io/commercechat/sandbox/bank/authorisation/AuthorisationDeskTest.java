package io.commercechat.sandbox.bank.authorisation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.sandbox.bank.ledger.Ledger;
import io.commercechat.sandbox.bank.link.BankLinks;
import io.commercechat.sandbox.bank.link.BankRevocations;
import io.commercechat.sandbox.client.LinkEventsClient;
import io.commercechat.sandbox.config.SandboxConfig;
import io.commercechat.support.Pkce;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.smallrye.mutiny.Uni;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The code exchange without the network, so that the interleavings of a replay can be set exactly. */
class AuthorisationDeskTest {

    private static final String REDIRECT = "https://app.commercechat.test/links/callback";
    private static final String VERIFIER = "test-verifier-0123456789-abcdefghijklmnopqrstuvwxyz";

    private final Clock clock = Clock.systemUTC();
    /** The bank link ids the platform was told of, in order. */
    private final List<String> told = new CopyOnWriteArrayList<>();

    /** account-link-service's PartnerLinkEvents as the desk reaches it: records the notice, the link ends there. */
    private final class RecordingPlatform extends LinkEventsClient {
        RecordingPlatform() {
            super(null, null);
        }

        @Override
        public Uni<Boolean> notifyAccessRevoked(String bankLinkId, String reason, Instant occurredAt) {
            told.add(bankLinkId);
            return Uni.createFrom().item(true);
        }
    }

    private AuthorisationDesk desk(BankLinks links) {
        return new AuthorisationDesk(config(), clock, new Ledger(clock), links,
                new BankRevocations(links, new RecordingPlatform(), clock, config()));
    }

    /** Its grants hold on until released, as a slow grant would, with the link already made. */
    private static final class SlowBankLinks extends BankLinks {
        final CountDownLatch granting = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        SlowBankLinks(Clock clock) {
            super(clock);
        }

        @Override
        public Grant grant(String customerId, List<String> accountIds, Set<Permission> permissions, Instant expiresAt) {
            Grant grant = super.grant(customerId, accountIds, permissions, expiresAt);
            granting.countDown();
            try {
                if (!release.await(10, TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the test never let the grant finish");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
            return grant;
        }
    }

    @Test
    void aReplayWhileTheWinnerIsStillGrantingStillRevokesTheGrantedLink() throws Exception {
        SlowBankLinks links = new SlowBankLinks(clock);
        AuthorisationDesk desk = desk(links);
        String code = approvedCode(desk);
        ExecutorService winner = Executors.newSingleThreadExecutor();
        try {
            Future<BankLinks.Grant> first = winner.submit(() -> desk.exchange(code, REDIRECT, VERIFIER));
            assertTrue(links.granting.await(10, TimeUnit.SECONDS), "the first exchange is granting");

            // the replay runs to its end while the winner has not yet recorded which link it granted
            StatusRuntimeException replay = assertThrows(StatusRuntimeException.class, () -> desk.exchange(code, REDIRECT, VERIFIER));
            assertEquals(Status.Code.FAILED_PRECONDITION, replay.getStatus().getCode());
            assertEquals("authorisation code was already used", replay.getStatus().getDescription());

            links.release.countDown();
            BankLinks.Grant grant = first.get(10, TimeUnit.SECONDS);
            assertTrue(grant.link().isRevoked(), "a replayed code's link is revoked (RFC 6749 section 4.1.2)");
            StatusRuntimeException denied = assertThrows(StatusRuntimeException.class, () -> links.active(grant.accessToken()));
            assertEquals(Status.Code.PERMISSION_DENIED, denied.getStatus().getCode());
            assertEquals(List.of(grant.link().id()), told, "the platform is told once, by the side that revoked");
        } finally {
            links.release.countDown();
            winner.shutdownNow();
        }
    }

    @Test
    void aReplayAfterTheGrantRevokesTheGrantedLink() {
        BankLinks links = new BankLinks(clock);
        AuthorisationDesk desk = desk(links);
        String code = approvedCode(desk);
        BankLinks.Grant grant = desk.exchange(code, REDIRECT, VERIFIER);
        assertFalse(grant.link().isRevoked());

        assertThrows(StatusRuntimeException.class, () -> desk.exchange(code, REDIRECT, VERIFIER));
        assertTrue(grant.link().isRevoked());
        assertEquals(List.of(grant.link().id()), told, "the platform is told that the bank ended the link");

        // a further replay finds the link ended already: nothing new to tell
        assertThrows(StatusRuntimeException.class, () -> desk.exchange(code, REDIRECT, VERIFIER));
        assertEquals(List.of(grant.link().id()), told);
    }

    private String approvedCode(AuthorisationDesk desk) {
        PendingAuthorisation pending = desk.begin("state-1", REDIRECT, List.of(Permission.PERMISSION_ACCOUNTS_BASIC),
                List.of(Purpose.PURPOSE_ACCOUNT_OVERVIEW), clock.instant().plus(Duration.ofDays(30)), "Commerce Chat",
                "consent-1", Pkce.challenge(VERIFIER));
        String location = desk.approve(pending.id(), "cust-ada", List.of("ada-current"));
        for (String pair : URI.create(location).getRawQuery().split("&")) {
            if (pair.startsWith("code=")) {
                return java.net.URLDecoder.decode(pair.substring("code=".length()), java.nio.charset.StandardCharsets.UTF_8);
            }
        }
        throw new AssertionError("no code in " + location);
    }

    private static SandboxConfig config() {
        return new SandboxConfig() {
            @Override
            public String publicUrl() {
                return "http://127.0.0.1:8083";
            }

            @Override
            public Duration codeTtl() {
                return Duration.ofSeconds(60);
            }

            @Override
            public Duration authorisationTtl() {
                return Duration.ofMinutes(15);
            }

            @Override
            public Set<String> clients() {
                return Set.of("account-link-service");
            }

            @Override
            public SandboxConfig.TestHooks testHooks() {
                return null;
            }

            @Override
            public SandboxConfig.Agent agent() {
                return null;
            }

            @Override
            public Map<String, SandboxConfig.RpcFault> faults() {
                return Map.of();
            }

            @Override
            public SandboxConfig.RevocationNotices revocationNotices() {
                return new SandboxConfig.RevocationNotices() {
                    @Override
                    public Duration initialBackoff() {
                        return Duration.ofMillis(100);
                    }

                    @Override
                    public Duration maxBackoff() {
                        return Duration.ofMillis(400);
                    }

                    @Override
                    public int maxRetries() {
                        return 3;
                    }
                };
            }
        };
    }
}
