package dev.sluice.security;

import java.io.IOException;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * One TLS connection over real loopback sockets: the client writes a byte and waits for the server's answer, since in
 * TLS 1.3 a server refuses a client's certificate only after the client's side of the handshake is done, so the
 * client learns of it on its first read.
 */
final class Handshake {

    private static final Duration DEADLINE = Duration.ofSeconds(10);

    /**
     * @param serverFailure what ended the server's side, or {@code null}
     * @param clientFailure what ended the client's side, or {@code null}
     * @param clientSeenByServer the subject of the client's certificate as the server saw it, {@code "none"} if the
     *     client presented none, {@code null} if the server failed
     */
    record Outcome(Exception serverFailure, Exception clientFailure, String clientSeenByServer) {
        boolean succeeded() {
            return serverFailure == null && clientFailure == null;
        }
    }

    enum ClientAuth { NONE, WANT, NEED }

    private Handshake() {}

    static Outcome run(SSLContext server, ClientAuth clientAuth, SSLContext client, String dialledHost) throws Exception {
        try (SSLServerSocket listener = (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            switch (clientAuth) {
                case NONE -> {}
                case WANT -> listener.setWantClientAuth(true);
                case NEED -> listener.setNeedClientAuth(true);
            }
            listener.setSoTimeout((int) DEADLINE.toMillis());
            CompletableFuture<Object> serverSide = CompletableFuture.supplyAsync(() -> {
                try (SSLSocket socket = (SSLSocket) listener.accept()) {
                    socket.setSoTimeout((int) DEADLINE.toMillis());
                    int request = socket.getInputStream().read();
                    socket.getOutputStream().write(request);
                    socket.getOutputStream().flush();
                    try {
                        return socket.getSession().getPeerPrincipal().getName();
                    } catch (SSLPeerUnverifiedException anonymous) {
                        return "none";
                    }
                } catch (IOException | RuntimeException failed) {
                    return failed;
                }
            });
            Exception clientFailure = null;
            try (SSLSocket socket = (SSLSocket) client.getSocketFactory().createSocket(dialledHost, listener.getLocalPort())) {
                SSLParameters parameters = socket.getSSLParameters();
                // What HTTPS clients do: the server's certificate must name the host dialled.
                parameters.setEndpointIdentificationAlgorithm("HTTPS");
                socket.setSSLParameters(parameters);
                socket.setSoTimeout((int) DEADLINE.toMillis());
                socket.getOutputStream().write(42);
                socket.getOutputStream().flush();
                if (socket.getInputStream().read() != 42) {
                    clientFailure = new IOException("the server did not answer");
                }
            } catch (IOException failed) {
                clientFailure = failed;
            }
            Object serverResult = serverSide.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            return serverResult instanceof Exception serverFailure
                    ? new Outcome(serverFailure, clientFailure, null)
                    : new Outcome(null, clientFailure, (String) serverResult);
        }
    }
}
