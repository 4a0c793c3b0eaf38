package dev.sluice.server;

import io.javalin.config.JavalinConfig;

/**
 * A part of a node process beyond the worker — the admin API, the controller, metrics — plugged into
 * {@link SluiceNode}: it may add HTTP routes (Javalin takes them before the server starts) and is started
 * after the worker and closed before it.
 */
public interface NodeComponent extends AutoCloseable {

    /** A short name for logs. */
    String name();

    /** Adds routes to the node's HTTP server; called once, before it starts. */
    default void routes(JavalinConfig config) {}

    /** Starts the component; the node's metadata, worker and HTTP server are running. */
    default void start(SluiceNode node) throws Exception {}

    /** Stops the component; must not throw. */
    @Override
    default void close() {}
}
