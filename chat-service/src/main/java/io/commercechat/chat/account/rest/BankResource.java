package io.commercechat.chat.account.rest;

import io.commercechat.chat.account.AccountViews;
import io.commercechat.chat.account.AccountViews.BankList;
import io.commercechat.chat.client.AccountLinkClient;
import io.commercechat.chat.rest.RequestDeadline;
import io.commercechat.chat.rest.RestParams;
import io.commercechat.chat.security.Caller;
import io.commercechat.proto.accounts.v1.ListBanksRequest;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;

/** The partner banks a person can link (account-link-service's registry). */
@Path("/v1/banks")
@RolesAllowed("user")
@Produces(MediaType.APPLICATION_JSON)
@RequestDeadline
public class BankResource {

    private final AccountLinkClient accountLink;
    private final SecurityIdentity identity;

    public BankResource(AccountLinkClient accountLink, SecurityIdentity identity) {
        this.accountLink = accountLink;
        this.identity = identity;
    }

    @GET
    public Uni<BankList> list(@QueryParam("cursor") String cursor, @QueryParam("limit") String limit) {
        ListBanksRequest req = ListBanksRequest.newBuilder().setPageToken(RestParams.peerCursor(cursor))
                .setPageSize(RestParams.limit(limit, 50)).build();
        return accountLink.listBanks(Caller.forwardedToken(identity), req).map(AccountViews::banks);
    }
}
