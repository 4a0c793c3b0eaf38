package dev.sluice.metadata;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.zookeeper.server.ServerCnxnFactory;
import org.apache.zookeeper.server.ZooKeeperServer;
import org.apache.zookeeper.server.persistence.FileTxnSnapLog;

/**
 * A single ZooKeeper server inside this JVM, listening on loopback, with its snapshots and transaction log
 * in a directory of the local cluster. It is a real ZooKeeper server (the same code an ensemble member
 * runs), just not replicated: the local mode needs nothing installed. Production points Sluice at an
 * existing ensemble instead.
 */
public final class EmbeddedZooKeeper implements AutoCloseable {

    private static final int TICK_MILLIS = 500;
    private static final int MAX_CLIENT_CONNECTIONS = 200;

    private final ZooKeeperServer server;
    private final ServerCnxnFactory connections;
    private final Path dataDirectory;

    private EmbeddedZooKeeper(ZooKeeperServer server, ServerCnxnFactory connections, Path dataDirectory) {
        this.server = server;
        this.connections = connections;
        this.dataDirectory = dataDirectory;
    }

    /**
     * Starts a server keeping its data under {@code dataDirectory} (created if missing; an existing one is
     * resumed), listening on 127.0.0.1:{@code port}, or on a free port when {@code port} is 0.
     *
     * @throws IOException if the directory is not usable or the port is taken
     */
    public static EmbeddedZooKeeper start(Path dataDirectory, int port) throws IOException {
        // The embedded server has no use for the admin HTTP server (it would take port 8080).
        System.setProperty("zookeeper.admin.enableServer", "false");
        Files.createDirectories(dataDirectory);
        Path snapshots = dataDirectory.resolve("snapshots");
        Path transactions = dataDirectory.resolve("transactions");
        Files.createDirectories(snapshots);
        Files.createDirectories(transactions);
        ZooKeeperServer server = new ZooKeeperServer(new FileTxnSnapLog(transactions.toFile(), snapshots.toFile()), TICK_MILLIS, "");
        ServerCnxnFactory connections = ServerCnxnFactory.createFactory();
        connections.configure(new InetSocketAddress("127.0.0.1", port), MAX_CLIENT_CONNECTIONS, -1);
        try {
            connections.startup(server);
        } catch (InterruptedException interrupted) {
            Thread.currentThread().interrupt();
            connections.shutdown();
            throw new IOException("interrupted while starting the embedded ZooKeeper", interrupted);
        }
        return new EmbeddedZooKeeper(server, connections, dataDirectory);
    }

    /** The connect string clients use: {@code 127.0.0.1:port}. */
    public String connectString() {
        return "127.0.0.1:" + connections.getLocalPort();
    }

    public int port() {
        return connections.getLocalPort();
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    @Override
    public void close() {
        connections.shutdown();
        server.shutdown(true);
    }
}
