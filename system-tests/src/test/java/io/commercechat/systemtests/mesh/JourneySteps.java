package io.commercechat.systemtests.mesh;

import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The test methods of a journey class are steps that build on each other: once one fails, the later ones are
 * reported as skipped (naming the failed step) instead of failing again for the same cause.
 */
public final class JourneySteps implements TestWatcher, ExecutionCondition {

    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(JourneySteps.class);

    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
        if (context.getTestMethod().isEmpty()) {
            return ConditionEvaluationResult.enabled("a journey class");
        }
        String failed = context.getParent().orElseThrow().getStore(NS).get("failed", String.class);
        return failed == null ? ConditionEvaluationResult.enabled("no step failed")
                : ConditionEvaluationResult.disabled("skipped: the earlier step " + failed + " failed");
    }

    @Override
    public void testFailed(ExtensionContext context, Throwable cause) {
        context.getParent().orElseThrow().getStore(NS).put("failed", context.getRequiredTestMethod().getName());
    }
}
