package dev.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.Maintenance;
import dev.sluice.model.WorkerState;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
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
    static final String FAST = "/?poll=300";
    /**
     * The page's time zone in the tests that read clock times: not UTC, and half an hour off, so that a time shown in
     * UTC, or with the minutes of another zone, fails.
     */
    static final ZoneId PAGE_ZONE = ZoneId.of("Asia/Kolkata");
    /** The partitions whose replica sets hold both N1 and N5 (N4 N5 N1 and N5 N1 N2): with both away, they lose their majority. */
    static final String N1_AND_N5_SHARE = String.join(" ",
            IntStream.range(0, FakeCluster.PARTITIONS).filter(p -> p % 5 == 3 || p % 5 == 4).mapToObj(p -> "P" + p).toList());

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

    static String card(String node) {
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
        browser.shows("[data-testid=client-requests]", "240.0/s");
        browser.until(d -> !d.findElement(By.cssSelector("[data-testid=client-unknown]")).isDisplayed());
        browser.shows("[data-testid=client-errors]", "0.5/s (0.21 %)");
        browser.shows("[data-testid=client-p99]", "10 ms");
        browser.shows("[data-testid=client-window]", "last 10 s");
        browser.shows("[data-testid=client-node][data-node=N1]", "N1 (worker-1) 61.5/s 0.5/s (0.81 %) 12.1 ms");
        browser.shows("[data-testid=client-node][data-node=N6]", "N6 (worker-6) 0.0/s none —");
        browser.shows("[data-testid=client-not-reporting]", "Not reporting: N7");

        WebElement name = browser.visible(card("N4") + " .node-name");
        assertThat(name.getText()).isEqualTo(FakeCluster.LONG_NAME);
        assertNotCut(name);

        HttpResponse<String> drained = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(cluster.baseUrl() + "/api/v1/nodes/N4/state"))
                .header("Authorization", "Bearer " + FakeCluster.TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"state\": \"draining\", \"reason\": \"disk swap\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(drained.statusCode()).as(drained.body()).isEqualTo(200);

        String drain = "[data-testid=drain-panel][data-node=N4]";
        // The script stops once the stall has lasted 80 s; the list is drawn anew on every poll, so it is looked up each time,
        // and its text and seconds are read from the same lookup (an element found before a redraw is stale after it).
        browser.until(d -> d.findElements(By.cssSelector(drain + " [data-testid=stuck-for]")).stream()
                .anyMatch(stuck -> stuck.getText().equals("stuck for 1 min 20 s") && "80".equals(stuck.getAttribute("data-seconds"))));
        browser.shows(drain + " .badge", "stalled 1 min 20 s");
        WebElement title = driver().findElement(By.cssSelector(drain + " .drain-title"));
        assertThat(title.getText()).isEqualTo("N4 " + FakeCluster.LONG_NAME);
        assertNotCut(title);
        WebElement draining = browser.visible("#group-draining " + card("N4") + " .node-name");
        assertThat(draining.getText()).isEqualTo(FakeCluster.LONG_NAME);
        assertNotCut(draining);
        browser.screenshot("dashboard-client-impact-and-stall");
        assertThat(browser.consoleErrors()).isEmpty();
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

    /** The map of a cluster larger than it shows says so: the first partitions, of how many. */
    @Test
    void theMapOfALargerClusterSaysItShowsTheFirstPartitions() {
        browser.open(cluster.baseUrl() + FAST);
        browser.visible("#partition-map .col-head[data-partition=P31]");
        assertThat(driver().findElement(By.cssSelector("[data-testid=map-note]")).isDisplayed()).as("every partition shown").isFalse();

        cluster.claimPartitions(1_000_000);
        browser.shows("[data-testid=map-note]", "The first " + FakeCluster.PARTITIONS + " of 1000000 partitions.");
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

    /**
     * Maintenance from a worker's card: the server's dry-run comes first — refused, with the partitions at risk, while
     * N5 is dead; once N5 is back, allowed for N5, with the leaderships that would leave it and a warning — then the
     * request with the token, a badge saying until when and why, and its end, a DELETE, after which the card says how
     * it ended.
     */
    @Test
    void maintenanceShowsTheServersDryRunThenABadgeUntilItIsEnded() {
        browser.timeZone(PAGE_ZONE.getId());
        browser.open(cluster.baseUrl() + FAST + "#token=" + FakeCluster.TOKEN);

        // N1 shares partitions with the dead N5 (those whose set is N4 N5 N1 or N5 N1 N2): without N1 too, they lose their majority.
        WebElement n1 = browser.visible("#group-active " + card("N1"));
        assertThat(n1.findElement(By.cssSelector("[data-testid=maintenance-badge]")).isDisplayed()).isFalse();
        n1.findElement(By.cssSelector("[data-testid=maintenance-button]")).click();
        WebElement dialog = browser.visible("#maintenance-dialog");
        browser.until(d -> "planned".equals(dialog.getAttribute("data-phase")));
        assertThat(dialog.getAttribute("data-allowed")).isEqualTo("false");
        assertThat(dialog.findElement(By.cssSelector("[data-testid=maintenance-verdict]")).getText())
                .startsWith("Would be refused: N1 (worker-1) cannot go into maintenance now: 12 partitions would be at risk");
        // Twelve partitions at risk for one reason read as one line, as the server groups them.
        WebElement atRisk = dialog.findElement(By.cssSelector("[data-testid=maintenance-blocking] li[data-partitions]"));
        assertThat(atRisk.getAttribute("data-partitions")).isEqualTo(N1_AND_N5_SHARE);
        assertThat(atRisk.getText()).isEqualTo("P3–P4, P8–P9, P13–P14, P18–P19, P23–P24, P28–P29 (12) would-lose-majority: would keep 1 of its 3"
                + " replicas, fewer than the 2 a majority needs, so its writes would stop (N5 (worker-5) already away: dead or in maintenance)");
        assertThat(dialog.findElements(By.cssSelector("[data-testid=maintenance-blocking] li"))).hasSize(1);
        WebElement confirm = dialog.findElement(By.cssSelector("[data-testid=maintenance-confirm-button]"));
        dialog.findElement(By.cssSelector("[data-testid=maintenance-reason-input]")).sendKeys("kernel patch");
        assertThat(confirm.isEnabled()).as("refused unless forced").isFalse();
        assertThat(dialog.findElement(By.cssSelector("[data-testid=maintenance-force-checkbox]")).isDisplayed()).isTrue();
        assertThat(cluster.maintenanceReceived()).singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.node()).isEqualTo("N1");
            assertThat(r.request().dryRun()).isTrue();
            assertThat(r.authorization()).isEqualTo("Bearer " + FakeCluster.TOKEN);
        });
        browser.screenshot("dashboard-maintenance-refused");
        dialog.findElement(By.id("maintenance-cancel")).click();
        browser.until(d -> !dialog.isDisplayed());
        assertThat(cluster.maintenanceOf(1)).isEmpty();

        // N5 back: its maintenance is allowed; its leaderships would leave, no replica moves, and a partition would be left in one zone.
        cluster.bringBack(5);
        int leads = cluster.leadershipsOf(5);
        browser.visible(card("N5") + "[data-alive=true] [data-testid=maintenance-button]").click();
        browser.until(d -> "planned".equals(dialog.getAttribute("data-phase")) && "true".equals(dialog.getAttribute("data-allowed")));
        assertThat(dialog.findElement(By.cssSelector("[data-testid=maintenance-verdict]")).getText())
                .startsWith("Allowed: 0 replica moves and " + leads + " leadership changes off N5 (worker-5).");
        List<WebElement> leaderships = dialog.findElements(By.cssSelector("[data-testid=maintenance-leader]"));
        assertThat(leaderships).hasSize(leads);
        assertThat(leaderships.getFirst().getText()).as("nodes named as on every surface").matches("P4\\s+N5 \\(worker-5\\)\\s+N1 \\(worker-1\\)");
        assertThat(dialog.findElement(By.cssSelector("[data-testid=maintenance-warnings]")).getText()).contains("would-leave-one-zone");
        assertThat(dialog.findElement(By.cssSelector("[data-testid=maintenance-blocking]")).isDisplayed()).isFalse();
        WebElement minutes = dialog.findElement(By.cssSelector("[data-testid=maintenance-minutes-input]"));
        minutes.clear();
        minutes.sendKeys("45");
        assertThat(confirm.isEnabled()).as("no maintenance without a reason").isFalse();
        dialog.findElement(By.cssSelector("[data-testid=maintenance-reason-input]")).sendKeys("kernel patch");
        browser.until(d -> confirm.isEnabled());
        confirm.click();
        browser.until(d -> !dialog.isDisplayed());
        assertThat(cluster.maintenanceReceived()).last().satisfies(r -> {
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.node()).isEqualTo("N5");
            assertThat(r.authorization()).isEqualTo("Bearer " + FakeCluster.TOKEN);
            assertThat(r.request()).isEqualTo(new AdminApi.MaintenanceRequest(Duration.ofMinutes(45), "kernel patch", false, false));
        });

        // The badge says until when, in the browser's time zone, and why; the worker's leaderships leave it.
        Maintenance intent = cluster.maintenanceOf(5).orElseThrow();
        String until = DateTimeFormatter.ofPattern("HH:mm").format(intent.until().atZone(PAGE_ZONE));
        browser.shows(card("N5") + " [data-testid=maintenance-badge]", "MAINTENANCE until " + until + " (kernel patch)");
        assertThat(browser.visible("#notice").getText()).contains("N5 (worker-5) is in maintenance until " + until);
        WebElement n5 = driver().findElement(By.cssSelector("#group-active " + card("N5")));
        assertThat(n5.getAttribute("class")).contains("in-maintenance");
        assertThat(n5.getAttribute("data-maintenance")).isEqualTo("active");
        browser.shows(card("N5") + " [data-testid=leader-count]", "0");
        assertThat(driver().findElement(By.cssSelector("#partition-map .row-head[data-node=N5]")).getAttribute("class")).contains("in-maintenance");
        browser.screenshot("dashboard-maintenance");

        // End: a DELETE with the token and no body; then the card says how the maintenance ended.
        n5.findElement(By.cssSelector("[data-testid=end-maintenance-button]")).click();
        WebElement end = browser.visible("#action-dialog");
        assertThat(end.getAttribute("data-action")).isEqualTo("end-maintenance");
        assertThat(end.findElement(By.cssSelector("[data-testid=action-reason-input]")).isDisplayed()).as("a DELETE carries no reason").isFalse();
        end.findElement(By.cssSelector("[data-testid=action-confirm-button]")).click();
        browser.until(d -> !end.isDisplayed());
        assertThat(cluster.maintenanceReceived()).last().satisfies(r -> {
            assertThat(r.method()).isEqualTo("DELETE");
            assertThat(r.node()).isEqualTo("N5");
            assertThat(r.authorization()).isEqualTo("Bearer " + FakeCluster.TOKEN);
        });
        Instant endedAt = cluster.maintenanceOf(5).orElseThrow().end().at();
        browser.shows(card("N5") + " [data-testid=maintenance-ended]",
                "maintenance ended " + DateTimeFormatter.ofPattern("HH:mm:ss").format(endedAt.atZone(PAGE_ZONE)) + " (ended-by-operator)");
        assertThat(driver().findElement(By.cssSelector(card("N5") + " [data-testid=maintenance-badge]")).isDisplayed()).isFalse();
        assertThat(driver().findElement(By.cssSelector(card("N5") + " [data-testid=end-maintenance-button]")).isDisplayed()).isFalse();
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
