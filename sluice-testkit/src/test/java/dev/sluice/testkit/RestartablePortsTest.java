package dev.sluice.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class RestartablePortsTest {

    @Test
    void theRangeStartIsReadFromTheKernelNotTruncated() throws Exception {
        Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
        int expected = Files.isReadable(range) ? Integer.parseInt(Files.readAllLines(range).getFirst().trim().split("\\s+")[0]) : 32_768;
        assertThat(RestartablePorts.ephemeralRangeStart()).isEqualTo(expected).isGreaterThan(11_000);
    }

    @Test
    void aChosenPortIsFreeAndNeverOneAnOutgoingConnectionCouldBeGiven() throws Exception {
        int start = RestartablePorts.ephemeralRangeStart();
        try (ServerSocket listener = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                Socket outgoing = new Socket()) {
            outgoing.connect(new InetSocketAddress("127.0.0.1", listener.getLocalPort()));
            assertThat(outgoing.getLocalPort()).as("the OS draws outgoing ports from the range").isGreaterThanOrEqualTo(start);
        }
        for (int i = 0; i < 20; i++) {
            int port = RestartablePorts.choose();
            assertThat(port).isLessThan(start).isGreaterThanOrEqualTo(10_000);
            try (ServerSocket socket = new ServerSocket()) {
                socket.bind(new InetSocketAddress("127.0.0.1", port));
            }
        }
    }
}
