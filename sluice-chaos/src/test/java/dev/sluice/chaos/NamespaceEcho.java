package dev.sluice.chaos;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * A line echo server and its probe, run as child processes inside a host's namespace by
 * {@link HostNetworkTest} (a JVM cannot open sockets in another namespace itself).
 *
 * <pre>
 * serve ADDRESS PORT               answers each line with "LINE from PEER-ADDRESS"
 * probe ADDRESS PORT COUNT MILLIS  on one connection, COUNT round trips MILLIS apart; prints
 *                                  "ok ROUND-TRIP-MILLIS ANSWER" per trip, or "error MESSAGE" and stops
 * </pre>
 */
final class NamespaceEcho {

    private NamespaceEcho() {}

    public static void main(String[] args) throws Exception {
        InetSocketAddress address = new InetSocketAddress(InetAddress.getByName(args[1]), Integer.parseInt(args[2]));
        switch (args[0]) {
            case "serve" -> serve(address);
            case "probe" -> probe(address, Integer.parseInt(args[3]), Integer.parseInt(args[4]));
            default -> throw new IllegalArgumentException("serve or probe, not " + args[0]);
        }
    }

    private static void serve(InetSocketAddress address) throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(address);
            System.out.println("serving " + address);
            while (true) {
                Socket connection = server.accept();
                Thread.ofVirtual().start(() -> {
                    try (connection;
                         BufferedReader in = new BufferedReader(new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8));
                         PrintWriter out = new PrintWriter(connection.getOutputStream(), true, StandardCharsets.UTF_8)) {
                        String line;
                        while ((line = in.readLine()) != null) {
                            out.println(line + " from " + connection.getInetAddress().getHostAddress());
                        }
                    } catch (Exception gone) {
                        // The probe went away.
                    }
                });
            }
        }
    }

    private static void probe(InetSocketAddress address, int count, int pauseMillis) {
        try (Socket socket = new Socket()) {
            socket.connect(address, 2_000);
            socket.setSoTimeout(10_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            PrintWriter out = new PrintWriter(socket.getOutputStream(), true, StandardCharsets.UTF_8);
            for (int i = 0; i < count; i++) {
                long start = System.nanoTime();
                out.println("ping " + i);
                String answer = in.readLine();
                if (answer == null) {
                    System.out.println("error the connection ended");
                    return;
                }
                System.out.println("ok " + (System.nanoTime() - start) / 1_000_000 + " " + answer);
                Thread.sleep(pauseMillis);
            }
        } catch (Exception failed) {
            System.out.println("error " + failed);
        }
    }
}
