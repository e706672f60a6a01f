package io.commercechat.consent.receipt.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.commercechat.consent.config.ConsentConfig;
import io.commercechat.consent.eventlog.ConsentEventEntry;
import io.commercechat.consent.lifecycle.Consent;
import io.commercechat.consent.receipt.Receipt;
import io.commercechat.proto.consent.v1.ReceiptKind;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.io.IOException;
import java.security.PublicKey;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.jose4j.jwa.AlgorithmConstraints;
import org.jose4j.jwk.EllipticCurveJsonWebKey;
import org.jose4j.jwk.JsonWebKey;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jwk.PublicJsonWebKey;
import org.jose4j.jws.AlgorithmIdentifiers;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.lang.InvalidAlgorithmException;
import org.jose4j.lang.JoseException;

/**
 * Signs consent receipts as compact JWS (ES256). The payload follows the Kantara Consent Receipt
 * v1.1 / ISO/IEC 27560 shape: who (principal, controller), what data (permissions as PII
 * categories), which purposes, until when, and the state change it records.
 * <p>
 * Made at start ({@link Startup}): its keys are checked in the constructor, and a wrong key must stop the start
 * (k8s/README.md) rather than the first authorisation or revocation after a rollout that looked healthy.
 */
@Startup
@ApplicationScoped
public class ReceiptSigner {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final PublicJsonWebKey signingKey;
    private final String publishedJwks;
    /** The public keys of {@link #jwks()} by kid: what a stored receipt is verified with ({@link #verify}). */
    private final Map<String, PublicKey> publishedKeys;
    private final ConsentConfig.Receipts config;

    public ReceiptSigner(ConsentConfig config) {
        this.config = config.receipts();
        try {
            signingKey = PublicJsonWebKey.Factory.newPublicJwk(this.config.signingJwk());
            if (!(signingKey instanceof EllipticCurveJsonWebKey ec) || !"P-256".equals(ec.getCurveName())
                    || signingKey.getPrivateKey() == null || signingKey.getKeyId() == null) {
                throw new IllegalStateException("consent.receipts.signing-jwk must be a private EC P-256 JWK with a kid");
            }
            List<JsonWebKey> keys = new ArrayList<>();
            keys.add(PublicJsonWebKey.Factory.newPublicJwk(signingKey.getPublicKey()));
            keys.get(0).setKeyId(signingKey.getKeyId());
            keys.get(0).setAlgorithm(AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256);
            keys.get(0).setUse("sig");
            String signingKid = signingKey.getKeyId();
            this.config.previousPublicJwks().ifPresent(jwks -> keys.addAll(otherPublishedKeys(jwks, signingKid)));
            publishedJwks = new JsonWebKeySet(keys).toJson(JsonWebKey.OutputControlLevel.PUBLIC_ONLY);
            Map<String, PublicKey> byKid = new LinkedHashMap<>();
            keys.forEach(k -> byKid.put(k.getKeyId(), ((PublicJsonWebKey) k).getPublicKey()));
            publishedKeys = Map.copyOf(byKid);
        } catch (JoseException e) {
            throw new IllegalStateException("consent.receipts.signing-jwk is not a valid JWK", e);
        }
    }

    /**
     * The other keys published beside the signing key (earlier ones, and the next one during a rotation): public EC
     * P-256 keys, each with a kid of its own, since a receipt names its key by kid. A wrong entry stops the start with
     * a message naming the setting.
     */
    static List<JsonWebKey> otherPublishedKeys(String jwks, String signingKid) {
        String setting = "consent.receipts.previous-public-jwks";
        Set<String> kids = new HashSet<>(Set.of(signingKid));
        List<JsonWebKey> keys = new ArrayList<>();
        try {
            for (JsonWebKey other : new JsonWebKeySet(jwks).getJsonWebKeys()) {
                if (!(other instanceof EllipticCurveJsonWebKey ec) || !"P-256".equals(ec.getCurveName())) {
                    throw new IllegalStateException(setting + " must hold EC P-256 public keys only, not "
                            + other.getKeyType() + " (kid " + other.getKeyId() + ")");
                }
                if (other.getKeyId() == null || !kids.add(other.getKeyId())) {
                    throw new IllegalStateException(setting + ": every key needs a kid of its own, different from the"
                            + " signing key's; " + (other.getKeyId() == null ? "one has none" : other.getKeyId() + " repeats"));
                }
                JsonWebKey published = PublicJsonWebKey.Factory.newPublicJwk(ec.getPublicKey());
                published.setKeyId(other.getKeyId());
                published.setAlgorithm(AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256);
                published.setUse("sig");
                keys.add(published);
            }
        } catch (JoseException e) {
            throw new IllegalStateException(setting + " is not a valid JWKS", e);
        }
        return keys;
    }

    /** The key ids of {@link #jwks()}. */
    public Set<String> publishedKeyIds() {
        return publishedKeys.keySet();
    }

    /** The public keys that verify receipts (JWKS, public parts only). */
    public String jwks() {
        return publishedJwks;
    }

    /**
     * Signs a receipt of {@code consent} as {@code event} (just appended to the event log) left it. The receipt carries
     * that event's id, position and chain hash: the log is a hash chain without a key, so someone able to rewrite the
     * database could recompute it after deleting or changing events; a receipt the person holds pins the chain at its
     * event, and VerifyEventLog plus the receipts show such a rewrite.
     */
    public Receipt sign(Consent consent, ReceiptKind kind, ConsentEventEntry event) {
        Instant now = event.occurredAt; // issued with its event, by the database's clock (README, "One clock")
        UUID receiptId = UUID.randomUUID();
        Map<String, Object> purpose = new LinkedHashMap<>();
        Map<String, Object> claims = new LinkedHashMap<>();
        claims.put("version", "KI-CR-v1.1.0");
        claims.put("jurisdiction", "EU");
        claims.put("consentTimestamp", consent.createdAt.getEpochSecond());
        claims.put("collectionMethod", "explicit opt-in in the Commerce Chat app, authorised at the bank");
        claims.put("consentReceiptID", receiptId.toString());
        claims.put("publicKey", signingKey.getKeyId());
        claims.put("language", "en");
        claims.put("piiPrincipalId", consent.userId);
        claims.put("piiControllers", List.of(Map.of("piiController", config.controllerName(),
                "contact", config.controllerContact(), "onBehalf", false)));
        claims.put("policyUrl", config.policyUrl());
        List<Map<String, Object>> purposes = new ArrayList<>();
        for (var p : consent.purposeList()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("purpose", p.name().replace("PURPOSE_", ""));
            entry.put("purposeCategory", List.of(p.name().replace("PURPOSE_", "")));
            entry.put("consentType", "EXPLICIT");
            entry.put("piiCategory", consent.permissionList().stream().map(x -> x.name().replace("PERMISSION_", "")).toList());
            entry.put("primaryPurpose", purposes.isEmpty());
            entry.put("termination", consent.expiresAt.toString());
            entry.put("thirdPartyDisclosure", false);
            purposes.add(entry);
        }
        purpose.put("service", "bank-account-access:" + consent.bankId);
        purpose.put("purposes", purposes);
        claims.put("services", List.of(purpose));
        claims.put("sensitive", true);
        claims.put("spiCat", List.of("financial"));
        // ISO/IEC 27560 record fields about the state change this receipt proves.
        claims.put("consentId", consent.id.toString());
        claims.put("bankId", consent.bankId);
        claims.put("accountIds", consent.accountIdList());
        claims.put("event", kind == ReceiptKind.RECEIPT_KIND_REVOCATION ? "withdrawn" : "given");
        claims.put("status", consent.status.name().replace("CONSENT_STATUS_", ""));
        if (consent.endedBy != null) {
            claims.put("withdrawnBy", consent.endedBy.name().replace("ACTOR_", ""));
        }
        claims.put("validUntil", consent.expiresAt.toString());
        // how far back transactions may be read: part of what the person agreed to
        if (consent.transactionFrom != null || consent.transactionTo != null) {
            Map<String, Object> window = new LinkedHashMap<>();
            if (consent.transactionFrom != null) {
                window.put("from", consent.transactionFrom.toString());
            }
            if (consent.transactionTo != null) {
                window.put("to", consent.transactionTo.toString());
            }
            claims.put("transactionWindow", window);
        }
        if (consent.authorisedAt != null) {
            claims.put("authorisedAt", consent.authorisedAt.toString());
        }
        if (kind == ReceiptKind.RECEIPT_KIND_REVOCATION) {
            claims.put("withdrawnAt", consent.updatedAt.toString());
        }
        claims.put("consentVersion", consent.version);
        Map<String, Object> logged = new LinkedHashMap<>();
        logged.put("eventId", event.eventId.toString());
        if (event.position != null) {
            logged.put("position", event.position);
        }
        logged.put("hash", event.hash);
        claims.put("eventLog", logged);
        claims.put("iat", now.getEpochSecond());
        claims.put("iss", config.controllerName());
        claims.put("sub", consent.userId);
        claims.put("jti", receiptId.toString());

        JsonWebSignature jws = new JsonWebSignature();
        try {
            jws.setPayload(JSON.writeValueAsString(claims));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        jws.setAlgorithmHeaderValue(AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256);
        jws.setKeyIdHeaderValue(signingKey.getKeyId());
        jws.setHeader("typ", "consent-receipt+jwt");
        jws.setKey(signingKey.getPrivateKey());
        Receipt r = new Receipt();
        r.id = receiptId;
        r.consentId = consent.id;
        r.kind = kind;
        r.keyId = signingKey.getKeyId();
        r.issuedAt = now;
        try {
            r.jws = jws.getCompactSerialization();
        } catch (JoseException e) {
            throw new IllegalStateException("could not sign receipt", e);
        }
        return r;
    }

    /**
     * What a stored receipt says about itself and the event it pins ({@code eventLog}), once its signature verifies.
     * {@code eventId} is null for a receipt issued before receipts named their event; {@code position} may be null.
     */
    public record VerifiedReceipt(String keyId, String receiptId, String consentId, String eventId, Long position, String hash) {}

    /** Why a stored receipt does not verify, in words that hold none of its content (it is about a person). */
    public static final class InvalidReceipt extends Exception {
        InvalidReceipt(String why) {
            super(why, null, false, false);
        }
    }

    /** Receipts are ES256 only (immutable once built; one for every verification). */
    private static final AlgorithmConstraints ES256_ONLY = new AlgorithmConstraints(AlgorithmConstraints.ConstraintType.PERMIT,
            AlgorithmIdentifiers.ECDSA_USING_P256_CURVE_AND_SHA256);

    /**
     * Verifies a receipt as anyone holding it and the published JWKS would: ES256 only, under the published key its
     * header names (the signing key or an earlier one still published). CPU work, an ECDSA verification: a caller with
     * many receipts runs it off the event loop.
     */
    public VerifiedReceipt verify(String compactJws) throws InvalidReceipt {
        JsonWebSignature jws = new JsonWebSignature();
        jws.setAlgorithmConstraints(ES256_ONLY);
        String kid;
        try {
            jws.setCompactSerialization(compactJws);
            kid = jws.getKeyIdHeaderValue();
        } catch (JoseException e) {
            throw new InvalidReceipt("it is not a compact JWS");
        }
        PublicKey key = kid == null ? null : publishedKeys.get(kid);
        if (key == null) {
            throw new InvalidReceipt(kid == null ? "its header names no key id"
                    : "it names key id \"" + (kid.length() > 64 ? kid.substring(0, 64) + "…" : kid) + "\", which is not published");
        }
        jws.setKey(key);
        try {
            if (!jws.verifySignature()) {
                throw new InvalidReceipt("its signature does not verify under the published key " + kid
                        + " (its content or signature was changed)");
            }
        } catch (InvalidAlgorithmException e) {
            throw new InvalidReceipt("it is not signed with ES256");
        } catch (JoseException e) {
            throw new InvalidReceipt("its signature cannot be checked under the published key " + kid);
        }
        try {
            JsonNode claims = JSON.readTree(jws.getUnverifiedPayload());
            JsonNode logged = claims.path("eventLog");
            return new VerifiedReceipt(kid, claims.path("jti").asText(null), claims.path("consentId").asText(null),
                    logged.path("eventId").asText(null), logged.path("position").isIntegralNumber() ? logged.get("position").asLong() : null,
                    logged.path("hash").asText(null));
        } catch (IOException e) {
            throw new InvalidReceipt("its payload is not JSON");
        }
    }
}
