package io.commercechat.systemtests.client;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.commercechat.identity.KeycloakLauncher;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** The few Keycloak admin and CORS calls the browser test needs (the development realm's admin/admin). */
public final class KeycloakAdmin {

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final KeycloakLauncher.Handle keycloak;

    public KeycloakAdmin(KeycloakLauncher.Handle keycloak) {
        this.keycloak = keycloak;
    }

    /** True when the token endpoint answers a browser on {@code origin} with a matching Access-Control-Allow-Origin. */
    public boolean tokenEndpointAllows(String origin) {
        HttpResponse<String> probe = send(HttpRequest.newBuilder(URI.create(keycloak.tokenUrl())).header("Origin", origin)
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=authorization_code&client_id=web&code=probe")));
        return probe.headers().firstValue("Access-Control-Allow-Origin").filter(origin::equals).isPresent();
    }

    /** Adds {@code origin} to a client's web origins. */
    public void addWebOrigin(String clientId, String origin) {
        HttpResponse<String> login = send(HttpRequest.newBuilder(URI.create(keycloak.baseUrl() + "/realms/master/protocol/openid-connect/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("grant_type=password&client_id=admin-cli&username="
                        + KeycloakLauncher.ADMIN_USERNAME + "&password=" + KeycloakLauncher.ADMIN_PASSWORD)));
        String token = Rest.parse(login.body()).path("access_token").asText();
        Rest admin = new Rest(keycloak.baseUrl() + "/admin/realms/" + KeycloakLauncher.REALM, token);
        ObjectNode client = (ObjectNode) admin.get("/clients?clientId=" + clientId).json().get(0);
        client.withArray("webOrigins").add(origin);
        Rest.Response updated = admin.put("/clients/" + client.path("id").asText(), client);
        if (updated.status() != 204) {
            throw new IllegalStateException("Keycloak refused the web origin: " + updated);
        }
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(15)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
