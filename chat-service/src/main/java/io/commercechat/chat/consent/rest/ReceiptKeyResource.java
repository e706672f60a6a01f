package io.commercechat.chat.consent.rest;

import io.commercechat.chat.client.ConsentClient;
import io.commercechat.chat.rest.RequestDeadline;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.security.PermitAll;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/**
 * The public keys that verify consent receipts (a JWKS with public keys only). Public on purpose:
 * anyone holding a receipt can check it, without an account here.
 */
@Path("/v1/receipt-keys")
@PermitAll
@RequestDeadline
public class ReceiptKeyResource {

    private final ConsentClient consents;

    public ReceiptKeyResource(ConsentClient consents) {
        this.consents = consents;
    }

    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Uni<Response> keys() {
        return consents.receiptKeys().map(jwks -> Response.ok(jwks, MediaType.APPLICATION_JSON_TYPE)
                .header("Cache-Control", "public, max-age=300").build());
    }
}
