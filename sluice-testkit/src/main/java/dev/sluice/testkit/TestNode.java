package dev.sluice.testkit;

import dev.sluice.model.NodeId;
import dev.sluice.server.SluiceNode;
import dev.sluice.worker.Worker;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One node of a {@link LocalTestCluster}: its fixed name, data directory and ports (kept across restarts,
 * as a real machine keeps them), and the running {@link SluiceNode}, if any.
 */
public final class TestNode {

    private final int index;
    private final String name;
    private final Path dataDirectory;
    private final int httpPort;
    private final int raftPort;
    private final String scheme;
    volatile SluiceNode node;
    volatile TcpProxy metadataProxy;

    TestNode(int index, String name, Path dataDirectory, int httpPort, int raftPort, boolean tls) {
        this.scheme = tls ? "https" : "http";
        this.index = index;
        this.name = name;
        this.dataDirectory = dataDirectory;
        this.httpPort = httpPort;
        this.raftPort = raftPort;
    }

    public int index() {
        return index;
    }

    public String name() {
        return name;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    public int httpPort() {
        return httpPort;
    }

    public int raftPort() {
        return raftPort;
    }

    public URI url() {
        return URI.create(scheme + "://127.0.0.1:" + httpPort);
    }

    public boolean isRunning() {
        SluiceNode current = node;
        return current != null && current.worker() != null && current.worker().running();
    }

    /** The running node process. */
    public SluiceNode process() {
        SluiceNode current = node;
        if (current == null) {
            throw new IllegalStateException(name + " is not running");
        }
        return current;
    }

    public Worker worker() {
        return process().worker();
    }

    /** The node's plain id, once it registered. */
    public NodeId nodeId() {
        return worker().self().orElseThrow(() -> new IllegalStateException(name + " has not registered")).nodeId();
    }

    public Optional<SluiceNode> running() {
        return Optional.ofNullable(node);
    }

    @Override
    public String toString() {
        return name + "(" + url() + ")";
    }
}
