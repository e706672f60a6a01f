package io.commercechat.chat.rest;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A method of a {@link RequestDeadline} resource whose answer has a deadline of its own (a send: its batch's,
 * chat.send-timeout): it gets no second one, which would be a timer for every send.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
public @interface OwnDeadline {}
