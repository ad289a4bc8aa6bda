package io.imginject.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Every command takes its settings from the same flags, environment and config file; a key that names no setting
 * stops every command before it does anything, naming the key and the valid one nearest to it.
 */
@Tag("fast")
class SettingsTest {
    @TempDir
    Path directory;

    Path configFile(String text) throws Exception {
        return Files.writeString(directory.resolve("imginject.properties"), text);
    }

    @Test
    void an_unknown_key_in_the_config_file_stops_every_command_naming_the_key_and_the_nearest_valid_one()
            throws Exception {
        Path file = configFile("image-root = /srv\nconcurency = 4\n");

        for (String command : new String[] {"worker", "submit", "dlq list", "bench", "doctor"}) {
            String[] args = (command + " --config " + file).split(" ");
            CommandLineTest.Run run = CommandLineTest.runWith(Map.of(), args);

            assertThat(run.status()).as(command).isEqualTo(2);
            assertThat(run.err())
                    .as(command)
                    .contains("unknown setting \"concurency\" in the config file " + file)
                    .contains("did you mean \"concurrency\"?");
            assertThat(run.out()).as(command).isEmpty();
        }
    }

    @Test
    void an_unknown_imginject_variable_stops_every_command_naming_it_and_the_nearest_valid_one() {
        Map<String, String> environment = Map.of("IMGINJECT_AMQP_URL", "amqp://broker", "PATH", "/bin");

        for (String command : new String[] {"worker", "submit", "dlq list", "bench", "doctor"}) {
            CommandLineTest.Run run = CommandLineTest.runWith(environment, command.split(" "));

            assertThat(run.status()).as(command).isEqualTo(2);
            assertThat(run.err())
                    .as(command)
                    .contains("unknown environment variable IMGINJECT_AMQP_URL")
                    .contains("did you mean IMGINJECT_AMQP_URI (amqp-uri)?");
        }
    }

    @Test
    void a_key_of_any_command_and_the_variables_of_tests_and_scripts_are_allowed() throws Exception {
        Path file = configFile("oslo-topic = rpc\ntimeout = 5\namqp-uri = amqp://nobody:pw@127.0.0.1:1/%2f\n");
        Map<String, String> environment = Map.of(
                "IMGINJECT_REQUIRE_ALL", "1",
                "IMGINJECT_LOG_LEVEL", "DEBUG",
                "IMGINJECT_DEAD_LETTER_KEY_FILE", directory.resolve("none.key").toString());

        CommandLineTest.Run run = CommandLineTest.runWith(environment, "dlq", "list", "--config", file.toString());

        assertThat(run.err())
                .doesNotContain("unknown")
                .contains("imginject list: ")
                .contains("127.0.0.1:1")
                .doesNotContain(":pw@");
    }

    @Test
    void a_variable_or_file_key_sets_the_option_of_that_name_on_every_command_and_a_flag_wins() throws Exception {
        Path file = configFile("amqp-uri = amqp://file@broker/%2f\nhost = from-file\nlimit = 7\n");
        SettingSources settings = SettingSources.load(file, Map.of("IMGINJECT_HOST", "from-env"));

        SubmitCommand submit = parse(new SubmitCommand(), settings);
        DlqCommand.ListCommand list = parse(new DlqCommand.ListCommand(), settings, "--limit", "9");
        BenchCommand bench = parse(new BenchCommand(), settings, "--image", "/x.img");

        assertThat(submit.broker.amqpUri).isEqualTo("amqp://file@broker/%2f");
        assertThat(submit.host).isEqualTo("from-env");
        assertThat(bench.host).isEqualTo("from-env");
        assertThat(list.filters.broker.amqpUri).isEqualTo("amqp://file@broker/%2f");
        assertThat(list.filters.limit).isEqualTo(9);
    }

    @Test
    void which_dead_letters_dlq_selects_comes_only_from_its_command_line() throws Exception {
        Path file = configFile("host = h1\n");
        SettingSources settings = SettingSources.load(file, Map.of("IMGINJECT_JOB_ID", "j-1"));

        DlqCommand.PurgeCommand purge = parse(new DlqCommand.PurgeCommand(), settings);

        assertThat(purge.filters.selection().isGiven()).isFalse();
        assertThat(CommandLineTest.runWith(
                                Map.of(),
                                "dlq",
                                "purge",
                                "--config",
                                configFile("all = true\n").toString())
                        .err())
                .contains("unknown setting \"all\"");
    }

    @Test
    void a_submit_takes_its_job_id_request_and_handler_order_only_from_its_command_line() throws Exception {
        Path file = configFile("handlers = loop\n");
        SettingSources settings =
                SettingSources.load(file, Map.of("IMGINJECT_JOB_ID", "j-1", "IMGINJECT_REQUEST", "/tmp/request.json"));

        SubmitCommand submit = parse(new SubmitCommand(), settings);

        assertThat(submit.jobId).isNull();
        assertThat(submit.requestFile).isNull();
        assertThat(submit.handlers).isEmpty();
    }

    @Test
    void the_broker_uri_may_come_from_a_file_and_not_from_both() throws Exception {
        Path uriFile =
                Files.writeString(directory.resolve("amqp-uri"), "amqp://u:pw@n1:5672/%2f,amqp://u:pw@n2:5672/%2f\n");
        SettingSources fromFile = SettingSources.load(configFile("amqp-uri-file = " + uriFile + "\n"), Map.of());
        SettingSources both = SettingSources.load(null, Map.of("IMGINJECT_AMQP_URI_FILE", uriFile.toString()));

        assertThat(parse(new SubmitCommand(), fromFile).broker.redactedUri())
                .isEqualTo("amqp://u:***@n1:5672/%2f,amqp://u:***@n2:5672/%2f");
        SubmitCommand conflicting = parse(new SubmitCommand(), both, "--amqp-uri", "amqp://other/%2f");
        assertThatThrownBy(() -> conflicting.broker.addresses())
                .hasMessage("amqp-uri and amqp-uri-file are both set; give one of them");
    }

    static <T> T parse(T command, SettingSources settings, String... args) {
        CommandLine commandLine = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true);
        commandLine.setDefaultValueProvider(settings);
        commandLine.parseArgs(args);
        return command;
    }
}
