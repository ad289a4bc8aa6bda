package io.imginject.worker.v1;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.read.ListAppender;
import io.imginject.protocol.FileInjection;
import io.imginject.protocol.GuestUser;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.NoCloudSeed;
import io.imginject.protocol.RequestEncoder;
import io.imginject.protocol.Secret;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.HostRequirements;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.WorkerFixture;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Passwords (root's and users'), user-data and file contents never reach the logs, at any level, in success or failure,
 * as text or as JSON (log-format=json).
 */
class SecretsStayOutOfLogsTest {
    static final String PASSWORD = "hunter2-do-not-log";
    static final String CONTENT = "top-secret-file-content";

    @TempDir
    Path directory;

    @Test
    void not_while_a_job_succeeds_fails_or_is_rejected() throws Exception {
        HostRequirements.root();
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        try (WorkerFixture worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP), 1)) {
            TestImages.Built good = TestImages.build(
                    worker.images(), "good.img", TestImages.Layout.GPT, TestImages.Fs.EXT4, GuestTree.linuxRoot());
            TestImages.Built noShadow = TestImages.build(
                    worker.images(),
                    "bad.img",
                    TestImages.Layout.GPT,
                    TestImages.Fs.EXT4,
                    GuestTree.linuxRoot().symlink("/etc/motd", "/etc/passwd").file("/etc/shadow", "x\n", 0600, 0, 0));
            for (TestImages.Built image : List.of(good, noShadow)) {
                InjectionReply reply = worker.call(request(image.path()));
                assertThat(reply.toString()).doesNotContain(PASSWORD).doesNotContain(CONTENT);
            }
            byte[] invalid = new String(RequestEncoder.encode(request(good.path())), StandardCharsets.UTF_8)
                    .replace("\"v\":1", "\"v\":1,\"surprise\":true")
                    .getBytes(StandardCharsets.UTF_8);
            worker.publishRaw(worker.replyingProperties("bad").build(), invalid);
            worker.nextRawReply();
            worker.nextDeadLetter();
        } finally {
            root.detachAppender(captured);
        }

        assertThat(captured.list).isNotEmpty();
        for (ILoggingEvent event : captured.list) {
            String text = event.getFormattedMessage()
                    + (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy()))
                    + asJson(event);
            assertThat(text)
                    .doesNotContain(PASSWORD)
                    .doesNotContain(CONTENT)
                    .doesNotContain(Base64.getEncoder().encodeToString(CONTENT.getBytes(StandardCharsets.UTF_8)));
        }
    }

    @Test
    void not_when_a_body_is_no_json_or_its_values_are_wrong_nor_in_the_reply_or_the_dead_letter() throws Exception {
        HostRequirements.root();
        List<String> secrets = List.of(
                "Hunter2DoNotEcho",
                "31415926535",
                "FormatSecret",
                "ModeSecret",
                "ItemSecret",
                "HandlerSecret",
                "271828182845",
                "MetaKeySecret",
                "1618033988");
        List<String> bodies = List.of(
                "{'v':1,'image':{'path':'/x.img'},'inject':{'admin_password': Hunter2DoNotEcho}}",
                "{'v':1,'image':{'path':'/x.img'},'inject':{'admin_password': 31415926535}}",
                "{'v':1,'image':{'path':'/x.img','format':'FormatSecret'},'mandatory':['ItemSecret'],'handlers':['HandlerSecret'],"
                        + "'inject':{'files':[{'path':'/a','content_b64':'','mode':'ModeSecret','uid':271828182845}],"
                        + "'metadata':{'MetaKeySecret':1618033988}}}");
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> captured = new ListAppender<>();
        captured.start();
        root.addAppender(captured);
        List<String> answers = new ArrayList<>();
        try (WorkerFixture worker = WorkerFixture.start(directory, List.of(HandlerName.LOOP), 1)) {
            for (String body : bodies) {
                worker.publishRaw(
                        worker.replyingProperties("wrong").build(),
                        body.replace('\'', '"').getBytes(StandardCharsets.UTF_8));
                answers.add(worker.nextRawReply().reply().toString());
                WorkerFixture.DeadLetter dead = worker.nextDeadLetter();
                answers.add(dead.header("x-imginject-error-message").toString());
            }
        } finally {
            root.detachAppender(captured);
        }

        for (ILoggingEvent event : captured.list) {
            answers.add(event.getFormattedMessage()
                    + (event.getThrowableProxy() == null ? "" : ThrowableProxyUtil.asString(event.getThrowableProxy()))
                    + asJson(event));
        }
        for (String answer : answers) {
            for (String secret : secrets) {
                assertThat(answer).doesNotContain(secret);
            }
        }
    }

    /**
     * The event as log-format=json writes it, with every field logback's JSON encoder has (the message's unformatted
     * text and its arguments too, which the worker's JSON lines leave out), so that neither format shows a secret.
     */
    static String asJson(ILoggingEvent event) {
        JsonEncoder encoder = new JsonEncoder();
        encoder.setContext((LoggerContext) LoggerFactory.getILoggerFactory());
        encoder.start();
        return new String(encoder.encode(event), StandardCharsets.UTF_8);
    }

    static InjectionRequest request(Path image) {
        return InjectionRequest.of(
                ImageRef.of(image.toString()),
                Injections.none()
                        .withAdminPassword(Secret.of(PASSWORD))
                        .withUsers(List.of(
                                new GuestUser("alice", List.of(), Optional.of(Secret.of(PASSWORD))),
                                new GuestUser("nobody", List.of(), Optional.of(Secret.of(PASSWORD)))))
                        .withNocloud(new NoCloudSeed("i-1", Secret.of("#cloud-config\n# " + CONTENT + "\n")))
                        .withFiles(List.of(FileInjection.of("/etc/motd", CONTENT.getBytes(StandardCharsets.UTF_8)))));
    }
}
