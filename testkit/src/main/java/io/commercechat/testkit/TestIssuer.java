package io.commercechat.testkit;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.smallrye.jwt.algorithm.SignatureAlgorithm;
import io.smallrye.jwt.build.Jwt;
import io.smallrye.jwt.build.JwtClaimsBuilder;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;

/**
 * A real, minimal OAuth 2.0 token issuer for tests, served over HTTP on 127.0.0.1: a JWKS
 * ({@code /jwks}), OIDC discovery, and a client-credentials token endpoint ({@code /token}).
 * Services under test verify tokens against it exactly as they verify a production provider's,
 * and obtain their own service tokens from it with quarkus-oidc-client. Its JWKS publishes an RSA
 * key (RS256, the tokens of {@link #get()}) and an EC P-256 key (ES256, the same tokens from
 * {@link #es256()}), as a provider may sign with either. The key pairs are made when the test JVM
 * starts: no private key is ever stored in the repository.
 */
public final class TestIssuer {

    public static final String ISSUER = "https://issuer.test.commercechat.invalid/realms/commerce-chat";
    public static final String AUDIENCE = "commerce-chat";
    public static final String KEY_ID = "test-key-1";
    public static final String EC_KEY_ID = "test-ec-key-1";
    public static final Duration LIFETIME = Duration.ofMinutes(10);

    private static TestIssuer instance;

    private final SigningKey rsa;
    private final SigningKey ec;
    /** The key this view of the issuer signs its tokens with: {@link #rsa}, or {@link #ec} for {@link #es256()}. */
    private final SigningKey signing;
    private final HttpServer server;
    /** client_id -> (secret, claims to put into its tokens). */
    private final Map<String, Client> clients;
    /** scope -> the audience a token asked for with it carries (instead of the services'), and who may ask for it. */
    private final Map<String, AudienceScope> audienceScopes;

    private record AudienceScope(String audience, Set<String> clients) {}

    private record Client(String secret, String group, String businessId) {}

    /** A published key pair, and one of the same kind the issuer never published (for {@link #badSignature}). */
    private record SigningKey(String keyId, SignatureAlgorithm algorithm, KeyPair keys, KeyPair foreign) {

        static SigningKey generate(String keyId, SignatureAlgorithm algorithm) throws Exception {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm == SignatureAlgorithm.ES256 ? "EC" : "RSA");
            if (algorithm == SignatureAlgorithm.ES256) {
                generator.initialize(new ECGenParameterSpec("secp256r1"));
            } else {
                generator.initialize(2048);
            }
            return new SigningKey(keyId, algorithm, generator.generateKeyPair(), generator.generateKeyPair());
        }
    }

    private TestIssuer() throws Exception {
        rsa = SigningKey.generate(KEY_ID, SignatureAlgorithm.RS256);
        ec = SigningKey.generate(EC_KEY_ID, SignatureAlgorithm.ES256);
        signing = rsa;
        clients = new ConcurrentHashMap<>();
        audienceScopes = new ConcurrentHashMap<>();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "test-issuer");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/jwks", ex -> respond(ex, 200, jwks()));
        server.createContext("/.well-known/openid-configuration", ex -> respond(ex, 200, discovery()));
        server.createContext("/token", this::token);
        server.start();
    }

    /** The same issuer (its server, clients and scopes), its tokens signed with {@code signing}. */
    private TestIssuer(TestIssuer issuer, SigningKey signing) {
        this.rsa = issuer.rsa;
        this.ec = issuer.ec;
        this.signing = signing;
        this.server = issuer.server;
        this.clients = issuer.clients;
        this.audienceScopes = issuer.audienceScopes;
    }

    /** The issuer: its tokens are signed RS256 with its RSA key, as are those its token endpoint hands out. */
    public static synchronized TestIssuer get() {
        if (instance == null) {
            try {
                instance = new TestIssuer();
            } catch (Exception e) {
                throw new IllegalStateException("could not start the test issuer", e);
            }
        }
        return instance;
    }

    /**
     * The same issuer, every token of it signed ES256 with its EC P-256 key ({@link #EC_KEY_ID}) instead; the
     * deliberately broken ones too ({@link #badSignature}: an EC key it never published, under that key id).
     */
    public TestIssuer es256() {
        return signing == ec ? this : new TestIssuer(this, ec);
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public String jwksUrl() {
        return baseUrl() + "/jwks";
    }

    public String tokenUrl() {
        return baseUrl() + "/token";
    }

    /** Registers a confidential client that may use the client-credentials grant. */
    public TestIssuer registerServiceClient(String clientId, String secret) {
        clients.put(clientId, new Client(secret, "service", null));
        return this;
    }

    public TestIssuer registerPartnerClient(String clientId, String secret, String businessId) {
        clients.put(clientId, new Client(secret, "partner", businessId));
        return this;
    }

    /**
     * A scope {@code clients} may ask for: their token then carries {@code audience} only, not the services' audience,
     * and no {@code groups}, as the realm's bank scopes do (a token for a partner bank is no use at the services). A
     * request with {@link #AUDIENCE} as its scope, or none, gets the client's usual token; any other scope, or this one
     * asked for by another client, is refused ({@code invalid_scope}), as Keycloak refuses a scope it did not give the
     * client.
     */
    public TestIssuer registerAudienceScope(String scope, String audience, String... clients) {
        audienceScopes.put(scope, new AudienceScope(audience, Set.of(clients)));
        return this;
    }

    /**
     * The configuration a service needs to verify tokens from this issuer (and, for services that
     * call others, to obtain tokens from it with quarkus-oidc-client).
     */
    public Map<String, String> verificationConfig() {
        Map<String, String> config = new HashMap<>();
        config.put("mp.jwt.verify.publickey.location", jwksUrl());
        config.put("mp.jwt.verify.issuer", ISSUER);
        config.put("mp.jwt.verify.audiences", AUDIENCE);
        return config;
    }

    // ---- valid tokens ----

    /**
     * The claims of a token this issuer signed for the services (its key, its issuer, the services' audience, not
     * expired), as a service verifying it would accept them; anything else fails with the reason.
     */
    public org.jose4j.jwt.JwtClaims verified(String token) {
        return verifiedFor(token, AUDIENCE);
    }

    public String person(String sub) {
        return sign(base(sub).groups(Set.of("user")).claim("azp", "web"));
    }

    /** A person's token that lasts {@code lifetime} from now: for a client that runs longer than {@link #LIFETIME} and never refreshes. */
    public String person(String sub, Duration lifetime) {
        return sign(base(sub).groups(Set.of("user")).claim("azp", "web").expiresAt(Instant.now().plus(lifetime)));
    }

    /** A person's token with one more claim, e.g. a {@code given_name} of any JSON type. */
    public String personWith(String sub, String claim, Object value) {
        return sign(base(sub).groups(Set.of("user")).claim("azp", "web").claim(claim, value));
    }

    public String partner(String businessId) {
        return sign(base("partner-" + businessId).groups(Set.of("partner")).claim("business_id", businessId));
    }

    public String service(String name) {
        return sign(base(name).groups(Set.of("service")).claim("azp", name));
    }

    /** A token a client got for another audience (a partner bank's): that audience only, no groups. */
    public String forAudience(String client, String audience) {
        return sign(Jwt.issuer(ISSUER).audience(audience).subject(client).claim("azp", client).issuedAt(Instant.now())
                .expiresAt(Instant.now().plus(LIFETIME)));
    }

    /**
     * The claims of a token this issuer signed (with either published key) for {@code audience}; anything else fails
     * with the reason.
     */
    public org.jose4j.jwt.JwtClaims verifiedFor(String token, String audience) {
        try {
            var published = new org.jose4j.jwk.JsonWebKeySet(jwks()).getJsonWebKeys();
            return new org.jose4j.jwt.consumer.JwtConsumerBuilder()
                    .setVerificationKeyResolver(new org.jose4j.keys.resolvers.JwksVerificationKeyResolver(published))
                    .setExpectedIssuer(ISSUER).setExpectedAudience(audience).setRequireExpirationTime()
                    .setJwsAlgorithmConstraints(org.jose4j.jwa.AlgorithmConstraints.ConstraintType.PERMIT, "RS256", "ES256")
                    .build().processToClaims(token);
        } catch (org.jose4j.lang.JoseException e) {
            throw new IllegalStateException("the issuer's own JWKS does not parse", e);
        } catch (org.jose4j.jwt.consumer.InvalidJwtException e) {
            throw new AssertionError("not a token of this issuer for " + audience + ": " + e.getMessage(), e);
        }
    }

    /** A service token whose {@code azp} differs from its {@code sub} (none when null): which claim names the client. */
    public String serviceIssuedTo(String sub, String azp) {
        JwtClaimsBuilder claims = base(sub).groups(Set.of("service"));
        return sign(azp == null ? claims : claims.claim("azp", azp));
    }

    /** A person's token that expires at {@code expiresAt} (in the past it is still accepted within the clock skew). */
    public String personUntil(String sub, Instant expiresAt) {
        return sign(base(sub).groups(Set.of("user")).claim("azp", "web").issuedAt(expiresAt.minus(LIFETIME)).expiresAt(expiresAt));
    }

    /** A service's token that expires at {@code expiresAt}. */
    public String serviceUntil(String name, Instant expiresAt) {
        return sign(base(name).groups(Set.of("service")).claim("azp", name).issuedAt(expiresAt.minus(LIFETIME))
                .expiresAt(expiresAt));
    }

    /** A partner's token that expires at {@code expiresAt}. */
    public String partnerUntil(String businessId, Instant expiresAt) {
        return sign(base("partner-" + businessId).groups(Set.of("partner")).claim("business_id", businessId)
                .issuedAt(expiresAt.minus(LIFETIME)).expiresAt(expiresAt));
    }

    // ---- deliberately broken tokens for negative tests ----

    public String expired(String sub) {
        Instant past = Instant.now().minus(Duration.ofHours(2));
        return sign(Jwt.issuer(ISSUER).audience(AUDIENCE).subject(sub).groups(Set.of("user"))
                .issuedAt(past).expiresAt(past.plus(Duration.ofMinutes(5))));
    }

    public String notYetValid(String sub) {
        Instant future = Instant.now().plus(Duration.ofHours(1));
        return sign(Jwt.issuer(ISSUER).audience(AUDIENCE).subject(sub).groups(Set.of("user"))
                .issuedAt(future).claim("nbf", future.getEpochSecond()).expiresAt(future.plus(LIFETIME)));
    }

    public String wrongIssuer(String sub) {
        return sign(Jwt.issuer("https://evil.example/realms/commerce-chat").audience(AUDIENCE).subject(sub)
                .groups(Set.of("user")).expiresAt(Instant.now().plus(LIFETIME)));
    }

    public String wrongAudience(String sub) {
        return sign(Jwt.issuer(ISSUER).audience("some-other-api").subject(sub).groups(Set.of("user"))
                .expiresAt(Instant.now().plus(LIFETIME)));
    }

    /** Same key id, signed by a key (of the same kind) the issuer never published. */
    public String badSignature(String sub) {
        return base(sub).groups(Set.of("user")).jws().algorithm(signing.algorithm()).keyId(signing.keyId())
                .sign(signing.foreign().getPrivate());
    }

    /** An unsigned token ({@code alg: none}) with otherwise valid claims. */
    public String algNone(String sub) {
        long now = Instant.now().getEpochSecond();
        String header = b64("{\"alg\":\"none\",\"typ\":\"JWT\"}");
        String payload = b64("{\"iss\":\"" + ISSUER + "\",\"aud\":\"" + AUDIENCE + "\",\"sub\":\"" + sub
                + "\",\"groups\":[\"user\"],\"iat\":" + now + ",\"exp\":" + (now + 600) + "}");
        return header + "." + payload + ".";
    }

    public String missingSub() {
        return sign(Jwt.issuer(ISSUER).audience(AUDIENCE).groups(Set.of("user")).expiresAt(Instant.now().plus(LIFETIME)));
    }

    private static JwtClaimsBuilder base(String sub) {
        return Jwt.issuer(ISSUER).audience(AUDIENCE).subject(sub).issuedAt(Instant.now())
                .expiresAt(Instant.now().plus(LIFETIME));
    }

    private String sign(JwtClaimsBuilder claims) {
        return claims.jws().algorithm(signing.algorithm()).keyId(signing.keyId()).sign(signing.keys().getPrivate());
    }

    private void token(HttpExchange ex) throws IOException {
        if (!"POST".equals(ex.getRequestMethod())) {
            respond(ex, 405, "{\"error\":\"invalid_request\"}");
            return;
        }
        Map<String, String> form = new HashMap<>();
        for (String pair : new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8).split("&")) {
            String[] kv = pair.split("=", 2);
            if (kv.length == 2) {
                form.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8), URLDecoder.decode(kv[1], StandardCharsets.UTF_8));
            }
        }
        String basic = ex.getRequestHeaders().getFirst("Authorization");
        if (basic != null && basic.startsWith("Basic ")) {
            String[] cred = new String(Base64.getDecoder().decode(basic.substring(6)), StandardCharsets.UTF_8).split(":", 2);
            form.putIfAbsent("client_id", URLDecoder.decode(cred[0], StandardCharsets.UTF_8));
            form.putIfAbsent("client_secret", cred.length > 1 ? URLDecoder.decode(cred[1], StandardCharsets.UTF_8) : "");
        }
        Client client = clients.get(form.getOrDefault("client_id", ""));
        if (!"client_credentials".equals(form.get("grant_type"))) {
            respond(ex, 400, "{\"error\":\"unsupported_grant_type\"}");
            return;
        }
        if (client == null || !client.secret().equals(form.get("client_secret"))) {
            respond(ex, 401, "{\"error\":\"invalid_client\"}");
            return;
        }
        String scope = form.getOrDefault("scope", AUDIENCE);
        String jwt;
        if (AUDIENCE.equals(scope)) {
            jwt = "partner".equals(client.group()) ? partner(client.businessId()) : service(form.get("client_id"));
        } else if (audienceScopes.containsKey(scope) && audienceScopes.get(scope).clients().contains(form.get("client_id"))) {
            jwt = forAudience(form.get("client_id"), audienceScopes.get(scope).audience());
        } else {
            respond(ex, 400, "{\"error\":\"invalid_scope\"}");
            return;
        }
        respond(ex, 200, "{\"access_token\":\"" + jwt + "\",\"token_type\":\"Bearer\",\"expires_in\":"
                + LIFETIME.toSeconds() + "}");
    }

    private String jwks() {
        RSAPublicKey rsaKey = (RSAPublicKey) rsa.keys().getPublic();
        ECPublicKey ecKey = (ECPublicKey) ec.keys().getPublic();
        return "{\"keys\":[{\"kty\":\"RSA\",\"use\":\"sig\",\"alg\":\"RS256\",\"kid\":\"" + rsa.keyId() + "\",\"n\":\""
                + b64(unsigned(rsaKey.getModulus())) + "\",\"e\":\"" + b64(unsigned(rsaKey.getPublicExponent())) + "\"},"
                + "{\"kty\":\"EC\",\"use\":\"sig\",\"alg\":\"ES256\",\"crv\":\"P-256\",\"kid\":\"" + ec.keyId()
                + "\",\"x\":\"" + b64(coordinate(ecKey.getW().getAffineX())) + "\",\"y\":\""
                + b64(coordinate(ecKey.getW().getAffineY())) + "\"}]}";
    }

    private String discovery() {
        return "{\"issuer\":\"" + ISSUER + "\",\"jwks_uri\":\"" + jwksUrl() + "\",\"token_endpoint\":\"" + tokenUrl()
                + "\",\"grant_types_supported\":[\"client_credentials\"]}";
    }

    private static byte[] unsigned(BigInteger value) {
        byte[] bytes = value.toByteArray();
        return bytes[0] == 0 ? java.util.Arrays.copyOfRange(bytes, 1, bytes.length) : bytes;
    }

    /** A P-256 coordinate as JWK wants it: exactly 32 bytes, big-endian, left-padded with zeros. */
    private static byte[] coordinate(BigInteger value) {
        byte[] bytes = unsigned(value);
        byte[] fixed = new byte[32];
        System.arraycopy(bytes, 0, fixed, fixed.length - bytes.length, bytes.length);
        return fixed;
    }

    private static String b64(String s) {
        return b64(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String b64(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    /** Answers {@code ex} with a JSON body (also for fake endpoints of tests, e.g. a token endpoint). */
    public static void respond(HttpExchange ex, int status, String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        ex.getResponseBody().write(body);
        ex.close();
    }
}
