package dev.sluice.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Chooses loopback ports a node keeps across its restarts.
 *
 * <p>A port the OS hands out for {@code bind(0)} comes from its ephemeral range, the same range it draws the
 * local ports of outgoing connections from. While a node is down, any client connection in the process (a
 * ZooKeeper session, a gRPC channel) can be given its port, and the restarted node then cannot listen on it —
 * Ratis even ends the process when its server cannot bind. Ports below the ephemeral range are never given
 * to outgoing connections, so a port free when chosen stays free until someone listens on it.
 */
final class RestartablePorts {
    private static final int LOWEST = 10_000;
    private static final int ATTEMPTS = 200;

    private RestartablePorts() {
    }

    /** A loopback port below the ephemeral range that nothing listens on now. */
    static int choose() {
        int belowEphemeral = ephemeralRangeStart();
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
            int port = random.nextInt(LOWEST, belowEphemeral);
            if (free(port)) {
                return port;
            }
        }
        throw new IllegalStateException("no free loopback port between " + LOWEST + " and " + belowEphemeral + " after " + ATTEMPTS + " attempts");
    }

    private static boolean free(int port) {
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress("127.0.0.1", port));
            return true;
        } catch (IOException inUse) {
            return false;
        }
    }

    /** The first port of the OS's ephemeral range; Linux's default where the range cannot be read. */
    static int ephemeralRangeStart() {
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        try {
            // Read as lines: on JDK 25, Files.readString and readAllBytes return only "3" of this procfs file's
            // "32768\t60999" (it reports size 0), which refused every test port.
            int start = Integer.parseInt(Files.readAllLines(range).getFirst().trim().split("\\s+")[0]);
            if (start <= LOWEST + 1_000) {
                throw new IllegalStateException("the ephemeral port range starts at " + start + " (" + range + "): no room below it for test ports");
            }
            return start;
        } catch (IOException | NumberFormatException unreadable) {
            return 32_768;
        }
    }
}
