package io.imginject.worker.oslo;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.imginject.protocol.InjectionReply;
import io.imginject.protocol.ReplyCodec;
import io.imginject.protocol.RequestLimits;
import io.imginject.worker.job.Job;
import io.imginject.worker.job.JobRunner;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code inject_data}, nova's injection call, run by the same job runner as native requests. Its result is the
 * native reply object; a failed job is an oslo failure named after its error code ({@code ImageNotFound}, ...)
 * whose traceback line holds the whole reply, attempts included.
 */
final class InjectDataEndpoint implements OsloEndpoint {
    private static final JsonMapper JSON = new JsonMapper();

    private final JobRunner runner;
    private final String version;
    private final RequestLimits limits;

    InjectDataEndpoint(JobRunner runner, String version, RequestLimits limits) {
        this.runner = runner;
        this.version = version;
        this.limits = limits;
    }

    @Override
    public Optional<String> namespace() {
        return Optional.empty();
    }

    @Override
    public String version() {
        return version;
    }

    @Override
    public Set<String> methods() {
        return Set.of("inject_data");
    }

    @Override
    public JsonNode invoke(OsloRequest request) throws OsloFailure {
        InjectionReply reply = runner.run(new Job(request.jobId(), InjectDataArgs.toRequest(request.args(), limits)));
        byte[] json = ReplyCodec.encode(reply);
        if (!reply.isOk()) {
            throw OsloFailure.of(
                    reply.error().code(),
                    reply.error().code().wireName() + ": " + reply.error().message(),
                    List.of("imginject reply: " + new String(json, StandardCharsets.UTF_8) + "\n"));
        }
        try {
            return JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
