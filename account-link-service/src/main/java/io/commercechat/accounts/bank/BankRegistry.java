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
        Map<String, String> scopes = new TreeMap<>();
        config.banks().forEach((id, endpoint) -> scopes.put(id, endpoint.tokenScope()));
        checkTokenScopes(scopes, config.meshTokenScope().orElse(""));
        config.banks().forEach((id, endpoint) -> {
            displayNames.put(id, endpoint.displayName());
            clients.put(id, new BankClient(id, endpoint, channels.open(endpoint), tokens, config));
        });
    }

    /**
     * Refuses to start with a bank token scope that another bank shares (one bank could replay the token it was given at
     * the other) or that is the mesh token's (the bank would be handed the mesh's credential).
     */
    static void checkTokenScopes(Map<String, String> scopeByBank, String meshScope) {
        Map<String, String> bankByScope = new TreeMap<>();
        new TreeMap<>(scopeByBank).forEach((bank, scope) -> {  // by bank id: the same message every time
            if (scope.isBlank() || scope.equals(meshScope)) {
                throw new IllegalStateException("accounts.banks." + bank + ".token-scope must be a scope of its own for the"
                        + " bank's audience, not " + (scope.isBlank() ? "empty" : "the mesh token's scope '" + scope + "'"));
            }
            String other = bankByScope.putIfAbsent(scope, bank);
            if (other != null) {
                throw new IllegalStateException("banks " + other + " and " + bank + " have the same token-scope '" + scope
                        + "': each bank needs a scope of its own, or one could use the token given to the other");
            }
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
