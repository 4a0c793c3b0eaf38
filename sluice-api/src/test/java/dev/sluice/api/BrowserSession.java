package dev.sluice.api;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * A headless Debian {@code chromium} driven through Debian's {@code chromedriver}, for the dashboard's
 * browser tests. It never downloads a browser or a driver: {@link #assumeAvailable()} skips the calling
 * test (and prints why) when either binary is missing, and both paths are given to Selenium so that its
 * driver manager is never asked. Each session gets a fresh profile directory, deleted on {@link #close()},
 * and a 1366×768 window (the laptop screen the dashboard is laid out for). Screenshots go to
 * {@code target/screenshots/}.
 *
 * <pre>{@code
 * BrowserSession.assumeAvailable();
 * try (BrowserSession browser = BrowserSession.start()) {
 *     browser.open(base + "/");
 *     browser.until(d -> d.findElement(By.cssSelector("[data-testid=worker-card][data-node=N1]")));
 *     browser.screenshot("dashboard");
 * }
 * }</pre>
 */
public final class BrowserSession implements AutoCloseable {

    public static final Path CHROMIUM = Path.of(System.getProperty("sluice.test.chromium", "/usr/bin/chromium"));
    public static final Path CHROMEDRIVER = Path.of(System.getProperty("sluice.test.chromedriver", "/usr/bin/chromedriver"));
    public static final Path SCREENSHOTS = Path.of("target", "screenshots");
    /** How long an explicit wait polls before it fails. */
    public static final Duration WAIT = Duration.ofSeconds(20);
    private static final Dimension WINDOW = new Dimension(1366, 768);
    private static final Duration PAGE_LOAD_TIMEOUT = Duration.ofSeconds(20);

    private final WebDriver driver;
    private final ChromeDriverService service;
    private final Path profile;

    private BrowserSession(WebDriver driver, ChromeDriverService service, Path profile) {
        this.driver = driver;
        this.service = service;
        this.profile = profile;
    }

    /** Skips the calling test, saying why, unless both Debian's chromium and its chromedriver are installed. */
    public static void assumeAvailable() {
        String missing = Stream.of(CHROMIUM, CHROMEDRIVER).filter(p -> !Files.isExecutable(p)).map(Path::toString)
                .reduce((a, b) -> a + " and " + b).orElse(null);
        if (missing != null) {
            String why = "browser test skipped: " + missing + " missing; install Debian's browser with "
                    + "'apt-get install -y chromium chromium-driver' (this test never downloads one)";
            System.out.println(why);
            System.err.println(why);
        }
        Assumptions.assumeTrue(missing == null, () -> "browser test skipped: " + missing + " missing");
    }

    /** Starts a headless browser with a fresh profile. */
    public static BrowserSession start() {
        Path profile;
        try {
            profile = Files.createTempDirectory("sluice-chromium-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments(List.of("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
                "--user-data-dir=" + profile, "--window-size=" + WINDOW.getWidth() + "," + WINDOW.getHeight(), "--lang=en-GB"));
        LoggingPreferences logging = new LoggingPreferences();
        logging.enable(LogType.BROWSER, Level.ALL);
        options.setCapability(ChromeOptions.LOGGING_PREFS, logging);
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort()
                .build();
        WebDriver driver;
        try {
            driver = new ChromeDriver(service, options);
        } catch (RuntimeException e) {
            service.stop();
            deleteQuietly(profile);
            throw e;
        }
        driver.manage().timeouts().pageLoadTimeout(PAGE_LOAD_TIMEOUT);
        driver.manage().window().setSize(WINDOW);
        return new BrowserSession(driver, service, profile);
    }

    public WebDriver driver() {
        return driver;
    }

    public void open(String url) {
        driver.get(url);
    }

    /**
     * Makes the page's local time zone {@code zone} (an IANA id such as {@code Asia/Kolkata}) whatever the machine's
     * is, so that a test can say which clock time the page shows. Call it before {@link #open}.
     */
    public void timeZone(String zone) {
        ((ChromeDriver) driver).executeCdpCommand("Emulation.setTimezoneOverride", Map.of("timezoneId", zone));
    }

    /**
     * Waits (polling, never sleeping blindly) until {@code condition} returns something other than null
     * or false; element lookups that miss or go stale count as "not yet".
     */
    public <T> T until(Function<WebDriver, T> condition) {
        return until(WAIT, condition);
    }

    public <T> T until(Duration timeout, Function<WebDriver, T> condition) {
        return new WebDriverWait(driver, timeout, Duration.ofMillis(100))
                .ignoring(StaleElementReferenceException.class)
                .until(condition::apply);
    }

    /** The element matching a CSS selector, waiting until it is there and displayed. */
    /** Waits until the element {@code css} selects shows {@code expected} (in any case); fails saying what it showed. */
    public void shows(String css, String expected) {
        String[] shown = {null};
        try {
            until(d -> {
                shown[0] = d.findElement(By.cssSelector(css)).getText();
                return expected.equalsIgnoreCase(shown[0]);
            });
        } catch (org.openqa.selenium.TimeoutException timedOut) {
            throw new AssertionError(css + " shows '" + shown[0] + "', not '" + expected + "'", timedOut);
        }
    }

    public WebElement visible(String css) {
        return until(d -> d.findElements(By.cssSelector(css)).stream().filter(WebElement::isDisplayed).findFirst().orElse(null));
    }

    /**
     * The page's console errors since the last call: script errors, content-security-policy violations and
     * the like. Failed requests are left out, since tests provoke 401s, 409s and refused connections.
     */
    public List<String> consoleErrors() {
        return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
                .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue())
                .map(LogEntry::getMessage)
                .filter(message -> !message.contains("Failed to load resource"))
                .toList();
    }

    /** Saves a PNG of the viewport as {@code target/screenshots/<name>.png} and returns its path. */
    public Path screenshot(String name) {
        try {
            Files.createDirectories(SCREENSHOTS);
            Path file = SCREENSHOTS.resolve(name + ".png");
            byte[] png = ((ChromeDriver) driver).getScreenshotAs(OutputType.BYTES);
            Files.write(file, png);
            System.out.println("screenshot saved: " + file.toAbsolutePath());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Quits the browser and its driver and deletes the profile; safe to call after a failure. */
    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            service.stop();
            deleteQuietly(profile);
        }
    }

    private static void deleteQuietly(Path directory) {
        try (Stream<Path> paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException ignored) {
            // A leftover temporary profile is harmless; the test's outcome matters more.
        }
    }
}
