package io.imginject.worker.testing;

import io.imginject.protocol.SshPublicKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * An ed25519 key pair made for one test by ssh-keygen, without a passphrase: the public half to inject, the
 * private half for {@link GuestSsh} to log in with.
 *
 * @param privateKey the private key file (mode 0600, as ssh-keygen writes it)
 * @param publicKey the public key
 */
public record TestSshKey(Path privateKey, SshPublicKey publicKey) {
    public static TestSshKey generate(Path directory) throws IOException {
        Path privateKey = directory.resolve("id_ed25519");
        Commands.run(
                "ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "imginject-test", "-f", privateKey.toString());
        String publicLine = Files.readString(directory.resolve("id_ed25519.pub"), StandardCharsets.UTF_8);
        return new TestSshKey(privateKey, SshPublicKey.parse(publicLine.strip()));
    }
}
