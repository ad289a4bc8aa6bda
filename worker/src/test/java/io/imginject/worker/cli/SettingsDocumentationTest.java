package io.imginject.worker.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * A setting's default lives in one place, its option's {@code defaultValue}: {@code --help} shows it, and the
 * README's settings tables (those headed {@code | key | default | meaning |}) must say the same, for every setting of
 * the worker.
 */
@Tag("fast")
class SettingsDocumentationTest {
    private static final Pattern BACKTICKED = Pattern.compile("^`([^`]*)`");

    /** A README row's keys, each with the default its row gives (empty: none, or words rather than a value). */
    static Map<String, Optional<String>> readmeDefaults() throws Exception {
        Map<String, Optional<String>> defaults = new LinkedHashMap<>();
        boolean inTable = false;
        for (String line : Files.readAllLines(Path.of("..", "README.md"))) {
            if (line.equals("| key | default | meaning |")) {
                inTable = true;
                continue;
            }
            if (!line.startsWith("|")) {
                inTable = false;
            }
            if (!inTable || line.startsWith("|---")) {
                continue;
            }
            String[] cells = line.split("\\|", -1);
            List<String> keys = Arrays.stream(cells[1].split(","))
                    .map(k -> k.strip().replace("`", ""))
                    .toList();
            List<String> values =
                    Arrays.stream(cells[2].split(", ")).map(String::strip).toList();
            assertThat(values.size() == 1 || values.size() == keys.size())
                    .as("README row %s: one default, or one per key", line)
                    .isTrue();
            for (int i = 0; i < keys.size(); i++) {
                Matcher value = BACKTICKED.matcher(values.get(values.size() == 1 ? 0 : i));
                defaults.put(keys.get(i), value.find() ? Optional.of(value.group(1)) : Optional.empty());
            }
        }
        return defaults;
    }

    static List<OptionSpec> settings(CommandSpec command) {
        return command.options().stream().filter(SettingKeys::isSetting).toList();
    }

    @Test
    void the_readme_lists_every_worker_setting_with_its_default() throws Exception {
        CommandSpec worker = Main.commandLine().getSubcommands().get("worker").getCommandSpec();
        Map<String, Optional<String>> readme = readmeDefaults();

        List<String> keys = new ArrayList<>();
        for (OptionSpec option : settings(worker)) {
            String key = SettingKeys.keyOf(option);
            keys.add(key);
            assertThat(readme).as("README settings tables").containsKey(key);
            assertThat(readme.get(key))
                    .as("the README's default of %s", key)
                    .isEqualTo(Optional.ofNullable(option.defaultValue()));
        }
        assertThat(keys).as("README rows that are no worker setting").containsAll(readme.keySet());
    }

    @Test
    void help_shows_every_default_of_every_command() {
        List<CommandLine> commands = new ArrayList<>();
        collect(Main.commandLine(), commands);

        for (CommandLine command : commands) {
            command.getCommandSpec().usageMessage().width(400);
            String help = command.getUsageMessage();
            for (OptionSpec option : settings(command.getCommandSpec())) {
                if (option.defaultValue() != null) {
                    assertThat(help)
                            .as("%s --help on %s", command.getCommandName(), option.longestName())
                            .contains("default " + option.defaultValue());
                }
            }
        }
    }

    @Test
    void a_setting_several_commands_take_has_one_default_in_all_of_them() {
        List<CommandLine> commands = new ArrayList<>();
        collect(Main.commandLine(), commands);
        Map<String, String> firstDefault = new LinkedHashMap<>();
        Map<String, String> firstCommand = new LinkedHashMap<>();
        List<String> differing = new ArrayList<>();

        for (CommandLine command : commands) {
            for (OptionSpec option : settings(command.getCommandSpec())) {
                String key = SettingKeys.keyOf(option);
                String value = String.valueOf(option.defaultValue());
                String first = firstDefault.putIfAbsent(key, value);
                if (first == null) {
                    firstCommand.put(key, command.getCommandName());
                } else if (!first.equals(value)) {
                    differing.add(key + ": " + first + " in " + firstCommand.get(key) + ", " + value + " in "
                            + command.getCommandName());
                }
            }
        }
        assertThat(differing).isEmpty();
    }

    private static void collect(CommandLine command, List<CommandLine> into) {
        into.add(command);
        command.getSubcommands().values().forEach(sub -> collect(sub, into));
    }
}
