package io.commercechat.chat.account.rest;

import io.commercechat.chat.account.AccountViews;
import io.commercechat.chat.account.AccountViews.AccountList;
import io.commercechat.chat.account.AccountViews.Balances;
import io.commercechat.chat.account.AccountViews.TransactionPage;
import io.commercechat.chat.client.AccountLinkClient;
import io.commercechat.chat.error.ChatFailure;
import io.commercechat.chat.rest.ProtoEnums;
import io.commercechat.chat.rest.RequestDeadline;
import io.commercechat.chat.rest.RestParams;
import io.commercechat.chat.security.Caller;
import io.commercechat.proto.accounts.v1.GetBalancesRequest;
import io.commercechat.proto.accounts.v1.ListAccountsRequest;
import io.commercechat.proto.accounts.v1.ListTransactionsRequest;
import io.commercechat.proto.consent.v1.Purpose;
import io.commercechat.support.ProtoTime;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.time.Instant;

/**
 * The person's linked accounts, balances and transactions, read live from the bank through
 * account-link-service (which checks consent on every read; a denial is 403 with the reason).
 * {@code purpose} defaults to ACCOUNT_OVERVIEW: the person looking at their own data.
 */
@Path("/v1/accounts")
@RolesAllowed("user")
@Produces(MediaType.APPLICATION_JSON)
@RequestDeadline
public class AccountResource {

    private final AccountLinkClient accountLink;
    private final SecurityIdentity identity;

    public AccountResource(AccountLinkClient accountLink, SecurityIdentity identity) {
        this.accountLink = accountLink;
        this.identity = identity;
    }

    @GET
    public Uni<AccountList> list(@QueryParam("linkId") String linkId, @QueryParam("purpose") String purpose,
            @QueryParam("cursor") String cursor, @QueryParam("limit") String limit) {
        ListAccountsRequest.Builder req = ListAccountsRequest.newBuilder().setPurpose(purpose(purpose))
                .setPageToken(RestParams.peerCursor(cursor)).setPageSize(RestParams.limit(limit, 20));
        if (linkId != null && !linkId.isEmpty()) {
            req.setLinkId(RestParams.uuid(linkId, "linkId").toString());
        }
        return accountLink.listAccounts(token(), req.build()).map(AccountViews::accounts);
    }

    @GET
    @Path("/{id}/balances")
    public Uni<Balances> balances(@PathParam("id") String id, @QueryParam("purpose") String purpose) {
        GetBalancesRequest req = GetBalancesRequest.newBuilder().setAccountId(RestParams.uuid(id, "account id").toString())
                .setPurpose(purpose(purpose)).build();
        return accountLink.getBalances(token(), req).map(AccountViews::balances);
    }

    /**
     * Newest first. {@code from}/{@code to}: a day (2025-03-01) or an instant; default the last
     * 90 days, clipped to what the consent allows.
     */
    @GET
    @Path("/{id}/transactions")
    public Uni<TransactionPage> transactions(@PathParam("id") String id, @QueryParam("from") String from,
            @QueryParam("to") String to, @QueryParam("purpose") String purpose, @QueryParam("cursor") String cursor,
            @QueryParam("limit") String limit) {
        ListTransactionsRequest.Builder req = ListTransactionsRequest.newBuilder()
                .setAccountId(RestParams.uuid(id, "account id").toString()).setPurpose(purpose(purpose))
                .setPageToken(RestParams.peerCursor(cursor)).setPageSize(RestParams.limit(limit, 20));
        Instant f = RestParams.instant(from, "from", false);
        Instant t = RestParams.instant(to, "to", true);
        if (f != null && t != null && f.isAfter(t)) {
            throw ChatFailure.invalid("from must not be after to");
        }
        if (f != null) {
            req.setFrom(ProtoTime.of(f));
        }
        if (t != null) {
            req.setTo(ProtoTime.of(t));
        }
        return accountLink.listTransactions(token(), req.build()).map(AccountViews::transactions);
    }

    private static Purpose purpose(String value) {
        return value == null || value.isEmpty() ? Purpose.PURPOSE_ACCOUNT_OVERVIEW
                : ProtoEnums.parse(Purpose.class, "PURPOSE_", value, "purpose");
    }

    private String token() {
        return Caller.forwardedToken(identity);
    }
}
