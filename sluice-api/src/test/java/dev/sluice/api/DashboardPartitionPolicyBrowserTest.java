package dev.sluice.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sluice.model.NodeId;
import dev.sluice.model.PartitionId;
import dev.sluice.model.PartitionPolicy;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * Freeze and leader pinning from the dashboard's partition map, against the real admin API over an in-memory cluster
 * (P3 on N4, N1, N2): a click on P3's column freezes it, a click on N1's cell pins its leader there, and the map shows
 * both until they are lifted.
 */
class DashboardPartitionPolicyBrowserTest {

    private static final String FAST = "/?poll=300";
    private static final PartitionId P3 = PartitionId.of(3);

    private OfflineCluster cluster;
    private BrowserSession browser;

    @BeforeEach
    void start() {
        BrowserSession.assumeAvailable();
        cluster = new OfflineCluster(Optional.empty(), 8);
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

    private PartitionPolicy policy() {
        return cluster.metadata().placements().read(P3).orElseThrow().placement().policy();
    }

    private void confirm(String action, String reason) {
        WebElement dialog = browser.visible("#action-dialog");
        assertThat(dialog.getAttribute("data-action")).isEqualTo(action);
        assertThat(dialog.getAttribute("data-partition")).isEqualTo("P3");
        if (reason != null) {
            dialog.findElement(By.id("action-reason")).sendKeys(reason);
        }
        dialog.findElement(By.id("action-confirm")).click();
    }

    @Test
    void aPartitionIsFrozenAndItsLeaderPinnedFromTheMap() {
        browser.open(cluster.url().toString() + FAST);
        browser.visible("#partition-map .col-head[data-partition=P3]").click();
        confirm("freeze", "slow follower");
        browser.until(d -> policy().frozen() ? true : null);
        browser.until(d -> "true".equals(d.findElement(By.cssSelector("#partition-map .col-head[data-partition=P3]")).getAttribute("data-frozen"))
                ? true : null);

        browser.visible("#partition-map .cell[data-partition=P3][data-node=N1]").click();
        confirm("pin-leader", "next to the clients");
        browser.until(d -> NodeId.of(1).equals(policy().pinnedLeader()) ? true : null);
        browser.until(d -> d.findElement(By.cssSelector("#partition-map .cell[data-partition=P3][data-node=N1]")).getAttribute("class")
                .contains("pinned") ? true : null);
        browser.screenshot("dashboard-partition-policy");

        browser.visible("#partition-map .col-head[data-partition=P3]").click();
        confirm("unfreeze", null);
        browser.until(d -> !policy().frozen() ? true : null);
        assertThat(policy().pinnedLeader()).isEqualTo(NodeId.of(1));
    }
}
