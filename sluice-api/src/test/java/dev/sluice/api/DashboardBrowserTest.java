package dev.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.WorkerState;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * The dashboard in a real (headless) browser against {@link FakeCluster}: the page, its scripts and its
 * styles as the jar serves them, and the API's real response shapes with a scripted drain behind them.
 * Skipped, saying why, when Debian's chromium or chromedriver is not installed. Screenshots go to
 * {@code target/screenshots/}.
 */
class DashboardBrowserTest {

    /** Polls faster than the default second so that the scripted drain plays out in a few seconds. */
    private static final String FAST = "/?poll=300";

    private FakeCluster cluster;
    private BrowserSession browser;

    @BeforeEach
    void start() {
        BrowserSession.assumeAvailable();
        cluster = new FakeCluster();
        browser = BrowserSession.start();
    }

    @AfterEach
    void stop() {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    private WebDriver driver() {
        return browser.driver();
    }

    private static String card(String node) {
        return "[data-testid=worker-card][data-node=" + node + "]";
    }

    private int progress(String attribute) {
        String value = driver().findElement(By.cssSelector("[data-testid=drain-progress][data-node=N1]")).getAttribute(attribute);
        return value == null ? -1 : Integer.parseInt(value);
    }

    @Test
    void aDrainThroughTheDashboardShowsItsPlanThenItsProgressUntilTheWorkerIsDisabled() {
        int replicas = cluster.replicasOf(1);
        browser.open(cluster.baseUrl() + FAST + "#token=" + FakeCluster.TOKEN);

        WebElement n1 = browser.visible("#group-active " + card("N1"));
        assertThat(n1.findElement(By.cssSelector("[data-testid=state-badge]")).getText()).isEqualToIgnoringCase("active");
        assertThat(n1.findElement(By.cssSelector("[data-testid=replica-count]")).getText()).isEqualTo(String.valueOf(replicas));
        assertThat(driver().getCurrentUrl()).as("the token leaves the address bar").doesNotContain("token");
        WebElement dead = browser.visible(card("N5"));
        assertThat(dead.getAttribute("data-alive")).isEqualTo("false");
        assertThat(dead.getAttribute("class")).contains("dead");
        assertThat(dead.findElement(By.cssSelector("[data-testid=liveness]")).getText()).contains("dead");
        assertThat(driver().findElements(By.cssSelector("#partition-map .cell.replica[data-node=N1]"))).hasSize(replicas);
        assertThat(driver().findElements(By.cssSelector("#partition-map .cell.leader"))).hasSize(FakeCluster.PARTITIONS);
        assertThat(driver().findElement(By.cssSelector("#partition-map .row-head[data-node=N1] [data-testid=map-row-label]")).getText())
                .as("a map row names its worker as every surface does").isEqualTo("N1 (worker-1)");
        assertThat(driver().findElements(By.cssSelector("#events [data-testid=event][data-kind=node-dead]"))).hasSize(1);

        // Drain: the dry-run plan comes first, and nothing is written until the operator confirms.
        n1.findElement(By.cssSelector("[data-testid=drain-button]")).click();
        WebElement dialog = browser.visible("#drain-dialog");
        browser.until(d -> "planned".equals(dialog.getAttribute("data-phase")));
        List<WebElement> moves = dialog.findElements(By.cssSelector("[data-testid=dry-run-move]"));
        assertThat(moves).hasSize(replicas);
        assertThat(moves.getFirst().getText()).as("nodes named as on every surface").matches("P0\\s+N1 \\([^)]+\\)\\s+N[234] \\([^)]+\\)");
        assertThat(dialog.findElements(By.cssSelector("[data-testid=dry-run-leader]"))).isNotEmpty();
        assertThat(dialog.findElement(By.cssSelector("[data-testid=dry-run-verdict]")).getText()).startsWith("Allowed");
        assertThat(dialog.findElement(By.cssSelector("[data-testid=dry-run-warnings]")).getText()).contains("N5 is dead");
        WebElement confirm = dialog.findElement(By.cssSelector("[data-testid=confirm-button]"));
        assertThat(confirm.isEnabled()).as("no drain without a reason").isFalse();
        assertThat(cluster.received()).singleElement().satisfies(r -> {
            assertThat(r.request().dryRun()).isTrue();
            assertThat(r.authorization()).isEqualTo("Bearer " + FakeCluster.TOKEN);
        });
        assertThat(cluster.state(1)).isEqualTo(WorkerState.ACTIVE);
        browser.screenshot("dashboard-drain-dry-run");

        dialog.findElement(By.cssSelector("[data-testid=reason-input]")).sendKeys("kernel upgrade");
        browser.until(d -> confirm.isEnabled());
        confirm.click();
        browser.until(d -> !dialog.isDisplayed());
        assertThat(cluster.received()).hasSize(2).last().satisfies(r -> {
            assertThat(r.request().dryRun()).isFalse();
            assertThat(r.request().state()).isEqualTo(WorkerState.DRAINING);
            assertThat(r.request().reason()).isEqualTo("kernel upgrade");
            assertThat(r.request().force()).isFalse();
        });

        // Progress: the bar advances, a move is visible on the map as it happens, a stall says why.
        browser.visible("#group-draining " + card("N1"));
        List<Integer> seen = new ArrayList<>();
        browser.until(d -> {
            int now = progress("aria-valuenow");
            seen.add(now);
            return now > 0 && now < replicas && progress("aria-valuemax") == replicas;
        });
        browser.visible("#partition-map .cell.leaving[data-node=N1]");
        assertThat(driver().findElements(By.cssSelector("#partition-map .cell.joining"))).isNotEmpty();
        WebElement stalled = browser.visible("[data-testid=drain-panel][data-node=N1] [data-testid=stalled-partitions] li");
        assertThat(stalled.getText()).contains("catch-up-not-advancing").contains("has not caught up");
        browser.screenshot("dashboard-drain");

        // Done: the worker is disabled and the bar is full.
        browser.until(d -> {
            seen.add(progress("aria-valuenow"));
            return d.findElements(By.cssSelector("#group-disabled " + card("N1"))).isEmpty() ? null : true;
        });
        browser.until(d -> progress("aria-valuenow") == replicas);
        seen.add(progress("aria-valuenow"));
        assertThat(seen).as("the bar only moves forward").isSorted();
        assertThat(seen.stream().distinct().count()).as("the bar moved in steps, not at once").isGreaterThan(3);
        assertThat(driver().findElement(By.cssSelector(card("N1") + " [data-testid=state-badge]")).getText()).isEqualToIgnoringCase("disabled");
        assertThat(driver().findElement(By.cssSelector("[data-testid=drain-panel][data-node=N1] [data-testid=drain-remaining]")).getText())
                .isEqualTo(replicas + "/" + replicas + " moved");
        // The map is drawn from the partitions poll, which may come a moment after the nodes poll.
        browser.until(d -> d.findElements(By.cssSelector("#partition-map .cell[data-node=N1].replica, #partition-map .cell[data-node=N1].leaving"))
                .isEmpty() ? true : null);
        browser.until(d -> d.findElements(By.cssSelector("#events [data-testid=event][data-kind=drain-completed]")).isEmpty() ? null : true);
        assertThat(driver().findElements(By.cssSelector("#events [data-testid=event][data-kind=drain-completed]"))).hasSize(1);
        assertThat(driver().findElements(By.cssSelector("#events [data-testid=event][data-kind=partition-moved]"))).hasSize(replicas);
        assertThat(cluster.state(1)).isEqualTo(WorkerState.DISABLED);
        browser.screenshot("dashboard-drain-completed");
        assertThat(browser.consoleErrors()).isEmpty();
    }

    /**
     * The client-impact panel shows the controller's numbers, and says so while there are none; a stalled partition
     * says how long it has been stuck by the server's clock (the fake's runs in 2025); the draining worker's long name
     * is shown whole on its card and on its drain.
     */
    @Test
    void clientImpactHowLongAStallHasLastedAndALongNameAreShownInFull() throws Exception {
        cluster.holdStall(Duration.ofSeconds(80));
        browser.open(cluster.baseUrl() + FAST);

        WebElement unknown = browser.visible("[data-testid=client-unknown]");
        browser.until(d -> unknown.getText().equals("Not known yet: no controller has published client numbers."));
        assertThat(driver().findElement(By.cssSelector("[data-testid=client-requests]")).isDisplayed()).as("no zeros that look healthy").isFalse();
        cluster.reportClients(true);
        // The panel's rows are drawn anew on every poll: each check looks its element up until it shows the text.
        shows("[data-testid=client-requests]", "240.0/s");
        browser.until(d -> !d.findElement(By.cssSelector("[data-testid=client-unknown]")).isDisplayed());
        shows("[data-testid=client-errors]", "0.5/s (0.21 %)");
        shows("[data-testid=client-p99]", "10 ms");
        shows("[data-testid=client-window]", "last 10 s");
        shows("[data-testid=client-node][data-node=N1]", "N1 (worker-1) 61.5/s 0.5/s (0.81 %) 12.1 ms");
        shows("[data-testid=client-node][data-node=N6]", "N6 (worker-6) 0.0/s none —");
        shows("[data-testid=client-not-reporting]", "Not reporting: N7");

        WebElement name = browser.visible(card("N4") + " .node-name");
        assertThat(name.getText()).isEqualTo(FakeCluster.LONG_NAME);
        assertNotCut(name);

        HttpResponse<String> drained = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(cluster.baseUrl() + "/api/v1/nodes/N4/state"))
                .header("Authorization", "Bearer " + FakeCluster.TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"state\": \"draining\", \"reason\": \"disk swap\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(drained.statusCode()).as(drained.body()).isEqualTo(200);

        String drain = "[data-testid=drain-panel][data-node=N4]";
        // The script stops once the stall has lasted 80 s; the list is drawn anew on every poll, so it is looked up each time.
        browser.until(d -> d.findElements(By.cssSelector(drain + " [data-testid=stuck-for]")).stream()
                .anyMatch(stuck -> stuck.getText().equals("stuck for 1 min 20 s")));
        assertThat(driver().findElement(By.cssSelector(drain + " [data-testid=stuck-for]")).getAttribute("data-seconds")).isEqualTo("80");
        shows(drain + " .badge", "stalled 1 min 20 s");
        WebElement title = driver().findElement(By.cssSelector(drain + " .drain-title"));
        assertThat(title.getText()).isEqualTo("N4 " + FakeCluster.LONG_NAME);
        assertNotCut(title);
        WebElement draining = browser.visible("#group-draining " + card("N4") + " .node-name");
        assertThat(draining.getText()).isEqualTo(FakeCluster.LONG_NAME);
        assertNotCut(draining);
        browser.screenshot("dashboard-client-impact-and-stall");
        assertThat(browser.consoleErrors()).isEmpty();
    }

    /** Waits until the element {@code css} selects shows {@code expected} (in any case); fails saying what it showed. */
    private void shows(String css, String expected) {
        String[] shown = {null};
        try {
            browser.until(d -> {
                shown[0] = d.findElement(By.cssSelector(css)).getText();
                return expected.equalsIgnoreCase(shown[0]);
            });
        } catch (org.openqa.selenium.TimeoutException timedOut) {
            throw new AssertionError(css + " shows '" + shown[0] + "', not '" + expected + "'", timedOut);
        }
    }

    /** Nothing of {@code element}'s text is hidden: it does not overflow its own box, nor its card or panel. */
    private void assertNotCut(WebElement element) {
        JavascriptExecutor js = (JavascriptExecutor) driver();
        assertThat((Boolean) js.executeScript("const e = arguments[0]; return e.scrollWidth <= e.clientWidth && e.scrollHeight <= e.clientHeight;",
                element)).as("%s fits its own box", element.getText()).isTrue();
        assertThat((Boolean) js.executeScript("const e = arguments[0]; const box = e.getBoundingClientRect();"
                + " const outer = e.closest('.card, .drain').getBoundingClientRect();"
                + " return box.left >= outer.left && box.right <= outer.right;", element))
                .as("%s stays inside its card or panel", element.getText()).isTrue();
    }

    @Test
    void aWrongTokenAndARefusalAreShownWithTheServersMessage() {
        browser.open(cluster.baseUrl() + FAST);
        WebElement n2 = browser.visible("#group-active " + card("N2"));
        WebElement tokenStatus = driver().findElement(By.id("token-status"));
        assertThat(tokenStatus.getText()).isEqualTo("no token");
        driver().findElement(By.id("token-input")).sendKeys("not-the-token");
        driver().findElement(By.id("token-save")).click();
        assertThat(tokenStatus.getText()).isEqualTo("token saved");

        n2.findElement(By.cssSelector("[data-testid=disable-button]")).click();
        WebElement dialog = browser.visible("#action-dialog");
        assertThat(dialog.getText()).contains("Drain first");
        dialog.findElement(By.cssSelector("[data-testid=action-reason-input]")).sendKeys("hardware swap");
        WebElement confirm = dialog.findElement(By.cssSelector("[data-testid=action-confirm-button]"));
        WebElement error = dialog.findElement(By.cssSelector("[data-testid=action-error]"));
        confirm.click();
        browser.until(d -> error.isDisplayed() && error.getText().contains("the token is wrong"));
        assertThat(browser.visible("#auth-banner").getText()).contains("the token is wrong");
        assertThat(cluster.received()).last().satisfies(r -> assertThat(r.authorization()).isEqualTo("Bearer not-the-token"));

        // The page behind a modal dialog is inert, so the dialog asks for the token itself; the server then
        // refuses a plain disable of an active worker, and the dialog shows its words.
        WebElement token = dialog.findElement(By.cssSelector("[data-testid=dialog-token-input]"));
        assertThat(token.isDisplayed()).isTrue();
        token.clear();
        token.sendKeys(FakeCluster.TOKEN);
        confirm.click();
        browser.until(d -> error.getText().contains("needs-force"));
        assertThat(error.getText()).contains("drain first: disabling an active worker drops its replicas at once").contains("with force: disabled");
        assertThat(tokenStatus.getText()).isEqualTo("token saved");
        assertThat(cluster.state(2)).isEqualTo(WorkerState.ACTIVE);
        browser.screenshot("dashboard-refusal");

        // With force it goes through, and the card moves.
        dialog.findElement(By.cssSelector("[data-testid=action-force-checkbox]")).click();
        confirm.click();
        browser.until(d -> !dialog.isDisplayed());
        browser.visible("#group-disabled " + card("N2"));
        assertThat(cluster.received()).last().satisfies(r -> {
            assertThat(r.authorization()).isEqualTo("Bearer " + FakeCluster.TOKEN);
            assertThat(r.request().force()).isTrue();
            assertThat(r.request().reason()).isEqualTo("hardware swap");
        });
        assertThat(browser.visible("#notice").getText()).contains("N2: now disabled");
        assertThat(driver().findElement(By.id("auth-banner")).isDisplayed()).isFalse();

        // The token outlives a reload.
        driver().navigate().refresh();
        browser.visible(card("N2"));
        assertThat(driver().findElement(By.id("token-input")).getDomProperty("value")).isEqualTo(FakeCluster.TOKEN);
        assertThat(browser.consoleErrors()).isEmpty();
    }

    @Test
    void anUnreachableClusterIsAnnouncedAndTheNoticeClearsWhenItAnswersAgain() {
        browser.open(cluster.baseUrl() + FAST);
        browser.visible(card("N1"));
        WebElement banner = driver().findElement(By.id("unreachable-banner"));
        assertThat(banner.isDisplayed()).isFalse();

        cluster.metadataDown(true);
        browser.until(d -> banner.isDisplayed());
        assertThat(banner.getText()).contains("metadata store does not").contains("connection to 127.0.0.1:2181 lost");
        cluster.metadataDown(false);
        browser.until(d -> !banner.isDisplayed());

        cluster.stopServer();
        browser.until(d -> banner.isDisplayed() && banner.getText().startsWith("Cannot reach the cluster"));
        assertThat(banner.getText()).contains("is not updating");
        assertThat(driver().findElements(By.cssSelector("[data-testid=worker-card]"))).as("the last view stays, dimmed").hasSize(7);
        assertThat(driver().findElement(By.tagName("body")).getAttribute("class")).contains("stale");
        browser.screenshot("dashboard-unreachable");
        assertThat(browser.consoleErrors()).isEmpty();
    }
}
