package io.commercechat.chat.client;

import io.commercechat.chat.config.ChatConfig;
import io.commercechat.proto.accounts.v1.BeginLinkRequest;
import io.commercechat.proto.accounts.v1.BeginLinkResponse;
import io.commercechat.proto.accounts.v1.CompleteLinkRequest;
import io.commercechat.proto.accounts.v1.GetBalancesRequest;
import io.commercechat.proto.accounts.v1.GetBalancesResponse;
import io.commercechat.proto.accounts.v1.GetLinkRequest;
import io.commercechat.proto.accounts.v1.Link;
import io.commercechat.proto.accounts.v1.ListAccountsRequest;
import io.commercechat.proto.accounts.v1.ListAccountsResponse;
import io.commercechat.proto.accounts.v1.ListBanksRequest;
import io.commercechat.proto.accounts.v1.ListBanksResponse;
import io.commercechat.proto.accounts.v1.ListLinksRequest;
import io.commercechat.proto.accounts.v1.ListLinksResponse;
import io.commercechat.proto.accounts.v1.ListTransactionsRequest;
import io.commercechat.proto.accounts.v1.ListTransactionsResponse;
import io.commercechat.proto.accounts.v1.MutinyAccountServiceGrpc.MutinyAccountServiceStub;
import io.commercechat.proto.accounts.v1.UnlinkRequest;
import io.commercechat.support.BearerToken;
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * account-link-service's AccountService, always for one person: every call carries that person's
 * own token (so account-link-service authorizes by its {@code sub}) and a deadline.
 */
@ApplicationScoped
public class AccountLinkClient {

    private static final String PEER = "Your bank link service";

    private final MutinyAccountServiceStub stub;
    private final long deadlineMillis;

    public AccountLinkClient(@GrpcClient("account-link") MutinyAccountServiceStub stub, ChatConfig config) {
        this.stub = stub;
        this.deadlineMillis = config.accountLinkDeadline().toMillis();
    }

    public Uni<ListBanksResponse> listBanks(String personToken, ListBanksRequest req) {
        return call(personToken, "ListBanks", "the bank", s -> s.listBanks(req));
    }

    public Uni<BeginLinkResponse> beginLink(String personToken, BeginLinkRequest req) {
        // only starts a pending link, which a repeat starts anew: read-like for what a failure tells the person
        return call(personToken, "BeginLink", "the bank", s -> s.beginLink(req));
    }

    public Uni<Link> completeLink(String personToken, CompleteLinkRequest req) {
        return change(personToken, "CompleteLink", "the link", s -> s.completeLink(req)).map(r -> r.getLink());
    }

    public Uni<ListLinksResponse> listLinks(String personToken, ListLinksRequest req) {
        return call(personToken, "ListLinks", "the link", s -> s.listLinks(req));
    }

    public Uni<Link> getLink(String personToken, String linkId) {
        return call(personToken, "GetLink", "the link", s -> s.getLink(GetLinkRequest.newBuilder().setLinkId(linkId).build()))
                .map(r -> r.getLink());
    }

    public Uni<Link> unlink(String personToken, String linkId) {
        return change(personToken, "Unlink", "the link", s -> s.unlink(UnlinkRequest.newBuilder().setLinkId(linkId).build()))
                .map(r -> r.getLink());
    }

    public Uni<ListAccountsResponse> listAccounts(String personToken, ListAccountsRequest req) {
        return call(personToken, "ListAccounts", "the link", s -> s.listAccounts(req));
    }

    public Uni<GetBalancesResponse> getBalances(String personToken, GetBalancesRequest req) {
        return call(personToken, "GetBalances", "the account", s -> s.getBalances(req));
    }

    public Uni<ListTransactionsResponse> listTransactions(String personToken, ListTransactionsRequest req) {
        return call(personToken, "ListTransactions", "the account", s -> s.listTransactions(req));
    }

    private <T> Uni<T> call(String personToken, String rpc, String notFoundWhat, Function<MutinyAccountServiceStub, Uni<T>> call) {
        return call(personToken, rpc, notFoundWhat, false, call);
    }

    /** A call that changes something at the peer: a failure may come after it was carried out. */
    private <T> Uni<T> change(String personToken, String rpc, String notFoundWhat,
            Function<MutinyAccountServiceStub, Uni<T>> call) {
        return call(personToken, rpc, notFoundWhat, true, call);
    }

    private <T> Uni<T> call(String personToken, String rpc, String notFoundWhat, boolean changes,
            Function<MutinyAccountServiceStub, Uni<T>> call) {
        return Uni.createFrom().deferred(() -> call.apply(stub.withCallCredentials(new BearerToken(personToken))
                        .withDeadlineAfter(deadlineMillis, TimeUnit.MILLISECONDS)))
                .onFailure().transform(f -> PeerFailures.translate(f, PEER, rpc, notFoundWhat, changes));
    }
}
