package io.imginject.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("fast")
class RequestDecoderTest {
    static final String KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq4gJmvYvBRrC5Jr5DmXq2sWfQw4l1XfXxD1o9mY0Gg user@example";

    static byte[] json(String text) {
        return text.replace('\'', '"').getBytes(StandardCharsets.UTF_8);
    }

    static RequestRejectedException rejection(String body) {
        return catchThrowableOfType(RequestRejectedException.class, () -> RequestDecoder.decode(json(body)));
    }

    @Nested
    @DisplayName("a valid request")
    class Valid {
        @Test
        void decodes_every_field_of_the_documented_example() throws Exception {
            InjectionRequest request = RequestDecoder.decode(json("""
                    {'v': 1,
                     'image': {'path': '/var/lib/imginject/images/vm1.img', 'format': 'raw', 'partition': -1},
                     'inject': {'key': '%s', 'admin_password': 's3cret',
                                'files': [{'path': '/etc/motd', 'content_b64': 'aGVsbG8K', 'mode': '0644', 'uid': 0, 'gid': 0}],
                                'metadata': {'role': 'web'},
                                'net': 'auto eth0\\niface eth0 inet dhcp\\n'},
                     'mandatory': ['files'],
                     'handlers': ['loop', 'nbd', 'guestfs']}""".formatted(KEY)));

            assertThat(request.image().path()).isEqualTo("/var/lib/imginject/images/vm1.img");
            assertThat(request.image().format()).contains(ImageFormat.RAW);
            assertThat(request.image().partition()).isEqualTo(new PartitionSelector.FindRoot());
            assertThat(request.inject().key())
                    .get()
                    .extracting(SshPublicKey::line)
                    .isEqualTo(KEY);
            assertThat(request.inject().adminPassword()).contains(Secret.of("s3cret"));
            FileInjection motd = request.inject().files().get(0);
            assertThat(motd.path()).isEqualTo("/etc/motd");
            assertThat(motd.content().revealAsString()).isEqualTo("hello\n");
            assertThat(motd.mode()).contains(0644);
            assertThat(motd.uid()).contains(0L);
            assertThat(request.inject().metadata()).contains(Map.of("role", "web"));
            assertThat(request.inject().net()).contains("auto eth0\niface eth0 inet dhcp\n");
            assertThat(request.mandatory()).containsExactly(ItemName.FILES);
            assertThat(request.handlers()).containsExactly(HandlerName.LOOP, HandlerName.NBD, HandlerName.GUESTFS);
        }

        @Test
        void defaults_to_finding_the_root_filesystem_and_detecting_the_format() throws Exception {
            InjectionRequest request =
                    RequestDecoder.decode(json("{'v':1,'image':{'path':'/i.img'},'inject':{'net':'x'}}"));
            assertThat(request.image().partition()).isEqualTo(new PartitionSelector.FindRoot());
            assertThat(request.image().format()).isEmpty();
            assertThat(request.mandatory()).isEmpty();
            assertThat(request.handlers()).isEmpty();
        }

        @Test
        void reads_partition_null_and_zero_as_whole_disk_and_n_as_partition_n() throws Exception {
            assertThat(partitionOf("null")).isEqualTo(new PartitionSelector.WholeDisk());
            assertThat(partitionOf("0")).isEqualTo(new PartitionSelector.WholeDisk());
            assertThat(partitionOf("2")).isEqualTo(new PartitionSelector.Numbered(2));
        }

        private PartitionSelector partitionOf(String value) throws Exception {
            return RequestDecoder.decode(
                            json("{'v':1,'image':{'path':'/i.img','partition':" + value + "},'inject':{'net':'x'}}"))
                    .image()
                    .partition();
        }

        @Test
        void survives_a_round_trip_through_the_encoder() throws Exception {
            InjectionRequest request = InjectionRequest.of(
                            ImageRef.of("/images/a.qcow2")
                                    .withFormat(ImageFormat.QCOW2)
                                    .withPartition(new PartitionSelector.Numbered(1)),
                            Injections.none()
                                    .withKey(SshPublicKey.parse(KEY))
                                    .withAdminPassword(Secret.of("pw"))
                                    .withFiles(List.of(FileInjection.of("/a/b", new byte[] {0, 1, 2})
                                            .withMode(0600)
                                            .withOwner(5, 6)))
                                    .withMetadata(Map.of("k", "v"))
                                    .withNet("n"))
                    .withMandatory(Set.of(ItemName.FILES, ItemName.KEY))
                    .withHandlers(List.of(HandlerName.GUESTFS));

            assertThat(RequestDecoder.decode(RequestEncoder.encode(request))).isEqualTo(request);
        }
    }

    @Nested
    @DisplayName("a malformed message")
    class Malformed {
        @Test
        void that_is_not_json_is_malformed() {
            assertThat(rejection("hello").code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE);
        }

        @Test
        void that_is_json_but_not_an_object_is_malformed() {
            RequestRejectedException e = rejection("[1,2]");
            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE);
            assertThat(e.getMessage()).contains("not an object");
        }

        @Test
        void with_a_repeated_key_is_malformed() {
            assertThat(rejection("{'v':1,'v':1}").code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE);
        }

        @Test
        void that_is_empty_is_malformed() {
            assertThat(rejection("").code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE);
        }

        @Test
        void with_another_version_is_unsupported() {
            RequestRejectedException e = rejection("{'v':2,'image':{}}");
            assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_VERSION);
            assertThat(e.getMessage()).contains("version 2").contains("v1");
        }
    }

    @Nested
    @DisplayName("an invalid request")
    class Invalid {
        @Test
        void reports_every_problem_at_once_each_with_its_json_path() {
            RequestRejectedException e = rejection("""
                    {'image': {'path': 'relative.img', 'format': 'floppy', 'partition': -7, 'extra': 1},
                     'inject': {'key': 'not a key', 'files': [{'path': '/etc/../x', 'content_b64': '%%%', 'mode': '999'}],
                                'metadata': {'n': 1}},
                     'mandatory': ['kernel'], 'handlers': ['loop', 'loop'], 'colour': 'red'}""");

            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
            assertThat(e.problems())
                    .extracting(Problem::path)
                    .containsExactlyInAnyOrder(
                            "$.v",
                            "$.colour",
                            "$.image.extra",
                            "$.image.path",
                            "$.image.format",
                            "$.image.partition",
                            "$.inject.key",
                            "$.inject.files[0].path",
                            "$.inject.files[0].content_b64",
                            "$.inject.files[0].mode",
                            "$.inject.metadata",
                            "$.mandatory[0]",
                            "$.handlers[1]");
        }

        @Test
        void names_what_is_missing() {
            RequestRejectedException e = rejection("{'v':1}");
            assertThat(e.problems())
                    .containsExactly(new Problem("$.image", "is required"), new Problem("$.inject", "is required"));
        }

        @Test
        void needs_something_to_inject() {
            RequestRejectedException e = rejection("{'v':1,'image':{'path':'/i.img'},'inject':{}}");
            assertThat(e.problems()).singleElement().satisfies(p -> {
                assertThat(p.path()).isEqualTo("$.inject");
                assertThat(p.message()).contains("nothing to inject");
            });
        }

        @Test
        void refuses_file_paths_that_are_relative_unnormalised_or_climb() {
            for (String path : List.of("etc/motd", "/etc/./motd", "/etc//motd", "/etc/../../x", "/etc/", "/")) {
                RequestRejectedException e = rejection("{'v':1,'image':{'path':'/i.img'},'inject':{'files':[{'path':'"
                        + path + "','content_b64':''}]}}");
                assertThat(e.problems()).as(path).extracting(Problem::path).containsExactly("$.inject.files[0].path");
            }
        }

        @Test
        void refuses_two_files_at_one_path() {
            RequestRejectedException e = rejection("{'v':1,'image':{'path':'/i.img'},'inject':{'files':["
                    + "{'path':'/a','content_b64':''},{'path':'/a','content_b64':''}]}}");
            assertThat(e.problems())
                    .containsExactly(new Problem("$.inject.files[1].path", "repeats the path of $.inject.files[0]"));
        }

        @Test
        void refuses_a_file_that_another_item_in_the_same_request_writes() {
            RequestRejectedException e = rejection("{'v':1,'image':{'path':'/i.img'},'inject':{'net':'x','files':["
                    + "{'path':'/etc/network/interfaces','content_b64':''}]}}");
            assertThat(e.problems())
                    .singleElement()
                    .extracting(Problem::message)
                    .asString()
                    .contains("\"net\" item");
        }

        @Test
        void refuses_a_key_of_several_lines_which_could_smuggle_in_a_second_key() {
            RequestRejectedException e =
                    rejection("{'v':1,'image':{'path':'/i.img'},'inject':{'key':'" + KEY + "\\n" + KEY + "'}}");
            assertThat(e.problems())
                    .singleElement()
                    .extracting(Problem::message)
                    .asString()
                    .contains("single line");
        }

        @Test
        void never_quotes_the_password_or_file_content_in_a_problem() {
            RequestRejectedException e =
                    rejection("{'v':1,'image':{'path':'/i.img'},'inject':{'admin_password':'hunter2',"
                            + "'files':[{'path':'/a','content_b64':'c2VjcmV0','mode':7}]}, 'handlers':[]}");
            assertThat(e.getMessage())
                    .doesNotContain("hunter2")
                    .doesNotContain("c2VjcmV0")
                    .doesNotContain("secret");
            assertThat(e.problems()).extracting(Problem::path).containsExactly("$.inject.files[0].mode", "$.handlers");
        }
    }

    @Nested
    @DisplayName("a refusal")
    class Refusal {
        @Test
        void does_not_quote_the_token_a_body_that_is_no_json_stumbles_on() {
            RequestRejectedException e =
                    rejection("{'v':1,'image':{'path':'/i.img'},'inject':{'admin_password': Unquoted5ecret}}");

            assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_MESSAGE);
            assertThat(e.getMessage()).doesNotContain("Unquoted5ecret").contains("line 1, column");
        }

        @Test
        void does_not_quote_values_of_the_wrong_type_or_form_nor_odd_field_names_nor_metadata_keys() {
            RequestRejectedException e = rejection(
                    "{'v':1,'image':{'path':'/i.img','format':'Fmt5ecret','partition':9999999999},"
                            + "'inject':{'admin_password':314159265,'metadata':{'Key5ecret':271828},'files':[{'path':'/a','content_b64':'',"
                            + "'mode':'Mode5ecret','uid':-161803}]},'mandatory':['Item5ecret'],'handlers':['Handler5ecret'],'odd name 5ecret':1}");

            assertThat(e.problems()).hasSize(9);
            assertThat(e.getMessage() + e.problems())
                    .doesNotContain("5ecret")
                    .doesNotContain("314159265")
                    .doesNotContain("271828")
                    .doesNotContain("161803")
                    .doesNotContain("9999999999");
        }

        @Test
        void lists_the_first_fifty_problems_and_says_how_many_there_are() {
            StringBuilder body = new StringBuilder("{'v':1,'image':{'path':'/i.img'},'inject':{'net':'x'}");
            for (int i = 0; i < 1234; i++) {
                body.append(",'extra").append(i).append("':").append(i);
            }
            RequestRejectedException e = rejection(body.append('}').toString());

            assertThat(e.problems()).hasSize(RequestDecoder.MAX_PROBLEMS);
            assertThat(e.problemCount()).isEqualTo(1234);
            assertThat(e.getMessage()).startsWith("the request has 1234 problems; the first 50: ");
        }
    }

    @Nested
    @DisplayName("a request over a limit")
    class OverALimit {
        final RequestLimits limits = new RequestLimits(1000, 2, 10);

        RequestRejectedException rejection(String body) {
            return catchThrowableOfType(
                    RequestRejectedException.class, () -> RequestDecoder.decode(json(body), limits));
        }

        @Test
        void is_too_large_for_its_body_size_file_count_or_file_bytes_naming_the_setting() {
            String file = "{'path':'/f%d','content_b64':'AAAAAAAA'}";
            assertThat(rejection("{'v':1,'image':{'path':'/i.img'},'inject':{'net':'" + "x".repeat(1000) + "'}}"))
                    .hasMessageContaining("max-request-bytes")
                    .extracting(RequestRejectedException::code)
                    .isEqualTo(ErrorCode.REQUEST_TOO_LARGE);
            assertThat(rejection("{'v':1,'image':{'path':'/i.img'},'inject':{'files':[" + file.formatted(1) + ","
                            + file.formatted(2) + "," + file.formatted(3) + "]}}"))
                    .hasMessageContaining("3 files")
                    .hasMessageContaining("max-files")
                    .extracting(RequestRejectedException::code)
                    .isEqualTo(ErrorCode.REQUEST_TOO_LARGE);
            assertThat(rejection("{'v':1,'image':{'path':'/i.img'},'inject':{'files':[" + file.formatted(1) + ","
                            + file.formatted(2) + "]}}"))
                    .hasMessageContaining("12 bytes")
                    .hasMessageContaining("max-file-bytes-total")
                    .extracting(RequestRejectedException::code)
                    .isEqualTo(ErrorCode.REQUEST_TOO_LARGE);
        }

        @Test
        void has_an_image_path_longer_than_4096_bytes() {
            RequestRejectedException e = RequestDecoderTest.rejection(
                    "{'v':1,'image':{'path':'/" + "p".repeat(4096) + "'},'inject':{'net':'x'}}");

            assertThat(e.problems()).containsExactly(new Problem("$.image.path", "is longer than 4096 bytes"));
        }
    }

    @Test
    void a_secret_never_shows_itself_in_to_string() {
        InjectionRequest request = InjectionRequest.of(
                ImageRef.of("/i"),
                Injections.none()
                        .withAdminPassword(Secret.of("hunter2"))
                        .withFiles(List.of(FileInjection.of("/f", "topsecret".getBytes(StandardCharsets.UTF_8)))));
        assertThat(request.toString()).doesNotContain("hunter2").doesNotContain("topsecret");
    }

    @Test
    void an_ssh_key_must_carry_the_type_it_claims() {
        assertThatThrownBy(() -> SshPublicKey.parse(
                        "ssh-rsa AAAAC3NzaC1lZDI1NTE5AAAAIGq4gJmvYvBRrC5Jr5DmXq2sWfQw4l1XfXxD1o9mY0Gg"))
                .hasMessageContaining("holds a ssh-ed25519 key");
    }

    @Test
    void an_ssh_key_may_carry_options_with_quoted_blanks() {
        SshPublicKey key = SshPublicKey.parse("command=\"echo hi there\",no-pty " + KEY);
        assertThat(key.options()).contains("command=\"echo hi there\",no-pty");
        assertThat(key.sameKeyAs(SshPublicKey.parse(KEY))).isTrue();
    }
}
