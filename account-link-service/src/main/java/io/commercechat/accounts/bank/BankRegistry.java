package io.commercechat.accounts.bank;

import io.commercechat.accounts.client.BankClient;
import io.commercechat.accounts.client.GrpcChannels;
import io.commercechat.accounts.client.ServiceTokens;
import io.commercechat.accounts.config.AccountsConfig;
import io.commercechat.proto.accounts.v1.Bank;
import io.commercechat.support.Rejections;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The partner banks of this deployment, from {@code accounts.banks.<id>}: one channel, one client
 * and one circuit breaker per bank, built at start. A bank that is not configured does not exist.
 */
@ApplicationScoped
public class BankRegistry {

    private final Map<String, BankClient> clients = new TreeMap<>();
    private final Map<String, String> displayNames = new TreeMap<>();

    public BankRegistry(AccountsConfig config, GrpcChannels channels, ServiceTokens tokens) {
        config.banks().forEach((id, endpoint) -> {
            displayNames.put(id, endpoint.displayName());
            clients.put(id, new BankClient(id, endpoint, channels.open(endpoint), tokens, config));
        });
    }

    /** The bank's client, or NOT_FOUND. */
    public BankClient bank(String bankId) {
        BankClient client = clients.get(bankId);
        if (client == null) {
            throw Rejections.notFound("no partner bank \"" + bankId + "\"");
        }
        return client;
    }

    /** The display name of a configured bank, or the id when it left the registry. */
    public String displayName(String bankId) {
        return displayNames.getOrDefault(bankId, bankId);
    }

    /** Banks ordered by id. */
    public List<Bank> banks() {
        return displayNames.entrySet().stream()
                .map(e -> Bank.newBuilder().setId(e.getKey()).setDisplayName(e.getValue()).build()).toList();
    }
}
