package io.imginject.protocol;

import java.security.cert.CertPathBuilderException;
import java.security.cert.CertPathValidatorException;
import java.security.cert.CertificateException;
import javax.net.ssl.SSLException;

/**
 * No node of the broker could be connected to. The message names the nodes tried and, for a TLS failure, what
 * was wrong: a certificate no trusted CA signed, a certificate for another host name, or a handshake the broker
 * refused. It never holds a password.
 */
public final class BrokerConnectException extends java.io.IOException {
    private static final long serialVersionUID = 1L;

    BrokerConnectException(BrokerAddresses addresses, BrokerTls tls, Exception cause) {
        super(
                "cannot connect to the broker at " + addresses + " (every node tried, in order): "
                        + explain(tls, cause),
                cause);
    }

    private static String explain(BrokerTls tls, Throwable failure) {
        if (find(failure, CertPathBuilderException.class) != null
                || find(failure, CertPathValidatorException.class) != null) {
            return "TLS verification failed: the broker's certificate is not trusted by " + tls.trustSource() + " ("
                    + innermost(failure).getMessage() + ")";
        }
        CertificateException certificate = find(failure, CertificateException.class);
        if (certificate != null) {
            return "TLS verification failed: the broker's certificate is not issued for the host name connected to ("
                    + certificate.getMessage() + "); name the broker in the URI as its certificate does";
        }
        SSLException tlsFailure = find(failure, SSLException.class);
        if (tlsFailure != null) {
            return "the TLS handshake failed: " + tlsFailure.getMessage()
                    + " (does the broker require a client certificate, or not speak TLS on this port?)";
        }
        return innermost(failure).toString();
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
    }

    private static Throwable innermost(Throwable failure) {
        Throwable t = failure;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
