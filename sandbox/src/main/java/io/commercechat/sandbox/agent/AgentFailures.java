package io.commercechat.sandbox.agent;

import io.commercechat.sandbox.client.OutgoingFailures;
import io.commercechat.sandbox.rest.ProblemException;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.Locale;

/**
 * chat-service failures as problems the console can act on. FAILED_PRECONDITION from SendMessage
 * is a 409 whose {@code type} says why: {@code ...:outside-reply-window} (the console offers the
 * ACCOUNT_UPDATE tag) or {@code ...:business-blocked}. Everything else as {@link OutgoingFailures}
 * (unreachable → 503 "chat-service is unreachable ...").
 */
final class AgentFailures {

    static final String SERVICE = "chat-service";

    private AgentFailures() {}

    static ProblemException toProblem(Throwable failure) {
        if (failure instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.FAILED_PRECONDITION) {
            String description = s.getStatus().getDescription() == null ? "" : s.getStatus().getDescription();
            if (description.toLowerCase(Locale.ROOT).contains("block")) {
                return new ProblemException(409, "business-blocked", "The person blocked this business",
                        "chat-service refused the message: " + description);
            }
            return new ProblemException(409, "outside-reply-window", "Outside the 24 hour reply window",
                    "chat-service refused the message: " + (description.isEmpty()
                            ? "more than 24 hours have passed since the person's last message; send it as an account update"
                            : description));
        }
        if (failure instanceof StatusRuntimeException s && s.getStatus().getCode() == Status.Code.INVALID_ARGUMENT) {
            return new ProblemException(422, "rejected", "Rejected by chat-service",
                    "chat-service rejected the request: " + s.getStatus().getDescription());
        }
        return OutgoingFailures.toProblem(failure, SERVICE, AgentInbox.BUSINESS);
    }
}
