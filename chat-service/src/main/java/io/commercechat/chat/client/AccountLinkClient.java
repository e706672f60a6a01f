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
import io.quarkus.grpc.GrpcClient;
import io.smallrye.mutiny.Uni;
import jakarta.enterprise.context.ApplicationScoped;

/**
 * account-link-service's AccountService, always for one person: every call carries that person's
 * own token (so account-link-service authorizes by its {@code sub}) and a deadline.
 */
@ApplicationScoped
public class AccountLinkClient {

    private static final String PEER = "Your bank link service";

    private final PeerCalls<MutinyAccountServiceStub> calls;

    public AccountLinkClient(@GrpcClient("account-link") MutinyAccountServiceStub stub, ChatConfig config) {
        this.calls = new PeerCalls<>(stub, PEER, config.accountLinkDeadline());
    }

    public Uni<ListBanksResponse> listBanks(String personToken, ListBanksRequest req) {
        return calls.read(personToken, "ListBanks", "the bank", s -> s.listBanks(req));
    }

    public Uni<BeginLinkResponse> beginLink(String personToken, BeginLinkRequest req) {
        // only starts a pending link, which a repeat starts anew: read-like for what a failure tells the person
        return calls.read(personToken, "BeginLink", "the bank", s -> s.beginLink(req));
    }

    public Uni<Link> completeLink(String personToken, CompleteLinkRequest req) {
        return calls.change(personToken, "CompleteLink", "the link", s -> s.completeLink(req)).map(r -> r.getLink());
    }

    public Uni<ListLinksResponse> listLinks(String personToken, ListLinksRequest req) {
        return calls.read(personToken, "ListLinks", "the link", s -> s.listLinks(req));
    }

    public Uni<Link> getLink(String personToken, String linkId) {
        return calls.read(personToken, "GetLink", "the link", s -> s.getLink(GetLinkRequest.newBuilder().setLinkId(linkId).build()))
                .map(r -> r.getLink());
    }

    public Uni<Link> unlink(String personToken, String linkId) {
        return calls.change(personToken, "Unlink", "the link", s -> s.unlink(UnlinkRequest.newBuilder().setLinkId(linkId).build()))
                .map(r -> r.getLink());
    }

    public Uni<ListAccountsResponse> listAccounts(String personToken, ListAccountsRequest req) {
        return calls.read(personToken, "ListAccounts", "the link", s -> s.listAccounts(req));
    }

    public Uni<GetBalancesResponse> getBalances(String personToken, GetBalancesRequest req) {
        return calls.read(personToken, "GetBalances", "the account", s -> s.getBalances(req));
    }

    public Uni<ListTransactionsResponse> listTransactions(String personToken, ListTransactionsRequest req) {
        return calls.read(personToken, "ListTransactions", "the account", s -> s.listTransactions(req));
    }
}
