package io.commercechat.sandbox.testhooks;

import io.commercechat.sandbox.bank.link.BankLink;
import io.commercechat.sandbox.bank.link.BankLinks;
import io.commercechat.sandbox.bank.link.BankRevocations;
import io.commercechat.sandbox.bank.link.BankRevocations.Revocation;
import io.commercechat.sandbox.client.OutgoingFailures;
import io.commercechat.sandbox.client.PartnerTokens;
import io.commercechat.sandbox.rest.ProblemException;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.quarkus.runtime.annotations.RegisterForReflection;
import io.smallrye.mutiny.Uni;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * Test hook: the bank ends a link on its own side (as if the person revoked it in their banking
 * app): the token stops working at once, then account-link-service is told through
 * PartnerLinkEvents.NotifyAccessRevoked (BankRevocations, as for a replayed code). Calling it again
 * re-sends the notification (idempotent), and the answer waits for it: 503 when it could not be sent.
 */
@Path("/sandbox/links/{bankLinkId}/revoke")
@Produces(MediaType.APPLICATION_JSON)
public class LinkRevocationResource {

    static final String DEFAULT_REASON = "Access was ended at Sandbox Bank";

    private final BankLinks links;
    private final BankRevocations revocations;
    private final TestHooks hooks;
    private final ObjectMapper json;

    public LinkRevocationResource(BankLinks links, BankRevocations revocations, TestHooks hooks, ObjectMapper json) {
        this.json = json;
        this.links = links;
        this.revocations = revocations;
        this.hooks = hooks;
    }

    @RegisterForReflection // read with ObjectMapper outside a REST signature, so native needs it registered
    public record RevokeRequest(String reason) {}

    /** The body ({@code {"reason": "..."}}) is optional, so any content type (or none) is accepted. */
    @POST
    @Consumes(MediaType.WILDCARD)
    public Uni<Revocation> revoke(@PathParam("bankLinkId") String bankLinkId, String body) {
        hooks.requireEnabled();
        RevokeRequest request = parse(body);
        String reason = request.reason() == null || request.reason().isBlank() ? DEFAULT_REASON : request.reason();
        if (reason.length() > 200) {
            throw ProblemException.badRequest("reason must be at most 200 characters");
        }
        BankLink link = links.byId(bankLinkId).orElseThrow(() -> ProblemException.notFound("no bank link " + bankLinkId));
        return revocations.revokeAndTell(link, reason)
                .onFailure().transform(f -> OutgoingFailures.toProblem(f, "account-link-service", PartnerTokens.BANK));
    }

    private RevokeRequest parse(String body) {
        if (body == null || body.isBlank()) {
            return new RevokeRequest(null);
        }
        try {
            RevokeRequest request = json.readValue(body, RevokeRequest.class);
            return request == null ? new RevokeRequest(null) : request;  // the body "null"
        } catch (JsonProcessingException e) {
            throw ProblemException.badRequest("the body must be JSON like {\"reason\": \"...\"} (or empty)");
        }
    }
}
