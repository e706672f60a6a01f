package io.commercechat.accounts.link.grpc;

import io.commercechat.accounts.bank.BankRegistry;
import io.commercechat.accounts.grpc.GrpcErrors;
import io.commercechat.accounts.link.service.BankDataReader;
import io.commercechat.accounts.link.service.LinkFlow;
import io.commercechat.accounts.security.Caller;
import io.commercechat.proto.accounts.v1.AccountService;
import io.commercechat.proto.accounts.v1.Bank;
import io.commercechat.proto.accounts.v1.BeginLinkRequest;
import io.commercechat.proto.accounts.v1.BeginLinkResponse;
import io.commercechat.proto.accounts.v1.CompleteLinkRequest;
import io.commercechat.proto.accounts.v1.CompleteLinkResponse;
import io.commercechat.proto.accounts.v1.GetBalancesRequest;
import io.commercechat.proto.accounts.v1.GetBalancesResponse;
import io.commercechat.proto.accounts.v1.GetLinkRequest;
import io.commercechat.proto.accounts.v1.GetLinkResponse;
import io.commercechat.proto.accounts.v1.ListAccountsRequest;
import io.commercechat.proto.accounts.v1.ListAccountsResponse;
import io.commercechat.proto.accounts.v1.ListBanksRequest;
import io.commercechat.proto.accounts.v1.ListBanksResponse;
import io.commercechat.proto.accounts.v1.ListLinksRequest;
import io.commercechat.proto.accounts.v1.ListLinksResponse;
import io.commercechat.proto.accounts.v1.ListTransactionsRequest;
import io.commercechat.proto.accounts.v1.ListTransactionsResponse;
import io.commercechat.proto.accounts.v1.UnlinkRequest;
import io.commercechat.proto.accounts.v1.UnlinkResponse;
import io.commercechat.support.GrpcValidation;
import io.commercechat.support.PageTokens;
import io.quarkus.grpc.GrpcService;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import java.util.List;
import java.util.function.Function;

/**
 * The gRPC edge for chat-service. Everything is non-blocking and stays on the call's Vert.x
 * context: Hibernate Reactive, Mutiny stubs to consent-service and the banks, the identity provider.
 */
@GrpcService
// Authentication is enforced by Caller.of, the first step of every RPC (UNAUTHENTICATED without a
// valid token): with @Authenticated here Quarkus answered an anonymous call PERMISSION_DENIED.
public class AccountGrpcService implements AccountService {

    private final LinkFlow flow;
    private final BankDataReader reader;
    private final BankRegistry banks;
    private final SecurityIdentity identity;

    public AccountGrpcService(LinkFlow flow, BankDataReader reader, BankRegistry banks, SecurityIdentity identity) {
        this.flow = flow;
        this.reader = reader;
        this.banks = banks;
        this.identity = identity;
    }

    @Override
    public Uni<ListBanksResponse> listBanks(ListBanksRequest req) {
        return call(c -> Uni.createFrom().item(() -> {
            c.requireMesh("ListBanks");
            int size = GrpcValidation.pageSize(req.getPageSize());
            long from = Math.max(0, PageTokens.decode(req.getPageToken(), 0));
            List<Bank> all = banks.banks();
            int start = (int) Math.min(from, all.size());  // clamped before the cast: a forged token may exceed an int
            int end = Math.min(start + size, all.size());
            var b = ListBanksResponse.newBuilder().addAllBanks(all.subList(start, end));
            if (end < all.size()) {
                b.setNextPageToken(PageTokens.encode(end));
            }
            return b.build();
        }));
    }

    @Override
    public Uni<BeginLinkResponse> beginLink(BeginLinkRequest req) {
        return call(c -> flow.begin(c.requirePerson("BeginLink"), req));
    }

    @Override
    public Uni<CompleteLinkResponse> completeLink(CompleteLinkRequest req) {
        return call(c -> flow.complete(c.requirePerson("CompleteLink"), req).map(l -> CompleteLinkResponse.newBuilder().setLink(l).build()));
    }

    @Override
    public Uni<ListLinksResponse> listLinks(ListLinksRequest req) {
        return call(c -> flow.list(c.requirePerson("ListLinks"), req.getPageSize(), req.getPageToken()));
    }

    @Override
    public Uni<GetLinkResponse> getLink(GetLinkRequest req) {
        return call(c -> flow.get(c.requirePerson("GetLink"), req.getLinkId()).map(l -> GetLinkResponse.newBuilder().setLink(l).build()));
    }

    @Override
    public Uni<UnlinkResponse> unlink(UnlinkRequest req) {
        return call(c -> flow.unlink(c.requirePerson("Unlink"), req.getLinkId()).map(l -> UnlinkResponse.newBuilder().setLink(l).build()));
    }

    @Override
    public Uni<ListAccountsResponse> listAccounts(ListAccountsRequest req) {
        return call(c -> reader.listAccounts(c.requirePerson("ListAccounts"), req));
    }

    @Override
    public Uni<GetBalancesResponse> getBalances(GetBalancesRequest req) {
        return call(c -> reader.getBalances(c.requirePerson("GetBalances"), req));
    }

    @Override
    public Uni<ListTransactionsResponse> listTransactions(ListTransactionsRequest req) {
        return call(c -> reader.listTransactions(c.requirePerson("ListTransactions"), req));
    }

    /** Resolves the caller first (UNAUTHENTICATED without a valid token); input errors thrown while building the Uni become failures. */
    private <R> Uni<R> call(Function<Caller, Uni<R>> action) {
        return Uni.createFrom().deferred(() -> action.apply(Caller.of(identity))).onFailure().transform(GrpcErrors::toStatus);
    }
}
