package io.imginject.protocol;

import com.rabbitmq.client.Address;
import com.rabbitmq.client.AddressResolver;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import com.rabbitmq.client.SocketConfigurators;
import java.io.IOException;
import java.security.GeneralSecurityException;
import java.util.List;
import java.util.concurrent.TimeoutException;

/**
 * Connects to a broker through any of its nodes: the first of {@link BrokerAddresses} that answers, in order, and a
 * recovering connection recovers to whichever answers then. With {@code amqps} the broker's certificate and host
 * name are verified as {@link BrokerTls} says; an {@code amqps} URI never trusts just any certificate.
 *
 * <p>For schedulers: {@code InjectionClient.open(new BrokerConnector(BrokerAddresses.parse(uris), BrokerTls.DEFAULT).connect("scheduler"))}.
 */
public final class BrokerConnector {
    private final BrokerAddresses addresses;
    private final BrokerTls tls;

    public BrokerConnector(BrokerAddresses addresses, BrokerTls tls) {
        this.addresses = addresses;
        this.tls = tls;
    }

    /**
     * A factory with the user, virtual host, URI options and TLS of the broker; its host and port are the first
     * node's, but {@link #connect(ConnectionFactory, String)} tries every node. Tune it further before connecting.
     */
    public ConnectionFactory factory() {
        ConnectionFactory factory = new ConnectionFactory();
        if (addresses.tls()) {
            factory.useSslProtocol(tls.sslContext());
            if (!tls.verifyHostname()) {
                factory.setSocketConfigurator(SocketConfigurators.defaultConfigurator());
            }
        }
        try {
            factory.setUri(addresses.first());
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new IllegalArgumentException("bad broker URI " + addresses + ": " + e.getMessage(), e);
        }
        return factory;
    }

    /** Connects with a factory of {@link #factory()}, trying the nodes in order. */
    public Connection connect(ConnectionFactory factory, String name) throws BrokerConnectException {
        try {
            return factory.newConnection(null, new InOrder(addresses.addresses()), name);
        } catch (IOException | TimeoutException e) {
            throw new BrokerConnectException(addresses, tls, e);
        }
    }

    /** Connects with a {@link #factory()} as it is. */
    public Connection connect(String name) throws BrokerConnectException {
        return connect(factory(), name);
    }

    /** The nodes in the order given, every time: the first is preferred, on recovery too. */
    private record InOrder(List<Address> nodes) implements AddressResolver {
        @Override
        public List<Address> getAddresses() {
            return nodes;
        }

        @Override
        public List<Address> maybeShuffle(List<Address> input) {
            return input;
        }
    }
}
