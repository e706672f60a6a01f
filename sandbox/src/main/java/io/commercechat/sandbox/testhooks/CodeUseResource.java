package io.commercechat.sandbox.testhooks;

import io.commercechat.sandbox.bank.authorisation.AuthorisationDesk;
import io.commercechat.sandbox.bank.link.BankLink;
import io.commercechat.sandbox.rest.ProblemException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;
import java.time.Clock;

/**
 * Test hook: what became of an authorisation code at the bank, e.g. {@code POST /sandbox/codes/use {"code":"sbc_..."}}
 * after an exchange whose answer was lost: whether it was spent, the bank link its exchange granted (null when none) and
 * whether that link's token still works. The code travels in the body, never in a URL.
 */
@Path("/sandbox/codes/use")
@Produces(MediaType.APPLICATION_JSON)
public class CodeUseResource {

    private final AuthorisationDesk desk;
    private final TestHooks hooks;
    private final Clock clock;

    public CodeUseResource(AuthorisationDesk desk, TestHooks hooks, Clock clock) {
        this.desk = desk;
        this.hooks = hooks;
        this.clock = clock;
    }

    public record CodeRequest(String code) {}

    /** {@code live}: the granted link's token is still honoured (false when nothing was granted). */
    public record CodeUse(boolean spent, String bankLinkId, boolean live) {}

    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    public CodeUse use(CodeRequest request) {
        hooks.requireEnabled();
        if (request == null || request.code() == null || request.code().isBlank()) {
            throw ProblemException.badRequest("code is required");
        }
        AuthorisationDesk.CodeUse use = desk.use(request.code())
                .orElseThrow(() -> ProblemException.notFound("the bank does not know this code"));
        return new CodeUse(use.spent(), use.granted().map(BankLink::id).orElse(null),
                use.granted().map(l -> l.isUsableAt(clock.instant())).orElse(false));
    }
}
