package io.commercechat.chat.rest;

import jakarta.interceptor.InterceptorBinding;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * A resource whose answers come within chat.request-deadline (see {@link RequestDeadlineInterceptor}): a database
 * that stops answering gets the caller a "try again" instead of a request that never ends.
 */
@InterceptorBinding
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
public @interface RequestDeadline {}
