package dev.sluice.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP relay between one node and a server (its ZooKeeper), so a test can cut the node off:
 * {@link #close()} drops every connection and stops listening, which is what a crashed or partitioned
 * process looks like from the server's side. Owns its listening socket and every relayed connection.
 */
final class TcpProxy implements AutoCloseable {

    private static final int BUFFER_BYTES = 16 * 1024;

    private final ServerSocket listener;
    private final InetSocketAddress target;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private volatile boolean blocked;

    TcpProxy(InetSocketAddress target) throws IOException {
        this.target = target;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("tcp-proxy-accept-" + listener.getLocalPort()).start(this::acceptLoop);
    }

    /** {@code 127.0.0.1:port} of the relay. */
    String address() {
        return "127.0.0.1:" + listener.getLocalPort();
    }

    private void acceptLoop() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                Socket server = new Socket();
                try {
                    server.connect(target, 2_000);
                } catch (IOException unreachable) {
                    client.close();
                    continue;
                }
                sockets.add(client);
                sockets.add(server);
                if (closed || blocked) {
                    closeQuietly(client);
                    closeQuietly(server);
                    continue;
                }
                if (closed) {
                    closeQuietly(client);
                    closeQuietly(server);
                    return;
                }
                Thread.ofVirtual().start(() -> pump(client, server));
                Thread.ofVirtual().start(() -> pump(server, client));
            } catch (IOException stopped) {
                return;
            }
        }
    }

    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[BUFFER_BYTES];
        try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
            int read;
            while ((read = in.read(buffer)) >= 0) {
                out.write(buffer, 0, read);
                out.flush();
            }
        } catch (IOException dropped) {
            // The other side went away or the proxy was closed.
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            sockets.remove(from);
            sockets.remove(to);
        }
    }

    /** While blocked, every relayed connection is dropped and new ones are closed at once. */
    void blocked(boolean block) {
        blocked = block;
        if (block) {
            for (Socket socket : sockets) {
                closeQuietly(socket);
            }
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(listener);
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
        sockets.clear();
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception ignored) {
            // Closing anyway.
        }
    }
}
