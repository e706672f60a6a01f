package io.commercechat.chat.account.rest;

import io.commercechat.chat.account.AccountViews;
import io.commercechat.chat.account.AccountViews.LinkCompleted;
import io.commercechat.chat.account.AccountViews.LinkList;
import io.commercechat.chat.account.AccountViews.LinkStarted;
import io.commercechat.chat.account.AccountViews.LinkView;
import io.commercechat.chat.client.AccountLinkClient;
import io.commercechat.chat.error.ChatFailure;
import io.commercechat.chat.rest.ProtoEnums;
import io.commercechat.chat.rest.RequestDeadline;
import io.commercechat.chat.rest.RestParams;
import io.commercechat.chat.security.Caller;
import io.commercechat.proto.accounts.v1.BeginLinkRequest;
import io.commercechat.proto.accounts.v1.CompleteLinkRequest;
import io.commercechat.proto.accounts.v1.ListLinksRequest;
import io.commercechat.proto.consent.v1.Permission;
import io.commercechat.proto.consent.v1.Purpose;
import io.quarkus.security.identity.SecurityIdentity;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.RolesAllowed;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.MediaType;
import java.util.List;
import org.eclipse.microprofile.openapi.annotations.media.Content;
import org.eclipse.microprofile.openapi.annotations.media.Schema;
import org.eclipse.microprofile.openapi.annotations.responses.APIResponse;
import org.jboss.resteasy.reactive.RestResponse;
import org.jboss.resteasy.reactive.RestResponse.Status;

/**
 * Linking a bank account (the authorisation-code flow of DESIGN.md section 6): begin, the person
 * approves at the bank, the web client completes with the bank's {@code state} + {@code code}.
 */
@Path("/v1/links")
@RolesAllowed("user")
@Produces(MediaType.APPLICATION_JSON)
@Consumes(MediaType.APPLICATION_JSON)
@RequestDeadline
public class LinkResource {

    /** What may be read (ACCOUNTS_BASIC, ACCOUNTS_DETAIL, BALANCES, TRANSACTIONS), why, for how long, and where the bank sends the browser back. */
    public record BeginLink(@NotBlank @Size(max = 64) String bankId, @NotEmpty @Size(max = 4) List<@NotNull String> permissions,
            @NotEmpty @Size(max = 3) List<@NotNull String> purposes, @NotNull @Min(1) @Max(180) Integer validDays,
            @NotBlank @Size(max = 2000) String redirectUri) {}

    /** The bank's answer from the redirect: {@code state} and {@code code}, or {@code state} and {@code error}. */
    public record CompleteLink(@NotBlank @Size(max = 512) String state, @Size(max = 2048) String code,
            @Size(max = 200) String error) {}

    private final AccountLinkClient accountLink;
    private final SecurityIdentity identity;

    public LinkResource(AccountLinkClient accountLink, SecurityIdentity identity) {
        this.accountLink = accountLink;
        this.identity = identity;
    }

    /** 201: the link is PENDING; send the browser to {@code authorisationUrl}. */
    @POST
    @APIResponse(responseCode = "201", description = "The link is PENDING until the bank's authorisation completes",
            content = @Content(schema = @Schema(implementation = LinkStarted.class)))
    public Uni<RestResponse<LinkStarted>> begin(@NotNull @Valid BeginLink body) {
        BeginLinkRequest.Builder req = BeginLinkRequest.newBuilder().setBankId(body.bankId()).setValidDays(body.validDays())
                .setRedirectUri(body.redirectUri());
        body.permissions().forEach(p -> req.addPermissions(ProtoEnums.parse(Permission.class, "PERMISSION_", p, "permissions")));
        body.purposes().forEach(p -> req.addPurposes(ProtoEnums.parse(Purpose.class, "PURPOSE_", p, "purposes")));
        return accountLink.beginLink(token(), req.build())
                .map(r -> RestResponse.status(Status.CREATED, AccountViews.started(r)));
    }

    @POST
    @Path("/complete")
    public Uni<LinkCompleted> complete(@NotNull @Valid CompleteLink body) {
        boolean hasCode = body.code() != null && !body.code().isEmpty();
        boolean hasError = body.error() != null && !body.error().isEmpty();
        if (hasCode == hasError) {
            throw ChatFailure.invalid("send the bank's code, or its error when the bank did not authorise");
        }
        CompleteLinkRequest req = CompleteLinkRequest.newBuilder().setState(body.state())
                .setCode(hasCode ? body.code() : "").setError(hasError ? body.error() : "").build();
        return accountLink.completeLink(token(), req).map(l -> new LinkCompleted(AccountViews.link(l)));
    }

    /** Newest first. */
    @GET
    public Uni<LinkList> list(@QueryParam("cursor") String cursor, @QueryParam("limit") String limit) {
        ListLinksRequest req = ListLinksRequest.newBuilder().setPageToken(RestParams.peerCursor(cursor))
                .setPageSize(RestParams.limit(limit, 20)).build();
        return accountLink.listLinks(token(), req).map(AccountViews::links);
    }

    @GET
    @Path("/{id}")
    public Uni<LinkView> get(@PathParam("id") String id) {
        return accountLink.getLink(token(), RestParams.uuid(id, "link id").toString()).map(AccountViews::link);
    }

    /** Ends the link: the consent is revoked, the bank told, the bank token deleted. */
    @DELETE
    @Path("/{id}")
    public Uni<LinkView> unlink(@PathParam("id") String id) {
        return accountLink.unlink(token(), RestParams.uuid(id, "link id").toString()).map(AccountViews::link);
    }

    private String token() {
        return Caller.forwardedToken(identity);
    }
}
