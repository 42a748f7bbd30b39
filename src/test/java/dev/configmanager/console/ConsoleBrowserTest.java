package dev.configmanager.console;

import com.hivemq.client.mqtt.mqtt5.Mqtt5BlockingClient;
import com.hivemq.client.mqtt.mqtt5.Mqtt5Client;
import dev.configmanager.support.BrokerExtension;
import dev.configmanager.support.Requester;
import dev.configmanager.support.RetainedReader;
import dev.configmanager.support.TestBroker;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console page in headless Chromium (Debian's chromium and chromedriver, installed by .ci/run), as an operator uses
 * it: sign in, the fleet overview, a schema error marked at its line in the editor, save, the form view, a side-by-side
 * diff, a rollback that shows what it changes first, a client going offline pushed to the page, forgetting it, the
 * audit log, the dark theme, and every view at 420 px. Screenshots of each view go to target/screenshots/.
 */
@Timeout(value = 5, unit = TimeUnit.MINUTES)
class ConsoleBrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target/screenshots");
    static final int PORT = TestBroker.freePort();
    static final String TOKEN = "browser-token-61f0c2";

    @RegisterExtension
    static final BrokerExtension broker =
            BrokerExtension.withSettings("""
            <console><port>%d</port>
              <token><name>ops</name><role>admin</role><sha256>%s</sha256></token>
            </console>""".formatted(PORT, ConsoleApiTest.sha256(TOKEN)));

    static WebDriver browser;
    static Mqtt5BlockingClient routerService;

    @BeforeAll
    static void open() throws Exception {
        Assumptions.assumeTrue(
                Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "Chromium and chromedriver are not installed (.ci/run installs Debian's chromium and chromium-driver)");
        try (Requester seed = new Requester(broker.port(), "seed")) {
            assertTrue(seed.send(
                            "set",
                            "router",
                            "{\"config\": {\"router_stream_max_chars\": 300, \"router_stream_min_chars\": 30}}")
                    .accepted());
        }
        routerService = Mqtt5Client.builder()
                .identifier("router")
                .serverHost("127.0.0.1")
                .serverPort(broker.port())
                .buildBlocking();
        routerService.connect();
        final ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--window-size=1400,1000",
                "--user-data-dir=" + Files.createTempDirectory("chromium-profile"));
        browser = new ChromeDriver(
                new ChromeDriverService.Builder()
                        .usingDriverExecutable(CHROMEDRIVER.toFile())
                        .build(),
                options);
        Files.createDirectories(SCREENSHOTS);
    }

    @AfterAll
    static void close() {
        if (browser != null) {
            browser.quit();
        }
        if (routerService != null && routerService.getState().isConnected()) {
            routerService.disconnect();
        }
    }

    @Test
    void operatorWorksThroughEveryViewAndThePageFollowsTheBroker() throws Exception {
        browser.get("http://127.0.0.1:" + PORT + "/");
        until(() -> browser.findElement(By.id("token")).isDisplayed());
        screenshot("01-sign-in");
        browser.findElement(By.id("token")).sendKeys(TOKEN);
        click(By.id("signin-button"));

        // the fleet overview first: the service, its client online, the store
        until(() -> browser.findElement(By.id("view-overview")).isDisplayed());
        assertOnlyViewShown("overview");
        until(() -> text("#overview-services tr[data-service='router']").contains("1 online"));
        assertEquals("1", browser.findElement(By.id("card-services")).getText());
        assertEquals("ok", browser.findElement(By.id("card-store")).getText());
        until(() -> browser.findElement(By.id("live")).getText().equals("live"));
        screenshot("02-overview");

        // keyboard: the arrow keys move between the views
        browser.findElement(By.id("tab-overview")).sendKeys(Keys.ARROW_RIGHT);
        assertOnlyViewShown("services");
        click(By.cssSelector("#service-list li[data-service='router'] button"));
        until(() -> editorText().contains("\"router_stream_min_chars\": 30"));

        // an invalid value is marked at its own line (line 3 of the config as shown), and cannot be saved
        final WebElement content = browser.findElement(By.cssSelector("#editor .cm-content"));
        content.click();
        content.sendKeys(Keys.chord(Keys.CONTROL, Keys.END), Keys.ARROW_UP, Keys.END, Keys.BACK_SPACE, Keys.BACK_SPACE);
        content.sendKeys("5000");
        until(() -> editorText().contains("\"router_stream_min_chars\": 5000"));
        until(() -> errorLine() == 3);
        assertTrue(
                browser.findElement(By.cssSelector("#editor .cm-lintRange-error"))
                        .getText()
                        .contains("5000"),
                "the error marks the failing value");
        until(() -> browser.findElement(By.id("editor-errors")).getText().contains("/router_stream_min_chars"));
        assertFalse(browser.findElement(By.id("save")).isEnabled(), "an invalid config cannot be saved");
        screenshot("03-editor-error-at-its-line");

        content.sendKeys(Keys.BACK_SPACE, Keys.BACK_SPACE, Keys.BACK_SPACE, Keys.BACK_SPACE, "40");
        until(() -> browser.findElement(By.id("editor-errors")).getText().isEmpty()
                && browser.findElement(By.id("save")).isEnabled());
        assertEquals(
                0,
                browser.findElements(By.cssSelector("#editor .cm-lintRange-error"))
                        .size());
        click(By.id("save"));
        until(() -> browser.findElement(By.id("service-version")).getText().equals("v2"));
        assertEquals(40, retainedMinChars());

        // the schema helps: a field name tells its range on hover, and field names complete as they are typed
        new Actions(browser)
                .moveToElement(browser.findElements(By.cssSelector("#editor .tok-propertyName")).stream()
                        .filter(e -> e.getText().contains("router_stream_max_chars"))
                        .findFirst()
                        .orElseThrow())
                .perform();
        until(() -> text(".schema-hover").contains("1 to 1000"));
        final WebElement editorContent = browser.findElement(By.cssSelector("#editor .cm-content"));
        editorContent.click();
        editorContent.sendKeys(Keys.chord(Keys.CONTROL, Keys.HOME), Keys.END, Keys.ENTER, "\"router_wake_w");
        until(() -> text(".cm-tooltip-autocomplete").contains("router_wake_window_sec"));
        screenshot("03b-completion-from-the-schema");
        editorContent.sendKeys(Keys.ESCAPE);
        click(By.cssSelector("#service-list li[data-service='router'] button")); // back to the stored config
        until(() -> !editorText().contains("router_wake_w"));

        // the form made from the schema saves too
        click(By.id("subtab-form"));
        final WebElement field = browser.findElement(By.id("field-router_stream_min_chars"));
        until(() -> field.getAttribute("value").equals("40"));
        field.clear();
        field.sendKeys("45");
        screenshot("04-form");
        click(By.id("form-save"));
        until(() -> browser.findElement(By.id("service-version")).getText().equals("v3"));
        assertEquals(45, retainedMinChars());
        final String checksum3 = retainedChecksum();

        // history: a side-by-side diff with the changed word marked on each side
        click(By.id("subtab-history"));
        click(By.cssSelector("#history tr[data-version='3'] button.diff"));
        until(() -> !browser.findElements(By.cssSelector("#diff-view mark.word-added"))
                .isEmpty());
        assertEquals("40", text("#diff-view mark.word-removed"));
        assertEquals("45", text("#diff-view mark.word-added"));
        assertEquals(
                3, browser.findElements(By.cssSelector("#history tbody tr")).size(), "one row per version");
        screenshot("05-history-and-diff");

        // rollback asks first, showing what it will change
        click(By.cssSelector("#history tr[data-version='1'] button.roll-back"));
        until(() -> browser.findElement(By.id("confirm")).isDisplayed());
        assertEquals("45", text("#confirm-diff mark.word-removed"));
        assertEquals("30", text("#confirm-diff mark.word-added"));
        screenshot("06-rollback-confirmation");
        click(By.id("confirm-ok"));
        until(() -> browser.findElement(By.id("service-version")).getText().equals("v4"));
        assertEquals(30, retainedMinChars(), "the rollback published version 1's content");

        // desired versus running: three instances report (current, older, failed), the service's own client never
        final String checksum4 = retainedChecksum();
        final Mqtt5BlockingClient[] instances = new Mqtt5BlockingClient[3];
        for (int i = 0; i < 3; i++) {
            instances[i] = Mqtt5Client.builder()
                    .identifier("router-" + (i + 1))
                    .serverHost("127.0.0.1")
                    .serverPort(broker.port())
                    .buildBlocking();
            instances[i].connect();
        }
        try {
            report(instances[0], "{\"version\": 4, \"checksum\": \"" + checksum4 + "\", \"ok\": true}");
            report(instances[1], "{\"version\": 3, \"checksum\": \"" + checksum3 + "\", \"ok\": true}");
            report(
                    instances[2],
                    "{\"version\": 4, \"checksum\": \"" + checksum4 + "\", \"ok\": false, "
                            + "\"error\": \"router_stream_min_chars: the tokenizer needs at least 32\"}");
            click(By.id("subtab-drift"));
            until(() -> text("#drift-summary").contains("1/4 in sync"));
            assertEquals("1/4 in sync · 1 behind · 1 failed · 1 never reported against v4", text("#drift-summary"));
            assertEquals("in sync", text("#drift tr[data-client='router-1'] .state"));
            assertEquals("behind", text("#drift tr[data-client='router-2'] .state"));
            assertTrue(text("#drift tr[data-client='router-2']").contains("v3"));
            assertEquals("failed", text("#drift tr[data-client='router-3'] .state"));
            assertTrue(text("#drift tr[data-client='router-3']").contains("the tokenizer needs at least 32"));
            assertEquals("never reported", text("#drift tr[data-client='router'] .state"));
            // the list follows the pushed notices (it may be one refresh behind the pane, read just now)
            until(() ->
                    text("#service-list li[data-service='router'] .drift-badge").equals("1/4"));
            // pushed: the instance that was behind reports the current version, and the page follows
            report(instances[1], "{\"version\": 4, \"checksum\": \"" + checksum4 + "\", \"ok\": true}");
            until(() -> text("#drift tr[data-client='router-2'] .state").equals("in sync"));
            assertEquals("2/4 in sync · 1 failed · 1 never reported against v4", text("#drift-summary"));
            screenshot("06b-running-versions");
            click(By.id("tab-overview"));
            until(() -> text("#overview-services tr[data-service='router']").contains("2/4 in sync"));
            assertEquals("2/4", text("#card-drift"));
            assertEquals("1 failed · 1 never reported", text("#card-drift-sub"));
            screenshot("06c-overview-running");
        } finally {
            for (final Mqtt5BlockingClient c : instances) {
                c.disconnect();
            }
        }

        // clients: a client going offline shows without a reload, pushed by the server
        ((JavascriptExecutor) browser).executeScript("window.notReloaded = true;");
        click(By.id("tab-clients"));
        assertOnlyViewShown("clients");
        until(() -> rowText("router").contains("online"));
        routerService.disconnect();
        final long disconnected = System.nanoTime();
        until(() -> rowText("router").contains("offline"));
        assertTrue(
                System.nanoTime() - disconnected < TimeUnit.SECONDS.toNanos(10),
                "pushed: the page's own reading runs only once a minute");
        assertEquals(Boolean.TRUE, ((JavascriptExecutor) browser).executeScript("return window.notReloaded;"));
        screenshot("07-clients");

        // an admin forgets a client that is gone: its row goes, and stays gone
        click(By.cssSelector("#clients tr[data-client='router'] button.forget"));
        until(() -> browser.findElement(By.id("confirm")).isDisplayed());
        click(By.id("confirm-ok"));
        until(() -> rowText("router").isEmpty());
        Thread.sleep(2_500);
        assertEquals("", rowText("router"), "forgotten: no refresh brings it back");

        click(By.id("tab-audit"));
        assertOnlyViewShown("audit");
        until(() -> browser.findElement(By.id("audit")).getText().contains("http:ops"));
        screenshot("08-audit");

        // the dark theme, kept across a reload
        click(By.id("theme"));
        click(By.id("tab-overview"));
        assertEquals("dark", browser.findElement(By.tagName("html")).getAttribute("data-theme"));
        browser.navigate().refresh();
        until(() -> browser.findElement(By.id("view-overview")).isDisplayed());
        assertEquals("dark", browser.findElement(By.tagName("html")).getAttribute("data-theme"));
        screenshot("09-overview-dark");
        click(By.id("theme"));

        // 420 px wide: every view fits, with no horizontal scroll
        browser.manage().window().setSize(new Dimension(420, 900));
        for (final String view : new String[] {"overview", "services", "clients", "audit"}) {
            click(By.id("tab-" + view));
            assertOnlyViewShown(view);
            if (view.equals("services")) {
                click(By.cssSelector("#service-list li[data-service='router'] button"));
                until(() -> editorText().contains("router_stream_min_chars"));
            }
            final Number overflow = (Number) ((JavascriptExecutor) browser)
                    .executeScript(
                            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;");
            assertTrue(overflow.intValue() <= 0, view + " scrolls sideways by " + overflow + " px at 420 px");
            screenshot("10-narrow-" + view);
        }
        browser.manage().window().setSize(new Dimension(1400, 1000));
    }

    /** The editor's text as shown (CodeMirror renders only what is in view; these configs fit). */
    private static String editorText() {
        return (String) ((JavascriptExecutor) browser)
                .executeScript("return [...document.querySelectorAll('#editor .cm-line')].map(l => l.textContent)"
                        + ".join('\\n');");
    }

    /** The line (1-based) of the editor holding the first error mark, or 0. */
    private static int errorLine() {
        return ((Number) ((JavascriptExecutor) browser)
                        .executeScript("const mark = document.querySelector('#editor .cm-lintRange-error');"
                                + "const lines = [...document.querySelectorAll('#editor .cm-line')];"
                                + "return mark ? lines.indexOf(mark.closest('.cm-line')) + 1 : 0;"))
                .intValue();
    }

    private static String retainedChecksum() throws Exception {
        return RetainedReader.receiveJson(broker.port(), "config/updated/router")
                .get("checksum")
                .asText();
    }

    /** What an instance of the service publishes once it applied a version (SPEC §8); stored when the PUBACK comes. */
    private static void report(final Mqtt5BlockingClient instance, final String report) {
        final var sent = instance.publishWith()
                .topic("config/applied/router")
                .qos(com.hivemq.client.mqtt.datatypes.MqttQos.AT_LEAST_ONCE)
                .payload(report.getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .send();
        assertFalse(
                ((com.hivemq.client.mqtt.mqtt5.message.publish.Mqtt5PublishResult.Mqtt5Qos1Result) sent)
                        .getPubAck()
                        .getReasonCode()
                        .isError(),
                report);
    }

    private static int retainedMinChars() throws Exception {
        return RetainedReader.receiveJson(broker.port(), "config/updated/router")
                .get("config")
                .get("router_stream_min_chars")
                .asInt();
    }

    /**
     * The text a person sees in the first element {@code css} selects. A pushed notice re-renders a pane between
     * finding an element and reading it (the element found is then gone): read again from the page as it is now.
     */
    private static String text(final String css) {
        for (int attempt = 1; ; attempt++) {
            try {
                final var found = browser.findElements(By.cssSelector(css));
                return found.isEmpty() ? "" : found.get(0).getText();
            } catch (final StaleElementReferenceException e) {
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    /**
     * What a person sees after choosing a tab: that view, at the top of the window, and no other view (a view kept on
     * screen by a display rule pushed the chosen one below the fold).
     */
    private static void assertOnlyViewShown(final String view) {
        until(() -> browser.findElement(By.id("view-" + view)).isDisplayed());
        for (final String v : new String[] {"overview", "services", "clients", "audit"}) {
            assertEquals(
                    v.equals(view),
                    browser.findElement(By.id("view-" + v)).isDisplayed(),
                    "view " + v + " shown after choosing " + view);
        }
        final Number top = (Number) ((JavascriptExecutor) browser)
                .executeScript(
                        "return document.getElementById('view-' + arguments[0]).getBoundingClientRect().top;", view);
        assertTrue(top.doubleValue() < 200, "the chosen view starts at the top of the window, not at " + top);
    }

    /** Clicks what {@code by} finds, finding it again if a re-render replaced it in between. */
    private static void click(final By by) {
        until(() -> {
            browser.findElement(by).click();
            return true;
        });
    }

    private static String rowText(final String client) {
        return text("#clients tr[data-client='" + client + "']");
    }

    private static void until(final java.util.function.BooleanSupplier condition) {
        // The page re-renders a list when the server says it changed: an element found a moment ago may be replaced.
        try {
            new WebDriverWait(browser, Duration.ofSeconds(15))
                    .ignoring(StaleElementReferenceException.class)
                    .until(driver -> condition.getAsBoolean());
        } catch (final org.openqa.selenium.TimeoutException e) {
            try {
                screenshot("failed-here"); // what the page showed when the wait gave up
            } catch (final Exception ignored) {
                // the failure below tells
            }
            throw e;
        }
    }

    private static void screenshot(final String name) throws Exception {
        final File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
