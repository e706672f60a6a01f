package io.commercechat.sandbox.testhooks;

import io.commercechat.sandbox.faults.ExchangeAnswerDefects;
import io.commercechat.sandbox.rest.ProblemException;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.DELETE;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.PUT;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.core.MediaType;

/**
 * Test hook: ExchangeCode answers that break the partner contract, e.g. {@code PUT /sandbox/exchange-answers
 * {"omitAccountIds":true,"calls":1}}: the next answer names none of the accounts the person selected (the token and
 * link are issued as usual). {@code "calls"} left out: until changed; {@code DELETE}: whole answers again.
 */
@Path("/sandbox/exchange-answers")
@Produces(MediaType.APPLICATION_JSON)
public class ExchangeAnswersResource {

    private final ExchangeAnswerDefects defects;
    private final TestHooks hooks;

    public ExchangeAnswersResource(ExchangeAnswerDefects defects, TestHooks hooks) {
        this.defects = defects;
        this.hooks = hooks;
    }

    /** {@code calls}: null for "until changed"; in answers, how many answers the setting still holds for. */
    public record ExchangeAnswerSetting(Boolean omitAccountIds, Integer calls) {}

    @GET
    public ExchangeAnswerSetting get() {
        hooks.requireEnabled();
        return current();
    }

    @PUT
    @Consumes(MediaType.APPLICATION_JSON)
    public ExchangeAnswerSetting set(ExchangeAnswerSetting setting) {
        hooks.requireEnabled();
        if (setting == null || setting.omitAccountIds() == null) {
            throw ProblemException.badRequest("omitAccountIds (true or false) is required");
        }
        if (setting.calls() != null && setting.calls() < 1) {
            throw ProblemException.badRequest("calls must be at least 1 (or left out: until changed)");
        }
        defects.omitAccountIds(setting.omitAccountIds(), setting.calls());
        return current();
    }

    @DELETE
    public ExchangeAnswerSetting reset() {
        hooks.requireEnabled();
        defects.reset();
        return current();
    }

    private ExchangeAnswerSetting current() {
        return new ExchangeAnswerSetting(defects.omitsAccountIds(), defects.callsLeft().orElse(null));
    }
}
