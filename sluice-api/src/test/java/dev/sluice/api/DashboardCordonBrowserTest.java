package dev.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.Actor;
import dev.sluice.model.CredentialName;
import dev.sluice.model.GuardFacts;
import dev.sluice.model.Location;
import dev.sluice.model.NodeAddresses;
import dev.sluice.model.Role;
import dev.sluice.model.Scope;
import dev.sluice.model.WorkerState;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * Cordon and removal on the dashboard, against the real admin API over an in-memory cluster: a worker is cordoned with
 * a reason and shows it, then uncordoned; a retired worker's Remove button is the admin's only, and removes it.
 */
class DashboardCordonBrowserTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String ONCALL = TokenHash.newToken(RANDOM);
    private static final String ADMIN = TokenHash.newToken(RANDOM);
    private static final String FAST = "/?poll=300";

    private OfflineCluster cluster;
    private BrowserSession browser;

    @BeforeEach
    void start() {
        BrowserSession.assumeAvailable();
        cluster = new OfflineCluster(CredentialSource.fixed(Credentials.of(List.of(
                new Credential(CredentialName.of("oncall"), EnumSet.of(Scope.OPERATE), TokenHash.of(ONCALL, RANDOM)),
                new Credential(CredentialName.of("alice"), EnumSet.of(Scope.ADMIN), TokenHash.of(ADMIN, RANDOM))))), 8);
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

    private static String card(String node) {
        return "[data-testid=worker-card][data-node=" + node + "]";
    }

    @Test
    void aWorkerIsCordonedWithAReasonShownOnItsCardAndUncordoned() {
        browser.open(cluster.url() + FAST + "#token=" + ONCALL);
        WebElement n2 = browser.visible("#group-active " + card("N2"));
        assertThat(n2.findElement(By.cssSelector("[data-testid=cordon-badge]")).isDisplayed()).isFalse();

        n2.findElement(By.cssSelector("[data-testid=cordon-button]")).click();
        WebElement dialog = browser.visible("#action-dialog");
        dialog.findElement(By.id("action-reason")).sendKeys("disk 85% full");
        dialog.findElement(By.id("action-confirm")).click();

        browser.until(d -> cluster.metadata().nodes().current().findByName("worker-2").orElseThrow().isCordoned() ? true : null);
        WebElement badge = browser.visible(card("N2") + " [data-testid=cordon-badge]");
        assertThat(badge.getText()).isEqualTo("CORDONED (disk 85% full)");
        assertThat(badge.getAttribute("title")).contains("by operator with credential oncall: disk 85% full");
        assertThat(browser.visible("#group-active " + card("N2")).getAttribute("data-cordoned")).isEqualTo("true");
        browser.screenshot("dashboard-cordoned");

        browser.visible(card("N2") + " [data-testid=uncordon-button]").click();
        browser.visible("#action-dialog").findElement(By.id("action-confirm")).click();
        browser.until(d -> !cluster.metadata().nodes().current().findByName("worker-2").orElseThrow().isCordoned() ? true : null);
        browser.until(d -> !d.findElement(By.cssSelector(card("N2") + " [data-testid=cordon-badge]")).isDisplayed() ? true : null);
    }

    @Test
    void onlyAnAdminRemovesARetiredWorker() {
        var registered = cluster.metadata().nodes().register("worker-5", NodeAddresses.of("127.0.0.1:7000", "http://127.0.0.1:8000"),
                Set.of(Role.WORKER), Location.parse("local.zone-1")).configuration().findByName("worker-5").orElseThrow();
        cluster.metadata().nodes().transition(registered.id(), WorkerState.DISABLED, Actor.OPERATOR, "retired", false, c -> GuardFacts.NONE, List.of());

        browser.open(cluster.url() + FAST + "#token=" + ONCALL);
        WebElement byOncall = browser.visible("#group-disabled " + card("N5") + " [data-testid=remove-button]");
        browser.until(d -> !byOncall.isEnabled() ? true : null);
        assertThat(byOncall.getAttribute("title")).contains("it needs the admin scope");

        browser.open(cluster.url() + FAST + "#token=" + ADMIN);
        WebElement byAdmin = browser.visible("#group-disabled " + card("N5") + " [data-testid=remove-button]");
        browser.until(d -> byAdmin.isEnabled() ? true : null);
        byAdmin.click();
        WebElement dialog = browser.visible("#action-dialog");
        dialog.findElement(By.id("action-reason")).sendKeys("host retired");
        dialog.findElement(By.id("action-confirm")).click();

        browser.until(d -> cluster.metadata().nodes().current().isRemoved(registered.nodeId()) ? true : null);
        browser.until(d -> d.findElements(By.cssSelector(card("N5"))).isEmpty() ? true : null);
    }
}
