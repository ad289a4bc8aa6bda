package io.imginject.worker.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (the test broker), which a test uses to take the network away
 * from a worker and give it back, as a broker node or a network failure does, without touching the shared broker:
 * {@link #hold} keeps new connections waiting unforwarded, {@link #cut} closes every connection through it, and
 * {@link #release} forwards the waiting ones and every later one.
 */
public final class TcpProxy implements AutoCloseable {
    private final String targetHost;
    private final int targetPort;
    private final ServerSocket listener;
    private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
    private final Object gate = new Object();
    private boolean holding;

    private TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        daemon("proxy-accept", this::acceptAll).start();
    }

    /** A proxy to {@code host:port}, forwarding from the start. */
    public static TcpProxy to(String host, int port) throws IOException {
        return new TcpProxy(host, port);
    }

    /** The port it listens on. */
    public int port() {
        return listener.getLocalPort();
    }

    /** New connections are accepted, but wait unforwarded until {@link #release}. */
    public void hold() {
        synchronized (gate) {
            holding = true;
        }
    }

    /** The waiting connections, and every new one, are forwarded. */
    public void release() {
        synchronized (gate) {
            holding = false;
            gate.notifyAll();
        }
    }

    /** Closes every connection through the proxy, both ends, as a failed network would. */
    public void cut() {
        for (Socket socket : sockets) {
            closeQuietly(socket);
        }
    }

    @Override
    public void close() throws IOException {
        listener.close();
        cut();
        release();
    }

    private void acceptAll() {
        while (!listener.isClosed()) {
            try {
                Socket client = listener.accept();
                sockets.add(client);
                daemon("proxy-forward", () -> forward(client)).start();
            } catch (IOException e) {
                return;
            }
        }
    }

    private void forward(Socket client) {
        try {
            synchronized (gate) {
                while (holding && !client.isClosed()) {
                    gate.wait(100);
                }
            }
            if (client.isClosed()) {
                return;
            }
            Socket server = new Socket(targetHost, targetPort);
            sockets.add(server);
            daemon("proxy-pump", () -> pump(server, client)).start();
            pump(client, server);
        } catch (IOException e) {
            closeQuietly(client);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeQuietly(client);
        }
    }

    /** Copies {@code from} to {@code to} until either end closes, then closes both. */
    private void pump(Socket from, Socket to) {
        byte[] buffer = new byte[16384];
        try (InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream()) {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                out.write(buffer, 0, n);
                out.flush();
            }
        } catch (IOException e) {
            // one end closed: the connection is over
        } finally {
            closeQuietly(from);
            closeQuietly(to);
        }
    }

    private void closeQuietly(Socket socket) {
        sockets.remove(socket);
        try {
            socket.close();
        } catch (IOException e) {
            // closing is all that is wanted
        }
    }

    private static Thread daemon(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        return thread;
    }
}
