package io.commercechat.chat.business.service;

import io.commercechat.chat.business.Business;
import io.commercechat.chat.business.repository.BusinessRepository;
import io.commercechat.chat.config.ChatConfig;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.jboss.logging.Logger;

/**
 * The businesses people can chat with are chat-service's configuration ({@code chat.businesses.<id>.*}): at each start
 * it is checked (a mistake stops the start, naming the key) and written to the businesses table, where a business no
 * longer configured stays for its conversations' history but is no longer listed or open to new conversations.
 * Onboarding a partner is a configuration change and a rollout (k8s/README.md, "Onboard a partner").
 */
@ApplicationScoped
public class BusinessDirectory {

    private static final Logger LOG = Logger.getLogger(BusinessDirectory.class);

    private final BusinessRepository businesses;
    private final Map<String, ChatConfig.ConfiguredBusiness> configured;

    public BusinessDirectory(BusinessRepository businesses, ChatConfig config) {
        this.businesses = businesses;
        this.configured = new TreeMap<>(config.businesses());
    }

    void start(@Observes StartupEvent ignored) {
        apply();
    }

    /** Writes the configuration to the table (at start; tests call it again after changing the table). */
    public void apply() {
        List<Business> entries = entries(configured);
        businesses.configure(entries).await().atMost(Duration.ofSeconds(30));
        if (entries.isEmpty()) {
            LOG.warn("no business is configured (chat.businesses.*): people can start no chat");
        } else {
            LOG.infof("businesses people can chat with: %s", String.join(", ", configured.keySet()));
        }
    }

    /** The configured businesses, checked; IllegalStateException naming every mistake. */
    static List<Business> entries(Map<String, ChatConfig.ConfiguredBusiness> configured) {
        List<String> problems = new ArrayList<>();
        List<Business> entries = new ArrayList<>();
        configured.forEach((id, c) -> {
            String key = "chat.businesses." + id;
            Business b = new Business();
            b.id = id;
            b.displayName = c.displayName().strip();
            b.partnerBankId = c.partnerBankId().map(String::strip).filter(s -> !s.isEmpty()).orElse(null);
            if (!Business.ID.matcher(id).matches()) {
                problems.add(key + ": the id must be 1-64 characters of a-z, 0-9 and '-', starting with a letter or digit");
            }
            if (b.displayName.isEmpty() || b.displayName.length() > Business.MAX_DISPLAY_NAME) {
                problems.add(key + ".display-name: 1-" + Business.MAX_DISPLAY_NAME + " characters");
            }
            try {
                b.kind = Business.Kind.valueOf(c.kind().strip().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                problems.add(key + ".kind: BANK or SHOP, not " + c.kind());
            }
            if (b.kind == Business.Kind.BANK && b.partnerBankId == null) {
                problems.add(key + ".partner-bank-id: a bank names its id at account-link-service (accounts.banks.<bank-id>)");
            }
            if (b.kind == Business.Kind.SHOP && b.partnerBankId != null) {
                problems.add(key + ".partner-bank-id: only a bank has one");
            }
            entries.add(b);
        });
        entries.stream().filter(b -> b.partnerBankId != null)
                .collect(Collectors.groupingBy(b -> b.partnerBankId, TreeMap::new, Collectors.counting()))
                .forEach((bank, count) -> {
                    if (count > 1) {
                        problems.add("partner bank " + bank + " is named by " + count + " businesses: one bank, one business");
                    }
                });
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the business configuration cannot be used:\n  " + String.join("\n  ", problems));
        }
        return entries;
    }
}
