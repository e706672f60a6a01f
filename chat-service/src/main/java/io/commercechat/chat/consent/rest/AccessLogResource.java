package io.commercechat.chat.consent.rest;

import io.commercechat.chat.business.repository.BusinessRepository;
import io.commercechat.chat.client.ConsentClient;
import io.commercechat.chat.consent.ConsentViews;
import io.commercechat.chat.consent.ConsentViews.AccessLog;
import io.commercechat.chat.rest.RequestDeadline;
import io.commercechat.chat.rest.RestParams;
import io.commercechat.chat.security.Caller;
import io.commercechat.proto.consent.v1.ListAccessRecordsRequest;
import io.quarkus.hibernate.reactive.panache.Panache;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/** Every attempt to read the person's bank data, allowed or denied, newest first. */
@Path("/v1/access-log")
@RolesAllowed("user")
@Produces(MediaType.APPLICATION_JSON)
@RequestDeadline
public class AccessLogResource {

    private final ConsentClient consents;
    private final BusinessRepository businesses;
    private final SecurityIdentity identity;

    public AccessLogResource(ConsentClient consents, BusinessRepository businesses, SecurityIdentity identity) {
        this.consents = consents;
        this.businesses = businesses;
        this.identity = identity;
    }

    @GET
    public Uni<AccessLog> list(@QueryParam("consentId") String consentId, @QueryParam("cursor") String cursor,
            @QueryParam("limit") String limit) {
        ListAccessRecordsRequest.Builder req = ListAccessRecordsRequest.newBuilder().setPageToken(RestParams.peerCursor(cursor))
                .setPageSize(RestParams.limit(limit, 20));
        if (consentId != null && !consentId.isEmpty()) {
            req.setConsentId(RestParams.uuid(consentId, "consentId").toString());
        }
        // bank names are read before the peer call, on the request's own context
        return Panache.withSession(businesses::bankNames).chain(names -> consents
                .listAccessRecords(Caller.forwardedToken(identity), req.build()).map(r -> ConsentViews.accessLog(r, names)));
    }
}
