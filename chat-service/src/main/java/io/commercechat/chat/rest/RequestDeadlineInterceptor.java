package io.commercechat.chat.rest;

import io.commercechat.chat.config.ChatConfig;
import io.commercechat.chat.error.ChatFailure;
import io.commercechat.support.Deadlines;
import io.smallrye.mutiny.Uni;
import jakarta.annotation.Priority;
import jakarta.inject.Inject;
import jakarta.interceptor.AroundInvoke;
import jakarta.interceptor.Interceptor;
import jakarta.interceptor.InvocationContext;
import java.time.Duration;

/**
 * Puts chat.request-deadline on each answer (a Uni) of a {@link RequestDeadline} resource; streams and methods with
 * an {@link OwnDeadline} are left alone.
 */
@RequestDeadline
@Interceptor
@Priority(Interceptor.Priority.PLATFORM_BEFORE)
public class RequestDeadlineInterceptor {

    @Inject
    ChatConfig config;

    @AroundInvoke
    Object within(InvocationContext call) throws Exception {
        Object answer = call.proceed();
        return answer instanceof Uni<?> uni && !call.getMethod().isAnnotationPresent(OwnDeadline.class)
                ? within(uni, config.requestDeadline()) : answer;
    }

    /**
     * {@code answer}, or the unavailable failure once {@code deadline} has passed without it (also the partner edge's).
     * The work is not cancelled (see {@link Deadlines}): it ends on its own, and its session with it.
     */
    public static <T> Uni<T> within(Uni<T> answer, Duration deadline) {
        return Deadlines.answerWithin(answer, deadline, () -> ChatFailure.unavailable("temporarily-unavailable",
                "chat-service could not complete this in time; try again in a moment"));
    }
}
