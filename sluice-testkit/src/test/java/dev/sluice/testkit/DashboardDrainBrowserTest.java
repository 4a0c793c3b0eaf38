package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.sluice.api.BrowserSession;
import dev.sluice.client.SluiceClient;
import dev.sluice.client.Workload;
import dev.sluice.controller.ControllerConfig;
import dev.sluice.metadata.PlacementStore.VersionedPlacement;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.WorkerState;
import dev.sluice.scheduler.SchedulerLimits;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;

/**
 * Issue 7's done-when on a real cluster: four in-process nodes (embedded ZooKeeper, Ratis over gRPC, the
 * admin API and dashboard over HTTP, the controller deciding) under a small client workload; a headless
 * Debian chromium opens node 1's dashboard, drains another worker through the UI (dry-run plan, reason,
 * confirm), watches the bar advance and the worker reach Disabled, and saves screenshots to
 * {@code target/screenshots/} ({@code dashboard-real-drain.png} mid-drain). Nothing acknowledged is lost and
 * the client sees no error. Skipped, saying why, when chromium or chromedriver is not installed.
 */
class DashboardDrainBrowserTest {

    private static final String TOKEN = "dashboard-test-token";
    private static final int WORKERS = 4;
    private static final int PARTITIONS = 24;
    private static final int SHARE = PARTITIONS * 3 / WORKERS;
    private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(3);
    /** The drained worker: not the node whose dashboard is open, to show that any node takes any action. */
    private static final int DRAINED = 2;

    private LocalTestCluster cluster;
    private Workload workload;
    private BrowserSession browser;

    @BeforeEach
    void start() throws Exception {
        BrowserSession.assumeAvailable();
        // One change per worker at a time: the drained worker takes part in every move, so its 18 moves go one
        // after another and the page has frames mid-drain to sample. Four at a time, an idle machine drained it
        // in two of the page's polls, and the bar went from 11 to full between them.
        ControllerConfig config = ControllerConfig.DEFAULTS.withLimits(new SchedulerLimits(1, 16, Duration.ofSeconds(10), 16));
        cluster = LocalTestCluster.builder().workers(WORKERS).partitions(PARTITIONS).replication(3)
                .clusterName("local")
                .sessionTimeout(Duration.ofSeconds(6))
                .controlPlane(config, Optional.of(TOKEN))
                .start();
        cluster.awaitLeaders(Duration.ofMinutes(1));
        // Workers register one by one, so the controller places partitions on the first and then fills the
        // later ones: wait for the balanced end (every worker holding its share) before the page is opened.
        await("the controller placed and balanced every partition").atMost(Duration.ofMinutes(2)).until(() -> {
            Map<PartitionId, VersionedPlacement> placements = cluster.metadata().placements().readAll();
            return placements.size() == PARTITIONS && ControllerDrainTest.settled(cluster)
                    && cluster.nodes().stream().allMatch(n -> replicasOf(placements, n.nodeId()) == SHARE);
        });
        SluiceClient client = cluster.client(SluiceClient.builder().random(new SplittableRandom(7)).callTimeout(Duration.ofSeconds(60)));
        workload = new Workload(client, new Workload.Options(2, 200, 50, 64));
        workload.start();
        browser = BrowserSession.start();
    }

    @AfterEach
    void stop() {
        try {
            if (browser != null) {
                browser.close();
            }
        } finally {
            try {
                if (workload != null) {
                    workload.close();
                }
            } finally {
                if (cluster != null) {
                    cluster.close();
                }
            }
        }
    }

    private static long replicasOf(Map<PartitionId, VersionedPlacement> placements, NodeId node) {
        return placements.values().stream().filter(v -> v.placement().current().contains(node)).count();
    }

    private WebDriver driver() {
        return browser.driver();
    }

    private static String card(NodeId node) {
        return "[data-testid=worker-card][data-node=" + node + "]";
    }

    /** An attribute of the drained worker's progress bar, or -1 while there is no bar or no number yet. */
    private int progress(NodeId node, String attribute) {
        List<WebElement> bars = driver().findElements(By.cssSelector("[data-testid=drain-progress][data-node=" + node + "]"));
        String value = bars.isEmpty() ? null : bars.getFirst().getAttribute(attribute);
        return value == null ? -1 : Integer.parseInt(value);
    }

    /** One poll of the drained worker's panel and of the partition map. */
    private record Sample(int now, int max, String remaining, int joining) {
        boolean isMidway(long replicas) {
            return now > 0 && now < replicas;
        }
    }

    private Sample sample(NodeId node) {
        List<WebElement> remaining = driver().findElements(By.cssSelector("[data-testid=drain-panel][data-node=" + node + "] [data-testid=drain-remaining]"));
        return new Sample(progress(node, "aria-valuenow"), progress(node, "aria-valuemax"),
                remaining.isEmpty() ? "" : remaining.getFirst().getText(),
                driver().findElements(By.cssSelector("#partition-map .cell.joining")).size());
    }

    @Test
    void aWorkerDrainedThroughTheDashboardOfAnotherNodeEndsDisabledWithNoWriteLost() {
        TestNode drained = cluster.node(DRAINED);
        NodeId id = drained.nodeId();
        long replicas = replicasOf(cluster.metadata().placements().readAll(), id);
        assertThat(replicas).isEqualTo(SHARE);
        await("the workload writes").atMost(Duration.ofSeconds(30)).until(() -> workload.writes() > 50);

        browser.open(cluster.node(0).url() + "/?poll=500#token=" + TOKEN);
        WebElement card = browser.visible("#group-active " + card(id));
        browser.until(d -> card.findElement(By.cssSelector("[data-testid=replica-count]")).getText().equals(String.valueOf(replicas)));
        assertThat(driver().findElements(By.cssSelector("#group-active [data-testid=worker-card]"))).hasSize(WORKERS);
        assertThat(driver().findElements(By.cssSelector("#partition-map .cell.replica[data-node=" + id + "]"))).hasSize((int) replicas);
        assertThat(driver().getCurrentUrl()).as("the token leaves the address bar").doesNotContain("token");

        // The dry-run plan first: one move per replica the worker holds, and nothing written yet.
        card.findElement(By.cssSelector("[data-testid=drain-button]")).click();
        WebElement dialog = browser.visible("#drain-dialog");
        assertThat(dialog.getAttribute("data-node")).isEqualTo(id.toString());
        browser.until(d -> "planned".equals(dialog.getAttribute("data-phase")));
        assertThat(dialog.getAttribute("data-allowed")).isEqualTo("true");
        assertThat(dialog.findElement(By.cssSelector("[data-testid=dry-run-verdict]")).getText()).startsWith("Allowed");
        List<WebElement> moves = dialog.findElements(By.cssSelector("[data-testid=dry-run-move]"));
        assertThat(moves).hasSize((int) replicas);
        assertThat(moves).allSatisfy(move -> assertThat(move.getText()).matches("P\\d+\\s+" + id + " \\(" + drained.name() + "\\)\\s+N\\d+ \\(worker-\\d+\\)")
                .doesNotEndWith(" " + id + " (" + drained.name() + ")"));
        WebElement confirm = dialog.findElement(By.cssSelector("[data-testid=confirm-button]"));
        assertThat(confirm.isEnabled()).as("no drain without a reason").isFalse();
        assertThat(ControllerDrainTest.state(cluster, id)).isEqualTo(WorkerState.ACTIVE);
        browser.screenshot("dashboard-real-drain-dry-run");

        dialog.findElement(By.cssSelector("[data-testid=reason-input]")).sendKeys("kernel upgrade");
        browser.until(d -> confirm.isEnabled());
        confirm.click();
        browser.until(d -> !dialog.isDisplayed());
        browser.visible("#group-draining " + card(id));
        assertThat(ControllerDrainTest.state(cluster, id)).isIn(WorkerState.DRAINING, WorkerState.DISABLED);
        boolean[] screenshotTaken = {false};

        // Until the card reaches Disabled, every poll of the page is a sample; the assertions below look at
        // them as a whole, so a fact that holds in one frame need not coincide with another in the same frame
        // (on a busy machine the moves complete in batches), and a failure prints everything the page showed.
        List<Sample> samples = new ArrayList<>();
        browser.until(DRAIN_TIMEOUT, d -> {
            samples.add(sample(id));
            if (samples.getLast().joining() > 0 && samples.getLast().isMidway(replicas) && !screenshotTaken[0]) {
                browser.screenshot("dashboard-real-drain");
                screenshotTaken[0] = true;
            }
            return !d.findElements(By.cssSelector("#group-disabled " + card(id))).isEmpty();
        });
        List<Sample> withBar = samples.stream().filter(s -> s.now() >= 0).toList();
        assertThat(withBar).as("what the page showed: %s", samples)
                .isNotEmpty()
                .allSatisfy(s -> assertThat(s.max()).as("the bar's maximum is the worker's replicas").isEqualTo((int) replicas))
                .anySatisfy(s -> assertThat(s.isMidway(replicas)).as("the bar stopped between empty and full").isTrue())
                .anySatisfy(s -> assertThat(s.remaining()).as("the counter counts up mid-drain").matches("\\d+/" + replicas + " moved")
                        .isNotEqualTo("0/" + replicas + " moved").isNotEqualTo(replicas + "/" + replicas + " moved"));
        assertThat(samples).as("what the page showed: %s", samples)
                .anySatisfy(s -> assertThat(s.joining()).as("a move in flight on the map").isPositive());
        assertThat(withBar.stream().map(Sample::now).toList()).as("the bar only moves forward").isSorted();

        browser.until(d -> progress(id, "aria-valuenow") == replicas);
        assertThat(ControllerDrainTest.state(cluster, id)).isEqualTo(WorkerState.DISABLED);
        browser.until(d -> d.findElement(By.cssSelector(card(id) + " [data-testid=replica-count]")).getText().equals("0"));
        assertThat(driver().findElement(By.cssSelector(card(id) + " [data-testid=state-badge]")).getText()).isEqualToIgnoringCase("disabled");
        assertThat(driver().findElement(By.cssSelector("[data-testid=drain-panel][data-node=" + id + "] [data-testid=drain-remaining]")).getText())
                .isEqualTo(replicas + "/" + replicas + " moved");
        browser.until(d -> d.findElements(By.cssSelector("#partition-map .cell[data-node=" + id + "].replica, "
                + "#partition-map .cell[data-node=" + id + "].leaving, #partition-map .cell.joining")).isEmpty());
        browser.visible("#events [data-testid=event][data-kind=drain-completed]");
        browser.screenshot("dashboard-real-drain-completed");
        assertThat(browser.consoleErrors()).isEmpty();

        ControllerDrainTest.assertNothingLost(cluster, workload);
    }
}
