package io.commercechat.sandbox.bank.authorisation;

import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import java.time.Instant;
import java.util.List;

/** An authorisation request waiting for the person at the bank's page. */
public record PendingAuthorisation(String id, String state, String redirectUri, List<Permission> permissions,
        List<Purpose> purposes, Instant accessExpiresAt, String requesterDisplayName, String consentReference,
        String codeChallenge, Instant pageExpiresAt) {}
