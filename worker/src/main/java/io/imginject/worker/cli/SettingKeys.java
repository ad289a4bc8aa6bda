package io.imginject.worker.cli;

import java.lang.reflect.Field;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import org.apache.commons.text.similarity.LevenshteinDistance;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The keys the config file and the environment may set: the long name, without {@code --}, of every option of every
 * command. One shared file serves all commands, so a key valid for any command is valid in it (a command that has no
 * such option ignores it). A new option is a new key with no change here.
 */
final class SettingKeys {
    static final String ENVIRONMENT_PREFIX = "IMGINJECT_";

    /**
     * {@code IMGINJECT_*} variables that are not settings, yet are set where the commands run: the tests' switch to
     * fail instead of skipping, the tests' broker, bin/imginject's JVM options, logback.xml's log level, and the mark
     * the worker puts on the host commands it starts.
     */
    static final Set<String> OTHER_VARIABLES = Set.of(
            "IMGINJECT_REQUIRE_ALL",
            "IMGINJECT_TEST_AMQP_URI",
            "IMGINJECT_JAVA_OPTS",
            "IMGINJECT_LOG_LEVEL",
            "IMGINJECT_WORKER");

    private final Set<String> keys;

    private SettingKeys(Set<String> keys) {
        this.keys = keys;
    }

    /** The keys of {@code root}'s options and of all its subcommands' options, however deep. */
    static SettingKeys of(CommandSpec root) {
        Set<String> keys = new TreeSet<>();
        collect(root, keys);
        return new SettingKeys(keys);
    }

    private static void collect(CommandSpec command, Set<String> keys) {
        command.options().stream()
                .filter(SettingKeys::isSetting)
                .map(SettingKeys::keyOf)
                .forEach(keys::add);
        command.subcommands().values().forEach(sub -> collect(sub.getCommandSpec(), keys));
    }

    /** Whether {@code option} may come from the file or the environment: not help, not {@link CommandLineOnly}. */
    static boolean isSetting(OptionSpec option) {
        return !option.usageHelp()
                && !option.versionHelp()
                && !(option.userObject() instanceof Field field && field.isAnnotationPresent(CommandLineOnly.class));
    }

    /** The key of {@code option}: its long name without the dashes ({@code image-root} for --image-root). */
    static String keyOf(OptionSpec option) {
        return option.longestName().replaceFirst("^-+", "");
    }

    void requireFileKey(String key, Path file) {
        if (!keys.contains(key)) {
            throw new UnknownSettingException("unknown setting \"" + key + "\" in the config file " + file
                    + "; did you mean \"" + closest(key) + "\"?");
        }
    }

    void requireEnvironmentVariable(String variable) {
        if (!variable.startsWith(ENVIRONMENT_PREFIX) || OTHER_VARIABLES.contains(variable)) {
            return;
        }
        String key = variable.substring(ENVIRONMENT_PREFIX.length())
                .toLowerCase(Locale.ROOT)
                .replace('_', '-');
        if (!keys.contains(key)) {
            String closest = closest(key);
            throw new UnknownSettingException("unknown environment variable " + variable + ": no setting \"" + key
                    + "\"; did you mean " + SettingSources.environmentName(closest) + " (" + closest + ")?");
        }
    }

    /** The valid key nearest to {@code key} by edit distance; of equally near ones, the first in order. */
    String closest(String key) {
        LevenshteinDistance distance = LevenshteinDistance.getDefaultInstance();
        return keys.stream()
                .min(Comparator.comparingInt((String valid) -> distance.apply(key, valid)))
                .orElseThrow();
    }
}
