package dev.sluice.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The relay on loopback addresses (no namespaces needed): bytes arrive intact and in order, late by the
 * drawn latency; stalls hold a direction back; resets reach both ends; and it relays only between the
 * addresses it was given.
 */
class LinkProxyTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private ServerSocket echo;
    private LinkProxy proxy;

    @BeforeEach
    void startEcho() throws IOException {
        echo = new ServerSocket(0, 50, LOOPBACK);
        Thread.ofVirtual().start(() -> {
            while (!echo.isClosed()) {
                try {
                    Socket connection = echo.accept();
                    Thread.ofVirtual().start(() -> {
                        try (connection; InputStream in = connection.getInputStream(); OutputStream out = connection.getOutputStream()) {
                            in.transferTo(out);
                        } catch (IOException gone) {
                            // The test closed it, or the proxy reset it.
                        }
                    });
                } catch (IOException closed) {
                    return;
                }
            }
        });
    }

    @AfterEach
    void stop() throws IOException {
        if (proxy != null) {
            proxy.close();
        }
        echo.close();
    }

    private InetSocketAddress echoAddress() {
        return new InetSocketAddress(LOOPBACK, echo.getLocalPort());
    }

    private static long roundTripNanos(Socket socket, byte[] message) throws IOException {
        long start = System.nanoTime();
        socket.getOutputStream().write(message);
        socket.getOutputStream().flush();
        byte[] back = socket.getInputStream().readNBytes(message.length);
        assertThat(back).isEqualTo(message);
        return System.nanoTime() - start;
    }

    @Test
    void bytesArriveIntactAndInOrderLateByTheLatencyEachWay() throws Exception {
        long seed = new Random().nextLong();
        System.out.println("LinkProxyTest seed " + seed);
        proxy = new LinkProxy(LOOPBACK, Set.of(LOOPBACK), LinkImpairment.slow(), seed);
        InetSocketAddress relay = proxy.route(echoAddress());
        byte[] large = new byte[1 << 20];
        new Random(seed).nextBytes(large);

        try (Socket socket = new Socket()) {
            socket.connect(relay, 2_000);
            socket.setSoTimeout(30_000);
            for (int i = 0; i < 3; i++) {
                // Two hops through the relay, each held at least the minimum latency.
                assertThat(Duration.ofNanos(roundTripNanos(socket, ("ping " + i).getBytes())))
                        .as("seed %d", seed).isGreaterThanOrEqualTo(LinkImpairment.slow().minLatency().multipliedBy(2));
            }
            Thread writer = Thread.ofVirtual().start(() -> {
                try {
                    socket.getOutputStream().write(large);
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            });
            byte[] back = socket.getInputStream().readNBytes(large.length);
            writer.join();
            assertThat(Arrays.equals(back, large)).as("a megabyte came back intact and in order (seed %d)", seed).isTrue();
        }
        assertThat(proxy.counts().connections()).isEqualTo(1);
        // The proxy counts a chunk once it has written it, so the echo's last chunk can arrive here first
        // (seed -8440407010181864526 read 2,087,972 of 2,097,152 bytes counted).
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(proxy.counts().bytes()).isGreaterThanOrEqualTo(2L * large.length));
    }

    @Test
    void halfClosesPassThroughAndAConnectionEndedBothWaysIsLetGo() throws Exception {
        proxy = new LinkProxy(LOOPBACK, Set.of(LOOPBACK), new LinkImpairment(Duration.ZERO, Duration.ZERO, 0, Duration.ZERO, Duration.ZERO, 0, Duration.ZERO), 5);
        try (Socket socket = new Socket()) {
            socket.connect(proxy.route(echoAddress()), 2_000);
            socket.setSoTimeout(5_000);
            socket.getOutputStream().write("last words".getBytes());
            socket.shutdownOutput();

            // The echo server sees the end of the stream only through the proxy, answers, and ends its side.
            assertThat(socket.getInputStream().readAllBytes()).isEqualTo("last words".getBytes());
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> proxy.openConnections() == 0);
    }

    @Test
    void aStallHoldsEverythingBehindIt() throws Exception {
        LinkImpairment alwaysStall = new LinkImpairment(Duration.ZERO, Duration.ZERO, 1.0, Duration.ofMillis(400), Duration.ofMillis(400), 0, Duration.ZERO);
        proxy = new LinkProxy(LOOPBACK, Set.of(LOOPBACK), alwaysStall, 1);
        try (Socket socket = new Socket()) {
            socket.connect(proxy.route(echoAddress()), 2_000);
            socket.setSoTimeout(10_000);

            assertThat(Duration.ofNanos(roundTripNanos(socket, "x".getBytes()))).isGreaterThanOrEqualTo(Duration.ofMillis(800));
        }
        assertThat(proxy.counts().stalls()).isEqualTo(2);
    }

    @Test
    void aDrawnResetReachesTheClientAsAConnectionReset() throws Exception {
        LinkImpairment alwaysReset = new LinkImpairment(Duration.ZERO, Duration.ZERO, 0, Duration.ZERO, Duration.ZERO, 1.0, Duration.ofMillis(300));
        proxy = new LinkProxy(LOOPBACK, Set.of(LOOPBACK), alwaysReset, 2);
        try (Socket socket = new Socket()) {
            socket.connect(proxy.route(echoAddress()), 2_000);
            socket.setSoTimeout(10_000);

            assertThatThrownBy(() -> socket.getInputStream().read()).isInstanceOf(SocketException.class).hasMessageContaining("reset");
        }
        assertThat(proxy.counts().resets()).isEqualTo(1);
    }

    @Test
    void itRelaysOnlyToAndFromTheGivenAddresses() throws Exception {
        // 127.0.0.2 is loopback too on Linux, but not among the proxy's hosts.
        InetAddress other = InetAddress.getByName("127.0.0.2");
        proxy = new LinkProxy(LOOPBACK, Set.of(other), LinkImpairment.slow(), 3);

        assertThatThrownBy(() -> proxy.route(echoAddress())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("only to the run's hosts");

        try (ServerSocket target = new ServerSocket(0, 50, other); Socket socket = new Socket()) {
            InetSocketAddress relay = proxy.route(new InetSocketAddress(other, target.getLocalPort()));
            // The connection comes from 127.0.0.1, which is not one of the proxy's hosts.
            socket.connect(relay, 2_000);
            socket.setSoTimeout(5_000);

            assertThat(socket.getInputStream().read()).isEqualTo(-1);
            await().atMost(Duration.ofSeconds(5)).until(() -> proxy.counts().refused() == 1);
            assertThat(proxy.counts().connections()).isZero();
        }
    }

    @Test
    void closingDropsTheRelayedConnectionsAndStopsListening() throws Exception {
        proxy = new LinkProxy(LOOPBACK, Set.of(LOOPBACK), new LinkImpairment(Duration.ZERO, Duration.ZERO, 0, Duration.ZERO, Duration.ZERO, 0, Duration.ZERO), 4);
        InetSocketAddress relay = proxy.route(echoAddress());
        try (Socket socket = new Socket()) {
            socket.connect(relay, 2_000);
            socket.setSoTimeout(5_000);
            roundTripNanos(socket, "before".getBytes());

            proxy.close();

            assertThat(socket.getInputStream().read()).isEqualTo(-1);
        }
        try (Socket late = new Socket()) {
            late.connect(relay, 2_000);
            // Something answered on the closed port. Linux connects a socket to itself when the ephemeral port it
            // picks is the closed listener's (TCP simultaneous open), and on a busy machine another process can
            // take the freed port (a build met one listening there). Neither is the proxy: the proxy would relay
            // to the echo server, so what was sent would come back.
            if (late.getLocalPort() != relay.getPort()) {
                late.setSoTimeout(1_000);
                late.getOutputStream().write("late".getBytes());
                late.getOutputStream().flush();
                assertThat(late.getInputStream().readNBytes(4)).as("the closed proxy still relays on %s", relay).isNotEqualTo("late".getBytes());
            }
        } catch (IOException refused) {
            // Nothing listens any more (or it said nothing back): what closing must do.
        }
    }
}
