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
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console page in headless Chromium (Debian's chromium and chromedriver, installed by .ci/run): sign in, an inline
 * schema error, fix and save, diff, rollback, a client going offline, the audit view. Screenshots of each main view go
 * to target/screenshots/ for review.
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
            assertTrue(seed.send("set", "router", "{\"config\": {\"router_stream_min_chars\": 30}}")
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
    void operatorEditsValidatesSavesDiffsRollsBackAndSeesAClientGoOffline() throws Exception {
        browser.get("http://127.0.0.1:" + PORT + "/");
        screenshot("01-sign-in");
        browser.findElement(By.id("token")).sendKeys(TOKEN);
        click(By.id("signin-button"));
        until(() -> !browser.findElements(By.cssSelector("#service-list li[data-service='router']"))
                .isEmpty());
        click(By.cssSelector("#service-list li[data-service='router']"));
        until(() -> browser.findElement(By.id("editor")).getAttribute("value").contains("30"));
        until(() -> browser.findElement(By.cssSelector("#service-list li[data-service='router'] .dot"))
                .getAttribute("class")
                .contains("online"));
        screenshot("02-services");

        edit("{\"router_stream_min_chars\": 5000}");
        until(() -> browser.findElement(By.id("editor-errors")).getText().contains("/router_stream_min_chars"));
        assertTrue(!browser.findElement(By.id("save")).isEnabled(), "an invalid config cannot be saved");
        screenshot("03-inline-schema-error");

        edit("{\"router_stream_min_chars\": 40}");
        until(() -> browser.findElement(By.id("editor-errors")).getText().isEmpty()
                && browser.findElement(By.id("save")).isEnabled());
        click(By.id("save"));
        until(() -> browser.findElement(By.id("service-version")).getText().equals("2"));
        assertEquals(
                40,
                RetainedReader.receiveJson(broker.port(), "config/updated/router")
                        .get("config")
                        .get("router_stream_min_chars")
                        .asInt());

        click(By.cssSelector("#history tr[data-version='2'] button.diff"));
        until(() -> browser.findElement(By.id("diff-rows")).getText().contains("/router_stream_min_chars"));
        final String diff = browser.findElement(By.id("diff-rows")).getText();
        assertTrue(diff.contains("30") && diff.contains("40"), diff);
        assertEquals(
                2, browser.findElements(By.cssSelector("#history tbody tr")).size(), "one row per version");
        screenshot("04-history-and-diff");

        click(By.cssSelector("#history tr[data-version='1'] button.roll-back"));
        until(() -> browser.findElement(By.id("service-version")).getText().equals("3"));
        assertEquals(
                30,
                RetainedReader.receiveJson(broker.port(), "config/updated/router")
                        .get("config")
                        .get("router_stream_min_chars")
                        .asInt(),
                "one-click rollback published version 1's content");

        click(By.cssSelector("#tabs button[data-view='clients']"));
        assertOnlyViewShown("clients");
        until(() -> rowText("router").contains("online"));
        routerService.disconnect();
        until(() -> rowText("router").contains("offline")); // no reload: the page follows the broker
        screenshot("05-clients");

        // an admin forgets a client that is gone: its row goes, and stays gone after the next refresh
        click(By.cssSelector("#clients tr[data-client='router'] button.forget"));
        browser.switchTo().alert().accept();
        until(() -> rowText("router").isEmpty());
        Thread.sleep(2_500);
        assertEquals("", rowText("router"), "forgotten: the refresh does not bring it back");

        click(By.cssSelector("#tabs button[data-view='audit']"));
        assertOnlyViewShown("audit");
        until(() -> browser.findElement(By.id("audit")).getText().contains("http:ops"));
        screenshot("06-audit");
    }

    /**
     * What a person sees after choosing a tab: that view, at the top of the window, and no other view (a view kept on
     * screen by a display rule pushed the chosen one below the fold).
     */
    private static void assertOnlyViewShown(final String view) {
        for (final String v : new String[] {"services", "clients", "audit"}) {
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
        final var rows = browser.findElements(By.cssSelector("#clients tr[data-client='" + client + "']"));
        return rows.isEmpty() ? "" : rows.get(0).getText();
    }

    private static void edit(final String text) {
        final WebElement editor = browser.findElement(By.id("editor"));
        ((JavascriptExecutor) browser)
                .executeScript(
                        "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'));",
                        editor,
                        text);
    }

    private static void until(final java.util.function.BooleanSupplier condition) {
        // The page re-renders its lists every 2 s: an element found a moment ago may have been replaced.
        new WebDriverWait(browser, Duration.ofSeconds(15))
                .ignoring(StaleElementReferenceException.class)
                .until(driver -> condition.getAsBoolean());
    }

    private static void screenshot(final String name) throws Exception {
        final File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
        Files.copy(shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    }
}
