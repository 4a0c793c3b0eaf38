package dev.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.CredentialName;
import dev.sluice.model.Scope;
import dev.sluice.model.WorkerState;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The dashboard against the real admin API of a node that checks scoped credentials: it shows which credential its
 * token is and what it may do, and disables what it may not, saying why; a token it does not have gets the page
 * nothing.
 */
class DashboardCredentialBrowserTest {

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final String READER = TokenHash.newToken(RANDOM);
    private static final String ONCALL = TokenHash.newToken(RANDOM);
    private static final String FAST = "/?poll=300";

    private OfflineCluster cluster;
    private BrowserSession browser;

    @BeforeEach
    void start() {
        BrowserSession.assumeAvailable();
        cluster = new OfflineCluster(CredentialSource.fixed(Credentials.of(List.of(
                new Credential(CredentialName.of("grafana"), EnumSet.of(Scope.READ), TokenHash.of(READER, RANDOM)),
                new Credential(CredentialName.of("oncall"), EnumSet.of(Scope.OPERATE), TokenHash.of(ONCALL, RANDOM))))), 8);
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
    void aReadOnlyTokenSeesEverythingAndItsButtonsAreDisabledWithTheReason() {
        browser.open(cluster.url() + FAST + "#token=" + READER);

        WebElement n2 = browser.visible("#group-active " + card("N2"));
        WebElement status = browser.driver().findElement(By.cssSelector("[data-testid=credential-status]"));
        browser.until(d -> status.getText().equals("grafana: read only: changes are disabled") ? true : null);
        WebElement drain = n2.findElement(By.cssSelector("[data-testid=drain-button]"));
        browser.until(d -> !drain.isEnabled() ? true : null);
        assertThat(drain.getAttribute("title")).isEqualTo("Credential grafana (read) may not do this: it needs the operate scope."
                + " Enter another token at the top right.");
        assertThat(browser.driver().findElement(By.id("rollout-start")).isEnabled()).isFalse();
        assertThat(cluster.metadata().nodes().current().findByName("worker-2").orElseThrow().workerState()).isEqualTo(WorkerState.ACTIVE);
        browser.screenshot("dashboard-read-only");
    }

    @Test
    void anOperateTokenMayDrainButNotForce() {
        browser.open(cluster.url() + FAST + "#token=" + ONCALL);

        WebElement n2 = browser.visible("#group-active " + card("N2"));
        WebElement status = browser.driver().findElement(By.cssSelector("[data-testid=credential-status]"));
        browser.until(d -> status.getText().equals("oncall: may drain, maintain and restart; not force") ? true : null);
        assertThat(n2.findElement(By.cssSelector("[data-testid=drain-button]")).isEnabled()).isTrue();
        n2.findElement(By.cssSelector("[data-testid=disable-button]")).click();
        WebElement dialog = browser.visible("#action-dialog");
        assertThat(dialog.findElement(By.cssSelector("[data-testid=action-force-checkbox]")).isEnabled()).isFalse();
    }

    @Test
    void aTokenTheClusterDoesNotKnowGetsNothingAndIsToldSo() {
        browser.open(cluster.url() + FAST + "#token=not-a-token-of-this-cluster");

        WebElement banner = browser.visible("#auth-banner");
        assertThat(banner.getText()).contains("the token is wrong");
        assertThat(browser.driver().findElements(By.cssSelector(card("N2")))).isEmpty();
    }
}
