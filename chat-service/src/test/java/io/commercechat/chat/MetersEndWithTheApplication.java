package io.commercechat.chat;

import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.runtime.ShutdownEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;

/**
 * Removes every meter when a test application stops, so that the next one in this JVM starts with none, as a
 * restarted dev-mode application does. Quarkus registers meters in Micrometer's global registry, which outlives an
 * application when a test class with test resources of its own (HangingListenerTest) starts another one, and removes
 * them at a stop only in dev mode. Registering a meter again returns the one already there, still bound to the stopped
 * application's object: PartnerMessagingTest then read a frozen chat_inbox_stream_events_total (a delta of 0), or
 * none once that object was collected, whenever its application was not the run's first.
 */
@ApplicationScoped
class MetersEndWithTheApplication {

    void stop(@Observes ShutdownEvent ignored, MeterRegistry metrics) {
        metrics.clear();
    }
}
