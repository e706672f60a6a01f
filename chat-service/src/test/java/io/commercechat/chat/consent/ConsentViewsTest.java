package io.commercechat.chat.consent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.Timestamp;
import io.commercechat.chat.consent.ConsentViews.ConsentView;
import io.commercechat.proto.consent.v1.Consent;
import io.commercechat.proto.consent.v1.ConsentStatus;
import io.commercechat.proto.consent.v1.Permission;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the Privacy page is told about a consent: which accounts it covers and how far back transactions are read. */
class ConsentViewsTest {

    private static Timestamp at(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).build();
    }

    @Test
    void aConsentShowsTheAccountsItCoversAndItsTransactionWindow() {
        Instant from = Instant.parse("2025-12-06T00:00:00Z");
        Consent c = Consent.newBuilder().setId("c1").setBankId("sandbox-bank").setStatus(ConsentStatus.CONSENT_STATUS_AUTHORISED)
                .addPermissions(Permission.PERMISSION_TRANSACTIONS).addAccountIds("acc-current-1").addAccountIds("acc-savings-2")
                .setTransactionFrom(at(from)).build();
        ConsentView view = ConsentViews.consent(c, Map.of("sandbox-bank", "Sandbox Bank"));
        assertEquals(List.of("acc-current-1", "acc-savings-2"), view.accountIds());
        assertEquals(from, view.transactionFrom());
        assertNull(view.transactionTo(), "no end to the window");
    }

    @Test
    void aConsentWithoutAnAccountScopeShowsNone() {
        ConsentView view = ConsentViews.consent(Consent.newBuilder().setId("c2").setBankId("sandbox-bank").build(), Map.of());
        assertEquals(List.of(), view.accountIds());
    }
}
