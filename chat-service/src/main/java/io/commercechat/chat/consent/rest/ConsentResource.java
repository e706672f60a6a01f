package io.commercechat.chat.consent.rest;

import io.commercechat.chat.business.repository.BusinessRepository;
import io.commercechat.chat.client.ConsentClient;
import io.commercechat.chat.consent.ConsentViews;
import io.commercechat.chat.consent.ConsentViews.ConsentList;
import io.commercechat.chat.consent.ConsentViews.ConsentView;
import io.commercechat.chat.consent.ConsentViews.ReceiptView;
import io.commercechat.chat.rest.ProtoEnums;
import io.commercechat.chat.rest.RequestDeadline;
import io.commercechat.chat.rest.RestParams;
import io.commercechat.chat.security.Caller;
import io.commercechat.proto.consent.v1.GetReceiptRequest;
import io.commercechat.proto.consent.v1.ListConsentsRequest;
import io.commercechat.proto.consent.v1.ReceiptKind;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.Map;

/** The person's consents (consent-service, with the person's own token): list, read, signed receipts, revoke. */
@Path("/v1/consents")
@RolesAllowed("user")
@Produces(MediaType.APPLICATION_JSON)
@RequestDeadline
public class ConsentResource {

    private final ConsentClient consents;
    private final BusinessRepository businesses;
    private final SecurityIdentity identity;

    public ConsentResource(ConsentClient consents, BusinessRepository businesses, SecurityIdentity identity) {
        this.consents = consents;
        this.businesses = businesses;
        this.identity = identity;
    }

    /** Newest first; {@code bankId} filters. */
    @GET
    public Uni<ConsentList> list(@QueryParam("bankId") String bankId, @QueryParam("cursor") String cursor,
            @QueryParam("limit") String limit) {
        ListConsentsRequest.Builder req = ListConsentsRequest.newBuilder().setPageToken(RestParams.peerCursor(cursor))
                .setPageSize(RestParams.limit(limit, 20));
        if (bankId != null && !bankId.isEmpty()) {
            req.setBankId(bankId);
        }
        return bankNames().chain(names -> consents.listConsents(token(), req.build()).map(r -> ConsentViews.consents(r, names)));
    }

    @GET
    @Path("/{id}")
    public Uni<ConsentView> get(@PathParam("id") String id) {
        String consentId = RestParams.uuid(id, "consent id").toString();
        return bankNames().chain(names -> consents.getConsent(token(), consentId).map(c -> ConsentViews.consent(c, names)));
    }

    /**
     * The signed receipt (compact JWS, ES256) of the authorisation or the revocation;
     * {@code kind} AUTHORISATION or REVOCATION, default the latest. Verify with /v1/receipt-keys.
     */
    @GET
    @Path("/{id}/receipt")
    public Uni<ReceiptView> receipt(@PathParam("id") String id, @QueryParam("kind") String kind) {
        String consentId = RestParams.uuid(id, "consent id").toString();
        GetReceiptRequest.Builder req = GetReceiptRequest.newBuilder().setConsentId(consentId);
        if (kind != null && !kind.isEmpty()) {
            req.setKind(ProtoEnums.parse(ReceiptKind.class, "RECEIPT_KIND_", kind, "kind"));
        }
        return consents.getReceipt(token(), req.build()).map(r -> ConsentViews.receipt(consentId, r));
    }

    /** Ends access at once (consent-service never allows a read for it again); 409 unless AUTHORISED. */
    @POST
    @Path("/{id}/revoke")
    public Uni<ConsentView> revoke(@PathParam("id") String id) {
        String consentId = RestParams.uuid(id, "consent id").toString();
        return bankNames().chain(names -> consents.revoke(token(), consentId).map(c -> ConsentViews.consent(c, names)));
    }

    /** Read before the peer call, on the request's own context (the reactive session must not cross threads). */
    private Uni<Map<String, String>> bankNames() {
        return Panache.withSession(businesses::bankNames);
    }

    private String token() {
        return Caller.forwardedToken(identity);
    }
}
