package io.commercechat.consent.lifecycle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.commercechat.support.ProtoTime;
import io.commercechat.proto.consent.v1.Actor;
import io.commercechat.proto.consent.v1.ConsentStatus;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/** Consent entity -> proto, and the JSON snapshot stored with each consent event. */
public final class ConsentMapper {

    private static final ObjectMapper JSON = new ObjectMapper();

    private ConsentMapper() {}

    public static io.commercechat.proto.consent.v1.Consent toProto(Consent c) {
        var b = io.commercechat.proto.consent.v1.Consent.newBuilder()
                .setId(c.id.toString())
                .setUserId(c.userId)
                .setBankId(c.bankId)
                .addAllPermissions(c.permissionList())
                .addAllPurposes(c.purposeList())
                .addAllAccountIds(c.accountIdList())
                .setCreatedAt(ProtoTime.of(c.createdAt))
                .setExpiresAt(ProtoTime.of(c.expiresAt))
                .setUpdatedAt(ProtoTime.of(c.updatedAt))
                .setStatus(c.status)
                .setStatusReason(c.statusReason == null ? "" : c.statusReason)
                .setVersion(c.version);
        if (c.transactionFrom != null) {
            b.setTransactionFrom(ProtoTime.of(c.transactionFrom));
        }
        if (c.transactionTo != null) {
            b.setTransactionTo(ProtoTime.of(c.transactionTo));
        }
        if (c.authorisedAt != null) {
            b.setAuthorisedAt(ProtoTime.of(c.authorisedAt));
        }
        if (c.endedBy != null) {
            b.setEndedBy(c.endedBy);
        }
        return b.build();
    }

    /** A deterministic JSON snapshot (field order fixed) that the event hash covers. */
    public static String snapshot(Consent c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", c.id.toString());
        m.put("userId", c.userId);
        m.put("bankId", c.bankId);
        m.put("permissions", c.permissions);
        m.put("purposes", c.purposes);
        m.put("accountIds", c.accountIds);
        m.put("transactionFrom", str(c.transactionFrom));
        m.put("transactionTo", str(c.transactionTo));
        m.put("createdAt", str(c.createdAt));
        m.put("expiresAt", str(c.expiresAt));
        m.put("updatedAt", str(c.updatedAt));
        m.put("authorisedAt", str(c.authorisedAt));
        m.put("status", c.status.name());
        m.put("statusReason", c.statusReason);
        m.put("endedBy", c.endedBy == null ? null : c.endedBy.name());
        m.put("version", c.version);
        try {
            return JSON.writeValueAsString(m);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Consent fromSnapshot(String json) {
        try {
            JsonNode n = JSON.readTree(json);
            Consent c = new Consent();
            c.id = UUID.fromString(n.get("id").asText());
            c.userId = n.get("userId").asText();
            c.bankId = n.get("bankId").asText();
            c.permissions = n.get("permissions").asText();
            c.purposes = n.get("purposes").asText();
            c.accountIds = n.get("accountIds").asText();
            c.transactionFrom = instant(n.get("transactionFrom"));
            c.transactionTo = instant(n.get("transactionTo"));
            c.createdAt = instant(n.get("createdAt"));
            c.expiresAt = instant(n.get("expiresAt"));
            c.updatedAt = instant(n.get("updatedAt"));
            c.authorisedAt = instant(n.get("authorisedAt"));
            c.status = ConsentStatus.valueOf(n.get("status").asText());
            c.statusReason = n.get("statusReason").asText("");
            c.endedBy = n.get("endedBy").isNull() ? null : Actor.valueOf(n.get("endedBy").asText());
            c.version = n.get("version").asLong();
            return c;
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("unreadable consent snapshot", e);
        }
    }

    private static String str(Instant i) {
        return i == null ? null : i.toString();
    }

    private static Instant instant(JsonNode n) {
        return n == null || n.isNull() ? null : Instant.parse(n.asText());
    }
}
