package io.imginject.worker.v1;

import com.rabbitmq.client.AMQP;
import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ShutdownSignalException;
import java.io.IOException;
import java.util.concurrent.TimeoutException;

/** Asks the broker whether an exchange or queue exists, without declaring it, each on a channel of its own. */
final class PassiveCheck {
    private final Connection connection;
    private final String host;

    PassiveCheck(Connection connection, String host) {
        this.connection = connection;
        this.host = host;
    }

    void exchange(String name) throws IOException {
        check("exchange", name, channel -> channel.exchangeDeclarePassive(name));
    }

    void queue(String name) throws IOException {
        check("queue", name, channel -> channel.queueDeclarePassive(name));
    }

    private interface Ask {
        void on(Channel channel) throws IOException;
    }

    private void check(String kind, String name, Ask ask) throws IOException {
        Channel channel = connection.createChannel();
        try {
            ask.on(channel);
            channel.close();
        } catch (IOException e) {
            if (e.getCause() instanceof ShutdownSignalException refusal
                    && refusal.getReason() instanceof AMQP.Channel.Close close
                    && close.getReplyCode() == AMQP.NOT_FOUND) {
                throw new MissingBrokerObjectException(kind, name, host);
            }
            throw e;
        } catch (TimeoutException e) {
            throw new IOException("closing the channel that checked " + kind + " " + name + " timed out", e);
        }
    }
}
