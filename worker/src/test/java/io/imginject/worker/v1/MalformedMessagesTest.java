package io.imginject.worker.v1;

import static org.assertj.core.api.Assertions.assertThat;

import com.rabbitmq.client.AMQP;
import io.imginject.protocol.ErrorCode;
import io.imginject.protocol.HandlerName;
import io.imginject.protocol.ImageRef;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.InjectionRequest;
import io.imginject.protocol.Injections;
import io.imginject.protocol.Problem;
import io.imginject.protocol.ReplyCodec;
import io.imginject.protocol.Wire;
import io.imginject.worker.testing.GuestTree;
import io.imginject.worker.testing.SharedWorker;
import io.imginject.worker.testing.TestImages;
import io.imginject.worker.testing.WorkerFixture;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A message that is not a valid request gets an error reply where a reply is possible, is dead-lettered with
 * its reason, is never requeued, and never stops the worker().
 */
class MalformedMessagesTest {
    @RegisterExtension
    static final SharedWorker shared =
            new SharedWorker(List.of(HandlerName.LOOP), 1, "losetup", "mount", "blkid", "mkfs.ext4");

    static WorkerFixture worker() {
        return shared.get();
    }

    static byte[] utf8(String text) {
        return text.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void a_body_that_is_not_json_is_answered_and_dead_lettered_with_its_reason() throws Exception {
        worker().publishRaw(
                        worker().replyingProperties("c1").messageId("junk-1").build(), utf8("this is not json"));

        InjectionReply reply = worker().nextRawReply().reply();
        WorkerFixture.DeadLetter dead = worker().nextDeadLetter();

        assertThat(reply.error().code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE);
        assertThat(reply.jobId()).isEqualTo("junk-1");
        assertThat(dead.header("x-imginject-error-code")).isEqualTo("malformed_message");
        assertThat(dead.header("x-imginject-error-message").toString()).contains("not valid JSON");
        assertThat(dead.header("x-imginject-host")).isEqualTo(worker().host());
        assertThat(dead.header("x-original-exchange")).isEqualTo(Wire.EXCHANGE);
        assertThat(dead.header("x-original-routing-key")).isEqualTo(Wire.routingKey(worker().host()));
        assertThat(dead.header("x-imginject-failed-at")).isNotNull();
        assertThat(dead.properties().getMessageId()).isEqualTo("junk-1");
        assertThat(new String(dead.request(), StandardCharsets.UTF_8)).isEqualTo("this is not json");
    }

    @Test
    void a_request_breaking_the_schema_is_answered_with_every_problem_and_its_path() throws Exception {
        worker().publishRaw(
                        worker().replyingProperties("c2").build(),
                        utf8(
                                "{'v':1,'image':{'path':'rel.img','partition':'two'},'inject':{'files':[{'path':'/a/../b'}]},'x':1}"));

        InjectionReply reply = worker().nextRawReply().reply();
        WorkerFixture.DeadLetter dead = worker().nextDeadLetter();

        assertThat(reply.error().code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(reply.error().problems())
                .extracting(Problem::path)
                .containsExactlyInAnyOrder(
                        "$.x",
                        "$.image.path",
                        "$.image.partition",
                        "$.inject.files[0].path",
                        "$.inject.files[0].content_b64");
        assertThat(dead.header("x-imginject-error-code")).isEqualTo("invalid_request");
        assertThat(dead.header("x-imginject-error-message").toString()).contains("$.inject.files[0].path");
    }

    @Test
    void an_unknown_protocol_version_is_named_in_the_reply() throws Exception {
        worker().publishRaw(worker().replyingProperties("c3").build(), utf8("{'v':7}"));

        InjectionReply reply = worker().nextRawReply().reply();

        assertThat(reply.error().code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
        assertThat(reply.error().message()).contains("version 7");
        assertThat(worker().nextDeadLetter().header("x-imginject-error-code")).isEqualTo("unsupported_version");
    }

    @Test
    void a_request_with_reply_to_but_no_correlation_id_is_still_answered_and_dead_lettered() throws Exception {
        worker().publishRaw(
                        new AMQP.BasicProperties.Builder()
                                .replyTo(
                                        worker().replyingProperties("x").build().getReplyTo())
                                .messageId("no-corr")
                                .build(),
                        utf8("{'v':1}"));

        WorkerFixture.RawReply reply = worker().nextRawReply();

        assertThat(reply.properties().getCorrelationId()).isNull();
        assertThat(reply.reply().error().code()).isEqualTo(ErrorCode.MISSING_CORRELATION_ID);
        assertThat(reply.reply().jobId()).isEqualTo("no-corr");
        assertThat(worker().nextDeadLetter().header("x-imginject-error-code")).isEqualTo("missing_correlation_id");
    }

    @Test
    void a_request_with_another_content_type_is_refused() throws Exception {
        worker().publishRaw(
                        worker().replyingProperties("c4")
                                .contentType("text/plain")
                                .build(),
                        utf8("{'v':1}"));

        assertThat(worker().nextRawReply().reply().error().message()).contains("content_type is text/plain");
        assertThat(worker().nextDeadLetter().header("x-imginject-error-code")).isEqualTo("malformed_message");
    }

    @Test
    void a_malformed_message_without_reply_to_is_dead_lettered_and_the_worker_goes_on_serving() throws Exception {
        worker().publishRaw(
                        new AMQP.BasicProperties.Builder()
                                .messageId("silent")
                                .expiration("600000")
                                .build(),
                        new byte[] {(byte) 0xff, 0x00});

        WorkerFixture.DeadLetter dead = worker().nextDeadLetter();
        assertThat(dead.properties().getMessageId()).isEqualTo("silent");
        assertThat(dead.properties().getExpiration())
                .as("a dead letter must not expire")
                .isNull();
        assertThat(dead.header("x-original-expiration")).isEqualTo("600000");

        TestImages.Built image = TestImages.build(
                worker().images(),
                "after.img",
                TestImages.Layout.WHOLE_DISK,
                TestImages.Fs.EXT4,
                GuestTree.linuxRoot());
        InjectionReply next = worker().call(InjectionRequest.of(
                ImageRef.of(image.path().toString()), Injections.none().withNet("auto lo\n")));
        assertThat(next.isOk()).as("%s", next).isTrue();
        assertThat(worker().deadLettersWaiting()).isZero();
    }

    @Test
    void a_request_with_thousands_of_problems_gets_the_first_fifty_and_how_many_there_are() throws Exception {
        StringBuilder body =
                new StringBuilder("{\"v\":1,\"image\":{\"path\":\"/x.img\"},\"inject\":{\"net\":\"auto lo\\n\"");
        for (int i = 0; i < 20_000; i++) {
            body.append(",\"unknown_").append(i).append("\":0");
        }
        worker().publishRaw(
                        worker().replyingProperties("many").build(),
                        body.append("}}").toString().getBytes(StandardCharsets.UTF_8));

        InjectionReply reply = worker().nextRawReply().reply();
        WorkerFixture.DeadLetter dead = worker().nextDeadLetter();

        assertThat(reply.error().code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(reply.error().problems()).hasSize(50);
        assertThat(reply.error().message()).contains("20000 problems");
        assertThat(ReplyCodec.encode(reply).length).isLessThan(32 * 1024);
        assertThat(dead.header("x-imginject-error-message").toString().length()).isLessThan(8 * 1024);
    }

    @Test
    void a_body_over_the_size_limit_is_refused_as_too_large_and_not_read() throws Exception {
        String net = "#".repeat(9 * 1024 * 1024);
        worker().publishRaw(
                        worker().replyingProperties("huge").build(),
                        utf8("{'v':1,'image':{'path':'/nowhere.img'},'inject':{'net':'" + net + "'}}"));

        InjectionReply reply = worker().nextRawReply().reply();
        WorkerFixture.DeadLetter dead = worker().nextDeadLetter();

        assertThat(reply.error().code()).isEqualTo(ErrorCode.REQUEST_TOO_LARGE);
        assertThat(reply.error().message()).contains("max-request-bytes");
        assertThat(dead.header("x-imginject-error-code")).isEqualTo("request_too_large");
    }

    @Test
    void more_files_than_allowed_are_refused_as_too_large() throws Exception {
        StringBuilder files = new StringBuilder();
        for (int i = 0; i < 1000; i++) {
            files.append(i == 0 ? "" : ",").append("{'path':'/f").append(i).append("','content_b64':''}");
        }
        worker().publishRaw(
                        worker().replyingProperties("files").build(),
                        utf8("{'v':1,'image':{'path':'/nowhere.img'},'inject':{'files':[" + files + "]}}"));

        InjectionReply reply = worker().nextRawReply().reply();
        worker().nextDeadLetter();

        assertThat(reply.error().code()).isEqualTo(ErrorCode.REQUEST_TOO_LARGE);
        assertThat(reply.error().message()).contains("1000 files").contains("max-files");
    }

    @Test
    void files_adding_up_to_more_bytes_than_allowed_are_refused_as_too_large() throws Exception {
        String mebibyte = Base64.getEncoder().encodeToString(new byte[1024 * 1024]);
        StringBuilder files = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            files.append(i == 0 ? "" : ",")
                    .append("{'path':'/f")
                    .append(i)
                    .append("','content_b64':'")
                    .append(mebibyte)
                    .append("'}");
        }
        worker().publishRaw(
                        worker().replyingProperties("bytes").build(),
                        utf8("{'v':1,'image':{'path':'/nowhere.img'},'inject':{'files':[" + files + "]}}"));

        InjectionReply reply = worker().nextRawReply().reply();
        worker().nextDeadLetter();

        assertThat(reply.error().code()).isEqualTo(ErrorCode.REQUEST_TOO_LARGE);
        assertThat(reply.error().message()).contains("max-file-bytes-total");
    }

    @Test
    void an_image_path_longer_than_a_path_can_be_is_refused_without_being_quoted() throws Exception {
        String path = "/" + "d/".repeat(3000) + "image.img";
        worker().publishRaw(
                        worker().replyingProperties("long-path").build(),
                        utf8("{'v':1,'image':{'path':'" + path + "'},'inject':{'net':'auto lo'}}"));

        InjectionReply reply = worker().nextRawReply().reply();
        worker().nextDeadLetter();

        assertThat(reply.error().code()).isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(reply.error().problems()).extracting(Problem::path).containsExactly("$.image.path");
        assertThat(reply.toString()).doesNotContain("d/d/d/");
    }

    @Test
    void a_request_whose_dead_letter_copy_would_not_fit_in_a_frame_is_still_answered_dead_lettered_and_not_requeued()
            throws Exception {
        // the request's headers nearly fill the broker's 128 KiB frame; the worker's reason headers would overflow it
        worker().publishRaw(
                        worker().replyingProperties("fat-headers")
                                .messageId("fat")
                                .headers(Map.of("x-padding", "p".repeat(130_900)))
                                .build(),
                        utf8("not json"));

        InjectionReply reply = worker().nextRawReply(Duration.ofSeconds(60)).reply();
        WorkerFixture.DeadLetter dead = worker().nextDeadLetter();

        assertThat(reply.error().code()).isEqualTo(ErrorCode.REQUEST_TOO_LARGE);
        assertThat(dead.properties().getMessageId()).isEqualTo("fat");
        assertThat(dead.header("x-imginject-error-code")).isEqualTo("request_too_large");
        assertThat(dead.header("x-imginject-error-message").toString()).contains("headers");
        assertThat(dead.header("x-padding")).isNull();
        assertThat(new String(dead.request(), StandardCharsets.UTF_8)).isEqualTo("not json");
        assertThat(worker().pollRawReply(Duration.ofSeconds(3)))
                .as("the request is not run again")
                .isNull();
        assertThat(worker().requestsWaiting()).isZero();
        assertThat(worker().deadLettersWaiting()).isZero();
    }

    @Test
    void a_request_whose_headers_leave_too_little_room_in_a_frame_is_refused_as_too_large() throws Exception {
        // redelivered, the broker would add its own headers to these, and no client could read the message any more
        worker().publishRaw(
                        worker().replyingProperties("big-headers")
                                .headers(Map.of("x-padding", "p".repeat(100_000)))
                                .build(),
                        utf8("{'v':1,'image':{'path':'/nowhere.img'},'inject':{'net':'auto lo'}}"));

        InjectionReply reply = worker().nextRawReply().reply();
        WorkerFixture.DeadLetter dead = worker().nextDeadLetter();

        assertThat(reply.error().code()).isEqualTo(ErrorCode.REQUEST_TOO_LARGE);
        assertThat(reply.error().message()).contains("headers");
        assertThat(dead.header("x-imginject-error-code")).isEqualTo("request_too_large");
    }
}
