package dev.sluice.api;

import static dev.sluice.api.DashboardBrowserTest.FAST;
import static dev.sluice.api.DashboardBrowserTest.N1_AND_N5_SHARE;
import static dev.sluice.api.DashboardBrowserTest.PAGE_ZONE;
import static dev.sluice.api.DashboardBrowserTest.card;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.controller.Rollout.Phase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.format.DateTimeFormatter;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * A rolling restart on the dashboard in a real (headless) browser against {@link FakeCluster}, as
 * {@link DashboardBrowserTest} does for the rest of the page. A class of its own because it is the longest of
 * them (about 25 s of fifty-odd polls): in one class with the others it kept one of the module's two test JVMs
 * busy long after the other had finished.
 */
class DashboardRolloutBrowserTest {

    /** A whole rolling restart of the fake's five workers takes about fifty polls. */
    private static final Duration ROLLOUT_WAIT = Duration.ofSeconds(60);

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

    /**
     * A rolling restart from the dashboard: "no rolling restart has run" before one did (the API's 404); the server's
     * plan — refused, with the partitions at risk, while N5 is dead, then the order zone by zone and what each worker
     * leads — then the start with the token; each worker's phase in turn, the worker under way and how long it has
     * been in its phase by the server's clock; a cancel (a DELETE); a start that lost a race, refused in the server's
     * words; and a rollout that stopped by itself, saying why.
     */
    @Test
    void aRollingRestartShowsItsPlanThenEachWorkersPhaseAndCanBeCancelled() throws Exception {
        cluster.holdRollout(2, Phase.RESTARTING, Duration.ofSeconds(45));
        browser.timeZone(PAGE_ZONE.getId());
        browser.open(cluster.baseUrl() + FAST + "#token=" + FakeCluster.TOKEN);
        browser.shows("[data-testid=rollout-none]", "No rolling restart has run in this cluster.");
        WebElement start = browser.visible("[data-testid=rollout-start-button]");
        assertThat(driver().findElement(By.cssSelector("[data-testid=rollout-cancel-button]")).isDisplayed()).isFalse();

        // While N5 is dead, every other worker shares a partition with it: the plan says which partitions, and nothing can start.
        start.click();
        WebElement dialog = browser.visible("#rollout-dialog");
        browser.until(d -> "planned".equals(dialog.getAttribute("data-phase")));
        assertThat(dialog.getAttribute("data-allowed")).isEqualTo("false");
        assertThat(dialog.findElement(By.cssSelector("[data-testid=rollout-verdict]")).getText()).startsWith("Would be refused: partitions would lose"
                + " their majority while N1 (worker-1), N4 (" + FakeCluster.LONG_NAME + "), N2 (worker-2), N3 (worker-3) are each away");
        assertThat(planOrder(dialog)).containsExactly("N1", "N4", "N2", "N5", "N3");
        assertThat(dialog.findElement(By.cssSelector("[data-testid=rollout-plan-step][data-node=N1] [data-testid=rollout-plan-blocking] li"))
                .getAttribute("data-partitions")).isEqualTo(N1_AND_N5_SHARE);
        assertThat(dialog.findElement(By.cssSelector("[data-testid=rollout-plan-step][data-node=N5]")).getAttribute("data-at-risk")).isEqualTo("0");
        dialog.findElement(By.cssSelector("[data-testid=rollout-reason-input]")).sendKeys("JVM upgrade");
        WebElement confirm = dialog.findElement(By.cssSelector("[data-testid=rollout-confirm-button]"));
        assertThat(confirm.isEnabled()).as("a plan the server would refuse cannot start").isFalse();
        assertThat(cluster.rolloutReceived()).singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.authorization()).isEqualTo("Bearer " + FakeCluster.TOKEN);
            assertThat(r.request().dryRun()).isTrue();
            assertThat(r.request().nodes()).isEmpty();
            assertThat(r.request().zone()).isNull();
        });
        browser.screenshot("dashboard-rollout-refused");
        dialog.findElement(By.id("rollout-dialog-cancel")).click();
        browser.until(d -> !dialog.isDisplayed());

        // N5 back: the plan is allowed, zone by zone, with what each worker leads; one zone's plan is asked for with the zone.
        cluster.bringBack(5);
        start.click();
        browser.until(d -> "planned".equals(dialog.getAttribute("data-phase")) && "true".equals(dialog.getAttribute("data-allowed")));
        assertThat(planOrder(dialog)).containsExactly("N1", "N4", "N2", "N5", "N3");
        for (int node = 1; node <= 5; node++) {
            assertThat(dialog.findElement(By.cssSelector("[data-testid=rollout-plan-step][data-node=N" + node + "] [data-testid=rollout-plan-leads]")).getText())
                    .isEqualTo(String.valueOf(cluster.leadershipsOf(node)));
        }
        Select scope = new Select(dialog.findElement(By.cssSelector("[data-testid=rollout-scope]")));
        scope.selectByValue("zone:eu-west.zone-b");
        browser.until(d -> "planned".equals(dialog.getAttribute("data-phase")) && planOrder(dialog).equals(List.of("N2", "N5")));
        assertThat(cluster.rolloutReceived()).last().satisfies(r -> assertThat(r.request().zone()).isEqualTo("eu-west.zone-b"));
        scope.selectByValue("all");
        browser.until(d -> "planned".equals(dialog.getAttribute("data-phase")) && planOrder(dialog).size() == 5);
        dialog.findElement(By.cssSelector("[data-testid=rollout-reason-input]")).sendKeys("JVM upgrade");
        browser.until(d -> confirm.isEnabled());
        browser.screenshot("dashboard-rollout-plan");
        confirm.click();
        browser.until(d -> !dialog.isDisplayed());
        assertThat(cluster.rolloutReceived()).last().satisfies(r -> {
            assertThat(r.method()).isEqualTo("POST");
            assertThat(r.authorization()).isEqualTo("Bearer " + FakeCluster.TOKEN);
            assertThat(r.request()).isEqualTo(new RolloutApi.StartRequest(List.of(), null, Duration.ofMinutes(5), "JVM upgrade", false));
        });

        // Progress, one worker at a time: N1 and N4 done, N2 held restarting until it has been for 45 s by the fake's clock.
        browser.until(ROLLOUT_WAIT, d -> d.findElements(By.cssSelector("[data-testid=rollout-current] [data-testid=phase-for][data-seconds='45']")).isEmpty()
                ? null : true);
        browser.shows("[data-testid=rollout-current]", "now: N2 (worker-2) restarting for 45 s — waiting for its supervisor to start it again");
        browser.shows("[data-testid=rollout-state]", "running");
        browser.shows("[data-testid=rollout-done]", "2/5 restarted");
        WebElement bar = driver().findElement(By.cssSelector("[data-testid=rollout-progress]"));
        assertThat(bar.getAttribute("aria-valuenow")).isEqualTo("2");
        assertThat(bar.getAttribute("aria-valuemax")).isEqualTo("5");
        assertThat(stepPhases()).containsExactly("N1 done", "N4 done", "N2 restarting", "N5 waiting", "N3 waiting");
        WebElement n2 = browser.visible(card("N2"));
        assertThat(n2.getAttribute("data-alive")).isEqualTo("false");
        assertThat(n2.findElement(By.cssSelector("[data-testid=maintenance-badge]")).getText()).contains("(rolling restart ");
        browser.shows(card("N1") + " [data-testid=maintenance-ended]",
                "maintenance ended " + DateTimeFormatter.ofPattern("HH:mm:ss").format(cluster.maintenanceOf(1).orElseThrow().end().at().atZone(PAGE_ZONE))
                        + " (caught-up)");
        assertThat(driver().findElement(By.cssSelector("[data-testid=rollout-start-button]")).isDisplayed()).as("one rollout at a time").isFalse();
        screenshotOfPanel("#rollout-panel", "dashboard-rollout");

        // Cancel: a DELETE with the token; the panel says where the rollout was.
        browser.visible("[data-testid=rollout-cancel-button]").click();
        WebElement cancel = browser.visible("#action-dialog");
        assertThat(cancel.getAttribute("data-action")).isEqualTo("cancel-rollout");
        assertThat(cancel.getText()).contains("2 of 5 workers are restarted");
        cancel.findElement(By.cssSelector("[data-testid=action-confirm-button]")).click();
        browser.until(d -> !cancel.isDisplayed());
        assertThat(cluster.rolloutReceived()).last().satisfies(r -> {
            assertThat(r.method()).isEqualTo("DELETE");
            assertThat(r.authorization()).isEqualTo("Bearer " + FakeCluster.TOKEN);
        });
        browser.shows("[data-testid=rollout-state]", "cancelled");
        browser.shows("[data-testid=rollout-stopped-because]", "cancelled by the operator");
        browser.shows("[data-testid=rollout-current]", "cancelled during: N2 (worker-2) restarting for 45 s");
        browser.visible("[data-testid=rollout-start-button]");
        assertThat(driver().findElement(By.cssSelector("[data-testid=rollout-cancel-button]")).isDisplayed()).isFalse();
        // N2 was already restarting: it comes back, and its maintenance ends once it has caught up.
        browser.until(d -> d.findElement(By.cssSelector(card("N2") + " [data-testid=maintenance-ended]")).getText().endsWith("(caught-up)"));

        // A start that lost a race with another operator's: the dialog shows the server's refusal.
        start.click();
        browser.until(d -> "planned".equals(dialog.getAttribute("data-phase")) && "true".equals(dialog.getAttribute("data-allowed")));
        dialog.findElement(By.cssSelector("[data-testid=rollout-reason-input]")).sendKeys("JVM upgrade");
        cluster.neverReturns(3);
        HttpResponse<String> other = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(cluster.baseUrl() + "/api/v1/rollouts"))
                .header("Authorization", "Bearer " + FakeCluster.TOKEN)
                .POST(HttpRequest.BodyPublishers.ofString("{\"nodes\": [\"worker-3\"], \"nodeTimeoutSeconds\": 10, \"reason\": \"config change\"}")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(other.statusCode()).as(other.body()).isEqualTo(201);
        browser.until(d -> confirm.isEnabled());
        confirm.click();
        WebElement error = dialog.findElement(By.cssSelector("[data-testid=rollout-error]"));
        browser.until(d -> error.isDisplayed());
        assertThat(error.getText()).startsWith("Refused: rolling restart ").endsWith(" is running (0 of 1 workers restarted); wait for it or cancel it first");
        assertThat(dialog.getAttribute("data-phase")).isEqualTo("refused");
        browser.screenshot("dashboard-rollout-race");
        dialog.findElement(By.id("rollout-dialog-cancel")).click();

        // N3 does not come back: the rollout stops by itself after its node timeout, says why, and N3 stays in maintenance.
        browser.until(ROLLOUT_WAIT, d -> d.findElement(By.cssSelector("[data-testid=rollout-state]")).getText().equalsIgnoreCase("stopped"));
        String until = cluster.maintenanceOf(3).orElseThrow().until().toString();
        browser.shows("[data-testid=rollout-stopped-because]", "Stopped: N3 (worker-3) did not come back within 10 s; it stays in maintenance until " + until);
        browser.shows("[data-testid=rollout-current]", "stopped during: N3 (worker-3) restarting for 15 s");
        browser.shows("[data-testid=rollout-done]", "0/1 restarted");
        assertThat(stepPhases()).containsExactly("N3 restarting");
        browser.visible(card("N3") + "[data-alive=false][data-maintenance=active]");
        screenshotOfPanel("#rollout-panel", "dashboard-rollout-stopped");
        assertThat(browser.consoleErrors()).isEmpty();
    }

    /** A screenshot with the panel {@code css} selects scrolled into view: below the workers, it may be under the fold. */
    private void screenshotOfPanel(String css, String name) {
        ((JavascriptExecutor) driver()).executeScript("arguments[0].scrollIntoView({block: 'center'})", driver().findElement(By.cssSelector(css)));
        browser.screenshot(name);
    }

    /** The workers of the rollout plan the dialog shows, in order. */
    private static List<String> planOrder(WebElement dialog) {
        return dialog.findElements(By.cssSelector("[data-testid=rollout-plan-step]")).stream().map(step -> step.getAttribute("data-node")).toList();
    }

    /** Each worker of the rollout panel with its phase, in order ({@code N1 done}); the list is drawn anew on every poll. */
    private List<String> stepPhases() {
        return browser.until(d -> d.findElements(By.cssSelector("[data-testid=rollout-step]")).stream()
                .map(step -> step.getAttribute("data-node") + " " + step.getAttribute("data-phase")).toList());
    }
}
