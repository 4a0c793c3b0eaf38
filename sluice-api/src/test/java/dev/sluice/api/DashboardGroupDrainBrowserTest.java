package dev.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.controller.ControllerDocuments;
import dev.sluice.controller.ControllerStatus;
import dev.sluice.controller.DrainDeadline;
import dev.sluice.controller.DrainGroup;
import dev.sluice.controller.DrainGroupProgress;
import dev.sluice.controller.DrainProgress;
import dev.sluice.controller.StallReason;
import dev.sluice.metadata.DocumentCodec;
import dev.sluice.metadata.Json;
import dev.sluice.metadata.Precondition;
import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.WorkerState;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;

/**
 * A group drain on the dashboard, against the real admin API over an in-memory cluster: the group is started through
 * the API (two workers, a deadline), and the controller's published progress — which no controller runs here to
 * compute, so the test publishes it as the controller would — is shown as one card with one bar, its workers, and
 * its deadline's standing: on track, then AT RISK (stalled, the stall named), then OVERDUE.
 */
class DashboardGroupDrainBrowserTest {

    private static final String TOKEN = "group-drain-token";
    private static final String FAST = "/?poll=300";
    private static final DocumentCodec<ControllerStatus> STATUS = new DocumentCodec<>(ControllerStatus.class, "controller status", 1);
    private static final DocumentCodec<DrainGroup> GROUPS = new DocumentCodec<>(DrainGroup.class, "drain group", 1);

    private OfflineCluster cluster;
    private BrowserSession browser;

    @BeforeEach
    void start() {
        BrowserSession.assumeAvailable();
        cluster = new OfflineCluster(Optional.of(TOKEN), 8);
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

    private String startGroup() throws Exception {
        // Four workers and three replicas leave room for one worker to go: a group of one, with a deadline, is a group too.
        HttpResponse<String> answer = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(cluster.url() + "/api/v1/drains"))
                .header("Authorization", "Bearer " + TOKEN).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"nodes\":[\"worker-3\"],\"deadlineSeconds\":1800,\"reason\":\"rack 7\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(201);
        return Json.mapper().readTree(answer.body()).path("id").asText();
    }

    /** Publishes a controller status whose only group drain stands as given, as the controller leader would. */
    private void publish(String id, int remaining, boolean stalled, DrainDeadline standing, long timeLeftSeconds) {
        DrainGroup group = new ControllerDocuments(cluster.metadata()).drainGroup(id).orElseThrow().group();
        Instant now = Instant.now();
        List<DrainProgress.StalledPartition> stalls = stalled
                ? List.of(new DrainProgress.StalledPartition(PartitionId.of(2), NodeId.of(3), StallReason.FROZEN, "P2 is frozen by an operator", now))
                : List.of();
        DrainProgress member = new DrainProgress(NodeId.of(3), group.members().getFirst().incarnation(), "worker-3", WorkerState.DRAINING,
                group.startedAt(), null, 6, remaining, 1, 2, 6 - remaining, 3.0, stalled ? null : Long.valueOf(remaining * 20L), stalled, stalls, null, now);
        DrainGroupProgress progress = new DrainGroupProgress(id, group.reason(), null, DrainGroup.State.RUNNING, group.nodes(), List.of("worker-3"),
                List.of(WorkerState.DRAINING), group.startedAt(), null, 6, remaining, 1, 2, 6 - remaining, 3.0,
                stalled ? null : Long.valueOf(remaining * 20L), stalled, stalls, group.deadline(), standing, timeLeftSeconds, now);
        ControllerStatus status = new ControllerStatus("controller-a", 1, now, 10, 5, List.of(), List.of(member), List.of())
                .withDrainGroups(List.of(progress));
        cluster.metadata().store().put(ControllerDocuments.STATUS, STATUS.encode(status), Precondition.NONE);
    }

    /** The text of {@code css} inside the group's card, looked up afresh (the card is rebuilt when what it shows changes). */
    private String text(String card, String css) {
        return browser.until(d -> d.findElement(By.cssSelector(card + " " + css)).getText());
    }

    private String attribute(String card, String name) {
        return browser.until(d -> d.findElement(By.cssSelector(card)).getAttribute(name));
    }

    @Test
    void aGroupDrainShowsOneProgressAndItsDeadlineOnTrackThenAtRiskThenOverdue() throws Exception {
        String id = startGroup();
        browser.open(cluster.url() + FAST + "#token=" + TOKEN);
        String card = "[data-testid=drain-group][data-drain=" + id + "]";

        browser.visible(card);
        assertThat(text(card, "[data-testid=drain-group-numbers]")).isEqualTo("waiting for the controller to pick the drain up");
        assertThat(text(card, "[data-testid=drain-group-members]")).contains("N3 (worker-3): draining");

        publish(id, 4, false, DrainDeadline.ON_TRACK, 1700);
        browser.until(d -> d.findElement(By.cssSelector(card + " [data-testid=drain-group-numbers]")).getText().startsWith("2/6 moved") ? true : null);
        assertThat(text(card, "[data-testid=drain-group-numbers]")).isEqualTo("2/6 moved · 2 in flight · 3.0/min · ETA 1 min 20 s");
        assertThat(text(card, "[data-testid=drain-group-deadline]")).isEqualTo("DEADLINE ON TRACK");
        assertThat(attribute(card, "class")).doesNotContain("at-risk");
        String valueNow = browser.until(d -> d.findElement(By.cssSelector(card + " [data-testid=drain-group-progress]")).getAttribute("aria-valuenow"));
        assertThat(valueNow).isEqualTo("33");

        publish(id, 3, true, DrainDeadline.AT_RISK, 600);
        browser.until(d -> d.findElement(By.cssSelector(card)).getAttribute("data-deadline").equals("at-risk") ? true : null);
        assertThat(attribute(card, "class")).contains("at-risk");
        assertThat(text(card, "[data-testid=drain-group-deadline]")).isEqualTo("DEADLINE AT RISK");
        assertThat(text(card, "[data-testid=drain-group-numbers]")).endsWith("ETA unknown");
        assertThat(text(card, "[data-testid=drain-group-stalled]")).isEqualTo("P2 on N3: frozen — P2 is frozen by an operator");
        assertThat(text(card, "[data-testid=drain-group-deadline-line]")).endsWith("(10 min 0 s left)");
        browser.screenshot("dashboard-group-drain-at-risk");

        publish(id, 3, true, DrainDeadline.OVERDUE, -90);
        browser.until(d -> d.findElement(By.cssSelector(card)).getAttribute("data-deadline").equals("overdue") ? true : null);
        assertThat(text(card, "[data-testid=drain-group-deadline]")).isEqualTo("DEADLINE OVERDUE");
        assertThat(text(card, "[data-testid=drain-group-deadline-line]")).endsWith("(passed 1 min 30 s ago)");
        assertThat(browser.driver().findElements(By.cssSelector(card + " [data-testid=drain-group-pending]"))).as("nothing pending").isEmpty();

        // A group too large for one write lists the members the controller has still to make draining.
        ControllerDocuments.StoredDrainGroup stored = new ControllerDocuments(cluster.metadata()).drainGroup(id).orElseThrow();
        DrainGroup group = stored.group();
        DrainGroup pending = new DrainGroup(group.id(), group.reason(), group.zone(), group.members(), group.deadline(), group.startedAt(),
                group.drainVersion(), group.credential(), group.state(), group.endedAt(), group.atRisk(), Instant.now(), List.of(NodeId.of(4), NodeId.of(5)));
        cluster.metadata().store().put(ControllerDocuments.DRAIN_GROUPS + "/" + id, GROUPS.encode(pending), Precondition.matchesVersion(stored.version()));
        assertThat(text(card, "[data-testid=drain-group-pending]")).isEqualTo("2 workers still to start draining (the controller writes up to 256 at a time)");
    }
}
