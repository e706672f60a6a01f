package io.commercechat.chat;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.emptyOrNullString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.startsWith;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.testkit.PostgresResource;
import io.quarkus.test.common.QuarkusTestResource;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.path.json.JsonPath;
import io.restassured.response.ValidatableResponse;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import org.jose4j.jwk.JsonWebKeySet;
import org.jose4j.jws.JsonWebSignature;
import org.jose4j.jwx.JsonWebStructure;
import org.junit.jupiter.api.Test;

/**
 * The BFF over the real mesh: account-link-service, consent-service and the sandbox bank as real
 * processes; the person's token forwarded on every call.
 */
@QuarkusTest
@QuarkusTestResource(PostgresResource.class)
@QuarkusTestResource(MeshResource.class)
class BankDataTest extends BankFlowSupport {

    /**
     * /v1/receipt-keys is public, so it is served from memory for a minute: a burst of anonymous requests costs
     * consent-service one call (chat-service's gRPC client metrics count them), and every answer is the same JWKS.
     */
    @Test
    void theReceiptKeysCostConsentServiceOneCallAMinute() {
        var keys = given().get("/v1/receipt-keys").then().statusCode(200).extract();
        // public keys may be kept, unlike the rest of /v1
        assertEquals(List.of("public, max-age=300"), keys.headers().getValues("Cache-Control"));
        String first = keys.asString();
        double calls = receiptKeyCalls();
        assertTrue(calls >= 1, "the metric counts the call behind the first answer");
        for (int i = 0; i < 20; i++) {
            assertEquals(first, given().get("/v1/receipt-keys").then().statusCode(200).extract().asString());
        }
        assertEquals(calls, receiptKeyCalls(), "twenty requests, no call to consent-service");
    }

    /** GetReceiptKeys calls chat-service made to consent-service (Micrometer's gRPC client metrics). */
    private static double receiptKeyCalls() {
        String metrics = given().get("/q/metrics").then().statusCode(200).extract().asString();
        return metrics.lines().filter(l -> l.startsWith("grpc_client_requests_sent") && l.contains("method=\"GetReceiptKeys\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    @Test
    void linkReadAuditRevoke() throws Exception {
        String me = newPerson();
        as(me).get("/v1/banks").then().statusCode(200).body("banks.id", org.hamcrest.Matchers.hasItem(BANK));

        JsonPath begun = begin(me);
        assertEquals("PENDING", begun.getString("link.status"));
        assertFalse(begun.getString("state").isEmpty());
        Map<String, String> back = atBank(begun.getString("authorisationUrl"), true);
        JsonPath link = as(me).body(Map.of("state", back.get("state"), "code", back.get("code"))).post("/v1/links/complete")
                .then().statusCode(200).body("link.status", equalTo("ACTIVE")).extract().jsonPath().setRootPath("link");
        String linkId = link.getString("id");
        String consentId = link.getString("consentId");
        assertEquals(begun.getString("link.id"), linkId);
        assertEquals(List.of("ACCOUNTS_BASIC", "BALANCES", "TRANSACTIONS"), link.getList("permissions"));

        as(me).get("/v1/links").then().statusCode(200).body("links[0].id", equalTo(linkId));
        as(me).get("/v1/links/" + linkId).then().statusCode(200).body("consentId", equalTo(consentId));

        JsonPath accounts = as(me).get("/v1/accounts").then().statusCode(200).extract().jsonPath();
        List<Map<String, Object>> list = accounts.getList("accounts");
        assertFalse(list.isEmpty());
        for (Map<String, Object> a : list) {
            // the web client's default permissions lack ACCOUNTS_DETAIL: no masked number
            assertEquals("", a.get("maskedNumber"), a.toString());
            assertEquals(linkId, a.get("linkId"));
        }
        String account = list.get(0).get("id").toString();

        JsonPath balances = as(me).get("/v1/accounts/" + account + "/balances").then().statusCode(200).extract().jsonPath();
        assertEquals(account, balances.getString("account.id"));
        assertFalse(balances.getList("balances").isEmpty());
        assertTrue(balances.getString("balances[0].amount.currency").matches("[A-Z]{3}"));
        assertTrue(balances.getString("balances[0].amount.units").matches("-?\\d+"), "units travel as a string");

        // transactions: pages of 5, newest first, no duplicates
        List<Map<String, Object>> all = new ArrayList<>();
        String cursor = null;
        int pages = 0;
        do {
            var req = as(me).queryParam("limit", 5);
            if (cursor != null) {
                req.queryParam("cursor", cursor);
            }
            JsonPath page = req.get("/v1/accounts/" + account + "/transactions").then().statusCode(200).extract().jsonPath();
            List<Map<String, Object>> items = page.getList("transactions");
            assertTrue(items.size() <= 5);
            all.addAll(items);
            cursor = page.getString("nextCursor");
            pages++;
        } while (cursor != null && pages < 4);
        assertTrue(pages >= 2, "expected at least two pages, got " + all.size() + " transactions");
        assertEquals(all.size(), all.stream().map(t -> t.get("id")).distinct().count());
        for (int i = 1; i < all.size(); i++) {
            assertFalse(Instant.parse(all.get(i - 1).get("bookedAt").toString())
                    .isBefore(Instant.parse(all.get(i).get("bookedAt").toString())), "newest first");
        }
        // a window: nothing outside it
        String day = Instant.parse(all.get(0).get("bookedAt").toString()).toString().substring(0, 10);
        List<Map<String, Object>> thatDay = as(me).queryParam("from", day).queryParam("to", day)
                .get("/v1/accounts/" + account + "/transactions").then().statusCode(200).extract().jsonPath().getList("transactions");
        assertFalse(thatDay.isEmpty());
        thatDay.forEach(t -> assertTrue(t.get("bookedAt").toString().startsWith(day), t.toString()));

        // consents, their signed receipt, verified with the public keys
        // (with the bank's name, which the Privacy page shows, not only its id)
        as(me).get("/v1/consents").then().statusCode(200).body("consents.id", org.hamcrest.Matchers.hasItem(consentId))
                .body("consents.find { it.id == '" + consentId + "' }.bankDisplayName", equalTo("Sandbox Bank"));
        JsonPath consent = as(me).get("/v1/consents/" + consentId).then().statusCode(200).body("status", equalTo("AUTHORISED"))
                .body("bankId", equalTo(BANK)).body("bankDisplayName", equalTo("Sandbox Bank"))
                .body("purposes", equalTo(List.of("ACCOUNT_OVERVIEW"))).extract().jsonPath();
        // what the Privacy page shows of it: the accounts it covers (one bank id per linked account) and how far back
        // transactions are read (the start of a day, about a year ago)
        assertEquals(list.size(), consent.getList("accountIds").size(), consent.prettify());
        Instant from = Instant.parse(consent.getString("transactionFrom"));
        assertTrue(from.isAfter(Instant.now().minus(java.time.Duration.ofDays(367)))
                && from.isBefore(Instant.now().minus(java.time.Duration.ofDays(364))), "transactionFrom " + from);
        JsonPath receipt = as(me).get("/v1/consents/" + consentId + "/receipt").then().statusCode(200)
                .body("kind", equalTo("AUTHORISATION")).extract().jsonPath();
        String keys = given().get("/v1/receipt-keys").then().statusCode(200).contentType(ContentType.JSON)
                .body("keys[0].kty", equalTo("EC")).body("keys[0].d", org.hamcrest.Matchers.nullValue()).extract().asString();
        String payload = verify(receipt.getString("jws"), keys);
        assertTrue(payload.contains(consentId), payload);

        // the access log shows the reads above
        JsonPath log = as(me).queryParam("limit", 100).get("/v1/access-log").then().statusCode(200).extract().jsonPath();
        List<Map<String, Object>> records = log.getList("records");
        for (String permission : List.of("ACCOUNTS_BASIC", "BALANCES", "TRANSACTIONS")) {
            assertTrue(records.stream().anyMatch(r -> permission.equals(r.get("permission")) && "ALLOW".equals(r.get("decision"))
                    && consentId.equals(r.get("consentId")) && "ACCOUNT_OVERVIEW".equals(r.get("purpose"))),
                    permission + " read is in the access log: " + records);
        }
        assertTrue(records.stream().allMatch(r -> "Sandbox Bank".equals(r.get("bankDisplayName"))), "bank names: " + records);

        // revoke: the next read is refused with the reason
        as(me).post("/v1/consents/" + consentId + "/revoke").then().statusCode(200).body("status", equalTo("REVOKED"))
                .body("endedBy", equalTo("USER"));
        as(me).get("/v1/accounts/" + account + "/balances").then().statusCode(403).contentType("application/problem+json")
                .body("type", equalTo("https://commercechat.example/problems/access-denied"))
                .body("detail", not(emptyOrNullString()));
        String revocation = as(me).queryParam("kind", "REVOCATION").get("/v1/consents/" + consentId + "/receipt").then()
                .statusCode(200).body("kind", equalTo("REVOCATION")).extract().path("jws");
        verify(revocation, keys);
        as(me).post("/v1/consents/" + consentId + "/revoke").then().statusCode(409).contentType("application/problem+json");
        JsonPath after = as(me).queryParam("limit", 100).get("/v1/access-log").then().statusCode(200).extract().jsonPath();
        assertTrue(after.getList("records", Map.class).stream().anyMatch(r -> "DENY".equals(r.get("decision"))
                && "BALANCES".equals(r.get("permission"))), "the refused read is in the access log too");

        // neither the forwarded token nor the bank's one-time code reached chat-service's log
        String chatLog = serviceLog();
        assertFalse(chatLog.contains("eyJ"), "no JWT (token or receipt) in the log");
        assertFalse(chatLog.contains(back.get("code")), "no authorisation code in the log");
    }

    @Test
    void anotherPersonsLinkAccountAndConsentAreNotFound() throws Exception {
        String owner = newPerson();
        JsonPath link = linkAccount(owner);
        String linkId = link.getString("id");
        String consentId = link.getString("consentId");
        String account = link.getString("accounts[0].id");
        String other = newPerson();
        Map<String, Function<String, ValidatableResponse>> calls = new HashMap<>();
        calls.put("GET link", sub -> as(sub).get("/v1/links/" + linkId).then());
        calls.put("DELETE link", sub -> as(sub).delete("/v1/links/" + linkId).then());
        calls.put("balances", sub -> as(sub).get("/v1/accounts/" + account + "/balances").then());
        calls.put("transactions", sub -> as(sub).get("/v1/accounts/" + account + "/transactions").then());
        calls.put("accounts of link", sub -> as(sub).queryParam("linkId", linkId).get("/v1/accounts").then());
        calls.put("consent", sub -> as(sub).get("/v1/consents/" + consentId).then());
        calls.put("receipt", sub -> as(sub).get("/v1/consents/" + consentId + "/receipt").then());
        calls.put("revoke", sub -> as(sub).post("/v1/consents/" + consentId + "/revoke").then());
        calls.forEach((name, call) -> call.apply(other).statusCode(404).contentType("application/problem+json")
                .body("type", equalTo("https://commercechat.example/problems/not-found")));
        as(other).get("/v1/links").then().statusCode(200).body("links.size()", is(0));
        as(other).get("/v1/consents").then().statusCode(200).body("consents.size()", is(0));
        as(other).get("/v1/access-log").then().statusCode(200).body("records.size()", is(0));
        // the owner still has everything
        as(owner).get("/v1/accounts/" + account + "/balances").then().statusCode(200);
        // unlinking ends the consent
        as(owner).delete("/v1/links/" + linkId).then().statusCode(200).body("status", equalTo("REVOKED"));
        as(owner).get("/v1/consents/" + consentId).then().statusCode(200).body("status", equalTo("REVOKED"));
    }

    @Test
    void deniedAtTheBankIsAFailedLink() throws Exception {
        String me = newPerson();
        JsonPath begun = begin(me);
        Map<String, String> back = atBank(begun.getString("authorisationUrl"), false);
        as(me).body(Map.of("state", back.get("state"), "error", back.get("error"))).post("/v1/links/complete").then()
                .statusCode(200).body("link.status", equalTo("FAILED"));
        // the state is one-time
        as(me).body(Map.of("state", back.get("state"), "error", "access_denied")).post("/v1/links/complete").then()
                .statusCode(409).contentType("application/problem+json").body("detail", not(emptyOrNullString()));
    }

    @Test
    void badInputIsA4xxProblem() {
        String me = newPerson();
        String id = UUID.randomUUID().toString();
        List<Map.Entry<String, ValidatableResponse>> cases = new ArrayList<>();
        Map<String, Object> base = beginBody();
        cases.add(Map.entry("no body", as(me).post("/v1/links").then()));
        cases.add(Map.entry("no bank", as(me).body(without(base, "bankId")).post("/v1/links").then()));
        cases.add(Map.entry("no permissions", as(me).body(with(base, "permissions", List.of())).post("/v1/links").then()));
        cases.add(Map.entry("unknown permission", as(me).body(with(base, "permissions", List.of("EVERYTHING"))).post("/v1/links").then()));
        cases.add(Map.entry("advertising purpose", as(me).body(with(base, "purposes", List.of("ADVERTISING"))).post("/v1/links").then()));
        cases.add(Map.entry("0 days", as(me).body(with(base, "validDays", 0)).post("/v1/links").then()));
        cases.add(Map.entry("181 days", as(me).body(with(base, "validDays", 181)).post("/v1/links").then()));
        cases.add(Map.entry("foreign redirect", as(me).body(with(base, "redirectUri", "https://evil.example/cb")).post("/v1/links").then()));
        cases.add(Map.entry("validDays text", as(me).body(with(base, "validDays", "many")).post("/v1/links").then()));
        cases.add(Map.entry("complete without state", as(me).body(Map.of("code", "x")).post("/v1/links/complete").then()));
        cases.add(Map.entry("complete without code or error", as(me).body(Map.of("state", "s")).post("/v1/links/complete").then()));
        cases.add(Map.entry("link id", as(me).get("/v1/links/not-a-uuid").then()));
        cases.add(Map.entry("account id", as(me).get("/v1/accounts/123/balances").then()));
        cases.add(Map.entry("limit", as(me).queryParam("limit", 1000).get("/v1/accounts/" + id + "/transactions").then()));
        cases.add(Map.entry("from", as(me).queryParam("from", "yesterday").get("/v1/accounts/" + id + "/transactions").then()));
        cases.add(Map.entry("to at the end of time", as(me).queryParam("to", "+999999999-12-31")
                .get("/v1/accounts/" + id + "/transactions").then()));
        cases.add(Map.entry("from beyond year 9999", as(me).queryParam("from", "+10000-01-01T00:00:00Z")
                .get("/v1/accounts/" + id + "/transactions").then()));
        cases.add(Map.entry("from after to", as(me).queryParam("from", "2025-03-02").queryParam("to", "2025-03-01")
                .get("/v1/accounts/" + id + "/transactions").then()));
        cases.add(Map.entry("purpose", as(me).queryParam("purpose", "MARKETING").get("/v1/accounts").then()));
        cases.add(Map.entry("cursor", as(me).queryParam("cursor", "x".repeat(2000)).get("/v1/consents").then()));
        cases.add(Map.entry("receipt kind", as(me).queryParam("kind", "BOGUS").get("/v1/consents/" + id + "/receipt").then()));
        cases.add(Map.entry("consent id", as(me).get("/v1/consents/abc").then()));
        cases.add(Map.entry("access log consent", as(me).queryParam("consentId", "abc").get("/v1/access-log").then()));
        for (var c : cases) {
            var r = c.getValue().extract();
            assertEquals(400, r.statusCode(), c.getKey() + ": " + r.asString());
            assertTrue(r.contentType().startsWith("application/problem+json"), c.getKey());
            assertFalse(r.jsonPath().getString("detail").isBlank(), c.getKey());
        }
        // a bank that does not exist; a state never issued; an unknown consent
        as(me).body(with(base, "bankId", "no-such-bank")).post("/v1/links").then().statusCode(404)
                .contentType("application/problem+json");
        as(me).body(Map.of("state", "not-a-state-we-issued", "code", "c")).post("/v1/links/complete").then().statusCode(409)
                .contentType("application/problem+json").body("type", startsWith("https://commercechat.example/problems/"));
        as(me).get("/v1/consents/" + id).then().statusCode(404).contentType("application/problem+json");
    }

    @Test
    void onlyPeopleMayUseTheBff() {
        given().get("/v1/accounts").then().statusCode(401).contentType("application/problem+json");
        given().auth().oauth2(ISSUER.expired("p")).get("/v1/links").then().statusCode(401);
        given().auth().oauth2(ISSUER.partner(BANK)).get("/v1/consents").then().statusCode(403)
                .contentType("application/problem+json");
        given().auth().oauth2(ISSUER.service("someone")).get("/v1/access-log").then().statusCode(403);
        // receipt keys are public
        given().get("/v1/receipt-keys").then().statusCode(200).body("keys.size()", org.hamcrest.Matchers.greaterThan(0));
    }

    @Test
    void openApiDescribesTheBff() {
        String doc = given().accept("application/json").get("/q/openapi").then().statusCode(200).extract().asString();
        for (String path : List.of("/v1/banks", "/v1/links", "/v1/links/complete", "/v1/links/{id}", "/v1/accounts",
                "/v1/accounts/{id}/balances", "/v1/accounts/{id}/transactions", "/v1/consents", "/v1/consents/{id}",
                "/v1/consents/{id}/receipt", "/v1/consents/{id}/revoke", "/v1/access-log", "/v1/receipt-keys")) {
            assertTrue(doc.contains("\"" + path + "\""), path + " is in the OpenAPI document");
        }
    }

    private static String verify(String jws, String jwks) throws Exception {
        JsonWebSignature s = (JsonWebSignature) JsonWebStructure.fromCompactSerialization(jws);
        assertEquals("ES256", s.getAlgorithmHeaderValue());
        var key = new JsonWebKeySet(jwks).findJsonWebKey(s.getKeyIdHeaderValue(), "EC", null, null);
        assertTrue(key != null, "the receipt's key id is in /v1/receipt-keys");
        s.setKey(key.getKey());
        assertTrue(s.verifySignature(), "the receipt's signature verifies");
        return s.getPayload();
    }

    private static Map<String, Object> with(Map<String, Object> base, String key, Object value) {
        Map<String, Object> m = new HashMap<>(base);
        m.put(key, value);
        return m;
    }

    private static Map<String, Object> without(Map<String, Object> base, String key) {
        Map<String, Object> m = new HashMap<>(base);
        m.remove(key);
        return m;
    }
}
