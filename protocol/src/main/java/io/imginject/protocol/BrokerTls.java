package io.imginject.protocol;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * How an {@code amqps://} connection checks the broker and proves who the client is. The broker's certificate is
 * always verified: against the CA certificates in {@code caFile} (PEM), else against the JVM's trusted CAs; and,
 * unless {@code verifyHostname} is off, it must name the host the URI names. A client certificate (PEM, its chain)
 * with its private key (PEM, PKCS#8, unencrypted: {@code openssl pkcs8 -topk8 -nocrypt} converts others) is sent
 * when the broker asks for one.
 */
public record BrokerTls(
        Optional<Path> caFile, Optional<Path> certFile, Optional<Path> keyFile, boolean verifyHostname) {
    /** The JVM's trusted CAs, the host name checked, no client certificate. */
    public static final BrokerTls DEFAULT = new BrokerTls(Optional.empty(), Optional.empty(), Optional.empty(), true);

    private static final String KEY_BEGIN = "-----BEGIN PRIVATE KEY-----";
    private static final String KEY_END = "-----END PRIVATE KEY-----";

    public BrokerTls {
        if (certFile.isPresent() != keyFile.isPresent()) {
            throw new IllegalArgumentException(
                    "a client certificate needs its key and a key its certificate: give both files or neither");
        }
    }

    /** Where the broker's certificate is checked against, for messages. */
    public String trustSource() {
        return caFile.map(file -> "the CA file " + file).orElse("the JVM's trusted CAs");
    }

    /** An SSL context that verifies the broker as described; a file that cannot be read or parsed fails with its name. */
    public SSLContext sslContext() {
        try {
            TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            trust.init(caFile.isPresent() ? trustStore(caFile.get()) : null);
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers(), trust.getTrustManagers(), null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("cannot set up TLS for the broker: " + e.getMessage(), e);
        }
    }

    private static KeyStore trustStore(Path file) throws GeneralSecurityException {
        List<? extends Certificate> certificates = certificates(file, "CA file");
        KeyStore store = emptyStore();
        for (int i = 0; i < certificates.size(); i++) {
            store.setCertificateEntry("ca-" + i, certificates.get(i));
        }
        return store;
    }

    private KeyManager[] keyManagers() throws GeneralSecurityException {
        if (certFile.isEmpty()) {
            return null;
        }
        List<? extends Certificate> chain = certificates(certFile.get(), "client certificate file");
        char[] storePassword = new char[0];
        KeyStore store = emptyStore();
        store.setKeyEntry("client", privateKey(keyFile.get()), storePassword, chain.toArray(Certificate[]::new));
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(store, storePassword);
        return keys.getKeyManagers();
    }

    private static KeyStore emptyStore() throws GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException("cannot make an empty key store", e);
        }
        return store;
    }

    private static List<? extends Certificate> certificates(Path file, String what) {
        try (InputStream in = Files.newInputStream(file)) {
            List<? extends Certificate> certificates =
                    List.copyOf(CertificateFactory.getInstance("X.509").generateCertificates(in));
            if (certificates.isEmpty()) {
                throw new IllegalArgumentException("the " + what + " " + file + " holds no PEM certificate");
            }
            return certificates;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the " + what + " " + file + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException(
                    "the " + what + " " + file + " is not a PEM certificate: " + e.getMessage(), e);
        }
    }

    /** The key, never quoted in a message. */
    private static PrivateKey privateKey(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read the client key file " + file + ": " + e.getMessage(), e);
        }
        int begin = text.indexOf(KEY_BEGIN);
        int end = text.indexOf(KEY_END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("the client key file " + file + " holds no unencrypted PKCS#8 PEM key ("
                    + KEY_BEGIN + "); convert it with openssl pkcs8 -topk8 -nocrypt");
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(begin + KEY_BEGIN.length(), end));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the client key file " + file + " is not valid PEM", e);
        }
        for (String algorithm : List.of("RSA", "EC", "Ed25519", "Ed448")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not a key of this algorithm; try the next
            }
        }
        throw new IllegalArgumentException("the client key file " + file + " holds no RSA, EC or EdDSA key");
    }
}
