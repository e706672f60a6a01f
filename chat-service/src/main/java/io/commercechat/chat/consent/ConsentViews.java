package io.commercechat.chat.consent;

import static io.commercechat.chat.rest.ProtoEnums.name;

import io.commercechat.chat.rest.RestParams;
import io.commercechat.proto.consent.v1.AccessRecord;
import io.commercechat.proto.consent.v1.Consent;
import io.commercechat.proto.consent.v1.GetReceiptResponse;
import io.commercechat.proto.consent.v1.ListAccessRecordsResponse;
import io.commercechat.proto.consent.v1.ListConsentsResponse;
import io.commercechat.chat.client.PeerTimes;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * Consents, receipts and the access log as the REST API shows them (enums by short name, ISO-8601
 * times, the bank's display name next to its id: {@code bankNames} maps partner bank ids to names).
 */
public final class ConsentViews {

    private ConsentViews() {}

    /**
     * {@code accountIds}: the bank's ids of the accounts the consent covers (empty: those the person chooses at the bank
     * while it awaits authorisation, every account of its link once authorised); {@code transactionFrom}/{@code To}: how
     * far back and up to when transactions may be read (null: no bound).
     */
    public record ConsentView(String id, String bankId, String bankDisplayName, String status, String statusReason, String endedBy,
            List<String> permissions, List<String> purposes, List<String> accountIds, Instant transactionFrom, Instant transactionTo,
            Instant createdAt, Instant authorisedAt, Instant expiresAt, Instant updatedAt, long version) {}

    public record ConsentList(List<ConsentView> consents, String nextCursor) {}

    /** {@code jws}: the compact JWS (ES256), verifiable with {@code GET /v1/receipt-keys}. */
    public record ReceiptView(String consentId, String kind, String jws, String keyId, Instant issuedAt) {}

    public record AccessRecordView(String id, String bankId, String bankDisplayName, String accountId, String consentId, String service,
            String permission, String purpose, String decision, String reason, Instant occurredAt) {}

    public record AccessLog(List<AccessRecordView> records, String nextCursor) {}

    public static ConsentView consent(Consent c, Map<String, String> bankNames) {
        return new ConsentView(c.getId(), c.getBankId(), bankNames.get(c.getBankId()), name(c.getStatus(), "CONSENT_STATUS_"),
                c.getStatusReason().isEmpty() ? null : c.getStatusReason(), name(c.getEndedBy(), "ACTOR_"),
                c.getPermissionsList().stream().map(p -> name(p, "PERMISSION_")).toList(),
                c.getPurposesList().stream().map(p -> name(p, "PURPOSE_")).toList(), List.copyOf(c.getAccountIdsList()),
                PeerTimes.from(c.getTransactionFrom(), "transaction_from"), PeerTimes.from(c.getTransactionTo(), "transaction_to"),
                PeerTimes.from(c.getCreatedAt(), "created_at"), PeerTimes.from(c.getAuthorisedAt(), "authorised_at"),
                PeerTimes.from(c.getExpiresAt(), "expires_at"), PeerTimes.from(c.getUpdatedAt(), "updated_at"), c.getVersion());
    }

    public static ConsentList consents(ListConsentsResponse r, Map<String, String> bankNames) {
        return new ConsentList(r.getConsentsList().stream().map(c -> consent(c, bankNames)).toList(),
                RestParams.nextCursor(r.getNextPageToken()));
    }

    public static ReceiptView receipt(String consentId, GetReceiptResponse r) {
        return new ReceiptView(consentId, name(r.getKind(), "RECEIPT_KIND_"), r.getJws(), r.getKeyId(),
                PeerTimes.from(r.getIssuedAt(), "issued_at"));
    }

    public static AccessLog accessLog(ListAccessRecordsResponse r, Map<String, String> bankNames) {
        return new AccessLog(r.getRecordsList().stream().map(a -> accessRecord(a, bankNames)).toList(),
                RestParams.nextCursor(r.getNextPageToken()));
    }

    static AccessRecordView accessRecord(AccessRecord a, Map<String, String> bankNames) {
        return new AccessRecordView(a.getId(), a.getBankId(), bankNames.get(a.getBankId()), a.getAccountId().isEmpty() ? null : a.getAccountId(),
                a.getConsentId().isEmpty() ? null : a.getConsentId(), a.getService(), name(a.getPermission(), "PERMISSION_"),
                name(a.getPurpose(), "PURPOSE_"), name(a.getDecision(), "ACCESS_DECISION_"),
                a.getReason().isEmpty() ? null : a.getReason(), PeerTimes.from(a.getOccurredAt(), "occurred_at"));
    }
}
