package io.commercechat.systemtests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.commercechat.proto.partner.v1.InboxEvent;
import io.commercechat.systemtests.client.BankAgent;
import io.commercechat.systemtests.client.Connections;
import io.commercechat.systemtests.client.KeycloakAdmin;
import io.commercechat.systemtests.client.Rest;
import io.commercechat.systemtests.mesh.Mesh;
import io.commercechat.systemtests.mesh.JourneySteps;
import io.commercechat.systemtests.mesh.MeshExtension;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.WindowType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The journey through the real web client in headless Chromium: sign in on Keycloak's login page, open the bank chat,
 * send a message, see the agent's reply, link an account on the sandbox bank's page and come back, see balances, end
 * access on the Privacy page. A screenshot of each step goes to {@code target/screenshots}.
 *
 * <p>Needs the Debian packages {@code chromium} and {@code chromium-driver} (or {@code -Dsystemtests.chrome=...},
 * {@code -Dsystemtests.chromedriver=...}); without them the class is skipped, not failed.
 */
@ExtendWith({MeshExtension.class, JourneySteps.class})
@Order(3)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BrowserJourneyIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String PERSON = "carol";
    private static final String PASSWORD = "carol-demo";

    private Mesh mesh;
    private ChromeDriver browser;
    private WebDriverWait wait;
    private BankAgent agent;
    private BankAgent.Inbox agentInbox;
    private Path screenshots;
    private int shot;
    /** The bank chat the journey opened (step 2). */
    private String bankConversation;
    /** Why there is no browser; null when there is one. */
    private String noBrowser;

    /** What the browser showed when a step failed. */
    @RegisterExtension
    final TestWatcher failureScreenshot = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (browser != null) {
                screenshot("FAILED-" + context.getRequiredTestMethod().getName());
            }
        }
    };

    @BeforeAll
    void openBrowser(Mesh mesh) throws IOException {
        File chrome = executable("systemtests.chrome", "chromium", "chromium-browser", "google-chrome");
        File driver = executable("systemtests.chromedriver", "chromedriver");
        if (chrome == null || driver == null) {
            noBrowser = "browser test skipped: headless Chromium and chromedriver are not installed"
                    + " (Debian: apt-get install -y chromium chromium-driver)";
            return;
        }
        this.mesh = mesh;
        screenshots = Path.of(System.getProperty("systemtests.dir", "target"), "screenshots").toAbsolutePath();
        Files.createDirectories(screenshots);
        try (var old = Files.newDirectoryStream(screenshots, "*.png")) {
            for (Path png : old) {
                Files.delete(png);
            }
        }

        ChromeOptions options = new ChromeOptions();
        options.setBinary(chrome);
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,900", "--lang=en-GB", "--no-first-run", "--disable-extensions");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(driver).usingAnyFreePort()
                .withLogFile(mesh.dir().resolve("logs").resolve("chromedriver.log").toFile()).build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, WAIT);
        checkWebClientIsPointedAtThisKeycloak();
        allowThisWebOriginAtKeycloak();

        agent = new BankAgent(mesh.chat().port(), mesh.bankToken());
        agentInbox = agent.subscribe(0);
    }

    @BeforeEach
    void browserPresent() {
        Assumptions.assumeTrue(noBrowser == null, noBrowser);
    }

    @AfterAll
    void closeBrowser() {
        Connections.closeAll(agentInbox, agent, browser == null ? null : browser::quit);
    }

    @Test
    @Order(1)
    void signsInOnKeycloaksLoginPage() {
        browser.get(mesh.webOrigin() + "/");
        click(By.xpath("//button[normalize-space()='Sign in']"));
        // Keycloak's own login page
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("username"))).sendKeys(PERSON);
        browser.findElement(By.id("password")).sendKeys(PASSWORD);
        screenshot("keycloak-login");
        browser.findElement(By.id("kc-login")).click();
        // back in the web client, signed in
        wait.until(ExpectedConditions.urlContains(mesh.webOrigin()));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("nav")));
        wait.until(d -> !d.findElement(By.id("who")).getText().isBlank());
        wait.until(ExpectedConditions.textToBe(By.id("connection"), "Live"));
        screenshot("signed-in");
    }

    @Test
    @Order(2)
    void opensTheBankChatAndGetsTheAgentsReply() throws Exception {
        click(By.xpath("//button[normalize-space()='New chat']"));
        click(By.xpath("//button[contains(@class,'business')][contains(., 'Sandbox Bank')]"));
        wait.until(ExpectedConditions.urlMatches("#/chats/[0-9a-f-]{36}"));
        String text = "Hi, is my new card on its way?";
        WebElement composer = wait.until(ExpectedConditions.elementToBeClickable(By.id("composer-input")));
        composer.sendKeys(text);
        click(By.xpath("//form[contains(@class,'composer')]//button[@type='submit']"));
        waitForText(text);
        screenshot("message-sent");

        // the bank's agent (gRPC) sees it and answers
        List<InboxEvent> read = agentInbox.until(e -> e.hasMessage() && e.getMessage().getContent().getText().getBody().equals(text), WAIT);
        String conversationId = read.get(read.size() - 1).getMessage().getConversationId();
        bankConversation = conversationId;
        String reply = "Yes: it was posted yesterday and should arrive on Thursday.";
        agent.sendText(conversationId, "browser-agent-1", reply);
        waitForText(reply);
        screenshot("agent-replied");
    }

    @Test
    @Order(3)
    void linksAnAccountAtTheBankAndSeesBalances() {
        browser.get(mesh.webOrigin() + "/#/link");
        click(By.xpath("//button[normalize-space()='Continue to your bank']"));
        // the sandbox bank's own authorisation page
        wait.until(ExpectedConditions.urlContains(mesh.sandbox().baseUrl() + "/bank/authorise"));
        screenshot("bank-sign-in");
        click(By.xpath("//button[normalize-space()='Sign in and continue']"));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.xpath("//button[@value='approve']")));
        screenshot("bank-approve");
        click(By.xpath("//button[@value='approve']"));
        // back in the web client, which completes the link
        wait.until(ExpectedConditions.urlContains(mesh.webOrigin() + "/#/accounts"));
        waitForText("Linked");
        screenshot("linked");
        // linked with the form's default permissions, without ACCOUNTS_DETAIL: each account's line shows its type and
        // currency, and no masked number (nor a placeholder for it)
        By accountLines = By.xpath("//li[contains(@class,'card-item')]/p[@class='muted']");
        wait.until(d -> !d.findElements(accountLines).isEmpty());
        for (var line : browser.findElements(accountLines)) {
            assertTrue(line.getText().matches(".+ · [A-Z]{3}") && !line.getText().contains("•")
                    && !line.getText().contains("undefined"), line.getText());
        }
        click(By.xpath("(//button[normalize-space()='Show balances'])[1]"));
        wait.until(d -> !d.findElements(By.cssSelector(".card-item dl dd")).isEmpty());
        screenshot("balances");

        // in the bank chat: the assistant's menu from the header, then its quick reply answers with a balance card
        browser.get(mesh.webOrigin() + "/#/chats/" + bankConversation);
        click(By.xpath("//div[contains(@class,'thread-actions')]/button[normalize-space()='Assistant']"));
        click(By.xpath("//div[contains(@class,'quick-replies')]/button[normalize-space()='Show balance']"));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".bubble.assistant.card")));
        screenshot("assistant-balance");
    }

    @Test
    @Order(4)
    void endsAccessOnThePrivacyPage() {
        browser.get(mesh.webOrigin() + "/#/privacy");
        // the consent names its bank by name, not by id
        wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.xpath("//li[contains(@class,'card-item')]/h3[normalize-space()='Sandbox Bank']")));
        click(By.xpath("//button[normalize-space()='End access']"));
        screenshot("revoke-confirm");
        click(By.xpath("//dialog//button[@value='ok']"));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.xpath("//span[contains(@class,'pill')][normalize-space()='Revoked']")));
        screenshot("revoked");
        // the person's own API agrees
        Rest carol = new Rest(mesh.chat().baseUrl(), mesh.signIn(PERSON, PASSWORD));
        Rest.Response consents = carol.get("/v1/consents");
        assertEquals(200, consents.status(), consents.toString());
        assertTrue(consents.body().contains("REVOKED"), consents.toString());
    }

    @Test
    @Order(5)
    void aNewDeviceStartsLiveWithoutReplayingTheHistory() {
        Assumptions.assumeTrue(bankConversation != null, "step 2 opened no bank chat");
        // a new device: nothing stored for the web client (no session, no stream position). The page is left first,
        // so that its stream stores nothing more; a new tab has session storage of its own (Chromium's
        // Storage.clearDataForOrigin leaves an open tab's session storage as it was, tokens included)
        browser.get("about:blank");
        String previous = browser.getWindowHandle();
        browser.switchTo().newWindow(WindowType.TAB);
        String fresh = browser.getWindowHandle();
        browser.switchTo().window(previous).close();
        browser.switchTo().window(fresh);
        browser.executeCdpCommand("Storage.clearDataForOrigin",
                Map.of("origin", mesh.webOrigin(), "storageTypes", "local_storage,session_storage"));
        // records what the page's event streams ask for and receive, installed before the page's own scripts run
        browser.executeCdpCommand("Page.addScriptToEvaluateOnNewDocument", Map.of("source", STREAM_RECORDER));
        browser.get(mesh.webOrigin() + "/#/chats/" + bankConversation);
        click(By.xpath("//button[normalize-space()='Sign in']"));
        // Keycloak may still know the browser (its own session cookie) and send it straight back
        wait.until(d -> !d.findElements(By.id("username")).isEmpty() || !d.findElements(By.id("nav")).isEmpty());
        if (!browser.findElements(By.id("username")).isEmpty()) {
            browser.findElement(By.id("username")).sendKeys(PERSON);
            browser.findElement(By.id("password")).sendKeys(PASSWORD);
            browser.findElement(By.id("kc-login")).click();
        }
        wait.until(ExpectedConditions.textToBe(By.id("connection"), "Live"));
        // the history is read over REST, a page at a time: the thread shows the journey's first exchange
        waitForText("Yes: it was posted yesterday and should arrive on Thursday.");
        // the position the stream began at is stored (200 ms after "ready"); by then a replay would have arrived too
        wait.until(d -> stored() != null);
        Map<?, ?> stream = onlyStream();
        assertTrue(((String) stream.get("url")).endsWith("/v1/events?after=now"), stream.toString());
        assertEquals(null, stream.get("lastEventId"), "a new device has no position to resume from");
        assertEquals(1L, stream.get("ready"), stream.toString());
        assertEquals(0L, stream.get("messages"), "no message of the history came on the stream: " + stream);
        assertEquals(stream.get("readyId"), stored(), "the device resumes from where its stream began");

        String update = "Your new card has been delivered.";
        agent.sendText(bankConversation, "browser-agent-2", update);
        waitForText(update);
        assertEquals(1L, onlyStream().get("messages"), "the new message, and only it, came live");
        screenshot("new-device-live");
    }

    /**
     * A duplicated tab takes a copy of the page's session storage, its refresh token too, and each refresh token is
     * good for one refresh (the realm's revokeRefreshToken): whichever tab refreshes second is refused. That tab gets
     * tokens of its own by a silent sign-in (prompt=none) while Keycloak's session lasts, instead of being signed out.
     */
    @Test
    @Order(6)
    void aDuplicatedTabStaysSignedInWhenTheOtherCopyRefreshedFirst() {
        Assumptions.assumeTrue(bankConversation != null, "step 2 opened no bank chat");
        String first = browser.getWindowHandle();
        browser.get(mesh.webOrigin() + "/#/chats/" + bankConversation);
        wait.until(ExpectedConditions.textToBe(By.id("connection"), "Live"));
        Map<?, ?> session = (Map<?, ?>) ((JavascriptExecutor) browser).executeScript(
                "return Object.fromEntries(Object.keys(sessionStorage).map(k => [k, sessionStorage.getItem(k)]))");
        String copiedRefreshToken = refreshToken();
        String duplicate = null;
        try {
            // the duplicate: a second tab of the same origin with the same session storage, its access token due
            browser.switchTo().newWindow(WindowType.TAB);
            duplicate = browser.getWindowHandle();
            browser.get(mesh.webOrigin() + "/config.json");
            ((JavascriptExecutor) browser).executeScript(
                    "for (const [k, v] of Object.entries(arguments[0])) sessionStorage.setItem(k, v)", session);
            expireAccessToken();
            browser.get(mesh.webOrigin() + "/#/chats/" + bankConversation);
            wait.until(ExpectedConditions.textToBe(By.id("connection"), "Live"));
            wait.until(d -> !copiedRefreshToken.equals(refreshToken()));

            // the first tab's access token is due too: its copy of the refresh token has been used by the
            // duplicate; the person was writing there
            browser.switchTo().window(first);
            String draft = "A draft that outlives the sign-in";
            wait.until(ExpectedConditions.elementToBeClickable(By.id("composer-input"))).sendKeys(draft);
            expireAccessToken();
            browser.navigate().refresh();
            assertSignedInAndLive();
            assertTrue(browser.getCurrentUrl().endsWith("/#/chats/" + bankConversation), browser.getCurrentUrl());
            waitForText("Yes: it was posted yesterday and should arrive on Thursday.");
            String own = refreshToken();
            assertTrue(own != null && !own.equals(copiedRefreshToken), "the first tab has tokens of its own");
            assertEquals(draft, browser.findElement(By.id("composer-input")).getDomProperty("value"), "the draft is still there");
            screenshot("duplicated-tab-signed-in");

            // from then on each tab has tokens of its own, and each refreshes without another sign-in: the
            // duplicate, whose tokens came from the first use of the copy, and the first tab
            refreshesWithoutSigningInAgain(duplicate);
            refreshesWithoutSigningInAgain(first);

            // both tabs are live: a message from the bank reaches each
            String update = "Both of your tabs see this.";
            agent.sendText(bankConversation, "browser-agent-3", update);
            waitForText(update);
            browser.switchTo().window(duplicate);
            waitForText(update);
        } finally {
            if (duplicate != null) {
                browser.switchTo().window(duplicate);
                browser.close();
                browser.switchTo().window(first);
            }
        }
    }

    /** The tab's page, loaded with its access token due, refreshes it and starts no silent sign-in. */
    private void refreshesWithoutSigningInAgain(String tab) {
        browser.switchTo().window(tab);
        Object silentSignIn = silentSignInMark();
        String before = refreshToken();
        expireAccessToken();
        browser.navigate().refresh();
        assertSignedInAndLive();
        wait.until(d -> !before.equals(refreshToken()));
        assertEquals(silentSignIn, silentSignInMark(), () -> "refreshed, not signed in again; Keycloak refused refresh tokens"
                + " at " + refreshRefusals());
    }

    /** When and why Keycloak refused refresh tokens in this run (its event log): what a failed refresh step needs. */
    private String refreshRefusals() {
        try (Stream<String> lines = Files.lines(mesh.dir().resolve("logs").resolve("keycloak.log"))) {
            return lines.filter(l -> l.contains("REFRESH_TOKEN_ERROR"))
                    .map(l -> l.replaceAll(".*?(\\d\\d:\\d\\d:\\d\\d,\\d+).*reason=\"([^\"]*)\".*", "$1 $2")).toList().toString();
        } catch (IOException | UncheckedIOException e) {
            return "(Keycloak's log could not be read: " + e + ")";
        }
    }

    /** Signed in (no sign-in page, no "session ended" banner) and the event stream open. */
    private void assertSignedInAndLive() {
        wait.until(ExpectedConditions.textToBe(By.id("connection"), "Live"));
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("nav")));
        String page = (String) ((JavascriptExecutor) browser).executeScript("return document.body.innerText");
        assertTrue(browser.findElements(By.xpath("//button[normalize-space()='Sign in']")).isEmpty()
                && !page.contains("Your session has ended"), "not signed out: " + page);
    }

    /** When this tab last began a silent sign-in (auth.js), or null. */
    private Object silentSignInMark() {
        return ((JavascriptExecutor) browser).executeScript("return sessionStorage.getItem('cc.auth.silent')");
    }

    /**
     * A message the page could not send (the network refused it three times) is kept in the tab's outbox and sent,
     * once, by the page that loads next: a reload or a sign-in round trip loses nothing the person wrote.
     */
    @Test
    @Order(7)
    void aMessageThatCouldNotBeSentIsSentOnceByTheNextPage() throws Exception {
        Assumptions.assumeTrue(bankConversation != null, "step 2 opened no bank chat");
        browser.get(mesh.webOrigin() + "/#/chats/" + bankConversation);
        wait.until(ExpectedConditions.textToBe(By.id("connection"), "Live"));
        // this page's sends fail as they do without a network; the next page's fetch is the browser's own again
        ((JavascriptExecutor) browser).executeScript("""
                const original = window.fetch;
                window.fetch = (input, init) => init?.method === 'POST' && String(input).endsWith('/messages')
                    ? Promise.reject(new TypeError('Failed to fetch')) : original(input, init);""");
        String text = "Please call me back tomorrow morning.";
        WebElement composer = wait.until(ExpectedConditions.elementToBeClickable(By.id("composer-input")));
        composer.clear();
        composer.sendKeys(text);
        click(By.xpath("//form[contains(@class,'composer')]//button[@type='submit']"));
        waitForText("Not sent");
        String outbox = (String) ((JavascriptExecutor) browser).executeScript(
                "return Object.keys(sessionStorage).filter(k => k.startsWith('cc.outbox.')).map(k => sessionStorage.getItem(k))[0] ?? null");
        assertTrue(outbox != null && outbox.contains(text), "kept in the tab's outbox: " + outbox);
        screenshot("not-sent");

        browser.navigate().refresh();
        java.util.function.Predicate<InboxEvent> theMessage = e -> e.hasMessage() && e.getMessage().getContent().getText().getBody()
                .equals(text);
        agentInbox.until(theMessage, WAIT);
        assertTrue(agentInbox.drain(Duration.ofSeconds(2)).stream().noneMatch(theMessage), "the bank got it once");
        waitForText(text);
        wait.until(d -> ((JavascriptExecutor) d).executeScript(
                "return Object.keys(sessionStorage).some(k => k.startsWith('cc.outbox.'))").equals(Boolean.FALSE));
        assertTrue(!((String) ((JavascriptExecutor) browser).executeScript("return document.body.innerText")).contains("Not sent"));
        Rest carol = new Rest(mesh.chat().baseUrl(), mesh.signIn(PERSON, PASSWORD));
        Rest.Response history = carol.get("/v1/conversations/" + bankConversation + "/messages?limit=100");
        assertEquals(200, history.status(), history.toString());
        assertEquals(1, history.body().split(java.util.regex.Pattern.quote(text), -1).length - 1, "sent once: " + history.body());
        screenshot("sent-after-reload");
    }

    /** The refresh token the web client holds in this tab's session storage. */
    private String refreshToken() {
        return (String) ((JavascriptExecutor) browser).executeScript(
                "return JSON.parse(sessionStorage.getItem('cc.auth.tokens') || 'null')?.refreshToken ?? null");
    }

    /** Makes the access token stored in this tab due, so that the page refreshes it when it next loads. */
    private void expireAccessToken() {
        ((JavascriptExecutor) browser).executeScript("""
                const t = JSON.parse(sessionStorage.getItem('cc.auth.tokens'));
                t.expiresAt = 0;
                sessionStorage.setItem('cc.auth.tokens', JSON.stringify(t));""");
    }

    // ---------------------------------------------------------------------------------------------------------

    /**
     * Wraps fetch() so that each request to /v1/events is recorded with its Last-Event-ID and a count of the
     * "message" and "ready" events its response carried (read from a clone of the body).
     */
    private static final String STREAM_RECORDER = """
            (() => {
              const streams = window.__eventStreams = [];
              const original = window.fetch;
              window.fetch = async (input, init) => {
                const response = await original(input, init);
                const url = String(input instanceof Request ? input.url : input);
                if (!url.includes('/v1/events') || !response.body) return response;
                const s = { url, lastEventId: init?.headers?.['Last-Event-ID'] ?? null, messages: 0, ready: 0, readyId: null };
                streams.push(s);
                const reader = response.clone().body.getReader();
                const decoder = new TextDecoder();
                let buffer = '', event = '', id = null;
                (async () => {
                  for (;;) {
                    const { value, done } = await reader.read();
                    if (done) return;
                    buffer += decoder.decode(value, { stream: true });
                    let i;
                    while ((i = buffer.indexOf('\\n')) >= 0) {
                      const line = buffer.slice(0, i).replace(/\\r$/, '');
                      buffer = buffer.slice(i + 1);
                      const field = line.split(':')[0], text = line.slice(field.length + 1).replace(/^ /, '');
                      if (field === 'event') event = text;
                      if (field === 'id') id = text;
                      if (line === '') {
                        if (event === 'message') s.messages++;
                        if (event === 'ready') { s.ready++; s.readyId = id; }
                        event = '';
                      }
                    }
                  }
                })().catch(() => {});
                return response;
              };
            })();
            """;

    /** The one event stream the page opened since it was loaded. */
    private Map<?, ?> onlyStream() {
        List<?> streams = (List<?>) ((JavascriptExecutor) browser).executeScript("return window.__eventStreams");
        assertEquals(1, streams.size(), "event streams opened: " + streams);
        return (Map<?, ?>) streams.get(0);
    }

    /** The stream position the web client stored for the signed-in person in this tab, or null. */
    private String stored() {
        return (String) ((JavascriptExecutor) browser).executeScript("return Object.keys(sessionStorage)"
                + ".filter(k => k.startsWith('cc.events.')).map(k => sessionStorage.getItem(k))[0] ?? null");
    }

    /** The web client learns its OIDC issuer from chat-service's {@code /config.json}, served from configuration. */
    private void checkWebClientIsPointedAtThisKeycloak() {
        Rest.Response config = new Rest(mesh.webOrigin(), null).get("/config.json");
        assertEquals(200, config.status(), config.toString());
        assertEquals(mesh.issuer(), config.get("issuer").asText(), "chat-service tells the web client this mesh's issuer");
    }

    /**
     * The browser redeems the code at Keycloak's token endpoint with a CORS request from the web client's origin. The
     * realm's {@code web} client derives its allowed web origins from its redirect URIs ({@code http://127.0.0.1/*}:
     * origin {@code http://127.0.0.1}, no port), so a web client on any real port gets no
     * {@code Access-Control-Allow-Origin} and sign-in fails with "The sign-in service cannot be reached". This run's
     * origin (a random free port) is therefore registered with the client through Keycloak's admin API, as an
     * operator registers a deployment's origin; the test says so when it does.
     */
    private void allowThisWebOriginAtKeycloak() {
        KeycloakAdmin admin = new KeycloakAdmin(mesh.keycloak());
        if (!admin.tokenEndpointAllows(mesh.webOrigin())) {
            System.out.println("Keycloak's web client does not allow the origin " + mesh.webOrigin()
                    + " (no CORS on the token endpoint): registering it through the admin API");
            admin.addWebOrigin(Mesh.WEB_CLIENT, mesh.webOrigin());
            assertTrue(admin.tokenEndpointAllows(mesh.webOrigin()), "Keycloak still refuses " + mesh.webOrigin());
        }
    }

    private void click(By what) {
        wait.until(ExpectedConditions.elementToBeClickable(what)).click();
    }

    private void waitForText(String text) {
        wait.until(d -> ((String) ((JavascriptExecutor) d).executeScript("return document.body.innerText")).contains(text));
    }

    private void screenshot(String name) {
        File png = browser.getScreenshotAs(OutputType.FILE);
        try {
            Files.copy(png.toPath(), screenshots.resolve(String.format("%02d-%s.png", ++shot, name)),
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A system property's path, else the first of the names found on the PATH; null when none is there. */
    private static File executable(String property, String... names) {
        String configured = System.getProperty(property);
        if (configured != null && !configured.isBlank()) {
            File f = new File(configured);
            return f.canExecute() ? f : null;
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/local/bin:/usr/bin:/bin");
        for (String name : names) {
            for (String dir : path.split(File.pathSeparator)) {
                File f = new File(dir, name);
                if (f.isFile() && f.canExecute()) {
                    return f;
                }
            }
        }
        return null;
    }
}
