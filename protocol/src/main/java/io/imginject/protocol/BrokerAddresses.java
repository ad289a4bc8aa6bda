package io.imginject.protocol;

import com.rabbitmq.client.Address;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * The nodes of one broker (a single node or a cluster) as AMQP URIs, in order of preference. All of them name the
 * same scheme, user, virtual host and query: a cluster shares its users and virtual hosts, so only host and port
 * differ. Written as one string, the URIs are separated by commas (a comma in a password is written {@code %2C}).
 */
public record BrokerAddresses(List<URI> uris) {
    public BrokerAddresses {
        uris = List.copyOf(uris);
        if (uris.isEmpty()) {
            throw new IllegalArgumentException("no broker URI given");
        }
        URI first = uris.get(0);
        for (URI uri : uris) {
            String scheme = Objects.toString(uri.getScheme(), "").toLowerCase(Locale.ROOT);
            if (!scheme.equals("amqp") && !scheme.equals("amqps")) {
                throw new IllegalArgumentException("a broker URI starts with amqp:// or amqps://, not " + redact(uri));
            }
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("the broker URI " + redact(uri) + " names no host");
            }
            if (!scheme.equalsIgnoreCase(first.getScheme())
                    || !Objects.equals(uri.getRawUserInfo(), first.getRawUserInfo())
                    || !Objects.equals(uri.getRawPath(), first.getRawPath())
                    || !Objects.equals(uri.getRawQuery(), first.getRawQuery())) {
                throw new IllegalArgumentException(
                        "the broker URIs " + redact(first) + " and " + redact(uri)
                                + " differ in more than host and port; the nodes of one broker share scheme, user, virtual host and options");
            }
        }
    }

    /** One URI, or several separated by commas. */
    public static BrokerAddresses parse(String uris) {
        List<URI> parsed = new ArrayList<>();
        for (String text : uris.split(",", -1)) {
            if (text.isBlank()) {
                continue;
            }
            try {
                parsed.add(new URI(text.strip()));
            } catch (URISyntaxException e) {
                throw new IllegalArgumentException("not a broker URI: " + redact(text) + " (" + e.getReason() + ")", e);
            }
        }
        return new BrokerAddresses(parsed);
    }

    /** The URI whose user, virtual host and options every node shares. */
    public URI first() {
        return uris.get(0);
    }

    public boolean tls() {
        return first().getScheme().equalsIgnoreCase("amqps");
    }

    /** Host and port of every node, in order; a URI without a port has the scheme's default (5672, or 5671 for amqps). */
    public List<Address> addresses() {
        int defaultPort = tls() ? 5671 : 5672;
        return uris.stream()
                .map(uri -> new Address(uri.getHost(), uri.getPort() == -1 ? defaultPort : uri.getPort()))
                .toList();
    }

    /** The URIs with their passwords masked, for messages and logs. */
    @Override
    public String toString() {
        return uris.stream().map(BrokerAddresses::redact).collect(Collectors.joining(","));
    }

    private static String redact(URI uri) {
        return redact(uri.toString());
    }

    private static String redact(String uri) {
        return uri.replaceAll("//([^:/@]*):[^@]*@", "//$1:***@");
    }
}
