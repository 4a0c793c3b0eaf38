package dev.sluice.server;

import dev.sluice.controller.ControllerDocuments;
import dev.sluice.controller.SettingsRequests;
import dev.sluice.controller.Throttles;
import dev.sluice.metadata.ClusterMetadata;
import dev.sluice.metadata.MetadataException;
import dev.sluice.metadata.Versioned;
import dev.sluice.metadata.Watch;
import dev.sluice.metadata.WatchListener;
import dev.sluice.raft.TransferRate;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node's worker taking in catch-up traffic at the rate an operator stored for the cluster
 * ({@code sluice settings set --max-transfer-rate}), or at the node's own flag while none is stored: read once before
 * the worker starts, so no catch-up runs unlimited by mistake, then followed through a watch on the settings document.
 */
final class CatchUpRateSetting implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(CatchUpRateSetting.class);
    private static final Duration REREAD_RETRY = Duration.ofSeconds(5);

    private final String nodeName;
    private final TransferRate rate;
    private final long flag;
    private final ClusterMetadata metadata;
    /**
     * Re-reads after a resync. Not on the store's watch thread: a read there waits up to the connection timeout
     * while every other watch of the node (its placements among them) waits behind it.
     */
    private final ScheduledExecutorService rereads;
    private final Watch watch;

    private CatchUpRateSetting(String nodeName, ClusterMetadata metadata, TransferRate rate, long flag) {
        this.nodeName = nodeName;
        this.metadata = metadata;
        this.rate = rate;
        this.flag = flag;
        apply(metadata.store().get(ControllerDocuments.SETTINGS));
        this.rereads = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("sluice-catch-up-rate-" + nodeName).factory());
        this.watch = metadata.store().watch(ControllerDocuments.SETTINGS, false, new WatchListener() {
            @Override
            public void onChange(String key, Optional<Versioned> value) {
                apply(value);
            }

            @Override
            public void onResync() {
                rereads.execute(CatchUpRateSetting.this::reread);
            }
        });
    }

    /** Reads the setting again, and again every {@link #REREAD_RETRY} until a read succeeds; the rate stays as it was meanwhile. */
    private void reread() {
        try {
            apply(metadata.store().get(ControllerDocuments.SETTINGS));
        } catch (MetadataException unavailable) {
            log.warn("{}: could not re-read the catch-up transfer rate, keeping {} and trying again in {}: {}", nodeName,
                    SettingsRequests.transferRate(rate.bytesPerSecond()), REREAD_RETRY, unavailable.getMessage());
            try {
                rereads.schedule(this::reread, REREAD_RETRY.toMillis(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException closed) {
                // Closed meanwhile: nothing left to keep up to date.
            }
        }
    }

    /** Sets {@code rate} from the stored setting (else {@code flag}) now, and again whenever the setting changes. */
    static CatchUpRateSetting follow(String nodeName, ClusterMetadata metadata, TransferRate rate, long flag) {
        return new CatchUpRateSetting(nodeName, metadata, rate, flag);
    }

    private void apply(Optional<Versioned> stored) {
        Optional<Throttles> throttles = SettingsRequests.decode(stored);
        long wanted = throttles.map(t -> t.transferRate(flag)).orElse(flag);
        long before = rate.bytesPerSecond();
        if (wanted != before) {
            rate.set(wanted);
            log.info("{}: catch-up transfer rate {} → {} ({})", nodeName, SettingsRequests.transferRate(before), SettingsRequests.transferRate(wanted),
                    throttles.map(t -> t.maxTransferBytesPerSecond() == null ? "this node's flag" : "the stored setting").orElse("this node's flag"));
        }
    }

    @Override
    public void close() {
        watch.close();
        rereads.shutdownNow();
    }
}
