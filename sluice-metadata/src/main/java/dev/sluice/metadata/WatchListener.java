package dev.sluice.metadata;

import java.util.Optional;

/**
 * Receives a watch's notifications, in order, one at a time. Implementations should be quick and must
 * not block on the store's own watch thread for long.
 */
public interface WatchListener {

    /** {@code key} now holds {@code value}, or was deleted when empty. */
    void onChange(String key, Optional<Versioned> value);

    /** The initial values have all been delivered. */
    default void onInitialized() {}

    /**
     * A first load (or a reload after a connection loss) failed; the watch tries again by itself. For a listener that
     * must say what it is waiting for: until {@link #onInitialized}, nothing else tells it why nothing arrives.
     */
    default void onLoadFailed(Exception failure) {}

    /** Notifications may have been missed (connection loss): re-read what matters. */
    default void onResync() {}
}
